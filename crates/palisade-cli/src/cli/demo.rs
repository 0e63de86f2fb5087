//! `palisade demo`: the bundled example policy and a few decisions, no files needed.

use std::io::Write;

use palisade::Policy;

use super::{Failure, Format};

/// The bundled example, so that `palisade demo` works with no files at all.
const DEMO_POLICY: &str = include_str!("../../../../examples/multi-agent.pal");
const DEMO_REQUESTS: &[&str] = &[
    r#"{"kind":"tool","agent":"main","tool":"exec","provider":"anthropic"}"#,
    r#"{"kind":"tool","agent":"main","tool":"exec","provider":"openai/gpt-5"}"#,
    r#"{"kind":"tool","agent":"main","tool":"exec"}"#,
    r#"{"kind":"tool","agent":"main","tool":"cron","owner":true,"sender":"telegram:999"}"#,
    r#"{"kind":"tool","agent":"main","tool":"cron","provider":"anthropic"}"#,
    r#"{"kind":"tool","agent":"family","tool":"read"}"#,
    r#"{"kind":"tool","agent":"family","tool":"exec","provider":"anthropic"}"#,
    r#"{"kind":"tool","agent":"public","tool":"sessions_send","session":"agent:public:telegram:direct:42"}"#,
    r#"{"kind":"tool","agent":"public","tool":"web_fetch"}"#,
    r#"{"kind":"tool","agent":"main","tool":"sessions_spawn","subagent":true}"#,
    r#"{"kind":"ingress","channel":"telegram","chat":"direct","sender":"999","text":"hello?"}"#,
    r#"{"kind":"ingress","channel":"telegram","chat":"group","chat_id":"-1001","sender":"333","text":"what's the plan"}"#,
    r#"{"kind":"ingress","channel":"telegram","chat":"group","chat_id":"-1001","sender":"333","text":"hey bot, what's the plan"}"#,
    r#"{"kind":"route","channel":"telegram","chat":"direct","sender":"333"}"#,
    r#"{"kind":"route","channel":"discord","chat":"direct","sender":"222"}"#,
];

pub(super) fn run() -> Result<(), Failure> {
    let policy = Policy::from_dsl("examples/multi-agent.pal", DEMO_POLICY)?;
    let tests: usize = policy.ast().tests.iter().map(|t| t.expectations.len()).sum();
    outln!("bundled policy examples/multi-agent.pal: {} agents, {tests} test expectations pass", policy.engine().agent_ids().count());
    outln!();
    for text in DEMO_REQUESTS {
        outln!("$ palisade explain examples/multi-agent.pal --request '{text}'");
        super::explain::run(&policy, text, Format::Text)?;
        outln!();
    }
    Ok(())
}
