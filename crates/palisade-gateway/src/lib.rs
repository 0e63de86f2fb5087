//! The gateway: a small tokio/axum daemon that authenticates every client,
//! decides every call with the compiled policy, and runs allowed calls in a
//! hardened Docker sandbox (or on the host where the policy trusts the agent).
//! Its own crate, so the core library pulls in no async runtime, HTTP or SQLite.
#![forbid(unsafe_code)]

mod api;
pub mod audit;
pub mod auth;
pub mod devices;
pub mod handles;
pub mod host;
pub mod listener;
pub mod pairing;
pub mod principals;
pub mod reload;
pub mod sandbox;
pub mod sessions;
pub mod store;
pub mod workspace;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

pub use api::{parse_bodies, BODY_TIMEOUT, CREDENTIAL_DEFAULT_TTL, CREDENTIAL_MAX_TTL, DEVICE_TOKEN_TTL};
use auth::{Limiter, Secret};
pub use listener::Listen;
use palisade::Engine;
use sandbox::Sandboxes;
pub use sessions::{node_digest, HANDLE_TTL, NODE_APPROVAL_TTL};

/// Largest request body; a larger one gets 413.
pub const BODY_LIMIT: usize = 1 << 20;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum GatewayError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Secret(#[from] auth::SecretError),
    #[error(
        "refusing to listen on {0} without authentication: a gateway beyond loopback, or on a socket other users may open, must require a secret"
    )]
    #[diagnostic(
        code("palisade::exposed-gateway"),
        help("set `auth token` in the gateway block, or listen on 127.0.0.1 (or a Unix socket of your own user)")
    )]
    Exposed(Listen),
    #[error("cannot listen on {addr}: {reason}")]
    #[diagnostic(code("palisade::listen"))]
    Listen { addr: Listen, reason: String },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Store(#[from] store::StoreError),
    #[error("server error: {0}")]
    #[diagnostic(code("palisade::serve"))]
    Serve(String),
    #[error("state directory {dir} is in use by another gateway ({holder})")]
    #[diagnostic(
        code("palisade::state-in-use"),
        help("two gateways on one directory would share its audit log, credentials and workspaces: stop the other one, or give this one its own `--state-dir`")
    )]
    StateInUse { dir: String, holder: String },
}

/// How to run the gateway, beyond what the policy says.
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    /// Overrides the policy's bind and port: `ADDR:PORT` or `unix:PATH`.
    pub listen: Option<Listen>,
    /// Users (besides the gateway's own) that may connect to a Unix socket.
    pub socket_allow_uids: Vec<u32>,
    /// Workspaces and scratch directories live here.
    pub state_dir: PathBuf,
    /// Longest a tool run may take before it is killed.
    pub timeout: Duration,
    /// Containers unused this long are removed.
    pub prune_idle: Duration,
    /// Containers older than this are removed (and recreated on next use).
    pub prune_max_age: Duration,
    /// The policy file, re-read on SIGHUP; `None` turns reloading off.
    pub policy_path: Option<PathBuf>,
    /// The most live sandbox containers, in all and per agent.
    pub max_sandboxes: usize,
    pub max_sandboxes_per_agent: usize,
    /// Bytes the audit files may hold before requests other than tool runs
    /// are refused ([`audit::Budget`]).
    pub audit_budget: u64,
    /// Size at which the live audit file becomes a segment.
    pub audit_segment: u64,
}

struct AppState {
    policy: reload::PolicySlot,
    secret: Option<Secret>,
    credentials: Arc<principals::Credentials>,
    handle_key: handles::HandleKey,
    limiter: Limiter,
    sandboxes: Option<Sandboxes>,
    store: Arc<store::Store>,
    challenges: devices::Challenges,
    audit: audit::Audit,
    state_dir: PathBuf,
    timeout: Duration,
    reaper: Arc<host::Reaper>,
}

/// The tools the gateway runs; a call of any other tool that the policy
/// allows answers 501 `not_runnable`.
pub const RUNNABLE_TOOLS: &[&str] = &["exec", "read", "write"];

/// For each agent, the tools its main session may call (allowed or asked)
/// that the gateway does not run: said at start and after each reload, so
/// a 501 is never the first word of it.
pub fn unrunnable_tools(engine: &Engine) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for agent in engine.agent_ids() {
        let Some(session) = engine.main_session(agent) else { continue };
        let request = palisade::ToolRequest::new(agent, "").with_session(session);
        let Ok(context) = engine.context(&request) else { continue };
        let lists = engine.tool_lists(context);
        let mut tools: Vec<String> = lists
            .allowed
            .iter()
            .chain(&lists.ask)
            .chain(lists.by_command.as_ref().map(|(tool, _)| tool))
            .filter(|tool| !RUNNABLE_TOOLS.contains(tool))
            .map(|tool| (*tool).to_string())
            .collect();
        tools.sort();
        tools.dedup();
        if !tools.is_empty() {
            out.push((agent.to_string(), tools));
        }
    }
    out
}

/// What is said of one agent's [`unrunnable_tools`], at start and by `check --gateway`.
pub fn unrunnable_message(agent: &str, tools: &[String]) -> String {
    format!(
        "agent `{agent}` may call {} in its main session, which the gateway does not run (it runs {}); such calls answer 501 `not_runnable`",
        tools.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", "),
        RUNNABLE_TOOLS.join(", ")
    )
}

fn warn_unrunnable(engine: &Engine) {
    for (agent, tools) in unrunnable_tools(engine) {
        eprintln!("warning: {}", unrunnable_message(&agent, &tools));
    }
}

/// Refuses to listen beyond loopback without authentication, whatever the
/// policy said (`--listen` can override its bind); likewise on a Unix
/// socket that users other than the gateway's own may open.
pub fn check_exposure(config: &palisade::GatewayConfig, listen: &Listen, socket_allow_uids: &[u32]) -> Result<(), GatewayError> {
    let exposed = match listen {
        Listen::Tcp(addr) => palisade::unstable::exposed_without_auth(config.auth.mode, addr.ip()),
        Listen::Unix(_) => {
            #[cfg(feature = "seams")]
            if palisade::seams::active(palisade::seams::Bug::SocketOthersTrusted) {
                return Ok(());
            }
            config.auth.mode == palisade::AuthMode::None && !socket_allow_uids.is_empty()
        }
    };
    if exposed {
        return Err(GatewayError::Exposed(listen.clone()));
    }
    Ok(())
}

/// Binds, then serves until ctrl-c or SIGTERM. `on_listen` hears the bound
/// address (useful with port 0).
pub async fn serve(policy: palisade::Policy, options: GatewayOptions, on_listen: impl FnOnce(&Listen)) -> Result<(), GatewayError> {
    warn_unrunnable(policy.engine());
    let in_force = reload::InForce::from(policy);
    let config = (*in_force.gateway).clone();
    let secret = auth::load_secret(&config.auth)?;
    let addr = options.listen.clone().unwrap_or_else(|| Listen::Tcp(SocketAddr::new(config.bind.ip(), config.port)));
    check_exposure(&config, &addr, &options.socket_allow_uids)?;
    let state_dir = private_state_dir(&options.state_dir)?;
    // Held until `serve` returns; the kernel lets go of it if the process dies.
    let _only_gateway = lock_state_dir(&state_dir)?;
    let sandboxes = match Sandboxes::connect(state_dir.clone(), options.timeout).await {
        Ok(s) => Some(s.with_caps(options.max_sandboxes, options.max_sandboxes_per_agent)),
        Err(e) => {
            // Decisions still work; sandboxed runs answer 503, never fall back to the host.
            eprintln!("warning: {e}; sandboxed tool calls will be refused");
            None
        }
    };
    let store = store::Store::open(&state_dir.join("palisade.db"))?;
    private_files(&state_dir, &["palisade.db", "palisade.db-wal", "palisade.db-shm", "audit.jsonl"])?;
    let epoch = principals::epoch(secret.as_ref().map(Secret::digest));
    let mut key = [0u8; 32];
    pairing::random(&mut key).map_err(|e| GatewayError::Serve(format!("no randomness for the handle key: {e}")))?;
    let state = Arc::new(AppState {
        limiter: Limiter::new(config.rate_limit),
        credentials: Arc::new(principals::Credentials::load(&store, epoch, store::now_ms())?),
        handle_key: handles::HandleKey::new(key),
        store: Arc::new(store),
        challenges: devices::Challenges::new(config.device_skew),
        audit: audit::Audit::open(&state_dir.join("audit.jsonl"), audit::Budget::new(options.audit_budget, options.audit_segment))
            .map_err(|e| store::StoreError::other(format!("audit log: {e}")))?,
        policy: reload::PolicySlot::new(in_force),
        secret,
        sandboxes,
        state_dir,
        timeout: options.timeout,
        reaper: Arc::new(host::Reaper::new()),
    });
    spawn_pruner(Arc::clone(&state), options.prune_idle, options.prune_max_age);
    spawn_hangup_handler(Arc::clone(&state), options.policy_path)?;
    let fail = |e: std::io::Error| GatewayError::Listen { addr: addr.clone(), reason: e.to_string() };
    let bound = listener::bind(&addr, &options.socket_allow_uids).await.map_err(fail)?;
    on_listen(&bound.local().map_err(fail)?);
    listener::raise_file_limit();
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| GatewayError::Serve(format!("cannot watch SIGTERM: {e}")))?;
    // Returning drops `bound`, which removes a Unix socket's file.
    listener::serve(bound, api::router(state), async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    })
    .await;
    Ok(())
}

/// The state directory as an absolute path (Docker refuses relative bind
/// sources), created if needed and made private (0700): it holds pairing
/// codes, credential digests and the audit log. A `.gitignore` of `*` in it
/// keeps it out of any repository it lies in (as Python's venvs do).
fn private_state_dir(dir: &std::path::Path) -> Result<PathBuf, GatewayError> {
    use std::os::unix::fs::PermissionsExt;
    let fail = |e: std::io::Error| GatewayError::Serve(format!("state directory {}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let dir = std::path::absolute(dir).map_err(fail)?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).map_err(fail)?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(&ignore, "# Written by palisade: the gateway's state (credential digests, audit log) never belongs in git.\n*\n")
            .map_err(fail)?;
    }
    Ok(dir)
}

/// Takes `<state>/gateway.lock` for this process alone (`flock`, released
/// when the file closes, however the process ends) and writes its pid there.
fn lock_state_dir(dir: &std::path::Path) -> Result<std::fs::File, GatewayError> {
    use std::io::{Read, Seek, Write};
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join("gateway.lock");
    let fail = |e: std::io::Error| GatewayError::Serve(format!("{}: {e}", path.display()));
    let mut file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).mode(0o600).open(&path).map_err(fail)?;
    match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => {}
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = match holder.trim().parse::<u32>() {
                Ok(pid) => format!("pid {pid}"),
                Err(_) => "pid unknown".to_string(),
            };
            return Err(GatewayError::StateInUse { dir: dir.display().to_string(), holder });
        }
        Err(e) => return Err(fail(e.into())),
    }
    file.set_len(0).map_err(fail)?;
    file.rewind().map_err(fail)?;
    writeln!(file, "{}", std::process::id()).map_err(fail)?;
    Ok(file)
}

/// Files of the state directory readable by the gateway's user only (0600).
fn private_files(dir: &std::path::Path, names: &[&str]) -> Result<(), GatewayError> {
    use std::os::unix::fs::PermissionsExt;
    for name in names {
        let path = dir.join(name);
        match std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(GatewayError::Serve(format!("{}: {e}", path.display()))),
        }
    }
    Ok(())
}

/// On every SIGHUP: reopens the audit log (rotation), then re-reads the
/// policy file if there is one. A policy that does not compile, or that
/// changes the gateway block, is refused and the running one stays.
fn spawn_hangup_handler(state: Arc<AppState>, policy_path: Option<PathBuf>) -> Result<(), GatewayError> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hangups = signal(SignalKind::hangup()).map_err(|e| GatewayError::Serve(format!("cannot watch SIGHUP: {e}")))?;
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            state.audit.reopen();
            let Some(path) = &policy_path else { continue };
            let outcome = match reload::reload(&state.policy, path) {
                Ok(reloaded) => {
                    eprintln!("palisade: reloaded {} ({} warnings)", path.display(), reloaded.warnings.len());
                    warn_unrunnable(&state.policy.view().engine());
                    let removed = remove_dropped_agents(&state, &reloaded.old).await;
                    json!({"event": "reload", "file": path.display().to_string(), "ok": true, "warnings": reloaded.warnings.len(), "removed_containers": removed})
                }
                Err(e) => {
                    let lines = e.lines();
                    eprintln!("palisade: reload of {} refused, the running policy stays:\n  {}", path.display(), lines.join("\n  "));
                    json!({"event": "reload", "file": path.display().to_string(), "ok": false, "errors": lines})
                }
            };
            state.audit.record(outcome);
        }
    });
    Ok(())
}

/// Removes the sandboxes of agents the policy in force no longer has.
async fn remove_dropped_agents(state: &AppState, old: &Engine) -> Vec<String> {
    let Some(sandboxes) = &state.sandboxes else { return Vec::new() };
    let now = state.policy.view().engine();
    let mut removed = Vec::new();
    for agent in old.agent_ids().filter(|a| now.sandbox(a).is_none()) {
        let Some(config) = old.sandbox(agent) else { continue };
        match sandboxes.remove_agent(agent, &config.docker.prefix).await {
            Ok(names) => removed.extend(names),
            Err(e) => eprintln!("warning: removing the sandboxes of removed agent `{agent}`: {e}"),
        }
    }
    for name in &removed {
        state.audit.record(json!({"event": "prune", "container": name, "reason": "agent removed by reload"}));
    }
    removed
}

/// Removes idle and old containers in the background.
fn spawn_pruner(state: Arc<AppState>, idle: Duration, max_age: Duration) {
    let every = (idle.min(max_age) / 4).clamp(Duration::from_secs(1), Duration::from_secs(300));
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let Some(sandboxes) = &state.sandboxes else { continue };
            // Only this policy's containers: other gateways may share the daemon.
            let mut removed_all = Vec::new();
            let mut failure = None;
            for prefix in state.policy.view().engine().sandbox_prefixes() {
                match sandboxes.prune(&state.store, &prefix, idle, max_age, store::now_ms()).await {
                    Ok(removed) => removed_all.extend(removed),
                    Err(e) => failure = Some(e),
                }
            }
            let result = match failure {
                Some(e) => Err(e),
                None => Ok(removed_all),
            };
            match result {
                Ok(removed) => {
                    for name in removed {
                        state.audit.record(json!({"event": "prune", "container": name}));
                    }
                }
                Err(e) => eprintln!("warning: pruning sandboxes: {e}"),
            }
        }
    });
}
