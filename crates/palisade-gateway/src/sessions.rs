//! The session-bound API: `/v1/ingress` gates and routes an inbound
//! message and, when it is accepted, returns a session handle
//! ([`super::handles`]); `/v1/sessions/open` (operator) opens one directly;
//! `/v1/sessions/spawn` derives a sub-agent's; `/v1/tools/invoke` and
//! `/v1/nodes/run` take a handle and nothing else about their context, so a
//! client can name neither an agent, a session, a sender nor owner-ness.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Value};

use super::handles::{Claims, HandleError, HandleKey};
use super::principals::Principal;
use super::sandbox::{self, RunResult, Sandboxes};
use super::{audit, client_ip, error, host, pairing, refused, reload, store, with_store, workspace, AppState, JsonBody, TimedBody};
use palisade::{IngressOutcome, ToolRequest};

/// How long a handle lives; the runtime gates the next message for a new one.
pub const HANDLE_TTL: Duration = Duration::from_secs(3600);
/// Longest wait for a call's intent to reach the audit log before refusing to run it.
const AUDIT_DEADLINE: Duration = Duration::from_secs(5);
/// How long a node-command approval may wait for its run.
pub const NODE_APPROVAL_TTL: Duration = Duration::from_secs(600);

fn expires(now_ms: u64, ttl: Duration) -> u64 {
    now_ms.saturating_add(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX))
}

/// Why a presented handle, or a call presenting one, is not honoured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// The body is not a call (malformed, or a field the API does not take).
    BadRequest(String),
    Handle(HandleError),
    Agent(String),
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::BadRequest(message) => error(StatusCode::BAD_REQUEST, "bad_request", message),
            Refused::Handle(e) => {
                let status = if e == HandleError::WrongPrincipal { StatusCode::FORBIDDEN } else { StatusCode::UNAUTHORIZED };
                (status, Json(json!({"error": {"code": e, "message": e.to_string()}}))).into_response()
            }
            Refused::Agent(agent) => error(StatusCode::FORBIDDEN, "agent_not_permitted", format!("this credential may not act for agent `{agent}`")),
        }
    }
}

/// Opens a presented handle for `principal`, who must still act for its agent.
pub fn open_handle(key: &HandleKey, principal: &Principal, handle: &str, now_ms: u64) -> Result<Claims, Refused> {
    let claims = key.open(handle, &principal.id, now_ms).map_err(Refused::Handle)?;
    if !principal.acts_for(&claims.agent) {
        return Err(Refused::Agent(claims.agent));
    }
    Ok(claims)
}

/// A tool call as the gateway decides and places it: the context is the
/// handle's, whole; the body gives only the tool, its arguments and the model.
#[derive(Debug, Clone)]
pub struct Call {
    pub claims: Claims,
    pub tool: String,
    pub args: serde_json::Map<String, Value>,
    pub provider: Option<String>,
}

impl Call {
    /// The request the engine decides: every context field from the handle.
    pub fn tool_request(&self) -> ToolRequest<'_> {
        tool_request(&self.claims, &self.tool, self.provider.as_deref())
    }
}

fn tool_request<'a>(claims: &'a Claims, tool: &'a str, provider: Option<&'a str>) -> ToolRequest<'a> {
    ToolRequest {
        agent: &claims.agent,
        tool,
        provider,
        session: Some(&claims.session),
        subagent: claims.subagent,
        owner: claims.owner,
        sender: Some(claims.sender.as_str()).filter(|s| !s.is_empty()),
    }
}

/// Reads a `/v1/tools/invoke` body and opens its handle for `principal`.
/// The body's fields are `handle`, `tool`, `args` and `provider` only: one
/// that names an agent, a session, a sender or owner-ness is refused.
pub fn open_call(key: &HandleKey, principal: &Principal, body: &str, now_ms: u64) -> Result<Call, Refused> {
    #[cfg(feature = "seams")]
    if palisade::seams::active(palisade::seams::Bug::ClientOverridesHandle) {
        return open_call_with_overrides(key, principal, body, now_ms);
    }
    let request: InvokeRequest = serde_json::from_str(body).map_err(|e| Refused::BadRequest(e.to_string()))?;
    let claims = open_handle(key, principal, &request.handle, now_ms)?;
    Ok(Call { claims, tool: request.tool, args: request.args, provider: request.provider })
}

/// The claim-13 model's injected bug: the old API's context fields, when a
/// client sends them, override the handle's.
#[cfg(feature = "seams")]
fn open_call_with_overrides(key: &HandleKey, principal: &Principal, body: &str, now_ms: u64) -> Result<Call, Refused> {
    let mut value: Value = serde_json::from_str(body).map_err(|e| Refused::BadRequest(e.to_string()))?;
    let mut overrides = serde_json::Map::new();
    if let Some(map) = value.as_object_mut() {
        for field in ["agent", "session", "sender", "owner"] {
            if let Some(v) = map.remove(field) {
                overrides.insert(field.into(), v);
            }
        }
    }
    let request: InvokeRequest = serde_json::from_value(value).map_err(|e| Refused::BadRequest(e.to_string()))?;
    let mut claims = open_handle(key, principal, &request.handle, now_ms)?;
    let text = |field: &str| overrides.get(field).and_then(Value::as_str).map(str::to_string);
    claims.agent = text("agent").unwrap_or(claims.agent);
    claims.session = text("session").unwrap_or(claims.session);
    claims.sender = text("sender").unwrap_or(claims.sender);
    claims.owner = overrides.get("owner").and_then(Value::as_bool).unwrap_or(claims.owner);
    Ok(Call { claims, tool: request.tool, args: request.args, provider: request.provider })
}

/// The answer that hands out a handle (with the gate's decision, for `/v1/ingress`).
fn mint(state: &AppState, claims: &Claims, gate: Option<Value>) -> Response {
    match state.handle_key.mint(claims) {
        Some(handle) => Json(json!({
            "gate": gate,
            "handle": handle,
            "expires_in_s": claims.expires_ms.saturating_sub(store::now_ms()) / 1000,
            "session": {"agent": claims.agent, "session_key": claims.session, "sender": claims.sender, "owner": claims.owner, "subagent": claims.subagent},
        }))
        .into_response(),
        None => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "handle_too_long",
            format!("the session's ids are too long to seal into a handle (at most {} bytes)", super::handles::HANDLE_CAP),
        ),
    }
}

/// Gates an inbound message with the gateway's own pairing state, routes it,
/// and returns a handle for the session it belongs to.
pub(super) async fn ingress(
    State(state): State<Arc<AppState>>,
    Extension(principal): Extension<Principal>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonBody(mut inbound): JsonBody<palisade::wire::OwnedInbound>,
) -> Response {
    let engine = state.policy.view().engine();
    let peer_key = pairing::peer(&inbound.channel, inbound.account.as_deref(), &inbound.sender);
    inbound.paired = match with_store(&state.store, move |s| s.pairing_is_approved(&peer_key)).await {
        Ok(paired) => paired,
        Err(answer) => return answer,
    };
    let (outcome, gate) = inbound.with_inbound(|i| {
        let d = engine.gate(i);
        (d.outcome, json!(palisade::wire::GateJson::from(&d)))
    });
    state.audit.record(json!({"event": "ingress", "client": client_ip(peer).to_string(), "principal": principal.id,
        "channel": inbound.channel, "sender": inbound.sender, "outcome": outcome.name()}));
    if outcome != IngressOutcome::Accept {
        return Json(json!({"gate": gate})).into_response();
    }
    let routed = inbound.with_inbound(|i| engine.route(i).map(|r| (r.agent.to_string(), r.session_key)));
    let (agent, session) = match routed {
        Ok(route) => route,
        Err(e) => return error(StatusCode::UNPROCESSABLE_ENTITY, "bad_inbound", e.to_string()),
    };
    if !principal.acts_for(&agent) {
        return error(StatusCode::FORBIDDEN, "agent_not_permitted", format!("this credential may not act for agent `{agent}`"));
    }
    let channel = inbound.channel.trim().to_lowercase();
    let sender = format!("{channel}:{}", inbound.sender.trim());
    let chat_id = inbound.with_inbound(|i| i.chat_id.to_string());
    let claims = Claims {
        principal: principal.id.clone(),
        owner: engine.is_owner_sender(&sender),
        agent,
        session,
        channel,
        account: inbound.account.clone(),
        sender,
        chat: format!("{:?}", inbound.chat).to_lowercase(),
        chat_id,
        subagent: false,
        expires_ms: expires(store::now_ms(), HANDLE_TTL),
    };
    mint(&state, &claims, Some(gate))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OpenSession {
    agent: String,
    #[serde(default)]
    session: Option<String>,
    #[serde(default)]
    sender: Option<String>,
    #[serde(default)]
    owner: bool,
    #[serde(default)]
    subagent: bool,
}

/// Operator only: a handle for any agent and session, for administration
/// and tests. Fields left out are the least privileged values, except the
/// session, which defaults to the agent's main one.
pub(super) async fn open_session(
    State(state): State<Arc<AppState>>,
    Extension(principal): Extension<Principal>,
    JsonBody(open): JsonBody<OpenSession>,
) -> Response {
    let engine = state.policy.view().engine();
    let agent = open.agent.trim().to_lowercase();
    let Some(main) = engine.main_session(&agent) else {
        return error(StatusCode::NOT_FOUND, "unknown_agent", format!("unknown agent `{}`", open.agent));
    };
    let session = open.session.unwrap_or_else(|| main.to_string());
    let claims = Claims {
        principal: principal.id.clone(),
        agent,
        session,
        channel: String::new(),
        account: None,
        sender: open.sender.unwrap_or_default(),
        owner: open.owner,
        chat: "direct".into(),
        chat_id: String::new(),
        subagent: open.subagent,
        expires_ms: expires(store::now_ms(), HANDLE_TTL),
    };
    mint(&state, &claims, None)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Spawn {
    handle: String,
}

/// A sub-agent's handle, derived from its parent's: same agent, sender and
/// owner-ness, a session of its own (`agent:<id>:subagent:<n>`), marked a sub-agent.
pub(super) async fn spawn(
    State(state): State<Arc<AppState>>,
    Extension(principal): Extension<Principal>,
    JsonBody(body): JsonBody<Spawn>,
) -> Response {
    let parent = match open_handle(&state.handle_key, &principal, &body.handle, store::now_ms()) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let mut n = [0u8; 6];
    if let Err(e) = pairing::random(&mut n) {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "random", e.to_string());
    }
    let session = palisade::subagent_session_key(&parent.agent, &super::devices::hex(&n));
    mint(&state, &Claims { session, subagent: true, expires_ms: expires(store::now_ms(), HANDLE_TTL), ..parent }, None)
}

/// SHA-256 over agent, session and command: a node approval is bound to all three.
pub fn node_digest(agent: &str, session: &str, command: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in ["palisade-node-approval:v1", &agent.trim().to_lowercase(), session, command] {
        h.update(part.as_bytes());
        h.update(b"\n");
    }
    super::devices::hex(&h.finalize())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NodeApproval {
    pub(super) request_id: String,
    pub(super) command: String,
    pub(super) agent: String,
    pub(super) session: String,
}

/// An approval names one request id, and the exact command, agent and
/// session it allows; it expires after [`NODE_APPROVAL_TTL`].
pub(super) async fn node_approve(State(state): State<Arc<AppState>>, JsonBody(approval): JsonBody<NodeApproval>) -> Response {
    if approval.request_id.trim().is_empty() {
        return error(StatusCode::BAD_REQUEST, "bad_request", "empty request_id");
    }
    let digest = node_digest(&approval.agent, &approval.session, &approval.command);
    let id = approval.request_id.trim().to_string();
    let approved = id.clone();
    match with_store(&state.store, move |s| s.node_approve(&id, &digest, store::now_ms())).await {
        Ok(()) => Json(json!({"approved": approved, "expires_in_s": NODE_APPROVAL_TTL.as_secs()})).into_response(),
        Err(answer) => answer,
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NodeRun {
    pub(super) request_id: String,
    pub(super) handle: String,
    pub(super) command: String,
}

/// Runs a node command: its approval is consumed first (single use, bound
/// to the handle's agent and session), then the command goes through the
/// same decision and sandbox as `exec`.
pub(super) async fn node_run(
    State(state): State<Arc<AppState>>,
    Extension(principal): Extension<Principal>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonBody(run): JsonBody<NodeRun>,
) -> Response {
    let claims = match open_handle(&state.handle_key, &principal, &run.handle, store::now_ms()) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let digest = node_digest(&claims.agent, &claims.session, &run.command);
    let id = run.request_id.trim().to_string();
    match with_store(&state.store, move |s| s.node_consume(&id, &digest, store::now_ms(), NODE_APPROVAL_TTL)).await {
        Ok(Ok(())) => {}
        Ok(Err(refusal)) => return refused(refusal),
        Err(answer) => return answer,
    }
    let mut args = serde_json::Map::new();
    args.insert("command".into(), Value::String(run.command));
    run_invoke(&state, &principal, &Call { claims, tool: "exec".into(), args, provider: None }, peer).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct InvokeRequest {
    pub(super) handle: String,
    pub(super) tool: String,
    #[serde(default)]
    pub(super) args: serde_json::Map<String, Value>,
    /// The model the runtime is using; left out, the call is decided as
    /// strictly as any provider the policy names.
    #[serde(default)]
    pub(super) provider: Option<String>,
}

pub(super) async fn invoke(
    State(state): State<Arc<AppState>>,
    Extension(principal): Extension<Principal>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    TimedBody(body): TimedBody,
) -> Response {
    let call = match open_call(&state.handle_key, &principal, &body, store::now_ms()) {
        Ok(call) => call,
        Err(r) => return r.into_response(),
    };
    run_invoke(&state, &principal, &call, peer).await
}

/// Decide, then run: 403 with the decision when denied. Every field of the
/// context comes from the handle.
async fn run_invoke(state: &AppState, principal: &Principal, call: &Call, peer: SocketAddr) -> Response {
    // One view for the whole call: a reload in between cannot mix policies.
    let view = state.policy.view();
    let (agent, session, args) = (call.claims.agent.as_str(), call.claims.session.as_str(), &call.args);
    let tool_request = call.tool_request();
    if view.engine().sandbox(agent).is_none() {
        return error(StatusCode::NOT_FOUND, "unknown_agent", format!("unknown agent `{agent}` (removed by a reload?)"));
    }
    let explanation = reload::decide_call(&view, &tool_request);
    let decision = palisade::wire::ToolDecisionJson::from(&explanation);
    let mut call_id = [0u8; 8];
    if let Err(e) = pairing::random(&mut call_id) {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "random", e.to_string());
    }
    let mut entry = json!({
        "event": "tool", "call": super::devices::hex(&call_id), "client": client_ip(peer).to_string(), "principal": principal.id,
        "agent": agent, "session": session, "tool": explanation.tool,
        "command": audit::argument(args.get("command")), "path": audit::argument(args.get("path")),
        "decision": if explanation.allowed { "allow" } else { "deny" }, "reason": explanation.reason,
    });
    if !explanation.allowed {
        state.audit.record(entry);
        return (StatusCode::FORBIDDEN, Json(json!({"decision": decision}))).into_response();
    }
    let Some(reload::Placement { sandboxed, sandbox }) = reload::place_call(&view, &tool_request) else {
        return error(StatusCode::NOT_FOUND, "unknown_agent", format!("unknown agent `{agent}`"));
    };
    // The intent is on disk before anything runs: a run that kills the gateway still leaves it.
    let mut intent = entry.clone();
    if let Some(map) = intent.as_object_mut() {
        map.insert("event".into(), Value::from("tool_start"));
        map.insert("sandboxed".into(), Value::Bool(sandboxed));
    }
    if !state.audit.record_durably(intent, AUDIT_DEADLINE).await {
        return error(StatusCode::SERVICE_UNAVAILABLE, "audit_unavailable", "the call's intent could not be written to the audit log; nothing ran");
    }
    let sandbox = &sandbox;
    let tool = explanation.tool.clone();
    let arg = |name: &str| args.get(name).and_then(Value::as_str).map(str::to_string);
    let result = if sandboxed {
        let Some(sandboxes) = &state.sandboxes else {
            return error(StatusCode::SERVICE_UNAVAILABLE, "no_sandbox", "the Docker daemon is unavailable; sandboxed calls are refused");
        };
        let placement = sandbox::placement(sandbox, &state.state_dir, agent, session);
        let (name, scope) = (placement.container.clone(), placement.scope_key.clone());
        if let Err(answer) = with_store(&state.store, move |s| s.sandbox_used(&name, &scope, store::now_ms())).await {
            return answer;
        }
        run_sandboxed(sandboxes, sandbox, &placement, &tool, arg).await
    } else {
        let root = sandbox::agent_workspace(&state.state_dir, agent);
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
    config: &palisade::SandboxConfig,
    placement: &sandbox::Placement,
    tool: &str,
    arg: impl Fn(&str) -> Option<String>,
) -> Result<RunResult, ToolFailure> {
    let docker_error = |e: sandbox::SandboxError| match e {
        sandbox::SandboxError::Full(_) => (StatusCode::SERVICE_UNAVAILABLE, "sandbox_cap", e.to_string()),
        e => (StatusCode::BAD_GATEWAY, "sandbox", e.to_string()),
    };
    match tool {
        "exec" => {
            let Some(command) = arg("command") else { return Err((StatusCode::BAD_REQUEST, "bad_args", "`exec` needs args.command".into())) };
            let container = sandboxes.ensure(config, placement).await.map_err(docker_error)?;
            sandboxes.exec(&container, &config.docker.user, &command).await.map_err(docker_error)
        }
        "read" | "write" => {
            let container = sandboxes.ensure(config, placement).await.map_err(docker_error)?;
            match &placement.workspace {
                // A shared host directory: the descriptor walk beneath it.
                Some(dir) => file_tool(dir, tool, placement.read_only, arg).await,
                // The container's own tmpfs: the file tool runs inside, as the sandbox.
                None => {
                    let Some(path) = arg("path") else { return Err((StatusCode::BAD_REQUEST, "bad_args", format!("`{tool}` needs args.path"))) };
                    let done = if tool == "read" {
                        sandboxes.read_file(&container, &config.docker.user, &path).await
                    } else {
                        sandboxes.write_file(&container, &config.docker.user, &path, &arg("content").unwrap_or_default()).await
                    };
                    workspace_result(done.map_err(docker_error)?)
                }
            }
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
