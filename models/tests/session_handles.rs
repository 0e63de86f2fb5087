//! Claim 13 end to end: the positive counts match TLC and `tla`, the
//! negative's counterexample is a call whose body named a context field
//! that the gateway took, and the gateway's own `open_call` with the seam
//! off refuses that call.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use palisade::seams::Bug;
use palisade::Policy;
use palisade_gateway::handles::HandleKey;
use palisade_models::session_handles::{outcome, Outcome, SessionHandlesModel, CALLS, POLICY};
use palisade_models::verify::{counterexample, positive_states};

#[test]
fn session_handles_claim_end_to_end() {
    // The only test in this binary: the seam is process-wide.
    assert_eq!(positive_states("SessionHandles"), Ok(80));

    let state = counterexample(SessionHandlesModel { bug: Bug::ClientOverridesHandle }, "HandleDecides").unwrap().last_state().clone();
    assert!(CALLS[state.call].starts_with("body_"), "{state:?}");
    assert!(matches!(state.outcome, Outcome::Decided(_)), "{state:?}");
    // Replay through the real gateway code with the seam off: refused.
    let policy = Policy::from_dsl("handles.pal", POLICY).unwrap();
    assert_eq!(outcome(&policy, &HandleKey::new([7; 32]), state.handle, state.call), Outcome::Refused, "{state:?}");
    // And the call as minted is honoured, so the refusal is about the field.
    assert!(matches!(outcome(&policy, &HandleKey::new([7; 32]), state.handle, 0), Outcome::Decided(_)));
}
