//! The second front end: an OpenClaw JSON configuration lowered into the
//! same AST as the DSL. Keys Palisade does not understand are warnings with
//! their JSON path; nothing is dropped silently.

mod agents;
mod channels;
mod exec;
mod gateway;
pub mod json;
mod schema;
pub(crate) use schema::builtin_channels;
mod session;
mod tools;

use std::sync::Arc;

use json::{Key, Node, Value};

use crate::ast::*;
use crate::builtins;
use crate::diagnostic::Code;
use crate::diagnostic::{suggest, Diagnostic, PolicyError, Sink};
use crate::source::{SourceFile, Span};

/// Lowers an OpenClaw configuration. Returns the AST and the warnings.
pub fn lower(source: Arc<SourceFile>) -> Result<(Policy, Vec<Diagnostic>), PolicyError> {
    lower_with_approvals(source, None)
}

/// Lowers an OpenClaw configuration together with its exec-approvals file
/// (`~/.openclaw/exec-approvals.json`), whose allowlists and defaults join
/// each agent's `tools.exec` in one `exec` block.
pub fn lower_with_approvals(source: Arc<SourceFile>, approvals: Option<Arc<SourceFile>>) -> Result<(Policy, Vec<Diagnostic>), PolicyError> {
    let root = match json::parse(&source.text) {
        Ok(root) => root,
        Err(e) => {
            let d = Diagnostic::error(Code::Json, &source, e.span, e.message).with_label("here");
            return Err(PolicyError { diagnostics: vec![d] });
        }
    };
    let mut lowerer = Lowerer {
        source: Arc::clone(&source),
        sink: Sink::default(),
        policy: Policy::empty(source),
        global_mentions: Vec::new(),
        global_text_commands: None,
        command_allow_from: Vec::new(),
        exec_settings: Vec::new(),
        approvals: None,
    };
    if let Some(approvals) = approvals {
        lowerer.approvals(approvals);
    }
    lowerer.root(&root);
    lowerer.finish_exec();
    let Lowerer { sink, policy, .. } = lowerer;
    sink.finish(policy)
}

struct Lowerer {
    source: Arc<SourceFile>,
    sink: Sink,
    policy: Policy,
    /// `messages.groupChat.mentionPatterns`, applied once every channel is read.
    global_mentions: Vec<Spanned<String>>,
    /// Top-level `commands.text`.
    global_text_commands: Option<Spanned<bool>>,
    /// Top-level `commands.allowFrom`: provider (or `*`) -> who may run commands.
    command_allow_from: Vec<(String, KeyList)>,
    /// `tools.exec` of each tools block, by the block's span.
    exec_settings: Vec<(Span, exec::ExecSettings)>,
    /// The exec-approvals file, when one is given.
    approvals: Option<exec::Approvals>,
}

/// Top-level sections that belong to later Palisade features or to OpenClaw
/// settings with no policy meaning; each is reported, never dropped silently.
const NOT_YET: &[(&str, &str)] = &[];

/// The keys of a channel that decide who gets in.
const CHANNEL_KEYS: &[&str] = &["dmPolicy", "allowFrom", "groupPolicy", "groupAllowFrom", "groups", "mentionPatterns", "commands"];

impl Lowerer {
    fn error(&mut self, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        self.sink.push(Diagnostic::error(Code::Json, &self.source, span, message));
        let last = self.sink.diagnostics.len() - 1;
        #[allow(clippy::indexing_slicing)] // just pushed
        &mut self.sink.diagnostics[last]
    }

    fn ignored(&mut self, key: &Key, path: &str, why: &str) {
        self.sink.push(Diagnostic::warning(Code::IgnoredKey, &self.source, key.span, format!("`{path}` ignored: {why}")).with_label("not imported"));
    }

    /// An unknown key inside an object whose every key decides something
    /// (a binding's `match`, a tool policy, channel commands, rate limits):
    /// an error. Ignoring `peerId` for `peer` would make a binding match
    /// every peer; Palisade refuses to guess.
    fn unknown(&mut self, key: &Key, path: &str, known: &[&str]) {
        let hint = suggest(&key.name, known.iter().copied());
        let mut d = Diagnostic::error(
            Code::UnknownKey,
            &self.source,
            key.span,
            format!("unknown key `{path}` in a security setting: Palisade does not guess what it means"),
        )
        .with_label("not understood by Palisade");
        d.help = Some(match hint {
            Some(h) => format!("did you mean `{h}`?"),
            None => format!("known here: {}", known.join(", ")),
        });
        self.sink.push(d);
    }

    fn object<'n>(&mut self, node: &'n Node, path: &str) -> Option<&'n [(Key, Node)]> {
        match &node.value {
            Value::Object(members) => Some(members),
            _ => {
                let kind = node.kind();
                self.error(node.span, format!("`{path}` must be an object, found {kind}"));
                None
            }
        }
    }

    fn string(&mut self, node: &Node, path: &str) -> Option<Spanned<String>> {
        match &node.value {
            Value::String(s) => Some(Spanned::new(s.clone(), node.span)),
            _ => {
                let kind = node.kind();
                self.error(node.span, format!("`{path}` must be a string, found {kind}"));
                None
            }
        }
    }

    fn boolean(&mut self, node: &Node, path: &str) -> Option<bool> {
        match &node.value {
            Value::Bool(b) => Some(*b),
            _ => {
                let kind = node.kind();
                self.error(node.span, format!("`{path}` must be true or false, found {kind}"));
                None
            }
        }
    }

    /// A string that must be one of a fixed set of names.
    fn one_of<T: Copy>(&mut self, node: &Node, path: &str, what: &str, choices: &[(&str, T)]) -> Option<Spanned<T>> {
        let v = self.string(node, path)?;
        match choices.iter().find(|(name, _)| *name == v.value) {
            Some((_, value)) => Some(Spanned::new(*value, v.span)),
            None => {
                let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
                self.error(v.span, format!("unknown {what} `{}`", v.value)).help =
                    Some(format!("`{}` is one of: {}", path.rsplit('.').next().unwrap_or(path), names.join(", ")));
                None
            }
        }
    }

    /// A scalar Docker value as text: strings, numbers and booleans.
    fn scalar(&mut self, node: &Node, path: &str) -> Option<Spanned<String>> {
        match &node.value {
            Value::String(s) => Some(Spanned::new(s.clone(), node.span)),
            Value::Number(n) => Some(Spanned::new(n.clone(), node.span)),
            Value::Bool(b) => Some(Spanned::new(b.to_string(), node.span)),
            _ => {
                let kind = node.kind();
                self.error(node.span, format!("`{path}` must be a string or number, found {kind}"));
                None
            }
        }
    }

    fn root(&mut self, root: &Node) {
        let Some(members) = self.object(root, "$") else { return };
        let mut saw_mode = false;
        for (key, value) in members {
            let path = format!("$.{}", key.name);
            match key.name.as_str() {
                "tools" => {
                    self.policy.tools = self.rules(value, &path, RulesKind::Scope);
                }
                "agents" => saw_mode |= self.agents(value, &path),
                "channels" => self.channels(value, &path),
                "session" => self.session(value, &path),
                "bindings" => self.bindings(value, &path),
                "messages" => self.messages(value, &path),
                "commands" => self.commands(value, &path),
                "gateway" => self.gateway(value, &path),
                "$schema" | "meta" => {}
                name => match NOT_YET.iter().find(|(k, _)| *k == name) {
                    Some((_, why)) => self.ignored(key, &path, why),
                    None => self.ignored(key, &path, "no tool-policy meaning in Palisade"),
                },
            }
        }
        self.apply_global_mention_patterns();
        self.apply_global_commands();
        if self.policy.agents.is_empty() {
            // OpenClaw's own default: one agent, `main`. Written out, so that
            // the printed policy and every front end see it.
            let at = root.span.start_only();
            self.policy.agents.push(Agent { id: Spanned::new("main".into(), at), name: None, default: None, sandbox: None, tools: None, span: at });
            self.sink.push(
                Diagnostic::warning(
                    Code::ImplicitAgent,
                    &self.source,
                    at,
                    "no agent is listed (`agents.list`, `agents.entries`): OpenClaw's implicit agent `main` applies, with every tool the global `tools` allows",
                )
                .with_help("list the agent under `agents.list` with its own `tools` to say what it may call"),
            );
        }
        if !saw_mode {
            // OpenClaw runs unsandboxed unless told otherwise; say so out loud
            // instead of silently changing what the configuration means.
            let defaults = self.policy.sandbox_defaults.get_or_insert_with(SandboxSettings::default);
            defaults.mode = Some(Spanned::new(SandboxMode::Off, Span::default()));
            self.sink.push(
                Diagnostic::warning(
                    Code::SandboxOff,
                    &self.source,
                    root.span.start_only(),
                    "no `agents.defaults.sandbox.mode`: OpenClaw's default is `off`, so no agent is sandboxed",
                )
                .with_help("set `agents.defaults.sandbox.mode` to \"non-main\" or \"all\" to sandbox untrusted sessions"),
            );
        }
    }

    /// A string that names a value of a closed set (`dmPolicy`, `dmScope`, ...).
    fn named<T: Named + PartialEq>(&mut self, node: &Node, path: &str, what: &str) -> Option<Spanned<T>> {
        let v = self.string(node, path)?;
        match T::from_name(&v.value) {
            Some(value) => Some(Spanned::new(value, v.span)),
            None => {
                self.error(v.span, format!("unknown {what} `{}`", v.value)).help = Some(format!("{what} is one of: {}", T::choices()));
                None
            }
        }
    }

    /// An array of ids; numbers are accepted (Telegram ids are often written bare).
    fn id_list(&mut self, node: &Node, path: &str) -> Option<KeyList> {
        let Value::Array(items) = &node.value else {
            let kind = node.kind();
            self.error(node.span, format!("`{path}` must be an array of ids, found {kind}"));
            return None;
        };
        let entries = items.iter().enumerate().filter_map(|(i, item)| self.scalar(item, &format!("{path}[{i}]"))).collect();
        Some(KeyList { entries, span: node.span })
    }
}
