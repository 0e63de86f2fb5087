//! The printer's contract, shared by the targets whose inputs compile: a
//! policy printed as DSL compiles again to the same tool, gate and route
//! decisions.

use palisade::ChatKind;
use palisade::Inbound;
use palisade::{Engine, Policy, ToolRequest};

const TOOLS: [&str; 5] = ["read", "exec", "browser", "sessions_send", "cron"];

pub fn assert_prints_back(policy: &Policy, input: &str) {
    let engine = policy.engine();
    let printed = palisade::unstable::to_dsl(policy.ast(), policy.warnings());
    let again =
        Policy::from_dsl("printed.pal", &printed).unwrap_or_else(|e| panic!("printed policy does not compile: {e:?}\n{printed}\nfrom:\n{input}"));
    for agent in engine.agent_ids() {
        for tool in TOOLS {
            let request = ToolRequest::new(agent, tool);
            assert_eq!(engine.decide(&request), again.engine().decide(&request), "{agent} {tool}\n{printed}\nfrom:\n{input}");
        }
    }
    for c in &policy.ast().channels {
        let mut ids: Vec<&str> = vec!["stranger"];
        ids.extend(c.groups.iter().map(|g| g.id.value.as_str()).take(3));
        ids.extend(c.allow_from.iter().flat_map(|l| l.entries.iter().map(|e| e.value.as_str())).take(3));
        for chat in [ChatKind::Direct, ChatKind::Group] {
            for id in &ids {
                for message in ["hi", "@bot hi"] {
                    let mut m = Inbound::group(&c.name.value, id, id, message);
                    m.chat = chat;
                    let (a, b) = (engine.gate(&m), again.engine().gate(&m));
                    assert_eq!((a.outcome, a.reason), (b.outcome, b.reason), "{m:?}\n{printed}\nfrom:\n{input}");
                    let route = |e: &Engine| e.route(&m).map(|r| (r.agent.to_string(), r.session_key));
                    assert_eq!(route(engine), route(again.engine()), "{m:?}\n{printed}\nfrom:\n{input}");
                }
            }
        }
    }
}
