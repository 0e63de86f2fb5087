//! Claim 6, session routing isolation, as a stateright model mirroring
//! `tla/RoutingIsolation.tla`: for every dm scope, with and without a link,
//! and every pair of direct messages, the real engine builds both keys.

use palisade::seams::{with_bug, Bug};
use palisade::Inbound;
use palisade::Policy;
use stateright::{Model, Property};

pub const SCOPES: [&str; 4] = ["main", "per_peer", "per_channel_peer", "per_account_channel_peer"];
pub const IDENTITIES: [(&str, &str); 3] = [("telegram", "p1"), ("telegram", "p2"), ("discord", "p1")];
pub const ACCOUNTS: [&str; 2] = ["default", "biz"];
/// The link joins identities 1 and 2.
pub const LINKED: [usize; 2] = [1, 2];

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct State {
    pub scope: usize,
    pub linked: bool,
    /// (identity, account) of each message.
    pub m1: (usize, usize),
    pub m2: (usize, usize),
    pub k1: String,
    pub k2: String,
}

#[derive(Clone, Debug)]
pub struct RoutingModel {
    pub bug: Bug,
}

pub fn policy(scope: &str, linked: bool) -> Option<Policy> {
    let link = if linked { "  link person = telegram:p2, discord:p1\n" } else { "" };
    Policy::from_dsl("routing.pal", &format!("agent main {{}}\nsessions {{ dm_scope {scope}\n{link}}}\n")).ok()
}

pub fn key(policy: &Policy, m: (usize, usize)) -> String {
    let (channel, peer) = IDENTITIES.get(m.0).copied().unwrap_or(("?", "?"));
    let mut inbound = Inbound::direct(channel, peer, "");
    inbound.account = ACCOUNTS.get(m.1).copied();
    policy.engine().session_key_for("main", &inbound)
}

fn in_link(s: &State, m: (usize, usize)) -> bool {
    s.linked && LINKED.contains(&m.0)
}

fn identity(m: (usize, usize)) -> (&'static str, &'static str) {
    IDENTITIES.get(m.0).copied().unwrap_or(("?", "?"))
}

impl Model for RoutingModel {
    type State = State;
    type Action = ();

    fn init_states(&self) -> Vec<State> {
        let messages: Vec<(usize, usize)> = (0..IDENTITIES.len()).flat_map(|i| (0..ACCOUNTS.len()).map(move |a| (i, a))).collect();
        with_bug(self.bug, || {
            let mut states = Vec::new();
            for (scope, s) in SCOPES.iter().enumerate() {
                for linked in [false, true] {
                    let Some(policy) = policy(s, linked) else { continue };
                    for m1 in &messages {
                        for m2 in &messages {
                            states.push(State { scope, linked, m1: *m1, m2: *m2, k1: key(&policy, *m1), k2: key(&policy, *m2) });
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
            Property::always("UnlinkedIsolated", |_, s: &State| {
                let distinct = match s.scope {
                    1 => identity(s.m1).1 != identity(s.m2).1,
                    2 => s.m1.0 != s.m2.0,
                    _ => s.m1 != s.m2,
                };
                s.scope == 0 || in_link(s, s.m1) || in_link(s, s.m2) || !distinct || s.k1 != s.k2
            }),
            Property::always("LinkedShare", |_, s: &State| {
                let same_where = match s.scope {
                    1 => true,
                    2 => identity(s.m1).0 == identity(s.m2).0,
                    _ => identity(s.m1).0 == identity(s.m2).0 && s.m1.1 == s.m2.1,
                };
                s.scope == 0 || !in_link(s, s.m1) || !in_link(s, s.m2) || !same_where || s.k1 == s.k2
            }),
        ]
    }
}
