//! Claim 6 end to end: equal state counts with TLA+, the negative trace puts
//! one peer's two accounts in one session, and the real key builder with the
//! seam off gives them two sessions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use palisade::seams::Bug;
use palisade_models::routing::{key, policy, RoutingModel, SCOPES};
use palisade_models::verify::{counterexample, positive_states};

#[test]
fn routing_isolation_claim_end_to_end() {
    assert_eq!(positive_states("Routing"), Ok(288));

    let state = counterexample(RoutingModel { bug: Bug::KeyWithoutAccount }, "UnlinkedIsolated").unwrap().last_state().clone();
    assert_eq!(SCOPES[state.scope], "per_account_channel_peer");
    assert_eq!(state.m1.0, state.m2.0, "same identity");
    assert_ne!(state.m1.1, state.m2.1, "two accounts");
    assert_eq!(state.k1, state.k2);
    // Replay on the real engine, seam off.
    let policy = policy(SCOPES[state.scope], state.linked).unwrap();
    assert_ne!(key(&policy, state.m1), key(&policy, state.m2));
}
