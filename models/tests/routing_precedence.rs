//! Claim 11 end to end: the positive counts match TLC and `tla`, the
//! negative's counterexample is a less specific binding written first
//! capturing a message, and the real router with the seam off picks the
//! most specific one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use palisade::seams::Bug;
use palisade_models::routing_precedence::{most_specific, route, RoutingPrecedenceModel, ACCOUNTS, PEERS};
use palisade_models::verify::{counterexample, positive_states};

#[test]
fn routing_precedence_claim_end_to_end() {
    // The only test in this binary: the seam is process-wide.
    assert_eq!(positive_states("Precedence"), Ok(64));

    let state = counterexample(RoutingPrecedenceModel { bug: Bug::RouteFirstMatch }, "MostSpecificWins").unwrap().last_state().clone();
    let (peer, account) = (PEERS[state.peer], ACCOUNTS[state.account]);
    let want = most_specific(state.mask, peer, account);
    assert_ne!(state.routed, want, "{state:?}");
    // Replay on the real router with the seam off: the most specific binding wins.
    assert_eq!(route(state.mask, peer, account).as_deref(), Some(want), "{state:?}");
}
