//! `/v1/pairing`: request, approve and list pairing codes.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{error, with_store, JsonBody};
use crate::{pairing, store, AppState};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PairingRequest {
    pub(super) channel: String,
    #[serde(default)]
    pub(super) account: Option<String>,
    pub(super) sender: String,
}
pub(super) fn refused(refusal: store::Refusal) -> Response {
    let status = match refusal {
        store::Refusal::UnknownCode => StatusCode::NOT_FOUND,
        store::Refusal::NoApproval | store::Refusal::ApprovalMismatch => StatusCode::FORBIDDEN,
        _ => StatusCode::CONFLICT,
    };
    (status, Json(json!({"error": {"code": refusal, "message": refusal.message()}}))).into_response()
}
pub(super) async fn pairing_request(State(state): State<Arc<AppState>>, JsonBody(request): JsonBody<PairingRequest>) -> Response {
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
pub(super) struct PairingApproval {
    pub(super) channel: String,
    pub(super) code: String,
}
pub(super) async fn pairing_approve(State(state): State<Arc<AppState>>, JsonBody(approval): JsonBody<PairingApproval>) -> Response {
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
pub(super) async fn pairing_list(State(state): State<Arc<AppState>>) -> Response {
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
