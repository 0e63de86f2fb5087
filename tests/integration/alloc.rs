//! Allocation counts on the decision paths that promise none: one exec
//! layer deciding an already parsed command (issue 15: no per-call
//! allocation beyond the parse). The counter is process-wide, so each
//! count is the least of many tries: other tests' allocations only add.

use std::alloc::System;

use palisade::unstable::exec::{CommandPattern, ExecLayer, ExecRule};
use palisade::unstable::shell::{parse, pattern_words};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn fewest_allocations(f: impl Fn()) -> usize {
    (0..200)
        .map(|_| {
            let region = Region::new(GLOBAL);
            f();
            let change = region.change();
            change.allocations + change.reallocations
        })
        .min()
        .unwrap()
}

#[test]
fn an_exec_layer_decides_a_parsed_command_without_allocating() {
    let rule = |text: &str| ExecRule { pattern: CommandPattern::new(pattern_words(text).unwrap()).unwrap(), written: text.into(), at: None };
    let rules = palisade::ByOutcome {
        allow: vec![rule("git status"), rule("git log *"), rule("ls * *"), rule("/opt/bin/tool *")],
        ask: vec![rule("git push *")],
        deny: vec![rule("rm -rf *"), rule("rm * /")],
    };
    let layer = ExecLayer::new(rules, None, None, None);
    for command in [
        "git status && git log --oneline -n 5 ; ls -la src",
        "git $SUB origin; rm \"$FLAGS\" /",
        "/usr/bin/git status | /usr/bin/ls -l x", // a path with `..` is normalised, which allocates
        "/usr/bin/nice -n 5 git log; bash -c 'ls \"$A\" x'",
        "echo $(rm -rf /) > out.txt",
    ] {
        let segments = parse(command);
        let outcome = layer.decide(&segments);
        assert_eq!(fewest_allocations(|| assert_eq!(layer.decide(&segments), outcome)), 0, "{command}");
    }
}
