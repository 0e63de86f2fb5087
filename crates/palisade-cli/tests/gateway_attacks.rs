//! Attacks on the gateway's trust boundary (issue 12), each performed against
//! a real gateway process and a real dockerd. Every test here passed as an
//! attack on the code before its fix: it is the attack, and the assertion
//! is that it no longer works.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::gateway::{docker, docker_ready, ensure_image, exec, http, invoke, tool_call, Gateway, Scratch, TOKEN};

/// One request with a deadline on the answer: `None` when none came in time.
fn http_within(addr: SocketAddr, path: &str, body: &Value, within: Duration) -> Option<(u16, Value)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(within)).ok()?;
    let body = if body.is_null() { String::new() } else { body.to_string() };
    let method = if body.is_empty() { "GET" } else { "POST" };
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let json = response.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    Some((status, serde_json::from_str(json).unwrap_or(Value::Null)))
}

/// The gateway process's peak resident memory, in KiB (`VmHWM`).
fn peak_rss_kib(gw: &Gateway) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", gw.child.id())).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Host processes whose command line is exactly `words`.
fn host_processes(words: &[&str]) -> usize {
    let wanted: String = words.iter().map(|w| format!("{w}\0")).collect();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit()))
        .filter(|e| std::fs::read(e.path().join("cmdline")).is_ok_and(|c| c == wanted.as_bytes()))
        .count()
}

fn rw_policy(scratch: &Scratch) -> String {
    let p = &scratch.prefix;
    format!(
        "agent main {{ default  sandbox off  tools {{ allow exec, read, write }} }}\n\
         agent rw {{ sandbox all scope agent workspace rw docker {{ prefix \"{p}\" }} tools {{ allow exec, read, write }} }}\n\
         gateway {{ auth token }}\n"
    )
}

/// Finding 1: a sandbox sharing the workspace swaps `f` between a regular
/// file and a link to a host file, and `g` between a regular file and a
/// dangling link into a host directory, while the gateway reads `f` and
/// writes `g`. Before the fix, a few hundred reads returned the host file and
/// a write created the host file.
#[test]
fn file_tools_never_follow_a_link_a_sandbox_swaps_in() {
    if !docker_ready() {
        return;
    }
    ensure_image();
    let scratch = Scratch::new("race");
    let secret = scratch.dir.join("host-secret");
    std::fs::write(&secret, "HOST-SECRET-CONTENT").unwrap();
    let host_dir = scratch.dir.join("host-dir");
    std::fs::create_dir_all(&host_dir).unwrap();
    let planted = host_dir.join("planted");
    let gw = scratch.start_with(&rw_policy(&scratch), 30);
    let session = "agent:rw:main";
    assert_eq!(exec(&gw, "rw", session, "echo inside > f; echo inside > g; echo ok")["stdout"], "ok\n");

    // Links to host paths: dangling inside the container, live for the gateway.
    let swapper = format!(
        "end=$(( $(date +%s) + 12 )); while [ $(date +%s) -lt $end ]; do \
           ln -sfn {} f.l; mv -f f.l f; echo inside > f.r; mv -f f.r f; \
           ln -sfn {} g.l; mv -f g.l g; echo inside > g.r; mv -f g.r g; \
         done; echo swapped",
        secret.display(),
        planted.display()
    );
    let swapping = {
        let addr = gw.addr;
        let body = tool_call(&gw, "rw", session, "exec", json!({"command": swapper}));
        std::thread::spawn(move || http(addr, "POST", "/v1/tools/invoke", Some(TOKEN), &body))
    };
    let started = Instant::now();
    let (mut reads, mut refused) = (0, 0);
    while started.elapsed() < Duration::from_secs(9) {
        let (status, body) = invoke(&gw, "rw", session, "read", json!({"path": "f"}));
        reads += 1;
        let text = body.to_string();
        assert!(!text.contains("HOST-SECRET-CONTENT"), "read {reads} returned the host file: {body}");
        if status != 200 {
            refused += 1;
        }
        let _ = invoke(&gw, "rw", session, "write", json!({"path": "g", "content": "PLANTED-BY-GATEWAY"}));
        assert!(!planted.exists(), "a write through a swapped-in link created a host file");
    }
    let (status, body) = swapping.join().unwrap();
    assert_eq!((status, body["result"]["stdout"].as_str()), (200, Some("swapped\n")), "{body}");
    assert!(reads > 100, "only {reads} reads raced the swapper");
    assert!(refused > 0, "the race never hit a link; the test proves nothing ({reads} reads)");
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "HOST-SECRET-CONTENT");
}

/// Finding 2: reading a FIFO blocked an async worker until someone wrote
/// into it (two stopped the gateway); a 2 GB sparse file was loaded whole
/// before the cap; a long path took quadratic time.
#[test]
fn no_file_request_freezes_or_bloats_the_gateway() {
    if !docker_ready() {
        return;
    }
    ensure_image();
    let scratch = Scratch::new("freeze");
    let gw = scratch.start(&rw_policy(&scratch));
    let session = "agent:rw:main";
    let made = exec(&gw, "rw", session, "mkfifo pipe && truncate -s 2G sparse && echo made");
    assert_eq!(made["stdout"], "made\n", "{made}");

    let read = |path: &str| tool_call(&gw, "rw", session, "read", json!({"path": path}));
    let fifo_readers: Vec<_> = (0..4)
        .map(|_| {
            let (addr, body) = (gw.addr, read("pipe"));
            std::thread::spawn(move || http_within(addr, "/v1/tools/invoke", &body, Duration::from_secs(15)))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let health = http_within(gw.addr, "/healthz", &Value::Null, Duration::from_secs(5));
    assert_eq!(health.map(|h| h.0), Some(200), "/healthz stopped answering while FIFOs were read");
    for reader in fifo_readers {
        let (status, body) = reader.join().unwrap().expect("a read of a FIFO never came back");
        assert_eq!((status, body["error"]["code"].as_str()), (422, Some("not_regular")), "{body}");
    }

    let (status, body) = http_within(gw.addr, "/v1/tools/invoke", &read("sparse"), Duration::from_secs(5)).expect("sparse read hung");
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("too_large")), "{body}");
    let peak = peak_rss_kib(&gw);
    assert!(peak < 256 * 1024, "the gateway's peak memory reached {peak} KiB reading a sparse file");

    // A path of ~1 MiB (the body limit) is refused by its length at once,
    // by the policy's built-in path rules, and the answer quotes it cut short.
    let long = "a/".repeat(500_000);
    let answer = http_within(gw.addr, "/v1/tools/invoke", &read(&long), Duration::from_secs(5));
    let (status, body) = answer.expect("a 1 MiB path was not answered within 5 s");
    assert_eq!((status, body["decision"]["outcome"].as_str()), (403, Some("deny")), "{}", &body.to_string()[..400]);
    assert!(body.to_string().len() < 4096, "the refusal of a 1 MiB path is {} bytes", body.to_string().len());
}

/// Finding 4: host commands saw the gateway's environment (its token), a
/// background child outlived the timeout, and output was buffered whole
/// before the cap.
#[test]
fn host_commands_get_a_clean_environment_die_whole_and_stream_capped_output() {
    let scratch = Scratch::new("hostrun");
    let gw = scratch.start(&rw_policy(&scratch));
    let session = "agent:main:main";
    let env = exec(&gw, "main", session, "env");
    let printed = env["stdout"].as_str().unwrap();
    assert!(!printed.contains(TOKEN) && !printed.contains("PALISADE_GATEWAY_TOKEN"), "the gateway's secret leaked: {printed}");
    assert!(printed.lines().all(|l| ["PATH=", "HOME=", "LANG=", "PWD=", "SHLVL=", "_="].iter().any(|k| l.starts_with(k))), "{printed}");

    // A background child of a finished command, and one of a timed-out command.
    let done = exec(&gw, "main", session, "sleep 7771 >/dev/null 2>&1 & echo started");
    assert_eq!(done["stdout"], "started\n", "{done}");
    let timed = exec(&gw, "main", session, "sleep 7772 & sleep 60");
    assert_eq!(timed["timed_out"], true, "{timed}");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(host_processes(&["sleep", "7771"]), 0, "a background child outlived its command");
    assert_eq!(host_processes(&["sleep", "7772"]), 0, "a background child outlived the timeout");

    // 1 GB of output: streamed, the first MiB kept, memory bounded.
    let big = exec(&gw, "main", session, "head -c 1000000000 /dev/zero; echo done >&2");
    assert_eq!(big["truncated"], true, "{}", big["stderr"]);
    assert_eq!(big["stdout"].as_str().unwrap().len(), palisade_gateway::sandbox::OUTPUT_CAP);
    let peak = peak_rss_kib(&gw);
    assert!(peak < 256 * 1024, "the gateway's peak memory reached {peak} KiB for 1 GB of output");
}

/// Finding 7 (processes): `timeout -s KILL` killed only `sh`; background
/// children stayed alive in the container.
#[test]
fn sandboxed_commands_die_whole() {
    if !docker_ready() {
        return;
    }
    ensure_image();
    let scratch = Scratch::new("sbxkill");
    let gw = scratch.start(&rw_policy(&scratch));
    let session = "agent:rw:main";
    let done = exec(&gw, "rw", session, "sleep 7773 >/dev/null 2>&1 & echo started");
    assert_eq!(done["stdout"], "started\n", "{done}");
    let timed = exec(&gw, "rw", session, "sleep 7774 & sleep 60");
    assert_eq!(timed["timed_out"], true, "{timed}");
    std::thread::sleep(Duration::from_millis(300));
    let container = super::gateway::container_of(&gw, "agent:rw");
    let (ok, ps) = docker(&["exec", &container, "ps", "-o", "args"]);
    assert!(ok, "{ps}");
    assert!(!ps.contains("sleep 7773"), "a background child outlived its command: {ps}");
    assert!(!ps.contains("sleep 7774"), "a background child outlived the timeout: {ps}");
}

fn post(gw: &Gateway, path: &str, token: &str, body: Value) -> (u16, Value) {
    http(gw.addr, "POST", path, Some(token), &body)
}

fn trust_policy(scratch: &Scratch) -> String {
    let p = &scratch.prefix;
    format!(
        "owners \"telegram:111\"\n\
         tools {{ provider \"openai\" {{ deny read }}  subagents {{ deny exec }} }}\n\
         agent main {{ default  sandbox off  tools {{ profile full }} }}\n\
         agent nm {{ sandbox non-main scope session docker {{ prefix \"{p}\" }} tools {{ allow exec, read, cron }} }}\n\
         channel telegram {{ dm allowlist  allow_from \"111\", \"222\" }}\n\
         sessions {{ dm_scope per_channel_peer }}\n\
         route {{ telegram peer \"222\" -> nm  telegram peer \"111\" -> nm }}\n\
         gateway {{ auth token }}\n"
    )
}

/// Finding 3: the client named its own context. With no `sender` it was an
/// owner (owner-only `cron` allowed); with no `session`, or a main key in
/// another spelling, a `non-main` agent ran on the host; without `provider`
/// the provider's denies were dropped. Now a tool call carries a handle the
/// gateway sealed, and a field left out is its least privileged value.
#[test]
fn a_client_cannot_choose_its_own_privileges() {
    if !docker_ready() {
        return;
    }
    ensure_image();
    let scratch = Scratch::new("privs");
    let gw = scratch.start(&trust_policy(&scratch));
    let on_host = json!({"command": "test -d /usr/bin && echo ON-THE-HOST"});
    // The attacks, as the old API took them: the client names agent, session, sender, provider.
    let attacks = [
        json!({"agent": "main", "tool": "cron", "args": {}}),
        json!({"agent": "nm", "session": " AGENT:NM:MAIN ", "tool": "exec", "args": on_host}),
        json!({"agent": "nm", "tool": "exec", "args": on_host}),
        json!({"agent": "main", "tool": "read", "args": {"path": "x"}}),
    ];
    for attack in attacks {
        let (status, body) = post(&gw, "/v1/tools/invoke", TOKEN, attack.clone());
        assert!(status >= 400 && body["decision"]["allowed"] != true, "{attack} -> {status} {body}");
        assert!(!body.to_string().contains("ON-THE-HOST"), "{attack} ran on the host: {body}");
    }

    // A runtime for `nm` gets handles only by gating a message.
    let (status, minted) = post(&gw, "/v1/credentials", TOKEN, json!({"role": "runtime", "agents": ["nm"]}));
    assert_eq!(status, 200, "{minted}");
    let runtime = minted["token"].as_str().unwrap().to_string();
    let (status, body) = post(&gw, "/v1/sessions/open", &runtime, json!({"agent": "nm", "session": "agent:nm:main"}));
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("forbidden_for_role")), "{body}");
    let (status, stranger) = post(&gw, "/v1/ingress", &runtime, json!({"channel": "telegram", "sender": "999", "text": "hi"}));
    assert_eq!((status, stranger["gate"]["outcome"].as_str(), stranger.get("handle")), (200, Some("drop"), None), "{stranger}");
    let (status, dm) = post(&gw, "/v1/ingress", &runtime, json!({"channel": "telegram", "sender": "222", "text": "hi"}));
    assert_eq!(status, 200, "{dm}");
    assert_eq!(dm["session"]["session_key"], "agent:nm:telegram:direct:222");
    assert_eq!(dm["session"]["owner"], false);
    let handle = dm["handle"].as_str().unwrap().to_string();
    let call = |handle: &str, tool: &str, args: Value| post(&gw, "/v1/tools/invoke", &runtime, json!({"handle": handle, "tool": tool, "args": args}));

    // The DM session is not main: the command runs in a container.
    let (status, body) = call(&handle, "exec", on_host.clone());
    assert_eq!(status, 200, "{body}");
    assert!(!body.to_string().contains("ON-THE-HOST"), "a DM session ran on the host: {body}");
    // Not an owner: no cron. No provider: as strict as openai, which denies read.
    let (status, body) = call(&handle, "cron", json!({}));
    assert_eq!((status, body["decision"]["allowed"].as_bool()), (403, Some(false)), "{body}");
    let (status, body) = call(&handle, "read", json!({"path": "x"}));
    assert_eq!(status, 403, "{body}");
    assert!(body["decision"]["reason"].as_str().unwrap().contains("openai"), "{body}");
    // The owner's message makes an owner handle.
    let (_, owner) = post(&gw, "/v1/ingress", &runtime, json!({"channel": "telegram", "sender": "111", "text": "hi"}));
    assert_eq!(owner["session"]["owner"], true, "{owner}");

    // A context field next to the handle is refused, and so is an altered handle.
    let (status, _) = post(&gw, "/v1/tools/invoke", &runtime, json!({"handle": handle, "tool": "exec", "session": "agent:nm:main", "args": on_host}));
    assert_eq!(status, 400);
    let mut forged = handle.clone();
    let flip = forged.len() - 1;
    forged.replace_range(flip.., if handle.ends_with('0') { "1" } else { "0" });
    assert_eq!(call(&forged, "exec", on_host.clone()).0, 401);
    // Another runtime cannot use this runtime's handle.
    let (_, other) = post(&gw, "/v1/credentials", TOKEN, json!({"role": "runtime", "agents": ["*"]}));
    let other = other["token"].as_str().unwrap().to_string();
    let (status, body) = post(&gw, "/v1/tools/invoke", &other, json!({"handle": handle, "tool": "exec", "args": on_host}));
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("wrong_principal")), "{body}");
    // A runtime for `nm` gets no handle for `main`'s messages.
    let (_, mains) = post(&gw, "/v1/credentials", TOKEN, json!({"role": "runtime", "agents": ["main"]}));
    let (status, body) = post(&gw, "/v1/ingress", mains["token"].as_str().unwrap(), json!({"channel": "telegram", "sender": "222", "text": "hi"}));
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("agent_not_permitted")), "{body}");

    // A sub-agent's handle is marked so: the subagent policy's deny applies.
    let (status, sub) = post(&gw, "/v1/sessions/spawn", &runtime, json!({"handle": handle}));
    assert_eq!(status, 200, "{sub}");
    assert!(sub["session"]["session_key"].as_str().unwrap().starts_with("agent:nm:subagent:"), "{sub}");
    let (status, body) = call(sub["handle"].as_str().unwrap(), "exec", on_host.clone());
    assert_eq!(status, 403, "{body}");
    assert!(body["decision"]["reason"].as_str().unwrap().contains("subagent"), "{body}");
}

/// Finding 5: any bearer could approve pairing and node commands, mint
/// device tokens (which never expired and survived a secret rotation), and a
/// device token approved and ran its own node command as `main` on the host.
#[test]
fn one_credential_no_longer_does_everything() {
    use ed25519_dalek::{Signer, SigningKey};
    use palisade_gateway::devices::{fingerprint, hex, signed_message};
    let scratch = Scratch::new("roles");
    let policy = "agent main { default sandbox off tools { profile full } }\n\
        channel telegram { dm pairing }\n\
        gateway { auth token }\n";
    let gw = scratch.start(policy);
    let connect = |gw: &Gateway, bearer: &str, seed: u8| {
        let (status, challenge) = post(gw, "/v1/devices/challenge", bearer, Value::Null);
        if status != 200 {
            return (status, challenge);
        }
        let (nonce, ts) = (challenge["nonce"].as_str().unwrap(), challenge["ts"].as_u64().unwrap());
        let key = SigningKey::from_bytes(&[seed; 32]);
        let public = key.verifying_key().to_bytes();
        let id = fingerprint(&public);
        let signature = hex(&key.sign(signed_message(&id, nonce, ts).as_bytes()).to_bytes());
        post(
            gw,
            "/v1/devices/connect",
            bearer,
            json!({"device_id": id, "public_key": hex(&public), "signature": signature, "nonce": nonce, "signed_at": ts}),
        )
    };
    let (status, device) = connect(&gw, TOKEN, 7);
    assert_eq!(status, 200, "{device}");
    let device_token = device["token"].as_str().unwrap().to_string();
    assert_eq!(post(&gw, "/v1/decide", &device_token, json!({"kind": "tool", "agent": "main", "tool": "read"})).0, 200);

    // What only the operator may do, tried with the device's token.
    let owner_calls = [
        ("/v1/pairing/approve", json!({"channel": "telegram", "code": "ABCDEFGH"})),
        ("/v1/nodes/approve", json!({"request_id": "r1", "command": "id", "agent": "main", "session": "agent:main:main"})),
        ("/v1/nodes/approve", json!({"request_id": "r1", "command": "id"})),
        ("/v1/devices/challenge", Value::Null),
    ];
    for (path, body) in &owner_calls {
        let (status, answer) = post(&gw, path, &device_token, body.clone());
        assert_eq!(status, 403, "a device token called {path}: {answer}");
    }
    assert_eq!(http(gw.addr, "GET", "/v1/pairing", Some(&device_token), &Value::Null).0, 403, "pending codes are the operator's");
    let (status, ran) = post(&gw, "/v1/nodes/run", &device_token, json!({"request_id": "r1", "agent": "main", "command": "id"}));
    assert!(status >= 400 && ran.get("result").is_none(), "a device ran a node command: {ran}");
    // A runtime credential may not approve either, nor mint credentials.
    let (_, runtime) = post(&gw, "/v1/credentials", TOKEN, json!({"role": "runtime", "agents": ["main"]}));
    let runtime = runtime["token"].as_str().unwrap().to_string();
    for (path, body) in &owner_calls {
        assert_eq!(post(&gw, path, &runtime, body.clone()).0, 403, "a runtime called {path}");
    }
    assert_eq!(post(&gw, "/v1/credentials", &runtime, json!({"role": "runtime", "agents": ["*"]})).0, 403);

    // A node approval is bound to its agent and session, and used once.
    let approve = json!({"request_id": "r2", "command": "echo approved", "agent": "main", "session": "agent:main:main"});
    assert_eq!(post(&gw, "/v1/nodes/approve", TOKEN, approve).0, 200);
    let other_session = super::gateway::handle(&gw, "main", "agent:main:elsewhere");
    let (status, body) = post(&gw, "/v1/nodes/run", TOKEN, json!({"request_id": "r2", "handle": other_session, "command": "echo approved"}));
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("approval_mismatch")), "{body}");

    // A revoked device's token is dead.
    let (_, second) = connect(&gw, TOKEN, 8);
    let second_token = second["token"].as_str().unwrap().to_string();
    let (status, _) = post(&gw, "/v1/devices/revoke", TOKEN, json!({"device_id": second["device_id"]}));
    assert_eq!(status, 200);
    assert_eq!(post(&gw, "/v1/decide", &second_token, json!({"kind": "tool", "agent": "main", "tool": "read"})).0, 401);
    let (_, listed) = http(gw.addr, "GET", "/v1/credentials", Some(TOKEN), &Value::Null);
    assert!(listed["credentials"].as_array().unwrap().iter().any(|c| c["role"] == "device" && c["revoked_ms"].is_u64()), "{listed}");

    // Rotating the operator secret ends every minted token.
    drop(gw);
    let rotated = scratch.start_as(policy, 3, "a-new-operator-secret-42-abcdefghijklmnop");
    let probe = json!({"kind": "tool", "agent": "main", "tool": "read"});
    assert_eq!(post(&rotated, "/v1/decide", "a-new-operator-secret-42-abcdefghijklmnop", probe.clone()).0, 200);
    assert_eq!(post(&rotated, "/v1/decide", &device_token, probe.clone()).0, 401, "a device token survived a secret rotation");
    assert_eq!(post(&rotated, "/v1/decide", &runtime, probe).0, 401, "a runtime token survived a secret rotation");
}

/// Finding 12: the pairing cap was per (channel, account) and the client
/// names the account: six made-up accounts got six codes under a cap of 3.
#[test]
fn made_up_accounts_do_not_multiply_the_pairing_cap() {
    let scratch = Scratch::new("paircap");
    let gw = scratch.start("agent main { default sandbox off }\nchannel telegram { dm pairing }\ngateway { auth token  pairing max_pending 3 }\n");
    let codes = (0..6)
        .filter(|i| {
            post(&gw, "/v1/pairing/request", TOKEN, json!({"channel": "telegram", "account": format!("acct{i}"), "sender": format!("{i}")})).0 == 200
        })
        .count();
    assert_eq!(codes, 3, "made-up accounts got {codes} codes under a cap of 3");
}

/// Findings 13 and 14: the state directory was 0755 with 0644 files
/// (pairing codes in clear), and a relative `--state-dir` (the default,
/// `.palisade`) made every sandboxed call fail: Docker refuses relative
/// bind sources.
#[test]
fn the_state_directory_is_private_and_may_be_relative() {
    use std::os::unix::fs::PermissionsExt;
    if !docker_ready() {
        return;
    }
    ensure_image();
    let scratch = Scratch::new("statedir");
    let p = &scratch.prefix;
    let policy = format!("agent box {{ default sandbox all docker {{ prefix \"{p}\" }} tools {{ allow exec }} }}\ngateway {{ auth token }}\n");
    std::fs::write(scratch.dir.join("policy.pal"), &policy).unwrap();
    // As the README runs it: from the directory, with the default state dir.
    let mut command = super::gateway::palisade();
    command.current_dir(&scratch.dir).args(["gateway", "--policy", "policy.pal", "--listen", "127.0.0.1:0"]).env("PALISADE_GATEWAY_TOKEN", TOKEN);
    let gw = scratch.spawn(command);
    let result = exec(&gw, "box", "agent:box:main", "echo from-the-sandbox");
    assert_eq!(result["stdout"], "from-the-sandbox\n", "{result}");
    let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let state = scratch.dir.join(".palisade");
    assert_eq!(mode(&state), 0o700, "state directory");
    for file in ["palisade.db", "audit.jsonl"] {
        assert_eq!(mode(&state.join(file)), 0o600, "{file}");
    }
}

/// A GET /healthz from another loopback address, with a deadline.
fn healthz_from(addr: SocketAddr, source: &str, within: Duration) -> Option<u16> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).ok()?;
    socket.bind(&SocketAddr::new(source.parse().ok()?, 0).into()).ok()?;
    socket.connect_timeout(&addr.into(), within).ok()?;
    let mut stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(within)).ok()?;
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split(' ').nth(1)?.parse().ok()
}

/// Whether the server has closed `stream` (a read sees EOF or a reset).
fn closed_by_server(stream: &mut TcpStream) -> bool {
    stream.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let mut byte = [0u8; 1];
    loop {
        match stream.read(&mut byte) {
            Ok(0) => return true,
            // A 408 or similar before the close is fine; keep reading to the end.
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => return false,
            Err(_) => return true,
        }
    }
}

/// Finding 6: no header-read timeout (50 half-sent requests were still open
/// after 75 s) and no connection cap (1,100 idle connections exhausted the
/// descriptors and `/healthz` stopped answering). No credential needed.
#[test]
fn idle_and_half_sent_connections_cannot_exhaust_the_gateway() {
    let scratch = Scratch::new("conns");
    let gw = scratch.start("agent main { default sandbox off }\ngateway { auth token }\n");
    let mut half_sent: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut s = TcpStream::connect(gw.addr).unwrap();
            s.write_all(b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Le").unwrap();
            s
        })
        .collect();
    // Far more idle connections than one address may hold.
    let mut idle: Vec<TcpStream> = (0..600).filter_map(|_| TcpStream::connect(gw.addr).ok()).collect();
    assert_eq!(healthz_from(gw.addr, "127.0.0.2", Duration::from_secs(5)), Some(200), "/healthz stopped answering another address");
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) && !half_sent.iter_mut().all(closed_by_server) {
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(half_sent.iter_mut().all(closed_by_server), "half-sent requests still open after {:?}", started.elapsed());
    assert!(idle.iter_mut().all(closed_by_server), "idle connections still open after {:?}", started.elapsed());
    assert_eq!(healthz_from(gw.addr, "127.0.0.1", Duration::from_secs(5)), Some(200));
}

/// Finding 8: a success cleared the failure count, so guesses interleaved
/// with real traffic were never throttled; and six wrong tokens from any
/// local process locked the real client out as well.
#[test]
fn guessing_is_throttled_and_cannot_lock_a_client_with_an_unguessable_token_out() {
    use ed25519_dalek::{Signer, SigningKey};
    use palisade_gateway::devices::{fingerprint, hex, signed_message};
    let scratch = Scratch::new("limiter");
    let gw = scratch.start("agent main { default sandbox off tools { allow read } }\ngateway { auth token  rate_limit 3 per 1m lockout 5m }\n");
    // A device token: 256 random bits, as every minted credential.
    let (_, challenge) = post(&gw, "/v1/devices/challenge", TOKEN, Value::Null);
    let (nonce, ts) = (challenge["nonce"].as_str().unwrap(), challenge["ts"].as_u64().unwrap());
    let key = SigningKey::from_bytes(&[5; 32]);
    let public = key.verifying_key().to_bytes();
    let id = fingerprint(&public);
    let signature = hex(&key.sign(signed_message(&id, nonce, ts).as_bytes()).to_bytes());
    let (_, device) = post(
        &gw,
        "/v1/devices/connect",
        TOKEN,
        json!({"device_id": id, "public_key": hex(&public), "signature": signature, "nonce": nonce, "signed_at": ts}),
    );
    let device_token = device["token"].as_str().unwrap().to_string();
    let probe = json!({"kind": "tool", "agent": "main", "tool": "read"});

    // Wrong guesses between good requests still add up: the fourth is over the limit of three.
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(post(&gw, "/v1/decide", "a-wrong-guess", probe.clone()).0);
        statuses.push(post(&gw, "/v1/decide", TOKEN, probe.clone()).0);
    }
    assert!(statuses.contains(&429), "interleaved guesses were never throttled: {statuses:?}");
    // The address is locked out, yet the device's unguessable token still gets in.
    assert_eq!(post(&gw, "/v1/decide", "a-wrong-guess", probe.clone()).0, 429);
    assert_eq!(post(&gw, "/v1/decide", &device_token, probe).0, 200, "wrong guesses locked a client with a valid token out");
}

/// Finding 7: containers were keyed by the bare session string, so agent
/// `nm` naming agent `scratch`'s session key read its private file, and two
/// agents with different settings force-removed each other's container;
/// no ulimits; scratch directories survived `sandbox prune`; no cap on
/// containers.
#[test]
fn sandboxes_are_keyed_by_agent_limited_capped_and_cleaned_up() {
    if !docker_ready() {
        return;
    }
    ensure_image();
    let scratch = Scratch::new("keys");
    let p = &scratch.prefix;
    let policy = format!(
        "agent nm {{ sandbox all scope session docker {{ prefix \"{p}\" memory 256m }} tools {{ allow exec }} }}\n\
         agent scratch {{ sandbox all scope session docker {{ prefix \"{p}\" memory 128m }} tools {{ allow exec }} }}\n\
         gateway {{ auth token }}\n"
    );
    let gw = scratch.start(&policy);
    let theirs = "agent:scratch:telegram:direct:7";
    assert_eq!(exec(&gw, "scratch", theirs, "echo private > mine.txt && echo ok")["stdout"], "ok\n");
    let ids = || docker(&["ps", "-q", "--no-trunc", "--filter", &format!("name={p}")]).1;
    let before = ids();
    let read = exec(&gw, "nm", theirs, "cat mine.txt");
    assert_ne!(read["stdout"], "private\n", "agent nm read agent scratch's private file");
    assert!(ids().contains(&before), "one agent's call removed another agent's container: {before} vs {}", ids());

    // Limits inside: open files, and a size-limited scratch that is the container's own.
    assert_eq!(exec(&gw, "nm", "agent:nm:x", "ulimit -n")["stdout"], "1024\n");
    let df = exec(&gw, "nm", "agent:nm:x", "df -k /workspace | tail -1");
    assert!(df["stdout"].as_str().unwrap().split_whitespace().nth(1) == Some("262144"), "scratch is not a 256 MiB tmpfs: {df}");
    let filled = exec(&gw, "nm", "agent:nm:x", "head -c 300000000 /dev/zero > big; echo $?");
    assert_ne!(filled["stdout"], "0\n", "300 MB fit into the scratch space: {filled}");
    let state = gw.dir.join("state");
    assert!(!state.join("scratch").exists(), "scratch space landed on the host disk");
    // The file tools see the same private scratch, from inside.
    assert_eq!(invoke(&gw, "nm", "agent:nm:x", "write", json!({"path": "d/f.txt", "content": "via tool"})).0, 403, "nm may not write");
    std::thread::sleep(Duration::from_millis(1500));
    let out = super::gateway::palisade().args(["sandbox", "prune", "--idle", "1s", "--prefix", p, "--state-dir"]).arg(&state).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(docker(&["ps", "-aq", "--filter", &format!("name={p}")]).1.is_empty(), "prune left containers");
    drop(gw);

    // A cap on live containers per agent: the next new session is refused.
    let path = scratch.dir.join("policy.pal");
    let mut command = super::gateway::palisade();
    command.args(["gateway", "--policy"]).arg(&path).args(["--listen", "127.0.0.1:0", "--max-sandboxes-per-agent", "2", "--state-dir"]);
    command.arg(&state).env("PALISADE_GATEWAY_TOKEN", TOKEN);
    let gw = scratch.spawn(command);
    for n in 0..2 {
        assert_eq!(exec(&gw, "nm", &format!("agent:nm:s{n}"), "true")["exit_code"], 0);
    }
    let (status, body) = invoke(&gw, "nm", "agent:nm:s2", "exec", json!({"command": "true"}));
    assert_eq!((status, body["error"]["code"].as_str()), (503, Some("sandbox_cap")), "{body}");
    assert_eq!(exec(&gw, "nm", "agent:nm:s0", "echo reused")["stdout"], "reused\n", "a live container is still reused");
}

/// Finding 9: the gateway block's equality included where it was written,
/// so a comment line above it made every reload fail and a tightening never
/// took effect; containers of agents a reload removed were never pruned.
#[test]
fn a_reload_compares_settings_not_places_and_removes_dropped_agents() {
    if !docker_ready() {
        return;
    }
    ensure_image();
    let scratch = Scratch::new("reloadset");
    let p = &scratch.prefix;
    let gone = format!("agent gone {{ sandbox all docker {{ prefix \"{p}\" }} tools {{ allow exec }} }}\n");
    let gw = scratch.start(&format!("agent main {{ default sandbox off tools {{ allow read, exec }} }}\n{gone}gateway {{ auth token }}\n"));
    assert_eq!(exec(&gw, "gone", "agent:gone:main", "echo up")["stdout"], "up\n");
    let live = || docker(&["ps", "-aq", "--filter", &format!("name={p}")]).1;
    assert!(!live().is_empty());
    // A comment moves the gateway block; exec is denied; `gone` is removed.
    std::fs::write(
        scratch.dir.join("policy.pal"),
        "// tightened after review:\n// exec is no longer allowed\nagent main { default sandbox off tools { allow read  deny exec } }\n\ngateway { auth token }\n",
    )
    .unwrap();
    assert!(std::process::Command::new("kill").args(["-HUP", &gw.child.id().to_string()]).status().unwrap().success());
    let exec_request = json!({"kind": "tool", "agent": "main", "tool": "exec"});
    let started = Instant::now();
    while post(&gw, "/v1/decide", TOKEN, exec_request.clone()).1["allowed"] != false && started.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(post(&gw, "/v1/decide", TOKEN, exec_request).1["allowed"], false, "the tightening never took effect");
    while !live().is_empty() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(live().is_empty(), "the removed agent's container is still there: {}", live());
}

/// Finding 10: an unknown key in a binding's `match` (`peerId` for `peer`)
/// was only a warning; the binding then matched every peer and sent
/// strangers to an unsandboxed agent, and `check` exited 0.
#[test]
fn an_unknown_key_in_a_binding_stops_the_import() {
    let scratch = Scratch::new("import");
    let path = scratch.dir.join("openclaw.json");
    std::fs::write(
        &path,
        r#"{ "agents": { "defaults": { "sandbox": { "mode": "all" } },
             "list": [ { "id": "public", "default": true }, { "id": "owner", "sandbox": { "mode": "off" } } ] },
  "channels": { "telegram": { "dmPolicy": "open", "allowFrom": ["*"] } },
  "bindings": [ { "agentId": "owner", "match": { "channel": "telegram", "peerId": "111" } } ],
  "gateway": { "auth": { "mode": "token" } } }"#,
    )
    .unwrap();
    let check = super::gateway::palisade().arg("check").arg(&path).output().unwrap();
    assert_eq!(check.status.code(), Some(1), "check accepted it: {}", String::from_utf8_lossy(&check.stdout));
    assert!(String::from_utf8_lossy(&check.stderr).contains("peerId"));
    let mut command = super::gateway::palisade();
    command.args(["gateway", "--listen", "127.0.0.1:0", "--policy"]).arg(&path).env("PALISADE_GATEWAY_TOKEN", TOKEN);
    let mut child = command.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > Duration::from_secs(5) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.is_some_and(|s| !s.success()), "the gateway started on it ({status:?})");
}

/// Finding 11: the audit record was written after the command finished, so
/// a command that killed the gateway left no trace; commands and paths were
/// logged whole, up to 1 MiB each.
#[test]
fn the_audit_log_records_intent_first_and_keeps_arguments_short() {
    let scratch = Scratch::new("audit");
    let mut gw = scratch.start("agent main { default sandbox off tools { allow exec } }\ngateway { auth token }\n");
    let audit = scratch.dir.join("state").join("audit.jsonl");
    let lines = || std::fs::read_to_string(&audit).unwrap_or_default().lines().map(|l| serde_json::from_str::<Value>(l).unwrap()).collect::<Vec<_>>();

    let long = format!("true # {}", "x".repeat(100_000));
    assert_eq!(exec(&gw, "main", "agent:main:main", &long)["exit_code"], 0);
    let started = Instant::now();
    while !lines().iter().any(|e| e["event"] == "tool" && e["exit_code"] == 0) && started.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let text = std::fs::read_to_string(&audit).unwrap();
    assert!(text.len() < 8 * 1024, "a 100 kB command made {} bytes of audit log", text.len());
    let done = lines().into_iter().find(|e| e["event"] == "tool").unwrap();
    assert_eq!(done["command"]["bytes"], long.len());
    assert_eq!(done["command"]["truncated"], true);
    assert_eq!(done["command"]["sha256"].as_str().map(str::len), Some(64));

    // A command that kills the gateway: its intent is already on disk.
    let pid = gw.child.id();
    let body = tool_call(&gw, "main", "agent:main:main", "exec", json!({"command": format!("kill -9 {pid}")}));
    let answer = http_within(gw.addr, "/v1/tools/invoke", &body, Duration::from_secs(10));
    assert!(answer.is_none(), "the gateway survived: {answer:?}");
    let _ = gw.child.wait();
    let intents: Vec<Value> = lines().into_iter().filter(|e| e["command"]["text"].as_str().is_some_and(|t| t.contains("kill -9"))).collect();
    assert!(
        intents.iter().any(|e| e["event"] == "tool_start" && e["decision"] == "allow"),
        "no trace of the call that killed the gateway: {intents:?}"
    );
}

/// Suspected, and true: `user "00"` passed the root check (Docker reads it
/// as uid 0), and two first calls racing on one session both created the
/// container, one of them failing with 409.
#[test]
fn no_root_by_spelling_and_racing_first_calls_share_one_container() {
    if !docker_ready() {
        return;
    }
    ensure_image();
    let scratch = Scratch::new("suspects");
    let p = &scratch.prefix;
    let path = scratch.dir.join("root.pal");
    std::fs::write(
        &path,
        format!("agent box {{ default sandbox all docker {{ prefix \"{p}\" user \"00\" }} tools {{ allow exec }} }}\ngateway {{ auth token }}\n"),
    )
    .unwrap();
    let check = super::gateway::palisade().arg("check").arg(&path).output().unwrap();
    assert_eq!(check.status.code(), Some(1), "user \"00\" was accepted: {}", String::from_utf8_lossy(&check.stdout));

    let gw =
        scratch.start(&format!("agent box {{ default sandbox all docker {{ prefix \"{p}\" }} tools {{ allow exec }} }}\ngateway {{ auth token }}\n"));
    let body = tool_call(&gw, "box", "agent:box:race", "exec", json!({"command": "id -u"}));
    let racers: Vec<_> = (0..4)
        .map(|_| {
            let (addr, body) = (gw.addr, body.clone());
            std::thread::spawn(move || http(addr, "POST", "/v1/tools/invoke", Some(TOKEN), &body))
        })
        .collect();
    for racer in racers {
        let (status, answer) = racer.join().unwrap();
        assert_eq!(status, 200, "a racing first call failed: {answer}");
        assert_eq!(answer["result"]["stdout"], "65534\n");
    }
}
