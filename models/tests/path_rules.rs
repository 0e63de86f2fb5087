//! Claim 17 end to end: equal state counts with TLA+ (both checkers), each
//! negative trace is a path the spec denies and the buggy engine allows,
//! and the real engine with the seam off denies that path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use palisade::seams::Bug;
use palisade::{Policy, ToolOutcome};
use palisade_models::path_rules::{allowed, decide, policy_text, render, PathRulesModel};
use palisade_models::verify::{counterexample, positive_states, tla_negative_violates};

#[test]
fn path_rules_claim_end_to_end() {
    assert_eq!(positive_states("PathRules"), Ok(468 * 27));
    for (spec, bug) in [("PathRules_BugNotNormalised", Bug::PathsNotNormalised), ("PathRules_BugDenyOwnAnchor", Bug::DenyOnlyOwnAnchor)] {
        assert_eq!(tla_negative_violates(spec, "AllowedOnlyIfMatched"), Ok(()), "{spec}");
        let state = counterexample(PathRulesModel { bug }, "AllowedOnlyIfMatched").unwrap().last_state().clone();
        assert_eq!(state.outcome, ToolOutcome::Allow, "{state:?}");
        assert!(!allowed(&state.path, &state.block), "{state:?}");
        // Replay with the real engine, seam off: the same path is not allowed.
        let policy = Policy::from_dsl("replay.pal", &policy_text(&state.block)).unwrap();
        assert_ne!(decide(&policy, &render(&state.path)), ToolOutcome::Allow, "{bug:?}: {}", render(&state.path));
        eprintln!("{spec}: `{}` under {}", render(&state.path), policy_text(&state.block).trim());
    }
    path_rules_coverage();
}

/// How much of the universe the invariant bites on: the states it
/// constrains (the decision is allow, or the spec denies), and for each
/// injected bug the states it changes and those it lets through. Called
/// from the one test above: the seams are process-wide.
fn path_rules_coverage() {
    use stateright::Model;
    let good = PathRulesModel { bug: Bug::None }.init_states();
    let denied = good.iter().filter(|s| !allowed(&s.path, &s.block)).count();
    eprintln!("PathRules: {} states, {denied} the spec denies ({:.1}%)", good.len(), 100.0 * denied as f64 / good.len() as f64);
    assert!(denied * 20 > good.len(), "the invariant must constrain a real share of the states");
    for bug in [Bug::PathsNotNormalised, Bug::DenyOnlyOwnAnchor] {
        let bad = PathRulesModel { bug }.init_states();
        assert_eq!(bad.len(), good.len());
        let changed = bad.iter().zip(&good).filter(|(b, g)| b.outcome != g.outcome).count();
        let through = bad.iter().zip(&good).filter(|(b, g)| b.outcome == ToolOutcome::Allow && g.outcome != ToolOutcome::Allow).count();
        eprintln!(
            "  {bug:?}: changes {changed} states ({:.2}%), {through} of them let through what the spec denies",
            100.0 * changed as f64 / good.len() as f64
        );
        assert!(through > 0, "{bug:?} must let something through");
    }
}
