//! The data-driven corpus: `tests/corpus/*/policy.{pal,json}` with a
//! `cases.jsonl` table of requests and expected decisions.

use palisade::ToolRequest;
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
        let policy = crate::load(&policy_path);
        let engine = policy.engine();
        let table = std::fs::read_to_string(case_dir.join("cases.jsonl")).unwrap();
        for (i, line) in table.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            cases += 1;
            let where_ = format!("{}:{}", case_dir.join("cases.jsonl").display(), i + 1);
            let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{where_}: {e}"));
            let s = |k: &str| v.get(k).and_then(Value::as_str);
            let request = ToolRequest {
                agent: s("agent").unwrap(),
                tool: s("tool").unwrap(),
                provider: s("provider"),
                session: s("session"),
                subagent: v.get("subagent").and_then(Value::as_bool).unwrap_or(false),
                owner: v.get("owner").and_then(Value::as_bool).unwrap_or(true),
                sender: s("sender"),
            };
            let want = match s("expect") {
                Some("allow") => true,
                Some("deny") => false,
                other => panic!("{where_}: expect must be allow or deny, got {other:?}"),
            };
            let fast = engine.decide(&request);
            let explained = engine.explain(&request);
            if fast != want || explained.allowed != want {
                failures.push(format!("{where_}: expected {want}, decide {fast}, explain {} ({})", explained.allowed, explained.reason));
                continue;
            }
            if let Some(reason) = s("reason") {
                if !explained.reason.contains(reason) {
                    failures.push(format!("{where_}: reason `{}` does not contain `{reason}`", explained.reason));
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

#[test]
fn examples_check_clean() {
    for name in ["multi-agent.pal", "openclaw.json"] {
        let path = crate::root().join("examples").join(name);
        let policy = crate::load(&path);
        assert!(policy.engine().agent_ids().count() >= 3, "{name}");
    }
}
