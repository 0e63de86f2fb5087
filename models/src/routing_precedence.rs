//! Claim 11, routing precedence, as a stateright model over the universe of
//! `tla/RoutingPrecedence.tla`: every subset of four candidate bindings (in
//! policy order, least specific first) and every direct message from two
//! peers on two accounts. Each subset is compiled as a policy and each
//! message routed by the real engine; the property compares the engine's
//! agent with the precedence table written out here.

use palisade::seams::{with_bug, Bug};
use palisade::Inbound;
use palisade::Policy;
use stateright::{Model, Property};

/// (binding text, agent, precedence rank: lower is more specific), in policy order.
pub const CANDIDATES: [(&str, &str, u8); 4] = [
    ("telegram account * -> w", "w", 8),
    ("telegram account \"biz\" -> z", "z", 7),
    ("telegram peer * -> y", "y", 3),
    ("telegram peer \"p1\" -> x", "x", 1),
];
pub const PEERS: [&str; 2] = ["p1", "p2"];
pub const ACCOUNTS: [&str; 2] = ["default", "biz"];

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct State {
    pub mask: u8,
    pub peer: usize,
    pub account: usize,
    pub routed: String,
}

#[derive(Clone, Debug)]
pub struct RoutingPrecedenceModel {
    pub bug: Bug,
}

/// The policy holding the candidates `mask` selects, in candidate order.
pub fn policy_text(mask: u8) -> String {
    let bindings: Vec<&str> = CANDIDATES.iter().enumerate().filter(|(i, _)| mask >> i & 1 == 1).map(|(_, c)| c.0).collect();
    format!(
        "agent d {{ default }}\nagent w {{}}\nagent x {{}}\nagent y {{}}\nagent z {{}}\n\
         channel telegram {{ dm open  allow_from \"*\" }}\nroute {{ {} }}\n",
        bindings.join("  ")
    )
}

/// The agent the real engine routes a direct message to.
pub fn route(mask: u8, peer: &str, account: &str) -> Option<String> {
    let policy = Policy::from_dsl("precedence.pal", &policy_text(mask)).ok()?;
    let mut inbound = Inbound::direct("telegram", peer, "hi");
    inbound.account = Some(account);
    policy.engine().route(&inbound).ok().map(|r| r.agent.to_string())
}

/// The precedence table: the matching candidate of lowest rank, else `d`.
pub fn most_specific(mask: u8, peer: &str, account: &str) -> &'static str {
    let matches = |i: usize| match i {
        0 => true,
        1 => account == "biz",
        2 => account == "default",
        _ => account == "default" && peer == "p1",
    };
    CANDIDATES.iter().enumerate().filter(|(i, _)| mask >> i & 1 == 1 && matches(*i)).min_by_key(|(_, c)| c.2).map_or("d", |(_, c)| c.1)
}

impl Model for RoutingPrecedenceModel {
    type State = State;
    type Action = ();

    fn init_states(&self) -> Vec<State> {
        with_bug(self.bug, || {
            let mut states = Vec::new();
            for mask in 0..16u8 {
                for (peer, p) in PEERS.iter().enumerate() {
                    for (account, a) in ACCOUNTS.iter().enumerate() {
                        let routed = route(mask, p, a).unwrap_or_else(|| "error".into());
                        states.push(State { mask, peer, account, routed });
                    }
                }
            }
            states
        })
    }

    crate::no_steps!();

    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::always("MostSpecificWins", |_, s: &State| {
            let (peer, account) = (PEERS.get(s.peer).copied().unwrap_or(""), ACCOUNTS.get(s.account).copied().unwrap_or(""));
            s.routed == most_specific(s.mask, peer, account)
        })]
    }
}
