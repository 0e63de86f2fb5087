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

/// A file that cannot be read: tagged with the errno name Node's own `fs`
/// gives (`PALISADE_IO:ENOENT:...`), which `palisade.js` puts in `code`.
fn load_error(error: palisade::LoadError) -> Error {
    match error {
        palisade::LoadError::Policy(error) => policy_error(error),
        palisade::LoadError::Io { ref source, .. } => {
            let code = match source.kind() {
                std::io::ErrorKind::NotFound => "ENOENT",
                std::io::ErrorKind::PermissionDenied => "EACCES",
                std::io::ErrorKind::IsADirectory => "EISDIR",
                _ => "EIO",
            };
            Error::new(Status::GenericFailure, format!("PALISADE_IO:{code}:{error}"))
        }
    }
}

/// A request for an agent the policy lacks: tagged, for `UnknownAgentError`.
fn unknown_agent(agent: &str) -> Error {
    Error::new(Status::InvalidArg, format!("PALISADE_UNKNOWN_AGENT:unknown agent `{agent}`"))
}

/// Refuses a tool request for an agent the policy lacks (an error, never a
/// silent deny); other requests pass.
fn known_agent(engine: &palisade::Engine, request: &palisade::wire::AnyRequest) -> Result<()> {
    match request {
        palisade::wire::AnyRequest::Tool(tool) if engine.main_session(&tool.agent).is_none() => Err(unknown_agent(&tool.agent)),
        _ => Ok(()),
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
    pub path: Option<String>,
}

/// The compiled policy a `Policy` object and its contexts share; `replace` writes it.
type Slot = Arc<RwLock<Arc<palisade::Policy>>>;

fn read(slot: &Slot) -> Arc<palisade::Policy> {
    Arc::clone(&slot.read().unwrap_or_else(PoisonError::into_inner))
}

/// A compiled policy. `replace` swaps in another one whole.
#[napi]
pub struct Policy {
    current: Slot,
}

impl Policy {
    fn new(policy: palisade::Policy) -> Policy {
        Policy { current: Arc::new(RwLock::new(Arc::new(policy))) }
    }

    fn get(&self) -> Arc<palisade::Policy> {
        read(&self.current)
    }
}

impl ToolOptions {
    /// The request these options describe for `agent` calling `tool`; left
    /// out, a field is as strict as any value of it (`ToolRequest::new`).
    fn request<'a>(options: Option<&'a ToolOptions>, agent: &'a str, tool: &'a str) -> palisade::ToolRequest<'a> {
        let Some(o) = options else { return palisade::ToolRequest::new(agent, tool) };
        palisade::ToolRequest::new(agent, tool)
            .with_provider(o.provider.as_deref())
            .with_session(o.session.as_deref())
            .with_sender(o.sender.as_deref())
            .with_subagent(o.subagent.unwrap_or(false))
            .with_owner(o.owner.unwrap_or(false))
            .with_args(palisade::Args::named(o.command.as_deref(), o.cwd.as_deref(), o.path.as_deref()))
    }
}

/// The fields of a request that choose its context (everything but the tool).
struct ContextFields {
    agent: String,
    options: Option<ToolOptions>,
}

impl ContextFields {
    fn request(&self) -> palisade::ToolRequest<'_> {
        ToolOptions::request(self.options.as_ref(), &self.agent, "")
    }
}

/// A request's context, resolved once (per session, say) so that each tool
/// decision is one name lookup and one bit test. It follows `replace`: the
/// first decision after a swap resolves the context again under the new
/// policy (an agent the new policy lacks is denied everything).
#[napi]
pub struct Context {
    slot: Slot,
    fields: ContextFields,
    resolved: RwLock<Resolved>,
}

/// The policy a context was resolved under and the context (none: the agent
/// is unknown there).
struct Resolved {
    policy: Arc<palisade::Policy>,
    context: Option<palisade::Context>,
}

#[napi]
impl Context {
    /// A tool's outcome in this context as a number (`ToolOutcome::code`),
    /// for `palisade.js`. An `exec` call is decided without its command here,
    /// so as an opaque command wherever command rules apply.
    #[napi]
    pub fn outcome_code(&self, tool: String) -> u32 {
        u32::from(self.decide_tool(&tool).code())
    }

    /// The interned index of a tool under the current policy, or -1 when the
    /// policy never names it (then `outcome_code` decides it by name).
    #[napi]
    pub fn tool_index(&self, tool: String) -> i64 {
        let (policy, _) = self.current();
        policy.engine().tool_id(&tool).map_or(-1, |id| i64::try_from(id.index()).unwrap_or(-1))
    }

    /// This context's outcome (`ToolOutcome::code`) for every interned
    /// tool, by index: the engine's decision row, so that JavaScript decides
    /// an interned tool by indexing it, with no call per decision. It holds
    /// until the policy is replaced.
    #[napi]
    pub fn table(&self) -> Vec<u8> {
        let (policy, context) = self.current();
        policy.engine().outcome_row(context).into_iter().map(palisade::ToolOutcome::code).collect()
    }
}

impl Context {
    /// The context under the current policy, resolved again after a `replace`.
    fn current(&self) -> (Arc<palisade::Policy>, Option<palisade::Context>) {
        let current = read(&self.slot);
        {
            let resolved = self.resolved.read().unwrap_or_else(PoisonError::into_inner);
            if Arc::ptr_eq(&resolved.policy, &current) {
                return (current, resolved.context);
            }
        }
        let context = current.engine().context(&self.fields.request()).ok();
        *self.resolved.write().unwrap_or_else(PoisonError::into_inner) = Resolved { policy: Arc::clone(&current), context };
        (current, context)
    }

    fn decide_tool(&self, tool: &str) -> palisade::ToolOutcome {
        let (policy, context) = self.current();
        match context {
            Some(context) => policy.engine().outcome_name(context, tool),
            None => palisade::ToolOutcome::Deny,
        }
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

    /// Resolves a context once for many tool decisions (`context.outcome(tool)`).
    #[napi]
    pub fn context(&self, agent: String, options: Option<ToolOptions>) -> Result<Context> {
        let fields = ContextFields { agent, options };
        let policy = self.get();
        let context = policy.engine().context(&fields.request()).map_err(|_| unknown_agent(&fields.agent))?;
        Ok(Context { slot: Arc::clone(&self.current), fields, resolved: RwLock::new(Resolved { policy, context: Some(context) }) })
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
    pub fn outcome(&self, agent: String, tool: String, options: Option<ToolOptions>) -> Result<&'static str> {
        let request = ToolOptions::request(options.as_ref(), &agent, &tool);
        let policy = self.current.read().unwrap_or_else(PoisonError::into_inner);
        let outcome = policy.engine().decide_outcome(&request);
        // Only a deny can hide an unknown agent: checked there, off the allow path.
        if outcome == palisade::ToolOutcome::Deny && policy.engine().main_session(&agent).is_none() {
            return Err(unknown_agent(&agent));
        }
        Ok(outcome.name())
    }

    /// One request line as `palisade decide` reads it; its decision as it prints it.
    #[napi]
    pub fn decide_json(&self, line: String) -> Result<String> {
        let request = palisade::wire::parse(&line).map_err(bad_request)?;
        let policy = self.get();
        known_agent(policy.engine(), &request)?;
        Ok(palisade::wire::decision_json(policy.engine(), &request).to_string())
    }

    /// A tool request line; the explanation `palisade explain --format json` prints.
    #[napi]
    pub fn explain_json(&self, line: String) -> Result<String> {
        let parsed = palisade::wire::parse(&line).map_err(bad_request)?;
        let policy = self.get();
        known_agent(policy.engine(), &parsed)?;
        match parsed {
            palisade::wire::AnyRequest::Tool(request) => {
                let explanation = policy.engine().explain(&request.as_request());
                serde_json::to_string(&palisade::wire::ExplanationJson::from(&explanation)).map_err(|e| bad_request(e.to_string()))
            }
            _ => Err(bad_request("explain takes a tool request")),
        }
    }

    /// The tools an agent may call in a context, as JSON: `{"allowed", "ask", "byCommand"}`.
    #[napi]
    pub fn tools_json(&self, agent: String, options: Option<ToolOptions>) -> Result<String> {
        let request = ToolOptions::request(options.as_ref(), &agent, "");
        let policy = self.get();
        let engine = policy.engine();
        let context = engine.context(&request).map_err(|_| unknown_agent(&agent))?;
        let lists = engine.tool_lists(context);
        let by_command = lists.by_command.map(|(tool, _)| tool);
        Ok(serde_json::json!({"allowed": lists.allowed, "ask": lists.ask, "byCommand": by_command}).to_string())
    }
}
