//! Commands on the host, for agents the policy runs unsandboxed. Each runs
//! as `/bin/sh -c` in a process group of its own, with a cleared environment
//! (only [`HOST_ENV`]), stdin from `/dev/null`, and output read as it comes,
//! the first [`OUTPUT_CAP`] bytes of each stream kept and the rest drained
//! and dropped. When the shell exits or the timeout passes, the whole group
//! is killed: no background child outlives its call. A process that leaves
//! the group on purpose (`setsid`) is outside this bound; host runs are for
//! agents the policy trusts (see README, "Threat model").

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

use super::sandbox::{HostDirs, RunResult, OUTPUT_CAP};

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

/// Runs `command` in `dirs.cwd`, killed whole after `timeout`.
pub async fn run(dirs: &HostDirs, command: &str, timeout: Duration) -> std::io::Result<RunResult> {
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
    let stdout = child.stdout.take().map(|p| tokio::spawn(read_capped(p)));
    let stderr = child.stderr.take().map(|p| tokio::spawn(read_capped(p)));
    let (exit_code, timed_out) = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(status) => (i64::from(status?.code().unwrap_or(-1)), false),
        Err(_) => (137, true),
    };
    kill_group(pgid);
    let _ = child.wait().await;
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
