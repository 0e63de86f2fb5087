//! The native half of the `palisade` Python package. It keeps one
//! compiled policy behind a lock so that `replace` swaps a whole policy at
//! once; decisions are synchronous calls into the Rust engine. The
//! structured parts (decisions with reasons, explanations, diagnostics)
//! cross as the JSON that `palisade decide` prints, one wire format for
//! every binding; the Python half turns it into objects.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;

pyo3::create_exception!(_native, NativePolicyError, PyException, "A policy that does not compile: (summary, diagnostics as JSON).");
pyo3::create_exception!(_native, UnknownAgentError, PyValueError, "A request for an agent the policy does not define.");

fn unknown_agent(agent: &str) -> PyErr {
    UnknownAgentError::new_err(format!("unknown agent `{agent}`"))
}

/// Refuses a tool request for an agent the policy lacks (an error, never a
/// silent deny); other requests pass.
fn known_agent(engine: &palisade::Engine, request: &palisade::wire::AnyRequest) -> PyResult<()> {
    match request {
        palisade::wire::AnyRequest::Tool(tool) if engine.main_session(&tool.agent).is_none() => Err(unknown_agent(&tool.agent)),
        _ => Ok(()),
    }
}

/// Errors and warnings as the JSON list `palisade check --format json` prints.
fn diagnostics_json(diagnostics: &[palisade::Diagnostic]) -> String {
    serde_json::Value::Array(diagnostics.iter().map(palisade::Diagnostic::to_json).collect()).to_string()
}

fn policy_error(error: palisade::PolicyError) -> PyErr {
    let errors = error.errors().count();
    NativePolicyError::new_err((format!("the policy has {errors} error(s)"), diagnostics_json(&error.diagnostics)))
}

fn load_error(error: palisade::LoadError) -> PyErr {
    use pyo3::exceptions::{PyFileNotFoundError, PyIsADirectoryError, PyOSError, PyPermissionError};
    match error {
        palisade::LoadError::Policy(error) => policy_error(error),
        // A file that cannot be read is the OSError Python's own `open` raises.
        palisade::LoadError::Io { ref source, .. } => {
            let message = error.to_string();
            match source.kind() {
                std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(message),
                std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(message),
                std::io::ErrorKind::IsADirectory => PyIsADirectoryError::new_err(message),
                _ => PyOSError::new_err(message),
            }
        }
    }
}

/// A compiled policy. `replace` swaps in another one whole: a decision
/// sees the old policy or the new, never a mix.
#[pyclass(frozen, module = "palisade._native")]
struct Policy {
    current: RwLock<Arc<palisade::Policy>>,
    /// Which policy the slot holds: a new number for every `replace`, taken
    /// with the policy under the same lock, so that a context's decision row
    /// and its tool indexes are known to come from one policy.
    serial: AtomicU64,
}

/// Serial numbers for policies, unique in the process.
static SERIALS: AtomicU64 = AtomicU64::new(0);

impl Policy {
    fn new(policy: palisade::Policy) -> Policy {
        Policy { current: RwLock::new(Arc::new(policy)), serial: AtomicU64::new(SERIALS.fetch_add(1, Ordering::Relaxed)) }
    }

    fn get(&self) -> Arc<palisade::Policy> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }
}

#[allow(clippy::too_many_arguments)]
fn request<'a>(
    agent: &'a str,
    tool: &'a str,
    provider: Option<&'a str>,
    session: Option<&'a str>,
    sender: Option<&'a str>,
    subagent: bool,
    owner: bool,
    command: Option<&'a str>,
    cwd: Option<&'a str>,
    path: Option<&'a str>,
) -> palisade::ToolRequest<'a> {
    palisade::ToolRequest::new(agent, tool)
        .with_provider(provider)
        .with_session(session)
        .with_sender(sender)
        .with_subagent(subagent)
        .with_owner(owner)
        .with_args(palisade::Args::named(command, cwd, path))
}

#[pymethods]
impl Policy {
    /// Compiles DSL text.
    #[staticmethod]
    #[pyo3(signature = (text, name = "policy.pal"))]
    fn from_dsl(text: &str, name: &str) -> PyResult<Policy> {
        palisade::Policy::from_dsl(name, text).map(Policy::new).map_err(policy_error)
    }

    /// Compiles an OpenClaw JSON configuration, with its exec-approvals file's text when given.
    #[staticmethod]
    #[pyo3(signature = (text, name = "openclaw.json", exec_approvals = None, exec_approvals_name = "exec-approvals.json"))]
    fn from_openclaw_json(text: &str, name: &str, exec_approvals: Option<&str>, exec_approvals_name: &str) -> PyResult<Policy> {
        let policy = match exec_approvals {
            Some(approvals) => palisade::Policy::from_openclaw_json_with_approvals(name, text, exec_approvals_name, approvals),
            None => palisade::Policy::from_openclaw_json(name, text),
        };
        policy.map(Policy::new).map_err(policy_error)
    }

    /// Reads a file: `.json` is an OpenClaw configuration, anything else DSL.
    #[staticmethod]
    fn load(path: &str) -> PyResult<Policy> {
        palisade::Policy::load(Path::new(path)).map(Policy::new).map_err(load_error)
    }

    /// Swaps in `other`'s policy, whole.
    fn replace(&self, other: &Policy) {
        let next = other.get();
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        *current = next;
        self.serial.store(SERIALS.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
    }

    /// A context's decision row under the current policy, with that policy's
    /// serial: one outcome (`ToolOutcome::code`) per interned tool, by
    /// index. An agent the policy lacks gets a row of denials, or, with
    /// `must_exist`, an error.
    #[pyo3(signature = (agent, *, provider = None, session = None, sender = None, subagent = false, owner = false, must_exist = false))]
    #[allow(clippy::too_many_arguments)]
    fn context_row<'py>(
        &self,
        py: Python<'py>,
        agent: &str,
        provider: Option<&str>,
        session: Option<&str>,
        sender: Option<&str>,
        subagent: bool,
        owner: bool,
        must_exist: bool,
    ) -> PyResult<(u64, Bound<'py, pyo3::types::PyBytes>)> {
        let policy = self.current.read().unwrap_or_else(PoisonError::into_inner);
        let serial = self.serial.load(Ordering::Relaxed);
        let engine = policy.engine();
        let context = match engine.context(&request(agent, "", provider, session, sender, subagent, owner, None, None, None)) {
            Ok(context) => Some(context),
            Err(_) if must_exist => return Err(unknown_agent(agent)),
            Err(_) => None,
        };
        let row: Vec<u8> = engine.outcome_row(context).into_iter().map(palisade::ToolOutcome::code).collect();
        Ok((serial, pyo3::types::PyBytes::new(py, &row)))
    }

    /// A tool's interned index under the current policy (-1: never named),
    /// with that policy's serial.
    fn tool_index(&self, tool: &str) -> (u64, i64) {
        let policy = self.current.read().unwrap_or_else(PoisonError::into_inner);
        let index = policy.engine().tool_id(tool).map_or(-1, |id| i64::try_from(id.index()).unwrap_or(-1));
        (self.serial.load(Ordering::Relaxed), index)
    }

    /// The warnings, as JSON.
    fn warnings_json(&self) -> String {
        diagnostics_json(self.get().warnings())
    }

    /// Agent ids in definition order.
    fn agents(&self) -> Vec<String> {
        self.get().engine().agent_ids().map(str::to_string).collect()
    }

    /// `allow`, `ask` or `deny`: the fast path, no reason built.
    #[pyo3(signature = (agent, tool, *, provider = None, session = None, sender = None, subagent = false, owner = false, command = None, cwd = None, path = None))]
    #[allow(clippy::too_many_arguments)]
    fn outcome<'py>(
        &self,
        py: Python<'py>,
        agent: &str,
        tool: &str,
        provider: Option<&str>,
        session: Option<&str>,
        sender: Option<&str>,
        subagent: bool,
        owner: bool,
        command: Option<&str>,
        cwd: Option<&str>,
        path: Option<&str>,
    ) -> PyResult<Bound<'py, pyo3::types::PyString>> {
        let outcome = {
            let policy = self.current.read().unwrap_or_else(PoisonError::into_inner);
            let outcome = policy.engine().decide_outcome(&request(agent, tool, provider, session, sender, subagent, owner, command, cwd, path));
            // Only a deny can hide an unknown agent: checked there, off the allow path.
            if outcome == palisade::ToolOutcome::Deny && policy.engine().main_session(agent).is_none() {
                return Err(unknown_agent(agent));
            }
            outcome
        };
        // Interned once: no string is made per decision.
        Ok(match outcome {
            palisade::ToolOutcome::Allow => pyo3::intern!(py, "allow").clone(),
            palisade::ToolOutcome::Ask => pyo3::intern!(py, "ask").clone(),
            palisade::ToolOutcome::Deny => pyo3::intern!(py, "deny").clone(),
        })
    }

    /// One request line as `palisade decide` reads it; its decision as `palisade decide` prints it.
    fn decide_json(&self, line: &str) -> PyResult<String> {
        let request = palisade::wire::parse(line).map_err(PyValueError::new_err)?;
        let policy = self.get();
        known_agent(policy.engine(), &request)?;
        Ok(palisade::wire::decision_json(policy.engine(), &request).to_string())
    }

    /// A tool request line; the explanation `palisade explain --format json` prints.
    fn explain_json(&self, line: &str) -> PyResult<String> {
        let parsed = palisade::wire::parse(line).map_err(PyValueError::new_err)?;
        let policy = self.get();
        known_agent(policy.engine(), &parsed)?;
        match parsed {
            palisade::wire::AnyRequest::Tool(request) => {
                let explanation = policy.engine().explain(&request.as_request());
                serde_json::to_string(&palisade::wire::ExplanationJson::from(&explanation)).map_err(|e| PyValueError::new_err(e.to_string()))
            }
            _ => Err(PyValueError::new_err("explain takes a tool request")),
        }
    }

    /// The tools an agent may call in a context: `(allowed, asked, by_command)`.
    #[pyo3(signature = (agent, *, provider = None, session = None, sender = None, subagent = false, owner = false))]
    #[allow(clippy::too_many_arguments)]
    fn tools(
        &self,
        agent: &str,
        provider: Option<&str>,
        session: Option<&str>,
        sender: Option<&str>,
        subagent: bool,
        owner: bool,
    ) -> PyResult<(Vec<String>, Vec<String>, Option<String>)> {
        let policy = self.get();
        let engine = policy.engine();
        let context =
            engine.context(&request(agent, "", provider, session, sender, subagent, owner, None, None, None)).map_err(|_| unknown_agent(agent))?;
        let lists = engine.tool_lists(context);
        let owned = |names: Vec<&str>| names.into_iter().map(str::to_string).collect();
        Ok((owned(lists.allowed), owned(lists.ask), lists.by_command.map(|(tool, _)| tool.to_string())))
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Policy>()?;
    m.add("NativePolicyError", m.py().get_type::<NativePolicyError>())?;
    m.add("UnknownAgentError", m.py().get_type::<UnknownAgentError>())?;
    Ok(())
}
