//! Claim 9, policy hot reload, as a stateright model mirroring
//! `tla/HotReload.tla`. Four policies are compiled once; every step runs the
//! gateway's own reload machinery on them: a `PolicySlot` holding the policy
//! in force, the request's `PolicyView`, `decide_call`, `place_call`, and
//! `PolicySlot::replace` for the reload.

use std::sync::Arc;

use palisade::seams::{with_bug, Bug};
use palisade::Policy;
use palisade::{Engine, ToolRequest};
use palisade_gateway::reload::{decide_call, place_call, InForce, PolicySlot};
use stateright::{Model, Property};

pub const POLICIES: u8 = 4;

/// Policy `p` allows `exec` when `p` is odd and sandboxes every call when
/// `p >= 2`: the spec's `Allows` and `Sandboxes`.
pub fn policy_text(p: u8) -> String {
    let tools = if p % 2 == 1 { "allow read, exec" } else { "allow read  deny exec" };
    let mode = if p >= 2 { "all" } else { "off" };
    format!("agent main {{ default sandbox {mode} tools {{ {tools} }} }}")
}

fn answer(p: u8) -> (&'static str, &'static str) {
    match (p % 2 == 1, p >= 2) {
        (false, _) => ("deny", "none"),
        (true, true) => ("allow", "sandbox"),
        (true, false) => ("allow", "host"),
    }
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Pc {
    View,
    Decide,
    Place,
    Done,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct State {
    pub old: u8,
    pub new: u8,
    /// The policy in the slot, read back from it.
    pub slot: u8,
    pub reloaded: bool,
    pub pc: Pc,
    /// The policy the request's view was taken on, -1 before.
    pub snap: i8,
    pub decided: &'static str,
    pub placed: &'static str,
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Action {
    View,
    Decide,
    Place,
    Reload,
}

#[derive(Clone, Debug)]
pub struct HotReloadModel {
    pub bug: Bug,
    engines: Vec<InForce>,
}

impl HotReloadModel {
    /// `None` if one of the four policies does not compile.
    pub fn new(bug: Bug) -> Option<Self> {
        let engines = (0..POLICIES).map(|p| Policy::from_dsl("reload.pal", &policy_text(p)).ok().map(InForce::from)).collect::<Option<Vec<_>>>()?;
        Some(HotReloadModel { bug, engines })
    }

    fn engine(&self, p: u8) -> Option<InForce> {
        self.engines.get(usize::from(p)).cloned()
    }

    fn index_of(&self, engine: &Arc<Engine>) -> Option<u8> {
        (0..POLICIES).find(|p| self.engines.get(usize::from(*p)).is_some_and(|e| Arc::ptr_eq(&e.engine, engine)))
    }
}

fn request() -> ToolRequest<'static> {
    ToolRequest::new("main", "exec")
}

impl Model for HotReloadModel {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        let mut states = Vec::new();
        for old in 0..POLICIES {
            for new in 0..POLICIES {
                states.push(State { old, new, slot: old, reloaded: false, pc: Pc::View, snap: -1, decided: "none", placed: "none" });
            }
        }
        states
    }

    fn actions(&self, state: &State, actions: &mut Vec<Action>) {
        match state.pc {
            Pc::View => actions.push(Action::View),
            Pc::Decide => actions.push(Action::Decide),
            Pc::Place => actions.push(Action::Place),
            Pc::Done => {}
        }
        if !state.reloaded {
            actions.push(Action::Reload);
        }
    }

    fn next_state(&self, state: &State, action: Action) -> Option<State> {
        // The slot as the state has it; a view taken when the request began.
        let slot = PolicySlot::new(self.engine(u8::try_from(state.snap).unwrap_or(state.slot))?);
        let view = slot.view();
        slot.replace(self.engine(state.slot)?);
        let mut next = state.clone();
        with_bug(self.bug, || {
            match action {
                Action::View => {
                    // A view taken now: on whatever the slot holds.
                    next.snap = i8::try_from(self.index_of(&slot.view().engine())?).ok()?;
                    next.pc = Pc::Decide;
                }
                Action::Decide => {
                    let allowed = decide_call(&view, &request()).allowed;
                    next.decided = if allowed { "allow" } else { "deny" };
                    next.pc = if allowed { Pc::Place } else { Pc::Done };
                }
                Action::Place => {
                    let placement = place_call(&view, &request())?;
                    next.placed = if placement.sandboxed { "sandbox" } else { "host" };
                    next.pc = Pc::Done;
                }
                Action::Reload => {
                    slot.replace(self.engine(state.new)?);
                    next.reloaded = true;
                }
            }
            next.slot = self.index_of(&slot.view().engine())?;
            Some(())
        })?;
        Some(next)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::always("OneRequestOnePolicy", |_, s: &State| {
            s.pc != Pc::Done || [s.old, s.new].into_iter().any(|p| answer(p) == (s.decided, s.placed))
        })]
    }
}
