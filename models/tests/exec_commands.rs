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
    assert_eq!(positive_states("ExecCommands"), Ok(1176 * 27));
    assert_eq!(tla_negative_violates("ExecCommands_BugFirstSegment", "OnlyIfEverySegment"), Ok(()));

    let state = counterexample(ExecCommandsModel { bug: Bug::FirstSegmentOnly }, "OnlyIfEverySegment").unwrap().last_state().clone();
    assert_eq!(state.outcome, ToolOutcome::Allow, "{state:?}");
    let segs = segments(&state.command);
    assert!(segs.iter().any(|s| !seg_allowed(s, &state.block)), "{state:?}");
    // Replay with the real engine, seam off: the same command is not allowed.
    let policy = Policy::from_dsl("replay.pal", &policy_text(&state.block)).unwrap();
    assert_ne!(decide(&policy, &render(&state.command)), ToolOutcome::Allow, "{}", render(&state.command));
}
