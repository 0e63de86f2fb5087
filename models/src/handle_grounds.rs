//! Claim 16, no trust outlives the policy, as a stateright model over the
//! universe of `tla/HandleGrounds.tla`: 8 policies (sender 2 on the allow
//! list or not, routed to agent `b` or to the default `a`, sender 1 an
//! owner or not), every handle the gateway mints under one of them (as
//! `/v1/ingress` does, with the real engine's gate and route), as minted
//! or as a spawned sub-agent's, used after a reload to any of the 8. The
//! gateway's own `sessions::rederive` says whether it is honoured; the
//! properties compare that with a fresh gate and route under the policy in
//! force.

use palisade::seams::{with_bug, Bug};
use palisade::wire::OwnedInbound;
use palisade::{IngressOutcome, Policy};
use palisade_gateway::handles::{Claims, Grounds};
use palisade_gateway::sessions::rederive;
use stateright::{Model, Property};

pub const SENDERS: [&str; 2] = ["1", "2"];

/// Policy `p`'s text: bit 0 allows sender 2, bit 1 routes it to `b`, bit 2
/// lists sender 1 in `owners`.
pub fn policy_text(p: usize) -> String {
    let allow = if p & 1 != 0 { "\"1\", \"2\"" } else { "\"1\"" };
    let route2 = if p & 2 != 0 { "  telegram peer \"2\" -> b" } else { "" };
    let owners = if p & 4 != 0 { "owners \"telegram:1\"\n" } else { "" };
    format!(
        "{owners}agent a {{ default }}\nagent b {{ }}\n\
         channel telegram {{ dm allowlist  allow_from {allow} }}\n\
         sessions {{ dm_scope per_channel_peer }}\n\
         route {{ telegram peer \"1\" -> b{route2} }}\n"
    )
}

pub fn policies() -> Vec<Policy> {
    (0..8).filter_map(|p| Policy::from_dsl("grounds.pal", &policy_text(p)).ok()).collect()
}

/// A direct message from `sender`, as the runtime relays it.
fn message(sender: &str) -> Option<OwnedInbound> {
    let json = format!("{{\"kind\":\"ingress\",\"channel\":\"telegram\",\"sender\":\"{sender}\",\"text\":\"hi\"}}");
    match palisade::wire::parse(&json) {
        Ok(palisade::wire::AnyRequest::Ingress(inbound)) => Some(inbound),
        _ => None,
    }
}

/// What minting under `policy` gives for a message of `sender`, as
/// `/v1/ingress` computes it: `None` when the gate drops it.
pub fn mint(policy: &Policy, sender: &str) -> Option<Claims> {
    let engine = policy.engine();
    let inbound = message(sender)?;
    if inbound.with_inbound(|i| engine.gate(i).outcome) != IngressOutcome::Accept {
        return None;
    }
    let (agent, session) = inbound.with_inbound(|i| engine.route(i).map(|r| (r.agent.to_string(), r.session_key))).ok()?;
    let full = format!("telegram:{sender}");
    Some(Claims {
        principal: "rt1".into(),
        owner: engine.is_owner_sender(&full),
        agent,
        session,
        channel: "telegram".into(),
        account: None,
        sender: full,
        chat: "direct".into(),
        chat_id: sender.into(),
        subagent: false,
        expires_ms: u64::MAX,
        grounds: Some(Grounds::of(&inbound)),
        parent_session: None,
    })
}

/// A sub-agent's handle spawned from `parent`, as `/v1/sessions/spawn` makes it.
pub fn spawned(parent: &Claims) -> Claims {
    let session = palisade::subagent_session_key(&parent.agent, "0a0b0c");
    Claims { session, subagent: true, parent_session: Some(parent.session.clone()), ..parent.clone() }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct State {
    pub minted_under: usize,
    pub sender: usize,
    pub spawned: bool,
    pub in_force: usize,
    pub honoured: bool,
}

#[derive(Clone, Debug)]
pub struct HandleGroundsModel {
    pub bug: Bug,
}

/// Whether minting afresh under `in_force` gives the handle's context.
fn granted_now(policies: &[Policy], s: &State) -> bool {
    let sender = SENDERS.get(s.sender).copied().unwrap_or("1");
    let (Some(then), Some(now)) = (policies.get(s.minted_under), policies.get(s.in_force)) else { return false };
    match (mint(then, sender), mint(now, sender)) {
        (Some(then), Some(now)) => (then.agent, then.session, then.owner) == (now.agent, now.session, now.owner),
        _ => false,
    }
}

impl Model for HandleGroundsModel {
    type State = State;
    type Action = ();

    fn init_states(&self) -> Vec<State> {
        let policies = policies();
        with_bug(self.bug, || {
            let mut states = Vec::new();
            for (minted_under, then) in policies.iter().enumerate() {
                for (sender, name) in SENDERS.iter().enumerate() {
                    let Some(minted) = mint(then, name) else { continue };
                    for spawned in [false, true] {
                        let claims = if spawned { self::spawned(&minted) } else { minted.clone() };
                        for (in_force, now) in policies.iter().enumerate() {
                            let honoured = rederive(now.engine(), &claims, false).is_ok();
                            states.push(State { minted_under, sender, spawned, in_force, honoured });
                        }
                    }
                }
            }
            states
        })
    }

    crate::no_steps!();

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("GrantedByPolicyInForce", |_, s: &State| !s.honoured || granted_now(&policies(), s)),
            Property::always("NotRefusedNeedlessly", |_, s: &State| s.honoured || !granted_now(&policies(), s)),
        ]
    }
}
