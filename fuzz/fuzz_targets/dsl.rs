//! Raw bytes through the DSL front end and compiler: never a panic, and a
//! policy that compiles answers and explains a request without one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade::{Policy, ToolRequest};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(policy) = Policy::from_dsl("fuzz.pal", &text) {
        let engine = policy.engine();
        for agent in engine.agent_ids() {
            let request = ToolRequest::new(agent, "exec");
            let decided = engine.decide(&request);
            assert_eq!(engine.explain(&request).allowed, decided, "explain disagrees with decide");
        }
    }
});
