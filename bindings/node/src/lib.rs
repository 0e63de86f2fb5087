//! The native half of the `palisade` Node package. One compiled policy sits
//! behind a lock so that `replace` swaps a whole policy at once; decisions
//! are synchronous calls into the Rust engine (no event-loop hop). The
//! structured answers (decisions with reasons, explanations, diagnostics)
//! cross as the JSON `palisade decide` prints, one wire format for every
//! binding; `palisade.js` turns them into objects and errors.

use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};

use napi::{Error, Result, Status};
use napi_derive::napi;

/// A policy that does not compile: the message is the diagnostics as JSON,
/// which `palisade.js` turns into a `PolicyError`.
fn policy_error(error: palisade::PolicyError) -> Error {
    let diagnostics = serde_json::Value::Array(error.diagnostics.iter().map(palisade::Diagnostic::to_json).collect());
    Error::new(Status::InvalidArg, format!("PALISADE_POLICY_ERROR{diagnostics}"))
}

fn load_error(error: palisade::LoadError) -> Error {
    match error {
        palisade::LoadError::Policy(error) => policy_error(error),
        other => Error::new(Status::GenericFailure, other.to_string()),
    }
}

fn bad_request(message: impl Into<String>) -> Error {
    Error::new(Status::InvalidArg, message.into())
}

/// The optional fields of a tool request.
#[napi(object)]
pub struct ToolOptions {
    pub provider: Option<String>,
    pub session: Option<String>,
    pub sender: Option<String>,
    pub subagent: Option<bool>,
    pub owner: Option<bool>,
    pub command: Option<String>,
    pub cwd: Option<String>,
}

/// A compiled policy. `replace` swaps in another one whole.
#[napi]
pub struct Policy {
    current: RwLock<Arc<palisade::Policy>>,
}

impl Policy {
    fn new(policy: palisade::Policy) -> Policy {
        Policy { current: RwLock::new(Arc::new(policy)) }
    }

    fn get(&self) -> Arc<palisade::Policy> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }
}

#[napi]
impl Policy {
    /// Compiles DSL text.
    #[napi(factory)]
    pub fn from_dsl(text: String, name: Option<String>) -> Result<Policy> {
        palisade::Policy::from_dsl(name.as_deref().unwrap_or("policy.pal"), &text).map(Policy::new).map_err(policy_error)
    }

    /// Compiles an OpenClaw JSON configuration, with its exec-approvals file's text when given.
    #[napi(factory)]
    pub fn from_openclaw_json(text: String, name: Option<String>, exec_approvals: Option<String>) -> Result<Policy> {
        let name = name.as_deref().unwrap_or("openclaw.json");
        let policy = match exec_approvals {
            Some(approvals) => palisade::Policy::from_openclaw_json_with_approvals(name, &text, "exec-approvals.json", &approvals),
            None => palisade::Policy::from_openclaw_json(name, &text),
        };
        policy.map(Policy::new).map_err(policy_error)
    }

    /// Reads a file: `.json` is an OpenClaw configuration, anything else DSL.
    #[napi(factory)]
    pub fn load(path: String) -> Result<Policy> {
        palisade::Policy::load(Path::new(&path)).map(Policy::new).map_err(load_error)
    }

    /// Swaps in `other`'s policy, whole.
    #[napi]
    pub fn replace(&self, other: &Policy) {
        let next = other.get();
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = next;
    }

    /// The warnings, as JSON.
    #[napi]
    pub fn warnings_json(&self) -> String {
        serde_json::Value::Array(self.get().warnings().iter().map(palisade::Diagnostic::to_json).collect()).to_string()
    }

    /// Agent ids in definition order.
    #[napi]
    pub fn agents(&self) -> Vec<String> {
        self.get().engine().agent_ids().map(str::to_string).collect()
    }

    /// `allow`, `ask` or `deny`: the fast path, no reason built.
    #[napi]
    pub fn outcome(&self, agent: String, tool: String, options: Option<ToolOptions>) -> &'static str {
        let o = options.as_ref();
        let field = |f: fn(&ToolOptions) -> &Option<String>| o.and_then(|o| f(o).as_deref());
        let request = palisade::ToolRequest {
            agent: &agent,
            tool: &tool,
            provider: field(|o| &o.provider),
            session: field(|o| &o.session),
            sender: field(|o| &o.sender),
            subagent: o.and_then(|o| o.subagent).unwrap_or(false),
            owner: o.and_then(|o| o.owner).unwrap_or(false),
            command: field(|o| &o.command),
            cwd: field(|o| &o.cwd),
        };
        let policy = self.current.read().unwrap_or_else(PoisonError::into_inner);
        policy.engine().decide_outcome(&request).name()
    }

    /// One request line as `palisade decide` reads it; its decision as it prints it.
    #[napi]
    pub fn decide_json(&self, line: String) -> Result<String> {
        let request = palisade::wire::parse(&line).map_err(bad_request)?;
        Ok(palisade::wire::decision_json(self.get().engine(), &request).to_string())
    }

    /// A tool request line; the explanation `palisade explain --format json` prints.
    #[napi]
    pub fn explain_json(&self, line: String) -> Result<String> {
        match palisade::wire::parse(&line).map_err(bad_request)? {
            palisade::wire::AnyRequest::Tool(request) => {
                let policy = self.get();
                let explanation = policy.engine().explain(&request.as_request());
                serde_json::to_string(&palisade::wire::ExplanationJson::from(&explanation)).map_err(|e| bad_request(e.to_string()))
            }
            _ => Err(bad_request("explain takes a tool request")),
        }
    }

    /// The tools an agent may call in a context, as JSON: `{"allowed", "ask", "byCommand"}`.
    #[napi]
    pub fn tools_json(&self, agent: String, options: Option<ToolOptions>) -> Result<String> {
        let o = options.as_ref();
        let field = |f: fn(&ToolOptions) -> &Option<String>| o.and_then(|o| f(o).as_deref());
        let request = palisade::ToolRequest {
            provider: field(|o| &o.provider),
            session: field(|o| &o.session),
            sender: field(|o| &o.sender),
            subagent: o.and_then(|o| o.subagent).unwrap_or(false),
            owner: o.and_then(|o| o.owner).unwrap_or(false),
            ..palisade::ToolRequest::new(&agent, "")
        };
        let policy = self.get();
        let engine = policy.engine();
        let context = engine.context(&request).map_err(|e| bad_request(e.to_string()))?;
        let by_command = engine.command_tool(context).map(|(tool, _)| tool.to_string());
        let other = |name: &&str| by_command.as_deref() != Some(*name);
        let allowed: Vec<&str> = engine.effective_tools(context).into_iter().filter(other).collect();
        let ask: Vec<&str> = engine.ask_tools(context).into_iter().filter(other).collect();
        Ok(serde_json::json!({"allowed": allowed, "ask": ask, "byCommand": by_command}).to_string())
    }
}
