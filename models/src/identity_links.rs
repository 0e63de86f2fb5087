//! Claim 14, identity links, as a stateright model over the universe of
//! `tla/IdentityLinks.tla`: every dm scope, every link set over four
//! identities (each in link `l1`, in link `l2`, or in none; `l2` written
//! one statement per member, so a link set spread over statements is
//! merged), and every pair of direct messages from those identities on two
//! accounts. One identity's peer id is `link:l1`, the text a linked key
//! carries. Each link set is compiled as a policy and each key built by the
//! real engine; the property compares key equality with the scope's and the
//! links' classes.

use palisade::seams::{with_bug, Bug};
use palisade::Inbound;
use palisade::Policy;
use stateright::{Model, Property};

/// The scopes and accounts of claim 6's universe.
pub use crate::routing::{ACCOUNTS, SCOPES};
pub const IDENTITIES: [(&str, &str); 4] = [("telegram", "a"), ("telegram", "b"), ("discord", "a"), ("telegram", "link:l1")];
pub const LINKS: [&str; 3] = ["none", "l1", "l2"];
/// Link sets: each identity's link, base 3.
pub const LINK_SETS: usize = 81;

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct State {
    pub scope: usize,
    pub links: usize,
    /// (identity, account) of each message.
    pub m1: (usize, usize),
    pub m2: (usize, usize),
    pub k1: String,
    pub k2: String,
}

#[derive(Clone, Debug)]
pub struct IdentityLinksModel {
    pub bug: Bug,
}

/// The link (index into `LINKS`) of `identity` in link set `links`.
pub fn link_of(links: usize, identity: usize) -> usize {
    links / 3usize.pow(identity as u32) % 3
}

pub fn policy_text(scope: &str, links: usize) -> String {
    let members = |l: usize| -> Vec<String> {
        IDENTITIES.iter().enumerate().filter(|(i, _)| link_of(links, *i) == l).map(|(_, (c, p))| format!("{c}:{p}")).collect()
    };
    let mut statements = Vec::new();
    let l1 = members(1);
    if !l1.is_empty() {
        statements.push(format!("link l1 = {}", l1.join(", ")));
    }
    statements.extend(members(2).into_iter().map(|m| format!("link l2 = {m}")));
    format!("agent main {{}}\nsessions {{ dm_scope {scope}\n  {}\n}}\n", statements.join("\n  "))
}

pub fn key(policy: &Policy, m: (usize, usize)) -> String {
    let (channel, peer) = IDENTITIES.get(m.0).copied().unwrap_or(("?", "?"));
    let mut inbound = Inbound::direct(channel, peer, "");
    inbound.account = ACCOUNTS.get(m.1).copied();
    policy.engine().session_key_for("main", &inbound)
}

/// The class of a message under a scope and a link set: two messages share
/// a session exactly when their classes are equal.
pub fn class(scope: usize, links: usize, m: (usize, usize)) -> (String, String, String) {
    let (channel, peer) = IDENTITIES.get(m.0).copied().unwrap_or(("?", "?"));
    let link = link_of(links, m.0);
    let who = if link == 0 { format!("peer {peer}") } else { format!("link {}", LINKS.get(link).copied().unwrap_or("?")) };
    let account = ACCOUNTS.get(m.1).copied().unwrap_or("?").to_string();
    match scope {
        0 => (String::new(), String::new(), String::new()),
        1 => (String::new(), String::new(), who),
        2 => (channel.to_string(), String::new(), who),
        _ => (channel.to_string(), account, who),
    }
}

impl Model for IdentityLinksModel {
    type State = State;
    type Action = ();

    fn init_states(&self) -> Vec<State> {
        let messages: Vec<(usize, usize)> = (0..IDENTITIES.len()).flat_map(|i| (0..ACCOUNTS.len()).map(move |a| (i, a))).collect();
        with_bug(self.bug, || {
            let mut states = Vec::new();
            for (scope, s) in SCOPES.iter().enumerate() {
                for links in 0..LINK_SETS {
                    let Ok(policy) = Policy::from_dsl("links.pal", &policy_text(s, links)) else { continue };
                    let keys: Vec<String> = messages.iter().map(|m| key(&policy, *m)).collect();
                    for (m1, k1) in messages.iter().zip(&keys) {
                        for (m2, k2) in messages.iter().zip(&keys) {
                            states.push(State { scope, links, m1: *m1, m2: *m2, k1: k1.clone(), k2: k2.clone() });
                        }
                    }
                }
            }
            states
        })
    }

    crate::no_steps!();

    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::always("LinksExactly", |_, s: &State| (s.k1 == s.k2) == (class(s.scope, s.links, s.m1) == class(s.scope, s.links, s.m2)))]
    }
}
