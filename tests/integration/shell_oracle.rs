//! The shell is the oracle (BRIEF section 6b): every command of the shell
//! corpus (`tests/shell/oracle.jsonl`, the exec commands of `tests/corpus`)
//! and a fixed number of generated ones runs under bash, dash and busybox
//! ash in a sandbox of stub programs (`palisade_testkit::oracle`). A
//! counterexample is a program that ran which no segment Palisade judged
//! accounts for, or a command Palisade allows that runs something the same
//! policy would not allow when given that argv alone.

use palisade_testkit::oracle::{Checker, Oracle, Shell};
use palisade_testkit::shell_gen;
use serde_json::Value;

/// Generated commands per `cargo test` (the fuzz target runs more).
const GENERATED: usize = 400;

pub fn oracle() -> Option<Oracle> {
    match Oracle::new() {
        Ok(oracle) if std::env::var_os("CI").is_some() && !oracle.shells().contains(&Shell::BusyboxAsh) => {
            panic!("the shell oracle needs busybox ash in CI: PALISADE_ORACLE_BUSYBOX names no file (.ci/run unpacks Debian's busybox)")
        }
        Ok(oracle) => Some(oracle),
        Err(why) if std::env::var_os("CI").is_some() => panic!("the shell oracle cannot run in CI: {}", why.0),
        Err(why) => {
            eprintln!("!! SKIPPED: the shell oracle cannot run here: {} (.ci/run installs it)", why.0);
            None
        }
    }
}

/// The commands of the shell corpus, then those of the decision corpus.
pub fn corpus() -> Vec<String> {
    let mut commands = Vec::new();
    let text = std::fs::read_to_string(crate::root().join("tests/shell/oracle.jsonl")).unwrap();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("tests/shell/oracle.jsonl:{}: {e}", i + 1));
        commands.push(v["command"].as_str().unwrap_or_else(|| panic!("tests/shell/oracle.jsonl:{}: no command", i + 1)).to_string());
    }
    let mut dirs: Vec<_> = std::fs::read_dir(crate::root().join("tests/corpus")).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    for dir in dirs {
        let Ok(table) = std::fs::read_to_string(dir.join("cases.jsonl")) else { continue };
        for line in table.lines().filter(|l| !l.trim().is_empty()) {
            let v: Value = serde_json::from_str(line).unwrap();
            if let Some(command) = v.get("args").and_then(|a| a.get("command")).and_then(Value::as_str) {
                commands.push(command.to_string());
            }
        }
    }
    commands.retain(|c| !c.contains('\0'));
    commands
}

/// Every counterexample of `commands` under `shell`, one line each.
pub fn counterexamples(oracle: &Oracle, shell: Shell, commands: &[String]) -> Vec<String> {
    let checker = Checker::new();
    let outcome = oracle.run(shell, commands).unwrap_or_else(|e| panic!("{}", e.0));
    let mut found: Vec<String> = commands.iter().zip(&outcome.runs).flat_map(|(command, runs)| checker.check(shell, command, runs)).collect();
    for i in outcome.lost {
        found.push(format!("{}: {:?} could not be run to its end in the sandbox", shell.name(), commands[i]));
    }
    found
}

#[test]
fn the_shells_run_only_what_palisade_judged() {
    let Some(oracle) = oracle() else { return };
    let mut commands = corpus();
    let mut choices = shell_gen::Seeded(0x5eed_0f0a_1c00);
    commands.extend((0..GENERATED).map(|_| shell_gen::command(&mut choices)));
    let mut found = Vec::new();
    for shell in oracle.shells().to_vec() {
        found.extend(counterexamples(&oracle, shell, &commands));
    }
    eprintln!("shell oracle: {} commands x {:?}: {} counterexamples", commands.len(), oracle.shells(), found.len());
    assert!(found.is_empty(), "{} counterexamples:\n{}", found.len(), found.join("\n"));
}

/// The oracle sees what it must: a stub logs its argv, a real wrapper runs
/// its inner command, a nested shell runs its script, and stdin, env and
/// background jobs do not hide a run. Without this, an empty log would make
/// every command agree.
#[test]
fn the_oracle_sees_every_program_that_runs() {
    let Some(oracle) = oracle() else { return };
    let cases: &[(&str, &[&str])] = &[
        ("rm -rf /", &["rm -rf /"]),
        ("/bin/rm x; /usr/bin/ls", &["ls", "rm x"]),
        ("nice -n 5 rm a", &["rm a"]),
        ("env -i rm a", &["rm a"]),
        ("bash -c 'git status' && sh -ec 'curl x'", &["curl x", "git status"]),
        ("echo hi | xargs rm", &["rm hi"]),
        ("find . -name a.txt -exec rm {} +", &["rm ./a.txt"]),
        ("rm x & sleep 0", &["rm x", "sleep 0"]),
        ("eval 'rm y'", &["rm y"]),
        ("echo 'rm -rf /'", &[]),
    ];
    for shell in oracle.shells().to_vec() {
        let commands: Vec<String> = cases.iter().map(|(c, _)| c.to_string()).collect();
        let outcome = oracle.run(shell, &commands).unwrap();
        for ((command, want), runs) in cases.iter().zip(&outcome.runs) {
            let mut got: Vec<String> =
                runs.iter().map(|r| std::iter::once(r.program()).chain(r.args.iter().map(String::as_str)).collect::<Vec<_>>().join(" ")).collect();
            got.sort();
            assert_eq!(got, *want, "{}: {command:?}", shell.name());
        }
    }
}
