//! Claim 16 end to end: the positive counts match TLC and `tla`, the
//! negative's counterexample is a handle honoured after a reload that no
//! longer grants it, and the gateway's own `rederive` with the seam off
//! refuses that handle.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use palisade::seams::Bug;
use palisade_gateway::sessions::rederive;
use palisade_models::handle_grounds::{mint, policies, spawned, HandleGroundsModel, SENDERS};
use palisade_models::verify::{counterexample, positive_states, tla_negative_violates};

#[test]
fn handle_grounds_claim_end_to_end() {
    // The only test in this binary: the seam is process-wide.
    assert_eq!(positive_states("HandleGrounds"), Ok(192));
    assert_eq!(tla_negative_violates("HandleGrounds_BugTrustSealed", "GrantedByPolicyInForce"), Ok(()));

    let state = counterexample(HandleGroundsModel { bug: Bug::TrustSealedContext }, "GrantedByPolicyInForce").unwrap().last_state().clone();
    assert!(state.honoured && state.minted_under != state.in_force, "{state:?}");
    // Replay through the real gateway code with the seam off: refused.
    let policies = policies();
    let minted = mint(&policies[state.minted_under], SENDERS[state.sender]).unwrap();
    let claims = if state.spawned { spawned(&minted) } else { minted };
    assert!(rederive(policies[state.in_force].engine(), &claims, false).is_err(), "{state:?}");
    // Under the policy it was minted by, the same handle is honoured.
    assert!(rederive(policies[state.minted_under].engine(), &claims, false).is_ok());
}
