//! Raw bytes through the DSL front end and compiler: never a panic; a policy
//! that compiles explains what it decides, and prints as DSL that compiles to
//! the same decisions.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade::{Policy, ToolRequest};

use palisade_testkit::round_trip;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(policy) = Policy::from_dsl("fuzz.pal", &text) {
        let engine = policy.engine();
        for agent in engine.agent_ids() {
            let request = ToolRequest::new(agent, "exec");
            let decided = engine.decide(&request);
            assert_eq!(engine.explain(&request).allowed, decided, "explain disagrees with decide");
        }
        round_trip::assert_prints_back(&policy, &text);
    }
});
