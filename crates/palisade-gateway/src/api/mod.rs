//! The HTTP API: the router, authentication, body parsing and the error
//! shape; one file per group of endpoints.

mod credentials;
mod decide;
mod devices;
mod invoke;
mod nodes;
mod pairing;
mod sessions;

pub use credentials::{CREDENTIAL_DEFAULT_TTL, CREDENTIAL_MAX_TTL};
pub use devices::DEVICE_TOKEN_TTL;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{json, Value};

use crate::auth::{self, Attempt, Verdict};
use crate::principals::{self, Principal, Role};
use crate::sessions::node_digest;
use crate::{audit, listener, store, AppState};

pub(crate) fn router(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/v1/decide", post(decide::decide))
        .route("/v1/ingress", post(sessions::ingress))
        .route("/v1/tools/invoke", post(invoke::invoke))
        .route("/v1/sessions/open", post(sessions::open_session))
        .route("/v1/sessions/spawn", post(sessions::spawn))
        .route("/v1/pairing", get(pairing::pairing_list))
        .route("/v1/pairing/request", post(pairing::pairing_request))
        .route("/v1/pairing/approve", post(pairing::pairing_approve))
        .route("/v1/devices", get(devices::device_list))
        .route("/v1/devices/revoke", post(devices::device_revoke))
        .route("/v1/devices/challenge", post(devices::device_challenge))
        .route("/v1/devices/connect", post(devices::device_connect))
        .route("/v1/nodes/approve", post(nodes::node_approve))
        .route("/v1/nodes/run", post(nodes::node_run))
        .route("/v1/credentials", get(credentials::credential_list).post(credentials::credential_mint))
        .route("/v1/credentials/revoke", post(credentials::credential_revoke))
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&state), authenticate));
    Router::new().route("/healthz", get(healthz)).merge(api).layer(DefaultBodyLimit::max(crate::BODY_LIMIT)).with_state(state)
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
        parse::<pairing::PairingRequest>(body).map(|r| drop(crate::pairing::peer(&r.channel, r.account.as_deref(), &r.sender))),
        parse::<pairing::PairingApproval>(body).map(drop),
        parse::<devices::DeviceConnect>(body).map(|r| drop(r.device_id.trim().to_ascii_lowercase())),
        parse::<nodes::NodeApproval>(body).map(|r| drop(node_digest(&r.agent, &r.session, &r.command))),
        parse::<nodes::NodeRun>(body).map(drop),
        parse::<crate::sessions::InvokeRequest>(body).map(drop),
        parse::<sessions::OpenSession>(body).map(drop),
        parse::<sessions::Spawn>(body).map(drop),
        parse::<credentials::CredentialMint>(body).map(|r| {
            let _ = r.ttl.as_deref().map(palisade::unstable::settings::parse_duration);
        }),
        parse::<credentials::CredentialRevoke>(body).map(drop),
        parse::<devices::DeviceRevoke>(body).map(drop),
    ]
}
pub(crate) fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": {"code": code, "message": message.into()}}))).into_response()
}
/// A request body parsed as `T` (strict: unknown fields are refused).
/// Anything else is answered 400 `bad_request` in the API's error shape;
/// a body over `BODY_LIMIT` keeps axum's 413.
pub(crate) struct JsonBody<T>(T);
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
pub(crate) async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}
/// Who is calling: the operator secret (compared in constant time), else a
/// live minted credential; failures counted per address. Then the role
/// must be allowed on the endpoint ([`principals::Role::may`]); the
/// principal goes to the handler as an extension.
pub(crate) async fn authenticate(
    State(state): State<Arc<AppState>>,
    Extension(peer): Extension<listener::Peer>,
    mut request: Request,
    next: Next,
) -> Response {
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
    let principal = match state.limiter.attempt(peer.failure_key(), attempt, Instant::now()) {
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
    // No role can spend the audit room a tool run needs for its intent.
    let room = if matches!(request.uri().path(), "/v1/tools/invoke" | "/v1/nodes/run") { audit::Room::Tool } else { audit::Room::Other };
    if !state.audit.has_room(room) {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            if room == audit::Room::Tool { "audit_unavailable" } else { "audit_full" },
            "the audit log has reached its budget; the operator archives its segments (`audit.jsonl.*`) out of the state directory",
        );
    }
    request.extensions_mut().insert(principal);
    next.run(request).await
}
/// Longest a store call may take before the request gets 503.
const STORE_DEADLINE: Duration = Duration::from_secs(5);

/// Runs a store call off the async workers (SQLite blocks, and waits up to
/// its busy timeout while another process writes), with a deadline.
pub(crate) async fn with_store<T: Send + 'static>(
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
