//! The data-driven corpus: `tests/corpus/*/policy.{pal,json}` with a
//! `cases.jsonl` table of requests and expected decisions.

use palisade::wire::AnyRequest;
use palisade::Inbound;
use palisade::{Engine, ToolOutcome, ToolRequest};
use serde_json::Value;

#[test]
fn corpus() {
    let dir = crate::root().join("tests/corpus");
    let mut cases = 0;
    let mut failures = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for case_dir in entries {
        let policy_path = ["policy.pal", "policy.json"].iter().map(|f| case_dir.join(f)).find(|p| p.exists()).unwrap();
        // An OpenClaw configuration may come with its exec-approvals file.
        let approvals = case_dir.join("exec-approvals.json");
        let policy = if approvals.exists() {
            let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap();
            let name = policy_path.display().to_string();
            palisade::Policy::from_openclaw_json_with_approvals(&name, &read(&policy_path), "exec-approvals.json", &read(&approvals))
                .unwrap_or_else(|e| panic!("{name}: {e:?}"))
        } else {
            crate::load(&policy_path)
        };
        let engine = policy.engine();
        // The policy printed as DSL decides every case as its source does.
        let printed = palisade::unstable::to_dsl(policy.ast(), policy.warnings());
        let reprinted = palisade::Policy::from_dsl("printed.pal", &printed)
            .unwrap_or_else(|e| panic!("{}: printed policy: {e:?}\n{printed}", case_dir.display()));
        let table = std::fs::read_to_string(case_dir.join("cases.jsonl")).unwrap();
        for (i, line) in table.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            cases += 1;
            let where_ = format!("{}:{}", case_dir.join("cases.jsonl").display(), i + 1);
            let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{where_}: {e}"));
            let s = |k: &str| v.get(k).and_then(Value::as_str);
            match s("kind") {
                Some("ingress") => {
                    failures.extend(ingress_case(engine, &v, &where_));
                    continue;
                }
                Some("route") => {
                    failures.extend(route_case(engine, &v, &where_));
                    continue;
                }
                _ => {}
            }
            let request = ToolRequest::new(s("agent").unwrap(), s("tool").unwrap())
                .with_provider(s("provider"))
                .with_session(s("session"))
                .with_subagent(v.get("subagent").and_then(Value::as_bool).unwrap_or(false))
                .with_owner(v.get("owner").and_then(Value::as_bool).unwrap_or(false))
                .with_sender(s("sender"));
            let request = match v.get("args").and_then(Value::as_object) {
                Some(args) => request.with_args(palisade::Args::json(args)),
                None => request,
            };
            let want = match s("expect") {
                Some("allow") => ToolOutcome::Allow,
                Some("ask") => ToolOutcome::Ask,
                Some("deny") => ToolOutcome::Deny,
                other => panic!("{where_}: expect must be allow, ask or deny, got {other:?}"),
            };
            let fast = engine.decide_outcome(&request);
            let printed_outcome = reprinted.engine().decide_outcome(&request);
            if printed_outcome != fast {
                failures.push(format!("{where_}: printed as DSL the policy decides {}, its source {}", printed_outcome.name(), fast.name()));
            }
            let allowed = engine.decide(&request);
            let explained = engine.explain(&request);
            if fast != want || explained.outcome != want || allowed != (want == ToolOutcome::Allow) || explained.allowed != allowed {
                failures.push(format!(
                    "{where_}: expected {}, decide {} (allowed {allowed}), explain {} ({})",
                    want.name(),
                    fast.name(),
                    explained.outcome.name(),
                    explained.reason
                ));
                continue;
            }
            if let Some(reason) = s("reason") {
                if !explained.reason.contains(reason) {
                    failures.push(format!("{where_}: reason `{}` does not contain `{reason}`", explained.reason));
                }
            }
            if let Some(segments) = v.get("segments").and_then(Value::as_array) {
                let want: Vec<&str> = segments.iter().filter_map(Value::as_str).collect();
                let got: Vec<&str> = explained.segments.iter().map(|s| s.outcome.name()).collect();
                if want != got {
                    failures.push(format!("{where_}: segments {got:?}, expected {want:?}"));
                }
            }
            if let Some(paths) = v.get("paths").and_then(Value::as_array) {
                let want: Vec<&str> = paths.iter().filter_map(Value::as_str).collect();
                let got: Vec<&str> = explained.paths.iter().map(|p| p.outcome.name()).collect();
                if want != got {
                    failures.push(format!("{where_}: paths {got:?}, expected {want:?}"));
                }
            }
            if let Some(at) = s("at") {
                let got = explained.at.clone().unwrap_or_default();
                if !got.ends_with(&format!(":{at}")) {
                    failures.push(format!("{where_}: at `{got}`, expected line:col {at}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {cases} corpus cases failed:\n{}", failures.len(), failures.join("\n"));
    assert!(cases >= 90, "corpus shrank to {cases} cases");
}

/// Runs `f` on the inbound message a corpus line describes.
/// The case's message read by the real wire format (`palisade decide`,
/// `/v1/decide`), so fields left out mean what they mean there.
fn with_inbound<R>(v: &Value, f: impl FnOnce(&Inbound<'_>) -> R) -> R {
    let mut request = v.clone();
    if let Some(map) = request.as_object_mut() {
        for expectation in ["expect", "reason", "at", "agent", "session_key", "matched_by", "sandboxed"] {
            map.remove(expectation);
        }
    }
    match palisade::wire::parse(&request.to_string()) {
        Ok(AnyRequest::Ingress(inbound) | AnyRequest::Route(inbound)) => inbound.with_inbound(f),
        other => panic!("{request}: not an inbound message: {other:?}"),
    }
}

fn ingress_case(engine: &Engine, v: &Value, where_: &str) -> Vec<String> {
    let s = |k: &str| v.get(k).and_then(Value::as_str);
    let d = with_inbound(v, |i| engine.gate(i));
    let outcome = d.outcome.name();
    let mut failures = Vec::new();
    if Some(outcome) != s("expect") {
        failures.push(format!("{where_}: expected {:?}, got {outcome} ({})", s("expect"), d.reason));
    }
    if let Some(reason) = s("reason").filter(|r| !d.reason.contains(r)) {
        failures.push(format!("{where_}: reason `{}` does not contain `{reason}`", d.reason));
    }
    if let Some(at) = s("at") {
        let got = d.at.map(ToString::to_string).unwrap_or_default();
        if !got.ends_with(&format!(":{at}")) {
            failures.push(format!("{where_}: at `{got}`, expected line:col {at}"));
        }
    }
    failures
}

fn route_case(engine: &Engine, v: &Value, where_: &str) -> Vec<String> {
    let s = |k: &str| v.get(k).and_then(Value::as_str);
    let route = with_inbound(v, |i| engine.route(i).map(|r| (r.agent.to_string(), r.session_key, r.sandboxed, r.matched_by.to_string())));
    let Ok((agent, key, sandboxed, matched_by)) = route else {
        return vec![format!("{where_}: route failed: {route:?}")];
    };
    let mut failures = Vec::new();
    for (field, got) in [("agent", agent.as_str()), ("session_key", key.as_str()), ("matched_by", matched_by.as_str())] {
        if let Some(want) = s(field).filter(|w| *w != got) {
            failures.push(format!("{where_}: {field} `{got}`, expected `{want}`"));
        }
    }
    if let Some(want) = v.get("sandboxed").and_then(Value::as_bool).filter(|w| *w != sandboxed) {
        failures.push(format!("{where_}: sandboxed {sandboxed}, expected {want}"));
    }
    failures
}

#[test]
fn examples_check_clean() {
    // Policies only: `requests.jsonl` is the tour's requests.
    let mut names: Vec<_> = std::fs::read_dir(crate::root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pal" || e == "json"))
        .collect();
    names.sort();
    assert!(names.len() >= 3, "{names:?}");
    for path in names {
        // `load` compiles, runs the policy's own test blocks and fails on any.
        let policy = crate::load(&path);
        // The DSL examples are clean; the OpenClaw one shows what import warns about.
        let dsl = path.extension().is_some_and(|e| e == "pal");
        assert!(!dsl || policy.warnings().is_empty(), "{}: {:?}", path.display(), policy.warnings());
        assert!(policy.engine().agent_ids().count() >= 1, "{}", path.display());
    }
}
