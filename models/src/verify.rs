//! The verification table: every TLA+ spec through TLC (the reference
//! checker) and `tla --json`, every stateright model through its checker,
//! each compared with what it must give (holds, or a counterexample for a
//! named invariant); for every positive spec the three must also count the
//! same distinct states.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use palisade::seams::Bug;
use stateright::{Checker, Model};

use crate::credential_roles::CredentialRolesModel;
use crate::exec_commands::ExecCommandsModel;
use crate::exposure::ExposureModel;
use crate::fail_closed::FailClosedModel;
use crate::fail_closed_ingress::FailClosedIngressModel;
use crate::handle_grounds::HandleGroundsModel;
use crate::hot_reload::HotReloadModel;
use crate::identity_links::IdentityLinksModel;
use crate::ingress::IngressModel;
use crate::nodes::NodesModel;
use crate::pairing_cap::PairingCapModel;
use crate::pairing_ttl::PairingTtlModel;
use crate::path_rules::PathRulesModel;
use crate::routing::RoutingModel;
use crate::routing_precedence::RoutingPrecedenceModel;
use crate::sandbox_scope::SandboxScopeModel;
use crate::session_handles::SessionHandlesModel;
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

/// TLC, the reference TLA+ checker: `../shared/tools/tla2tools.jar` beside
/// the project (`../shared/tools`, where these machines keep it), or `$PALISADE_TLA2TOOLS`.
pub fn tlc_jar() -> std::path::PathBuf {
    std::env::var_os("PALISADE_TLA2TOOLS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/tools/tla2tools.jar"))
}

/// Whether TLC can run (a Java runtime and the jar). Without it the TLC
/// rows fail under CI (which installs Java) and skip loudly elsewhere.
pub fn tlc_available() -> bool {
    if tlc_jar().exists() && Command::new("java").arg("-version").output().is_ok() {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "CI must provide TLC: java and {} (.ci/run installs a Java runtime)", tlc_jar().display());
    eprintln!("\n!!!!! SKIPPING TLC checks: no `java` or no {} !!!!!\n", tlc_jar().display());
    false
}

/// One TLC run of `spec` with `cfg` (default: the spec's own), deadlock
/// checking off as for `tla`. TLC's words are the verdict: "Model checking
/// completed. No error has been found.", or "Invariant X is violated." with
/// the trace's states; its "N distinct states found" is the count.
pub fn run_tlc(tla_dir: &Path, spec: &str, cfg: Option<&str>) -> (Verdict, u64, f64) {
    let started = Instant::now();
    let meta = std::env::temp_dir().join(format!("palisade-tlc-{}-{spec}-{}", std::process::id(), cfg.unwrap_or("")));
    let output = Command::new("java")
        .args(["-XX:+UseParallelGC", "-cp"])
        .arg(tlc_jar())
        .args(["tlc2.TLC", "-workers", "1", "-deadlock", "-metadir"])
        .arg(&meta)
        .args(["-config", &format!("{}.cfg", cfg.unwrap_or(spec)), &format!("{spec}.tla")])
        .current_dir(tla_dir)
        .output();
    let _ = std::fs::remove_dir_all(&meta);
    let seconds = started.elapsed().as_secs_f64();
    let output = match output {
        Ok(o) => o,
        Err(e) => return (Verdict::Error(format!("cannot run TLC (java): {e}")), 0, seconds),
    };
    let text = String::from_utf8_lossy(&output.stdout);
    // "8192 states generated, 4096 distinct states found, 0 states left on queue." (the last such line).
    let distinct = |line: &str| {
        let (head, _) = line.split_once(" distinct states found")?;
        head.rsplit(", ").next()?.trim().replace(',', "").parse::<u64>().ok()
    };
    let states = text.lines().rev().find_map(distinct).unwrap_or(0);
    let violated = text.lines().find_map(|l| l.strip_prefix("Error: Invariant ").and_then(|r| r.split(" is violated").next()).map(str::to_string));
    let verdict = if let Some(invariant) = violated {
        // "State N: ..." per step; a violation by an initial state prints that one state bare.
        let length = text.lines().filter(|l| l.starts_with("State ") && l.contains(':')).count().max(1);
        Verdict::Counterexample { invariant, length }
    } else if text.contains("Model checking completed. No error has been found.") {
        Verdict::Holds
    } else {
        let why = text.lines().filter(|l| l.contains("rror")).take(3).collect::<Vec<_>>().join(" / ");
        Verdict::Error(format!("TLC: {why}"))
    };
    (verdict, states, seconds)
}

/// Positive variants whose checkers disagree on the number of distinct
/// states: each is a reason for the verify run to fail.
pub fn state_count_mismatches(rows: &[Row]) -> Vec<String> {
    let mut out = Vec::new();
    for claim in CLAIMS {
        for variant in claim.variants.iter().filter(|v| v.expect == Expect::Holds) {
            let counts: Vec<(&str, u64)> =
                rows.iter().filter(|r| r.claim == claim.name && r.variant == variant.name).map(|r| (r.checker, r.states)).collect();
            if counts.windows(2).any(|w| matches!(w, [a, b] if a.1 != b.1)) {
                out.push(format!("{} {}: distinct states differ: {counts:?}", claim.name, variant.name));
            }
        }
    }
    out
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

/// One variant of a claim: the positive, or a negative with one bug.
#[derive(Debug, Clone)]
pub struct Variant {
    pub name: &'static str,
    /// The TLA+ spec (and another cfg for it) that states this variant;
    /// `None` when only the model has it.
    pub spec: Option<(&'static str, Option<&'static str>)>,
    /// The bug the model injects into the real code; `Bug::None` for the positive.
    pub bug: Bug,
    pub expect: Expect,
}

/// One security claim: its variants, its model run under one bug, and the
/// same model served in the stateright Explorer.
#[derive(Debug, Clone)]
pub struct Claim {
    pub name: &'static str,
    pub variants: &'static [Variant],
    pub run: fn(Bug) -> (Verdict, u64, f64),
    pub explore: fn(Bug, &str),
}

impl Claim {
    /// The bug of its first negative variant, the one `--explore --bug` shows.
    pub fn first_bug(&self) -> Bug {
        self.variants.iter().map(|v| v.bug).find(|b| *b != Bug::None).unwrap_or(Bug::None)
    }
}

const fn positive(spec: &'static str) -> Variant {
    Variant { name: "positive", spec: Some((spec, None)), bug: Bug::None, expect: Expect::Holds }
}

const fn negative(name: &'static str, spec: &'static str, bug: Bug, invariant: &'static str) -> Variant {
    Variant { name, spec: Some((spec, None)), bug, expect: Expect::Violates(invariant) }
}

fn serve<M>(model: M, address: &str)
where
    M: Model + Send + Sync + 'static,
    M::State: Send + Sync + std::hash::Hash + std::fmt::Debug + Clone + PartialEq,
    M::Action: Send + Sync + std::fmt::Debug + Clone + PartialEq,
{
    model.checker().serve(address);
}

fn hot_reload_model(bug: Bug) -> Result<HotReloadModel, Verdict> {
    HotReloadModel::new(bug).ok_or_else(|| Verdict::Error("the reload model's policies do not compile".into()))
}

/// A claim whose model is built by one expression of `bug`, for both the
/// checker run and the Explorer.
macro_rules! claim {
    ($name:expr, [$($variant:expr),* $(,)?], |$bug:ident| $model:expr) => {
        Claim { name: $name, variants: &[$($variant),*], run: |$bug| run_model($model), explore: |$bug, at| serve($model, at) }
    };
}

/// Every claim, in the order the table prints them.
pub const CLAIMS: &[Claim] = &[
    claim!(
        "ToolPolicy",
        [
            positive("ToolPolicy"),
            negative("allow lists unioned", "ToolPolicy_BugAllowUnion", Bug::FoldAllowUnion, "NoGrantBack"),
            negative("later allow re-grants a deny", "ToolPolicy_BugDenyOverride", Bug::FoldDenyOverride, "DenyWins"),
        ],
        |bug| ToolPolicyModel { bug }
    ),
    // The same spec on a larger universe (3 tools), against the fold-level mirror.
    claim!(
        "ToolPolicy3",
        [
            Variant { name: "positive, 3 tools", spec: Some(("ToolPolicy", Some("ToolPolicy_ThreeTools"))), bug: Bug::None, expect: Expect::Holds },
            Variant { name: "allow lists unioned, 3 tools", spec: None, bug: Bug::FoldAllowUnion, expect: Expect::Violates("NoGrantBack") },
            Variant { name: "later allow re-grants, 3 tools", spec: None, bug: Bug::FoldDenyOverride, expect: Expect::Violates("DenyWins") },
        ],
        |bug| FoldModel { bug, tools: 3, layers: 3 }
    ),
    claim!(
        "Exposure",
        [
            positive("GatewayExposure"),
            negative("validator forgets the bind", "GatewayExposure_BugNoBindCheck", Bug::NoBindCheck, "NoUnauthenticatedExposure"),
            negative("shared socket trusted", "GatewayExposure_BugSocketOthersTrusted", Bug::SocketOthersTrusted, "NoUnauthenticatedExposure"),
        ],
        |bug| ExposureModel { bug }
    ),
    claim!(
        "NodeApproval",
        [
            positive("NodeApproval"),
            negative("approval not bound to request", "NodeApproval_BugAnyRequest", Bug::NodeAnyRequest, "OnlyWithOwnApproval"),
        ],
        |bug| NodesModel { bug }
    ),
    claim!(
        "PairingCap",
        [positive("PairingCap"), negative("count before the write lock", "PairingCap_BugCheckOutsideTx", Bug::PairingCheckOutsideTx, "CapHolds"),],
        |bug| PairingCapModel { bug }
    ),
    claim!(
        "PairingTTL",
        [positive("PairingTTL"), negative("approval ignores the age", "PairingTTL_BugNoExpiryCheck", Bug::PairingNoExpiry, "NoApprovalAfterExpiry"),],
        |bug| PairingTtlModel { bug }
    ),
    Claim {
        name: "HotReload",
        variants: &[positive("HotReload"), negative("each read goes to the slot", "HotReload_BugRereads", Bug::ReloadRereads, "OneRequestOnePolicy")],
        run: |bug| hot_reload_model(bug).map_or_else(|e| (e, 0, 0.0), run_model),
        explore: |bug, at| match hot_reload_model(bug) {
            Ok(model) => serve(model, at),
            Err(e) => eprintln!("{e:?}"),
        },
    },
    claim!(
        "Ingress",
        [positive("IngressGating"), negative("any command skips gating", "IngressGating_BugAnyCommand", Bug::AnyCommandBypass, "NoMentionBypass"),],
        |bug| IngressModel { bug }
    ),
    claim!(
        "Routing",
        [
            positive("RoutingIsolation"),
            negative("account left out of the key", "RoutingIsolation_BugNoAccount", Bug::KeyWithoutAccount, "UnlinkedIsolated"),
        ],
        |bug| RoutingModel { bug }
    ),
    claim!(
        "IdentityLinks",
        [
            positive("IdentityLinks"),
            negative("links applied under dm_scope main", "IdentityLinks_BugUnderMain", Bug::LinkUnderMain, "LinksExactly"),
            negative("links join accounts", "IdentityLinks_BugAcrossAccounts", Bug::LinkAcrossAccounts, "LinksExactly"),
        ],
        |bug| IdentityLinksModel { bug }
    ),
    claim!(
        "Precedence",
        [
            positive("RoutingPrecedence"),
            negative("first match wins, whatever the tier", "RoutingPrecedence_BugFirstMatch", Bug::RouteFirstMatch, "MostSpecificWins"),
        ],
        |bug| RoutingPrecedenceModel { bug }
    ),
    claim!(
        "CredentialRoles",
        [
            positive("CredentialRoles"),
            negative("device tokens reach operator actions", "CredentialRoles_BugDeviceEverywhere", Bug::DeviceEverywhere, "OnlyOperatorActs"),
        ],
        |bug| CredentialRolesModel { bug }
    ),
    claim!(
        "FailClosed",
        [
            positive("FailClosed"),
            negative("left-out fields decided as convenient", "FailClosed_BugConvenientDefaults", Bug::ConvenientDefaults, "FailClosed"),
        ],
        |bug| FailClosedModel::new(bug)
    ),
    claim!(
        "FailClosedIngress",
        [
            positive("FailClosedIngress"),
            negative("left-out fields decided as convenient", "FailClosedIngress_BugConvenientDefaults", Bug::ConvenientDefaults, "FailClosed"),
        ],
        |bug| FailClosedIngressModel::new(bug)
    ),
    claim!(
        "SessionHandles",
        [
            positive("SessionHandles"),
            negative("client fields override the handle", "SessionHandles_BugClientOverrides", Bug::ClientOverridesHandle, "HandleDecides"),
        ],
        |bug| SessionHandlesModel { bug }
    ),
    claim!(
        "HandleGrounds",
        [
            positive("HandleGrounds"),
            negative("the sealed context is trusted", "HandleGrounds_BugTrustSealed", Bug::TrustSealedContext, "GrantedByPolicyInForce"),
        ],
        |bug| HandleGroundsModel { bug }
    ),
    claim!(
        "SandboxScope",
        [positive("SandboxScope"), negative("names without the hash", "SandboxScope_BugSlugOnly", Bug::SlugOnlyNames, "SessionsIsolated"),],
        |bug| SandboxScopeModel { bug }
    ),
    claim!(
        "ExecCommands",
        [
            positive("ExecCommands"),
            negative("the first segment alone decides", "ExecCommands_BugFirstSegment", Bug::FirstSegmentOnly, "OnlyIfEverySegment"),
            negative("a && b is one segment", "ExecCommands_BugJoinAndAnd", Bug::JoinAndAnd, "OnlyIfEverySegment"),
            negative("quotes inside ${...} not read", "ExecCommands_BugNoQuotesInBraces", Bug::NoQuotesInBraces, "OnlyIfEverySegment"),
        ],
        |bug| ExecCommandsModel { bug }
    ),
    claim!(
        "PathRules",
        [
            positive("PathRules"),
            negative("paths matched as written", "PathRules_BugNotNormalised", Bug::PathsNotNormalised, "AllowedOnlyIfMatched"),
            negative("a deny rule sees only its own anchor", "PathRules_BugDenyOwnAnchor", Bug::DenyOnlyOwnAnchor, "AllowedOnlyIfMatched"),
        ],
        |bug| PathRulesModel { bug }
    ),
];

/// The claim called `name`.
pub fn claim(name: &str) -> Option<&'static Claim> {
    CLAIMS.iter().find(|c| c.name.eq_ignore_ascii_case(name))
}

/// The positive variant of the claim called `name` on both checkers: the
/// model must hold and, when `tla` is installed, so must the spec, over the
/// same number of states. Gives that number.
pub fn positive_states(name: &str) -> Result<u64, String> {
    let claim = claim(name).ok_or_else(|| format!("no claim `{name}`"))?;
    let variant = claim.variants.iter().find(|v| v.bug == Bug::None).ok_or_else(|| format!("`{name}` has no positive variant"))?;
    let (verdict, states, _) = (claim.run)(Bug::None);
    if verdict != Verdict::Holds {
        return Err(format!("the {name} model gives {verdict:?}"));
    }
    if let (Some((spec, cfg)), true) = (variant.spec, tla_available()) {
        let (tla_verdict, tla_states, _) = run_tla_with(&tla_dir(), spec, cfg);
        if (&tla_verdict, tla_states) != (&Verdict::Holds, states) {
            return Err(format!("{spec}: `tla` gives {tla_verdict:?} over {tla_states} states, stateright holds over {states}"));
        }
    }
    if let (Some((spec, cfg)), true) = (variant.spec, tlc_available()) {
        let (tlc_verdict, tlc_states, _) = run_tlc(&tla_dir(), spec, cfg);
        if (&tlc_verdict, tlc_states) != (&Verdict::Holds, states) {
            return Err(format!("{spec}: TLC gives {tlc_verdict:?} over {tlc_states} states, stateright holds over {states}"));
        }
    }
    Ok(states)
}

/// A TLA+ checker run: (tla dir, spec, cfg) -> verdict, distinct states, seconds.
type SpecChecker = fn(&Path, &str, Option<&str>) -> (Verdict, u64, f64);

/// Every claim, all three checkers, every variant: TLC's rows, then
/// `tla`'s, then stateright's.
pub fn table(tla_dir: &Path) -> Vec<Row> {
    let mut rows = Vec::new();
    let checkers: [(&'static str, SpecChecker); 2] = [("TLC", run_tlc), ("tla", run_tla_with)];
    for (checker, run) in checkers {
        for claim in CLAIMS {
            for variant in claim.variants {
                if let Some((spec, cfg)) = variant.spec {
                    let (verdict, states, seconds) = run(tla_dir, spec, cfg);
                    rows.push(Row { claim: claim.name, variant: variant.name, checker, expect: variant.expect.clone(), verdict, states, seconds });
                }
            }
        }
    }
    for claim in CLAIMS {
        for variant in claim.variants {
            let (verdict, states, seconds) = (claim.run)(variant.bug);
            rows.push(Row {
                claim: claim.name,
                variant: variant.name,
                checker: "stateright",
                expect: variant.expect.clone(),
                verdict,
                states,
                seconds,
            });
        }
    }
    rows
}

pub fn render(rows: &[Row]) -> String {
    let mut out =
        format!("{:<18} {:<37} {:<11} {:<56} {:>9} {:>12} {:>6}\n", "claim", "variant", "checker", "verdict", "states", "states/s", "trace");
    for r in rows {
        let rate = if r.seconds > 0.0 { format!("{:.0}", r.states as f64 / r.seconds) } else { "-".into() };
        let trace = r.trace_len().map_or("-".to_string(), |n| n.to_string());
        out += &format!("{:<18} {:<37} {:<11} {:<56} {:>9} {:>12} {:>6}\n", r.claim, r.variant, r.checker, r.verdict_text(), r.states, rate, trace);
    }
    out
}

// ---- what every claim test starts with ----------------------------------------

/// The path stateright finds, breadth first, to the first state of `model`
/// (a real component with a bug injected) that violates `property`.
pub fn counterexample<M>(model: M, property: &'static str) -> Result<stateright::Path<M::State, M::Action>, String>
where
    M: Model + Send + Sync + 'static,
    M::State: std::hash::Hash + Send + Sync + Clone + PartialEq + std::fmt::Debug + 'static,
    M::Action: Clone + PartialEq + std::fmt::Debug,
{
    model.checker().spawn_bfs().join().discovery(property).ok_or_else(|| format!("stateright found no counterexample to `{property}`"))
}

/// The negative spec `spec` is violated under `tla` with `invariant`;
/// `Ok` without checking when `tla` is not installed (the table reports that).
pub fn tla_negative_violates(spec: &str, invariant: &str) -> Result<(), String> {
    if !tla_available() {
        return Ok(());
    }
    match run_tla(&tla_dir(), spec).0 {
        Verdict::Counterexample { invariant: found, .. } if found == invariant => Ok(()),
        other => Err(format!("{spec}: expected a counterexample to {invariant}, got {other:?}")),
    }
}
