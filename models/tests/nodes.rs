//! Claim 2 end to end: equal state counts with TLA+, the negative trace runs
//! a command under another request's approval, and replaying the same steps
//! on the real store with the seam off refuses that run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use palisade::seams::Bug;
use palisade_gateway::store::Store;
use palisade_models::nodes::{Action, NodesModel, COMMANDS, REQUESTS};
use palisade_models::verify::{counterexample, positive_states};

#[test]
fn node_approval_claim_end_to_end() {
    positive_states("NodeApproval").unwrap();

    let path = counterexample(NodesModel { bug: Bug::NodeAnyRequest }, "OnlyWithOwnApproval").unwrap();
    let last = path.last_state();
    assert!(last.executed.iter().zip(&last.granted).any(|(e, g)| e > g), "{last:?}");

    // Replay the same steps on the real store, seam off.
    let store = Store::in_memory().unwrap();
    let mut refused = 0;
    for action in path.into_actions() {
        match action {
            Action::Approve(i) => store.node_approve(REQUESTS[i / 2], COMMANDS[i % 2], 0).unwrap(),
            Action::Run(i) => {
                if store.node_consume(REQUESTS[i / 2], COMMANDS[i % 2], 0, std::time::Duration::from_secs(600)).unwrap().is_err() {
                    refused += 1;
                }
            }
        }
    }
    assert!(refused >= 1, "the real store must refuse the run the bug allowed");
}
