//! Exec command rules: parse a command, then one exec layer's decision over
//! its segments; and the same end to end through `Engine::decide_outcome`
//! (request context, every layer, parse, rules). An 80-byte, three-segment
//! command against 10, 1,000 and 10,000 patterns (issue 25's targets: at
//! most 1 µs at 1,000, parse included; at most 5 µs when 10,000 patterns
//! name the command's program; a 10,000-pattern policy loads in at most
//! 15 ms).
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use palisade::unstable::exec::{CommandPattern, ExecLayer, ExecRule};
use palisade::unstable::shell::{parse, pattern_words};
use palisade::{Policy, ToolRequest};

/// `n` patterns as allow and deny texts (a fifth of them deny): the
/// command's own, then `generated(i)` for each further one.
fn patterns_of(n: usize, generated: impl Fn(usize) -> String) -> (Vec<String>, Vec<String>) {
    let mut allow: Vec<String> = ["git status *", "git log *", "cargo test *"].map(String::from).to_vec();
    let mut deny: Vec<String> = ["rm -rf *", "curl *"].map(String::from).to_vec();
    let mut i = 0;
    while allow.len() + deny.len() < n {
        if i % 5 == 0 {
            deny.push(generated(i));
        } else {
            allow.push(generated(i));
        }
        i += 1;
    }
    (allow, deny)
}

/// `n` patterns over `n / 10` programs (`tool17 sub3 *`).
fn patterns(n: usize) -> (Vec<String>, Vec<String>) {
    patterns_of(n, |i| format!("tool{} sub{} *", i / 10, i % 10))
}

/// `n` patterns that all name `git` (`git sub17 *`, `git sub18 --flag18 *`).
fn same_program(n: usize) -> (Vec<String>, Vec<String>) {
    patterns_of(n, |i| if i % 2 == 0 { format!("git sub{i} *") } else { format!("git sub{i} --flag{i} *") })
}

fn layer(n: usize) -> ExecLayer {
    let rule = |text: &String| ExecRule { pattern: CommandPattern::new(pattern_words(text).unwrap()).unwrap(), written: text.clone(), at: None };
    let (allow, deny) = patterns(n);
    let rules = palisade::ByOutcome {
        allow: allow.iter().map(rule).collect(),
        ask: vec![rule(&"git push *".to_string())],
        deny: deny.iter().map(rule).collect(),
    };
    ExecLayer::new(rules, None, None, None)
}

fn policy_text(allow: Vec<String>, deny: Vec<String>) -> String {
    let quoted = |list: Vec<String>| list.iter().map(|p| format!("\"{p}\"")).collect::<Vec<_>>().join(", ");
    format!(
        "tools {{ deny browser }}\nagent a {{ tools {{ allow exec, read  exec {{ allow {}  ask \"git push *\"  deny {} }} }} }}\n",
        quoted(allow),
        quoted(deny)
    )
}

/// The same rules as a policy: one agent, its `exec` block, and a global
/// tools block, so that the request goes through context and layers.
fn policy(n: usize) -> Policy {
    let (allow, deny) = patterns(n);
    Policy::from_dsl("bench.pal", &policy_text(allow, deny)).unwrap()
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
    // End to end through the engine: context, layers, parse, exec rules.
    for n in [10, 1_000, 10_000] {
        let policy = policy(n);
        let engine = policy.engine();
        let request = ToolRequest::new("a", "exec").with_session("agent:a:main").with_command(command);
        assert_eq!(engine.decide_outcome(&request), palisade::ToolOutcome::Allow);
        group.bench_function(format!("engine_80b_3_segments_{n}_patterns"), |b| b.iter(|| engine.decide_outcome(black_box(&request))));
    }
    // 10,000 patterns of the command's own program.
    let (allow, deny) = same_program(10_000);
    let text = policy_text(allow, deny);
    let same = Policy::from_dsl("bench.pal", &text).unwrap();
    let request = ToolRequest::new("a", "exec").with_session("agent:a:main").with_command(command);
    assert_eq!(same.engine().decide_outcome(&request), palisade::ToolOutcome::Allow);
    group.bench_function("engine_80b_3_segments_10000_patterns_one_program", |b| b.iter(|| same.engine().decide_outcome(black_box(&request))));
    // Loading: parse, compile (shadowing checks included) and index.
    for n in [1_000, 10_000] {
        let (allow, deny) = patterns(n);
        let text = policy_text(allow, deny);
        group.bench_function(format!("load_{n}_patterns"), |b| b.iter(|| Policy::from_dsl("bench.pal", black_box(&text)).unwrap()));
    }
    group.bench_function("load_10000_patterns_one_program", |b| b.iter(|| Policy::from_dsl("bench.pal", black_box(&text)).unwrap()));
    group.finish();
}

criterion_group!(benches, exec);
criterion_main!(benches);
