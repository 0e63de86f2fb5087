//! Claim 13, session handles, as a stateright model over the universe of
//! `tla/SessionHandles.tla`: every handle the gateway can mint for 2 agents
//! x 2 sessions x 2 senders (one an owner), and every call a client can make
//! with it: as minted; with an agent, session, sender or owner field added
//! to the body; with the handle's payload edited (agent, session, owner);
//! presented by another runtime; or a handle the client sealed itself. Each
//! handle is sealed by the real `HandleKey`, each body read by the gateway's
//! own `open_call`, and each call decided and placed by the real engine and
//! `sandbox::placement`; the property compares that with the minted claims.

use palisade::seams::{with_bug, Bug};
use palisade::Policy;
use palisade_gateway::handles::{Claims, HandleKey};
use palisade_gateway::principals::{Principal, Role};
use palisade_gateway::sandbox;
use palisade_gateway::sessions::open_call;
use stateright::{Model, Property};

pub const AGENTS: [&str; 2] = ["a", "b"];
pub const SESSIONS: [&str; 2] = ["main", "dm"];
/// The first is listed in `owners`.
pub const SENDERS: [&str; 2] = ["telegram:1", "telegram:2"];
pub const CALLS: [&str; 10] = [
    "as_minted",
    "body_agent",
    "body_session",
    "body_sender",
    "body_owner",
    "edited_agent",
    "edited_session",
    "edited_owner",
    "other_runtime",
    "self_sealed",
];

pub const POLICY: &str = "owners \"telegram:1\"\n\
    sandbox defaults { mode non-main scope session }\n\
    agent a { default }\nagent b { }\n";

/// A handle of the universe: indices into `AGENTS`, `SESSIONS`, `SENDERS`.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct Handle {
    pub agent: usize,
    pub session: usize,
    pub sender: usize,
}

/// What the gateway did with a call: refused it, or decided and placed it
/// with this context.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum Outcome {
    Refused,
    Decided(Placed),
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct Placed {
    pub agent: String,
    pub session: String,
    pub sender: String,
    pub owner: bool,
    /// `cron` (owner-only, off in sandboxes) allowed?
    pub allowed: bool,
    pub sandboxed: bool,
    pub scope_key: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct State {
    pub handle: Handle,
    pub call: usize,
    pub outcome: Outcome,
}

#[derive(Clone, Debug)]
pub struct SessionHandlesModel {
    pub bug: Bug,
}

const NOW_MS: u64 = 1_000;

fn runtime(id: &str) -> Principal {
    Principal { id: id.into(), role: Role::Runtime, agents: vec!["*".into()] }
}

fn other(i: usize) -> &'static str {
    AGENTS.get(1 - i.min(1)).copied().unwrap_or("a")
}

/// The claims the gateway mints for a handle of the universe, as `/v1/ingress` would.
pub fn claims(policy: &Policy, h: Handle) -> Claims {
    let agent = AGENTS.get(h.agent).copied().unwrap_or("a");
    let sender = SENDERS.get(h.sender).copied().unwrap_or("telegram:2");
    let session = match h.session {
        0 => format!("agent:{agent}:main"),
        _ => format!("agent:{agent}:telegram:direct:{}", sender.trim_start_matches("telegram:")),
    };
    Claims {
        principal: "rt1".into(),
        agent: agent.into(),
        session,
        channel: "telegram".into(),
        account: None,
        sender: sender.into(),
        owner: policy.engine().is_owner_sender(sender),
        chat: "direct".into(),
        chat_id: sender.trim_start_matches("telegram:").into(),
        subagent: false,
        expires_ms: NOW_MS + 3_600_000,
        // What seals and opens a handle is this claim's subject; re-deriving
        // it under a reloaded policy (`sessions::rederive`) is not modelled here.
        grounds: None,
        parent_session: None,
    }
}

/// Where and how the engine decides and places a call with `claims`.
pub fn place(policy: &Policy, claims: &Claims) -> Option<Placed> {
    let request = palisade::ToolRequest::new(&claims.agent, "cron")
        .with_session(claims.session.as_str())
        .with_subagent(claims.subagent)
        .with_owner(claims.owner)
        .with_sender(claims.sender.as_str());
    place_request(policy, &request)
}

fn place_request(policy: &Policy, request: &palisade::ToolRequest<'_>) -> Option<Placed> {
    let engine = policy.engine();
    let context = engine.context(request).ok()?;
    let config = engine.sandbox(request.agent())?;
    let session = request.session().unwrap_or("");
    let placement = sandbox::placement(config, std::path::Path::new("/state"), request.agent(), session);
    Some(Placed {
        agent: request.agent().to_string(),
        session: session.to_string(),
        sender: request.sender().unwrap_or("").to_string(),
        owner: context.owner(),
        allowed: engine.decide(request),
        sandboxed: context.sandboxed(),
        scope_key: placement.scope_key,
    })
}

/// The body and presenter of one call of the universe with the handle of `minted`.
fn call(key: &HandleKey, minted: &Claims, call: usize) -> (String, Principal) {
    let seal = |claims: &Claims, key: &HandleKey| key.mint(claims).unwrap_or_default();
    let handle = seal(minted, key);
    // A payload edited after sealing: the new payload under the old tag.
    let edited = |changed: Claims| {
        let tag = handle.rsplit('.').next().unwrap_or("");
        let fresh = seal(&changed, key);
        let payload = fresh.split('.').nth(1).unwrap_or("");
        format!("ph1.{payload}.{tag}")
    };
    // Each tampered call asks for something other than what was minted.
    let agent_index = AGENTS.iter().position(|a| *a == minted.agent).unwrap_or(0);
    let sender_index = SENDERS.iter().position(|a| *a == minted.sender).unwrap_or(0);
    let other_sender = SENDERS.get(1 - sender_index.min(1)).copied().unwrap_or("telegram:1");
    let other_session =
        if minted.session.ends_with(":main") { format!("agent:{}:telegram:direct:9", minted.agent) } else { format!("agent:{}:main", minted.agent) };
    let owner = !minted.owner;
    let body = |handle: &str, extra: &str| format!("{{\"handle\":\"{handle}\",\"tool\":\"cron\"{extra}}}");
    match CALLS.get(call).copied().unwrap_or("") {
        "body_agent" => (body(&handle, &format!(",\"agent\":\"{}\"", other(agent_index))), runtime("rt1")),
        "body_session" => (body(&handle, &format!(",\"session\":\"{other_session}\"")), runtime("rt1")),
        "body_sender" => (body(&handle, &format!(",\"sender\":\"{other_sender}\"")), runtime("rt1")),
        "body_owner" => (body(&handle, &format!(",\"owner\":{owner}")), runtime("rt1")),
        "edited_agent" => (body(&edited(Claims { agent: other(agent_index).into(), ..minted.clone() }), ""), runtime("rt1")),
        "edited_session" => (body(&edited(Claims { session: other_session, ..minted.clone() }), ""), runtime("rt1")),
        "edited_owner" => (body(&edited(Claims { owner, ..minted.clone() }), ""), runtime("rt1")),
        "other_runtime" => (body(&handle, ""), runtime("rt2")),
        "self_sealed" => {
            let own = Claims { owner, session: other_session, sender: other_sender.into(), ..minted.clone() };
            (body(&seal(&own, &HandleKey::new([9; 32])), ""), runtime("rt1"))
        }
        _ => (body(&handle, ""), runtime("rt1")),
    }
}

/// One call through the gateway's `open_call`, then the engine.
pub fn outcome(policy: &Policy, key: &HandleKey, h: Handle, c: usize) -> Outcome {
    let minted = claims(policy, h);
    let (body, principal) = call(key, &minted, c);
    match open_call(key, &principal, &body, NOW_MS) {
        Ok(call) => place_request(policy, &call.tool_request()).map_or(Outcome::Refused, Outcome::Decided),
        Err(_) => Outcome::Refused,
    }
}

pub fn handles() -> impl Iterator<Item = Handle> {
    (0..AGENTS.len())
        .flat_map(|agent| (0..SESSIONS.len()).flat_map(move |session| (0..SENDERS.len()).map(move |sender| Handle { agent, session, sender })))
}

impl Model for SessionHandlesModel {
    type State = State;
    type Action = ();

    fn init_states(&self) -> Vec<State> {
        let Ok(policy) = Policy::from_dsl("handles.pal", POLICY) else { return Vec::new() };
        let key = HandleKey::new([7; 32]);
        with_bug(self.bug, || {
            handles()
                .flat_map(|handle| (0..CALLS.len()).map(move |call| (handle, call)))
                .map(|(handle, call)| State { handle, call, outcome: outcome(&policy, &key, handle, call) })
                .collect()
        })
    }

    crate::no_steps!();

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            // A call is decided and placed with the minted context, or refused.
            Property::always("HandleDecides", |_, s: &State| match &s.outcome {
                Outcome::Refused => true,
                Outcome::Decided(placed) => Policy::from_dsl("handles.pal", POLICY)
                    .ok()
                    .and_then(|policy| place(&policy, &claims(&policy, s.handle)))
                    .is_some_and(|minted| &minted == placed),
            }),
            // Only the call as minted, by the credential it was minted for, is honoured.
            Property::always("OnlyAsMinted", |_, s: &State| matches!(s.outcome, Outcome::Decided(_)) == (s.call == 0)),
        ]
    }
}
