//! Palisade: a policy engine for AI-agent runtimes.
//!
//! A [`Policy`] is read from Palisade's DSL or from an OpenClaw JSON
//! configuration, checked (every problem is a [`Diagnostic`] with a stable
//! [`Code`] and a `file:line:col`), and compiled into an [`Engine`]. The
//! engine answers three questions:
//!
//! - may this agent make this tool call here: [`Engine::decide`] for a
//!   [`ToolRequest`], [`Engine::explain`] for the reason;
//! - may this inbound message reach an agent: [`Engine::gate`] for an
//!   [`Inbound`];
//! - which agent and session it belongs to: [`Engine::route`] gives a [`Route`].
//!
//! ```
//! let policy = palisade::Policy::from_dsl("example.pal", r#"
//!     agent family { tools { allow read  deny exec } }
//! "#).unwrap();
//! let engine = policy.engine();
//! assert!(engine.decide(&palisade::ToolRequest::new("family", "read")));
//! assert!(!engine.decide(&palisade::ToolRequest::new("family", "exec")));
//! ```
//!
//! Resolve a session's context once and decide many calls in it; gate and
//! route inbound messages (the README's example, compiled here):
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let policy = palisade::Policy::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/multi-agent.pal")))?;
//! let engine = policy.engine();
//! let ctx = engine.context(&palisade::ToolRequest::new("family", ""))?;
//! let exec = engine.tool_id("exec").ok_or("exec is interned")?;
//! assert!(!engine.allows(ctx, exec));
//! assert!(engine.allows_name(ctx, "read"));
//! let why = engine.explain(&palisade::ToolRequest::new("family", "exec"));
//! assert!(!why.allowed);
//!
//! use palisade::{Inbound, IngressOutcome};
//! let hello = Inbound::group("telegram", "-1001", "333", "hey bot, status?");
//! assert_eq!(engine.gate(&hello).outcome, IngressOutcome::Accept);
//! let route = engine.route(&hello)?;
//! assert_eq!(route.session_key, "agent:family:telegram:group:-1001");
//! # Ok(())
//! # }
//! ```
//!
//! [`wire`] is the JSON form of requests and decisions that the CLI, the
//! gateway and the language bindings share. Everything else is private;
//! `unstable` (hidden from the docs) lends Palisade's own crates, models and
//! fuzz targets the internals they test, with no stability promise.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

// pest's generated parser names `alloc::boxed::Box` when built without its
// `std` feature (see `syntax::nesting`: we bound recursion ourselves).
extern crate alloc;

/// Whether the formal models injected `seams::Bug::$bug`; always `false`
/// without the `seams` feature, so the check compiles away.
macro_rules! seam {
    ($bug:ident) => {{
        #[cfg(feature = "seams")]
        let on = crate::seams::active(crate::seams::Bug::$bug);
        #[cfg(not(feature = "seams"))]
        let on = false;
        on
    }};
}
pub(crate) use seam;

mod builtins;
mod compile;
mod diagnostic;
mod engine;
mod gateway_config;
mod openclaw;
mod paths;
mod print;
#[cfg(feature = "seams")]
#[doc(hidden)]
pub mod seams;
mod settings;
mod shell;
mod source;
mod syntax;
mod vocab;
pub mod wire;

use std::path::Path;
use std::sync::Arc;

pub use diagnostic::{Code, Diagnostic, PolicyError, Severity};
pub use engine::{
    main_session_key, subagent_session_key, Arg, Args, Context, DockerConfig, Engine, Explanation, Inbound, IngressDecision, IngressOutcome,
    LayerKind, LayerTrace, MatchedBy, OptionalText, Outcome, RequestError, Route, RouteError, SandboxConfig, SegmentTrace, Tier, ToolId, ToolLists,
    ToolRequest,
};
pub use gateway_config::{Bind, GatewayAuth, GatewayConfig, RateLimit, SecretRef};
pub use paths::{normalize as normalize_path, normalize_absolute, Anchor, AnchoredPath, GlobError, PathError, PathGlob, COMPONENT_CAP, PATH_CAP};
pub use source::{Location, Position, SourceFile, Span};
pub use vocab::{
    AuthMode, ByOutcome, ChatKind, DmPolicy, DmScope, GroupPolicy, PathOp, SandboxMode, SandboxScope, SessionScope, ToolOutcome, WorkspaceAccess,
};

pub(crate) use syntax::ast;

/// Whether the formal models' bug-injection seams are compiled in. The
/// `palisade` binary refuses to run when they are: they exist for
/// `palisade-models` only, never for a build that enforces anything.
#[doc(hidden)]
pub const SEAMS_COMPILED_IN: bool = cfg!(feature = "seams");

/// Internals for Palisade's own crates (gateway, CLI, testkit), the formal
/// models and the fuzz targets. No stability promise: not part of the API.
#[doc(hidden)]
pub mod unstable {
    pub use crate::compile::compile;
    pub use crate::engine::fold;
    pub use crate::gateway_config::{exposed_without_auth, DEFAULT_PASSWORD_ENV, DEFAULT_PORT, DEFAULT_TOKEN_ENV};
    pub use crate::openclaw::{lower as lower_openclaw, lower_with_approvals as lower_openclaw_with_approvals};
    pub use crate::print::to_dsl;
    pub use crate::syntax::{ast, limits, parse as parse_dsl};
    pub use crate::vocab::Named;

    /// Tool catalog, profiles, aliases and glob matching.
    pub mod builtins {
        pub use crate::builtins::*;
    }

    /// Sandbox settings: refused bind paths, sizes, durations.
    pub mod settings {
        pub use crate::settings::*;
    }

    /// The shell front end of exec command rules: a command into segments.
    pub mod shell {
        pub use crate::shell::*;
    }

    /// Exec command rules, compiled: patterns and one exec layer's decision.
    pub mod exec {
        pub use crate::engine::exec::{CommandPattern, ExecLayer, ExecRule, PatternError, DEFAULT_TRUSTED_DIRS};
    }

    /// Whether `path` names an OpenClaw JSON configuration (`.json`,
    /// `.json5`) rather than DSL text.
    pub fn is_json(path: &std::path::Path) -> bool {
        path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json") || e.eq_ignore_ascii_case("json5"))
    }
}

/// A compiled policy with the AST it came from and the warnings it produced.
#[derive(Debug, Clone)]
pub struct Policy {
    ast: ast::Policy,
    engine: Engine,
    gateway: gateway_config::GatewayConfig,
    warnings: Vec<Diagnostic>,
}

/// Loading a policy from disk: I/O or policy errors.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    #[diagnostic(code("palisade::io"))]
    Io {
        /// The path as given.
        path: String,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// The policy has errors.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Policy(#[from] PolicyError),
}

impl Policy {
    /// Parses and compiles DSL text.
    pub fn from_dsl(name: &str, text: &str) -> Result<Policy, PolicyError> {
        let source = Arc::new(SourceFile::new(name, text));
        let (ast, mut warnings) = syntax::parse(source)?;
        Self::from_ast(ast, std::mem::take(&mut warnings))
    }

    /// Reads and compiles an OpenClaw JSON configuration.
    pub fn from_openclaw_json(name: &str, text: &str) -> Result<Policy, PolicyError> {
        let source = Arc::new(SourceFile::new(name, text));
        let (ast, warnings) = openclaw::lower(source)?;
        Self::from_ast(ast, warnings)
    }

    /// Reads and compiles an OpenClaw JSON configuration with its
    /// exec-approvals file (`~/.openclaw/exec-approvals.json`): each agent's
    /// `tools.exec` and approvals entry become one `exec` block.
    pub fn from_openclaw_json_with_approvals(name: &str, text: &str, approvals_name: &str, approvals_text: &str) -> Result<Policy, PolicyError> {
        let source = Arc::new(SourceFile::new(name, text));
        let approvals = Arc::new(SourceFile::new(approvals_name, approvals_text));
        let (ast, warnings) = openclaw::lower_with_approvals(source, Some(approvals))?;
        Self::from_ast(ast, warnings)
    }

    /// Reads a file: `.json` is an OpenClaw configuration, anything else DSL.
    pub fn load(path: &Path) -> Result<Policy, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io { path: path.display().to_string(), source })?;
        let name = path.display().to_string();
        Ok(if unstable::is_json(path) { Self::from_openclaw_json(&name, &text)? } else { Self::from_dsl(&name, &text)? })
    }

    /// Compiles an AST, keeping the front end's warnings in front.
    #[doc(hidden)]
    pub fn from_ast(ast: ast::Policy, mut warnings: Vec<Diagnostic>) -> Result<Policy, PolicyError> {
        match compile::compile(&ast) {
            Ok((engine, gateway, more)) => {
                warnings.extend(more);
                Ok(Policy { ast, engine, gateway, warnings })
            }
            Err(mut error) => {
                warnings.append(&mut error.diagnostics);
                Err(PolicyError { diagnostics: warnings })
            }
        }
    }

    /// The compiled engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The compiled engine, by value.
    pub fn into_engine(self) -> Engine {
        self.engine
    }

    /// The gateway settings the policy gives (defaults when it gives none).
    pub fn gateway(&self) -> &gateway_config::GatewayConfig {
        &self.gateway
    }

    /// The compiled decisions and the gateway settings, for a running gateway.
    pub fn into_parts(self) -> (Engine, gateway_config::GatewayConfig) {
        (self.engine, self.gateway)
    }

    #[doc(hidden)]
    pub fn ast(&self) -> &ast::Policy {
        &self.ast
    }

    /// The warnings of both the front end and the compiler.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn engine_is_send_and_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<super::Engine>();
    }
}
