//! The policy in force, swapped whole on reload (SIGHUP). A request takes one
//! [`PolicyView`] and reads every answer it needs through it, so no request
//! is decided half by the old policy and half by the new one (claim 9,
//! `tla/HotReload.tla`, `models/src/hot_reload.rs`).

use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};

use palisade::GatewayConfig;
use palisade::{Engine, Explanation, SandboxConfig, ToolRequest};
use palisade::{LoadError, Policy};

/// What one reload puts in force: the decisions and the gateway settings of
/// one policy, swapped together.
#[derive(Debug, Clone)]
pub struct InForce {
    pub engine: Arc<Engine>,
    pub gateway: Arc<GatewayConfig>,
}

impl From<Policy> for InForce {
    fn from(policy: Policy) -> Self {
        let (engine, gateway) = policy.into_parts();
        InForce { engine: Arc::new(engine), gateway: Arc::new(gateway) }
    }
}

#[derive(Debug)]
pub struct PolicySlot {
    current: RwLock<InForce>,
}

impl PolicySlot {
    pub fn new(in_force: InForce) -> Self {
        PolicySlot { current: RwLock::new(in_force) }
    }

    fn load(&self) -> InForce {
        // The lock guards one swap of two pointers; a panic cannot leave it half-written.
        self.current.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The policy in force now, for the whole of one request.
    pub fn view(&self) -> PolicyView<'_> {
        PolicyView { slot: self, snapshot: self.load() }
    }

    /// Puts `in_force` in force; requests already holding a view finish on the old one.
    pub fn replace(&self, in_force: InForce) -> InForce {
        std::mem::replace(&mut *self.current.write().unwrap_or_else(PoisonError::into_inner), in_force)
    }
}

/// One request's policy: what was in force when it began.
#[derive(Debug, Clone)]
pub struct PolicyView<'s> {
    #[cfg_attr(not(feature = "seams"), allow(dead_code))]
    slot: &'s PolicySlot,
    snapshot: InForce,
}

impl PolicyView<'_> {
    pub fn engine(&self) -> Arc<Engine> {
        #[cfg(feature = "seams")]
        if palisade::seams::active(palisade::seams::Bug::ReloadRereads) {
            return self.slot.load().engine;
        }
        Arc::clone(&self.snapshot.engine)
    }

    pub fn gateway(&self) -> Arc<GatewayConfig> {
        Arc::clone(&self.snapshot.gateway)
    }
}

/// Where an allowed tool call runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    pub sandboxed: bool,
    pub sandbox: SandboxConfig,
}

/// A tool call's decision. `invoke` asks this, then [`place_call`], of one view.
pub fn decide_call(view: &PolicyView<'_>, request: &ToolRequest<'_>) -> Explanation {
    view.engine().explain(request)
}

/// Whether the call runs sandboxed, and in what; `None` for an unknown agent.
pub fn place_call(view: &PolicyView<'_>, request: &ToolRequest<'_>) -> Option<Placement> {
    let engine = view.engine();
    let sandboxed = engine.context(request).ok()?.sandboxed();
    let sandbox = engine.sandbox(request.agent())?.clone();
    Some(Placement { sandboxed, sandbox })
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ReloadError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Load(#[from] LoadError),
    #[error("the new policy changes gateway settings read at start (bind, port, auth, rate_limit, device_skew); restart the gateway to apply them")]
    #[diagnostic(code("palisade::reload-gateway-changed"), help("the running gateway keeps the policy it had"))]
    GatewayChanged,
}

impl ReloadError {
    /// One line per error, `file:line:col: message`, for logs.
    pub fn lines(&self) -> Vec<String> {
        match self {
            ReloadError::Load(LoadError::Policy(policy)) => policy.errors().map(|d| format!("{}: {}", d.location, d.message)).collect(),
            other => vec![other.to_string()],
        }
    }
}

/// Compiles `path` and puts it in force, or leaves the running policy as it
/// was: a policy that does not compile, or that changes settings only a
/// restart can apply, is refused whole.
pub fn reload(slot: &PolicySlot, path: &Path) -> Result<Reloaded, ReloadError> {
    let policy = Policy::load(path)?;
    if slot.load().gateway.needs_restart(policy.gateway()) {
        return Err(ReloadError::GatewayChanged);
    }
    let warnings = policy.warnings().to_vec();
    let old = slot.replace(InForce::from(policy)).engine;
    Ok(Reloaded { warnings, old })
}

/// A reload that took effect: its warnings, and the policy it replaced
/// (whose removed agents' sandboxes the gateway then removes).
#[derive(Debug)]
pub struct Reloaded {
    pub warnings: Vec<palisade::Diagnostic>,
    pub old: Arc<Engine>,
}
