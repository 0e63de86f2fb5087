"""The shared corpus through the Python binding: every case of
tests/corpus/*/cases.jsonl gets the Rust engine's decision, and malformed
policies give their codes and positions."""

import json
import pathlib

import pytest

import palisade

ROOT = pathlib.Path(__file__).resolve().parents[3]
CORPUS = sorted(p for p in (ROOT / "tests" / "corpus").iterdir() if p.is_dir())


def load(case_dir: pathlib.Path) -> palisade.Policy:
    approvals = case_dir / "exec-approvals.json"
    pal, js = case_dir / "policy.pal", case_dir / "policy.json"
    if js.exists():
        return palisade.Policy.from_openclaw_json(
            js.read_text(), str(js), approvals.read_text() if approvals.exists() else None
        )
    return palisade.Policy.load(str(pal))


@pytest.mark.parametrize("case_dir", CORPUS, ids=lambda p: p.name)
def test_corpus(case_dir):
    policy = load(case_dir)
    failures = []
    for n, line in enumerate((case_dir / "cases.jsonl").read_text().splitlines(), 1):
        if not line.strip():
            continue
        case = json.loads(line)
        where = f"{case_dir.name}:{n}"
        kind = case.get("kind", "tool")
        if kind == "tool":
            expect = case["expect"]
            fields = {k: case.get(k) for k in ("provider", "session", "sender")}
            fields.update({k: bool(case.get(k)) for k in ("subagent", "owner")})
            args = case.get("args", {})
            # The bindings name `command`, `cwd` and `path`; a case with any
            # other argument, or one that is not text, is the Rust corpus's.
            if any(k not in ("command", "cwd", "path") or not isinstance(v, str) for k, v in args.items()):
                continue
            command = args.get("command")
            fields["path"] = args.get("path")
            if case["agent"].strip().lower() not in policy.agents:
                # The engine denies an unknown agent; the binding says it is unknown.
                if expect != "deny":
                    failures.append(f"{where}: an unknown agent expected to {expect}")
                with pytest.raises(palisade.UnknownAgentError):
                    policy.outcome(case["agent"], case["tool"], command=command, **fields)
                continue
            outcome = policy.outcome(case["agent"], case["tool"], command=command, **fields)
            decision = policy.decide(case["agent"], case["tool"], command=command, **fields)
            if outcome != expect or decision.outcome != expect or decision.allowed != (expect == "allow"):
                failures.append(f"{where}: expected {expect}, got {outcome} / {decision.outcome} ({decision.reason})")
            if "reason" in case and case["reason"] not in decision.reason:
                failures.append(f"{where}: reason {decision.reason!r} lacks {case['reason']!r}")
            if "segments" in case and [s["outcome"] for s in decision.segments] != case["segments"]:
                failures.append(f"{where}: segments {decision.segments}")
            if "paths" in case and [p["outcome"] for p in decision.paths] != case["paths"]:
                failures.append(f"{where}: paths {decision.paths}")
        elif kind == "ingress":
            request = {k: v for k, v in case.items() if k not in ("kind", "expect", "reason", "at")}
            gate = policy.gate(**request)
            if gate["outcome"] != case["expect"]:
                failures.append(f"{where}: expected {case['expect']}, got {gate}")
        else:
            wanted = {k: case.pop(k) for k in ("agent", "session_key", "matched_by", "sandboxed") if k in case}
            route = policy.request(case)
            got = {k: route.get(k) for k in wanted}
            if got != wanted:
                failures.append(f"{where}: route {got}, expected {wanted}")
    assert not failures, "\n".join(failures)


def test_malformed_policies_give_codes_and_positions():
    with pytest.raises(palisade.PolicyError) as caught:
        palisade.Policy.from_dsl('agent main { tools { exec { allow "./git status" } } }\n', "bad.pal")
    [error] = caught.value.errors
    assert (error.code, error.file, error.line, error.column) == ("palisade::bad-exec-pattern", "bad.pal", 1, 35)
    assert "must be a name or an absolute path" in error.message


def test_replace_swaps_the_whole_policy():
    policy = palisade.Policy.from_dsl("agent main { tools { allow read } }")
    assert policy.outcome("main", "exec") == "deny"
    policy.replace(palisade.Policy.from_dsl("agent main { tools { allow exec } }"))
    assert policy.outcome("main", "exec") == "allow"


MALFORMED = sorted((ROOT / "tests" / "malformed").iterdir())


@pytest.mark.parametrize("path", MALFORMED, ids=lambda p: p.name)
def test_malformed_corpus_gives_the_same_codes_and_positions(path):
    """Each file's first line names its code, `line:col` and message, as
    tests/integration/malformed.rs reads it; the binding must report the same."""
    text = path.read_text()
    header = text.splitlines()[0]
    warning = header.startswith("// warn: ")
    spec = header.split(": ", 1)[1]
    code, rest = spec.split(" @ ", 1)
    position, message = rest.split(" ", 1)
    message = message.split(" | ", 1)[0]
    line, column = (int(n) for n in position.split(":"))
    if warning:
        policy = palisade.Policy.load(str(path))
        found = policy.warnings
    else:
        with pytest.raises(palisade.PolicyError) as caught:
            palisade.Policy.load(str(path))
        found = caught.value.errors
    assert any(
        d.code == code and (d.line, d.column) == (line, column) and message in d.message and d.file == str(path) for d in found
    ), f"{code} at {line}:{column} `{message}` not in {[str(d) for d in found]}"


def test_a_context_decides_as_the_full_request_and_follows_replace():
    policy = palisade.Policy.load(str(ROOT / "examples" / "multi-agent.pal"))
    for fields in ({}, {"provider": "anthropic"}, {"session": "agent:family:main", "provider": "openai"}, {"subagent": True}):
        context = policy.context("family", **fields)
        # Twice each: the first call looks the name up, the second reads the row.
        for tool in ["exec", "read", " READ ", "Bash", "web_search", "cron", "browser", "some_plugin_tool", "exec", "READ", "some_plugin_tool"]:
            assert context.outcome(tool) == policy.outcome("family", tool, **fields), (tool, fields)
    small = palisade.Policy.from_dsl("agent main { tools { allow read } }")
    context = small.context("main", session="agent:main:main")
    assert context.outcome("exec") == "deny"
    small.replace(palisade.Policy.from_dsl("agent main { tools { allow exec } }"))
    assert context.outcome("exec") == "allow"
    small.replace(palisade.Policy.from_dsl("agent other { tools { allow exec } }"))
    assert context.outcome("exec") == "deny", "an agent the new policy lacks is denied, not an error"
    with pytest.raises(ValueError, match="unknown agent"):
        small.context("main")
