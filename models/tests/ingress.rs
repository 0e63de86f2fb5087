//! Claim 5 end to end: equal state counts with TLA+, the negative trace
//! accepts an unauthorised command without a mention, and the real gate
//! with the seam off drops it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use palisade::seams::Bug;
use palisade_models::ingress::{gate, policy, IngressModel};
use palisade_models::verify::{counterexample, positive_states};

#[test]
fn ingress_gating_claim_end_to_end() {
    assert_eq!(positive_states("Ingress"), Ok(192));

    let state = counterexample(IngressModel { bug: Bug::AnyCommandBypass }, "NoMentionBypass").unwrap().last_state().clone();
    assert!(state.accepted && state.message.command && !state.channel.authorised, "{state:?}");
    // Replay on the real gate, seam off: dropped.
    assert!(!gate(&policy(state.channel).unwrap(), state.message));
}
