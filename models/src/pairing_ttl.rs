//! Claim 3, pairing TTL, as a stateright model mirroring `tla/PairingTTL.tla`.
//! Every step runs on the real SQLite store: the state (pending requests with
//! their creation times, approved senders) is loaded into a fresh in-memory
//! store through its own API, the step calls `pairing_request` or
//! `pairing_approve` with the clock in milliseconds, and the rows are read back.

use std::time::Duration;

use palisade::seams::{with_bug, Bug};
use palisade_gateway::store::{Peer, Store};
use stateright::{Model, Property};

pub const SENDERS: [&str; 2] = ["s1", "s2"];
pub const TTL: i64 = 2;
pub const MAX_TIME: i64 = 3;
const CAP: usize = 3;
const UNIT_MS: u64 = 1000;

fn ttl() -> Duration {
    Duration::from_millis(TTL.unsigned_abs() * UNIT_MS)
}

pub fn peer(i: usize) -> Peer {
    ("telegram".into(), "default".into(), SENDERS.get(i).copied().unwrap_or("s?").into())
}

pub fn code(i: usize) -> String {
    format!("CODE000{i}")
}

fn ms(t: i64) -> u64 {
    t.unsigned_abs() * UNIT_MS
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct State {
    pub now: i64,
    /// Creation time of each sender's pending request, -1 for none.
    pub pending: [i64; 2],
    pub approved: [bool; 2],
    /// Age of the request when it was approved, -1 for none.
    pub age: [i64; 2],
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Action {
    Tick,
    Request(usize),
    Approve(usize),
}

#[derive(Clone, Debug)]
pub struct PairingTtlModel {
    pub bug: Bug,
}

/// A store holding exactly `state`, built through the store's own API.
fn load(state: &State) -> Option<Store> {
    let store = Store::in_memory().ok()?;
    for (i, approved) in state.approved.iter().enumerate() {
        if *approved {
            store.pairing_request(&peer(i), &code(i), 0, ttl(), CAP).ok()?.ok()?;
            store.pairing_approve("telegram", &code(i), 0, ttl()).ok()?.ok()?;
        }
    }
    let mut rows: Vec<(usize, i64)> = state.pending.iter().copied().enumerate().filter(|(_, c)| *c >= 0).collect();
    rows.sort_by_key(|(_, c)| *c);
    for (i, created) in rows {
        store.pairing_request(&peer(i), &code(i), ms(created), ttl(), CAP).ok()?.ok()?;
    }
    Some(store)
}

impl Model for PairingTtlModel {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        vec![State { now: 0, pending: [-1; 2], approved: [false; 2], age: [-1; 2] }]
    }

    fn actions(&self, state: &State, actions: &mut Vec<Action>) {
        if state.now < MAX_TIME {
            actions.push(Action::Tick);
        }
        for i in 0..SENDERS.len() {
            actions.push(Action::Request(i));
            if state.pending.get(i).is_some_and(|c| *c >= 0) {
                actions.push(Action::Approve(i));
            }
        }
    }

    fn next_state(&self, state: &State, action: Action) -> Option<State> {
        if action == Action::Tick {
            return Some(State { now: state.now + 1, ..state.clone() });
        }
        let store = load(state)?;
        let outcome = with_bug(self.bug, || match action {
            Action::Request(i) => store.pairing_request(&peer(i), &code(i), ms(state.now), ttl(), CAP).map(|r| r.is_ok()),
            Action::Approve(i) => store.pairing_approve("telegram", &code(i), ms(state.now), ttl()).map(|r| r.is_ok()),
            Action::Tick => Ok(false),
        });
        let changed = outcome.ok()?;
        // A refused request is no step (the spec's guard is false).
        if matches!(action, Action::Request(_)) && !changed {
            return None;
        }
        let mut next = State { pending: [-1; 2], approved: [false; 2], ..state.clone() };
        for (p, _, created) in store.pairing_rows().ok()? {
            if let Some(i) = (0..SENDERS.len()).find(|i| peer(*i) == p) {
                *next.pending.get_mut(i)? = i64::try_from(created / UNIT_MS).ok()?;
            }
        }
        let (_, approved) = store.pairing_snapshot(ms(state.now), ttl()).ok()?;
        for p in approved {
            if let Some(i) = (0..SENDERS.len()).find(|i| peer(*i) == p) {
                *next.approved.get_mut(i)? = true;
            }
        }
        if let Action::Approve(i) = action {
            if changed {
                *next.age.get_mut(i)? = state.now - state.pending.get(i)?;
            }
        }
        Some(next)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::always("NoApprovalAfterExpiry", |_, s: &State| s.approved.iter().zip(&s.age).all(|(approved, age)| !approved || *age < TTL))]
    }
}
