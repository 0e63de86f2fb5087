//! `/v1/nodes`: approve and run node commands.

use std::sync::Arc;

use axum::extract::State;

use crate::listener::Peer;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{error, with_store, JsonBody};
use crate::principals::Principal;
use crate::sessions::{node_digest, Call, NODE_APPROVAL_TTL};
use crate::{store, AppState};

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
    Extension(peer): Extension<Peer>,
    JsonBody(run): JsonBody<NodeRun>,
) -> Response {
    let claims = match crate::sessions::open_handle(&state.handle_key, &principal, &run.handle, store::now_ms()) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    // A handle the policy no longer grants must not spend the approval.
    let view = state.policy.view();
    if let Err(answer) = super::sessions::still_granted(&state, &view.engine(), &claims).await {
        return answer;
    }
    let digest = node_digest(&claims.agent, &claims.session, &run.command);
    let id = run.request_id.trim().to_string();
    match with_store(&state.store, move |s| s.node_consume(&id, &digest, store::now_ms(), NODE_APPROVAL_TTL)).await {
        Ok(Ok(())) => {}
        Ok(Err(refusal)) => return super::pairing::refused(refusal),
        Err(answer) => return answer,
    }
    let mut args = serde_json::Map::new();
    args.insert("command".into(), Value::String(run.command));
    super::invoke::run_invoke(&state, view, &principal, &Call { claims, tool: "exec".into(), args, provider: None }, peer).await
}
