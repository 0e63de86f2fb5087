//! The gateway: a small tokio/axum daemon that authenticates every client,
//! decides every call with the compiled policy, and runs allowed calls in a
//! hardened Docker sandbox (or on the host where the policy trusts the agent).
//! Its own crate, so the core library pulls in no async runtime, HTTP or SQLite.
#![forbid(unsafe_code)]

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

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use auth::{Attempt, Limiter, Secret, Verdict};
use palisade::Engine;
use principals::{Principal, Role};
use sandbox::Sandboxes;
pub use sessions::{node_digest, HANDLE_TTL, NODE_APPROVAL_TTL};

/// Largest request body; a larger one gets 413.
pub const BODY_LIMIT: usize = 1 << 20;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum GatewayError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Secret(#[from] auth::SecretError),
    #[error("refusing to listen on {0} without authentication: a gateway beyond loopback must require a secret")]
    #[diagnostic(code("palisade::exposed-gateway"), help("set `auth token` in the gateway block, or listen on 127.0.0.1"))]
    Exposed(SocketAddr),
    #[error("cannot listen on {addr}: {reason}")]
    #[diagnostic(code("palisade::listen"))]
    Listen { addr: SocketAddr, reason: String },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Store(#[from] store::StoreError),
    #[error("server error: {0}")]
    #[diagnostic(code("palisade::serve"))]
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
    /// The most live sandbox containers, in all and per agent.
    pub max_sandboxes: usize,
    pub max_sandboxes_per_agent: usize,
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
}

/// Refuses to listen beyond loopback without authentication, whatever the
/// policy said (`--listen` can override its bind).
pub fn check_exposure(config: &palisade::GatewayConfig, addr: SocketAddr) -> Result<(), GatewayError> {
    if palisade::unstable::exposed_without_auth(config.auth.mode, addr.ip()) {
        return Err(GatewayError::Exposed(addr));
    }
    Ok(())
}

/// Binds, then serves until ctrl-c. `on_listen` hears the bound address
/// (useful with port 0).
pub async fn serve(policy: palisade::Policy, options: GatewayOptions, on_listen: impl FnOnce(SocketAddr)) -> Result<(), GatewayError> {
    let in_force = reload::InForce::from(policy);
    let config = (*in_force.gateway).clone();
    let secret = auth::load_secret(&config.auth)?;
    let addr = options.listen.unwrap_or_else(|| SocketAddr::new(config.bind.ip(), config.port));
    check_exposure(&config, addr)?;
    let state_dir = private_state_dir(&options.state_dir)?;
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
        audit: audit::Audit::open(&state_dir.join("audit.jsonl")).map_err(|e| store::StoreError::other(format!("audit log: {e}")))?,
        policy: reload::PolicySlot::new(in_force),
        secret,
        sandboxes,
        state_dir,
        timeout: options.timeout,
    });
    spawn_pruner(Arc::clone(&state), options.prune_idle, options.prune_max_age);
    spawn_hangup_handler(Arc::clone(&state), options.policy_path)?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| GatewayError::Listen { addr, reason: e.to_string() })?;
    let bound = listener.local_addr().map_err(|e| GatewayError::Listen { addr, reason: e.to_string() })?;
    on_listen(bound);
    listener::raise_file_limit();
    listener::serve(listener, router(state), async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    Ok(())
}

/// Longest a store call may take before the request gets 503.
const STORE_DEADLINE: Duration = Duration::from_secs(5);

/// Runs a store call off the async workers (SQLite blocks, and waits up to
/// its busy timeout while another process writes), with a deadline.
async fn with_store<T: Send + 'static>(
    store: &Arc<store::Store>,
    call: impl FnOnce(&store::Store) -> Result<T, store::StoreError> + Send + 'static,
) -> Result<T, Response> {
    let store = Arc::clone(store);
    match tokio::time::timeout(STORE_DEADLINE, tokio::task::spawn_blocking(move || call(&store))).await {
        Ok(Ok(Ok(value))) => Ok(value),
        Ok(Ok(Err(e))) => Err(error(StatusCode::INTERNAL_SERVER_ERROR, "store", e.to_string())),
        Ok(Err(e)) => Err(error(StatusCode::INTERNAL_SERVER_ERROR, "store", e.to_string())),
        Err(_) => Err(error(StatusCode::SERVICE_UNAVAILABLE, "store_busy", format!("the state store did not answer within {STORE_DEADLINE:?}"))),
    }
}

/// The state directory as an absolute path (Docker refuses relative bind
/// sources), created if needed and made private (0700): it holds pairing
/// codes, credential digests and the audit log.
fn private_state_dir(dir: &std::path::Path) -> Result<PathBuf, GatewayError> {
    use std::os::unix::fs::PermissionsExt;
    let fail = |e: std::io::Error| GatewayError::Serve(format!("state directory {}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let dir = std::path::absolute(dir).map_err(fail)?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).map_err(fail)?;
    Ok(dir)
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

fn router(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/v1/decide", post(decide))
        .route("/v1/ingress", post(sessions::ingress))
        .route("/v1/tools/invoke", post(sessions::invoke))
        .route("/v1/sessions/open", post(sessions::open_session))
        .route("/v1/sessions/spawn", post(sessions::spawn))
        .route("/v1/pairing", get(pairing_list))
        .route("/v1/pairing/request", post(pairing_request))
        .route("/v1/pairing/approve", post(pairing_approve))
        .route("/v1/devices", get(device_list))
        .route("/v1/devices/revoke", post(device_revoke))
        .route("/v1/devices/challenge", post(device_challenge))
        .route("/v1/devices/connect", post(device_connect))
        .route("/v1/nodes/approve", post(sessions::node_approve))
        .route("/v1/nodes/run", post(sessions::node_run))
        .route("/v1/credentials", get(credential_list).post(credential_mint))
        .route("/v1/credentials/revoke", post(credential_revoke))
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
        palisade::wire::parse(body).map(|_| ()),
        parse::<PairingRequest>(body).map(|r| drop(pairing::peer(&r.channel, r.account.as_deref(), &r.sender))),
        parse::<PairingApproval>(body).map(drop),
        parse::<DeviceConnect>(body).map(|r| drop(r.device_id.trim().to_ascii_lowercase())),
        parse::<sessions::NodeApproval>(body).map(|r| drop(node_digest(&r.agent, &r.session, &r.command))),
        parse::<sessions::NodeRun>(body).map(drop),
        parse::<sessions::InvokeRequest>(body).map(drop),
        parse::<sessions::OpenSession>(body).map(drop),
        parse::<sessions::Spawn>(body).map(drop),
        parse::<CredentialMint>(body).map(|r| {
            let _ = r.ttl.as_deref().map(palisade::unstable::settings::parse_duration);
        }),
        parse::<CredentialRevoke>(body).map(drop),
        parse::<DeviceRevoke>(body).map(drop),
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
        let TimedBody(body) = TimedBody::from_request(request, state).await?;
        serde_json::from_str(&body).map(JsonBody).map_err(|e| error(StatusCode::BAD_REQUEST, "bad_request", e.to_string()))
    }
}

/// Longest a client may take to send a request body.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// A request body read within [`BODY_TIMEOUT`] (408 otherwise).
pub(crate) struct TimedBody(String);

impl<S: Send + Sync> FromRequest<S> for TimedBody {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        match tokio::time::timeout(BODY_TIMEOUT, String::from_request(request, state)).await {
            Ok(body) => body.map(TimedBody).map_err(IntoResponse::into_response),
            Err(_) => Err(error(StatusCode::REQUEST_TIMEOUT, "body_timeout", format!("the body did not arrive within {BODY_TIMEOUT:?}"))),
        }
    }
}

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Who is calling: the operator secret (compared in constant time), else a
/// live minted credential; failures counted per address. Then the role
/// must be allowed on the endpoint ([`principals::Role::may`]); the
/// principal goes to the handler as an extension.
async fn authenticate(State(state): State<Arc<AppState>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, mut request: Request, next: Next) -> Response {
    let presented = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).unwrap_or("");
    let (principal, attempt) = match &state.secret {
        // `auth none` is refused beyond loopback (check_exposure): every local caller is the operator.
        None => (Some(Principal::operator()), Attempt::Secret),
        Some(secret) if auth::admits(Some(secret), presented) => (Some(Principal::operator()), Attempt::Secret),
        Some(_) => match state.credentials.principal(presented, store::now_ms()) {
            Some(minted) => (Some(minted), Attempt::Unguessable),
            None => (None, Attempt::Failed),
        },
    };
    let principal = match state.limiter.attempt(client_ip(peer), attempt, Instant::now()) {
        Verdict::Allowed => principal,
        Verdict::LockedOut => return error(StatusCode::TOO_MANY_REQUESTS, "locked_out", "too many failed attempts from this address; try later"),
        Verdict::Unauthorized if presented.is_empty() => {
            return error(StatusCode::UNAUTHORIZED, "missing_secret", "send `Authorization: Bearer <token>`")
        }
        Verdict::Unauthorized => return error(StatusCode::UNAUTHORIZED, "wrong_secret", "the secret does not match"),
    };
    let Some(principal) = principal else { return error(StatusCode::UNAUTHORIZED, "wrong_secret", "the secret does not match") };
    let endpoint = principals::endpoint_of(request.uri().path());
    if !endpoint.is_some_and(|e| principal.role.may(e)) && principal.role != Role::Operator {
        return error(
            StatusCode::FORBIDDEN,
            "forbidden_for_role",
            format!("a {} credential may not call {}", principal.role.as_str(), request.uri().path()),
        );
    }
    request.extensions_mut().insert(principal);
    next.run(request).await
}

/// The address a client is counted under (IPv4, or an IPv6 /64).
fn client_ip(peer: SocketAddr) -> IpAddr {
    listener::address_key(peer.ip())
}

async fn decide(
    State(state): State<Arc<AppState>>,
    Extension(principal): Extension<Principal>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    TimedBody(body): TimedBody,
) -> Response {
    match palisade::wire::parse(&body) {
        Ok(mut request) => {
            // Whether a sender is paired is the gateway's knowledge, never the client's claim.
            if let palisade::wire::AnyRequest::Ingress(inbound) = &mut request {
                let peer = pairing::peer(&inbound.channel, inbound.account.as_deref(), &inbound.sender);
                inbound.paired = match with_store(&state.store, move |s| s.pairing_is_approved(&peer)).await {
                    Ok(paired) => paired,
                    Err(answer) => return answer,
                };
            }
            let decision = palisade::wire::decision_json(&state.policy.view().engine(), &request);
            state.audit.record(json!({"event": "decide", "client": client_ip(peer).to_string(), "principal": principal.id, "request": summary(&request), "decision": decision}));
            Json(decision).into_response()
        }
        Err(e) => error(StatusCode::BAD_REQUEST, "bad_request", e),
    }
}

/// What a decide request asked, without free text.
fn summary(request: &palisade::wire::AnyRequest) -> Value {
    match request {
        palisade::wire::AnyRequest::Tool(t) => json!({"kind": "tool", "agent": t.agent, "tool": t.tool, "session": t.session}),
        palisade::wire::AnyRequest::Ingress(i) => json!({"kind": "ingress", "channel": i.channel, "chat_id": i.chat_id, "sender": i.sender}),
        palisade::wire::AnyRequest::Route(i) => json!({"kind": "route", "channel": i.channel, "chat_id": i.chat_id, "sender": i.sender}),
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
    let view = state.policy.view();
    let engine = view.engine();
    // Only a sender the gate would answer with `pair` may get a code.
    let mut probe = palisade::Inbound::direct(&request.channel, &request.sender, "");
    probe.account = request.account.as_deref();
    let gate = engine.gate(&probe);
    if gate.outcome != palisade::IngressOutcome::Pair {
        return error(StatusCode::CONFLICT, "not_pairable", format!("this sender is not pairable here: {}", gate.reason));
    }
    let peer = pairing::peer(&request.channel, request.account.as_deref(), &request.sender);
    let gateway = view.gateway();
    let (ttl, cap) = (gateway.pairing_ttl, gateway.pairing_cap);
    match with_store(&state.store, move |store| pairing::Pairing { store, ttl, cap }.request(&peer, store::now_ms())).await {
        Ok(Ok(code)) => Json(json!({"code": code, "expires_in_s": ttl.as_secs()})).into_response(),
        Ok(Err(refusal)) => refused(refusal),
        Err(answer) => answer,
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PairingApproval {
    channel: String,
    code: String,
}

async fn pairing_approve(State(state): State<Arc<AppState>>, JsonBody(approval): JsonBody<PairingApproval>) -> Response {
    let config = state.policy.view().gateway();
    let (ttl, cap) = (config.pairing_ttl, config.pairing_cap);
    let approved =
        with_store(&state.store, move |store| pairing::Pairing { store, ttl, cap }.approve(&approval.channel, &approval.code, store::now_ms())).await;
    match approved {
        Ok(Ok((channel, account, sender))) => Json(json!({"approved": {"channel": channel, "account": account, "sender": sender}})).into_response(),
        Ok(Err(refusal)) => refused(refusal),
        Err(answer) => answer,
    }
}

async fn pairing_list(State(state): State<Arc<AppState>>) -> Response {
    let ttl = state.policy.view().gateway().pairing_ttl;
    let (pending, approved) = match with_store(&state.store, move |s| s.pairing_snapshot(store::now_ms(), ttl)).await {
        Ok(snapshot) => snapshot,
        Err(answer) => return answer,
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
    let device_id = request.device_id.trim().to_ascii_lowercase();
    let now = store::now_ms();
    // A device token has the device role, expires, and dies with its device or the operator secret.
    let (credentials, id, key) = (Arc::clone(&state.credentials), device_id.clone(), request.public_key.trim().to_string());
    let connected = with_store(&state.store, move |store| {
        let minted = credentials.mint(store, Role::Device, Vec::new(), Some(id.clone()), now, now.saturating_add(ms(DEVICE_TOKEN_TTL)))?;
        if let Ok((row, _)) = &minted {
            store.device_connect(&id, &key, &row.digest, now)?;
        }
        Ok(minted)
    });
    match connected.await {
        Ok(Ok((row, token))) => {
            Json(json!({"device_id": device_id, "token": token, "credential": row.id, "expires_in_s": DEVICE_TOKEN_TTL.as_secs()})).into_response()
        }
        Ok(Err(e)) => error(StatusCode::CONFLICT, "credential_cap", e.to_string()),
        Err(answer) => answer,
    }
}

/// How long a device token lives.
pub const DEVICE_TOKEN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// The longest life a minted runtime credential may ask for, and its default.
pub const CREDENTIAL_MAX_TTL: Duration = Duration::from_secs(365 * 24 * 3600);
pub const CREDENTIAL_DEFAULT_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

async fn device_list(State(state): State<Arc<AppState>>) -> Response {
    match with_store(&state.store, |s| s.devices()).await {
        Ok(devices) => {
            let devices: Vec<Value> =
                devices.into_iter().map(|(id, key, at)| json!({"device_id": id, "public_key": key, "connected_ms": at})).collect();
            Json(json!({ "devices": devices })).into_response()
        }
        Err(answer) => answer,
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceRevoke {
    device_id: String,
}

/// Forgets a device and revokes every token it holds.
async fn device_revoke(State(state): State<Arc<AppState>>, JsonBody(body): JsonBody<DeviceRevoke>) -> Response {
    let device_id = body.device_id.trim().to_ascii_lowercase();
    let (credentials, id) = (Arc::clone(&state.credentials), device_id.clone());
    let revoked =
        with_store(&state.store, move |store| Ok((credentials.revoke(store, None, Some(&id), store::now_ms())?, store.device_forget(&id)?)));
    match revoked.await {
        Ok((n, known)) => {
            state.audit.record(json!({"event": "device_revoke", "device_id": device_id, "credentials": n}));
            Json(json!({"device_id": device_id, "known": known, "revoked_credentials": n})).into_response()
        }
        Err(answer) => answer,
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialMint {
    /// Only `runtime` is minted here (device tokens come from a signed challenge).
    role: Role,
    /// The agents it may act for; `["*"]` for all.
    agents: Vec<String>,
    #[serde(default)]
    ttl: Option<String>,
}

async fn credential_mint(State(state): State<Arc<AppState>>, JsonBody(body): JsonBody<CredentialMint>) -> Response {
    if body.role != Role::Runtime {
        return error(StatusCode::BAD_REQUEST, "bad_request", "only `runtime` credentials are minted here; devices connect with a signed challenge");
    }
    let agents: Vec<String> = body.agents.iter().map(|a| a.trim().to_lowercase()).filter(|a| !a.is_empty()).collect();
    if agents.is_empty() {
        return error(StatusCode::BAD_REQUEST, "bad_request", "`agents` names no agent (use [\"*\"] for all)");
    }
    let engine = state.policy.view().engine();
    if let Some(unknown) = agents.iter().find(|a| *a != "*" && engine.sandbox(a).is_none()) {
        return error(StatusCode::BAD_REQUEST, "unknown_agent", format!("unknown agent `{unknown}`"));
    }
    let ttl = match body.ttl.as_deref().map(palisade::unstable::settings::parse_duration) {
        None => CREDENTIAL_DEFAULT_TTL,
        Some(Some(ttl)) if ttl > Duration::ZERO && ttl <= CREDENTIAL_MAX_TTL => ttl,
        Some(_) => return error(StatusCode::BAD_REQUEST, "bad_request", "`ttl` must be a duration (30s, 5m, 1h, 1d) of at most 365d"),
    };
    let now = store::now_ms();
    let credentials = Arc::clone(&state.credentials);
    match with_store(&state.store, move |store| credentials.mint(store, Role::Runtime, agents, None, now, now.saturating_add(ms(ttl)))).await {
        Ok(Ok((row, token))) => {
            state.audit.record(json!({"event": "credential_mint", "credential": row.id, "role": row.role, "agents": row.agents}));
            Json(json!({"id": row.id, "token": token, "role": row.role, "agents": row.agents, "expires_in_s": ttl.as_secs()})).into_response()
        }
        Ok(Err(e)) => error(StatusCode::CONFLICT, "credential_cap", e.to_string()),
        Err(answer) => answer,
    }
}

async fn credential_list(State(state): State<Arc<AppState>>) -> Response {
    match with_store(&state.store, |s| s.credentials()).await {
        Ok(rows) => {
            let rows: Vec<Value> = rows
                .into_iter()
                .map(|c| {
                    json!({"id": c.id, "role": c.role, "agents": c.agents, "device_id": c.device_id, "created_ms": c.created_ms,
                        "expires_ms": c.expires_ms, "revoked_ms": c.revoked_ms, "current_secret": c.epoch == state.credentials.epoch()})
                })
                .collect();
            Json(json!({ "credentials": rows })).into_response()
        }
        Err(answer) => answer,
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialRevoke {
    id: String,
}

async fn credential_revoke(State(state): State<Arc<AppState>>, JsonBody(body): JsonBody<CredentialRevoke>) -> Response {
    let (credentials, id) = (Arc::clone(&state.credentials), body.id.trim().to_string());
    match with_store(&state.store, move |store| credentials.revoke(store, Some(&id), None, store::now_ms())).await {
        Ok(0) => error(StatusCode::NOT_FOUND, "unknown_credential", format!("no live credential `{}`", body.id.trim())),
        Ok(n) => {
            state.audit.record(json!({"event": "credential_revoke", "credential": body.id.trim()}));
            Json(json!({ "revoked": n })).into_response()
        }
        Err(answer) => answer,
    }
}
