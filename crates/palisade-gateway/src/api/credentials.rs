//! `/v1/credentials`: mint, list and revoke credentials.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::devices::ms;
use super::{error, with_store, JsonBody};
use crate::principals::Role;
use crate::{store, AppState};

/// The longest life a minted runtime credential may ask for, and its default.
pub const CREDENTIAL_MAX_TTL: Duration = Duration::from_secs(365 * 24 * 3600);
pub const CREDENTIAL_DEFAULT_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CredentialMint {
    /// Only `runtime` is minted here (device tokens come from a signed challenge).
    pub(super) role: Role,
    /// The agents it may act for; `["*"]` for all.
    pub(super) agents: Vec<String>,
    #[serde(default)]
    pub(super) ttl: Option<String>,
}
pub(super) async fn credential_mint(State(state): State<Arc<AppState>>, JsonBody(body): JsonBody<CredentialMint>) -> Response {
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
pub(super) async fn credential_list(State(state): State<Arc<AppState>>) -> Response {
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
pub(super) struct CredentialRevoke {
    pub(super) id: String,
}
pub(super) async fn credential_revoke(State(state): State<Arc<AppState>>, JsonBody(body): JsonBody<CredentialRevoke>) -> Response {
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
