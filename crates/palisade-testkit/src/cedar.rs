//! The bench policy as Cedar: the peer bench's baseline (feature `cedar`).

use std::str::FromStr;

use cedar_policy::{Authorizer, Context, Decision, Entities, EntityUid, PolicySet, Request};

use crate::bench_policy::{cedar_policies, AgentShape, StreamRequest};

pub struct CedarPolicy {
    pub policies: PolicySet,
    pub entities: Entities,
    pub authorizer: Authorizer,
}

impl CedarPolicy {
    pub fn new(agents: &[AgentShape]) -> Self {
        let policies = PolicySet::from_str(&cedar_policies(agents)).expect("the Cedar encoding parses");
        let entities: Vec<serde_json::Value> =
            agents.iter().map(|a| serde_json::json!({"uid": {"type": "Agent", "id": a.id}, "attrs": {}, "parents": []})).collect();
        let entities = Entities::from_json_value(serde_json::Value::Array(entities), None).expect("entities");
        CedarPolicy { policies, entities, authorizer: Authorizer::new() }
    }

    pub fn request(r: &StreamRequest) -> Request {
        let uid = |s: String| EntityUid::from_str(&s).expect("an entity uid");
        let context = serde_json::json!({
            "provider": r.provider.unwrap_or("").to_lowercase(),
            "main_session": r.main_session && !r.subagent,
            "subagent": r.subagent,
            "owner": r.owner,
        });
        Request::new(
            uid(format!("Agent::\"{}\"", r.agent)),
            uid("Action::\"call\"".into()),
            uid(format!("Tool::\"{}\"", r.tool)),
            Context::from_json_value(context, None).expect("a context"),
            None,
        )
        .expect("a request")
    }

    pub fn allows(&self, request: &Request) -> bool {
        self.authorizer.is_authorized(request, &self.policies, &self.entities).decision() == Decision::Allow
    }
}
