//! The gateway against a real dockerd, over real HTTP on loopback: auth and
//! lockout, decisions, hardened sandboxes, isolation, reuse and recreation.
//! CI starts dockerd (`.ci/run`); without a daemon these tests fail under
//! CI and skip loudly elsewhere.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Once;

use serde_json::{json, Value};

pub const TOKEN: &str = "test-token-0123456789-abcdefghijklmnop";

pub fn docker_ready() -> bool {
    if Path::new("/var/run/docker.sock").exists() {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "CI must provide a Docker daemon (.ci/run starts dockerd)");
    eprintln!("\n!!!!! SKIPPING gateway tests: no Docker daemon at /var/run/docker.sock !!!!!\n");
    false
}

pub fn palisade() -> Command {
    Command::new(env!("CARGO_BIN_EXE_palisade"))
}

pub fn ensure_image() {
    static IMAGE: Once = Once::new();
    IMAGE.call_once(|| {
        let out = palisade().args(["sandbox", "image"]).output().unwrap();
        assert!(out.status.success(), "sandbox image: {}", String::from_utf8_lossy(&out.stderr));
    });
}

pub fn docker(args: &[&str]) -> (bool, String) {
    let out = Command::new("docker").args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A gateway process on a random loopback port, killed on drop.
pub struct Gateway {
    pub child: Child,
    pub addr: SocketAddr,
    pub dir: PathBuf,
    pub prefix: String,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A test's own directory and container prefix; containers go when it ends.
pub struct Scratch {
    pub dir: PathBuf,
    pub prefix: String,
}

impl Scratch {
    pub fn new(name: &str) -> Self {
        let prefix = format!("palisade-t{}-{name}-", std::process::id());
        let dir = std::env::temp_dir().join(&prefix);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch { dir, prefix }
    }

    fn policy(&self, extra_docker: &str, gateway: &str) -> String {
        let p = &self.prefix;
        format!(
            "agent main {{ default  sandbox off  tools {{ profile full }} }}\n\
             agent box {{ sandbox all scope session workspace none docker {{ prefix \"{p}\" {extra_docker} }}\n\
               tools {{ allow exec, read, write, image }} }}\n\
             agent ro {{ sandbox all scope agent workspace ro docker {{ prefix \"{p}\" }} tools {{ allow exec, read, write }} }}\n\
             agent quiet {{ sandbox all docker {{ prefix \"{p}\" }} tools {{ deny exec }} }}\n\
             gateway {{ auth token {gateway} }}\n"
        )
    }

    pub fn start(&self, policy: &str) -> Gateway {
        self.start_with(policy, 3)
    }

    /// A gateway whose tool runs are killed after `timeout_s` seconds.
    pub fn start_with(&self, policy: &str, timeout_s: u32) -> Gateway {
        self.start_as(policy, timeout_s, TOKEN)
    }

    /// A gateway with `token` as its operator secret.
    pub fn start_as(&self, policy: &str, timeout_s: u32, token: &str) -> Gateway {
        let path = self.dir.join("policy.pal");
        std::fs::write(&path, policy).unwrap();
        let mut command = palisade();
        command.args(["gateway", "--policy"]).arg(&path).args(["--listen", "127.0.0.1:0", "--timeout", &timeout_s.to_string(), "--state-dir"]);
        command.arg(self.dir.join("state")).env("PALISADE_GATEWAY_TOKEN", token);
        self.spawn(command)
    }

    /// Starts `command` (a `palisade gateway ...`) and waits for its address.
    pub fn spawn(&self, mut command: Command) -> Gateway {
        command.stderr(Stdio::inherit());
        self.spawn_keeping_stderr(command)
    }

    /// As `spawn`, with the gateway's stderr left as `command` sets it
    /// (piped, for a test that reads what the gateway says).
    pub fn spawn_keeping_stderr(&self, mut command: Command) -> Gateway {
        let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line.trim().rsplit("http://").next().unwrap().parse().unwrap_or_else(|e| panic!("{line:?}: {e}"));
        Gateway { child, addr, dir: self.dir.clone(), prefix: self.prefix.clone() }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let (_, names) = docker(&["ps", "-aq", "--filter", &format!("name={}", self.prefix)]);
        for id in names.lines().filter(|l| !l.is_empty()) {
            docker(&["rm", "-f", id]);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One HTTP/1.1 request; returns status and JSON body.
pub fn http(addr: SocketAddr, method: &str, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let body = if body.is_null() { String::new() } else { body.to_string() };
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split(' ').nth(1).unwrap().parse().unwrap();
    let json = response.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, serde_json::from_str(json).unwrap_or(Value::Null))
}

/// A session handle opened by the operator for `agent` in `session`.
pub fn handle(gw: &Gateway, agent: &str, session: &str) -> String {
    let (status, body) = http(gw.addr, "POST", "/v1/sessions/open", Some(TOKEN), &json!({"agent": agent, "session": session}));
    assert_eq!(status, 200, "{body}");
    body["handle"].as_str().unwrap().to_string()
}

/// The body of a tool call in `session` of `agent`, with a handle the
/// operator opened. Against a gateway from before session handles (404 on
/// `/v1/sessions/open`: how the attack tests were replayed on the old code)
/// the body names its context itself, as that API took it.
pub fn tool_call(gw: &Gateway, agent: &str, session: &str, tool: &str, args: Value) -> Value {
    let (status, body) = http(gw.addr, "POST", "/v1/sessions/open", Some(TOKEN), &json!({"agent": agent, "session": session}));
    if status == 404 && body.is_null() {
        return json!({"agent": agent, "session": session, "tool": tool, "args": args});
    }
    assert_eq!(status, 200, "{body}");
    json!({"handle": body["handle"], "tool": tool, "args": args})
}

pub fn invoke(gw: &Gateway, agent: &str, session: &str, tool: &str, args: Value) -> (u16, Value) {
    http(gw.addr, "POST", "/v1/tools/invoke", Some(TOKEN), &tool_call(gw, agent, session, tool, args))
}

pub fn exec(gw: &Gateway, agent: &str, session: &str, command: &str) -> Value {
    let (status, body) = invoke(gw, agent, session, "exec", json!({"command": command}));
    assert_eq!(status, 200, "{body}");
    body["result"].clone()
}

/// The container of a session key (`agent:<id>:...`, session scope) or of
/// an agent (`agent:<id>`, agent scope).
pub fn container_of(gw: &Gateway, key: &str) -> String {
    use palisade_gateway::sandbox::{container_name, session_scope_key};
    let parts: Vec<&str> = key.split(':').collect();
    let scope = if parts.len() > 2 { session_scope_key(parts[1], key) } else { key.to_string() };
    container_name(&gw.prefix, &scope)
}

#[test]
fn auth_rate_limit_and_decide() {
    if !docker_ready() {
        return;
    }
    let scratch = Scratch::new("auth");
    let gw = scratch.start(&scratch.policy("", "rate_limit 3 per 1m lockout 5m"));
    let request = json!({"kind": "tool", "agent": "box", "tool": "exec"});
    assert_eq!(http(gw.addr, "GET", "/healthz", None, &Value::Null).0, 200);
    let (status, body) = http(gw.addr, "POST", "/v1/decide", Some(TOKEN), &request);
    assert_eq!(status, 200);
    assert_eq!(body["allowed"], true, "{body}");
    let (status, body) = http(gw.addr, "POST", "/v1/decide", None, &request);
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("missing_secret")));
    for _ in 0..2 {
        let (status, body) = http(gw.addr, "POST", "/v1/decide", Some("wrong"), &request);
        assert_eq!((status, body["error"]["code"].as_str()), (401, Some("wrong_secret")));
    }
    // The fourth failure goes over the limit of three.
    assert_eq!(http(gw.addr, "POST", "/v1/decide", Some("wrong"), &request).0, 429);
    // Locked out: even the right secret is refused now.
    assert_eq!(http(gw.addr, "POST", "/v1/decide", Some(TOKEN), &request).0, 429);
    assert_eq!(http(gw.addr, "GET", "/healthz", None, &Value::Null).0, 200);
    drop(gw);
}

#[test]
fn gateway_refuses_to_start_without_its_secret() {
    let scratch = Scratch::new("nosecret");
    let path = scratch.dir.join("policy.pal");
    std::fs::write(&path, scratch.policy("", "")).unwrap();
    let out = palisade().args(["gateway", "--listen", "127.0.0.1:0", "--policy"]).arg(&path).env_remove("PALISADE_GATEWAY_TOKEN").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("PALISADE_GATEWAY_TOKEN is not set"), "{stderr}");
    // A short secret (five characters were accepted) is refused, with how to make a good one.
    let out = palisade().args(["gateway", "--listen", "127.0.0.1:0", "--policy"]).arg(&path).env("PALISADE_GATEWAY_TOKEN", "hunt2").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("palisade::weak-secret") && stderr.contains("is 5 bytes; it must be at least 32"), "{stderr}");
    assert!(stderr.contains("head -c 24 /dev/urandom | base64") && !stderr.contains("hunt2"), "{stderr}");
}

#[test]
fn sandboxed_exec_runs_hardened_and_denied_calls_never_reach_docker() {
    if !docker_ready() {
        return;
    }
    ensure_image();
    let scratch = Scratch::new("exec");
    let gw = scratch.start(&scratch.policy("memory 256m pids 128", ""));
    let session = "agent:box:telegram:direct:42";
    let result = exec(&gw, "box", session, "echo hello from the sandbox");
    assert_eq!(result["exit_code"], 0, "{result}");
    assert_eq!(result["stdout"], "hello from the sandbox\n");

    // Denied: 403 with the decision, and no container for that session.
    let (status, body) = invoke(&gw, "quiet", "agent:quiet:x", "exec", json!({"command": "true"}));
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["decision"]["allowed"], false);
    assert!(!docker(&["inspect", &container_of(&gw, "agent:quiet:x")]).0, "a denied call created a container");
    // Allowed by policy but not a tool the gateway runs: 501, never the host.
    assert_eq!(invoke(&gw, "box", session, "image", json!({})).0, 501);

    // Every hardening setting, as Docker reports it.
    let name = container_of(&gw, session);
    let (ok, inspect) = docker(&["inspect", &name]);
    assert!(ok, "no container {name}");
    let v: Value = serde_json::from_str(&inspect).unwrap();
    let host = &v[0]["HostConfig"];
    assert_eq!(host["NetworkMode"], "none");
    assert_eq!(host["ReadonlyRootfs"], true);
    assert_eq!(host["CapDrop"], json!(["ALL"]));
    assert_eq!(host["SecurityOpt"], json!(["no-new-privileges"]));
    assert_eq!(host["Init"], true);
    assert_eq!(host["PidsLimit"], 128);
    assert_eq!(host["Memory"], 256 * 1024 * 1024);
    for dir in ["/tmp", "/var/tmp", "/run"] {
        assert!(host["Tmpfs"].get(dir).is_some(), "no tmpfs {dir}: {host}");
    }
    // The idle process runs as a user of its own; commands as the sandbox user.
    assert_eq!(v[0]["Config"]["User"], "65533:65533");
    assert_eq!(exec(&gw, "box", session, "id -u")["stdout"], "65534\n");

    // From inside: no writable root, no network but loopback, no host files.
    let marker = gw.dir.join("host-marker");
    std::fs::write(&marker, "secret").unwrap();
    let probe = format!(
        "touch /probe 2>/dev/null && echo ROOT-WRITABLE; \
         ip -o link | grep -v ' lo:' && echo HAS-NETWORK; \
         nc -w 1 127.0.0.1 {} </dev/null && echo REACHED-HOST; \
         test -e {} && echo SEES-HOST-FILES; test -d /usr/bin && echo SEES-HOST-USR; \
         touch /tmp/ok && echo TMP-OK",
        gw.addr.port(),
        marker.display()
    );
    let result = exec(&gw, "box", session, &probe);
    let out = result["stdout"].as_str().unwrap();
    for bad in ["ROOT-WRITABLE", "HAS-NETWORK", "REACHED-HOST", "SEES-HOST-FILES", "SEES-HOST-USR"] {
        assert!(!out.contains(bad), "{bad}: {result}");
    }
    assert!(out.contains("TMP-OK"), "{result}");

    // Output is capped at 1 MiB per stream, and says so.
    let result = exec(&gw, "box", session, "yes 0123456789abcdef | head -c 3000000");
    assert_eq!(result["truncated"], true, "{}", result["stderr"]);
    assert_eq!(result["stdout"].as_str().unwrap().len(), palisade_gateway::sandbox::OUTPUT_CAP);

    // A runaway command is killed at the timeout (3 s here).
    let started = std::time::Instant::now();
    let result = exec(&gw, "box", session, "sleep 60");
    assert_eq!(result["timed_out"], true, "{result}");
    assert!(started.elapsed().as_secs() < 20);

    // Every decision and run is in the audit log, and no secret is.
    // The writer batches for a few milliseconds; wait for the last run's line.
    let read_audit = || std::fs::read_to_string(gw.dir.join("state/audit.jsonl")).unwrap_or_default();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !read_audit().contains("\"timed_out\":true") && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let audit = read_audit();
    let entries: Vec<Value> = audit.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(entries.iter().any(|e| e["agent"] == "quiet" && e["decision"] == "deny" && e.get("exit_code").is_none()));
    assert!(entries.iter().any(|e| e["agent"] == "box" && e["decision"] == "allow" && e["exit_code"] == 0 && e["sandboxed"] == true));
    assert!(entries.iter().any(|e| e["timed_out"] == true));
    assert!(entries.iter().all(|e| e["time_ms"].as_u64().is_some() && e["client"] == "127.0.0.1"));
    assert!(!audit.contains(TOKEN));
}

#[test]
fn sessions_are_isolated_and_read_only_workspaces_refuse_writes() {
    if !docker_ready() {
        return;
    }
    ensure_image();
    let scratch = Scratch::new("iso");
    let gw = scratch.start(&scratch.policy("", ""));
    let (a, b) = ("agent:box:telegram:direct:1", "agent:box:telegram:direct:2");
    assert_eq!(exec(&gw, "box", a, "echo mine > note.txt && cat note.txt")["stdout"], "mine\n");
    let other = exec(&gw, "box", b, "cat note.txt");
    assert_ne!(other["exit_code"], 0, "session b sees session a's file: {other}");
    assert_ne!(container_of(&gw, a), container_of(&gw, b));
    assert!(docker(&["inspect", &container_of(&gw, a)]).0 && docker(&["inspect", &container_of(&gw, b)]).0);
    // The file tools see the same per-session workspace.
    let (status, body) = invoke(&gw, "box", a, "read", json!({"path": "note.txt"}));
    assert_eq!((status, body["result"]["stdout"].as_str()), (200, Some("mine\n")), "{body}");
    let (status, _) = invoke(&gw, "box", b, "read", json!({"path": "note.txt"}));
    assert_eq!(status, 422);
    // `..` out of the workspace is denied by the policy's built-in path
    // rules; an absolute path, which a rule may allow, by the file tool.
    let (status, body) = invoke(&gw, "box", a, "read", json!({"path": "../x"}));
    assert_eq!((status, body["decision"]["outcome"].as_str()), (403, Some("deny")), "{body}");
    let (status, body) = invoke(&gw, "box", a, "read", json!({"path": "/etc/passwd"}));
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("path_refused")), "{body}");
    // `workspace none`: the file tools run inside the sandbox, on its private tmpfs.
    let (status, body) = invoke(&gw, "box", a, "write", json!({"path": "d/x.txt", "content": "from the tool"}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(exec(&gw, "box", a, "cat d/x.txt")["stdout"], "from the tool");
    exec(&gw, "box", a, "mkfifo pipe; ln -s /etc/passwd link; head -c 1048577 /dev/zero > big");
    for (path, code) in [("pipe", "not_regular"), ("link", "not_regular"), ("big", "too_large"), ("missing", "io")] {
        let (status, body) = invoke(&gw, "box", a, "read", json!({"path": path}));
        assert_eq!((status, body["error"]["code"].as_str()), (422, Some(code)), "{path}: {body}");
    }

    // `workspace ro`: the policy removes write, and the mount refuses it too.
    let (status, body) = invoke(&gw, "ro", "agent:ro:x", "write", json!({"path": "f", "content": "x"}));
    assert_eq!(status, 403, "{body}");
    let result = exec(&gw, "ro", "agent:ro:x", "echo x > /workspace/f");
    assert_ne!(result["exit_code"], 0, "{result}");
    assert!(result["stderr"].as_str().unwrap().contains("Read-only"), "{result}");
}

#[test]
fn containers_are_reused_until_their_configuration_changes() {
    if !docker_ready() {
        return;
    }
    ensure_image();
    let scratch = Scratch::new("reuse");
    let session = "agent:box:main-like";
    let first = scratch.start(&scratch.policy("memory 256m", ""));
    exec(&first, "box", session, "true");
    let name = container_of(&first, session);
    let id = |n: &str| docker(&["inspect", "-f", "{{.Id}}", n]).1;
    let original = id(&name);
    exec(&first, "box", session, "true");
    assert_eq!(id(&name), original, "same configuration, same container");
    drop(first);

    let again = scratch.start(&scratch.policy("memory 256m", ""));
    exec(&again, "box", session, "true");
    assert_eq!(id(&name), original, "a restart with the same policy reuses the container");
    drop(again);

    let changed = scratch.start(&scratch.policy("memory 128m", ""));
    exec(&changed, "box", session, "true");
    let recreated = id(&name);
    assert_ne!(recreated, original, "a changed configuration recreates the container");
    assert_eq!(docker(&["inspect", "-f", "{{.HostConfig.Memory}}", &name]).1, (128 * 1024 * 1024).to_string());
}

#[test]
fn pairing_codes_cap_ttl_and_what_an_approval_grants() {
    let scratch = Scratch::new("pair");
    let policy = "agent main { default sandbox off }\n\
        channel telegram { dm pairing  allow_from \"111\"  groups { group \"-100\" no_mention } }\n\
        sessions { dm_scope per_channel_peer }\n\
        gateway { auth token  pairing ttl 2s max_pending 2 }\n";
    let gw = scratch.start(policy);
    let post = |path: &str, body: Value| http(gw.addr, "POST", path, Some(TOKEN), &body);
    let ask = |sender: &str| post("/v1/pairing/request", json!({"channel": "telegram", "sender": sender}));

    let (status, body) = ask("9");
    assert_eq!(status, 200, "{body}");
    let code = body["code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 8);
    assert!(code.bytes().all(|b| palisade_gateway::pairing::ALPHABET.contains(&b)), "{code}");
    assert_eq!(ask("9").1["error"]["code"], "already_pending");
    let (status, second) = ask("10");
    assert_eq!(status, 200);
    assert_eq!(ask("11").1["error"]["code"], "cap_reached");
    assert_eq!(ask("111").1["error"]["code"], "not_pairable", "an allow-listed sender needs no code");
    assert_eq!(http(gw.addr, "GET", "/v1/pairing", Some(TOKEN), &Value::Null).1["pending"].as_array().unwrap().len(), 2);

    let dm = |sender: &str, paired: bool| {
        post("/v1/decide", json!({"kind": "ingress", "channel": "telegram", "sender": sender, "text": "hi", "paired": paired})).1
    };
    assert_eq!(dm("9", false)["outcome"], "pair");
    assert_eq!(post("/v1/pairing/approve", json!({"channel": "telegram", "code": code})).0, 200);
    assert_eq!(dm("9", false)["outcome"], "accept");
    assert_eq!(post("/v1/pairing/approve", json!({"channel": "telegram", "code": code})).0, 404, "codes are single-use");
    // A client cannot claim pairing; the gateway's store decides.
    assert_eq!(dm("10", true)["outcome"], "pair");
    // A DM approval never opens a group.
    let group =
        post("/v1/decide", json!({"kind": "ingress", "channel": "telegram", "chat": "group", "chat_id": "-100", "sender": "9", "text": "hi"})).1;
    assert_eq!(group["outcome"], "drop", "{group}");

    // Expiry is enforced when the code is approved.
    std::thread::sleep(std::time::Duration::from_millis(2200));
    let late = post("/v1/pairing/approve", json!({"channel": "telegram", "code": second["code"]}));
    assert_eq!((late.0, late.1["error"]["code"].as_str()), (409, Some("expired")));
    assert_eq!(dm("10", false)["outcome"], "pair");
}

fn sign_connect(gw: &Gateway, seed: u8, tamper: impl Fn(&mut Value)) -> (u16, Value) {
    use ed25519_dalek::{Signer, SigningKey};
    use palisade_gateway::devices::{fingerprint, hex, signed_message};
    let (_, challenge) = http(gw.addr, "POST", "/v1/devices/challenge", Some(TOKEN), &Value::Null);
    let nonce = challenge["nonce"].as_str().unwrap().to_string();
    let signed_at = challenge["ts"].as_u64().unwrap();
    let key = SigningKey::from_bytes(&[seed; 32]);
    let public = key.verifying_key().to_bytes();
    let id = fingerprint(&public);
    let signature = key.sign(signed_message(&id, &nonce, signed_at).as_bytes());
    let mut body =
        json!({"device_id": id, "public_key": hex(&public), "signature": hex(&signature.to_bytes()), "nonce": nonce, "signed_at": signed_at});
    tamper(&mut body);
    http(gw.addr, "POST", "/v1/devices/connect", Some(TOKEN), &body)
}

#[test]
fn devices_sign_challenges_and_state_survives_kill_9() {
    let scratch = Scratch::new("dev");
    let policy = "agent main { default sandbox off tools { profile full } }\n\
        channel telegram { dm pairing }\n\
        sessions { dm_scope per_channel_peer }\n\
        gateway { auth token  device_skew 30s }\n";
    let mut gw = scratch.start(policy);

    // A good signature gets a device token that authenticates like the secret.
    let (status, body) = sign_connect(&gw, 7, |_| {});
    assert_eq!(status, 200, "{body}");
    let device_token = body["token"].as_str().unwrap().to_string();
    let probe = json!({"kind": "tool", "agent": "main", "tool": "read"});
    assert_eq!(http(gw.addr, "POST", "/v1/decide", Some(&device_token), &probe).0, 200);

    // Each failure has its own code.
    let code = |r: (u16, Value)| (r.0, r.1["error"]["code"].as_str().unwrap_or("").to_string());
    assert_eq!(code(sign_connect(&gw, 7, |b| b["nonce"] = json!(""))), (401, "nonce_missing".into()));
    assert_eq!(code(sign_connect(&gw, 7, |b| b["nonce"] = json!("ab".repeat(32)))), (401, "nonce_mismatch".into()));
    assert_eq!(code(sign_connect(&gw, 7, |b| b["signed_at"] = json!(b["signed_at"].as_u64().unwrap() - 60_000))), (401, "expired".into()));
    assert_eq!(code(sign_connect(&gw, 7, |b| b["device_id"] = json!("00".repeat(32)))), (401, "device_id_mismatch".into()));
    let flip = |b: &mut Value| {
        let mut sig = b["signature"].as_str().unwrap().to_string();
        let last = if sig.ends_with('0') { "1" } else { "0" };
        sig.replace_range(sig.len() - 1.., last);
        b["signature"] = json!(sig);
    };
    assert_eq!(code(sign_connect(&gw, 7, flip)), (401, "signature_invalid".into()));
    // A replayed signature (same nonce) fails.
    let (_, challenge) = http(gw.addr, "POST", "/v1/devices/challenge", Some(TOKEN), &Value::Null);
    let replay = {
        use ed25519_dalek::{Signer, SigningKey};
        use palisade_gateway::devices::{fingerprint, hex, signed_message};
        let key = SigningKey::from_bytes(&[9; 32]);
        let public = key.verifying_key().to_bytes();
        let id = fingerprint(&public);
        let (nonce, ts) = (challenge["nonce"].as_str().unwrap(), challenge["ts"].as_u64().unwrap());
        json!({"device_id": id, "public_key": hex(&public), "signature": hex(&key.sign(signed_message(&id, nonce, ts).as_bytes()).to_bytes()),
               "nonce": nonce, "signed_at": ts})
    };
    assert_eq!(http(gw.addr, "POST", "/v1/devices/connect", Some(TOKEN), &replay).0, 200);
    assert_eq!(code(http(gw.addr, "POST", "/v1/devices/connect", Some(TOKEN), &replay)), (401, "nonce_mismatch".into()));

    // Node commands: an approval is bound to its request id and command.
    let post = |gw: &Gateway, path: &str, body: Value| http(gw.addr, "POST", path, Some(TOKEN), &body);
    let main = json!({"agent": "main", "session": "agent:main:main"});
    let approve = |gw: &Gateway, id: &str, command: &str| {
        post(gw, "/v1/nodes/approve", json!({"request_id": id, "command": command, "agent": main["agent"], "session": main["session"]}))
    };
    assert_eq!(approve(&gw, "r1", "echo one").0, 200);
    assert_eq!(approve(&gw, "r2", "echo two").0, 200);
    let run = |gw: &Gateway, id: &str, command: &str| {
        post(gw, "/v1/nodes/run", json!({"request_id": id, "handle": handle(gw, "main", "agent:main:main"), "command": command}))
    };
    assert_eq!(code(run(&gw, "r3", "echo one")), (403, "no_approval".into()), "an approval never authorises another request");
    assert_eq!(code(run(&gw, "r1", "echo two")), (403, "approval_mismatch".into()));
    let (status, body) = run(&gw, "r1", "echo one");
    assert_eq!((status, body["result"]["stdout"].as_str()), (200, Some("one\n")), "{body}");
    assert_eq!(code(run(&gw, "r1", "echo one")), (403, "no_approval".into()), "approvals are single-use");

    // Pairing state, the device, and the unused approval survive kill -9.
    let (_, pending) = post(&gw, "/v1/pairing/request", json!({"channel": "telegram", "sender": "55"}));
    let code_55 = pending["code"].as_str().unwrap().to_string();
    let (_, pending) = post(&gw, "/v1/pairing/request", json!({"channel": "telegram", "sender": "56"}));
    assert_eq!(post(&gw, "/v1/pairing/approve", json!({"channel": "telegram", "code": pending["code"]})).0, 200);
    let pid = gw.child.id().to_string();
    assert!(Command::new("kill").args(["-9", &pid]).status().unwrap().success());
    let _ = gw.child.wait();
    gw = scratch.start(policy);
    let dm =
        |gw: &Gateway, sender: &str| post(gw, "/v1/decide", json!({"kind": "ingress", "channel": "telegram", "sender": sender})).1["outcome"].clone();
    assert_eq!(dm(&gw, "56"), "accept", "an approval survives");
    assert_eq!(post(&gw, "/v1/pairing/approve", json!({"channel": "telegram", "code": code_55})).0, 200, "a pending code survives");
    assert_eq!(http(gw.addr, "POST", "/v1/decide", Some(&device_token), &probe).0, 200, "a device token survives");
    let (status, body) = run(&gw, "r2", "echo two");
    assert_eq!((status, body["result"]["stdout"].as_str()), (200, Some("two\n")), "an approval survives: {body}");
}

#[test]
fn operators_explain_recreate_and_prune_sandboxes() {
    if !docker_ready() {
        return;
    }
    ensure_image();
    let scratch = Scratch::new("ops");
    let policy = scratch.policy("", "");
    let gw = scratch.start(&policy);
    let session = "agent:box:ops:1";
    exec(&gw, "box", session, "true");
    let name = container_of(&gw, session);
    let state = gw.dir.join("state");
    let run = |args: &[&str]| {
        let out = palisade().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };

    let explained = run(&[
        "sandbox",
        "explain",
        "--policy",
        gw.dir.join("policy.pal").to_str().unwrap(),
        "--agent",
        "box",
        "--session",
        session,
        "--state-dir",
        state.to_str().unwrap(),
    ]);
    assert!(explained.contains(&format!("container {name}")), "{explained}");
    assert!(explained.contains("\"NetworkMode\": \"none\""), "{explained}");
    assert!(run(&["sandbox", "list"]).contains(&name));

    let id = |n: &str| docker(&["inspect", "-f", "{{.Id}}", n]).1;
    let before = id(&name);
    assert!(run(&["sandbox", "recreate", &name]).contains("removed"));
    assert!(!docker(&["inspect", &name]).0);
    exec(&gw, "box", session, "true");
    assert_ne!(id(&name), before, "the next use recreated it");

    // Nothing is idle for an hour yet; everything is idle for more than 1 s.
    let prune = |idle: &str| run(&["sandbox", "prune", "--idle", idle, "--prefix", &scratch.prefix, "--state-dir", state.to_str().unwrap()]);
    assert!(prune("1h").contains("0 container(s) pruned"));
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let pruned = prune("1s");
    assert!(pruned.contains(&format!("pruned {name}")), "{pruned}");
    assert!(!docker(&["inspect", &name]).0);
}

#[test]
fn binds_are_checked_again_after_resolving_symlinks() {
    if !docker_ready() {
        return;
    }
    ensure_image();
    let scratch = Scratch::new("bind");
    let link = scratch.dir.join("innocent");
    std::os::unix::fs::symlink("/etc", &link).unwrap();
    // Lexically fine, so `palisade check` passes; the gateway resolves it and refuses.
    let gw = scratch.start(&scratch.policy(&format!("bind \"{}:/data:ro\"", link.display()), ""));
    let (status, body) = invoke(&gw, "box", "agent:box:b", "exec", json!({"command": "cat /data/hostname"}));
    assert_eq!(status, 502, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("refused"), "{body}");
    assert!(!docker(&["inspect", &container_of(&gw, "agent:box:b")]).0);
}

#[test]
fn modes_and_scopes_choose_where_calls_run() {
    if !docker_ready() {
        return;
    }
    ensure_image();
    let scratch = Scratch::new("modes");
    let p = &scratch.prefix;
    let policy = format!(
        "agent main {{ default  sandbox off }}\n\
         agent nm {{ sandbox non-main scope session docker {{ prefix \"{p}\" }} tools {{ allow exec }} }}\n\
         agent sh {{ sandbox all scope shared docker {{ prefix \"{p}\" }} tools {{ allow exec }} }}\n\
         gateway {{ auth token }}\n"
    );
    let gw = scratch.start(&policy);
    // non-main: the main session runs on the host, any other session in a container.
    let host = exec(&gw, "nm", "agent:nm:main", "test -d /usr/bin && echo host");
    assert_eq!(host["stdout"], "host\n", "{host}");
    assert!(!docker(&["inspect", &container_of(&gw, "agent:nm:main")]).0);
    let boxed = exec(&gw, "nm", "agent:nm:telegram:direct:1", "test -d /usr/bin || echo sandboxed");
    assert_eq!(boxed["stdout"], "sandboxed\n", "{boxed}");
    assert!(docker(&["inspect", &container_of(&gw, "agent:nm:telegram:direct:1")]).0);
    // shared: every session of every agent with that scope uses one container.
    exec(&gw, "sh", "agent:sh:a", "echo from-a > /workspace/shared.txt");
    assert_eq!(exec(&gw, "sh", "agent:sh:b", "cat /workspace/shared.txt")["stdout"], "from-a\n");
    let (_, names) = docker(&["ps", "--format", "{{.Names}}", "--filter", &format!("name={}shared-", gw.prefix)]);
    assert_eq!(names.lines().count(), 1, "one shared container: {names}");
}

#[test]
fn an_exposed_listen_address_without_auth_is_refused_at_start() {
    let scratch = Scratch::new("exposed");
    let path = scratch.dir.join("policy.pal");
    std::fs::write(&path, "agent main {}\ngateway { auth none }\n").unwrap();
    let out = palisade().args(["gateway", "--listen", "0.0.0.0:0", "--policy"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refusing to listen on http://0.0.0.0:0 without authentication"), "{stderr}");
}

/// Two gateways on one state directory would write one audit log, one
/// credential store and one set of workspaces, each counting the audit
/// budget without the other's writes: the second is refused at start,
/// naming the first, and the first goes on serving.
#[test]
fn a_second_gateway_on_the_same_state_directory_is_refused() {
    let scratch = Scratch::new("twice");
    let first = scratch.start("agent main { default tools { allow read } }\ngateway { auth token }\n");
    // Bounded: before the fix the second gateway served, and never ended.
    let out = Command::new("timeout")
        .args(["5", env!("CARGO_BIN_EXE_palisade"), "gateway", "--listen", "127.0.0.1:0", "--policy"])
        .arg(scratch.dir.join("policy.pal"))
        .arg("--state-dir")
        .arg(scratch.dir.join("state"))
        .env("PALISADE_GATEWAY_TOKEN", TOKEN)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "the second gateway started: {stderr}");
    assert!(stderr.contains("in use by another gateway") && stderr.contains(&format!("pid {}", first.child.id())), "{stderr}");
    assert!(stderr.contains("--state-dir"), "no hint: {stderr}");
    let (status, body) = http(first.addr, "POST", "/v1/decide", Some(TOKEN), &json!({"kind": "tool", "agent": "main", "tool": "read"}));
    assert_eq!((status, &body["allowed"]), (200, &json!(true)), "{body}");
}

/// Polls `decide` until `want` comes back or two seconds pass.
fn decided_within(gw: &Gateway, request: &Value, want: bool) -> bool {
    for _ in 0..40 {
        let (status, body) = http(gw.addr, "POST", "/v1/decide", Some(TOKEN), request);
        assert_eq!(status, 200, "{body}");
        if body["allowed"] == want {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    false
}

#[test]
fn sighup_reloads_the_policy_whole_or_not_at_all() {
    let scratch = Scratch::new("reload");
    let gateway_block = "gateway { auth token from env PALISADE_GATEWAY_TOKEN }\n";
    let gw = scratch.start(&format!("agent main {{ default tools {{ allow read, exec }} }}\n{gateway_block}"));
    let path = scratch.dir.join("policy.pal");
    let hangup = || assert!(Command::new("kill").args(["-HUP", &gw.child.id().to_string()]).status().unwrap().success());
    let exec = json!({"kind": "tool", "agent": "main", "tool": "exec"});
    assert!(decided_within(&gw, &exec, true));

    // A new policy is in force after SIGHUP.
    std::fs::write(&path, format!("agent main {{ default tools {{ allow read  deny exec }} }}\n{gateway_block}")).unwrap();
    hangup();
    assert!(decided_within(&gw, &exec, false), "the reloaded policy denies exec");

    // A policy that does not compile is refused; the running one stays.
    let audit = scratch.dir.join("state").join("audit.jsonl");
    let refusals = |want: usize| {
        let mut found = Vec::new();
        for _ in 0..100 {
            let text = std::fs::read_to_string(&audit).unwrap_or_default();
            found = text.lines().filter(|l| l.contains("\"event\":\"reload\"") && l.contains("\"ok\":false")).map(str::to_string).collect();
            if found.len() >= want {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        found
    };
    std::fs::write(&path, format!("agent main {{ default tools {{ allow exec, nosuchtool }} }}\n{gateway_block}")).unwrap();
    hangup();
    assert_eq!(refusals(1).len(), 1);
    // A gateway block change needs a restart: refused too.
    let new_limits = "gateway { auth token from env PALISADE_GATEWAY_TOKEN  rate_limit 5 per 1m }\n";
    std::fs::write(&path, format!("agent main {{ default tools {{ allow read, exec }} }}\n{new_limits}")).unwrap();
    hangup();
    let refusals = refusals(2);
    assert_eq!(refusals.len(), 2, "{refusals:?} {}", std::fs::read_to_string(&audit).unwrap_or_default());
    assert!(refusals[0].contains("nosuchtool"), "{}", refusals[0]);
    assert!(refusals[1].contains("restart"), "{}", refusals[1]);
    let (_, body) = http(gw.addr, "POST", "/v1/decide", Some(TOKEN), &exec);
    assert_eq!(body["allowed"], false, "the last good policy is still in force: {body}");
}

/// Polls `path` until a line containing every one of `needles` shows up.
fn audit_line_within(path: &std::path::Path, needles: &[&str]) -> Option<String> {
    for _ in 0..100 {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if let Some(line) = text.lines().find(|l| needles.iter().all(|n| l.contains(n))) {
            return Some(line.to_string());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    None
}

#[test]
fn sighup_reopens_the_audit_log_for_rotation() {
    let scratch = Scratch::new("rotate");
    let gw = scratch.start("agent main { default tools { allow read } }\ngateway { auth token from env PALISADE_GATEWAY_TOKEN }\n");
    let audit = scratch.dir.join("state").join("audit.jsonl");
    let rotated = scratch.dir.join("state").join("audit.jsonl.1");
    let ask = |tool: &str| http(gw.addr, "POST", "/v1/decide", Some(TOKEN), &json!({"kind": "tool", "agent": "main", "tool": tool}));
    assert_eq!(ask("read").0, 200);
    assert!(audit_line_within(&audit, &["\"decide\"", "\"read\""]).is_some());

    // logrotate's way: move the file, then SIGHUP. Until the signal is
    // handled, lines still go to the moved file; none is lost.
    std::fs::rename(&audit, &rotated).unwrap();
    assert_eq!(ask("write").0, 200);
    assert!(Command::new("kill").args(["-HUP", &gw.child.id().to_string()]).status().unwrap().success());
    let reload = audit_line_within(&audit, &["\"reload\"", "\"ok\":true"]);
    assert!(reload.is_some(), "after SIGHUP the gateway writes to a new audit.jsonl");
    assert_eq!(ask("exec").0, 200);
    assert!(audit_line_within(&audit, &["\"decide\"", "\"exec\""]).is_some());
    let old = std::fs::read_to_string(&rotated).unwrap();
    assert!(old.contains("\"tool\":\"read\"") && old.contains("\"tool\":\"write\""), "{old}");
    assert!(!old.contains("\"tool\":\"exec\""), "{old}");
}

#[test]
fn request_bodies_just_over_the_cap_get_413() {
    let scratch = Scratch::new("bodylimit");
    let gw = scratch.start("agent main { default tools { allow read } }\ngateway { auth token from env PALISADE_GATEWAY_TOKEN }\n");
    let limit = palisade_gateway::BODY_LIMIT;
    // A decide request padded with spaces to exactly the cap, then one byte more.
    let request = r#"{"kind":"tool","agent":"main","tool":"read"}"#;
    let at = format!("{request}{}", " ".repeat(limit - request.len()));
    let post = |body: &str| {
        let mut stream = TcpStream::connect(gw.addr).unwrap();
        let head = format!(
            "POST /v1/decide HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        // The server may answer 413 and close before reading it all.
        let _ = stream.write_all(body.as_bytes());
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        response.split(' ').nth(1).unwrap_or("").to_string()
    };
    assert_eq!(post(&at), "200");
    assert_eq!(post(&format!("{at} ")), "413");
}

#[test]
fn every_json_endpoint_answers_a_malformed_body_with_400() {
    let scratch = Scratch::new("badbody");
    let gw = scratch.start("agent main { default tools { allow read } }\ngateway { auth token from env PALISADE_GATEWAY_TOKEN }\n");
    let endpoints = [
        "/v1/decide",
        "/v1/ingress",
        "/v1/tools/invoke",
        "/v1/sessions/open",
        "/v1/sessions/spawn",
        "/v1/pairing/request",
        "/v1/pairing/approve",
        "/v1/devices/connect",
        "/v1/devices/revoke",
        "/v1/nodes/approve",
        "/v1/nodes/run",
        "/v1/credentials",
        "/v1/credentials/revoke",
    ];
    // Not an object, an unknown field, a field of the wrong type.
    let bodies = [json!("not an object"), json!({"bogus": 1}), json!({"channel": 7, "agent": 7, "kind": 7})];
    for path in endpoints {
        for body in &bodies {
            let (status, answer) = http(gw.addr, "POST", path, Some(TOKEN), body);
            assert_eq!(status, 400, "{path} {body}: {answer}");
            assert_eq!(answer["error"]["code"], "bad_request", "{path} {body}: {answer}");
            assert!(answer["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{path}: {answer}");
        }
    }
}

/// The README's gateway walk-through, command by command (on a free port
/// instead of 18789), from a directory holding the examples, with the
/// default state directory.
#[test]
fn the_readme_gateway_commands_work_as_written() {
    let scratch = Scratch::new("readme");
    std::fs::create_dir_all(scratch.dir.join("examples")).unwrap();
    std::fs::copy(crate::root().join("examples/multi-agent.pal"), scratch.dir.join("examples/multi-agent.pal")).unwrap();
    let mut command = palisade();
    command.current_dir(&scratch.dir).args(["gateway", "--policy", "examples/multi-agent.pal", "--listen", "127.0.0.1:0"]);
    command.env("PALISADE_GATEWAY_TOKEN", TOKEN);
    let gw = scratch.spawn(command);
    let (status, minted) = http(gw.addr, "POST", "/v1/credentials", Some(TOKEN), &json!({"role": "runtime", "agents": ["family", "public"]}));
    assert_eq!((status, minted["role"].as_str()), (200, Some("runtime")), "{minted}");
    let runtime = minted["token"].as_str().unwrap();
    assert!(runtime.starts_with("pal_"));
    let (status, dm) = http(gw.addr, "POST", "/v1/ingress", Some(runtime), &json!({"channel": "telegram", "sender": "333", "text": "hi"}));
    assert_eq!((status, dm["gate"]["outcome"].as_str()), (200, Some("accept")), "{dm}");
    assert_eq!(
        dm["session"],
        json!({"agent": "family", "session_key": "agent:family:telegram:direct:333", "sender": "telegram:333", "owner": false, "subagent": false})
    );
    let call = json!({"handle": dm["handle"], "tool": "exec", "provider": "anthropic", "args": {"command": "id"}});
    let (status, denied) = http(gw.addr, "POST", "/v1/tools/invoke", Some(runtime), &call);
    assert_eq!((status, denied["decision"]["reason"].as_str()), (403, Some("denied by agent family deny list")), "{denied}");
    assert!(scratch.dir.join(".palisade/palisade.db").exists(), "the default state directory is .palisade");
}

#[test]
fn an_asked_call_runs_nothing_and_is_audited() {
    // Host runs only (sandbox off): the refusal must come before any run, not from Docker.
    let scratch = Scratch::new("ask");
    let marker = scratch.dir.join("ran");
    let policy = "agent main { default  sandbox off  tools { allow read  ask exec } }\ngateway { auth token }\n";
    let gw = scratch.start(policy);
    let command = format!("touch {}", marker.display());
    let (status, body) = invoke(&gw, "main", "agent:main:main", "exec", json!({"command": command}));
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "approval_required", "{body}");
    assert_eq!(body["decision"]["outcome"], "ask", "{body}");
    assert_eq!(body["decision"]["allowed"], false, "{body}");
    assert!(body.get("result").is_none(), "{body}");
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(!marker.exists(), "an asked command ran");
    let line = audit_line_within(&gw.dir.join("state/audit.jsonl"), &["\"event\":\"tool\"", "\"decision\":\"ask\""]);
    assert!(line.is_some(), "the asked call is not in the audit log");
    // `/v1/decide` answers the same outcome.
    let (status, decided) =
        http(gw.addr, "POST", "/v1/decide", Some(TOKEN), &json!({"kind": "tool", "agent": "main", "tool": "exec", "session": "agent:main:main"}));
    assert_eq!((status, &decided["outcome"]), (200, &json!("ask")), "{decided}");
}

#[test]
fn commands_run_only_when_every_segment_is_allowed() {
    // Host runs (sandbox off): what runs is what `sh -c` would run.
    let scratch = Scratch::new("commands");
    let dir = scratch.dir.display().to_string();
    let policy = "agent main { default  sandbox off  tools { allow exec  exec { allow \"touch *\"  ask \"mkdir *\"  deny \"rm *\" } } }\n\
                  gateway { auth token }\n";
    let gw = scratch.start(policy);
    let run = |command: String| invoke(&gw, "main", "agent:main:main", "exec", json!({"command": command}));

    let (status, body) = run(format!("touch {dir}/allowed"));
    assert_eq!(status, 200, "{body}");
    assert!(scratch.dir.join("allowed").exists(), "an allowed command did not run: {body}");

    // Chaining: the second segment is denied, so nothing runs, not even the first.
    let (status, body) = run(format!("touch {dir}/chained; rm -f {dir}/allowed"));
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["decision"]["outcome"], "deny", "{body}");
    assert_eq!(body["decision"]["segments"][1]["outcome"], "deny", "{body}");
    // A substitution is opaque (default `on_opaque deny`), even inside quotes.
    let (status, body) = run(format!("touch \"$(echo {dir}/substituted)\""));
    assert_eq!((status, &body["decision"]["outcome"]), (403, &json!("deny")), "{body}");
    // An asked command waits for a person: refused with its own code.
    let (status, body) = run(format!("mkdir {dir}/asked"));
    assert_eq!((status, &body["error"]["code"]), (403, &json!("approval_required")), "{body}");
    // No command at all is an opaque command.
    let (status, body) = invoke(&gw, "main", "agent:main:main", "exec", json!({}));
    assert_eq!((status, &body["decision"]["outcome"]), (403, &json!("deny")), "{body}");

    std::thread::sleep(std::time::Duration::from_millis(200));
    for name in ["chained", "substituted", "asked"] {
        assert!(!scratch.dir.join(name).exists(), "`{name}` ran");
    }
    assert!(scratch.dir.join("allowed").exists(), "the denied `rm` ran");
    let line = audit_line_within(&gw.dir.join("state/audit.jsonl"), &["\"decision\":\"deny\"", "chained"]);
    assert!(line.is_some(), "the denied command is not in the audit log");
    // `/v1/decide` takes the same `args` and explains each segment.
    let request = json!({"kind": "tool", "agent": "main", "tool": "exec", "session": "agent:main:main", "args": {"command": "touch a && rm b"}});
    let (status, decided) = http(gw.addr, "POST", "/v1/decide", Some(TOKEN), &request);
    assert_eq!((status, &decided["outcome"]), (200, &json!("deny")), "{decided}");
    assert_eq!(decided["segments"][0]["segment"], "touch a", "{decided}");
    assert_eq!(decided["segments"][1]["why"], "`rm b` matches deny pattern `rm *`", "{decided}");
}

/// A tool the policy allows but the gateway cannot run is named at start,
/// before any call gets 501.
#[test]
fn tools_the_gateway_cannot_run_are_named_at_start() {
    let scratch = Scratch::new("unrunnable");
    let path = scratch.dir.join("policy.pal");
    std::fs::write(&path, "agent main { default sandbox off tools { allow read, web_search } }\ngateway { auth token }\n").unwrap();
    let mut command = palisade();
    command.args(["gateway", "--listen", "127.0.0.1:0", "--policy"]).arg(&path).arg("--state-dir").arg(scratch.dir.join("state"));
    command.env("PALISADE_GATEWAY_TOKEN", TOKEN).stderr(Stdio::piped());
    let gw = scratch.spawn_keeping_stderr(command);
    let handle = handle(&gw, "main", "agent:main:main");
    let (status, body) = http(gw.addr, "POST", "/v1/tools/invoke", Some(TOKEN), &json!({"handle": handle, "tool": "web_search", "args": {}}));
    assert_eq!((status, body["error"]["code"].as_str()), (501, Some("not_runnable")), "{body}");
    let mut gw = gw;
    let _ = gw.child.kill();
    let mut stderr = String::new();
    gw.child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(stderr.contains("warning: agent `main` may call `web_search` in its main session, which the gateway does not run"), "{stderr}");
    // `check --gateway` says the same before any gateway runs.
    let check = palisade().args(["check", "--gateway"]).arg(&path).output().unwrap();
    let said = String::from_utf8_lossy(&check.stderr);
    assert!(check.status.success() && said.contains("agent `main` may call `web_search` in its main session"), "{said}");
    let json = palisade().args(["check", "--gateway", "--format", "json"]).arg(&path).output().unwrap();
    let value: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(
        value["diagnostics"].as_array().unwrap().iter().any(|d| d["code"] == "palisade::not-runnable" && d["tools"][0] == "web_search"),
        "{value}"
    );
}
