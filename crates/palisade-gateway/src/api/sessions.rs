//! `/v1/ingress`, `/v1/sessions/open`, `/v1/sessions/spawn`: session handles
//! minted by the gateway.

use std::sync::Arc;

use axum::extract::State;

use crate::listener::Peer;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{error, with_store, JsonBody};
use crate::handles::{Claims, Grounds};
use crate::principals::Principal;
use crate::{pairing, store, AppState};
use palisade::IngressOutcome;

/// The answer that hands out a handle (with the gate's decision, for `/v1/ingress`).
pub(super) fn mint(state: &AppState, claims: &Claims, gate: Option<Value>) -> Response {
    match state.handle_key.mint(claims) {
        Some(handle) => Json(json!({
            "gate": gate,
            "handle": handle,
            // To the nearest second: a handle minted for an hour says 3600, not 3599.
            "expires_in_s": claims.expires_ms.saturating_sub(store::now_ms()).saturating_add(500) / 1000,
            "session": {"agent": claims.agent, "session_key": claims.session, "sender": claims.sender, "owner": claims.owner, "subagent": claims.subagent},
        }))
        .into_response(),
        None => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "handle_too_long",
            format!("the session's ids are too long to seal into a handle (at most {} bytes)", crate::handles::HANDLE_CAP),
        ),
    }
}
/// Gates an inbound message with the gateway's own pairing state, routes it,
/// and returns a handle for the session it belongs to.
pub(super) async fn ingress(
    State(state): State<Arc<AppState>>,
    Extension(principal): Extension<Principal>,
    Extension(peer): Extension<Peer>,
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
    state.audit.record(json!({"event": "ingress", "client": peer.audit_name(), "principal": principal.id,
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
    let grounds = Grounds::of(&inbound);
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
        expires_ms: crate::sessions::expires(store::now_ms(), crate::HANDLE_TTL),
        grounds: Some(grounds),
        parent_session: None,
    };
    mint(&state, &claims, Some(gate))
}
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OpenSession {
    pub(super) agent: String,
    #[serde(default)]
    pub(super) session: Option<String>,
    #[serde(default)]
    pub(super) sender: Option<String>,
    #[serde(default)]
    pub(super) owner: bool,
    #[serde(default)]
    pub(super) subagent: bool,
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
        expires_ms: crate::sessions::expires(store::now_ms(), crate::HANDLE_TTL),
        grounds: None,
        parent_session: None,
    };
    mint(&state, &claims, None)
}
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Spawn {
    pub(super) handle: String,
}
/// A sub-agent's handle, derived from its parent's: same agent, sender and
/// owner-ness, a session of its own (`agent:<id>:subagent:<n>`), marked a
/// sub-agent, and never a later expiry than the parent's (spawning again
/// before each expiry must not renew a handle forever).
pub(super) async fn spawn(
    State(state): State<Arc<AppState>>,
    Extension(principal): Extension<Principal>,
    JsonBody(body): JsonBody<Spawn>,
) -> Response {
    let parent = match crate::sessions::open_handle(&state.handle_key, &principal, &body.handle, store::now_ms()) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    if let Err(answer) = still_granted(&state, &state.policy.view().engine(), &parent).await {
        return answer;
    }
    let mut n = [0u8; 6];
    if let Err(e) = pairing::random(&mut n) {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "random", e.to_string());
    }
    let session = palisade::subagent_session_key(&parent.agent, &crate::devices::hex(&n));
    let expires_ms = parent.expires_ms.min(crate::sessions::expires(store::now_ms(), crate::HANDLE_TTL));
    let parent_session = parent.parent_session.clone().or_else(|| Some(parent.session.clone()));
    mint(&state, &Claims { session, subagent: true, expires_ms, parent_session, ..parent }, None)
}

/// Refuses a handle the policy in force no longer grants (401
/// `handle_stale`): [`crate::sessions::rederive`], with the pairing state
/// the store has now.
pub(super) async fn still_granted(state: &AppState, engine: &palisade::Engine, claims: &Claims) -> Result<(), Response> {
    let paired = match &claims.grounds {
        Some(g) => {
            let peer = pairing::peer(&g.channel, g.account.as_deref(), &g.sender);
            with_store(&state.store, move |s| s.pairing_is_approved(&peer)).await?
        }
        None => false,
    };
    crate::sessions::rederive(engine, claims, paired).map_err(|e| crate::sessions::Refused::Handle(e).into_response())
}
