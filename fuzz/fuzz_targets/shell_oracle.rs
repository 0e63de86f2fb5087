//! The shell as the oracle (BRIEF section 6b), fuzzed: the input chooses a
//! command from the grammar of `palisade_testkit::shell_gen`, which runs
//! under bash, dash and busybox ash (when `PALISADE_ORACLE_BUSYBOX` names
//! it) in the oracle's sandbox; any counterexample is written to
//! `artifacts/shell_oracle/counterexamples.jsonl` (a line for
//! `tests/shell/oracle.jsonl`) and fails the run. Needs `bwrap`.
#![no_main]

use std::io::Write;
use std::sync::{Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use palisade_testkit::oracle::{Checker, Oracle, Session};
use palisade_testkit::shell_gen;

struct State {
    oracle: Oracle,
    sessions: Vec<Session>,
    checker: Checker,
}

fn state() -> &'static Mutex<State> {
    static STATE: OnceLock<Mutex<State>> = OnceLock::new();
    STATE.get_or_init(|| {
        let oracle = Oracle::new().unwrap_or_else(|e| panic!("the shell oracle cannot run: {}", e.0));
        let sessions = oracle.shells().iter().map(|s| oracle.session(*s).unwrap_or_else(|e| panic!("{}", e.0))).collect();
        Mutex::new(State { oracle, sessions, checker: Checker::new() })
    })
}

fuzz_target!(|data: &[u8]| {
    let command = shell_gen::command(&mut shell_gen::Bytes(data));
    let mut state = state().lock().unwrap_or_else(|e| e.into_inner());
    let State { oracle, sessions, checker } = &mut *state;
    for session in sessions.iter_mut() {
        let runs = match session.run(&command) {
            Ok(runs) => runs,
            Err(_) => {
                // The command killed its sandbox: a new one, and once more.
                *session = oracle.session(session.shell()).unwrap_or_else(|e| panic!("{}", e.0));
                let Ok(runs) = session.run(&command) else {
                    *session = oracle.session(session.shell()).unwrap_or_else(|e| panic!("{}", e.0));
                    continue;
                };
                runs
            }
        };
        let found = checker.check(session.shell(), &command, &runs);
        if !found.is_empty() {
            let _ = std::fs::create_dir_all("artifacts/shell_oracle");
            if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open("artifacts/shell_oracle/counterexamples.jsonl") {
                let line = serde_json::json!({ "command": command, "why": format!("found by the shell_oracle fuzz target under {}", session.shell().name()) });
                let _ = writeln!(file, "{line}");
            }
            panic!("{}", found.join("\n"));
        }
    }
});
