//! Attacks on the gateway's trust boundary (issue 12), each performed against
//! a real gateway process and a real dockerd. Every test here passed as an
//! attack on the code before its fix: it is the attack, and the assertion
//! is that it no longer works.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::gateway::{docker, docker_ready, ensure_image, exec, handle, http, invoke, Gateway, Scratch, TOKEN};

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
        let handle = handle(&gw, "rw", session);
        std::thread::spawn(move || {
            let body = json!({"handle": handle, "tool": "exec", "args": {"command": swapper}});
            http(addr, "POST", "/v1/tools/invoke", Some(TOKEN), &body)
        })
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

    let handle = handle(&gw, "rw", session);
    let read = |path: &str| json!({"handle": handle, "tool": "read", "args": {"path": path}});
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

    // A path of ~1 MiB (the body limit) is refused by its length at once.
    let long = "a/".repeat(500_000);
    let answer = http_within(gw.addr, "/v1/tools/invoke", &read(&long), Duration::from_secs(5));
    let (status, body) = answer.expect("a 1 MiB path was not answered within 5 s");
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("path_refused")), "{body}");
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
    assert_eq!(big["stdout"].as_str().unwrap().len(), palisade::gateway::sandbox::OUTPUT_CAP);
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
