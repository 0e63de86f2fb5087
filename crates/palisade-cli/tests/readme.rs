//! README.md as a new user reads it: every `sh` block whose commands are
//! `palisade ...` runs in order, in a clean folder that holds only a copy
//! of `examples/`, with `palisade` on `PATH` as the README's install step
//! puts it there. Each command must succeed, and the output the README
//! shows under it (`# ...` lines right after it; a `# ` line after a blank
//! line is prose) must be what it prints: a JSON line's fields are compared
//! value for value, a text line must appear as shown. `...` abridges: a
//! JSON member `,...` stands for members left out, a string `"pal_c3a6..."`
//! for any string of that kind (up to its last `_`, `.` or `-`), and the
//! README's later commands get the string it stood for, as a reader pastes
//! it; other lines with `...` are skipped.
//!
//! The gateway's walk-through (a block that starts `palisade gateway`)
//! runs in one shell session, as a reader types it, against a real dockerd.
//!
//! The other `sh` blocks (building, installing, the bindings, fuzzing) are
//! run as written by `.ci/run`, which finds each by its `readme-run` tag;
//! `every_command_block_is_run_somewhere` holds the two sides together.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

/// One command of a block and the output lines the README shows under it.
#[derive(Debug)]
struct Step {
    line: usize,
    command: String,
    shown: Vec<String>,
}

/// Whether a block is the gateway's: it runs `palisade gateway` or
/// `palisade sandbox`, which need Docker.
fn needs_docker(block: &[Step]) -> bool {
    block.iter().any(|s| s.command.starts_with("palisade gateway") || s.command.starts_with("palisade sandbox"))
}

/// The steps of every `sh` block of the README that runs `palisade`, block by block.
fn blocks(readme: &str) -> Vec<Vec<Step>> {
    let mut blocks = Vec::new();
    let mut block: Option<Vec<Step>> = None;
    let mut pending = String::new();
    let mut prose = false;
    for (index, line) in readme.lines().enumerate() {
        let trimmed = line.trim_end();
        match (&mut block, trimmed) {
            (None, "```sh") => {
                block = Some(Vec::new());
                prose = true;
            }
            (Some(_), "```") => {
                let done = block.take().unwrap_or_default();
                if done.iter().any(|s| s.command.starts_with("palisade ")) {
                    blocks.push(done);
                }
            }
            (Some(current), text) => {
                if text.is_empty() {
                    prose = true;
                } else if let Some(output) = text.strip_prefix("# ") {
                    if let (false, Some(step)) = (prose, current.last_mut()) {
                        step.shown.push(output.to_string());
                    }
                } else if !text.starts_with('#') {
                    prose = false;
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
    blocks
}

/// The steps of the blocks that run `palisade` without Docker, in order.
fn steps(readme: &str) -> Vec<Step> {
    blocks(readme).into_iter().filter(|b| b.first().is_some_and(|s| s.command.starts_with("palisade ")) && !needs_docker(b)).flatten().collect()
}

/// The strings the README abridged (`"pal_c3a6..."`) and what they stood for.
type Bindings = BTreeMap<String, String>;

/// Every field of `shown` is in `actual` with the same value; an abridged
/// string matches a string of its kind, and is bound to it.
fn contains(actual: &Value, shown: &Value, bound: &mut Bindings) -> bool {
    match (actual, shown) {
        (Value::Object(a), Value::Object(s)) => s.iter().all(|(k, v)| a.get(k).is_some_and(|av| contains(av, v, bound))),
        (Value::String(a), Value::String(s)) if s.ends_with("...") => {
            let kind = s.trim_end_matches("...");
            let kind = kind.get(..kind.rfind(['_', '.', '-']).map_or(0, |at| at + 1)).unwrap_or_default();
            bound.insert(s.clone(), a.clone());
            a.starts_with(kind) && a.len() > kind.len()
        }
        _ => actual == shown,
    }
}

/// A JSON answer as the README shows it, with members left out (`,...`)
/// taken away.
fn abridged_json(text: &str) -> Result<Value, String> {
    let mut plain = text.to_string();
    for (from, to) in [(", ...}", "}"), (",...}", "}"), ("{...}", "{}")] {
        plain = plain.replace(from, to);
    }
    serde_json::from_str(&plain).map_err(|e| format!("the README's output `{text}` is not JSON: {e}"))
}

/// Checks what `step` printed against what the README shows.
fn compare(step: &Step, stdout: &str) -> Result<(), String> {
    compare_binding(step, stdout, &mut Bindings::new())
}

/// As `compare`, binding the strings the README abridged.
fn compare_binding(step: &Step, stdout: &str, bound: &mut Bindings) -> Result<(), String> {
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
            let want = abridged_json(&text)?;
            let got = json_answers.next().ok_or_else(|| format!("no JSON answer for `{text}` in:\n{stdout}"))?;
            if !contains(&got, &want, bound) {
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

/// A new folder holding only a copy of `examples/`, and a `PATH` with
/// `palisade` on it, as the README's install step leaves it.
fn clean_folder(name: &str) -> (std::path::PathBuf, String) {
    let folder = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    copy_dir(&crate::root().join("examples"), &folder.join("examples"));
    let bin = Path::new(env!("CARGO_BIN_EXE_palisade")).parent().unwrap();
    (folder, format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()))
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
    let (folder, path) = clean_folder("palisade-readme");
    let mut failures = Vec::new();
    for step in &steps {
        let out = Command::new("timeout")
            .args(["20", "bash", "-c", &step.command])
            .current_dir(&folder)
            .env("PATH", &path)
            // A command the README gets wrong can reach no one's home but this folder.
            .env("HOME", &folder)
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

/// A bash session fed one command at a time, as a reader types them.
struct Session {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    lines: mpsc::Receiver<String>,
    stderr: std::path::PathBuf,
}

/// Ends a command's output: its exit status follows.
const END: &str = "@@readme-step-end:";

impl Session {
    fn start(folder: &Path, path: &str) -> Session {
        let stderr = folder.join("session.stderr");
        let mut child = Command::new("bash")
            .current_dir(folder)
            .env("PATH", path)
            .env("HOME", folder)
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .process_group(0)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Session { child, stdin, lines, stderr }
    }

    /// Runs `command`; its exit status and what it printed, or why not.
    fn run(&mut self, command: &str, limit: Duration) -> Result<(i32, String), String> {
        // The newline before the marker ends an answer printed without one (curl's).
        writeln!(self.stdin, "{command}\nprintf '\\n{END}%s\\n' \"$?\"").map_err(|e| e.to_string())?;
        let mut out = String::new();
        let deadline = std::time::Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => match line.strip_prefix(END) {
                    Some(status) => return Ok((status.parse().unwrap_or(-1), out)),
                    None => {
                        out.push_str(&line);
                        out.push('\n');
                    }
                },
                Err(_) => return Err(format!("no end within {limit:?}; printed:\n{out}\nstderr:\n{}", self.stderr())),
            }
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // The shell's whole group: a gateway it left running goes too.
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", self.child.id())]).status();
        let _ = self.child.wait();
    }
}

use std::os::unix::process::CommandExt;

#[test]
fn the_gateway_walk_through_works_as_shown() {
    if !crate::gateway::docker_ready() {
        return;
    }
    let root = crate::root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let gateway_blocks: Vec<Vec<Step>> =
        blocks(&readme).into_iter().filter(|b| b.iter().any(|s| s.command.starts_with("palisade gateway"))).collect();
    assert!(gateway_blocks.len() >= 2, "found {} gateway blocks in the README", gateway_blocks.len());
    let (folder, path) = clean_folder("palisade-readme-gateway");
    let mut session = Session::start(&folder, &path);
    let mut bound = Bindings::new();
    let mut failures = Vec::new();
    let mut ran = 0;
    for step in gateway_blocks.iter().flatten() {
        // Installing packages is the machine's business (CI installs them).
        if step.command.starts_with("sudo apt-get install") {
            continue;
        }
        let mut command = step.command.clone();
        for (abridged, actual) in &bound {
            command = command.replace(abridged.as_str(), actual);
        }
        assert!(!command.contains("..."), "README.md:{}: `{}` uses a value no earlier answer gave", step.line, step.command);
        // Building the sandbox image may pull nothing but still takes a while.
        let limit = Duration::from_secs(if command.starts_with("palisade sandbox image") { 600 } else { 30 });
        ran += 1;
        let result = match session.run(&command, limit) {
            Ok((0, stdout)) => compare_binding(step, &stdout, &mut bound),
            Ok((status, stdout)) => Err(format!("exit {status}; printed:\n{stdout}\nstderr:\n{}", session.stderr())),
            Err(why) => Err(why),
        };
        if let Err(why) = result {
            failures.push(format!("README.md:{}: `{}`\n{why}", step.line, step.command));
            break; // a walk-through past a broken step only says the same again
        }
    }
    drop(session);
    let _ = std::fs::remove_dir_all(&folder);
    assert!(failures.is_empty(), "the gateway walk-through does not work as shown:\n\n{}", failures.join("\n\n"));
    assert!(ran >= 10 && bound.len() >= 2, "ran {ran} commands, bound {bound:?}");
}

/// Every `sh` block of the README is run by one side: the tests above (it
/// runs `palisade`), or `.ci/run` (it is tagged `<!-- readme-run: NAME ... -->`
/// and `.ci/run` calls `readme_run NAME`). Neither side may claim a block
/// the other runs, and no tag names a block that is not there.
#[test]
fn every_command_block_is_run_somewhere() {
    let root = crate::root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    let ran_by_ci = |name: &str| ci.lines().any(|line| line.split_whitespace().skip_while(|w| *w != "readme_run").nth(1) == Some(name));
    let lines: Vec<&str> = readme.lines().collect();
    let mut problems = Vec::new();
    let mut tags = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        if let Some(rest) = line.strip_prefix("<!-- readme-run: ") {
            let name = rest.split_whitespace().next().unwrap_or_default().to_string();
            if lines.get(index + 1).map(|l| l.trim_end()) != Some("```sh") {
                problems.push(format!("README.md:{}: the tag `{name}` is not right above a ```sh block", index + 1));
            }
            tags.push(name);
        }
        if line.trim_end() != "```sh" {
            continue;
        }
        let body: Vec<&str> = lines[index + 1..].iter().take_while(|l| l.trim_end() != "```").copied().collect();
        let runs_palisade = body.iter().any(|l| l.starts_with("palisade "));
        let tag = index.checked_sub(1).and_then(|i| lines[i].strip_prefix("<!-- readme-run: ")).and_then(|rest| rest.split_whitespace().next());
        match (tag, runs_palisade) {
            (Some(name), true) => problems.push(format!("README.md:{}: block `{name}` runs `palisade`, so the README tests run it; .ci/run must not run it again", index + 1)),
            (Some(name), false) if !ran_by_ci(name) => problems.push(format!("README.md:{}: block `{name}` is tagged for .ci/run, which never calls `readme_run {name}`", index + 1)),
            (None, false) => problems.push(format!("README.md:{}: this `sh` block is run by neither the README tests nor .ci/run; tag it `<!-- readme-run: NAME -->` and call `readme_run NAME` in .ci/run", index + 1)),
            _ => {}
        }
    }
    let mut unique = tags.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), tags.len(), "a readme-run tag is used twice: {tags:?}");
    for line in ci.lines() {
        let mut words = line.split_whitespace().skip_while(|w| *w != "readme_run");
        if let (Some(_), Some(name)) = (words.next(), words.next()) {
            let a_call = !line.trim_start().starts_with('#') && name.chars().all(|c| c.is_ascii_lowercase() || c == '-');
            if !a_call {
                continue;
            }
            if !tags.iter().any(|t| t == name) {
                problems.push(format!(".ci/run calls `readme_run {name}`, and README.md has no block tagged `{name}`"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(tags.len() >= 6, "found only {} tagged blocks: {tags:?}", tags.len());
}
