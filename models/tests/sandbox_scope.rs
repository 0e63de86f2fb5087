//! Claim 8 end to end: equal state counts with TLA+, the negative trace puts
//! two sessions in one container, and the real naming with the seam off
//! gives those two sessions different containers and workspaces.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::Path;

use palisade::seams::Bug;
use palisade_models::sandbox_scope::{config, SandboxScopeModel, AGENTS, KEYS, SCOPES};
use palisade_models::verify::{counterexample, positive_states};

#[test]
fn sandbox_scope_claim_end_to_end() {
    assert_eq!(positive_states("SandboxScope"), Ok(24));

    let state = counterexample(SandboxScopeModel { bug: Bug::SlugOnlyNames }, "SessionsIsolated").unwrap().last_state().clone();
    assert_eq!(state.scope, 0);
    assert_eq!(state.containers[0], state.containers[1], "{state:?}");
    // Replay with the real naming, seam off.
    let config = config(SCOPES[state.scope]);
    let place = |i: usize| palisade_gateway::sandbox::placement(&config, Path::new("/state"), AGENTS[state.owner[i]], KEYS[i]);
    let (a, b) = (place(0), place(1));
    assert_ne!(a.container, b.container);
    assert!(a.workspace.is_none() && b.workspace.is_none(), "private scratch, one per container");
}
