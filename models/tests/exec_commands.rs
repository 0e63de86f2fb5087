//! Claim 15 end to end: equal state counts with TLA+ (both checkers), the
//! negative trace is a command whose first segment is allowed and a later
//! one is not, and the real engine with the seam off denies that command.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use palisade::seams::Bug;
use palisade::{Policy, ToolOutcome};
use palisade_models::exec_commands::{decide, policy_text, render, seg_allowed, segments, ExecCommandsModel};
use palisade_models::verify::{counterexample, positive_states, tla_negative_violates};

#[test]
fn exec_commands_claim_end_to_end() {
    assert_eq!(positive_states("ExecCommands"), Ok(21660 * 27));
    for (spec, bug) in [
        ("ExecCommands_BugFirstSegment", Bug::FirstSegmentOnly),
        ("ExecCommands_BugJoinAndAnd", Bug::JoinAndAnd),
        ("ExecCommands_BugNoQuotesInBraces", Bug::NoQuotesInBraces),
    ] {
        assert_eq!(tla_negative_violates(spec, "OnlyIfEverySegment"), Ok(()), "{spec}");
        let state = counterexample(ExecCommandsModel { bug }, "OnlyIfEverySegment").unwrap().last_state().clone();
        assert_eq!(state.outcome, ToolOutcome::Allow, "{state:?}");
        let segs = segments(&state.command);
        assert!(segs.iter().any(|s| !seg_allowed(s, &state.block)), "{state:?}");
        // Replay with the real engine, seam off: the same command is not allowed.
        let policy = Policy::from_dsl("replay.pal", &policy_text(&state.block)).unwrap();
        assert_ne!(decide(&policy, &render(&state.command)), ToolOutcome::Allow, "{bug:?}: {}", render(&state.command));
    }
    exec_commands_coverage();
}

/// How much of the universe the invariant bites on: the states it constrains
/// (the decision is allow), and for each injected bug the states it changes
/// and those where it lets through what the spec denies. Called from the
/// one test above: the seams are process-wide, so no two tests of this
/// binary may inject bugs at once.
fn exec_commands_coverage() {
    use stateright::Model;
    let good = ExecCommandsModel { bug: Bug::None }.init_states();
    let allowed = good.iter().filter(|s| s.outcome == ToolOutcome::Allow).count();
    eprintln!("ExecCommands: {} states, {allowed} allowed ({:.1}%)", good.len(), 100.0 * allowed as f64 / good.len() as f64);
    assert!(allowed * 20 > good.len(), "the invariant must constrain a real share of the states");
    for bug in [Bug::FirstSegmentOnly, Bug::JoinAndAnd, Bug::NoQuotesInBraces] {
        let bad = ExecCommandsModel { bug }.init_states();
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
