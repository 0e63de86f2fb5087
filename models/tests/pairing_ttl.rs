//! Claim 3 end to end: equal state counts with TLA+, the negative trace
//! approves an expired code, and replaying the same steps on the real store
//! with the seam off refuses that approval as expired.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::time::Duration;

use palisade::seams::Bug;
use palisade_gateway::store::{Refusal, Store};
use palisade_models::pairing_ttl::{code, peer, Action, PairingTtlModel, TTL};
use palisade_models::verify::{counterexample, positive_states};

#[test]
fn pairing_ttl_claim_end_to_end() {
    positive_states("PairingTTL").unwrap();

    let path = counterexample(PairingTtlModel { bug: Bug::PairingNoExpiry }, "NoApprovalAfterExpiry").unwrap();
    let last = path.last_state().clone();
    assert!(last.approved.iter().zip(&last.age).any(|(a, age)| *a && *age >= TTL), "{last:?}");

    // Replay on the real store, seam off: the late approval is refused.
    let store = Store::in_memory().unwrap();
    let ttl = Duration::from_secs(TTL as u64);
    let mut now = 0u64;
    let mut expired = 0;
    for action in path.into_actions() {
        match action {
            Action::Tick => now += 1000,
            Action::Request(i) => {
                let _ = store.pairing_request(&peer(i), &code(i), now, ttl, 3).unwrap();
            }
            Action::Approve(i) => {
                if store.pairing_approve("telegram", &code(i), now, ttl).unwrap() == Err(Refusal::Expired) {
                    expired += 1;
                }
            }
        }
    }
    assert!(expired >= 1, "the real store must refuse the expired approval");
}
