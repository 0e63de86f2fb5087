//! README.md as a new user reads it: every `sh` block whose commands are
//! `palisade ...` runs in order, in a clean folder that holds only a copy
//! of `examples/`, with `palisade` on `PATH` as the README's install step
//! puts it there. Each command must succeed, and the output the README
//! shows under it (`# ...` lines) must be what it prints: a JSON line's
//! fields are compared value for value, a text line must appear as shown;
//! lines the README abridges with `...` are skipped.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// One command of a block and the output lines the README shows under it.
#[derive(Debug)]
struct Step {
    line: usize,
    command: String,
    shown: Vec<String>,
}

/// The steps of every `sh` block whose first command runs `palisade`
/// without Docker (the gateway's walk-through is covered by the gateway tests).
fn steps(readme: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut block: Option<Vec<Step>> = None;
    let mut pending = String::new();
    for (index, line) in readme.lines().enumerate() {
        let trimmed = line.trim_end();
        match (&mut block, trimmed) {
            (None, "```sh") => block = Some(Vec::new()),
            (Some(_), "```") => {
                let done = block.take().unwrap_or_default();
                let runs_palisade = done.first().is_some_and(|s| s.command.starts_with("palisade "));
                let needs_docker = done.iter().any(|s| s.command.starts_with("palisade gateway") || s.command.starts_with("palisade sandbox"));
                if runs_palisade && !needs_docker {
                    steps.extend(done);
                }
            }
            (Some(current), text) => {
                if let Some(output) = text.strip_prefix("# ") {
                    if let Some(step) = current.last_mut() {
                        step.shown.push(output.to_string());
                    }
                } else if !text.is_empty() && !text.starts_with('#') {
                    pending.push_str(text.trim_end_matches('\\'));
                    if text.ends_with('\\') {
                        pending.push(' ');
                        continue;
                    }
                    current.push(Step { line: index + 1, command: std::mem::take(&mut pending), shown: Vec::new() });
                }
            }
            (None, _) => {}
        }
    }
    steps
}

/// Every field of `shown` is in `actual` with the same value.
fn contains(actual: &Value, shown: &Value) -> bool {
    match (actual, shown) {
        (Value::Object(a), Value::Object(s)) => s.iter().all(|(k, v)| a.get(k).is_some_and(|av| contains(av, v))),
        _ => actual == shown,
    }
}

/// Checks what `step` printed against what the README shows.
fn compare(step: &Step, stdout: &str) -> Result<(), String> {
    // A JSON answer may be shown over several lines: `# {...` then `#  ...`.
    let mut shown = step.shown.iter().peekable();
    let mut json_answers = stdout.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok());
    while let Some(line) = shown.next() {
        if line.starts_with('{') {
            let mut text = line.clone();
            while let Some(more) = shown.peek().filter(|l| l.starts_with(' ')) {
                text.push_str(more);
                shown.next();
            }
            if text.contains("...") {
                continue;
            }
            let want: Value = serde_json::from_str(&text).map_err(|e| format!("the README's output `{text}` is not JSON: {e}"))?;
            let got = json_answers.next().ok_or_else(|| format!("no JSON answer for `{text}` in:\n{stdout}"))?;
            if !contains(&got, &want) {
                return Err(format!("shown:   {want}\nprinted: {got}"));
            }
        } else if !line.contains("...") && !stdout.lines().any(|l| l.trim_end() == line.trim_end()) {
            return Err(format!("shown `{line}`, not in:\n{stdout}"));
        }
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn every_palisade_command_in_the_readme_works_as_shown() {
    let root = crate::root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    // The install step comes before the first `palisade` command.
    let install = readme.find("cargo install --path crates/palisade-cli --locked").expect("README says how to install the binary");
    let first_use = readme.find("\npalisade ").unwrap();
    assert!(install < first_use, "README uses `palisade` before it says how to install it");

    let steps = steps(&readme);
    assert!(steps.len() >= 10, "found only {} README commands: {steps:?}", steps.len());
    let folder = std::env::temp_dir().join(format!("palisade-readme-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    copy_dir(&root.join("examples"), &folder.join("examples"));
    let bin = Path::new(env!("CARGO_BIN_EXE_palisade")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut failures = Vec::new();
    for step in &steps {
        let out = Command::new("timeout")
            .args(["20", "bash", "-c", &step.command])
            .current_dir(&folder)
            .env("PATH", &path)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let result = if out.status.success() {
            compare(step, &stdout)
        } else {
            Err(format!("exit {:?}: {}", out.status.code(), String::from_utf8_lossy(&out.stderr)))
        };
        if let Err(why) = result {
            failures.push(format!("README.md:{}: `{}`\n{why}", step.line, step.command));
        }
    }
    let _ = std::fs::remove_dir_all(&folder);
    assert!(failures.is_empty(), "{} of {} README commands do not work as shown:\n\n{}", failures.len(), steps.len(), failures.join("\n\n"));
}
