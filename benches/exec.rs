//! Exec command rules end to end: parse a command, then one exec layer's
//! decision over its segments. An 80-byte, three-segment command against
//! 10, 1,000 and 10,000 patterns (issue 15's target: at most 1 µs at 1,000).
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use palisade::unstable::exec::{CommandPattern, ExecLayer, ExecRule};
use palisade::unstable::shell::{parse, pattern_words};

/// `n` patterns over `n / 10` programs: the command's programs among them,
/// the rest generated (`tool17 sub3 *`).
fn layer(n: usize) -> ExecLayer {
    let rule = |text: String| ExecRule { pattern: CommandPattern::new(&pattern_words(&text).unwrap()).unwrap(), written: text, at: None };
    let mut allow = vec![rule("git status *".into()), rule("git log *".into()), rule("cargo test *".into())];
    let mut deny = vec![rule("rm -rf *".into()), rule("curl *".into())];
    let mut i = 0;
    while allow.len() + deny.len() < n {
        let text = format!("tool{} sub{} *", i / 10, i % 10);
        if i % 5 == 0 {
            deny.push(rule(text));
        } else {
            allow.push(rule(text));
        }
        i += 1;
    }
    ExecLayer::new(allow, vec![rule("git push *".into())], deny, None, None, None)
}

fn exec(c: &mut Criterion) {
    // 80 bytes, three segments.
    let command = "git status --short && git log --oneline -n 5 -- src/ ; cargo test -q --lib shell";
    assert_eq!(command.len(), 80);
    assert_eq!(parse(command).len(), 3);
    let mut group = c.benchmark_group("exec");
    group.bench_function("parse_80b_3_segments", |b| b.iter(|| parse(black_box(command))));
    for n in [10, 1_000, 10_000] {
        let layer = layer(n);
        let outcome = layer.decide(&parse(command));
        assert_eq!(outcome, palisade::ToolOutcome::Allow);
        group.bench_function(format!("decide_80b_3_segments_{n}_patterns"), |b| b.iter(|| layer.decide(&parse(black_box(command)))));
    }
    group.finish();
}

criterion_group!(benches, exec);
criterion_main!(benches);
