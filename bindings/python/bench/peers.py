"""Palisade's Python binding against cedarpy on the peer bench's policy and
request stream (benches/peers.rs: the seed's 3 agents, 1,152 requests over
every layer's condition), side by side in one process.

    cargo run -p palisade-testkit --example bench_fixture -- /tmp/palisade-fixture
    pip install cedarpy
    python bench/peers.py /tmp/palisade-fixture

First both engines decide the whole stream and must agree with each other and
with the Rust engine's decisions in the fixture; then rounds of the whole
stream alternate between the engines, and the medians per request are
reported with their ratio (the context path resolves each request's context
before timing, as Cedar's requests are built before timing). Cedar gets its fastest paths: the policy set and
the entities parsed once (`PolicySet.from_str`, `Entities.from_json_str`),
every request built before timing, and also the whole stream in one
`is_authorized_batch` call.
"""

import json
import pathlib
import statistics
import sys
import time

import cedarpy
import palisade


def main() -> None:
    directory = pathlib.Path(sys.argv[1])
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    stream = [json.loads(line) for line in (directory / "stream.jsonl").read_text().splitlines() if line]
    policy = palisade.Policy.from_dsl((directory / "peers.pal").read_text(), "peers.pal")
    policies = cedarpy.PolicySet.from_str((directory / "peers.cedar").read_text())
    entities = cedarpy.Entities.from_json_str((directory / "entities.json").read_text())

    calls = [
        (r["agent"], r["tool"], {"provider": r["provider"], "session": r["session"], "subagent": r["subagent"], "owner": r["owner"]})
        for r in stream
    ]
    requests = [
        {"principal": f'Agent::"{r["agent"]}"', "action": 'Action::"call"', "resource": f'Tool::"{r["tool"]}"', "context": r["cedar_context"]}
        for r in stream
    ]
    outcome = policy.outcome
    contexts = [(policy.context(agent, **options).outcome, tool) for agent, tool, options in calls]

    def palisade_stream() -> int:
        return sum(1 for agent, tool, options in calls if outcome(agent, tool, **options) == "allow")

    # The loop itself: the same call shape into a Python function that does
    # nothing, so the figures above it can be read net of the harness.
    def nothing(agent: str, tool: str, **options: object) -> str:
        return "allow"

    def harness() -> int:
        return sum(1 for agent, tool, options in calls if nothing(agent, tool, **options) == "allow")

    def palisade_contexts() -> int:
        return sum(1 for decide, tool in contexts if decide(tool) == "allow")

    def cedar_stream() -> int:
        return sum(1 for request in requests if cedarpy.is_authorized(request, policies, entities).allowed)

    def cedar_batch() -> int:
        return sum(1 for answer in cedarpy.is_authorized_batch(requests, policies, entities) if answer.allowed)

    paths = {
        "palisade outcome(agent, tool, **options)": palisade_stream,
        "palisade context.outcome(tool)": palisade_contexts,
        "no-op Python function, same call (harness)": harness,
        "cedarpy is_authorized": cedar_stream,
        "cedarpy is_authorized_batch": cedar_batch,
    }

    # Equal decisions first, request by request.
    batch = cedarpy.is_authorized_batch(requests, policies, entities)
    for r, (agent, tool, options), request, in_batch, (decide, _) in zip(stream, calls, requests, batch, contexts):
        ours = outcome(agent, tool, **options) == "allow"
        if (decide(tool) == "allow") != ours:
            raise SystemExit(f"the context path disagrees on {r}")
        theirs = cedarpy.is_authorized(request, policies, entities).allowed
        if not (ours == theirs == in_batch.allowed == r["allowed"]):
            raise SystemExit(f"disagreement on {r}: rust {r['allowed']}, palisade {ours}, cedar {theirs}, batch {in_batch.allowed}")
    allowed = sum(1 for r in stream if r["allowed"])
    print(f"{len(stream)} requests, {allowed} allowed: Palisade, cedarpy (one by one and batched) and the Rust engine agree on every one")

    samples = {name: [] for name in paths}
    spent = {name: 0.0 for name in paths}
    for run in paths.values():
        run()  # warm up
    while any(s < seconds for s in spent.values()):
        for name, run in paths.items():
            if spent[name] >= seconds:
                continue
            started = time.perf_counter_ns()
            count = run()
            took = time.perf_counter_ns() - started
            # The harness decides nothing: every call says "allow".
            if count != (len(stream) if run is harness else allowed):
                raise SystemExit(f"{name}: {count} allowed, expected {allowed}")
            samples[name].append(took / len(stream))
            spent[name] += took / 1e9
    cedar = statistics.median(samples["cedarpy is_authorized"])
    print(f"python {sys.version.split()[0]}, {seconds} s per path, medians per request over whole-stream rounds:")
    for name, xs in samples.items():
        m = statistics.median(xs)
        print(f"  {name:<42} {m:>10.1f} ns  ({len(xs)} rounds)  cedar one-by-one/this = {cedar / m:.1f}x")


if __name__ == "__main__":
    main()
