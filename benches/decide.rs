//! Decision and compile benchmarks. Run: `cargo bench --bench decide`.
//! Quote medians from one run; the machines are shared and noisy.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use palisade::{Policy, ToolRequest};

const EXAMPLE: &str = include_str!("../examples/multi-agent.pal");
const OPENCLAW: &str = include_str!("../examples/openclaw.json");

use palisade_testkit::bench_policy;

/// 50 agents: the seed's three and 47 in the shape real deployments take (a
/// global profile and provider rules, and per agent its own allow/deny, a
/// provider block, sandbox settings, a sandbox tool policy and a subagent
/// policy). `palisade_testkit::cedar` renders the same policy as Cedar for `peers`.
pub fn generated_policy(agents: usize) -> String {
    bench_policy::palisade_policy(&bench_policy::agents(agents.saturating_sub(3), 0), 0)
}

fn decide(c: &mut Criterion) {
    let policy = Policy::from_dsl("multi-agent.pal", EXAMPLE).unwrap();
    let engine = policy.engine();
    let request = ToolRequest::new("family", "read").with_provider("openai/gpt-5");
    let context = engine.context(&request).unwrap();
    let id = engine.tool_id("read").unwrap();
    assert!(engine.allows(context, id));

    let mut group = c.benchmark_group("decide");
    group.bench_function("by_id", |b| b.iter(|| engine.allows(black_box(context), black_box(id))));
    group.bench_function("by_name", |b| b.iter(|| engine.allows_name(black_box(context), black_box("read"))));
    group.bench_function("by_name_mixed_case", |b| b.iter(|| engine.allows_name(black_box(context), black_box("Read"))));
    group.bench_function("full_request", |b| b.iter(|| engine.decide(black_box(&request))));
    group.bench_function("explain", |b| b.iter(|| engine.explain(black_box(&request))));
    group.finish();
}

/// Compile benches time building the result, not freeing it
/// (`iter_with_large_drop`); `generated_50_agents_incl_drop` shows the drop.
fn compile(c: &mut Criterion) {
    let fifty = generated_policy(50);
    let mut group = c.benchmark_group("compile");
    group.bench_function("example_multi_agent", |b| b.iter_with_large_drop(|| Policy::from_dsl("multi-agent.pal", black_box(EXAMPLE)).unwrap()));
    group.bench_function("example_openclaw_json", |b| {
        b.iter_with_large_drop(|| Policy::from_openclaw_json("openclaw.json", black_box(OPENCLAW)).unwrap())
    });
    group.bench_function("parse_only_50_agents", |b| {
        b.iter_with_large_drop(|| {
            let source = std::sync::Arc::new(palisade::SourceFile::new("fifty.pal", black_box(fifty.as_str())));
            palisade::unstable::parse_dsl(source).unwrap()
        })
    });
    let ast = palisade::unstable::parse_dsl(std::sync::Arc::new(palisade::SourceFile::new("fifty.pal", fifty.as_str()))).unwrap().0;
    group.bench_function("lower_only_50_agents", |b| b.iter_with_large_drop(|| palisade::unstable::compile(black_box(&ast)).unwrap()));
    group.bench_function("generated_50_agents", |b| b.iter_with_large_drop(|| Policy::from_dsl("fifty.pal", black_box(&fifty)).unwrap()));
    group.bench_function("generated_50_agents_incl_drop", |b| b.iter(|| Policy::from_dsl("fifty.pal", black_box(&fifty)).unwrap()));
    group.finish();
}

/// Three mention patterns, twenty bindings over four channels: the shapes
/// the ingress targets of issue 3 name.
const INGRESS_POLICY: &str = r#"
agent main { default sandbox off }
agent family { sandbox all }
agent work { sandbox non-main }
channel telegram {
  dm pairing  allow_from "111", "333"
  groups allowlist { group "-1001" require_mention  group "*" require_mention }
  group_allow_from "111", "333", "444"
  mention_patterns "@palbot\\b", "hey bot", "^!ask\\s"
  commands { text on  allow_from "111" }
}
sessions { dm_scope per_account_channel_peer  link alice = telegram:111, discord:222 }
route {
  telegram peer "1" -> family    telegram peer "2" -> work     telegram peer "3" -> family
  telegram peer "4" -> work      telegram peer "5" -> family   telegram peer group "-1" -> work
  telegram peer group "-2" -> family   telegram peer group "-3" -> work
  discord guild "g1" roles "admin" -> work   discord guild "g1" -> family
  discord guild "g2" -> work     discord peer channel "c1" -> family
  msteams team "t1" -> work      msteams team "t2" -> family
  slack account "biz" -> work    slack account "ops" -> family
  slack peer "u1" -> family      slack account * -> work
  telegram account "support" -> work   telegram peer "333" -> family
}
"#;

fn ingress(c: &mut Criterion) {
    let policy = Policy::from_dsl("ingress.pal", INGRESS_POLICY).unwrap();
    let engine = policy.engine();
    // 200 bytes, the mention near the end: the automaton scans most of it.
    let text = "so I was thinking about the plan for the weekend and whether we should move the meeting to sunday afternoon because the weather looks better then, what do you all think? also @PalBot please remind me!";
    assert_eq!(text.len(), 200);
    let message = palisade::Inbound::group("telegram", "-1001", "333", text);
    assert_eq!(engine.gate(&message).outcome, palisade::IngressOutcome::Accept);
    let no_mention = palisade::Inbound { text: &text[..150], ..message };
    assert_eq!(engine.gate(&no_mention).outcome, palisade::IngressOutcome::Drop);
    // Hostile: 1 KiB of near misses, a candidate every 8 bytes, none a mention.
    let near_misses = "@PalBotx".repeat(128);
    let near_miss = palisade::Inbound { text: &near_misses, ..message };
    assert_eq!(engine.gate(&near_miss).outcome, palisade::IngressOutcome::Drop);
    // Matched by exact peer; the binding is the last of twenty in the file.
    let dm = palisade::Inbound::direct("telegram", "333", "hi");
    let route = engine.route(&dm).unwrap();
    assert_eq!(route.matched_by.binding, Some(20));
    assert_eq!(route.session_key, "agent:family:telegram:default:direct:333");

    let mut group = c.benchmark_group("ingress");
    group.bench_function("gate_group_200b_3_patterns", |b| b.iter(|| engine.gate(black_box(&message))));
    group.bench_function("gate_group_no_mention", |b| b.iter(|| engine.gate(black_box(&no_mention))));
    group.bench_function("gate_group_1k_near_misses", |b| b.iter(|| engine.gate(black_box(&near_miss))));
    group.bench_function("route_20_bindings_with_key", |b| b.iter(|| engine.route(black_box(&dm))));
    group.finish();
}

criterion_group!(benches, decide, compile, ingress);
criterion_main!(benches);
