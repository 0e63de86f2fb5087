//! Claim 14 end to end: the positive counts match TLC and `tla`, each
//! negative's counterexample is a pair of messages whose keys disagree with
//! the scope's and the links' classes, and the real engine with the seam
//! off keys that pair as the classes say.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use palisade::seams::Bug;
use palisade::Policy;
use palisade_models::identity_links::{class, key, policy_text, IdentityLinksModel, SCOPES};
use palisade_models::verify::{counterexample, positive_states};

#[test]
fn identity_links_claim_end_to_end() {
    // The only test in this binary: the seam is process-wide.
    assert_eq!(positive_states("IdentityLinks"), Ok(20_736));

    for (bug, scope) in [(Bug::LinkUnderMain, "main"), (Bug::LinkAcrossAccounts, "per_account_channel_peer")] {
        let s = counterexample(IdentityLinksModel { bug }, "LinksExactly").unwrap().last_state().clone();
        assert_eq!(SCOPES[s.scope], scope, "{bug:?}: {s:?}");
        let share = class(s.scope, s.links, s.m1) == class(s.scope, s.links, s.m2);
        assert_ne!(s.k1 == s.k2, share, "{bug:?}: {s:?}");
        // Replay on the real engine with the seam off: the keys agree with the classes.
        let policy = Policy::from_dsl("links.pal", &policy_text(SCOPES[s.scope], s.links)).unwrap();
        assert_eq!(key(&policy, s.m1) == key(&policy, s.m2), share, "{bug:?}: {s:?}");
    }
}
