//! The `palisade` binary, run as a user would.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn palisade(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_palisade")).args(args).current_dir(crate::root()).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn check_valid_and_invalid() {
    let ok = palisade(&["check", "examples/multi-agent.pal", "examples/openclaw.json"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert!(stdout(&ok).contains("ok: examples/multi-agent.pal"));

    let bad = palisade(&["check", "tests/malformed/unknown-tool.pal"]);
    assert_eq!(bad.status.code(), Some(1));
    let err = stderr(&bad);
    assert!(err.contains("tests/malformed/unknown-tool.pal:2:27"), "{err}");
    assert!(err.contains("agent main { tools { deny exce } }"), "{err}");

    // An unreadable file is an I/O error: exit 2, as in every other command.
    let missing = palisade(&["check", "no/such/file.pal"]);
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(palisade(&["decide", "no/such/file.pal", "--request", "{}"]).status.code(), Some(2));
    assert_eq!(palisade(&["check", "examples"]).status.code(), Some(2), "a directory");
    assert!(stderr(&missing).contains("cannot read no/such/file.pal"));
}

#[test]
fn check_json_format() {
    let out = palisade(&["check", "--format", "json", "tests/malformed/empty-allow.pal"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["ok"], false);
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "palisade::empty-allow");
    assert_eq!(d["line"], 2);
    assert_eq!(d["col"], 28);
    assert_eq!(d["at"], "tests/malformed/empty-allow.pal:2:28");
}

#[test]
fn decide_one_request() {
    let out =
        palisade(&["decide", "examples/multi-agent.pal", "--request", r#"{"kind":"tool","agent":"family","tool":"exec","provider":"anthropic"}"#]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["allowed"], false);
    assert_eq!(v["tool"], "exec");
    assert_eq!(v["reason"], "denied by agent family deny list");
    assert_eq!(v["at"], "examples/multi-agent.pal:37:10");
}

#[test]
fn decide_jsonl_keeps_one_line_per_request_and_names_bad_lines() {
    let dir = std::env::temp_dir().join(format!("palisade-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("requests.jsonl");
    let mut f = std::fs::File::create(&path).unwrap();
    writeln!(f, r#"{{"kind":"tool","agent":"main","tool":"exec","provider":"anthropic"}}"#).unwrap();
    writeln!(f, r#"{{"kind":"tool","agent":"main"}}"#).unwrap();
    writeln!(f, "not json").unwrap();
    writeln!(f, r#"{{"kind":"tool","agent":"family","tool":"read","provider":"openai/gpt-5","session":"agent:family:main","subagent":false,"owner":true,"sender":"telegram:123"}}"#).unwrap();
    writeln!(f, r#"{{"kind":"tool","agent":"main","tool":"exec","extra":1}}"#).unwrap();
    drop(f);
    let out = palisade(&["decide", "examples/multi-agent.pal", "--requests", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let lines: Vec<serde_json::Value> = stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[0]["allowed"], true);
    assert_eq!(lines[1]["line"], 2);
    assert!(lines[1]["error"].as_str().unwrap().contains("missing field `tool`"));
    assert_eq!(lines[2]["line"], 3);
    assert_eq!(lines[3]["allowed"], true);
    assert!(lines[4]["error"].as_str().unwrap().contains("unknown field `extra`"));
    let err = stderr(&out);
    assert!(err.contains("requests.jsonl:2: bad request"), "{err}");
    assert!(err.contains("requests.jsonl:3: bad request"), "{err}");
}

#[test]
fn decide_from_stdin_and_oversized_lines() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(["decide", "examples/multi-agent.pal", "--requests", "-"])
        .current_dir(crate::root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let huge = format!("{{\"kind\":\"tool\",\"agent\":\"{}\",\"tool\":\"exec\"}}\n", "a".repeat(2 << 20));
    stdin.write_all(huge.as_bytes()).unwrap();
    stdin.write_all(b"{\"kind\":\"tool\",\"agent\":\"main\",\"tool\":\"exec\",\"provider\":\"anthropic\"}\n").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let lines: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].contains("line over"));
    assert!(lines[1].contains("\"allowed\":true"));
}

#[test]
fn explain_lists_every_layer() {
    let out = palisade(&[
        "explain",
        "examples/multi-agent.pal",
        "--request",
        r#"{"kind":"tool","agent":"family","tool":"exec","subagent":true}"#,
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    let layers: Vec<&str> = v["layers"].as_array().unwrap().iter().map(|l| l["layer"].as_str().unwrap()).collect();
    // No provider: every provider entry applies; no owner: the owner-only layer applies.
    assert_eq!(layers, ["profile", "global", "global_provider", "agent", "sandbox", "sandbox_workspace", "subagent_fixed", "subagent", "owner_only"]);
    let request = r#"{"kind":"tool","agent":"family","tool":"exec","provider":"anthropic"}"#;
    let text = palisade(&["explain", "examples/multi-agent.pal", "--request", request]);
    assert!(stdout(&text).starts_with("DENY exec for family: denied by agent family deny list"));
    let text = palisade(&["explain", "examples/multi-agent.pal", "--request", r#"{"kind":"tool","agent":"family","tool":"exec"}"#]);
    assert!(stdout(&text).starts_with("DENY exec for family: denied by global provider openai deny list"), "{}", stdout(&text));
}

#[test]
fn explain_names_each_segment_of_a_command() {
    let request = r#"{"kind":"tool","agent":"coder","tool":"exec","session":"agent:coder:main","args":{"command":"git status && sh -c 'rm -rf /'"}}"#;
    let out = palisade(&["explain", "examples/commands.pal", "--request", request]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("DENY exec for coder: denied by agent coder exec rules: `rm -rf /` matches deny pattern `rm -rf *`"), "{text}");
    assert!(text.contains("1. ALLOW `git status` matches allow pattern `git status`  [examples/commands.pal:22:13]"), "{text}");
    assert!(text.contains("2. DENY  `rm -rf /` matches deny pattern `rm -rf *`  [examples/commands.pal:25:13]"), "{text}");
    // `decide` takes the same `args`; a command that is not a string is refused, not read as none.
    let out = palisade(&["decide", "examples/commands.pal", "--request", &request.replace("git status && sh -c 'rm -rf /'", "cargo test")]);
    assert!(stdout(&out).contains(r#""outcome":"allow""#), "{}", stdout(&out));
    let bad = r#"{"kind":"tool","agent":"coder","tool":"exec","args":{"command":["rm","-rf","/"]}}"#;
    let out = palisade(&["decide", "examples/commands.pal", "--request", bad]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stderr(&out).contains("`args.command` must be a string"), "{}", stderr(&out));
    // `tools` lists exec apart: its outcome is its command's, not the opaque call's.
    let out = palisade(&["tools", "examples/commands.pal", "--agent", "coder", "--session", "agent:coder:main"]);
    let listed = stdout(&out);
    assert!(listed.lines().any(|l| l == "exec (by command: allow, ask or deny; see its exec rules)"), "{listed}");
    assert!(!listed.lines().any(|l| l == "exec (ask)" || l == "exec"), "{listed}");
}

#[test]
fn exec_approvals_join_an_openclaw_configuration() {
    let (config, approvals) = ("tests/corpus/openclaw-exec/policy.json", "tests/corpus/openclaw-exec/exec-approvals.json");
    let out = palisade(&["import", config, "--exec-approvals", approvals]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains(r#"allow ["jq", "head", "/usr/bin/git *"]"#), "{}", stdout(&out));
    let request = r#"{"kind":"tool","agent":"main","tool":"exec","session":"agent:main:main","args":{"command":"/usr/bin/git log"}}"#;
    let out = palisade(&["decide", config, "--exec-approvals", approvals, "--request", request]);
    assert!(stdout(&out).contains(r#""outcome":"allow""#), "{}", stdout(&out));
    // Without the approvals file the allowlist is missing, so the same command asks.
    let out = palisade(&["decide", config, "--request", request]);
    assert!(stdout(&out).contains(r#""outcome":"ask""#), "{}", stdout(&out));
    let out = palisade(&["check", "examples/commands.pal", "--exec-approvals", approvals]);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("goes with an OpenClaw .json configuration") || stdout(&out).contains("goes with an OpenClaw .json configuration"));
}

/// The binary these tests run is the one that ships: built without the
/// formal models' seams (a seamed build refuses to run at all).
#[test]
fn the_tested_binary_has_no_test_seams() {
    let out = palisade(&["--version"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let seams = palisade::SEAMS_COMPILED_IN;
    assert!(!seams, "the integration tests link a library built with `seams`");
}

#[test]
fn tools_lists_effective_tools() {
    let out = palisade(&["tools", "examples/multi-agent.pal", "--agent", "public", "--session", "agent:public:telegram:direct:42"]);
    assert_eq!(stdout(&out), "# agent public (sandboxed, non-owner)\nsessions_send\n");
    // No session: decided as strictly as any session, a sub-agent's included.
    let out = palisade(&["tools", "examples/multi-agent.pal", "--agent", "public"]);
    assert_eq!(stdout(&out), "# agent public (sandboxed, sub-agent, non-owner)\n");
    let out = palisade(&["tools", "examples/multi-agent.pal", "--agent", "main", "--subagent", "--provider", "anthropic"]);
    let s = stdout(&out);
    assert!(s.contains("exec") && !s.contains("cron") && !s.contains("sessions_spawn") && !s.contains("browser"), "{s}");
    let unknown = palisade(&["tools", "examples/multi-agent.pal", "--agent", "nobody"]);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn import_prints_dsl_that_checks() {
    let out = palisade(&["import", "examples/openclaw.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let dsl = stdout(&out);
    assert!(dsl.contains("agent family \"Family Bot\""), "{dsl}");
    assert!(dsl.contains("// examples/openclaw.json:12:15: warning[palisade::ignored-key]"), "{dsl}");
    palisade::Policy::from_dsl("imported.pal", &dsl).unwrap();
}

#[test]
fn demo_runs_on_the_bundled_policy() {
    let out = palisade(&["demo"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("DENY exec for family: denied by agent family deny list"));
}

#[test]
fn bad_request_json() {
    let out = palisade(&["decide", "examples/multi-agent.pal", "--request", r#"{"kind":"webhook"}"#]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unsupported request kind `webhook`"));
    let out = palisade(&["decide", "examples/multi-agent.pal", "--request", r#"{"kind":"ingress"}"#]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing field `channel`"), "{}", stderr(&out));
    let out = palisade(&["decide", "examples/multi-agent.pal", "--request", r#"{"kind":"route","channel":"x","sendr":"1"}"#]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown field `sendr`"), "{}", stderr(&out));
}

#[test]
fn decide_ingress_and_route() {
    let ingress = r#"{"kind":"ingress","channel":"telegram","chat":"group","chat_id":"-1001","sender":"333","text":"hey bot, hi"}"#;
    let out = palisade(&["decide", "examples/multi-agent.pal", "--request", ingress]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["outcome"], "accept");
    assert!(v["at"].as_str().unwrap().starts_with("examples/multi-agent.pal:"));
    let route = r#"{"kind":"route","channel":"telegram","chat":"direct","sender":"333"}"#;
    let out = palisade(&["decide", "examples/multi-agent.pal", "--request", route]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["agent"], "family");
    assert_eq!(v["session_key"], "agent:family:telegram:direct:333");
    assert_eq!(v["sandboxed"], true);
    assert_eq!(v["matched_by"], "binding 1 (exact peer)");
    let out = palisade(&["explain", "examples/multi-agent.pal", "--request", route]);
    assert!(stdout(&out).contains("ROUTE to agent family by binding 1 (exact peer)"), "{}", stdout(&out));
    let out = palisade(&["explain", "examples/multi-agent.pal", "--request", ingress]);
    assert!(stdout(&out).starts_with("ACCEPT: the message mentions the agent"), "{}", stdout(&out));
    // Fail closed: a message that leaves out whom or where it is from is not routed anywhere.
    for (request, field) in [
        (r#"{"kind":"route","channel":"telegram","chat":"direct"}"#, "sender"),
        (r#"{"kind":"route","channel":"telegram","chat":"group","sender":"333"}"#, "chat_id"),
    ] {
        let out = palisade(&["decide", "examples/multi-agent.pal", "--request", request]);
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(v["error"], format!("the inbound message has an empty `{field}`"), "{request}");
    }
}

/// Runs `script` under `sh` in the repository, killed after ten seconds:
/// a hang is a failure, not a stuck test.
fn shell(script: &str) -> Output {
    let bin = env!("CARGO_BIN_EXE_palisade");
    Command::new("timeout").args(["10", "sh", "-c", script, "sh", bin]).current_dir(crate::root()).output().unwrap()
}

#[test]
fn decide_refuses_a_directory_at_once() {
    // It used to loop forever printing "Is a directory" (and with stderr closed, spun silently).
    let out = shell(r#""$1" decide examples/multi-agent.pal --requests examples"#);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(stderr(&out).trim(), "error: cannot read examples: it is a directory; give a file of JSON lines, or - for stdin");
    assert!(stdout(&out).is_empty());
    let closed = shell(r#""$1" decide examples/multi-agent.pal --requests examples 2>&-"#);
    assert_eq!(closed.status.code(), Some(2), "with stderr closed: {closed:?}");
}

#[test]
fn decide_ends_quietly_when_nobody_reads_and_never_panics_without_stderr() {
    // Endless input into a pipe that closes after one line: ends, exit 0, nothing on stderr.
    let piped = shell(r#"yes '{"kind":"tool","agent":"family","tool":"read"}' | "$1" decide examples/multi-agent.pal --requests - | head -1"#);
    assert_eq!(piped.status.code(), Some(0), "{piped:?}");
    assert_eq!(stdout(&piped).lines().count(), 1);
    assert!(stderr(&piped).is_empty(), "{}", stderr(&piped));
    // Bad input with stderr closed: the usual exit code, no panic (101).
    let closed = shell(r#"printf 'garbage\n' | "$1" decide examples/multi-agent.pal --requests - 2>&-"#);
    assert_eq!(closed.status.code(), Some(2), "{closed:?}");
    assert!(stdout(&closed).contains("bad request"), "{}", stdout(&closed));
    // Diagnostics of a broken policy with stderr closed, and `check` into a closed stdout.
    let check = shell(r#""$1" check tests/malformed/unknown-tool.pal 2>&-; echo "exit $?""#);
    assert_eq!(stdout(&check).trim(), "exit 1", "{check:?}");
    let head = shell(r#""$1" check examples/multi-agent.pal examples/openclaw.json | head -0; echo "exit $?""#);
    assert_eq!(stdout(&head).trim(), "exit 0", "{head:?}");
}

#[test]
fn colour_follows_no_color_and_the_flag() {
    let escapes = |o: &Output| String::from_utf8_lossy(&o.stdout).contains('\x1b') || stderr(o).contains('\x1b');
    let bad = "tests/malformed/unknown-tool.pal";
    assert!(escapes(&palisade(&["check", bad, "--color", "always"])));
    assert!(!escapes(&palisade(&["check", bad])), "not a terminal: no colour");
    // On a terminal (`script` gives one): coloured, unless NO_COLOR or --color never.
    if Command::new("script").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "CI has util-linux's `script`");
        return;
    }
    let on_tty = |no_color: Option<&str>, flag: &str| {
        let mut command = Command::new("script");
        command.args(["-qec", &format!("{} check {bad} --color {flag}", env!("CARGO_BIN_EXE_palisade")), "/dev/null"]).current_dir(crate::root());
        command.env_remove("NO_COLOR").env("TERM", "xterm");
        if let Some(v) = no_color {
            command.env("NO_COLOR", v);
        }
        escapes(&command.output().unwrap())
    };
    assert!(on_tty(None, "auto"));
    assert!(!on_tty(Some("1"), "auto"), "NO_COLOR=1 on a terminal");
    assert!(!on_tty(None, "never"));
    assert!(on_tty(Some("1"), "always"), "an explicit --color always wins");
}

#[test]
fn version_help_and_options_without_effect_say_so() {
    let version = stdout(&palisade(&["--version"]));
    assert!(version.starts_with("palisade 0.1.0 (commit ") && version.contains(", built 20"), "{version}");
    let help = stdout(&palisade(&["--help"]));
    assert!(help.contains("Examples:") && help.contains("Exit codes:") && help.contains("\"kind\":\"ingress\""), "{help}");
    let tools_help = stdout(&palisade(&["tools", "--help"]));
    assert!(tools_help.contains("<FILE>  The policy") && tools_help.contains("--provider <PROVIDER>    The model"), "{tools_help}");
    // `--owner` without a sender used to be dropped without a word.
    let out = palisade(&["tools", "examples/multi-agent.pal", "--agent", "main", "--owner"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("warning: --owner has no effect here") && stderr(&out).contains("--sender"), "{}", stderr(&out));
    let owner = palisade(&["tools", "examples/multi-agent.pal", "--agent", "main", "--owner", "--sender", "telegram:111"]);
    assert!(stderr(&owner).is_empty(), "{}", stderr(&owner));
}

#[test]
fn import_groups_its_warnings_and_writes_a_file() {
    let dir = std::env::temp_dir().join(format!("palisade-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Keys that decide nothing (`model`, `botToken`) beside ones that do.
    let config = dir.join("openclaw.json");
    std::fs::write(
        &config,
        r#"{"agents": {"defaults": {"model": "x", "sandbox": {"mode": "non-main"}}, "list": [{"id": "main", "default": true}]},
            "channels": {"telegram": {"botToken": "t", "dmPolicy": "pairing", "allowFrom": ["1"]}}}"#,
    )
    .unwrap();
    let out = palisade(&["import", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    let listed = err.find("key(s) ignored: they decide nothing Palisade decides:").expect(&err);
    assert!(err[listed..].contains("$.agents.defaults.model"), "{err}");
    assert!(stdout(&out).contains("agent main"));
    let quiet = palisade(&["import", "--quiet", config.to_str().unwrap()]);
    assert!(stderr(&quiet).contains("drop --quiet to list them") && !stderr(&quiet).contains("$.agents.defaults.model"), "{}", stderr(&quiet));
    let target = dir.join("policy.pal");
    let written = palisade(&["import", config.to_str().unwrap(), "-o", target.to_str().unwrap(), "-q"]);
    assert_eq!(written.status.code(), Some(0), "{}", stderr(&written));
    assert!(stdout(&written).is_empty());
    assert_eq!(std::fs::read_to_string(&target).unwrap().trim_end(), stdout(&out).trim_end());
    assert!(palisade(&["check", target.to_str().unwrap()]).status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sandbox_explain_speaks_the_policy_language() {
    let state = std::env::temp_dir().join(format!("palisade-explain-{}", std::process::id()));
    let sandboxed = palisade(&[
        "sandbox",
        "explain",
        "--policy",
        "examples/multi-agent.pal",
        "--agent",
        "family",
        "--session",
        "agent:family:telegram:direct:333",
        "--state-dir",
        state.to_str().unwrap(),
    ]);
    assert_eq!(sandboxed.status.code(), Some(0), "{}", stderr(&sandboxed));
    let text = stdout(&sandboxed);
    assert!(text.starts_with("agent family, session agent:family:telegram:direct:333: sandbox mode all, runs sandboxed\n  scope agent,"), "{text}");
    let host = palisade(&["sandbox", "explain", "--policy", "examples/multi-agent.pal", "--agent", "main", "--state-dir", state.to_str().unwrap()]);
    let text = stdout(&host);
    assert!(text.contains("sandbox mode off, runs on the host") && text.contains("working directory ") && text.contains("HOME "), "{text}");
}

#[test]
fn a_long_line_is_cut_around_the_span() {
    // A 200,000-character line was printed whole in the snippet.
    let dir = std::env::temp_dir().join(format!("palisade-long-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("long.pal");
    let tools: Vec<String> = (0..20_000).map(|i| format!("read{i}")).collect();
    std::fs::write(&file, format!("plugin_tools {}\nagent main {{ tools {{ allow {}, alow }} }}\n", tools.join(", "), tools.join(", "))).unwrap();
    let out = palisade(&["check", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let column = "agent main { tools { allow ".len() + tools.join(", ").len() + ", ".len() + 1;
    assert!(err.contains(&format!("long.pal:2:{column}]")) && err.contains("unknown tool `alow`"), "{err}");
    assert!(err.contains("alow } }"), "the window holds the span: {err}");
    let widest = err.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(widest <= 200, "a snippet line of {widest} characters");
    // Labels on two lines, one of them long: both are shown (none is lost to the cut).
    let unclosed = dir.join("unclosed.pal");
    std::fs::write(&unclosed, format!("agent main {{ tools {{ allow {}\n\nagent other {{ tools {{ allow read }} }}\n", tools.join(", "))).unwrap();
    let err = stderr(&palisade(&["check", "--", unclosed.to_str().unwrap()]));
    assert!(err.contains("this `{` is never closed") && err.contains("a new item begins here"), "{}", &err[..err.len().min(2000)]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn explain_keeps_its_columns_with_a_long_layer_name() {
    let dir = std::env::temp_dir().join(format!("palisade-columns-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sender = "telegram:a-very-long-sender-name-that-goes-on-and-on-and-on-forever";
    let file = dir.join("long-layer.pal");
    std::fs::write(&file, format!("agent main {{\n  tools {{ allow read  sender \"{sender}\" {{ deny read }} }}\n}}\n")).unwrap();
    let request = format!(r#"{{"kind":"tool","agent":"main","tool":"read","sender":"{sender}"}}"#);
    let out = palisade(&["explain", file.to_str().unwrap(), "--request", &request]);
    let text = stdout(&out);
    let column = |line: &str, needle: &str| line.find(needle).unwrap_or_else(|| panic!("{needle} not in {line}"));
    let lines: Vec<&str> = text.lines().collect();
    let short = lines.iter().find(|l| l.contains("1. pass agent main ")).unwrap();
    let long = lines.iter().position(|l| l.contains(&format!("DENY agent main sender {sender} policy"))).unwrap();
    // The long name's reason starts on the next line, in the same column as every other reason.
    assert_eq!(column(short, "`read` is on"), column(lines[long + 1], "`read` is on"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn loading_that_takes_over_a_second_says_so_on_a_terminal() {
    if Command::new("script").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "CI has util-linux's `script`");
        return;
    }
    // A policy that arrives slowly on stdin takes over a second to load.
    let slow = format!("(sleep 1.5; cat examples/multi-agent.pal) | {} check -", env!("CARGO_BIN_EXE_palisade"));
    let on_tty = Command::new("script").args(["-qec", &slow, "/dev/null"]).current_dir(crate::root()).output().unwrap();
    let text = String::from_utf8_lossy(&on_tty.stdout);
    assert!(text.contains("palisade: reading and compiling the policy on stdin...") && text.contains("palisade: done in "), "{text}");
    // Not a terminal: nothing but the result.
    let piped = shell(r#"(sleep 1.5; cat examples/multi-agent.pal) | "$1" check -"#);
    assert!(stderr(&piped).is_empty() && stdout(&piped).starts_with("ok: -"), "{piped:?}");
}

#[test]
fn completions_parse_in_their_shells_and_the_man_page_renders() {
    for (shell, checker) in [("bash", "bash"), ("zsh", "zsh"), ("fish", "fish")] {
        let out = palisade(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let script = stdout(&out);
        assert!(script.contains("decide") && script.contains("requests"), "{shell}: {script}");
        // The shell itself reads the script (`-n`: parse only), where it is installed.
        let file = std::env::temp_dir().join(format!("palisade-completion-{}.{shell}", std::process::id()));
        std::fs::write(&file, &script).unwrap();
        match Command::new(checker).arg("-n").arg(&file).output() {
            Ok(parsed) => assert!(parsed.status.success(), "{shell} refuses the script: {}", String::from_utf8_lossy(&parsed.stderr)),
            Err(_) => assert!(shell == "fish" || std::env::var_os("CI").is_none(), "CI has {shell}"),
        }
        let _ = std::fs::remove_file(&file);
    }
    let man = palisade(&["man"]);
    let page = stdout(&man);
    assert!(page.contains(".TH palisade 1") && page.contains("decide"), "{page}");
    assert!(page.contains("Exit codes"), "the examples and exit codes are in the page: {page}");
}
