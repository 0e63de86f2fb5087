//! The verification table: every TLA+ spec through `tla --json`, every
//! stateright model through its checker, each compared with what it must
//! give (holds, or a counterexample for a named invariant).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use palisade::seams::Bug;
use stateright::{Checker, Model};

use crate::exposure::ExposureModel;
use crate::ingress::IngressModel;
use crate::nodes::NodesModel;
use crate::hot_reload::HotReloadModel;
use crate::pairing_cap::PairingCapModel;
use crate::pairing_ttl::PairingTtlModel;
use crate::routing::RoutingModel;
use crate::sandbox_scope::SandboxScopeModel;
use crate::tool_policy::{FoldModel, ToolPolicyModel};

/// What a run must give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    Holds,
    Violates(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Holds,
    Counterexample { invariant: String, length: usize },
    Error(String),
}

#[derive(Debug, Clone)]
pub struct Row {
    pub claim: &'static str,
    pub variant: &'static str,
    pub checker: &'static str,
    pub expect: Expect,
    pub verdict: Verdict,
    pub states: u64,
    pub seconds: f64,
}

impl Row {
    pub fn as_expected(&self) -> bool {
        match (&self.expect, &self.verdict) {
            (Expect::Holds, Verdict::Holds) => true,
            (Expect::Violates(want), Verdict::Counterexample { invariant, .. }) => invariant == want,
            _ => false,
        }
    }

    pub fn verdict_text(&self) -> String {
        let text = match &self.verdict {
            Verdict::Holds => "holds".to_string(),
            Verdict::Counterexample { invariant, .. } => format!("counterexample ({invariant})"),
            Verdict::Error(e) => format!("error: {e}"),
        };
        if self.as_expected() {
            match self.verdict {
                Verdict::Counterexample { .. } => format!("{text}, as expected"),
                _ => text,
            }
        } else {
            format!("UNEXPECTED {text}")
        }
    }

    pub fn trace_len(&self) -> Option<usize> {
        match self.verdict {
            Verdict::Counterexample { length, .. } => Some(length),
            _ => None,
        }
    }
}

/// The `tla/` folder next to this crate.
pub fn tla_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tla")
}

/// Whether the `tla` checker is installed. Without it the TLA+ halves of the
/// tests fail under CI (which installs it) and skip loudly elsewhere.
pub fn tla_available() -> bool {
    if Command::new("tla").arg("--version").output().is_ok() {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "CI must install the TLA+ checker (.ci/run: cargo install tla-checker --locked)");
    eprintln!("\n!!!!! SKIPPING TLA+ checks: `tla` is not installed (cargo install tla-checker --locked) !!!!!\n");
    false
}

/// One TLA+ run: `tla SPEC.tla --json` (the cfg beside it is read automatically).
pub fn run_tla(tla_dir: &Path, spec: &str) -> (Verdict, u64, f64) {
    run_tla_with(tla_dir, spec, None)
}

/// One TLA+ run with another cfg file (other constants for the same spec).
pub fn run_tla_with(tla_dir: &Path, spec: &str, cfg: Option<&str>) -> (Verdict, u64, f64) {
    let started = Instant::now();
    let mut command = Command::new("tla");
    command.arg(format!("{spec}.tla")).args(["--json", "--allow-deadlock"]).current_dir(tla_dir);
    if let Some(cfg) = cfg {
        command.args(["--config", &format!("{cfg}.cfg")]);
    }
    let output = command.output();
    let seconds = started.elapsed().as_secs_f64();
    let output = match output {
        Ok(o) => o,
        Err(e) => return (Verdict::Error(format!("cannot run `tla`: {e} (cargo install tla-checker --locked)")), 0, seconds),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let Some(json) = stdout.lines().rev().find_map(|l| serde_json::from_str::<serde_json::Value>(l.trim()).ok()) else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return (Verdict::Error(format!("no JSON result: {}", stderr.lines().last().unwrap_or(""))), 0, seconds);
    };
    let states = json.pointer("/stats/states_explored").and_then(serde_json::Value::as_u64).unwrap_or(0);
    let verdict = match json.get("status").and_then(serde_json::Value::as_str) {
        Some("ok") => Verdict::Holds,
        Some("invariant_violation") => Verdict::Counterexample {
            invariant: json.get("invariant_name").and_then(serde_json::Value::as_str).unwrap_or("?").to_string(),
            length: json.get("trace").and_then(serde_json::Value::as_array).map_or(0, Vec::len),
        },
        other => Verdict::Error(format!("status {other:?}")),
    };
    (verdict, states, seconds)
}

/// One stateright run, breadth first, to completion.
pub fn run_model<M>(model: M) -> (Verdict, u64, f64)
where
    M: Model + Send + Sync + 'static,
    M::State: Send + Sync + std::hash::Hash + std::fmt::Debug + Clone + PartialEq,
    M::Action: Send + Sync + std::fmt::Debug + Clone + PartialEq,
{
    let started = Instant::now();
    let properties: Vec<&'static str> = model.properties().iter().map(|p| p.name).collect();
    let checker = model.checker().spawn_bfs().join();
    let seconds = started.elapsed().as_secs_f64();
    let states = checker.unique_state_count() as u64;
    for name in properties {
        if let Some(path) = checker.discovery(name) {
            return (Verdict::Counterexample { invariant: name.to_string(), length: path.into_states().len() }, states, seconds);
        }
    }
    (Verdict::Holds, states, seconds)
}

/// Every claim built so far, both checkers, every variant.
pub fn table(tla_dir: &Path) -> Vec<Row> {
    let mut rows = Vec::new();
    let tla = [
        ("ToolPolicy", "positive", "ToolPolicy", Expect::Holds),
        ("ToolPolicy", "allow lists unioned", "ToolPolicy_BugAllowUnion", Expect::Violates("NoGrantBack")),
        ("ToolPolicy", "later allow re-grants a deny", "ToolPolicy_BugDenyOverride", Expect::Violates("DenyWins")),
        ("Exposure", "positive", "GatewayExposure", Expect::Holds),
        ("Exposure", "validator forgets the bind", "GatewayExposure_BugNoBindCheck", Expect::Violates("NoUnauthenticatedExposure")),
        ("NodeApproval", "positive", "NodeApproval", Expect::Holds),
        ("NodeApproval", "approval not bound to request", "NodeApproval_BugAnyRequest", Expect::Violates("OnlyWithOwnApproval")),
        ("PairingCap", "positive", "PairingCap", Expect::Holds),
        ("PairingCap", "count before the write lock", "PairingCap_BugCheckOutsideTx", Expect::Violates("CapHolds")),
        ("PairingTTL", "positive", "PairingTTL", Expect::Holds),
        ("PairingTTL", "approval ignores the age", "PairingTTL_BugNoExpiryCheck", Expect::Violates("NoApprovalAfterExpiry")),
        ("HotReload", "positive", "HotReload", Expect::Holds),
        ("HotReload", "each read goes to the slot", "HotReload_BugRereads", Expect::Violates("OneRequestOnePolicy")),
        ("Ingress", "positive", "IngressGating", Expect::Holds),
        ("Ingress", "any command skips gating", "IngressGating_BugAnyCommand", Expect::Violates("NoMentionBypass")),
        ("Routing", "positive", "RoutingIsolation", Expect::Holds),
        ("Routing", "account left out of the key", "RoutingIsolation_BugNoAccount", Expect::Violates("UnlinkedIsolated")),
        ("SandboxScope", "positive", "SandboxScope", Expect::Holds),
        ("SandboxScope", "names without the hash", "SandboxScope_BugSlugOnly", Expect::Violates("SessionsIsolated")),
    ];
    for (claim, variant, spec, expect) in tla {
        let (verdict, states, seconds) = run_tla(tla_dir, spec);
        rows.push(Row { claim, variant, checker: "tla", expect, verdict, states, seconds });
    }
    // The same spec on a larger universe (3 tools), against the fold-level mirror.
    let (verdict, states, seconds) = run_tla_with(tla_dir, "ToolPolicy", Some("ToolPolicy_ThreeTools"));
    rows.push(Row { claim: "ToolPolicy3", variant: "positive, 3 tools", checker: "tla", expect: Expect::Holds, verdict, states, seconds });
    let folds = [
        ("positive, 3 tools", Bug::None, Expect::Holds),
        ("allow lists unioned, 3 tools", Bug::FoldAllowUnion, Expect::Violates("NoGrantBack")),
        ("later allow re-grants, 3 tools", Bug::FoldDenyOverride, Expect::Violates("DenyWins")),
    ];
    for (variant, bug, expect) in folds {
        let (verdict, states, seconds) = run_model(FoldModel { bug, tools: 3, layers: 3 });
        rows.push(Row { claim: "ToolPolicy3", variant, checker: "stateright", expect, verdict, states, seconds });
    }
    let models = [
        ("positive", Bug::None, Expect::Holds),
        ("allow lists unioned", Bug::FoldAllowUnion, Expect::Violates("NoGrantBack")),
        ("later allow re-grants a deny", Bug::FoldDenyOverride, Expect::Violates("DenyWins")),
    ];
    for (variant, bug, expect) in models {
        let (verdict, states, seconds) = run_model(ToolPolicyModel { bug });
        rows.push(Row { claim: "ToolPolicy", variant, checker: "stateright", expect, verdict, states, seconds });
    }
    let models = [("positive", Bug::None, Expect::Holds), ("validator forgets the bind", Bug::NoBindCheck, Expect::Violates("NoUnauthenticatedExposure"))];
    for (variant, bug, expect) in models {
        let (verdict, states, seconds) = run_model(ExposureModel { bug });
        rows.push(Row { claim: "Exposure", variant, checker: "stateright", expect, verdict, states, seconds });
    }
    let models = [("positive", Bug::None, Expect::Holds), ("approval not bound to request", Bug::NodeAnyRequest, Expect::Violates("OnlyWithOwnApproval"))];
    for (variant, bug, expect) in models {
        let (verdict, states, seconds) = run_model(NodesModel { bug });
        rows.push(Row { claim: "NodeApproval", variant, checker: "stateright", expect, verdict, states, seconds });
    }
    let models = [("positive", Bug::None, Expect::Holds), ("count before the write lock", Bug::PairingCheckOutsideTx, Expect::Violates("CapHolds"))];
    for (variant, bug, expect) in models {
        let (verdict, states, seconds) = run_model(PairingCapModel { bug });
        rows.push(Row { claim: "PairingCap", variant, checker: "stateright", expect, verdict, states, seconds });
    }
    let models = [("positive", Bug::None, Expect::Holds), ("approval ignores the age", Bug::PairingNoExpiry, Expect::Violates("NoApprovalAfterExpiry"))];
    for (variant, bug, expect) in models {
        let (verdict, states, seconds) = run_model(PairingTtlModel { bug });
        rows.push(Row { claim: "PairingTTL", variant, checker: "stateright", expect, verdict, states, seconds });
    }
    let models = [("positive", Bug::None, Expect::Holds), ("any command skips gating", Bug::AnyCommandBypass, Expect::Violates("NoMentionBypass"))];
    for (variant, bug, expect) in models {
        let (verdict, states, seconds) = run_model(IngressModel { bug });
        rows.push(Row { claim: "Ingress", variant, checker: "stateright", expect, verdict, states, seconds });
    }
    let models = [("positive", Bug::None, Expect::Holds), ("account left out of the key", Bug::KeyWithoutAccount, Expect::Violates("UnlinkedIsolated"))];
    for (variant, bug, expect) in models {
        let (verdict, states, seconds) = run_model(RoutingModel { bug });
        rows.push(Row { claim: "Routing", variant, checker: "stateright", expect, verdict, states, seconds });
    }
    let models = [("positive", Bug::None, Expect::Holds), ("each read goes to the slot", Bug::ReloadRereads, Expect::Violates("OneRequestOnePolicy"))];
    for (variant, bug, expect) in models {
        let (verdict, states, seconds) = match HotReloadModel::new(bug) {
            Some(model) => run_model(model),
            None => (Verdict::Error("the reload model's policies do not compile".into()), 0, 0.0),
        };
        rows.push(Row { claim: "HotReload", variant, checker: "stateright", expect, verdict, states, seconds });
    }
    let models = [("positive", Bug::None, Expect::Holds), ("names without the hash", Bug::SlugOnlyNames, Expect::Violates("SessionsIsolated"))];
    for (variant, bug, expect) in models {
        let (verdict, states, seconds) = run_model(SandboxScopeModel { bug });
        rows.push(Row { claim: "SandboxScope", variant, checker: "stateright", expect, verdict, states, seconds });
    }
    rows
}

pub fn render(rows: &[Row]) -> String {
    let mut out = format!(
        "{:<12} {:<30} {:<11} {:<56} {:>9} {:>12} {:>6}\n",
        "claim", "variant", "checker", "verdict", "states", "states/s", "trace"
    );
    for r in rows {
        let rate = if r.seconds > 0.0 { format!("{:.0}", r.states as f64 / r.seconds) } else { "-".into() };
        let trace = r.trace_len().map_or("-".to_string(), |n| n.to_string());
        out += &format!(
            "{:<12} {:<30} {:<11} {:<56} {:>9} {:>12} {:>6}\n",
            r.claim,
            r.variant,
            r.checker,
            r.verdict_text(),
            r.states,
            rate,
            trace
        );
    }
    out
}
