//! Raw bytes through the OpenClaw JSON front end: never a panic; a config
//! that compiles prints as DSL that compiles to the same decisions.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade::{Policy, ToolRequest};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(policy) = Policy::from_openclaw_json("fuzz.json", &text) {
        let printed = palisade::print::to_dsl(policy.ast(), policy.warnings());
        let again = Policy::from_dsl("printed.pal", &printed).unwrap_or_else(|e| panic!("{e:?}\n{printed}"));
        for agent in policy.engine().agent_ids() {
            for tool in ["read", "exec", "browser", "sessions_send"] {
                let request = ToolRequest::new(agent, tool);
                assert_eq!(policy.engine().decide(&request), again.engine().decide(&request), "{agent} {tool}\n{printed}");
            }
        }
    }
});
