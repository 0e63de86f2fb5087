//! The gateway: a small tokio/axum daemon that authenticates every client,
//! decides every call with the compiled policy, and runs allowed calls in a
//! hardened Docker sandbox (or on the host where the policy trusts the agent).
//! Feature `gateway`.

pub mod audit;
pub mod auth;
pub mod devices;
pub mod host;
pub mod pairing;
pub mod reload;
pub mod sandbox;
pub mod store;
pub mod workspace;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::ast::AuthMode;
use crate::engine::{Engine, ToolRequest};
use auth::{Limiter, Secret, Verdict};
use sandbox::{RunResult, Sandboxes};

/// Largest request body; a larger one gets 413.
pub const BODY_LIMIT: usize = 1 << 20;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum GatewayError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Secret(#[from] auth::SecretError),
    #[error("refusing to listen on {0} without authentication: a gateway beyond loopback must require a secret")]
    #[diagnostic(code(palisade::exposed_gateway), help("set `auth token` in the gateway block, or listen on 127.0.0.1"))]
    Exposed(SocketAddr),
    #[error("cannot listen on {addr}: {reason}")]
    #[diagnostic(code(palisade::listen))]
    Listen { addr: SocketAddr, reason: String },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Store(#[from] store::StoreError),
    #[error("server error: {0}")]
    #[diagnostic(code(palisade::serve))]
    Serve(String),
}

/// How to run the gateway, beyond what the policy says.
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    /// Overrides the policy's bind and port.
    pub listen: Option<SocketAddr>,
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
}

struct AppState {
    policy: reload::PolicySlot,
    secret: Option<Secret>,
    limiter: Limiter,
    sandboxes: Option<Sandboxes>,
    store: store::Store,
    challenges: devices::Challenges,
    audit: audit::Audit,
    state_dir: PathBuf,
    timeout: Duration,
}

/// Refuses to listen beyond loopback without authentication, whatever the
/// policy said (`--listen` can override its bind).
pub fn check_exposure(config: &crate::engine::gateway::GatewayConfig, addr: SocketAddr) -> Result<(), GatewayError> {
    if config.auth.mode == AuthMode::None && !addr.ip().is_loopback() && !crate::compile::gateway::seam_skips_bind_check() {
        return Err(GatewayError::Exposed(addr));
    }
    Ok(())
}

/// Binds, then serves until ctrl-c. `on_listen` hears the bound address
/// (useful with port 0).
pub async fn serve(engine: Engine, options: GatewayOptions, on_listen: impl FnOnce(SocketAddr)) -> Result<(), GatewayError> {
    let config = engine.gateway().clone();
    let secret = auth::load_secret(&config.auth)?;
    let addr = options.listen.unwrap_or_else(|| SocketAddr::new(config.bind.ip(), config.port));
    check_exposure(&config, addr)?;
    let sandboxes = match Sandboxes::connect(options.state_dir.clone(), options.timeout).await {
        Ok(s) => Some(s),
        Err(e) => {
            // Decisions still work; sandboxed runs answer 503, never fall back to the host.
            eprintln!("warning: {e}; sandboxed tool calls will be refused");
            None
        }
    };
    let state = Arc::new(AppState {
        limiter: Limiter::new(config.rate_limit),
        store: store::Store::open(&options.state_dir.join("palisade.db"))?,
        challenges: devices::Challenges::new(config.device_skew),
        audit: audit::Audit::open(&options.state_dir.join("audit.jsonl"))
            .map_err(|e| store::StoreError::other(format!("audit log: {e}")))?,
        policy: reload::PolicySlot::new(engine),
        secret,
        sandboxes,
        state_dir: options.state_dir,
        timeout: options.timeout,
    });
    spawn_pruner(Arc::clone(&state), options.prune_idle, options.prune_max_age);
    spawn_hangup_handler(Arc::clone(&state), options.policy_path)?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| GatewayError::Listen { addr, reason: e.to_string() })?;
    let bound = listener.local_addr().map_err(|e| GatewayError::Listen { addr, reason: e.to_string() })?;
    on_listen(bound);
    axum::serve(listener, router(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| GatewayError::Serve(e.to_string()))
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
                Ok(warnings) => {
                    eprintln!("palisade: reloaded {} ({} warnings)", path.display(), warnings.len());
                    json!({"event": "reload", "file": path.display().to_string(), "ok": true, "warnings": warnings.len()})
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

fn router(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/v1/decide", post(decide))
        .route("/v1/tools/invoke", post(invoke))
        .route("/v1/pairing", get(pairing_list))
        .route("/v1/pairing/request", post(pairing_request))
        .route("/v1/pairing/approve", post(pairing_approve))
        .route("/v1/devices/challenge", post(device_challenge))
        .route("/v1/devices/connect", post(device_connect))
        .route("/v1/nodes/approve", post(node_approve))
        .route("/v1/nodes/run", post(node_run))
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&state), authenticate));
    Router::new().route("/healthz", get(healthz)).merge(api).layer(DefaultBodyLimit::max(BODY_LIMIT)).with_state(state)
}

/// Every request body the API accepts, parsed as its endpoint parses it,
/// and the pure steps that follow the parse: the fuzz target
/// `gateway_bodies` drives this. Errors are the 400 answers.
#[doc(hidden)]
pub fn parse_bodies(body: &str) -> Vec<Result<(), String>> {
    fn parse<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, String> {
        serde_json::from_str(body).map_err(|e| e.to_string())
    }
    vec![
        crate::wire::parse(body).map(|_| ()),
        parse::<PairingRequest>(body).map(|r| drop(pairing::peer(&r.channel, r.account.as_deref(), &r.sender))),
        parse::<PairingApproval>(body).map(drop),
        parse::<DeviceConnect>(body).map(|r| drop(r.device_id.trim().to_ascii_lowercase())),
        parse::<NodeApproval>(body).map(|r| drop(command_digest(&r.command))),
        parse::<NodeRun>(body).map(|r| drop(command_digest(&r.command))),
        parse::<InvokeRequest>(body).map(drop),
    ]
}

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": {"code": code, "message": message.into()}}))).into_response()
}

/// A request body parsed as `T` (strict: unknown fields are refused).
/// Anything else is answered 400 `bad_request` in the API's error shape;
/// a body over `BODY_LIMIT` keeps axum's 413.
struct JsonBody<T>(T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let body = String::from_request(request, state).await.map_err(IntoResponse::into_response)?;
        serde_json::from_str(&body).map(JsonBody).map_err(|e| error(StatusCode::BAD_REQUEST, "bad_request", e.to_string()))
    }
}

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Bearer secret, compared in constant time; failures counted per address.
async fn authenticate(State(state): State<Arc<AppState>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, request: Request, next: Next) -> Response {
    let Some(secret) = &state.secret else { return next.run(request).await };
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let ok = auth::admits(Some(secret), presented) || (!presented.is_empty() && is_device_token(&state, presented));
    match state.limiter.attempt(client_ip(peer), ok, Instant::now()) {
        Verdict::Allowed => next.run(request).await,
        Verdict::LockedOut => error(StatusCode::TOO_MANY_REQUESTS, "locked_out", "too many failed attempts from this address; try later"),
        Verdict::Unauthorized if presented.is_empty() => error(StatusCode::UNAUTHORIZED, "missing_secret", "send `Authorization: Bearer <token>`"),
        Verdict::Unauthorized => error(StatusCode::UNAUTHORIZED, "wrong_secret", "the secret does not match"),
    }
}

/// A token handed out by `/v1/devices/connect` (stored as its SHA-256).
fn is_device_token(state: &AppState, presented: &str) -> bool {
    use sha2::{Digest, Sha256};
    let digest = devices::hex(&Sha256::digest(presented.as_bytes()));
    matches!(state.store.device_by_token(&digest), Ok(Some(_)))
}

/// IPv4-mapped IPv6 addresses count as their IPv4 address.
fn client_ip(peer: SocketAddr) -> IpAddr {
    match peer.ip() {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        ip => ip,
    }
}

async fn decide(State(state): State<Arc<AppState>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, body: String) -> Response {
    match crate::wire::parse(&body) {
        Ok(mut request) => {
            // Whether a sender is paired is the gateway's knowledge, never the client's claim.
            if let crate::wire::AnyRequest::Ingress(inbound) = &mut request {
                let peer = pairing::peer(&inbound.channel, inbound.account.as_deref(), &inbound.sender);
                inbound.paired = match state.store.pairing_is_approved(&peer) {
                    Ok(paired) => paired,
                    Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, "store", e.to_string()),
                };
            }
            let decision = crate::wire::decision_json(&state.policy.view().engine(), &request);
            state.audit.record(json!({"event": "decide", "client": client_ip(peer).to_string(), "request": summary(&request), "decision": decision}));
            Json(decision).into_response()
        }
        Err(e) => error(StatusCode::BAD_REQUEST, "bad_request", e),
    }
}

/// What a decide request asked, without free text.
fn summary(request: &crate::wire::AnyRequest) -> Value {
    match request {
        crate::wire::AnyRequest::Tool(t) => json!({"kind": "tool", "agent": t.agent, "tool": t.tool, "session": t.session}),
        crate::wire::AnyRequest::Ingress(i) => json!({"kind": "ingress", "channel": i.channel, "chat_id": i.chat_id, "sender": i.sender}),
        crate::wire::AnyRequest::Route(i) => json!({"kind": "route", "channel": i.channel, "chat_id": i.chat_id, "sender": i.sender}),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PairingRequest {
    channel: String,
    #[serde(default)]
    account: Option<String>,
    sender: String,
}

fn refused(refusal: store::Refusal) -> Response {
    let status = match refusal {
        store::Refusal::UnknownCode => StatusCode::NOT_FOUND,
        store::Refusal::NoApproval | store::Refusal::ApprovalMismatch => StatusCode::FORBIDDEN,
        _ => StatusCode::CONFLICT,
    };
    (status, Json(json!({"error": {"code": refusal, "message": refusal.message()}}))).into_response()
}

async fn pairing_request(State(state): State<Arc<AppState>>, JsonBody(request): JsonBody<PairingRequest>) -> Response {
    let engine = state.policy.view().engine();
    // Only a sender the gate would answer with `pair` may get a code.
    let mut probe = crate::engine::Inbound::direct(&request.channel, &request.sender, "");
    probe.account = request.account.as_deref();
    let gate = engine.gate(&probe);
    if gate.outcome != crate::engine::IngressOutcome::Pair {
        return error(StatusCode::CONFLICT, "not_pairable", format!("this sender is not pairable here: {}", gate.reason));
    }
    let peer = pairing::peer(&request.channel, request.account.as_deref(), &request.sender);
    match pairing_rules(&state, &engine).request(&peer, store::now_ms()) {
        Ok(Ok(code)) => Json(json!({"code": code, "expires_in_s": engine.gateway().pairing_ttl.as_secs()})).into_response(),
        Ok(Err(refusal)) => refused(refusal),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "store", e.to_string()),
    }
}

fn pairing_rules<'s>(state: &'s AppState, engine: &Engine) -> pairing::Pairing<'s> {
    let config = engine.gateway();
    pairing::Pairing { store: &state.store, ttl: config.pairing_ttl, cap: config.pairing_cap }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PairingApproval {
    channel: String,
    code: String,
}

async fn pairing_approve(State(state): State<Arc<AppState>>, JsonBody(approval): JsonBody<PairingApproval>) -> Response {
    match pairing_rules(&state, &state.policy.view().engine()).approve(&approval.channel, &approval.code, store::now_ms()) {
        Ok(Ok((channel, account, sender))) => Json(json!({"approved": {"channel": channel, "account": account, "sender": sender}})).into_response(),
        Ok(Err(refusal)) => refused(refusal),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "store", e.to_string()),
    }
}

async fn pairing_list(State(state): State<Arc<AppState>>) -> Response {
    let (pending, approved) = match state.store.pairing_snapshot(store::now_ms(), state.policy.view().engine().gateway().pairing_ttl) {
        Ok(snapshot) => snapshot,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, "store", e.to_string()),
    };
    let pending: Vec<Value> = pending
        .into_iter()
        .map(|((channel, account, sender), code, left_ms)| {
            json!({"channel": channel, "account": account, "sender": sender, "code": code, "expires_in_s": left_ms / 1000})
        })
        .collect();
    let approved: Vec<Value> =
        approved.into_iter().map(|(channel, account, sender)| json!({"channel": channel, "account": account, "sender": sender})).collect();
    Json(json!({"pending": pending, "approved": approved})).into_response()
}

async fn device_challenge(State(state): State<Arc<AppState>>) -> Response {
    let mut bytes = [0u8; 32];
    if let Err(e) = pairing::random(&mut bytes) {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "random", e.to_string());
    }
    let nonce = devices::hex(&bytes);
    let now = store::now_ms();
    state.challenges.issue(nonce.clone(), now);
    Json(json!({"nonce": nonce, "ts": now})).into_response()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceConnect {
    device_id: String,
    public_key: String,
    signature: String,
    #[serde(default)]
    nonce: String,
    signed_at: u64,
}

async fn device_connect(State(state): State<Arc<AppState>>, JsonBody(request): JsonBody<DeviceConnect>) -> Response {
    let check = devices::ConnectRequest {
        device_id: &request.device_id,
        public_key: &request.public_key,
        signature: &request.signature,
        nonce: &request.nonce,
        signed_at: request.signed_at,
    };
    if let Err(e) = state.challenges.verify(&check, store::now_ms()) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": {"code": e, "message": e.message()}}))).into_response();
    }
    let mut bytes = [0u8; 32];
    if let Err(e) = pairing::random(&mut bytes) {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "random", e.to_string());
    }
    let token = devices::hex(&bytes);
    let digest = {
        use sha2::{Digest, Sha256};
        devices::hex(&Sha256::digest(token.as_bytes()))
    };
    let device_id = request.device_id.trim().to_ascii_lowercase();
    match state.store.device_connect(&device_id, request.public_key.trim(), &digest, store::now_ms()) {
        Ok(()) => Json(json!({"device_id": device_id, "token": token})).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "store", e.to_string()),
    }
}

fn command_digest(command: &str) -> String {
    use sha2::{Digest, Sha256};
    devices::hex(&Sha256::digest(command.as_bytes()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeApproval {
    request_id: String,
    command: String,
}

/// An approval names one request id and the exact command it allows.
async fn node_approve(State(state): State<Arc<AppState>>, JsonBody(approval): JsonBody<NodeApproval>) -> Response {
    if approval.request_id.trim().is_empty() {
        return error(StatusCode::BAD_REQUEST, "bad_request", "empty request_id");
    }
    match state.store.node_approve(approval.request_id.trim(), &command_digest(&approval.command), store::now_ms()) {
        Ok(()) => Json(json!({"approved": approval.request_id.trim()})).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "store", e.to_string()),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeRun {
    request_id: String,
    agent: String,
    #[serde(default)]
    session: Option<String>,
    command: String,
}

/// Runs a node command: its approval is consumed first (single use), then
/// the command goes through the same decision and sandbox as `exec`.
async fn node_run(State(state): State<Arc<AppState>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, JsonBody(run): JsonBody<NodeRun>) -> Response {
    match state.store.node_consume(run.request_id.trim(), &command_digest(&run.command)) {
        Ok(Ok(())) => {}
        Ok(Err(refusal)) => return refused(refusal),
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, "store", e.to_string()),
    }
    let mut args = serde_json::Map::new();
    args.insert("command".into(), Value::String(run.command));
    let request = InvokeRequest { agent: run.agent, session: run.session, tool: "exec".into(), args, provider: None, sender: None };
    run_invoke(&state, request, peer).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InvokeRequest {
    agent: String,
    #[serde(default)]
    session: Option<String>,
    tool: String,
    #[serde(default)]
    args: serde_json::Map<String, Value>,
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    sender: Option<String>,
}

async fn invoke(State(state): State<Arc<AppState>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, JsonBody(request): JsonBody<InvokeRequest>) -> Response {
    run_invoke(&state, request, peer).await
}

/// Decide, then run: 403 with the decision when denied.
async fn run_invoke(state: &AppState, request: InvokeRequest, peer: SocketAddr) -> Response {
    // One view for the whole call: a reload in between cannot mix policies.
    let view = state.policy.view();
    let agent = request.agent.trim().to_lowercase();
    let session = request.session.clone().unwrap_or_else(|| format!("agent:{agent}:main"));
    let tool_request = ToolRequest {
        agent: &agent,
        tool: &request.tool,
        provider: request.provider.as_deref(),
        session: Some(&session),
        subagent: false,
        owner: true,
        sender: request.sender.as_deref(),
    };
    if view.engine().sandbox(&agent).is_none() {
        return error(StatusCode::NOT_FOUND, "unknown_agent", format!("unknown agent `{}`", request.agent));
    }
    let explanation = reload::decide_call(&view, &tool_request);
    let decision = json!({"allowed": explanation.allowed, "tool": explanation.tool, "reason": explanation.reason, "at": explanation.at});
    let mut entry = json!({
        "event": "tool", "client": client_ip(peer).to_string(), "agent": agent, "session": session, "tool": explanation.tool,
        "command": request.args.get("command"), "path": request.args.get("path"),
        "decision": if explanation.allowed { "allow" } else { "deny" }, "reason": explanation.reason,
    });
    if !explanation.allowed {
        state.audit.record(entry);
        return (StatusCode::FORBIDDEN, Json(json!({"decision": decision}))).into_response();
    }
    let Some(reload::Placement { sandboxed, sandbox }) = reload::place_call(&view, &tool_request) else {
        return error(StatusCode::NOT_FOUND, "unknown_agent", format!("unknown agent `{}`", request.agent));
    };
    let sandbox = &sandbox;
    let tool = explanation.tool.clone();
    let arg = |name: &str| request.args.get(name).and_then(Value::as_str).map(str::to_string);
    let result = if sandboxed {
        let Some(sandboxes) = &state.sandboxes else {
            return error(StatusCode::SERVICE_UNAVAILABLE, "no_sandbox", "the Docker daemon is unavailable; sandboxed calls are refused");
        };
        let placement = sandbox::placement(sandbox, &state.state_dir, &agent, &session);
        if let Err(e) = state.store.sandbox_used(&placement.container, &placement.scope_key, store::now_ms()) {
            return error(StatusCode::INTERNAL_SERVER_ERROR, "store", e.to_string());
        }
        run_sandboxed(sandboxes, sandbox, &placement, &tool, arg).await
    } else {
        let root = sandbox::agent_workspace(&state.state_dir, &agent);
        run_on_host(&root, &tool, arg, state.timeout).await
    };
    if let Some(map) = entry.as_object_mut() {
        map.insert("sandboxed".into(), Value::Bool(sandboxed));
        match &result {
            Ok(r) => {
                map.insert("exit_code".into(), Value::from(r.exit_code));
                map.insert("timed_out".into(), Value::Bool(r.timed_out));
            }
            Err((_, code, _)) => {
                map.insert("error".into(), Value::from(*code));
            }
        }
    }
    state.audit.record(entry);
    match result {
        Ok(result) => Json(json!({"decision": decision, "result": result})).into_response(),
        Err((status, code, message)) => (status, Json(json!({"decision": decision, "error": {"code": code, "message": message}}))).into_response(),
    }
}

type ToolFailure = (StatusCode, &'static str, String);

fn workspace_result(result: Result<String, workspace::PathError>) -> Result<RunResult, ToolFailure> {
    match result {
        Ok(stdout) => Ok(RunResult { exit_code: 0, stdout, stderr: String::new(), truncated: false, timed_out: false }),
        Err(e @ workspace::PathError::Io(_)) => Err((StatusCode::UNPROCESSABLE_ENTITY, "io", e.to_string())),
        Err(e @ workspace::PathError::NotRegular(_)) => Err((StatusCode::UNPROCESSABLE_ENTITY, "not_regular", e.to_string())),
        Err(e @ workspace::PathError::TooLarge(_)) => Err((StatusCode::UNPROCESSABLE_ENTITY, "too_large", e.to_string())),
        Err(e) => Err((StatusCode::FORBIDDEN, "path_refused", e.to_string())),
    }
}

/// Longest a file tool may take; the blocking work runs off the async workers.
const FILE_TOOL_DEADLINE: Duration = Duration::from_secs(10);

async fn file_tool(root: &std::path::Path, tool: &str, read_only: bool, arg: impl Fn(&str) -> Option<String>) -> Result<RunResult, ToolFailure> {
    let Some(path) = arg("path") else { return Err((StatusCode::BAD_REQUEST, "bad_args", format!("`{tool}` needs args.path"))) };
    if tool != "read" && read_only {
        return Err((StatusCode::FORBIDDEN, "read_only", "the workspace is mounted read-only".into()));
    }
    let (root, tool_name, content) = (root.to_path_buf(), tool.to_string(), arg("content").unwrap_or_default());
    let work = tokio::task::spawn_blocking(move || match tool_name.as_str() {
        "read" => workspace::read(&root, &path),
        _ => workspace::write(&root, &path, &content).map(|n| format!("wrote {n} bytes")),
    });
    match tokio::time::timeout(FILE_TOOL_DEADLINE, work).await {
        Ok(Ok(result)) => workspace_result(result),
        Ok(Err(e)) => Err((StatusCode::INTERNAL_SERVER_ERROR, "file_tool", e.to_string())),
        Err(_) => Err((StatusCode::GATEWAY_TIMEOUT, "deadline", format!("`{tool}` did not finish within {FILE_TOOL_DEADLINE:?}"))),
    }
}

async fn run_sandboxed(
    sandboxes: &Sandboxes,
    config: &crate::engine::SandboxConfig,
    placement: &sandbox::Placement,
    tool: &str,
    arg: impl Fn(&str) -> Option<String>,
) -> Result<RunResult, ToolFailure> {
    let docker_error = |e: sandbox::SandboxError| (StatusCode::BAD_GATEWAY, "sandbox", e.to_string());
    match tool {
        "exec" => {
            let Some(command) = arg("command") else { return Err((StatusCode::BAD_REQUEST, "bad_args", "`exec` needs args.command".into())) };
            let container = sandboxes.ensure(config, placement).await.map_err(docker_error)?;
            sandboxes.exec(&container, &config.docker.user, &command).await.map_err(docker_error)
        }
        "read" | "write" => {
            // The container's workspace is this host directory; make sure it exists.
            sandboxes.ensure(config, placement).await.map_err(docker_error)?;
            file_tool(&placement.workspace, tool, placement.read_only, arg).await
        }
        other => Err((StatusCode::NOT_IMPLEMENTED, "not_runnable", format!("the gateway does not run `{other}` (it runs exec, read and write)"))),
    }
}

async fn run_on_host(root: &std::path::Path, tool: &str, arg: impl Fn(&str) -> Option<String>, timeout: Duration) -> Result<RunResult, ToolFailure> {
    if let Err(e) = std::fs::create_dir_all(root) {
        return Err((StatusCode::INTERNAL_SERVER_ERROR, "workspace", e.to_string()));
    }
    match tool {
        "exec" => {
            let Some(command) = arg("command") else { return Err((StatusCode::BAD_REQUEST, "bad_args", "`exec` needs args.command".into())) };
            host::run(root, &command, timeout).await.map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, "spawn", e.to_string()))
        }
        "read" | "write" => file_tool(root, tool, false, arg).await,
        other => Err((StatusCode::NOT_IMPLEMENTED, "not_runnable", format!("the gateway does not run `{other}` (it runs exec, read and write)"))),
    }
}
