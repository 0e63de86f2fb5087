//! Claim 9 end to end: equal state counts with TLA+, the negative trace
//! ends with an answer neither policy gives, and replaying the same steps
//! on the gateway's real slot and view with the seam off answers as the old
//! policy alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::Arc;

use palisade::seams::Bug;
use palisade::Policy;
use palisade::ToolRequest;
use palisade_gateway::reload::{decide_call, place_call, InForce, PolicySlot};
use palisade_models::hot_reload::{policy_text, Action, HotReloadModel};
use palisade_models::verify::{counterexample, positive_states, tla_negative_violates};

#[test]
fn hot_reload_claim_end_to_end() {
    assert_eq!(positive_states("HotReload"), Ok(142));
    tla_negative_violates("HotReload_BugRereads", "OneRequestOnePolicy").unwrap();

    let path = counterexample(HotReloadModel::new(Bug::ReloadRereads).unwrap(), "OneRequestOnePolicy").unwrap();
    let first = path.clone().into_states().first().cloned().unwrap();
    let last = path.last_state().clone();
    // The bug's shape: decided under one policy, placed under the other.
    assert_ne!(first.old, first.new);
    assert!(last.reloaded && last.decided == "allow", "{last:?}");
    let actions = path.into_actions();
    let reload_at = actions.iter().position(|a| *a == Action::Reload).unwrap();
    let decide_at = actions.iter().position(|a| *a == Action::Decide).unwrap();
    let place_at = actions.iter().position(|a| *a == Action::Place).unwrap();
    assert!(decide_at < reload_at && reload_at < place_at, "{actions:?}");

    // Replay on the real slot, seam off: the whole request answers as the
    // policy in force when it began.
    let in_force = |p: u8| InForce::from(Policy::from_dsl("reload.pal", &policy_text(p)).unwrap());
    let (old, new) = (in_force(first.old), in_force(first.new));
    let slot = PolicySlot::new(old.clone());
    let request = ToolRequest::new("main", "exec");
    let mut view = None;
    let mut answer = (None, None);
    for action in actions {
        match action {
            Action::View => view = Some(slot.view()),
            Action::Decide => answer.0 = Some(decide_call(view.as_ref().unwrap(), &request).allowed),
            Action::Place => answer.1 = Some(place_call(view.as_ref().unwrap(), &request).unwrap().sandboxed),
            Action::Reload => {
                slot.replace(new.clone());
            }
        }
    }
    let old_sandboxed = old.engine.context(&request).unwrap().sandboxed();
    assert_eq!(answer, (Some(old.engine.decide(&request)), Some(old_sandboxed)), "the request kept the policy it began with");
    assert!(Arc::ptr_eq(&slot.view().engine(), &new.engine), "and the reload took effect for the next one");
}
