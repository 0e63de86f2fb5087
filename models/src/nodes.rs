//! Claim 2, node command approvals, as a stateright model mirroring
//! `tla/NodeApproval.tla`. Every step runs on the real SQLite store: the
//! state's live approvals are loaded into a fresh in-memory store, the
//! step calls `node_approve` or `node_consume`, and the live set is read back.

use palisade::seams::{with_bug, Bug};
use palisade_gateway::store::Store;
use stateright::{Model, Property};

pub const REQUESTS: [&str; 2] = ["r1", "r2"];
pub const COMMANDS: [&str; 2] = ["c1", "c2"];
pub const PAIRS: usize = 4;

fn pair(i: usize) -> (&'static str, &'static str) {
    (REQUESTS.get(i / 2).copied().unwrap_or("r?"), COMMANDS.get(i % 2).copied().unwrap_or("c?"))
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct State {
    /// Live approvals, as read back from the store.
    pub live: [bool; PAIRS],
    pub granted: [u8; PAIRS],
    pub executed: [u8; PAIRS],
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Action {
    Approve(usize),
    Run(usize),
}

#[derive(Clone, Debug)]
pub struct NodesModel {
    pub bug: Bug,
}

/// One step on the real store; `None` if the store failed.
fn step(live: &[bool; PAIRS], action: Action, bug: Bug) -> Option<([bool; PAIRS], bool)> {
    let store = Store::in_memory().ok()?;
    for (i, on) in live.iter().enumerate() {
        if *on {
            let (r, c) = pair(i);
            store.node_approve(r, c, 0).ok()?;
        }
    }
    let ran = with_bug(bug, || match action {
        Action::Approve(i) => {
            let (r, c) = pair(i);
            store.node_approve(r, c, 0).ok().map(|()| false)
        }
        Action::Run(i) => {
            let (r, c) = pair(i);
            store.node_consume(r, c, 0, std::time::Duration::from_secs(600)).ok().map(|outcome| outcome.is_ok())
        }
    })?;
    let mut after = [false; PAIRS];
    for (r, c) in store.node_approvals().ok()? {
        if let Some(i) = (0..PAIRS).find(|i| pair(*i) == (r.as_str(), c.as_str())) {
            if let Some(slot) = after.get_mut(i) {
                *slot = true;
            }
        }
    }
    Some((after, ran))
}

impl Model for NodesModel {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        vec![State { live: [false; PAIRS], granted: [0; PAIRS], executed: [0; PAIRS] }]
    }

    fn actions(&self, state: &State, actions: &mut Vec<Action>) {
        for i in 0..PAIRS {
            if state.granted.get(i) == Some(&0) {
                actions.push(Action::Approve(i));
            }
            if state.executed.get(i).is_some_and(|n| *n < 2) {
                actions.push(Action::Run(i));
            }
        }
    }

    fn next_state(&self, state: &State, action: Action) -> Option<State> {
        let (live, ran) = step(&state.live, action, self.bug)?;
        let mut next = State { live, ..state.clone() };
        match action {
            Action::Approve(i) => *next.granted.get_mut(i)? = 1,
            // A refused run changes nothing, as in the spec (no step).
            Action::Run(_) if !ran => return None,
            Action::Run(i) => *next.executed.get_mut(i)? += 1,
        }
        Some(next)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::always("OnlyWithOwnApproval", |_, s: &State| s.executed.iter().zip(&s.granted).all(|(e, g)| e <= g))]
    }
}
