//! Palisade against cedar-policy on the same layered policy and the same
//! request stream (`common`: one description, two renderings; the equality
//! test is `tests/integration/peers.rs`), thread scaling on one shared
//! engine, and growth of decision time, compile time and engine size.
//! Run: `cargo bench --bench peers`. Quote medians from one run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use palisade_testkit::bench_policy;

use std::alloc::System;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use palisade::Engine;
use palisade::{Policy, ToolRequest};
use palisade_testkit::cedar::CedarPolicy;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

struct Owned {
    agent: String,
    tool: &'static str,
    provider: Option<&'static str>,
    session: String,
    subagent: bool,
    owner: bool,
}

impl Owned {
    fn request(&self) -> ToolRequest<'_> {
        ToolRequest::new(&self.agent, self.tool)
            .with_provider(self.provider)
            .with_session(&self.session)
            .with_subagent(self.subagent)
            .with_owner(self.owner)
    }
}

fn owned(stream: &[bench_policy::StreamRequest]) -> Vec<Owned> {
    stream
        .iter()
        .map(|r| Owned { agent: r.agent.clone(), tool: r.tool, provider: r.provider, session: r.session(), subagent: r.subagent, owner: r.owner })
        .collect()
}

fn engine(generated: usize, plugin_tools: usize) -> Engine {
    let agents = bench_policy::agents(generated, plugin_tools);
    Policy::from_dsl("peers.pal", &bench_policy::palisade_policy(&agents, plugin_tools)).unwrap().into_engine()
}

/// The whole stream, decided by both, one request after another.
fn peers(c: &mut Criterion) {
    let mut group = c.benchmark_group("peers");
    for generated in [0, 50] {
        let agents = bench_policy::agents(generated, 0);
        let label = format!("{}_agents", agents.len());
        let engine = engine(generated, 0);
        let stream = bench_policy::stream(&agents);
        let ours = owned(&stream);
        let cedar = CedarPolicy::new(&agents);
        let theirs: Vec<_> = stream.iter().map(CedarPolicy::request).collect();
        group.throughput(Throughput::Elements(stream.len() as u64));
        group.bench_function(BenchmarkId::new("palisade", &label), |b| {
            b.iter(|| ours.iter().filter(|r| engine.decide(black_box(&r.request()))).count())
        });
        group.bench_function(BenchmarkId::new("cedar", &label), |b| b.iter(|| theirs.iter().filter(|r| cedar.allows(black_box(r))).count()));
    }
    group.finish();
}

/// Decisions per second with one and two threads on one shared engine: a
/// fixed batch, split evenly, timed from spawn to join.
fn scaling(c: &mut Criterion) {
    let agents = bench_policy::agents(50, 0);
    let engine = engine(50, 0);
    let stream = owned(&bench_policy::stream(&agents));
    const ROUNDS: usize = 20;
    let batch = (stream.len() * ROUNDS) as u64;
    // Nothing shared is written on the hot path: not even the allocator
    // (whose counters here are shared atomics) is touched by a decision.
    let region = Region::new(GLOBAL);
    let allowed = stream.iter().filter(|r| engine.decide(black_box(&r.request()))).count();
    let touched = region.change();
    assert_eq!((touched.allocations, touched.reallocations), (0, 0), "deciding the stream allocated");
    eprintln!("scaling: {} requests per round, {allowed} allowed, no allocation", stream.len());
    let mut group = c.benchmark_group("scaling");
    group.throughput(Throughput::Elements(batch));
    for threads in [1usize, 2] {
        group.bench_function(BenchmarkId::new("threads", threads), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let started = Instant::now();
                    std::thread::scope(|scope| {
                        for t in 0..threads {
                            let (engine, stream) = (&engine, &stream);
                            scope.spawn(move || {
                                let mut allowed = 0usize;
                                for round in 0..ROUNDS {
                                    if round % threads != t {
                                        continue;
                                    }
                                    allowed += stream.iter().filter(|r| engine.decide(black_box(&r.request()))).count();
                                }
                                black_box(allowed)
                            });
                        }
                    });
                    total += started.elapsed();
                }
                total
            })
        });
    }
    group.finish();
}

/// Decision and compile time as the policy grows; prints the engine's heap
/// bytes (what stays allocated once the text and the AST are gone).
fn growth(c: &mut Criterion) {
    let mut group = c.benchmark_group("growth");
    for (generated, plugin_tools) in [(0, 0), (50, 0), (500, 0), (50, 1000)] {
        let agents = bench_policy::agents(generated, plugin_tools);
        let text = bench_policy::palisade_policy(&agents, plugin_tools);
        let region = Region::new(GLOBAL);
        let engine = Policy::from_dsl("growth.pal", &text).unwrap().into_engine();
        let stats = region.change();
        let bytes = stats.bytes_allocated.saturating_sub(stats.bytes_deallocated);
        let label = format!("{}_agents_{}_tools", agents.len(), engine.tool_names().len());
        eprintln!("engine size {label}: {bytes} bytes ({} policy text bytes)", text.len());
        // The last generated agent, a tool in the middle of its allow list.
        let last = agents.last().unwrap().id.clone();
        let request = ToolRequest::new(&last, "read").with_provider("openai/gpt-5");
        let context = engine.context(&request).unwrap();
        group.bench_function(BenchmarkId::new("decide_by_name", &label), |b| b.iter(|| engine.allows_name(black_box(context), black_box("read"))));
        group.bench_function(BenchmarkId::new("decide_full_request", &label), |b| b.iter(|| engine.decide(black_box(&request))));
        group.bench_function(BenchmarkId::new("compile", &label), |b| {
            b.iter_with_large_drop(|| Policy::from_dsl("growth.pal", black_box(&text)).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, peers, scaling, growth);
criterion_main!(benches);
