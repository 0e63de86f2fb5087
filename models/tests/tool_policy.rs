//! Claim 7 end to end: the table rows are the expected ones, the positive
//! TLA+ spec and its stateright mirror count the same states, each negative's
//! counterexample shows its bug, and replaying that counterexample against
//! the real code with the seam off shows the real code refuses it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::Path;
use std::sync::Mutex;

use palisade::seams::Bug;
use palisade_models::tool_policy::{decide, State, ToolPolicyModel};
use palisade_models::verify::{positive_states, tla_available, tla_dir};
use stateright::{Checker, Model};

/// The fold seam is process-wide; models that set it run one at a time.
static SEAM: Mutex<()> = Mutex::new(());

#[test]
fn positive_spec_and_model_agree_on_the_state_count() {
    let _seam = SEAM.lock().unwrap();
    assert_eq!(positive_states("ToolPolicy"), Ok(4096));
}

#[test]
fn the_fold_model_and_tla_agree_on_the_larger_universe() {
    let _seam = SEAM.lock().unwrap();
    assert_eq!(positive_states("ToolPolicy3"), Ok(262_144));
}

/// The first counterexample state stateright finds for `property`.
fn counterexample(bug: Bug, property: &'static str) -> State {
    let checker = ToolPolicyModel { bug }.checker().spawn_bfs().join();
    checker.discovery(property).unwrap_or_else(|| panic!("no counterexample for {property}")).last_state().clone()
}

#[test]
fn each_negative_trace_shows_its_bug_and_the_real_code_refuses_it() {
    let _seam = SEAM.lock().unwrap();
    // Allow lists unioned: a tool is allowed that some allow list leaves out.
    let state = counterexample(Bug::FoldAllowUnion, "NoGrantBack");
    let allowed = state.allowed.unwrap();
    assert!(state.layers.iter().any(|l| l.allow.is_some_and(|a| allowed & !a != 0)), "{state:?}");
    // Replay on the real code, seam off: the granted-back tool is refused.
    let real = decide(&state.layers).unwrap_or(0);
    assert!(state.layers.iter().all(|l| l.allow.is_none_or(|a| real & !a == 0)), "{state:?} -> {real:b}");
    assert_ne!(real, allowed);

    // A later allow re-grants a deny: an allowed tool is on some deny list.
    let state = counterexample(Bug::FoldDenyOverride, "DenyWins");
    let allowed = state.allowed.unwrap();
    assert!(state.layers.iter().any(|l| allowed & l.deny != 0), "{state:?}");
    let real = decide(&state.layers).unwrap_or(0);
    assert!(state.layers.iter().all(|l| real & l.deny == 0), "{state:?} -> {real:b}");
}

#[test]
fn negative_tla_traces_show_their_bug() {
    if !tla_available() {
        return;
    }
    for (spec, invariant) in [("ToolPolicy_BugAllowUnion", "NoGrantBack"), ("ToolPolicy_BugDenyOverride", "DenyWins")] {
        let out =
            std::process::Command::new("tla").args([&format!("{spec}.tla"), "--json", "--allow-deadlock"]).current_dir(tla_dir()).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let json: serde_json::Value = stdout.lines().rev().find_map(|l| serde_json::from_str(l).ok()).unwrap();
        assert_eq!(json["invariant_name"], invariant);
        let state = &json["trace"].as_array().unwrap().last().unwrap()["state"];
        let allowed: Vec<String> = state["allowed"].as_array().unwrap().iter().map(|v| v["model_value"].as_str().unwrap().to_string()).collect();
        let layers = state["layers"].as_array().unwrap();
        let listed = |set: &serde_json::Value, t: &str| set.as_array().is_some_and(|a| a.iter().any(|v| v["model_value"] == t));
        let shows_bug = allowed.iter().any(|t| match invariant {
            "NoGrantBack" => layers.iter().any(|l| l["allow"] != "none" && !listed(&l["allow"], t)),
            _ => layers.iter().any(|l| listed(&l["deny"], t)),
        });
        assert!(shows_bug, "{spec}: {state}");
    }
}

#[test]
fn the_table_is_as_expected() {
    if !tla_available() {
        return;
    }
    let _seam = SEAM.lock().unwrap();
    let rows = palisade_models::verify::table(Path::new(&tla_dir()));
    let rendered = palisade_models::verify::render(&rows);
    assert!(rows.iter().all(palisade_models::verify::Row::as_expected), "{rendered}");
    assert!(!rendered.contains("UNEXPECTED"));
}
