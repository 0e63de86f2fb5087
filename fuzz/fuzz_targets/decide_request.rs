//! Decide requests (tool, ingress, route) as `palisade decide` and the
//! gateway's `/v1/decide` read them, against the bundled example policy.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use palisade::Policy;

const EXAMPLE: &str = include_str!("../../examples/multi-agent.pal");

fuzz_target!(|data: &[u8]| {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    let policy = POLICY.get_or_init(|| Policy::from_dsl("multi-agent.pal", EXAMPLE).expect("the example compiles"));
    let text = String::from_utf8_lossy(data);
    if let Ok(request) = palisade::wire::parse(&text) {
        let decision = palisade::wire::decision_json(policy.engine(), &request);
        assert!(decision.is_object());
    }
});
