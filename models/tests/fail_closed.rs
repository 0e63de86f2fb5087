//! Claim 12 end to end: the positive counts match TLC and `tla`, every
//! policy of the universe compiles, the negative's counterexample is a
//! request allowed with a field left out that a value of the field denies,
//! and the real engine with the seam off denies that request.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use palisade::seams::Bug;
use palisade::Policy;
use palisade_models::fail_closed::{decide_real, policy_text, FailClosedModel, FIELDS};
use palisade_models::verify::{counterexample, positive_states};

#[test]
fn fail_closed_claim_end_to_end() {
    // The only test in this binary: the seam is process-wide.
    for mask in 0..64u8 {
        Policy::from_dsl("fail-closed.pal", &policy_text(mask)).unwrap_or_else(|e| panic!("{}\n{e:?}", policy_text(mask)));
    }
    assert_eq!(positive_states("FailClosed"), Ok(27_648));

    let state = counterexample(FailClosedModel::new(Bug::ConvenientDefaults), "FailClosed").unwrap().last_state().clone();
    assert!(state.allowed, "{state:?}");
    // Some left-out field has a value under which the bugged engine denies.
    let model = FailClosedModel::new(Bug::ConvenientDefaults);
    let stricter = FIELDS.iter().any(|(_, count, get, set)| {
        get(&state.request) == 0
            && (1..*count).any(|v| {
                let mut r = state.request;
                set(&mut r, v);
                !model.decide(state.mask, state.tool, &r)
            })
    });
    assert!(stricter, "{state:?}");
    // Replay on the real engine with the seam off: the request is denied.
    let policy = Policy::from_dsl("fail-closed.pal", &policy_text(state.mask)).unwrap();
    assert!(!decide_real(Some(&policy), state.tool, &state.request), "{state:?}");
}
