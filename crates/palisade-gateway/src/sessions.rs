//! Session handles in use: what a handle-bearing call may do. Handles are
//! minted by `/v1/ingress`, `/v1/sessions/open` and `/v1/sessions/spawn`
//! (`api::sessions`) and sealed by [`super::handles`]; `/v1/tools/invoke`
//! and `/v1/nodes/run` take a handle and nothing else about their context,
//! so a client can name neither an agent, a session, a sender nor
//! owner-ness. [`open_call`] is that rule, and the claim-13 model drives it.

use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::handles::{Claims, HandleError, HandleKey};
use super::principals::Principal;
use crate::api::error;
use palisade::ToolRequest;

/// How long a handle lives; the runtime gates the next message for a new one.
pub const HANDLE_TTL: Duration = Duration::from_secs(3600);
/// How long a node-command approval may wait for its run.
pub const NODE_APPROVAL_TTL: Duration = Duration::from_secs(600);

pub(crate) fn expires(now_ms: u64, ttl: Duration) -> u64 {
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

/// Whether the policy in force still grants what a handle was minted for
/// (issue 26: no trust outlives the policy). A handle from `/v1/ingress`
/// is gated and routed again from its grounds, as a message that mentions
/// the agent (mention is a property of one message, not a standing grant),
/// with the pairing state `paired` the store has now: the gate must accept,
/// the route must give the same agent and session (a sub-agent's: its
/// parent's), and owner-ness must be the same. A handle the operator
/// opened has no grounds; its agent must still exist.
pub fn rederive(engine: &palisade::Engine, claims: &Claims, paired: bool) -> Result<(), HandleError> {
    #[cfg(feature = "seams")]
    if palisade::seams::active(palisade::seams::Bug::TrustSealedContext) {
        return Ok(());
    }
    let Some(grounds) = &claims.grounds else {
        return engine.main_session(&claims.agent).map(|_| ()).ok_or(HandleError::Stale);
    };
    let inbound = grounds.message(paired);
    let accepted = inbound.with_inbound(|i| engine.gate(i).outcome) == palisade::IngressOutcome::Accept;
    let routed = inbound.with_inbound(|i| engine.route(i).map(|r| (r.agent.to_string(), r.session_key)));
    let session = claims.parent_session.as_deref().unwrap_or(&claims.session);
    let same_route = routed.is_ok_and(|(agent, key)| agent == claims.agent && key == session);
    let same_owner = engine.is_owner_sender(&claims.sender) == claims.owner;
    if accepted && same_route && same_owner {
        Ok(())
    } else {
        Err(HandleError::Stale)
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
    /// The command decided is the one that runs: both read `args.command`.
    pub fn tool_request(&self) -> ToolRequest<'_> {
        tool_request(&self.claims, &self.tool, self.provider.as_deref()).with_args(palisade::Args::json(&self.args))
    }
}

fn tool_request<'a>(claims: &'a Claims, tool: &'a str, provider: Option<&'a str>) -> ToolRequest<'a> {
    ToolRequest::new(&claims.agent, tool)
        .with_provider(provider)
        .with_session(claims.session.as_str())
        .with_subagent(claims.subagent)
        .with_owner(claims.owner)
        .with_sender(Some(claims.sender.as_str()).filter(|s| !s.is_empty()))
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
pub struct InvokeRequest {
    pub(super) handle: String,
    pub(super) tool: String,
    #[serde(default)]
    pub(super) args: serde_json::Map<String, Value>,
    /// The model the runtime is using; left out, the call is decided as
    /// strictly as any provider the policy names.
    #[serde(default)]
    pub(super) provider: Option<String>,
}
