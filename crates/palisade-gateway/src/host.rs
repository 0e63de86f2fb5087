//! Commands on the host, for agents the policy runs unsandboxed. Each runs
//! as `/bin/sh -c` in a process group of its own, with a cleared environment
//! (only [`HOST_ENV`]), stdin from `/dev/null`, and output read as it comes,
//! the first [`OUTPUT_CAP`] bytes of each stream kept and the rest drained
//! and dropped. When the shell exits or the timeout passes, the whole group
//! is killed, and then every process that left it: the gateway is a child
//! subreaper (`PR_SET_CHILD_SUBREAPER`), so a process that calls `setsid`,
//! double-forks or daemonizes is re-parented to it when its parent dies, and
//! [`Reaper::sweep`] kills such orphans, their process groups and their
//! sessions, round after round until none is left. What stays out of reach:
//! work handed to another daemon (`systemd-run`, `at`, `ssh`, `docker`), and
//! any of it where the subreaper cannot be set (not Linux); see README,
//! "Threat model".

use std::collections::HashSet;
use std::process::Stdio;
use std::sync::Mutex;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

use super::sandbox::{HostDirs, RunResult, OUTPUT_CAP};

/// Makes the gateway the reaper of its orphaned descendants, and kills
/// those that no running host call owns.
#[derive(Debug)]
pub struct Reaper {
    /// The subreaper attribute is set: orphans come back to the gateway.
    enabled: bool,
    /// Shells of host calls running now (each leads its process group).
    running: Mutex<HashSet<i32>>,
    /// One sweep at a time.
    sweeping: Mutex<()>,
}

/// Most rounds of one sweep (each kills the orphans found, then looks again
/// for what their death orphaned in turn).
const SWEEP_ROUNDS: usize = 200;

impl Reaper {
    /// Sets the subreaper attribute on the gateway's process; without it
    /// (not Linux, or refused) host runs are bounded by their process group
    /// only, and a warning says so.
    pub fn new() -> Reaper {
        let enabled = match rustix::process::set_child_subreaper(Some(rustix::process::getpid())) {
            Ok(()) if own_stat().is_some() => true,
            Ok(()) => {
                // A `/proc` of another PID namespace: `kill` would misread its ids.
                eprintln!("warning: /proc does not show this process: a host command that calls `setsid` can outlive its call");
                false
            }
            Err(e) => {
                eprintln!("warning: cannot become a child subreaper ({e}): a host command that calls `setsid` can outlive its call");
                false
            }
        };
        Reaper { enabled, running: Mutex::new(HashSet::new()), sweeping: Mutex::new(()) }
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashSet<i32>> {
        self.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Kills every child of the gateway that is not the shell of a running
    /// host call (an orphan re-parented here), with its process group and
    /// its session, and reaps it; repeats until there is none. Returns how
    /// many processes it killed or reaped.
    pub fn sweep(&self) -> usize {
        if !self.enabled {
            return 0;
        }
        let _one = self.sweeping.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Read from `/proc`, not `getpgrp`/`getsid`: in a PID namespace whose
        // group or session leader lives outside, those are 0, which rustix's
        // `Pid` cannot hold (it panics in debug builds).
        let Some(own) = own_stat() else { return 0 };
        let (me, my_group, my_session) = (own.pid, own.pgrp, own.session);
        let mut handled = 0;
        for _ in 0..SWEEP_ROUNDS {
            let table = processes();
            let running = self.running().clone();
            let orphans: Vec<&Stat> = table.iter().filter(|p| p.ppid == me && !running.contains(&p.pid)).collect();
            if orphans.is_empty() {
                return handled;
            }
            for orphan in &orphans {
                kill(orphan.pid, false);
                // 0 is a group or session whose leader is outside our PID namespace: never ours to kill.
                if orphan.pgrp > 0 && orphan.pgrp != my_group && !running.contains(&orphan.pgrp) {
                    kill(orphan.pgrp, true);
                }
                if orphan.session > 0 && orphan.session != my_session {
                    // Only descendants of the orphan can be in its session.
                    for member in table.iter().filter(|p| p.session == orphan.session) {
                        kill(member.pid, false);
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(1));
            for orphan in &orphans {
                if let Some(pid) = rustix::process::Pid::from_raw(orphan.pid) {
                    if matches!(rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::NOHANG), Ok(Some(_))) {
                        handled += 1;
                    }
                }
            }
        }
        eprintln!("warning: orphaned host processes were still appearing after {SWEEP_ROUNDS} rounds of killing");
        handled
    }
}

impl Default for Reaper {
    fn default() -> Self {
        Reaper::new()
    }
}

/// The fields of `/proc/<pid>/stat` the sweep needs.
#[derive(Debug)]
struct Stat {
    pid: i32,
    ppid: i32,
    pgrp: i32,
    session: i32,
}

/// Every process `/proc` shows (those that vanish while it is read are left out).
fn processes() -> Vec<Stat> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries.flatten().filter_map(|e| e.file_name().to_str().filter(|n| n.bytes().all(|b| b.is_ascii_digit())).and_then(stat)).collect()
}

/// This process as `/proc` shows it, if `/proc` is of this PID namespace.
fn own_stat() -> Option<Stat> {
    stat("self").filter(|own| own.pid == rustix::process::getpid().as_raw_nonzero().get())
}

/// `/proc/<entry>/stat` (`entry` is a pid or `self`), or `None` if it vanished.
fn stat(entry: &str) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{entry}/stat")).ok()?;
    let pid = text.split_ascii_whitespace().next()?.parse().ok()?;
    // The command name is in parentheses and may hold anything: read after its last `)`.
    let rest = text.get(text.rfind(')')? + 1..)?;
    let mut fields = rest.split_ascii_whitespace().skip(1);
    let ppid = fields.next()?.parse().ok()?;
    let pgrp = fields.next()?.parse().ok()?;
    let session = fields.next()?.parse().ok()?;
    Some(Stat { pid, ppid, pgrp, session })
}

fn kill(id: i32, group: bool) {
    let Some(pid) = rustix::process::Pid::from_raw(id) else { return };
    // ESRCH: already gone.
    let _ = if group {
        rustix::process::kill_process_group(pid, rustix::process::Signal::KILL)
    } else {
        rustix::process::kill_process(pid, rustix::process::Signal::KILL)
    };
}

/// The only variables a host command sees, with `HOME`
/// ([`super::sandbox::HostDirs`]).
pub const HOST_ENV: &[(&str, &str)] = &[("PATH", "/usr/local/bin:/usr/bin:/bin"), ("LANG", "C.UTF-8")];

/// How long the output readers may go on after the group is killed (a
/// process that escaped the group could hold a pipe open forever).
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// Reads `pipe` to its end, keeping the first `OUTPUT_CAP` bytes.
async fn read_capped(mut pipe: impl AsyncRead + Unpin) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut truncated = false;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => return (kept, truncated),
            Ok(n) => {
                let chunk = buf.get(..n).unwrap_or_default();
                let room = OUTPUT_CAP.saturating_sub(kept.len());
                truncated |= chunk.len() > room;
                kept.extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
            }
        }
    }
}

fn kill_group(pgid: Option<u32>) {
    let pid = pgid.and_then(|p| i32::try_from(p).ok()).and_then(rustix::process::Pid::from_raw);
    if let Some(pid) = pid {
        // ESRCH: the group is already gone.
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

/// Runs `command` in `dirs.cwd`, killed whole after `timeout`, and then
/// sweeps what left its process group.
pub async fn run(reaper: &std::sync::Arc<Reaper>, dirs: &HostDirs, command: &str, timeout: Duration) -> std::io::Result<RunResult> {
    let mut child = tokio::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .current_dir(&dirs.cwd)
        .env_clear()
        .envs(HOST_ENV.iter().copied())
        .env("HOME", &dirs.home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()?;
    // The shell leads its own group: its id is the group's id.
    let pgid = child.id();
    let shell = pgid.and_then(|p| i32::try_from(p).ok());
    if let Some(shell) = shell {
        reaper.running().insert(shell);
    }
    let stdout = child.stdout.take().map(|p| tokio::spawn(read_capped(p)));
    let stderr = child.stderr.take().map(|p| tokio::spawn(read_capped(p)));
    let (exit_code, timed_out) = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(status) => (i64::from(status?.code().unwrap_or(-1)), false),
        Err(_) => (137, true),
    };
    kill_group(pgid);
    let _ = child.wait().await;
    if let Some(shell) = shell {
        reaper.running().remove(&shell);
    }
    let sweeper = std::sync::Arc::clone(reaper);
    let _ = tokio::task::spawn_blocking(move || sweeper.sweep()).await;
    let collect = |reader: Option<tokio::task::JoinHandle<(Vec<u8>, bool)>>| async move {
        let Some(reader) = reader else { return (Vec::new(), false) };
        let abort = reader.abort_handle();
        match tokio::time::timeout(DRAIN_GRACE, reader).await {
            Ok(Ok(out)) => out,
            _ => {
                abort.abort();
                (Vec::new(), true)
            }
        }
    };
    let ((out, out_cut), (err, err_cut)) = tokio::join!(collect(stdout), collect(stderr));
    Ok(RunResult {
        exit_code,
        stdout: String::from_utf8_lossy(&out).into_owned(),
        stderr: String::from_utf8_lossy(&err).into_owned(),
        truncated: out_cut || err_cut,
        timed_out,
    })
}
