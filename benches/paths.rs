//! Path rules: a file call's path against one `paths` block of 100 globs,
//! end to end through `Engine::decide_outcome` (request context, every
//! layer, the built-in protected paths, the path read and every rule), and
//! the normaliser alone. Issue 28's target: a 60-byte path against 100
//! globs in at most 200 ns.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use palisade::{normalize_path, Args, Policy, ToolRequest};

/// A `paths` block of `n` rules: allows over source trees, asks over lock
/// files, denies over secrets, in the proportions a real policy has.
fn policy(n: usize) -> String {
    let mut rules = Vec::new();
    for i in 0..n {
        let rule = match i % 10 {
            0 => format!("deny read, write \"**/secret{i}/**\""),
            1 => format!("deny \"*.key{i}\""),
            2 => format!("ask write \"**/lock{i}.lock\""),
            3 => format!("allow read \"docs{i}/**/*.md\""),
            _ => format!("allow read, write \"src{i}/**\""),
        };
        rules.push(rule);
    }
    format!("agent a {{ tools {{ allow read, write, exec  paths {{\n{}\n}} }} }}\n", rules.join("\n"))
}

fn paths(c: &mut Criterion) {
    let mut group = c.benchmark_group("paths");
    // 60 bytes, allowed by the last allow rule (every rule is tried).
    let path = "src99/components/widgets/forms/inputs/text_field_widgetsx.rs";
    assert_eq!(path.len(), 60);
    for n in [10, 100] {
        let policy = Policy::from_dsl("bench.pal", &policy(n)).unwrap();
        let engine = policy.engine();
        let target = if n == 10 { "src9/components/widgets/forms/inputs/text_field_widgetsxy.rs" } else { path };
        assert_eq!(target.len(), 60);
        let pairs = [("path", target)];
        let request = ToolRequest::new("a", "read").with_session("agent:a:main").with_args(Args::pairs(&pairs));
        assert_eq!(engine.decide_outcome(&request), palisade::ToolOutcome::Allow, "{target}");
        group.bench_function(format!("engine_60b_path_{n}_globs"), |b| b.iter(|| engine.decide_outcome(black_box(&request))));
    }
    group.bench_function("normalize_60b", |b| b.iter(|| normalize_path(black_box(path)).map(|p| p.components().len())));
    group.finish();
}

criterion_group!(benches, paths);
criterion_main!(benches);
