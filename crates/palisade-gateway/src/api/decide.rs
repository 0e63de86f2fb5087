//! `/v1/decide`: a decision for any request of the wire format.

use std::sync::Arc;

use axum::extract::State;

use crate::listener::Peer;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::{error, with_store, TimedBody};
use crate::principals::Principal;
use crate::{pairing, AppState};

pub(super) async fn decide(
    State(state): State<Arc<AppState>>,
    Extension(principal): Extension<Principal>,
    Extension(peer): Extension<Peer>,
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
            state.audit.record(json!({"event": "decide", "client": peer.audit_name(), "principal": principal.id, "request": summary(&request), "decision": decision}));
            Json(decision).into_response()
        }
        Err(e) => error(StatusCode::BAD_REQUEST, "bad_request", e),
    }
}
/// What a decide request asked, without free text.
pub(super) fn summary(request: &palisade::wire::AnyRequest) -> Value {
    match request {
        palisade::wire::AnyRequest::Tool(t) => json!({"kind": "tool", "agent": t.agent, "tool": t.tool, "session": t.session}),
        palisade::wire::AnyRequest::Ingress(i) => json!({"kind": "ingress", "channel": i.channel, "chat_id": i.chat_id, "sender": i.sender}),
        palisade::wire::AnyRequest::Route(i) => json!({"kind": "route", "channel": i.channel, "chat_id": i.chat_id, "sender": i.sender}),
    }
}
