//! AST -> engine: validate, resolve names and groups (`names`), build each
//! agent (`agents`) and the layers of ARCHITECTURE.md's Decision semantics
//! (`layers`), then hand the parts to `Engine::new`, which folds every
//! decision context into a bitset.

use crate::diagnostic::Code;
use crate::gateway_config::GatewayConfig;

mod agents;
mod exec;
pub(crate) mod gateway;
mod ingress;
mod layers;
mod names;
mod paths;
mod sandbox;
mod tests_run;

use layers::SharedLayerKey;

use std::sync::Arc;

use crate::ast::{Policy, Rules};
use crate::diagnostic::{Diagnostic, PolicyError, Sink};
use crate::engine::{AgentEntry, Engine, Layer, LayerId, Map, Matcher, Parts, TooManyContexts};
use crate::source::{SourceFile, Span};

/// Compiles a policy. `Ok` carries the engine, the gateway settings and the
/// warnings; `Err` every diagnostic, errors and warnings, found in one pass.
pub fn compile(policy: &Policy) -> Result<(Engine, GatewayConfig, Vec<Diagnostic>), PolicyError> {
    let mut compiler = Compiler::new(policy);
    let engine = compiler.run();
    let mut sink = compiler.sink;
    match engine {
        Some((engine, gateway)) if !sink.has_errors() => {
            sink.finish((engine, gateway)).map(|((engine, gateway), warnings)| (engine, gateway, warnings))
        }
        _ => {
            if !sink.has_errors() {
                sink.push(Diagnostic::error(Code::Internal, &policy.source, Span::default(), "compilation failed"));
            }
            Err(sink.into_error())
        }
    }
}

/// Global scope and agent scopes, seen through one shape.
struct Scope<'p> {
    rules: Option<&'p Rules>,
    label: String,
}

struct Compiler<'p> {
    policy: &'p Policy,
    source: &'p SourceFile,
    sink: Sink,
    tool_names: Vec<Arc<str>>,
    tool_index: Map<String, u32>,
    groups: Map<String, Vec<Matcher>>,
    layers: Vec<Layer>,
    /// Layers already built from the same source text: agents that inherit
    /// the global profile or sandbox policy share one layer instead of 50 copies.
    shared_layers: Map<SharedLayerKey, LayerId>,
}

impl<'p> Compiler<'p> {
    fn new(policy: &'p Policy) -> Self {
        Compiler {
            policy,
            source: &policy.source,
            sink: Sink::default(),
            tool_names: Vec::new(),
            tool_index: Map::default(),
            groups: Map::default(),
            layers: Vec::new(),
            shared_layers: Map::default(),
        }
    }

    fn error(&mut self, code: Code, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        self.sink.push(Diagnostic::error(code, self.source, span, message));
        let last = self.sink.diagnostics.len() - 1;
        #[allow(clippy::indexing_slicing)] // just pushed
        &mut self.sink.diagnostics[last]
    }

    fn warning(&mut self, code: Code, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        self.sink.push(Diagnostic::warning(code, self.source, span, message));
        let last = self.sink.diagnostics.len() - 1;
        #[allow(clippy::indexing_slicing)] // just pushed
        &mut self.sink.diagnostics[last]
    }

    fn run(&mut self) -> Option<(Engine, GatewayConfig)> {
        self.catalog();
        self.resolve_groups();
        let global = Scope { rules: self.policy.tools.as_ref(), label: "global".into() };
        if let Some(rules) = global.rules {
            self.check_scope(rules, "global");
        }
        let (agent_ids, default_agent) = self.agent_ids();
        let (provider_names, sender_names) = self.classes();
        let (group_index, group_names, global_group) = self.group_layers();
        let global_layers = self.global_layers(&global, &provider_names, &sender_names, global_group);
        let agents: Vec<AgentEntry> =
            agent_ids.iter().enumerate().map(|(index, id)| self.agent(index, id, &global, &provider_names, &sender_names)).collect();
        self.check_exec_layers(&global_layers, &agents);
        let owners = self.owners();
        let ingress = self.ingress();
        let gateway = self.gateway();
        let router = self.router(&agent_ids);
        if self.sink.has_errors() {
            return None;
        }
        let parts = Parts {
            file: self.source.name.clone(),
            tool_names: std::mem::take(&mut self.tool_names),
            agents,
            default_agent: default_agent.unwrap_or(0) as u32,
            provider_names,
            sender_names,
            group_index,
            group_names,
            owners,
            layers: std::mem::take(&mut self.layers),
            global: global_layers,
            ingress,
            router,
        };
        let engine = match Engine::new(parts) {
            Ok(engine) => engine,
            Err(too_many) => {
                let TooManyContexts { agents, providers, senders, groups } = too_many;
                self.error(
                    Code::TooLarge,
                    Span::default(),
                    format!("{agents} agents x {providers} provider classes x {senders} sender classes x {groups} group classes is too many decision contexts"),
                );
                return None;
            }
        };
        self.check_leaves_tools(&engine);
        tests_run::run(self.policy, &engine, &mut self.sink);
        Some((engine, gateway))
    }

    /// An allow list that leaves an agent no callable tool in its main
    /// session is an error: it is almost always a typo or a misplaced list.
    fn check_leaves_tools(&mut self, engine: &Engine) {
        for found in engine.agents_without_tools() {
            let span = self.span_of(found.layer);
            self.error(Code::NoCallableTool, span, format!("this allow list leaves agent `{}` no callable tool", found.agent)).help =
                Some(format!("the {} allow list and the layers before it have no tool in common", found.layer.name));
        }
    }

    fn span_of(&self, layer: &Layer) -> Span {
        match layer.allow.as_ref().and_then(|a| a.at.as_ref()) {
            Some(at) => self.span_at(at),
            None => Span::default(),
        }
    }

    /// Locations are what the engine keeps; this maps one back to a span
    /// from it to the end of its line, for a diagnostic.
    fn span_at(&self, at: &crate::source::Location) -> Span {
        let text = &self.source.text;
        let line_start = text.split_inclusive('\n').take((at.line as usize).saturating_sub(1)).map(str::len).sum::<usize>();
        let start =
            text.get(line_start..).map(|rest| rest.chars().take((at.col as usize).saturating_sub(1)).map(char::len_utf8).sum::<usize>()).unwrap_or(0);
        let start = line_start + start;
        let end = text.get(start..).and_then(|r| r.find('\n')).map_or(text.len(), |e| start + e);
        Span::new(start, end)
    }
}
