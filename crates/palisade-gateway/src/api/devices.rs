//! `/v1/devices`: challenge, connect, list and revoke devices.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{error, with_store, JsonBody};
use crate::principals::Role;
use crate::{devices, pairing, store, AppState};

pub(super) async fn device_challenge(State(state): State<Arc<AppState>>) -> Response {
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
pub(super) struct DeviceConnect {
    pub(super) device_id: String,
    pub(super) public_key: String,
    pub(super) signature: String,
    #[serde(default)]
    pub(super) nonce: String,
    pub(super) signed_at: u64,
}
pub(super) async fn device_connect(State(state): State<Arc<AppState>>, JsonBody(request): JsonBody<DeviceConnect>) -> Response {
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
pub(super) fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
pub(super) async fn device_list(State(state): State<Arc<AppState>>) -> Response {
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
pub(super) struct DeviceRevoke {
    pub(super) device_id: String,
}
/// Forgets a device and revokes every token it holds.
pub(super) async fn device_revoke(State(state): State<Arc<AppState>>, JsonBody(body): JsonBody<DeviceRevoke>) -> Response {
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
