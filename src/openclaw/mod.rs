//! The second front end: an OpenClaw JSON configuration lowered into the
//! same AST as the DSL. Keys Palisade does not understand are warnings with
//! their JSON path; nothing is dropped silently.

pub mod json;

use std::sync::Arc;

use json::{Key, Node, Value};

use crate::ast::*;
use crate::builtins;
use crate::diagnostic::Code;
use crate::diagnostic::{suggest, Diagnostic, PolicyError, Sink};
use crate::source::{SourceFile, Span};

/// Lowers an OpenClaw configuration. Returns the AST and the warnings.
pub fn lower(source: Arc<SourceFile>) -> Result<(Policy, Vec<Diagnostic>), PolicyError> {
    let root = match json::parse(&source.text) {
        Ok(root) => root,
        Err(e) => {
            let d = Diagnostic::error(Code::Json, &source, e.span, e.message).with_label("here");
            return Err(PolicyError { diagnostics: vec![d] });
        }
    };
    let mut lowerer = Lowerer { source: Arc::clone(&source), sink: Sink::default(), policy: Policy::empty(source), global_mentions: Vec::new() };
    lowerer.root(&root);
    let Lowerer { sink, policy, .. } = lowerer;
    sink.finish(policy)
}

struct Lowerer {
    source: Arc<SourceFile>,
    sink: Sink,
    policy: Policy,
    /// `messages.groupChat.mentionPatterns`, applied once every channel is read.
    global_mentions: Vec<Spanned<String>>,
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
                "gateway" => self.gateway(value, &path),
                "$schema" | "meta" => {}
                name => match NOT_YET.iter().find(|(k, _)| *k == name) {
                    Some((_, why)) => self.ignored(key, &path, why),
                    None => self.ignored(key, &path, "no tool-policy meaning in Palisade"),
                },
            }
        }
        self.apply_global_mention_patterns();
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

    /// Returns whether a default sandbox mode was given.
    fn agents(&mut self, node: &Node, path: &str) -> bool {
        let Some(members) = self.object(node, path) else { return false };
        let mut saw_mode = false;
        for (key, value) in members {
            let sub = format!("{path}.{}", key.name);
            match key.name.as_str() {
                "defaults" => {
                    let Some(defaults) = self.object(value, &sub) else { continue };
                    for (k, v) in defaults {
                        let p = format!("{sub}.{}", k.name);
                        match k.name.as_str() {
                            "sandbox" => {
                                let settings = self.sandbox(v, &p);
                                saw_mode |= settings.as_ref().is_some_and(|s| s.mode.is_some());
                                self.policy.sandbox_defaults = settings;
                            }
                            _ => self.ignored(k, &p, "agent defaults other than `sandbox` have no tool-policy meaning"),
                        }
                    }
                }
                "list" => match &value.value {
                    Value::Array(items) => {
                        for (i, item) in items.iter().enumerate() {
                            self.agent(item, &format!("{sub}[{i}]"), None);
                        }
                    }
                    _ => {
                        let kind = value.kind();
                        self.error(value.span, format!("`{sub}` must be an array, found {kind}"));
                    }
                },
                "entries" => {
                    let Some(entries) = self.object(value, &sub) else { continue };
                    for (id, item) in entries {
                        self.agent(item, &format!("{sub}.{}", id.name), Some(id));
                    }
                }
                _ => self.unknown(key, &sub, &["defaults", "list", "entries"]),
            }
        }
        saw_mode
    }

    fn agent(&mut self, node: &Node, path: &str, entry_id: Option<&Key>) {
        let Some(members) = self.object(node, path) else { return };
        let mut agent = Agent { id: Spanned::new(String::new(), node.span), name: None, default: None, sandbox: None, tools: None, span: node.span };
        let mut id = entry_id.map(|k| Spanned::new(k.name.clone(), k.span));
        for (key, value) in members {
            let p = format!("{path}.{}", key.name);
            match key.name.as_str() {
                "id" => {
                    let Some(given) = self.string(value, &p) else { continue };
                    if let Some(entry) = &id {
                        if !entry.value.eq_ignore_ascii_case(&given.value) {
                            self.error(given.span, format!("`{p}` is `{}` but the entry key is `{}`", given.value, entry.value));
                            continue;
                        }
                    }
                    id = Some(given);
                }
                "name" => agent.name = self.string(value, &p),
                "default" => {
                    if self.boolean(value, &p) == Some(true) {
                        agent.default = Some(value.span);
                    }
                }
                "sandbox" => agent.sandbox = self.sandbox(value, &p),
                "tools" => agent.tools = self.rules(value, &p, RulesKind::Scope),
                _ => self.ignored(key, &p, "agent settings other than id, name, default, sandbox and tools have no tool-policy meaning"),
            }
        }
        let Some(id) = id else {
            self.error(node.span, format!("`{path}` has no `id`"));
            return;
        };
        let valid = id.value.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && id.value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            self.error(id.span, format!("agent id `{}` must be letters, digits, `_` and `-`, starting with a letter", id.value));
            return;
        }
        agent.id = id;
        self.policy.agents.push(agent);
    }

    fn sandbox(&mut self, node: &Node, path: &str) -> Option<SandboxSettings> {
        let members = self.object(node, path)?;
        let mut settings = SandboxSettings { span: node.span, ..SandboxSettings::default() };
        for (key, value) in members {
            let p = format!("{path}.{}", key.name);
            match key.name.as_str() {
                "mode" => {
                    let modes = [("off", SandboxMode::Off), ("non-main", SandboxMode::NonMain), ("all", SandboxMode::All)];
                    settings.mode = self.one_of(value, &p, "sandbox mode", &modes);
                }
                "scope" => {
                    let scopes = [("session", SandboxScope::Session), ("agent", SandboxScope::Agent), ("shared", SandboxScope::Shared)];
                    settings.scope = self.one_of(value, &p, "sandbox scope", &scopes);
                }
                "perSession" => {
                    // Legacy flag: true meant one container per session.
                    if let Some(b) = self.boolean(value, &p) {
                        if settings.scope.is_none() {
                            let scope = if b { SandboxScope::Session } else { SandboxScope::Shared };
                            settings.scope = Some(Spanned::new(scope, value.span));
                        }
                    }
                }
                "workspaceAccess" => {
                    let access = [("none", WorkspaceAccess::None), ("ro", WorkspaceAccess::ReadOnly), ("rw", WorkspaceAccess::ReadWrite)];
                    settings.workspace = self.one_of(value, &p, "workspace access", &access);
                }
                "docker" => self.docker(value, &p, &mut settings),
                _ => self.ignored(key, &p, "sandbox settings other than mode, scope, workspaceAccess and docker are not imported"),
            }
        }
        Some(settings)
    }

    fn docker(&mut self, node: &Node, path: &str, settings: &mut SandboxSettings) {
        let Some(members) = self.object(node, path) else { return };
        for (key, value) in members {
            let p = format!("{path}.{}", key.name);
            let dsl_key = match key.name.as_str() {
                "image" => "image",
                "containerPrefix" => "prefix",
                "network" => "network",
                "readOnlyRoot" => "read_only_root",
                "capDrop" => "cap_drop",
                "memory" => "memory",
                "pidsLimit" => "pids",
                "cpus" => "cpus",
                "user" => "user",
                "binds" => "bind",
                _ => {
                    self.ignored(key, &p, "this Docker setting is not imported; Palisade's hardened default applies");
                    continue;
                }
            };
            let values = match &value.value {
                Value::Array(items) => items.iter().enumerate().filter_map(|(i, v)| self.scalar(v, &format!("{p}[{i}]"))).collect(),
                _ => self.scalar(value, &p).into_iter().collect(),
            };
            settings.docker.push(DockerSetting { key: Spanned::new(dsl_key.to_string(), key.span), values });
        }
    }

    fn tool_list(&mut self, node: &Node, path: &str) -> Option<ToolList> {
        let Value::Array(items) = &node.value else {
            let kind = node.kind();
            self.error(node.span, format!("`{path}` must be an array of tool names, found {kind}"));
            return None;
        };
        let mut entries = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let Some(name) = self.string(item, &format!("{path}[{i}]")) else { continue };
            self.declare_if_plugin(&name);
            entries.push(ToolRef { text: name.value, span: name.span });
        }
        Some(ToolList { entries, span: node.span })
    }

    /// JSON has no way to declare plugin tools, so an unknown name becomes one,
    /// with a warning; a name one typo away from a known tool stays unknown and
    /// the compiler reports it (a typo in a deny list must not pass quietly).
    fn declare_if_plugin(&mut self, name: &Spanned<String>) {
        let normalized = builtins::normalize_tool(&name.value).into_owned();
        if normalized.starts_with("group:") || normalized.contains('*') || normalized.is_empty() {
            return;
        }
        if builtins::TOOLS.contains(&normalized.as_str()) {
            return;
        }
        if suggest(&normalized, builtins::TOOLS.iter().copied()).is_some() {
            return;
        }
        if self.policy.plugin_tools.iter().any(|t| builtins::normalize_tool(&t.text) == normalized) {
            return;
        }
        self.sink.push(
            Diagnostic::warning(
                Code::PluginTool,
                &self.source,
                name.span,
                format!("`{normalized}` is not a built-in tool; imported as a plugin tool"),
            )
            .with_help("check the spelling: a misspelt tool in a deny list denies nothing"),
        );
        self.policy.plugin_tools.push(ToolRef { text: normalized, span: name.span });
    }

    fn rules(&mut self, node: &Node, path: &str, kind: RulesKind) -> Option<Rules> {
        let members = self.object(node, path)?;
        let mut rules = Rules::new(kind, node.span);
        let known: &[&str] = match kind {
            RulesKind::Scope => &["profile", "allow", "alsoAllow", "deny", "byProvider", "sandbox", "subagents"],
            RulesKind::Provider => &["profile", "allow", "alsoAllow", "deny"],
            _ => &["allow", "deny"],
        };
        for (key, value) in members {
            let p = format!("{path}.{}", key.name);
            if !known.contains(&key.name.as_str()) {
                // Other tool settings (exec, web, media...) are OpenClaw's, but a near miss of a
                // policy key (`Deny`, `alow`) is a typo that would drop a rule.
                if kind == RulesKind::Scope && suggest(&key.name, known.iter().copied()).is_none() {
                    self.ignored(key, &p, "tool settings other than profile, allow, alsoAllow, deny, byProvider, sandbox.tools and subagents.tools have no tool-policy meaning in Palisade");
                } else {
                    self.unknown(key, &p, known);
                }
                continue;
            }
            match key.name.as_str() {
                "profile" => rules.profile = self.string(value, &p),
                "allow" => rules.allow = self.tool_list(value, &p),
                "alsoAllow" => rules.also_allow = self.tool_list(value, &p),
                "deny" => rules.deny = self.tool_list(value, &p),
                "byProvider" => {
                    let Some(entries) = self.object(value, &p) else { continue };
                    for (provider, body) in entries {
                        let pp = format!("{p}.{}", provider.name);
                        if let Some(sub) = self.rules(body, &pp, RulesKind::Provider) {
                            let dup = rules.providers.iter().any(|k| k.key.value.eq_ignore_ascii_case(&provider.name));
                            if dup {
                                self.error(provider.span, format!("`{pp}`: provider `{}` is given twice (keys are case-insensitive)", provider.name));
                                continue;
                            }
                            rules.providers.push(Keyed { key: Spanned::new(provider.name.clone(), provider.span), rules: sub });
                        }
                    }
                }
                "sandbox" | "subagents" => {
                    let Some(inner) = self.object(value, &p) else { continue };
                    for (k, v) in inner {
                        let kp = format!("{p}.{}", k.name);
                        if k.name == "tools" {
                            let sub_kind = if key.name == "sandbox" { RulesKind::Sandbox } else { RulesKind::Subagents };
                            let sub = self.rules(v, &kp, sub_kind).map(Box::new);
                            if key.name == "sandbox" {
                                rules.sandbox = sub;
                            } else {
                                rules.subagents = sub;
                            }
                        } else {
                            self.ignored(k, &kp, "only `tools` is imported here");
                        }
                    }
                }
                _ => {}
            }
        }
        Some(rules)
    }

    // ---- ingress and routing --------------------------------------------------

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

    fn channels(&mut self, node: &Node, path: &str) {
        let Some(members) = self.object(node, path) else { return };
        for (name, body) in members {
            let p = format!("{path}.{}", name.name);
            let Some(fields) = self.object(body, &p) else { continue };
            if self.policy.channels.iter().any(|c| c.name.value.eq_ignore_ascii_case(&name.name)) {
                self.error(name.span, format!("`{p}`: channel `{}` is given twice (names are case-insensitive)", name.name));
                continue;
            }
            let mut channel = Channel::new(Spanned::new(name.name.clone(), name.span), body.span);
            for (key, value) in fields {
                let kp = format!("{p}.{}", key.name);
                match key.name.as_str() {
                    "dmPolicy" => channel.dm = self.named(value, &kp, "dm policy"),
                    "allowFrom" => channel.allow_from = self.id_list(value, &kp),
                    "groupPolicy" => channel.group_policy = self.named(value, &kp, "group policy"),
                    "groupAllowFrom" => channel.group_allow_from = self.id_list(value, &kp),
                    "groups" => channel.groups = self.groups(value, &kp),
                    "mentionPatterns" => channel.mention_patterns = self.patterns(value, &kp),
                    "commands" => {
                        let Some(settings) = self.object(value, &kp) else { continue };
                        for (k, v) in settings {
                            let cp = format!("{kp}.{}", k.name);
                            match k.name.as_str() {
                                "text" => channel.text_commands = self.boolean(v, &cp).map(|b| Spanned::new(b, v.span)),
                                "allowFrom" => channel.command_allow_from = self.id_list(v, &cp),
                                _ => self.unknown(k, &cp, &["text", "allowFrom"]),
                            }
                        }
                    }
                    _ if suggest(&key.name, CHANNEL_KEYS.iter().copied()).is_some() => self.unknown(key, &kp, CHANNEL_KEYS),
                    _ => self.ignored(key, &kp, "channel settings other than dmPolicy, allowFrom, groupPolicy, groupAllowFrom, groups, mentionPatterns and commands have no gating meaning"),
                }
            }
            self.policy.channels.push(channel);
        }
    }

    fn groups(&mut self, node: &Node, path: &str) -> Vec<GroupEntry> {
        let Some(members) = self.object(node, path) else { return Vec::new() };
        let mut groups = Vec::new();
        for (id, body) in members {
            let p = format!("{path}.{}", id.name);
            let Some(fields) = self.object(body, &p) else { continue };
            let mut entry = GroupEntry { id: Spanned::new(id.name.clone(), id.span), require_mention: None, tools: None, span: id.span };
            for (key, value) in fields {
                let kp = format!("{p}.{}", key.name);
                match key.name.as_str() {
                    "requireMention" => entry.require_mention = self.boolean(value, &kp).map(|b| Spanned::new(b, value.span)),
                    "tools" => entry.tools = self.rules(value, &kp, RulesKind::Group),
                    _ => self.ignored(key, &kp, "group settings other than requireMention and tools have no gating meaning"),
                }
            }
            groups.push(entry);
        }
        groups
    }

    fn patterns(&mut self, node: &Node, path: &str) -> Vec<Spanned<String>> {
        let Value::Array(items) = &node.value else {
            let kind = node.kind();
            self.error(node.span, format!("`{path}` must be an array of regexes, found {kind}"));
            return Vec::new();
        };
        items.iter().enumerate().filter_map(|(i, item)| self.string(item, &format!("{path}[{i}]"))).collect()
    }

    /// `messages.groupChat.mentionPatterns`: the patterns of every channel
    /// that gives none of its own.
    fn messages(&mut self, node: &Node, path: &str) {
        let Some(members) = self.object(node, path) else { return };
        for (key, value) in members {
            let p = format!("{path}.{}", key.name);
            if key.name != "groupChat" {
                self.ignored(key, &p, "message settings other than groupChat.mentionPatterns have no gating meaning");
                continue;
            }
            let Some(fields) = self.object(value, &p) else { continue };
            for (k, v) in fields {
                let kp = format!("{p}.{}", k.name);
                if k.name == "mentionPatterns" {
                    self.global_mentions = self.patterns(v, &kp);
                } else {
                    self.ignored(k, &kp, "only mentionPatterns is imported here");
                }
            }
        }
    }

    fn apply_global_mention_patterns(&mut self) {
        if self.global_mentions.is_empty() {
            return;
        }
        for channel in self.policy.channels.iter_mut().filter(|c| c.mention_patterns.is_empty()) {
            channel.mention_patterns = self.global_mentions.clone();
        }
    }

    fn session(&mut self, node: &Node, path: &str) {
        let Some(members) = self.object(node, path) else { return };
        let mut sessions = Sessions { span: node.span, ..Sessions::default() };
        for (key, value) in members {
            let p = format!("{path}.{}", key.name);
            match key.name.as_str() {
                "dmScope" => sessions.dm_scope = self.named(value, &p, "dm scope"),
                "scope" => sessions.scope = self.named(value, &p, "session scope"),
                "identityLinks" => {
                    let Some(links) = self.object(value, &p) else { continue };
                    for (canonical, ids) in links {
                        let lp = format!("{p}.{}", canonical.name);
                        let Some(list) = self.id_list(ids, &lp) else { continue };
                        sessions.links.push(IdentityLink { canonical: Spanned::new(canonical.name.clone(), canonical.span), peers: list.entries });
                    }
                }
                _ => self.ignored(key, &p, "session settings other than dmScope, scope and identityLinks have no routing meaning"),
            }
        }
        self.policy.sessions = Some(sessions);
    }

    fn bindings(&mut self, node: &Node, path: &str) {
        let Value::Array(items) = &node.value else {
            let kind = node.kind();
            self.error(node.span, format!("`{path}` must be an array, found {kind}"));
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let p = format!("{path}[{i}]");
            let Some(fields) = self.object(item, &p) else { continue };
            let mut agent = None;
            let mut binding = None;
            for (key, value) in fields {
                let kp = format!("{p}.{}", key.name);
                match key.name.as_str() {
                    "agentId" => agent = self.string(value, &kp),
                    "match" => binding = self.binding_match(value, &kp),
                    _ => self.unknown(key, &kp, &["agentId", "match"]),
                }
            }
            match (agent, binding) {
                (Some(agent), Some(mut binding)) => {
                    binding.agent = agent;
                    binding.span = item.span;
                    self.policy.bindings.push(binding);
                }
                (None, _) => {
                    self.error(item.span, format!("`{p}` has no `agentId`"));
                }
                (_, None) => {
                    self.error(item.span, format!("`{p}` has no `match` with a `channel`"));
                }
            }
        }
    }

    /// `gateway.{bind,customBindHost,port,auth.{mode,rateLimit}}`. A literal
    /// secret in the file is not imported: the gateway reads secrets from the
    /// environment or a file, never from the policy.
    fn gateway(&mut self, node: &Node, path: &str) {
        let Some(members) = self.object(node, path) else { return };
        let mut gateway = GatewaySettings { span: node.span, ..GatewaySettings::default() };
        let mut custom_host = None;
        for (key, value) in members {
            let p = format!("{path}.{}", key.name);
            match key.name.as_str() {
                "bind" => gateway.bind = self.string(value, &p),
                "customBindHost" => custom_host = self.string(value, &p),
                "port" => gateway.port = self.scalar(value, &p),
                "auth" => {
                    let Some(fields) = self.object(value, &p) else { continue };
                    let mut mode = None;
                    for (k, v) in fields {
                        let ap = format!("{p}.{}", k.name);
                        match k.name.as_str() {
                            "mode" => mode = self.named::<AuthMode>(v, &ap, "auth mode"),
                            "token" | "password" => {
                                self.sink.push(
                                    Diagnostic::warning(
                                        Code::LiteralSecret,
                                        &self.source,
                                        k.span,
                                        format!("`{ap}` holds a literal secret; it is not imported"),
                                    )
                                    .with_help("the gateway reads its secret from PALISADE_GATEWAY_TOKEN (or `auth token from file`); move it there"),
                                );
                                if mode.is_none() {
                                    let implied = if k.name == "token" { AuthMode::Token } else { AuthMode::Password };
                                    mode = Some(Spanned::new(implied, k.span));
                                }
                            }
                            "rateLimit" => gateway.rate_limit = self.rate_limit(v, &ap),
                            _ => self.ignored(k, &ap, "auth settings other than mode, token, password and rateLimit are not imported"),
                        }
                    }
                    if let Some(mode) = mode {
                        gateway.auth = Some(AuthSettings { mode, source: None, span: value.span });
                    }
                }
                _ => self.ignored(key, &p, "gateway settings other than bind, customBindHost, port and auth are not imported"),
            }
        }
        if gateway.bind.as_ref().is_some_and(|b| b.value == "custom") {
            gateway.bind = custom_host;
        }
        self.policy.gateway = Some(gateway);
    }

    /// `{ maxAttempts, windowMs, lockoutMs }`.
    fn rate_limit(&mut self, node: &Node, path: &str) -> Option<RateLimitSettings> {
        let fields = self.object(node, path)?;
        let mut attempts = None;
        let mut window = None;
        let mut lockout = None;
        for (key, value) in fields {
            let p = format!("{path}.{}", key.name);
            let millis = |this: &mut Self| this.scalar(value, &p).map(|v| Spanned::new(format!("{}ms", v.value), v.span));
            match key.name.as_str() {
                "maxAttempts" => attempts = self.scalar(value, &p),
                "windowMs" => window = millis(self),
                "lockoutMs" => lockout = millis(self),
                _ => self.unknown(key, &p, &["maxAttempts", "windowMs", "lockoutMs"]),
            }
        }
        let span = node.span;
        Some(RateLimitSettings {
            attempts: attempts.unwrap_or_else(|| Spanned::new("10".into(), span)),
            window: window.unwrap_or_else(|| Spanned::new("1m".into(), span)),
            lockout,
            span,
        })
    }

    fn binding_match(&mut self, node: &Node, path: &str) -> Option<Binding> {
        let fields = self.object(node, path)?;
        let mut channel = None;
        let mut binding = Binding {
            agent: Spanned::new(String::new(), node.span),
            channel: Spanned::new(String::new(), node.span),
            account: None,
            peer: None,
            guild: None,
            team: None,
            roles: Vec::new(),
            span: node.span,
        };
        for (key, value) in fields {
            let p = format!("{path}.{}", key.name);
            match key.name.as_str() {
                "channel" => channel = self.string(value, &p),
                "accountId" => binding.account = self.scalar(value, &p),
                "guildId" => binding.guild = self.scalar(value, &p),
                "teamId" => binding.team = self.scalar(value, &p),
                "roles" => binding.roles = self.id_list(value, &p).map(|l| l.entries).unwrap_or_default(),
                "peer" => {
                    let Some(peer) = self.object(value, &p) else { continue };
                    let mut kind = ChatKind::Direct;
                    let mut id = None;
                    for (k, v) in peer {
                        let pp = format!("{p}.{}", k.name);
                        match k.name.as_str() {
                            "kind" => kind = self.named(v, &pp, "peer kind").map_or(kind, |k| k.value),
                            "id" => id = self.scalar(v, &pp),
                            _ => self.unknown(k, &pp, &["kind", "id"]),
                        }
                    }
                    match id {
                        Some(id) => binding.peer = Some((kind, id)),
                        None => {
                            self.error(value.span, format!("`{p}` has no `id`"));
                        }
                    }
                }
                _ => self.unknown(key, &p, &["channel", "accountId", "peer", "guildId", "teamId", "roles"]),
            }
        }
        binding.channel = channel?;
        Some(binding)
    }
}
