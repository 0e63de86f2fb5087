//! `test` blocks: each expectation is decided by the compiled engine and a
//! mismatch is an error at the expectation, so `palisade check` fails.

use crate::ast::Policy;
use crate::diagnostic::Code;
use crate::diagnostic::{Diagnostic, Sink};
use crate::engine::{Engine, ToolRequest};

pub(super) fn run(policy: &Policy, engine: &Engine, sink: &mut Sink) {
    for test in &policy.tests {
        for e in &test.expectations {
            let agent = e.agent.value.to_lowercase();
            if !engine.agent_ids().any(|a| a == agent) {
                let known: Vec<&str> = engine.agent_ids().collect();
                let hint = crate::diagnostic::suggest(&agent, known.iter().copied());
                let mut d = Diagnostic::error(Code::UnknownAgent, &policy.source, e.agent.span, format!("unknown agent `{agent}`"));
                d.help = Some(match hint {
                    Some(h) => format!("did you mean `{h}`?"),
                    None => format!("agents: {}", known.join(", ")),
                });
                sink.push(d);
                continue;
            }
            let mut request = ToolRequest::new(&agent, &e.tool.text)
                .with_provider(e.provider.as_deref())
                .with_session(e.session.as_deref())
                .with_subagent(e.subagent)
                .with_owner(!e.non_owner)
                .with_sender(e.sender.as_deref());
            request = request.with_args(crate::Args::named(e.command.as_deref(), None, e.path.as_deref()));
            let explanation = engine.explain(&request);
            if explanation.outcome != e.outcome {
                let (want, got) = (e.outcome.name(), explanation.outcome.name());
                let mut d = Diagnostic::error(
                    Code::TestFailed,
                    &policy.source,
                    e.span,
                    format!("test `{}` failed: expected {want}, the policy says {got}", test.name.value),
                );
                d.help = Some(match &explanation.at {
                    Some(at) => format!("{} ({at})", explanation.reason),
                    None => explanation.reason.clone(),
                });
                sink.push(d);
            }
        }
    }
}
