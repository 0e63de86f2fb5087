//! Issue 15, property (a), on arbitrary text: the segments of a command,
//! rendered back to shell text and parsed again, are decided the same way
//! by every agent's command rules as the original text.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use palisade::unstable::shell::{parse, render};
use palisade::{Policy, ToolRequest};

/// The same policy as the property test's.
const POLICY: &str = include_str!("../../tests/policies/shell-roundtrip.pal");

fn policy() -> &'static Policy {
    static ONCE: OnceLock<Policy> = OnceLock::new();
    ONCE.get_or_init(|| Policy::from_dsl("roundtrip.pal", POLICY).expect("the fuzz policy compiles"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let rendered = render(&parse(text));
    let engine = policy().engine();
    for agent in ["strict", "open", "trusting"] {
        let request = ToolRequest::new(agent, "exec").with_session("agent:x:main");
        let before = engine.decide_outcome(&request.with_command(text));
        let after = engine.decide_outcome(&request.with_command(&rendered));
        assert_eq!(before, after, "{agent}: {text:?} -> {rendered:?}");
    }
});
