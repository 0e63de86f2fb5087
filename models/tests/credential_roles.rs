//! Claim 10 end to end: the positive counts match TLC and `tla`, the
//! negative's counterexample is a device credential allowed an operator
//! action, and the real permission table with the seam off refuses it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use palisade::seams::Bug;
use palisade_models::credential_roles::{authenticates, may, CredentialRolesModel, RUNTIME_ENDPOINTS};
use palisade_models::verify::{counterexample, positive_states};

#[test]
fn credential_roles_claim_end_to_end() {
    // The only test in this binary: the seam is process-wide.
    assert_eq!(positive_states("CredentialRoles"), Ok(160));

    let state = counterexample(CredentialRolesModel { bug: Bug::DeviceEverywhere }, "OnlyOperatorActs").unwrap().last_state().clone();
    assert_eq!((state.role, state.fate, state.allowed), (2, "live", true), "{state:?}");
    assert!(!RUNTIME_ENDPOINTS.contains(&state.endpoint), "{state:?} is an operator action");
    // Replay on the real code with the seam off: the device is refused there.
    assert!(authenticates(state.role, state.fate).unwrap());
    assert!(!may(state.role, state.endpoint), "{state:?}");
}
