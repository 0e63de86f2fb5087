//! Claim 1 end to end: positive counts match TLA+, the negative's
//! counterexample is an exposed gateway serving a caller without credentials,
//! and the real code with the seam off refuses that configuration.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use palisade::seams::Bug;
use palisade_models::exposure::{local, run, ExposureModel, AUTHS, BINDS, PRESENTED};
use palisade_models::verify::{counterexample, positive_states};

#[test]
fn exposure_claim_end_to_end() {
    // The only test in this binary: the seam is process-wide.
    assert_eq!(positive_states("Exposure"), Ok(90));

    for (bug, listener) in [(Bug::NoBindCheck, None), (Bug::SocketOthersTrusted, Some("socket-shared"))] {
        let state = counterexample(ExposureModel { bug }, "NoUnauthenticatedExposure").unwrap().last_state().clone();
        assert!(!local(state.bind) && state.succeeded && PRESENTED[state.presented] != "right-secret-0123456789-abcdefghij", "{bug:?}: {state:?}");
        if let Some(listener) = listener {
            assert_eq!(BINDS[state.bind], listener, "{bug:?}: {state:?}");
        }
        // Replay on the real code with the seam off: that gateway does not start.
        let (started, succeeded) = run(BINDS[state.bind], AUTHS[state.auth], state.secret, PRESENTED[state.presented]);
        assert!(!started && !succeeded, "{bug:?}: {state:?}");
    }
}
