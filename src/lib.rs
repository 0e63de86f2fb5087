//! Palisade: a policy engine for AI-agent runtimes.
//!
//! Text goes through [`syntax`] (or [`openclaw`] for JSON configurations)
//! into an [`ast::Policy`], [`compile`] validates and lowers it into an
//! [`Engine`], and the engine answers tool requests in nanoseconds and
//! explains each answer on demand.
//!
//! ```
//! let policy = palisade::Policy::from_dsl("example.pal", r#"
//!     agent family { tools { allow read  deny exec } }
//! "#).unwrap();
//! let engine = policy.engine();
//! assert!(engine.decide(&palisade::ToolRequest::new("family", "read")));
//! assert!(!engine.decide(&palisade::ToolRequest::new("family", "exec")));
//! ```
#![forbid(unsafe_code)]

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

pub mod builtins;
pub mod compile;
pub mod diagnostic;
pub mod engine;
pub mod gateway_config;
pub mod openclaw;
pub mod print;
#[cfg(feature = "seams")]
pub mod seams;

/// Whether the formal models' bug-injection seams are compiled in. The
/// `palisade` binary refuses to run when they are: they exist for
/// `palisade-models` only, never for a build that enforces anything.
#[doc(hidden)]
pub const SEAMS_COMPILED_IN: bool = cfg!(feature = "seams");
pub mod settings;
pub mod source;
pub mod syntax;
pub mod vocab;
pub mod wire;

use std::path::Path;
use std::sync::Arc;

pub use diagnostic::{Diagnostic, PolicyError, Severity};
pub use engine::{Context, Engine, Explanation, RequestError, ToolId, ToolRequest};
pub use source::{Location, SourceFile};
pub use syntax::ast;

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
    #[error("cannot read {path}: {source}")]
    #[diagnostic(code("palisade::io"))]
    Io { path: String, source: std::io::Error },
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

    /// Reads a file: `.json` is an OpenClaw configuration, anything else DSL.
    pub fn load(path: &Path) -> Result<Policy, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io { path: path.display().to_string(), source })?;
        let name = path.display().to_string();
        Ok(if is_json(path) { Self::from_openclaw_json(&name, &text)? } else { Self::from_dsl(&name, &text)? })
    }

    /// Compiles an AST, keeping the front end's warnings in front.
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

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

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

    pub fn ast(&self) -> &ast::Policy {
        &self.ast
    }

    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }
}

pub fn is_json(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json") || e.eq_ignore_ascii_case("json5"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn engine_is_send_and_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<super::Engine>();
    }
}
