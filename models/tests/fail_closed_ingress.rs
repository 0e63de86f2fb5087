//! Claim 12, ingress half, end to end: the positive counts match TLC and
//! `tla`, every channel setting compiles, the negative's counterexample is
//! a message that got further with a field left out than with some value
//! of it, and the real gate with the seam off does not let it through.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use palisade::seams::Bug;
use palisade::Policy;
use palisade_models::fail_closed_ingress::{gate_real, policy_text, FailClosedIngressModel, CHANNELS, FIELDS};
use palisade_models::verify::{counterexample, positive_states};

#[test]
fn fail_closed_ingress_claim_end_to_end() {
    // The only test in this binary: the seam is process-wide.
    for channel in 0..CHANNELS {
        Policy::from_dsl("ingress.pal", &policy_text(channel)).unwrap_or_else(|e| panic!("{}\n{e:?}", policy_text(channel)));
    }
    assert_eq!(positive_states("FailClosedIngress"), Ok(41_472));

    let model = FailClosedIngressModel::new(Bug::ConvenientDefaults);
    let s = counterexample(model.clone(), "FailClosed").unwrap().last_state().clone();
    let further = FIELDS.iter().enumerate().skip(1).any(|(field, (_, values))| {
        s.message[field] == 0
            && (1..values.len()).any(|v| {
                let mut m = s.message;
                m[field] = v;
                model.gate(s.channel, &m) < s.outcome
            })
    });
    assert!(further, "{s:?}");
    // Replay on the real gate with the seam off: the message gets less far.
    let policy = Policy::from_dsl("ingress.pal", &policy_text(s.channel)).unwrap();
    assert!(gate_real(Some(&policy), &s.message) < s.outcome, "{s:?}");
}
