//! The gateway's second red-team round (issue 26), each attack performed
//! against a real gateway process (and a real dockerd where it runs
//! anything). Every test here passed as an attack on the code before its
//! fix: it is the attack, and the assertion is that it no longer works.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use serde_json::{json, Value};

use super::gateway::{http, palisade, Scratch, TOKEN};

/// Finding 7: an empty or comment-only policy file (a truncated deploy)
/// passed `check` and gave an implicit `main` agent every tool on the
/// host, so a gateway serving it ran `exec` for anyone with a token. Now
/// `check` refuses it, and the gateway does not start on it.
#[test]
fn an_empty_policy_grants_nothing() {
    let scratch = Scratch::new("empty");
    for (n, text) in ["", "\n", "// the deploy was cut off here\n", "/* nothing */"].into_iter().enumerate() {
        let path = scratch.dir.join(format!("empty{n}.pal"));
        std::fs::write(&path, text).unwrap();

        let check = palisade().arg("check").arg(&path).output().unwrap();
        let said = String::from_utf8_lossy(&check.stderr).to_string() + &String::from_utf8_lossy(&check.stdout);
        assert!(!check.status.success(), "{text:?}: `check` passed an empty policy:\n{said}");
        assert!(said.contains("palisade::no-agent"), "{text:?}: {said}");

        let decide = palisade()
            .args(["decide"])
            .arg(&path)
            .args(["--request", r#"{"agent": "main", "tool": "exec", "args": {"command": "rm -rf /"}}"#])
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&decide.stdout);
        assert!(!decide.status.success() && !said.contains("\"allow\""), "{text:?}: `decide` answered for an empty policy: {said}");

        // The gateway: it must refuse to start, not serve the empty policy.
        let mut child = palisade()
            .args(["gateway", "--policy"])
            .arg(&path)
            .args(["--listen", "127.0.0.1:0", "--state-dir"])
            .arg(scratch.dir.join(format!("state{n}")))
            .env("PALISADE_GATEWAY_TOKEN", TOKEN)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        if let Some(addr) = line.trim().rsplit("http://").next().and_then(|a| a.parse().ok()) {
            let (status, body) =
                http(addr, "POST", "/v1/decide", Some(TOKEN), &json!({"agent": "main", "tool": "exec", "args": {"command": "rm -rf /"}}));
            let _ = child.kill();
            let _ = child.wait();
            panic!("{text:?}: the gateway served an empty policy; `exec rm -rf /` -> {status} {body}");
        }
        let status = child.wait().unwrap();
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        assert!(!status.success() && stderr.contains("palisade::no-agent"), "{text:?}: {status} {stderr}");
    }
}

/// The claims sealed in a handle (`ph1.<hex JSON>.<hex tag>`).
fn claims_of(handle: &str) -> Value {
    let hex = handle.split('.').nth(1).unwrap();
    let bytes: Vec<u8> = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
    serde_json::from_slice(&bytes).unwrap()
}

/// Finding 2: `/v1/sessions/spawn` set the child's expiry to now plus the
/// TTL, so spawning from the child before it expired renewed a handle
/// forever: each generation outlived the one before. Now a child never
/// outlives its parent.
#[test]
fn a_spawned_handle_never_outlives_its_parent() {
    let scratch = Scratch::new("spawn");
    let gw = scratch.start("agent main { default sandbox off tools { allow read } }\ngateway { auth token }\n");
    let mut handle = super::gateway::handle(&gw, "main", "agent:main:main");
    let first_expiry = claims_of(&handle)["expires_ms"].as_u64().unwrap();
    for generation in 1..=3 {
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let (status, body) = http(gw.addr, "POST", "/v1/sessions/spawn", Some(TOKEN), &json!({"handle": handle}));
        assert_eq!(status, 200, "{body}");
        let child = body["handle"].as_str().unwrap().to_string();
        let expiry = claims_of(&child)["expires_ms"].as_u64().unwrap();
        assert!(expiry <= first_expiry, "generation {generation} expires {} ms after the first handle", expiry - first_expiry);
        handle = child;
    }
}

/// A POST /v1/decide with `token`, sent from `source` (a loopback address).
fn decide_from(addr: std::net::SocketAddr, source: &str, token: &str) -> u16 {
    use std::io::{Read, Write};
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.bind(&std::net::SocketAddr::new(source.parse().unwrap(), 0).into()).unwrap();
    socket.connect(&addr.into()).unwrap();
    let mut stream: std::net::TcpStream = socket.into();
    let body = r#"{"kind": "tool", "agent": "main", "tool": "read"}"#;
    write!(
        stream,
        "POST /v1/decide HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.split(' ').nth(1).unwrap().parse().unwrap()
}

/// Finding 6: failed guesses were counted per address, and a local client
/// holds all of 127.0.0.0/8: 40 guesses from ten loopback addresses met no
/// 429. Now loopback is one client.
#[test]
fn guesses_from_many_loopback_addresses_are_one_client() {
    let scratch = Scratch::new("loopguess");
    let gw = scratch.start("agent main { default sandbox off tools { allow read } }\ngateway { auth token  rate_limit 3 per 1m lockout 5m }\n");
    let mut statuses = Vec::new();
    for i in 0..40 {
        let source = format!("127.0.{}.{}", i / 10, 2 + i % 10);
        statuses.push(decide_from(gw.addr, &source, "a-wrong-guess"));
    }
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert!(throttled >= 36, "40 guesses from ten loopback addresses: {throttled} throttled ({statuses:?})");
    // The operator secret is not checked from loopback now, from any address.
    assert_eq!(decide_from(gw.addr, "127.0.0.1", TOKEN), 429);
}

/// Finding 4: the least privileged principal filled the disk. A 900 KB
/// agent name sent to `/v1/decide` added about 1.8 MB to `audit.jsonl`
/// (the request's summary and the decision were logged whole); a runtime
/// did the same through an ingress sender. Now no request adds more than
/// 2 KiB, whatever it sends.
#[test]
fn no_request_bloats_the_audit_log() {
    let scratch = Scratch::new("auditbloat");
    let gw = scratch
        .start("agent main { default sandbox off tools { allow read } }\nchannel telegram { dm open allow_from \"*\" }\ngateway { auth token }\n");
    let (status, minted) = http(gw.addr, "POST", "/v1/credentials", Some(TOKEN), &json!({"role": "runtime", "agents": ["main"]}));
    assert_eq!(status, 200, "{minted}");
    let runtime = minted["token"].as_str().unwrap().to_string();
    let log = scratch.dir.join("state/audit.jsonl");
    let size = || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0)
    };
    let huge = "x".repeat(900 * 1024);
    let requests = [
        ("/v1/decide", json!({"kind": "tool", "agent": huge, "tool": "exec"})),
        ("/v1/decide", json!({"kind": "tool", "agent": "main", "tool": huge})),
        ("/v1/decide", json!({"kind": "ingress", "channel": "telegram", "sender": huge, "text": "hi"})),
        ("/v1/ingress", json!({"channel": "telegram", "sender": huge, "text": "hi"})),
    ];
    for (path, body) in requests {
        let before = size();
        let (status, _) = http(gw.addr, "POST", path, Some(&runtime), &body);
        let added = size() - before;
        eprintln!("audit bytes for {path} ({status}): {added}");
        assert!(added > 0, "{path}: nothing was logged ({status})");
        assert!(added <= 2049, "{path} ({status}) added {added} bytes to the audit log");
    }
}

/// Finding 5: a sandbox planted code that the host ran. A `non-main` agent
/// with an `rw` workspace: a stranger's session (sandboxed) wrote `json.py`
/// into the workspace, and the agent's main session (on the host, with the
/// workspace as working directory and `HOME`) ran `python3 -c 'import
/// json'`, which imported it. Now host runs of such an agent use a
/// directory no sandbox mounts.
#[test]
fn a_sandbox_cannot_plant_what_the_host_runs() {
    if !super::gateway::docker_ready() {
        return;
    }
    super::gateway::ensure_image();
    let scratch = Scratch::new("plant");
    let p = &scratch.prefix;
    let gw = scratch.start(&format!(
        "agent nm {{ default sandbox non-main scope agent workspace rw docker {{ prefix \"{p}\" }} tools {{ allow exec, read, write }} }}\ngateway {{ auth token }}\n"
    ));
    let stranger = "agent:nm:telegram:direct:999";
    let (status, body) =
        super::gateway::invoke(&gw, "nm", stranger, "write", json!({"path": "json.py", "content": "print('PLANTED-BY-A-SANDBOX')\n"}));
    assert_eq!(status, 200, "the sandboxed write itself: {body}");
    let probe = "cat json.py 2>/dev/null; if command -v python3 >/dev/null; then python3 -c 'import json'; fi; echo \"HOME=$HOME\"";
    let result = super::gateway::exec(&gw, "nm", "agent:nm:main", probe);
    let out = result["stdout"].as_str().unwrap();
    assert!(!out.contains("PLANTED-BY-A-SANDBOX"), "the host session ran or read what a sandbox wrote: {result}");
    // Nor is the sandbox's directory the host run's `HOME`.
    let sandbox_dir = scratch.dir.join("state/workspaces/nm");
    assert!(!out.contains(&format!("HOME={}\n", sandbox_dir.display())), "{result}");
    let (status, body) = super::gateway::invoke(&gw, "nm", "agent:nm:main", "read", json!({"path": "json.py"}));
    assert_ne!(status, 200, "the host session's `read` sees the sandbox's file: {body}");
}

/// The explicit opt-in: `workspace shared_with_host` shares the working
/// directory (`check` warns and names the risk), and `HOME` of a host run
/// stays a directory no sandbox mounts, so a planted `.bashrc`, `.gitconfig`
/// or `.npmrc` is never read.
#[test]
fn shared_with_host_is_warned_about_and_home_stays_private() {
    let scratch = Scratch::new("shared");
    let p = &scratch.prefix;
    let policy = format!(
        "agent nm {{ default sandbox non-main scope agent workspace shared_with_host docker {{ prefix \"{p}\" }} tools {{ allow exec, read, write }} }}\ngateway {{ auth token }}\n"
    );
    let file = scratch.dir.join("shared.pal");
    std::fs::write(&file, &policy).unwrap();
    let out = palisade().args(["check", file.to_str().unwrap()]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "a warning, not an error: {stderr}");
    assert!(stderr.contains("palisade::shared-with-host") && stderr.contains("json.py"), "{stderr}");
    if !super::gateway::docker_ready() {
        return;
    }
    super::gateway::ensure_image();
    let gw = scratch.start(&policy);
    let (status, body) =
        super::gateway::invoke(&gw, "nm", "agent:nm:telegram:direct:999", "write", json!({"path": "note.txt", "content": "from the sandbox\n"}));
    assert_eq!(status, 200, "{body}");
    let result = super::gateway::exec(&gw, "nm", "agent:nm:main", "cat note.txt; echo \"HOME=$HOME\"; echo \"PWD=$PWD\"");
    let out = result["stdout"].as_str().unwrap();
    let shared = scratch.dir.join("state/workspaces/nm").canonicalize().unwrap();
    assert!(out.contains("from the sandbox"), "shared on purpose: {result}");
    assert!(out.contains(&format!("PWD={}\n", shared.display())), "{result}");
    let home = out.lines().find_map(|l| l.strip_prefix("HOME=")).unwrap();
    assert!(!std::path::Path::new(home).starts_with(&shared) && !home.is_empty(), "HOME {home} lies in the shared directory");
}

/// Finding 3: a sandboxed process outlived its call. The watchdog killed
/// the command's process group, and `setsid` leaves it: `setsid cmd &`
/// kept running after the call returned and past `--timeout`, and so did a
/// double fork into a new session and a `nohup` daemon. Now nothing a call
/// starts survives it.
#[test]
fn nothing_a_sandboxed_call_starts_survives_it() {
    if !super::gateway::docker_ready() {
        return;
    }
    super::gateway::ensure_image();
    let scratch = Scratch::new("escape");
    let p = &scratch.prefix;
    let gw = scratch.start_with(
        &format!("agent box {{ default sandbox all scope agent workspace none docker {{ prefix \"{p}\" }} tools {{ allow exec }} }}\ngateway {{ auth token }}\n"),
        3,
    );
    let session = "agent:box:main";
    let escapes = [
        "setsid sleep 7771 >/dev/null 2>&1 & sleep 1; echo done",
        "sh -c 'setsid sh -c \"sleep 7772\" >/dev/null 2>&1 &' ; echo done",
        "nohup setsid sleep 7773 >/dev/null 2>&1 & echo done",
        // Past the timeout: the call is killed, its escapee must die too.
        "setsid sleep 7774 >/dev/null 2>&1 & sleep 60",
    ];
    for command in escapes {
        let (status, body) = super::gateway::invoke(&gw, "box", session, "exec", json!({"command": command}));
        assert_eq!(status, 200, "{command}: {body}");
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let container = super::gateway::container_of(&gw, "agent:box");
    let (ok, ps) = super::gateway::docker(&["exec", &container, "ps", "-o", "args"]);
    assert!(ok, "{ps}");
    for n in 7771..=7774 {
        assert!(!ps.contains(&format!("sleep {n}")), "`sleep {n}` outlived its call:\n{ps}");
    }
}

/// Finding 3 on the host: a host command's process group was killed when
/// it ended, and `setsid` leaves the group, so `setsid cmd &`, a double fork
/// into a new session, a `nohup` daemon, one with a cleared environment, and
/// one started just before the timeout all kept running as the gateway's
/// user. Now the gateway is their subreaper and kills them when the call
/// ends.
#[test]
fn nothing_a_host_call_starts_survives_it() {
    let scratch = Scratch::new("hostescape");
    let gw = scratch.start_with("agent main { default sandbox off tools { allow exec } }\ngateway { auth token }\n", 3);
    let session = "agent:main:main";
    let escapes = [
        "setsid sleep 8871 >/dev/null 2>&1 & sleep 0.3; echo done",
        "sh -c 'setsid sh -c \"sleep 8872\" >/dev/null 2>&1 &' ; sleep 0.3; echo done",
        "nohup setsid sleep 8873 >/dev/null 2>&1 & echo done",
        "env -i setsid sh -c 'setsid sleep 8874 & sleep 8875' >/dev/null 2>&1 & sleep 0.3; echo done",
        // Past the timeout: the call is killed, its escapee must die too.
        "setsid sleep 8876 >/dev/null 2>&1 & sleep 60",
    ];
    for command in escapes {
        let (status, body) = super::gateway::invoke(&gw, "main", session, "exec", json!({"command": command}));
        assert_eq!(status, 200, "{command}: {body}");
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let ps = std::process::Command::new("ps").args(["-eo", "pid,ppid,sid,args"]).output().unwrap();
    let ps = String::from_utf8_lossy(&ps.stdout);
    for n in 8871..=8876 {
        assert!(!ps.lines().any(|l| l.ends_with(&format!("sleep {n}"))), "`sleep {n}` outlived its call:\n{ps}");
    }
}

/// Finding 1: trust outlived the policy. A reload that took a sender off
/// `allow_from` and dropped its route left that sender's handle working
/// (its `exec` still ran, and it could still spawn), and a reload that
/// dropped `owners` left an old handle an owner. Now every use re-derives
/// the handle under the policy in force: 401 `handle_stale`.
#[test]
fn a_handle_does_not_outlive_the_policy_that_granted_it() {
    let scratch = Scratch::new("stale");
    let policy = |allow: &str, routes: &str, owners: &str| {
        format!(
            "{owners}agent main {{ default sandbox off tools {{ allow exec, read, cron }} }}\n\
             channel telegram {{ dm allowlist  allow_from {allow} }}\n\
             sessions {{ dm_scope per_channel_peer }}\n\
             route {{ {routes} }}\n\
             gateway {{ auth token }}\n"
        )
    };
    let gw = scratch.start(&policy("\"111\", \"222\"", "telegram peer \"222\" -> main  telegram peer \"111\" -> main", "owners \"telegram:111\"\n"));
    let (_, minted) = http(gw.addr, "POST", "/v1/credentials", Some(TOKEN), &json!({"role": "runtime", "agents": ["main"]}));
    let runtime = minted["token"].as_str().unwrap().to_string();
    let ingress =
        |sender: &str| http(gw.addr, "POST", "/v1/ingress", Some(&runtime), &json!({"channel": "telegram", "sender": sender, "text": "hi"}));
    let (_, dm222) = ingress("222");
    let h222 = dm222["handle"].as_str().unwrap_or_else(|| panic!("{dm222}")).to_string();
    let (_, dm111) = ingress("111");
    let h111 = dm111["handle"].as_str().unwrap().to_string();
    assert_eq!(dm111["session"]["owner"], true, "{dm111}");
    let run = |handle: &str, tool: &str, args: serde_json::Value| {
        http(gw.addr, "POST", "/v1/tools/invoke", Some(&runtime), &json!({"handle": handle, "tool": tool, "args": args}))
    };
    assert_eq!(run(&h222, "exec", json!({"command": "echo before"})).0, 200);
    let (_, child) = http(gw.addr, "POST", "/v1/sessions/spawn", Some(&runtime), &json!({"handle": h111}));
    let child111 = child["handle"].as_str().unwrap().to_string();

    // The reload: 222 is off the allow list and its route is gone; no owners.
    std::fs::write(scratch.dir.join("policy.pal"), policy("\"111\"", "telegram peer \"111\" -> main", "")).unwrap();
    assert!(std::process::Command::new("kill").args(["-HUP", &gw.child.id().to_string()]).status().unwrap().success());
    let started = std::time::Instant::now();
    while ingress("222").1["gate"]["outcome"] == "accept" && started.elapsed() < std::time::Duration::from_secs(5) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_ne!(ingress("222").1["gate"]["outcome"], "accept", "the reload never took effect");

    let stale = |(status, body): (u16, serde_json::Value), what: &str| {
        assert_eq!((status, body["error"]["code"].as_str()), (401, Some("handle_stale")), "{what}: {body}");
    };
    stale(run(&h222, "exec", json!({"command": "echo STILL-RUNS"})), "the dropped sender's exec");
    stale(http(gw.addr, "POST", "/v1/sessions/spawn", Some(&runtime), &json!({"handle": h222})), "the dropped sender's spawn");
    stale(run(&h111, "cron", json!({})), "an owner's handle after `owners` was dropped");
    stale(run(&child111, "cron", json!({})), "a sub-agent of that handle");
    // A fresh message gets a fresh handle under the policy in force.
    let (_, fresh) = ingress("111");
    assert_eq!(fresh["session"]["owner"], false, "{fresh}");
    let fresh = fresh["handle"].as_str().unwrap();
    assert_eq!(run(fresh, "exec", json!({"command": "echo after"})).0, 200);
}

/// Finding 4, the rest: when the disk (or the audit log's room) ran out,
/// every tool run was refused until an operator rotated the log, and any
/// client could bring that about. Now the log has a budget, the last
/// eighth of it is kept for tool runs, and only requests other than tool
/// runs are refused when the rest is spent (503 `audit_full`); rotating
/// gives the room back.
#[test]
fn filling_the_audit_log_never_stops_tool_runs() {
    let scratch = Scratch::new("auditfull");
    std::fs::write(scratch.dir.join("policy.pal"), "agent main { default sandbox off tools { allow exec, read } }\ngateway { auth token }\n")
        .unwrap();
    let mut command = palisade();
    command.args(["gateway", "--policy"]).arg(scratch.dir.join("policy.pal"));
    command.args(["--listen", "127.0.0.1:0", "--audit-budget", "262144", "--state-dir"]).arg(scratch.dir.join("state"));
    command.env("PALISADE_GATEWAY_TOKEN", TOKEN);
    let gw = scratch.spawn(command);
    let (_, minted) = http(gw.addr, "POST", "/v1/credentials", Some(TOKEN), &json!({"role": "runtime", "agents": ["main"]}));
    let runtime = minted["token"].as_str().unwrap().to_string();
    let handle = super::gateway::handle(&gw, "main", "agent:main:main");
    // The least privileged flood: decisions until the log is full for them.
    let probe = json!({"kind": "tool", "agent": "main", "tool": "read"});
    let mut refused = None;
    for n in 0..5_000 {
        let (status, body) = http(gw.addr, "POST", "/v1/decide", Some(&runtime), &probe);
        if status != 200 {
            refused = Some((n, status, body));
            break;
        }
    }
    let (n, status, body) = refused.expect("5,000 decisions and the log never filled");
    assert_eq!((status, body["error"]["code"].as_str()), (503, Some("audit_full")), "after {n} decisions: {body}");
    // A tool run still runs, and is audited.
    let (status, ran) =
        http(gw.addr, "POST", "/v1/tools/invoke", Some(TOKEN), &json!({"handle": handle, "tool": "exec", "args": {"command": "echo still-runs"}}));
    assert_eq!((status, ran["result"]["stdout"].as_str()), (200, Some("still-runs\n")), "{ran}");
    let log = scratch.dir.join("state/audit.jsonl");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let size = std::fs::metadata(&log).unwrap().len();
    assert!(size <= 262_144 + 64 * 2048, "the log grew to {size} bytes");
    assert!(std::fs::read_to_string(&log).unwrap().contains("\"tool_start\""), "the tool run's intent is not in the log");
    // A rotation in place (`mv` to `audit.jsonl.1` in the state directory)
    // still holds the disk: no room comes back.
    std::fs::rename(&log, scratch.dir.join("state/audit.jsonl.1")).unwrap();
    assert!(std::process::Command::new("kill").args(["-HUP", &gw.child.id().to_string()]).status().unwrap().success());
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(http(gw.addr, "POST", "/v1/decide", Some(&runtime), &probe).0, 503, "a segment in the state directory still counts");
    // Archiving it out of the state directory gives the room back.
    std::fs::rename(scratch.dir.join("state/audit.jsonl.1"), scratch.dir.join("archived.jsonl")).unwrap();
    assert!(std::process::Command::new("kill").args(["-HUP", &gw.child.id().to_string()]).status().unwrap().success());
    let started = std::time::Instant::now();
    while http(gw.addr, "POST", "/v1/decide", Some(&runtime), &probe).0 != 200 && started.elapsed() < std::time::Duration::from_secs(5) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(http(gw.addr, "POST", "/v1/decide", Some(&runtime), &probe).0, 200, "archiving did not give the room back");
}

/// Rotation is automatic and loses nothing: past `--audit-segment` bytes the
/// live file becomes `audit.jsonl.<ms>`, the new one names it on its first
/// line, no segment is ever deleted, and every record is in exactly one file.
#[test]
fn the_audit_log_rotates_itself_and_loses_nothing() {
    let scratch = Scratch::new("auditrotate");
    std::fs::write(scratch.dir.join("policy.pal"), "agent main { default sandbox off tools { allow read } }\ngateway { auth token }\n").unwrap();
    let mut command = palisade();
    command.args(["gateway", "--policy"]).arg(scratch.dir.join("policy.pal"));
    command.args(["--listen", "127.0.0.1:0", "--audit-segment", "65536", "--state-dir"]).arg(scratch.dir.join("state"));
    command.env("PALISADE_GATEWAY_TOKEN", TOKEN);
    let gw = scratch.spawn(command);
    let sent = 700;
    for n in 0..sent {
        let probe = json!({"kind": "tool", "agent": "main", "tool": "read", "session": format!("agent:main:probe:{n}")});
        assert_eq!(http(gw.addr, "POST", "/v1/decide", Some(TOKEN), &probe).0, 200);
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let state = scratch.dir.join("state");
    let mut segments: Vec<_> = std::fs::read_dir(&state)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with("audit.jsonl."))
        .collect();
    segments.sort();
    assert!(segments.len() >= 2, "{} segments after {sent} decisions", segments.len());
    let mut seen = std::collections::BTreeSet::new();
    for file in segments.iter().chain(std::iter::once(&state.join("audit.jsonl"))) {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(text.len() as u64 <= 65536 + 2049, "{} holds {} bytes", file.display(), text.len());
        for line in text.lines() {
            let record: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{}: {e}: {line}", file.display()));
            if record["event"] == "decide" {
                let session = record["request"]["session"].as_str().unwrap().to_string();
                assert!(seen.insert(session.clone()), "{session} logged twice");
            }
        }
    }
    assert_eq!(seen.len(), sent, "decisions lost in rotation");
    // The live file begins by naming the newest segment.
    let live = std::fs::read_to_string(state.join("audit.jsonl")).unwrap();
    let first: Value = serde_json::from_str(live.lines().next().unwrap()).unwrap();
    assert_eq!(first["event"], "audit_segment", "{first}");
    assert_eq!(first["previous"].as_str().unwrap(), segments.last().unwrap().file_name().unwrap().to_str().unwrap());
}
