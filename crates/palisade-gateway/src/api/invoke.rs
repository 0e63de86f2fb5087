//! `/v1/tools/invoke`: decide a call under its session handle and run it,
//! sandboxed or on the host.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;

use crate::listener::Peer;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::{error, with_store, TimedBody};
use crate::principals::Principal;
use crate::sandbox::{self, RunResult, Sandboxes};
use crate::sessions::Call;
use crate::{audit, host, pairing, reload, store, workspace, AppState};

/// Longest wait for a call's intent to reach the audit log before refusing to run it.
const AUDIT_DEADLINE: Duration = Duration::from_secs(5);

pub(super) async fn invoke(
    State(state): State<Arc<AppState>>,
    Extension(principal): Extension<Principal>,
    Extension(peer): Extension<Peer>,
    TimedBody(body): TimedBody,
) -> Response {
    let call = match crate::sessions::open_call(&state.handle_key, &principal, &body, store::now_ms()) {
        Ok(call) => call,
        Err(r) => return r.into_response(),
    };
    // One view for the whole call: a reload in between cannot mix policies.
    let view = state.policy.view();
    if let Err(answer) = super::sessions::still_granted(&state, &view.engine(), &call.claims).await {
        return answer;
    }
    run_invoke(&state, view, &principal, &call, peer).await
}
/// Decide, then run: 403 with the decision when denied. Every field of the
/// context comes from the handle.
/// `view` is the policy the call's handle was re-derived under
/// (`sessions::still_granted`): the whole call is decided by it.
pub(super) async fn run_invoke(state: &AppState, view: reload::PolicyView<'_>, principal: &Principal, call: &Call, peer: Peer) -> Response {
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
        "event": "tool", "call": crate::devices::hex(&call_id), "client": peer.audit_name(), "principal": principal.id,
        "agent": agent, "session": session, "tool": explanation.tool,
        "command": audit::argument(args.get("command")), "path": audit::argument(args.get("path")),
        "decision": explanation.outcome.name(), "reason": explanation.reason,
    });
    match explanation.outcome {
        palisade::ToolOutcome::Allow => {}
        palisade::ToolOutcome::Deny => {
            state.audit.record(entry);
            return (StatusCode::FORBIDDEN, Json(json!({"decision": decision}))).into_response();
        }
        // Nothing runs without the approval; approving is a later feature, so
        // the runtime is told plainly that a person must approve this call.
        palisade::ToolOutcome::Ask => {
            state.audit.record(entry);
            let error = json!({"code": "approval_required", "message": "the policy asks a person to approve this call; nothing ran"});
            return (StatusCode::FORBIDDEN, Json(json!({"decision": decision, "error": error}))).into_response();
        }
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
        let dirs = sandbox::host_dirs(sandbox, &state.state_dir, agent);
        run_on_host(&state.reaper, &dirs, &tool, arg, state.timeout).await
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
pub(super) fn workspace_result(result: Result<String, workspace::PathError>) -> Result<RunResult, ToolFailure> {
    match result {
        Ok(stdout) => Ok(RunResult { exit_code: 0, stdout, stderr: String::new(), truncated: false, timed_out: false }),
        Err(e @ workspace::PathError::Io(_)) => Err((StatusCode::UNPROCESSABLE_ENTITY, "io", e.to_string())),
        Err(e @ workspace::PathError::NotRegular(_)) => Err((StatusCode::UNPROCESSABLE_ENTITY, "not_regular", e.to_string())),
        Err(e @ workspace::PathError::TooLarge(_)) => Err((StatusCode::UNPROCESSABLE_ENTITY, "too_large", e.to_string())),
        Err(e) => Err((StatusCode::FORBIDDEN, "path_refused", e.to_string())),
    }
}
/// Longest a file tool may take; the blocking work runs off the async workers.
pub(super) const FILE_TOOL_DEADLINE: Duration = Duration::from_secs(10);
pub(super) async fn file_tool(
    root: &std::path::Path,
    tool: &str,
    read_only: bool,
    arg: impl Fn(&str) -> Option<String>,
) -> Result<RunResult, ToolFailure> {
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
pub(super) async fn run_sandboxed(
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
        other => Err((
            StatusCode::NOT_IMPLEMENTED,
            "not_runnable",
            format!("the gateway does not run `{other}` (it runs {})", crate::RUNNABLE_TOOLS.join(", ")),
        )),
    }
}
pub(super) async fn run_on_host(
    reaper: &Arc<host::Reaper>,
    dirs: &sandbox::HostDirs,
    tool: &str,
    arg: impl Fn(&str) -> Option<String>,
    timeout: Duration,
) -> Result<RunResult, ToolFailure> {
    for dir in [&dirs.cwd, &dirs.home] {
        if let Err(e) = std::fs::create_dir_all(dir) {
            return Err((StatusCode::INTERNAL_SERVER_ERROR, "workspace", e.to_string()));
        }
    }
    match tool {
        "exec" => {
            let Some(command) = arg("command") else { return Err((StatusCode::BAD_REQUEST, "bad_args", "`exec` needs args.command".into())) };
            host::run(reaper, dirs, &command, timeout).await.map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, "spawn", e.to_string()))
        }
        "read" | "write" => file_tool(&dirs.cwd, tool, false, arg).await,
        other => Err((
            StatusCode::NOT_IMPLEMENTED,
            "not_runnable",
            format!("the gateway does not run `{other}` (it runs {})", crate::RUNNABLE_TOOLS.join(", ")),
        )),
    }
}
