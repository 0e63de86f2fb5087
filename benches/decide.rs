//! Decision and compile benchmarks. Run: `cargo bench --bench decide`.
//! Quote medians from one run; the machines are shared and noisy.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use palisade::{Policy, ToolRequest};

const EXAMPLE: &str = include_str!("../examples/multi-agent.pal");
const OPENCLAW: &str = include_str!("../examples/openclaw.json");

/// A 50-agent policy in the shape real deployments take: a global profile
/// and provider rules, and per agent its own allow/deny, a provider block,
/// sandbox settings, a sandbox tool policy and a subagent policy.
pub fn generated_policy(agents: usize) -> String {
    let mut out = String::from(
        "group research = [web_search, web_fetch, read]\n\
         tools { profile coding  also_allow group:web  deny group:nodes\n\
           provider \"openai\" { deny exec }  provider \"openai/gpt-5-mini\" { profile minimal }\n\
           subagents { deny browser } }\n\
         sandbox defaults { mode non-main scope session workspace none docker { memory 1g pids 256 } }\n",
    );
    for i in 0..agents {
        let (allow, deny) = match i % 4 {
            0 => ("group:fs, group:runtime, web_search", "process"),
            1 => ("group:research, sessions_send", "write"),
            2 => ("read, write, edit, exec, memory_get", "apply_patch"),
            _ => ("group:sessions, group:memory, image", "sessions_spawn"),
        };
        let mode = ["non-main", "all"][i % 2];
        out += &format!(
            "agent agent{i} \"Agent {i}\" {{\n  sandbox {mode} workspace ro\n  tools {{ allow {allow}  deny {deny}\n    \
             provider \"anthropic\" {{ deny web_fetch }}\n    sandbox {{ allow read, exec, web_search, image, sessions_send }}\n    \
             subagents {{ deny exec }} }}\n}}\n"
        );
    }
    out
}

fn decide(c: &mut Criterion) {
    let policy = Policy::from_dsl("multi-agent.pal", EXAMPLE).unwrap();
    let engine = policy.engine();
    let request = ToolRequest { provider: Some("openai/gpt-5"), ..ToolRequest::new("family", "read") };
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

fn compile(c: &mut Criterion) {
    let fifty = generated_policy(50);
    let mut group = c.benchmark_group("compile");
    group.bench_function("example_multi_agent", |b| b.iter(|| Policy::from_dsl("multi-agent.pal", black_box(EXAMPLE)).unwrap()));
    group.bench_function("example_openclaw_json", |b| {
        b.iter(|| Policy::from_openclaw_json("openclaw.json", black_box(OPENCLAW)).unwrap())
    });
    group.bench_function("parse_only_50_agents", |b| {
        b.iter(|| {
            let source = std::sync::Arc::new(palisade::SourceFile::new("fifty.pal", black_box(fifty.as_str())));
            palisade::syntax::parse(source).unwrap()
        })
    });
    let ast = palisade::syntax::parse(std::sync::Arc::new(palisade::SourceFile::new("fifty.pal", fifty.as_str()))).unwrap().0;
    group.bench_function("lower_only_50_agents", |b| b.iter(|| palisade::compile::compile(black_box(&ast)).unwrap()));
    group.bench_function("generated_50_agents", |b| b.iter(|| Policy::from_dsl("fifty.pal", black_box(&fifty)).unwrap()));
    group.finish();
}

criterion_group!(benches, decide, compile);
criterion_main!(benches);
