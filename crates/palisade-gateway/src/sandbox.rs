//! Docker sandboxes through bollard: one hardened container per scope key,
//! reused while its configuration hash matches, recreated when it changes;
//! commands run in it with a timeout and an output cap.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::models::{ContainerCreateBody, HostConfig, ResourcesUlimits};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, CreateImageOptionsBuilder, InspectContainerOptions, ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
    StartContainerOptions,
};
use bollard::Docker;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::workspace::PathError;
use palisade::SandboxConfig;
use palisade::{SandboxScope, WorkspaceAccess};

/// Bytes of stdout (and of stderr) kept per call; the rest is cut.
pub const OUTPUT_CAP: usize = 1 << 20;
pub const LABEL_SCOPE: &str = "palisade.scope";
pub const LABEL_CONFIG: &str = "palisade.config";
pub const LABEL_AGENT: &str = "palisade.agent";
/// Most live sandbox containers per agent, and in all; past either, a call
/// that needs a new container is refused (503 `sandbox_cap`) until the
/// pruner removes idle ones.
pub const MAX_CONTAINERS_PER_AGENT: usize = 32;
pub const MAX_CONTAINERS: usize = 128;
/// Per-container limits on open files and on processes of its user.
pub const ULIMIT_NOFILE: i64 = 1024;
/// Where the workspace is mounted inside every sandbox.
pub const WORKSPACE: &str = "/workspace";

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SandboxError {
    #[error("cannot reach the Docker daemon: {0}")]
    #[diagnostic(code("palisade::docker"), help("start dockerd and check /var/run/docker.sock"))]
    Connect(String),
    #[error("Docker refused: {0}")]
    #[diagnostic(code("palisade::docker"))]
    Docker(String),
    #[error("bind `{0}` is refused: it resolves into a protected path")]
    #[diagnostic(code("palisade::refused-bind"))]
    RefusedBind(String),
    #[error("workspace error: {0}")]
    #[diagnostic(code("palisade::workspace"))]
    Workspace(String),
    #[error("{0} live sandboxes already; wait for idle ones to be pruned (`palisade sandbox prune`)")]
    #[diagnostic(code("palisade::sandbox-cap"))]
    Full(String),
}

impl From<bollard::errors::Error> for SandboxError {
    fn from(e: bollard::errors::Error) -> Self {
        SandboxError::Docker(e.to_string())
    }
}

/// Runs `$2` under `sh -c` in a new session (so its process group is its
/// pid), with a watchdog in a session of its own that kills that group
/// after `$1` seconds; when the command ends, whatever it left running in
/// its group is killed too, and so is the watchdog. The watchdog writes to
/// `/dev/null`, so it never holds the exec's output stream open.
pub const RUN_WRAPPER: &str = r#"setsid sh -c "$2" & c=$!
setsid sh -c 'sleep "$1"; kill -KILL -- -"$2"' watchdog "$1" "$c" >/dev/null 2>&1 & w=$!
wait "$c"; rc=$?
kill -KILL -- -"$c" 2>/dev/null; kill -KILL -- -"$w" 2>/dev/null
exit "$rc""#;

/// `read` in a sandbox: `$1` must be a regular file (not a link) of at
/// most 1 MiB. Exit 2: missing; 3: not a regular file; 4: too large.
const READ_SCRIPT: &str = r#"f="$1"
if [ ! -e "$f" ] && [ ! -L "$f" ]; then echo "no such file" >&2; exit 2; fi
if [ -L "$f" ] || [ ! -f "$f" ]; then exit 3; fi
if [ "$(wc -c < "$f")" -gt 1048576 ]; then exit 4; fi
exec cat -- "$f""#;

/// `write` in a sandbox: stdin to `$1`, creating its directories; a link
/// or a non-regular file there is refused (exit 3).
const WRITE_SCRIPT: &str = r#"f="$1"
mkdir -p -- "$(dirname -- "$f")" || exit 5
if [ -L "$f" ] || { [ -e "$f" ] && [ ! -f "$f" ]; }; then exit 3; fi
exec cat > "$f""#;

/// `/workspace/<relative>` after the same lexical checks as on the host.
fn in_workspace(relative: &str) -> Result<String, PathError> {
    let parts = super::workspace::components(relative)?;
    Ok(format!("{WORKSPACE}/{}", parts.join("/")))
}

fn file_outcome(relative: &str, result: RunResult) -> Result<RunResult, PathError> {
    match result.exit_code {
        0 if !result.truncated => Ok(result),
        0 | 4 => Err(PathError::TooLarge(relative.to_string())),
        3 => Err(PathError::NotRegular(relative.to_string())),
        _ if result.timed_out => Err(PathError::Io(format!("{relative}: timed out"))),
        _ => Err(PathError::Io(format!("{relative}: {}", result.stderr.trim()))),
    }
}

/// The result of one command.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunResult {
    pub exit_code: i64,
    pub stdout: String,
    pub stderr: String,
    pub truncated: bool,
    pub timed_out: bool,
}

/// Where a call runs: which container (by scope key) and which workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub agent: String,
    pub scope_key: String,
    pub container: String,
    /// Host directory mounted at `/workspace`; `None` for `workspace none`:
    /// a size-limited tmpfs of the container's own, gone with it.
    pub workspace: Option<PathBuf>,
    pub read_only: bool,
}

/// Size of the private scratch tmpfs of a `workspace none` sandbox (it also
/// counts against the container's memory limit).
pub const SCRATCH_SIZE: &str = "256m";

/// `palisade-sbx-` + slug + 12 hex digits of SHA-256 of the scope key.
pub fn container_name(prefix: &str, scope_key: &str) -> String {
    let slug: String = scope_key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let slug: String = slug.chars().take(40).collect();
    #[cfg(feature = "seams")]
    if palisade::seams::active(palisade::seams::Bug::SlugOnlyNames) {
        return format!("{prefix}{slug}");
    }
    let hash = hex(&Sha256::digest(scope_key.as_bytes()));
    format!("{prefix}{slug}-{}", hash.get(..12).unwrap_or(&hash))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The scope key of a session-scoped container: the agent is part of it,
/// so one agent naming another's session key never lands in its container.
pub fn session_scope_key(agent: &str, session: &str) -> String {
    format!("agent:{agent}/{session}")
}

/// The scope key a call's container belongs to. `shared` is shared by the
/// agents whose sandbox settings are the same (two settings cannot share
/// one container, and must not recreate each other's).
pub fn scope_key(config: &SandboxConfig, agent: &str, session: &str) -> String {
    match config.scope {
        SandboxScope::Session => session_scope_key(agent, session),
        SandboxScope::Agent => format!("agent:{agent}"),
        SandboxScope::Shared => {
            let mut text = String::new();
            canonical_json(&serde_json::to_value(palisade::wire::SandboxJson::from(config)).unwrap_or_default(), &mut text);
            format!("shared:{}", hex(&Sha256::digest(text.as_bytes())).get(..12).unwrap_or_default())
        }
    }
}

/// Decides container and workspace for a sandboxed call.
pub fn placement(config: &SandboxConfig, state_dir: &Path, agent: &str, session: &str) -> Placement {
    let scope_key = scope_key(config, agent, session);
    let container = container_name(&config.docker.prefix, &scope_key);
    let (workspace, read_only) = match config.workspace {
        // A private scratch tmpfs per container.
        WorkspaceAccess::None => (None, false),
        WorkspaceAccess::ReadOnly => (Some(agent_workspace(state_dir, agent)), true),
        WorkspaceAccess::ReadWrite | WorkspaceAccess::SharedWithHost => (Some(agent_workspace(state_dir, agent)), false),
    };
    Placement { agent: agent.to_string(), scope_key, container, workspace, read_only }
}

pub fn agent_workspace(state_dir: &Path, agent: &str) -> PathBuf {
    state_dir.join("workspaces").join(agent)
}

/// Where an agent's host runs work and what they get as `HOME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostDirs {
    /// The working directory, and the root the file tools resolve beneath.
    pub cwd: PathBuf,
    /// `HOME`: never a directory a sandbox can write, since shells,
    /// `git`, `pip` and `npm` read start-up files and plugins from it.
    pub home: PathBuf,
}

/// The directories of an agent's host runs. Its workspace, unless a
/// sandbox of the same agent mounts that read-write: then a directory of
/// their own, so a sandboxed session cannot plant what a host session
/// runs (a `json.py` that `python3` imports from its working directory;
/// issue 26). `workspace shared_with_host` keeps the one working directory
/// (the operator's explicit choice, warned about by `check`), with `HOME`
/// still outside it.
pub fn host_dirs(config: &SandboxConfig, state_dir: &Path, agent: &str) -> HostDirs {
    let sandboxed_somewhere = config.mode != palisade::SandboxMode::Off;
    match config.workspace {
        WorkspaceAccess::ReadWrite if sandboxed_somewhere => {
            let own = state_dir.join("host-workspaces").join(agent);
            HostDirs { cwd: own.clone(), home: own }
        }
        WorkspaceAccess::SharedWithHost if sandboxed_somewhere => {
            HostDirs { cwd: agent_workspace(state_dir, agent), home: state_dir.join("host-homes").join(agent) }
        }
        _ => HostDirs { cwd: agent_workspace(state_dir, agent), home: agent_workspace(state_dir, agent) },
    }
}

/// Re-checks a configured bind on the host: the same rules as `check`
/// (`settings::refused_host_path`), on the path the host resolves it to.
pub fn check_bind(bind: &str) -> Result<String, SandboxError> {
    let mut parts = bind.splitn(3, ':');
    let host = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    let resolved = std::fs::canonicalize(host).map_err(|e| SandboxError::Workspace(format!("bind source {host}: {e}")))?;
    let text = resolved.to_string_lossy().to_string();
    if palisade::unstable::settings::refused_host_path(&text).is_some() {
        return Err(SandboxError::RefusedBind(bind.to_string()));
    }
    Ok(std::iter::once(text).chain(rest.iter().map(|s| (*s).to_string())).collect::<Vec<_>>().join(":"))
}

/// The container body for a placement; its hash names the configuration.
pub fn container_body(config: &SandboxConfig, placement: &Placement) -> Result<ContainerCreateBody, SandboxError> {
    let d = &config.docker;
    let mode = if placement.read_only { "ro" } else { "rw" };
    let mut binds = Vec::new();
    let mut tmpfs: HashMap<String, String> =
        ["/tmp", "/var/tmp", "/run"].iter().map(|p| ((*p).to_string(), "rw,noexec,nosuid,nodev,size=64m".to_string())).collect();
    match &placement.workspace {
        Some(dir) => binds.push(format!("{}:{WORKSPACE}:{mode}", dir.display())),
        None => {
            // Owned by the sandbox's (numeric, checked) user; private to it.
            let mut ids = d.user.split(':');
            let uid = ids.next().unwrap_or("65534");
            let gid = ids.next().unwrap_or(uid);
            tmpfs.insert(WORKSPACE.into(), format!("rw,nosuid,nodev,size={SCRATCH_SIZE},mode=0700,uid={uid},gid={gid}"));
        }
    }
    for bind in &d.binds {
        binds.push(check_bind(bind)?);
    }
    let mut security_opt = Vec::new();
    if d.no_new_privileges {
        security_opt.push("no-new-privileges".to_string());
    }
    let host_config = HostConfig {
        network_mode: Some(d.network.clone()),
        readonly_rootfs: Some(d.read_only_root),
        tmpfs: Some(tmpfs),
        cap_drop: Some(d.cap_drop.clone()),
        security_opt: Some(security_opt),
        init: Some(d.init),
        pids_limit: Some(i64::try_from(d.pids).unwrap_or(i64::MAX)),
        memory: Some(i64::try_from(d.memory_bytes).unwrap_or(i64::MAX)),
        memory_swap: Some(i64::try_from(d.memory_bytes).unwrap_or(i64::MAX)),
        nano_cpus: Some(i64::try_from(d.cpus_micro.saturating_mul(1000)).unwrap_or(i64::MAX)),
        binds: Some(binds),
        ulimits: Some(vec![
            ResourcesUlimits { name: Some("nofile".into()), soft: Some(ULIMIT_NOFILE), hard: Some(ULIMIT_NOFILE) },
            // Counted per user id across the host, so generous; the pids limit bounds the container.
            ResourcesUlimits { name: Some("nproc".into()), soft: Some(4096), hard: Some(4096) },
        ]),
        ..HostConfig::default()
    };
    let mut body = ContainerCreateBody {
        image: Some(d.image.clone()),
        // The container idles; commands come in through exec.
        cmd: Some(vec!["sleep".into(), "2147483647".into()]),
        user: Some(keeper_user(&d.user).into()),
        working_dir: Some(WORKSPACE.into()),
        network_disabled: Some(d.network == "none"),
        host_config: Some(host_config),
        ..ContainerCreateBody::default()
    };
    let hash = config_hash(&body);
    body.labels = Some(HashMap::from([
        (LABEL_SCOPE.to_string(), placement.scope_key.clone()),
        (LABEL_CONFIG.to_string(), hash),
        (LABEL_AGENT.to_string(), placement.agent.clone()),
    ]));
    Ok(body)
}

fn config_hash(body: &ContainerCreateBody) -> String {
    let mut text = String::new();
    canonical_json(&serde_json::to_value(body).unwrap_or_default(), &mut text);
    hex(&Sha256::digest(text.as_bytes())).chars().take(16).collect()
}

/// Compact JSON with object keys sorted at every level. The body's maps are
/// `HashMap`s (random order), and serde_json keeps insertion order whenever
/// any crate in the build enables its `preserve_order` feature, so only an
/// explicit sort makes the same configuration hash the same.
fn canonical_json(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<(&String, &serde_json::Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(key.clone()).to_string());
                out.push(':');
                canonical_json(item, out);
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The Docker side of the gateway.
#[derive(Debug, Clone)]
pub struct Sandboxes {
    docker: Docker,
    state_dir: PathBuf,
    timeout: Duration,
    /// (in all, per agent): the most live containers.
    caps: (usize, usize),
    /// Striped locks by container name: one `ensure` at a time per name in
    /// this process, so racing first calls do not race the daemon's create.
    ensuring: Arc<Vec<tokio::sync::Mutex<()>>>,
    /// Striped locks by container name: one call at a time per container,
    /// so that the sweep after a command ([`SWEEP`]) kills only what that
    /// command started.
    running: Arc<Vec<tokio::sync::Mutex<()>>>,
}

/// After a command, every process of the sandbox user in its container but
/// the container's init: what the command left behind in a session of its
/// own (`setsid`, a double fork, a daemon), which the watchdog's kill of
/// the process group does not reach. No call may outlive its call.
pub const SWEEP: &str = "kill -KILL -1 2>/dev/null; exit 0";

/// The user a container's idle process and its init run as: never the
/// sandbox user (commands run as that one, by exec), whose every process
/// the sweep after a command kills. Unprivileged, and out of reach of the
/// sandbox user's signals.
pub fn keeper_user(sandbox_user: &str) -> &'static str {
    if sandbox_user.split(':').next() == Some("65533") {
        "65532:65532"
    } else {
        "65533:65533"
    }
}

/// The stripe of a container name in a table of striped locks.
fn stripe(container: &str) -> usize {
    use sha2::{Digest, Sha256};
    Sha256::digest(container.as_bytes()).first().map_or(0, |b| usize::from(*b) % ENSURE_STRIPES)
}

const ENSURE_STRIPES: usize = 64;

impl Sandboxes {
    pub async fn connect(state_dir: PathBuf, timeout: Duration) -> Result<Self, SandboxError> {
        let docker = Docker::connect_with_local_defaults().map_err(|e| SandboxError::Connect(e.to_string()))?;
        let docker = docker.negotiate_version().await.map_err(|e| SandboxError::Connect(e.to_string()))?;
        let stripes = || Arc::new((0..ENSURE_STRIPES).map(|_| tokio::sync::Mutex::new(())).collect::<Vec<_>>());
        Ok(Sandboxes { docker, state_dir, timeout, caps: (MAX_CONTAINERS, MAX_CONTAINERS_PER_AGENT), ensuring: stripes(), running: stripes() })
    }

    /// The most live containers in all and per agent (defaults:
    /// [`MAX_CONTAINERS`], [`MAX_CONTAINERS_PER_AGENT`]).
    pub fn with_caps(self, total: usize, per_agent: usize) -> Self {
        Sandboxes { caps: (total, per_agent), ..self }
    }

    /// Scratch directories live under this state directory.
    pub fn with_state_dir(self, state_dir: PathBuf) -> Self {
        Sandboxes { state_dir, ..self }
    }

    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// Creates the workspace directory, owned by the container's user.
    fn prepare_workspace(&self, dir: &Path, user: &str) -> Result<(), SandboxError> {
        std::fs::create_dir_all(dir).map_err(|e| SandboxError::Workspace(format!("{}: {e}", dir.display())))?;
        let mut ids = user.split(':').map(|p| p.parse::<u32>().ok());
        if let (Some(Some(uid)), gid) = (ids.next(), ids.next().flatten()) {
            // Only root may chown; elsewhere the directory stays the caller's.
            let _ = std::os::unix::fs::chown(dir, Some(uid), gid.or(Some(uid)));
        }
        Ok(())
    }

    /// The running container for a placement: reused when its configuration
    /// hash matches, recreated when it does not.
    pub async fn ensure(&self, config: &SandboxConfig, placement: &Placement) -> Result<String, SandboxError> {
        let _one_at_a_time = match self.ensuring.get(stripe(&placement.container)) {
            Some(lock) => Some(lock.lock().await),
            None => None,
        };
        if let Some(dir) = &placement.workspace {
            self.prepare_workspace(dir, &config.docker.user)?;
        }
        let body = container_body(config, placement)?;
        let wanted = body.labels.as_ref().and_then(|l| l.get(LABEL_CONFIG)).cloned().unwrap_or_default();
        let name = placement.container.as_str();
        match self.docker.inspect_container(name, None::<InspectContainerOptions>).await {
            Ok(existing) => {
                let current = existing.config.as_ref().and_then(|c| c.labels.as_ref()).and_then(|l| l.get(LABEL_CONFIG)).cloned();
                if current.as_deref() == Some(wanted.as_str()) {
                    let running = existing.state.as_ref().and_then(|s| s.running).unwrap_or(false);
                    if !running {
                        self.docker.start_container(name, None::<StartContainerOptions>).await?;
                    }
                    return Ok(name.to_string());
                }
                self.remove(name).await?;
            }
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => self.check_caps(&placement.agent).await?,
            Err(e) => return Err(e.into()),
        }
        let options = CreateContainerOptionsBuilder::new().name(name).build();
        match self.docker.create_container(Some(options), body).await {
            Ok(_) => {}
            // A concurrent first call created it: use that one (its labels carry the same hash).
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 409, .. }) => {}
            Err(e) => return Err(e.into()),
        }
        match self.docker.start_container(name, None::<StartContainerOptions>).await {
            // 304: already started by the concurrent call.
            Ok(()) | Err(bollard::errors::Error::DockerResponseServerError { status_code: 304, .. }) => Ok(name.to_string()),
            Err(e) => Err(e.into()),
        }
    }

    /// Refuses a new container past the caps (counted on the daemon, so
    /// containers of other gateways with the label count too).
    async fn check_caps(&self, agent: &str) -> Result<(), SandboxError> {
        let (total, per_agent) = self.caps;
        let all = self.labelled(LABEL_SCOPE.to_string()).await?;
        if all >= total {
            return Err(SandboxError::Full(format!("{all} of {total}")));
        }
        let mine = self.labelled(format!("{LABEL_AGENT}={agent}")).await?;
        if mine >= per_agent {
            return Err(SandboxError::Full(format!("agent `{agent}` has {mine} of {per_agent}")));
        }
        Ok(())
    }

    async fn labelled(&self, filter: String) -> Result<usize, SandboxError> {
        let options = ListContainersOptionsBuilder::new().all(true).filters(&HashMap::from([("label".to_string(), vec![filter])])).build();
        Ok(self.docker.list_containers(Some(options)).await?.len())
    }

    /// Removes every container of `agent` whose name starts with `prefix`
    /// (an agent a reload removed), scratch directories included.
    pub async fn remove_agent(&self, agent: &str, prefix: &str) -> Result<Vec<String>, SandboxError> {
        let options = ListContainersOptionsBuilder::new()
            .all(true)
            .filters(&HashMap::from([("label".to_string(), vec![format!("{LABEL_AGENT}={agent}")])]))
            .build();
        let mut removed = Vec::new();
        for c in self.docker.list_containers(Some(options)).await? {
            let name = c.names.and_then(|n| n.into_iter().next()).unwrap_or_default().trim_start_matches('/').to_string();
            if name.starts_with(prefix) {
                self.remove(&name).await?;
                removed.push(name);
            }
        }
        Ok(removed)
    }

    /// Removes a container (its scratch tmpfs goes with it). Also removes
    /// the host scratch directory earlier versions kept for it, if any.
    pub async fn remove(&self, name: &str) -> Result<(), SandboxError> {
        let options = RemoveContainerOptionsBuilder::new().force(true).build();
        match self.docker.remove_container(name, Some(options)).await {
            Ok(()) | Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => {}
            Err(e) => return Err(e.into()),
        }
        // Names are slugs of [a-z0-9-] plus the prefix: never a path separator or `..`.
        if !name.is_empty() && !name.contains('/') && name != "." && name != ".." {
            match std::fs::remove_dir_all(self.state_dir.join("scratch").join(name)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(SandboxError::Workspace(format!("old scratch of {name}: {e}"))),
            }
        }
        Ok(())
    }

    /// Runs `sh -c command` in the container in a session of its own
    /// ([`RUN_WRAPPER`]), killed whole when it ends or after the timeout.
    pub async fn exec(&self, container: &str, user: &str, command: &str) -> Result<RunResult, SandboxError> {
        let seconds = self.timeout.as_secs().max(1).to_string();
        let _alone = self.alone_in(container).await;
        let started = std::time::Instant::now();
        let result = self.run(container, user, vec!["sh", "-c", RUN_WRAPPER, "palisade-run", seconds.as_str(), command], None).await;
        // Swept whatever happened to the command: it may have started something before failing.
        let swept = self.run(container, user, vec!["sh", "-c", SWEEP], None).await;
        let result = result?;
        swept?;
        // The watchdog's SIGKILL shows as 137 (128 + 9) once the timeout has passed.
        let timed_out = result.timed_out || (result.exit_code == 137 && started.elapsed() >= self.timeout);
        Ok(RunResult { timed_out, ..result })
    }

    /// `read` inside a sandbox whose workspace is its own tmpfs: as the
    /// sandbox's user, with the sandbox's view, so nothing it can do reaches
    /// the host. Regular files of at most [`super::workspace::FILE_CAP`] bytes.
    pub async fn read_file(&self, container: &str, user: &str, relative: &str) -> Result<Result<String, PathError>, SandboxError> {
        let path = match in_workspace(relative) {
            Ok(path) => path,
            Err(e) => return Ok(Err(e)),
        };
        let _alone = self.alone_in(container).await;
        let result = self.run(container, user, vec!["sh", "-c", READ_SCRIPT, "palisade-read", &path], None).await?;
        Ok(file_outcome(relative, result).map(|r| r.stdout))
    }

    /// `write` inside a sandbox whose workspace is its own tmpfs; the
    /// content goes in on stdin.
    pub async fn write_file(&self, container: &str, user: &str, relative: &str, content: &str) -> Result<Result<String, PathError>, SandboxError> {
        if content.len() > super::workspace::FILE_CAP {
            return Ok(Err(PathError::TooLarge(relative.to_string())));
        }
        let path = match in_workspace(relative) {
            Ok(path) => path,
            Err(e) => return Ok(Err(e)),
        };
        let _alone = self.alone_in(container).await;
        let result = self.run(container, user, vec!["sh", "-c", WRITE_SCRIPT, "palisade-write", &path], Some(content.as_bytes())).await?;
        Ok(file_outcome(relative, result).map(|_| format!("wrote {} bytes", content.len())))
    }

    /// Runs `cmd` in the container, with `stdin` if given, output capped;
    /// the daemon must answer within the timeout plus ten seconds.
    /// Waits for the container's other calls: the guard lets this one run alone.
    async fn alone_in(&self, container: &str) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.running.get(stripe(container)) {
            Some(lock) => Some(lock.lock().await),
            None => None,
        }
    }

    async fn run(&self, container: &str, user: &str, cmd: Vec<&str>, stdin: Option<&[u8]>) -> Result<RunResult, SandboxError> {
        let options = CreateExecOptions {
            cmd: Some(cmd),
            attach_stdin: Some(stdin.is_some()),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            user: Some(user),
            working_dir: Some(WORKSPACE),
            ..CreateExecOptions::default()
        };
        let created = self.docker.create_exec(container, options).await?;
        let mut out = Output::default();
        let guard = self.timeout + Duration::from_secs(10);
        let streamed = tokio::time::timeout(guard, async {
            if let StartExecResults::Attached { mut output, mut input } = self.docker.start_exec(&created.id, None).await? {
                if let Some(bytes) = stdin {
                    use tokio::io::AsyncWriteExt;
                    input.write_all(bytes).await.map_err(|e| SandboxError::Docker(format!("stdin: {e}")))?;
                    input.shutdown().await.map_err(|e| SandboxError::Docker(format!("stdin: {e}")))?;
                }
                while let Some(chunk) = output.next().await {
                    match chunk? {
                        bollard::container::LogOutput::StdOut { message } => out.push(false, &message),
                        bollard::container::LogOutput::StdErr { message } => out.push(true, &message),
                        _ => {}
                    }
                }
            }
            Ok::<(), SandboxError>(())
        })
        .await;
        let timed_out = match streamed {
            Ok(result) => {
                result?;
                false
            }
            Err(_) => true,
        };
        let inspected = self.docker.inspect_exec(&created.id).await?;
        Ok(out.finish(inspected.exit_code.unwrap_or(-1), timed_out))
    }

    /// Removes containers whose name starts with `prefix` and that are idle
    /// longer than `idle` (by the store's last use, else their creation) or
    /// older than `max_age`. Returns the names removed.
    pub async fn prune(
        &self,
        store: &super::store::Store,
        prefix: &str,
        idle: Duration,
        max_age: Duration,
        now_ms: u64,
    ) -> Result<Vec<String>, SandboxError> {
        let options =
            ListContainersOptionsBuilder::new().all(true).filters(&HashMap::from([("label".to_string(), vec![LABEL_SCOPE.to_string()])])).build();
        let mut removed = Vec::new();
        for c in self.docker.list_containers(Some(options)).await? {
            let name = c.names.and_then(|n| n.into_iter().next()).unwrap_or_default().trim_start_matches('/').to_string();
            if !name.starts_with(prefix) {
                continue;
            }
            let created_ms = u64::try_from(c.created.unwrap_or(0)).unwrap_or(0).saturating_mul(1000);
            let last_used = store.sandbox_last_used(&name).map_err(|e| SandboxError::Workspace(e.to_string()))?.unwrap_or(created_ms);
            let too_idle = now_ms.saturating_sub(last_used) > u64::try_from(idle.as_millis()).unwrap_or(u64::MAX);
            let too_old = now_ms.saturating_sub(created_ms) > u64::try_from(max_age.as_millis()).unwrap_or(u64::MAX);
            if too_idle || too_old {
                self.remove(&name).await?;
                store.sandbox_forget(&name).map_err(|e| SandboxError::Workspace(e.to_string()))?;
                removed.push(name);
            }
        }
        Ok(removed)
    }

    /// Containers this gateway made, by name, with their scope keys.
    pub async fn list(&self) -> Result<Vec<(String, String)>, SandboxError> {
        let options =
            ListContainersOptionsBuilder::new().all(true).filters(&HashMap::from([("label".to_string(), vec![LABEL_SCOPE.to_string()])])).build();
        let containers = self.docker.list_containers(Some(options)).await?;
        Ok(containers
            .into_iter()
            .map(|c| {
                let name = c.names.and_then(|n| n.into_iter().next()).unwrap_or_default().trim_start_matches('/').to_string();
                let scope = c.labels.and_then(|l| l.get(LABEL_SCOPE).cloned()).unwrap_or_default();
                (name, scope)
            })
            .collect())
    }

    /// Builds the sandbox image from a static busybox: no registry needed.
    pub async fn build_image(&self, name: &str, busybox: &Path) -> Result<(), SandboxError> {
        let tarball = rootfs_tar(busybox)?;
        let (repo, tag) = name.rsplit_once(':').unwrap_or((name, "latest"));
        let options = CreateImageOptionsBuilder::new().from_src("-").repo(repo).tag(tag).build();
        let mut stream = self.docker.create_image(Some(options), Some(bollard::body_full(tarball.into())), None);
        while let Some(progress) = stream.next().await {
            progress?;
        }
        Ok(())
    }
}

#[derive(Default)]
struct Output {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    truncated: bool,
}

impl Output {
    fn push(&mut self, err: bool, bytes: &[u8]) {
        let buf = if err { &mut self.stderr } else { &mut self.stdout };
        let room = OUTPUT_CAP.saturating_sub(buf.len());
        if bytes.len() > room {
            self.truncated = true;
        }
        buf.extend_from_slice(bytes.get(..room.min(bytes.len())).unwrap_or_default());
    }

    fn finish(self, exit_code: i64, timed_out: bool) -> RunResult {
        RunResult {
            exit_code,
            stdout: String::from_utf8_lossy(&self.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&self.stderr).into_owned(),
            truncated: self.truncated,
            timed_out,
        }
    }
}

/// A root filesystem with busybox, its applet links, and the directories a
/// read-only root needs to exist.
fn rootfs_tar(busybox: &Path) -> Result<Vec<u8>, SandboxError> {
    let io = |e: std::io::Error| SandboxError::Workspace(format!("building the image: {e}"));
    let binary = std::fs::read(busybox).map_err(|e| SandboxError::Workspace(format!("{}: {e}", busybox.display())))?;
    let list = std::process::Command::new(busybox).arg("--list").output().map_err(io)?;
    let applets = String::from_utf8_lossy(&list.stdout).to_string();
    let mut builder = tar::Builder::new(Vec::new());
    for dir in ["bin", "tmp", "var", "var/tmp", "run", "workspace", "etc", "proc", "sys", "dev"] {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Directory);
        header.set_mode(if dir.ends_with("tmp") { 0o1777 } else { 0o755 });
        header.set_size(0);
        builder.append_data(&mut header, format!("{dir}/"), std::io::empty()).map_err(io)?;
    }
    let mut header = tar::Header::new_gnu();
    header.set_mode(0o755);
    header.set_size(binary.len() as u64);
    builder.append_data(&mut header, "bin/busybox", binary.as_slice()).map_err(io)?;
    for applet in applets.lines().map(str::trim).filter(|a| !a.is_empty() && *a != "busybox" && !a.contains('/')) {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_mode(0o777);
        header.set_size(0);
        builder.append_link(&mut header, format!("bin/{applet}"), "busybox").map_err(io)?;
    }
    let passwd = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/workspace:/bin/sh\n";
    for (path, text) in [("etc/passwd", passwd), ("etc/group", "root:x:0:\nnogroup:x:65534:\n")] {
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o644);
        header.set_size(text.len() as u64);
        builder.append_data(&mut header, path, text.as_bytes()).map_err(io)?;
    }
    builder.into_inner().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A shared container's name hashes the sandbox settings' JSON; a change
    /// to that shape would orphan every running shared container.
    #[test]
    fn the_shared_scope_key_of_the_default_settings_is_pinned() {
        let config = SandboxConfig {
            mode: palisade::SandboxMode::All,
            scope: SandboxScope::Shared,
            workspace: WorkspaceAccess::None,
            docker: palisade::DockerConfig::default(),
        };
        assert_eq!(scope_key(&config, "family", "agent:family:main"), "shared:45e26688a2aa");
    }

    #[test]
    fn names_are_stable_slugged_and_distinct() {
        let a = container_name("palisade-sbx-", "agent:family:telegram:direct:333");
        assert_eq!(a, container_name("palisade-sbx-", "agent:family:telegram:direct:333"));
        assert!(a.starts_with("palisade-sbx-agent-family-telegram-direct-333-"), "{a}");
        assert_ne!(a, container_name("palisade-sbx-", "agent:family:telegram:direct:334"));
        // Keys that slug alike still get different names through the hash.
        assert_ne!(container_name("p-", "a:b"), container_name("p-", "a-b"));
        assert!(container_name("p-", &"x".repeat(500)).len() < 80);
    }

    #[test]
    fn the_configuration_hash_ignores_map_order() {
        // Each HashMap iterates in its own random order; with serde_json's
        // `preserve_order` on (the tests' dev-dependencies turn it on) that
        // order reaches the JSON, and the canonical form must remove it.
        let texts: std::collections::BTreeSet<String> = (0..16)
            .map(|_| {
                let map: HashMap<String, String> = (0..12).map(|i| (format!("key{i}"), format!("v{i}"))).collect();
                let mut text = String::new();
                canonical_json(&serde_json::json!({"b": map, "a": [map.clone()]}), &mut text);
                text
            })
            .collect();
        assert_eq!(texts.len(), 1, "{texts:?}");
        assert!(texts.iter().next().unwrap().starts_with(r#"{"a":[{"key0":"v0","key1":"v1","key10":"v10""#));
    }
}
