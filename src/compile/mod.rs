//! AST -> engine: validate, resolve names and groups, build the layers of
//! ARCHITECTURE.md's Decision semantics, and fold every decision context into a bitset.

use crate::diagnostic::Code;
use crate::gateway_config::GatewayConfig;

pub(crate) mod gateway;
mod ingress;
mod sandbox;
mod tests_run;

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::ast::{Keyed, Policy, Rules, SandboxMode, ToolList, ToolRef, WorkspaceAccess};
use crate::builtins;
use crate::diagnostic::{suggest, Diagnostic, PolicyError, Sink};
use crate::engine::{AgentEntry, Engine, Entry, GlobalLayers, Layer, LayerId, LayerKind, Map, Matcher, Parts, RuleSet, Set, TooManyContexts};
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

/// What a shared layer is built from: its kind, its name, and which AST
/// nodes (by address: the AST is borrowed, unmoved, for the whole compile).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SharedLayerKey {
    kind: LayerKind,
    name: String,
    sources: Vec<usize>,
}

fn node_address<T>(node: Option<&T>) -> usize {
    node.map_or(0, |n| std::ptr::from_ref(n) as usize)
}

fn provider_head(key: &str) -> &str {
    key.split('/').next().unwrap_or(key)
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
        let policy = self.policy;
        let global = Scope { rules: policy.tools.as_ref(), label: "global".into() };
        if let Some(rules) = global.rules {
            self.check_scope(rules, "global");
        }

        // Agents: ids, defaults, duplicates. No agent at all means OpenClaw's
        // implicit `main`.
        let mut agent_ids: Vec<String> = Vec::new();
        let mut default_agent = None;
        let mut first_default: Option<Span> = None;
        for agent in &policy.agents {
            let id = agent.id.value.to_lowercase();
            if let Some(i) = agent_ids.iter().position(|a| *a == id) {
                let first = policy.agents.get(i).map_or(agent.id.span, |a| a.id.span);
                self.error(Code::DuplicateAgent, agent.id.span, format!("agent `{id}` is defined twice"))
                    .related_spans
                    .push((first, "first defined here".into()));
            }
            if let Some(span) = agent.default {
                if let Some(first) = first_default {
                    self.error(Code::DuplicateDefault, span, "two agents are marked `default`")
                        .related_spans
                        .push((first, "first default here".into()));
                } else {
                    first_default = Some(span);
                    default_agent = Some(agent_ids.len());
                }
            }
            agent_ids.push(id);
        }
        let implicit_main = policy.agents.is_empty();
        if implicit_main {
            agent_ids.push("main".into());
        }

        // Provider and sender classes: every key any scope names.
        let mut provider_keys = BTreeSet::new();
        let mut sender_keys = BTreeSet::new();
        let scopes: Vec<&Rules> = policy.tools.iter().chain(policy.agents.iter().filter_map(|a| a.tools.as_ref())).collect();
        for rules in &scopes {
            for keyed in &rules.providers {
                let key = keyed.key.value.trim().to_lowercase();
                let valid = !key.is_empty() && !key.chars().any(char::is_whitespace) && key.split('/').all(|part| !part.is_empty()) && key != "*";
                if valid {
                    provider_keys.insert(key);
                } else {
                    self.error(Code::BadProvider, keyed.key.span, format!("`{}` is not a provider key", keyed.key.value)).help =
                        Some("write `provider` or `provider/model`, e.g. \"openai\" or \"openai/gpt-5\"".into());
                }
            }
            for keyed in &rules.senders {
                let key = keyed.key.value.trim().to_lowercase();
                if key.is_empty() {
                    self.error(Code::BadSender, keyed.key.span, "empty sender key");
                } else if key != "*" {
                    sender_keys.insert(key);
                }
            }
        }
        let provider_names: Vec<String> = provider_keys.into_iter().collect();
        let sender_names: Vec<String> = sender_keys.into_iter().collect();
        let (group_index, group_names, global_group) = self.group_layers();

        // Global layers.
        let global_rules = self.rules_layer(global.rules, LayerKind::Global, || "global".into());
        let mut global_provider_rules = vec![None];
        for key in &provider_names {
            let entry = Self::provider_entry(global.rules, key);
            let layer = self.rules_layer(entry.map(|k| &k.rules), LayerKind::GlobalProvider, || format!("global provider {}", entry_key(entry, key)));
            global_provider_rules.push(layer);
        }
        let subagent_fixed = self.fixed_layer(LayerKind::SubagentFixed, "sub-agent", builtins::SUBAGENT_DENY, "sub-agents never get `{tool}`");
        let subagent = self.rules_layer(global.rules.and_then(|r| r.subagents.as_deref()), LayerKind::Subagent, || "global subagent policy".into());
        let global_sender = self.sender_layers(global.rules, &sender_names, "global");
        let owner_only =
            self.fixed_layer(LayerKind::OwnerOnly, "owner-only", builtins::OWNER_ONLY, "`{tool}` is owner-only and the sender is not an owner");
        // Agents.
        let mut agents = Vec::new();
        for (index, id) in agent_ids.iter().enumerate() {
            let ast_agent = policy.agents.get(index);
            let label = format!("agent {id}");
            let agent_rules = ast_agent.and_then(|a| a.tools.as_ref());
            if let Some(rules) = agent_rules {
                self.check_scope(rules, &label);
            }
            let sandbox = sandbox::resolve(ast_agent.and_then(|a| a.sandbox.as_ref()), policy.sandbox_defaults.as_ref(), self.source, &mut self.sink);
            let shares_workspace = sandbox.mode != SandboxMode::Off
                && sandbox.scope == crate::ast::SandboxScope::Session
                && sandbox.workspace == WorkspaceAccess::ReadWrite;
            if shares_workspace {
                let span = ast_agent
                    .and_then(|a| a.sandbox.as_ref())
                    .and_then(|s| s.workspace.as_ref().map(|w| w.span))
                    .or_else(|| policy.sandbox_defaults.as_ref().and_then(|d| d.workspace.as_ref().map(|w| w.span)))
                    .unwrap_or_default();
                self.warning(
                    Code::SharedWorkspace,
                    span,
                    format!("agent `{id}` runs one container per session but mounts its workspace read-write in all of them"),
                )
                .help = Some("sessions can pass files to each other through it; `workspace none` gives each session a private scratch directory, `ro` makes it read-only".into());
            }
            if let (Some(agent), SandboxMode::Off) = (ast_agent, sandbox.mode) {
                if let Some(settings) = &agent.sandbox {
                    let says_more = settings.scope.is_some() || settings.workspace.is_some() || !settings.docker.is_empty();
                    if says_more {
                        self.warning(Code::Contradiction, settings.span, format!("agent `{id}` has sandbox off, so these settings never apply"));
                    }
                }
                if let Some(sb) = agent_rules.and_then(|r| r.sandbox.as_deref()) {
                    self.warning(Code::Contradiction, sb.span, format!("agent `{id}` has sandbox off, so its sandbox tool policy never applies"));
                }
            }

            let agent_scope = Scope { rules: agent_rules, label: label.clone() };
            let profile = self.profile_layer(&agent_scope, None, &global, None, LayerKind::Profile, "profile");
            let mut provider_profile = vec![None];
            let mut provider_rules = vec![None];
            for key in &provider_names {
                let agent_entry = Self::provider_entry(agent_rules, key);
                let global_entry = Self::provider_entry(global.rules, key);
                provider_profile.push(self.profile_layer(
                    &agent_scope,
                    Some(agent_entry),
                    &global,
                    Some(global_entry),
                    LayerKind::ProviderProfile,
                    &format!("provider {} profile", entry_key(agent_entry.or(global_entry), key)),
                ));
                provider_rules.push(self.rules_layer(agent_entry.map(|k| &k.rules), LayerKind::AgentProvider, || {
                    format!("{label} provider {}", entry_key(agent_entry, key))
                }));
            }
            let rules = self.rules_layer(agent_rules, LayerKind::Agent, || label.clone());
            let sandbox_tools =
                self.sandbox_layer(agent_rules.and_then(|r| r.sandbox.as_deref()), global.rules.and_then(|r| r.sandbox.as_deref()), &label);
            let workspace_ro = (sandbox.workspace == WorkspaceAccess::ReadOnly).then(|| {
                self.fixed_layer(
                    LayerKind::SandboxWorkspace,
                    &format!("{label} read-only workspace"),
                    builtins::WORKSPACE_WRITE_TOOLS,
                    "the sandbox mounts the workspace read-only, so `{tool}` is unavailable",
                )
            });
            let subagent_own =
                self.rules_layer(agent_rules.and_then(|r| r.subagents.as_deref()), LayerKind::Subagent, || format!("{label} subagent policy"));
            let sender = self.sender_layers(agent_rules, &sender_names, &label);
            agents.push(AgentEntry {
                id: id.clone(),
                name: ast_agent.and_then(|a| a.name.as_ref()).map(|n| n.value.clone()),
                main_key: crate::engine::route::main_session_key(id),
                sandbox,
                profile,
                provider_profile,
                rules,
                provider_rules,
                sandbox_tools,
                workspace_ro,
                subagent: subagent_own,
                sender,
            });
        }

        let mut owners = Set::default();
        for owner in &policy.owners {
            let key = owner.value.trim().to_lowercase();
            if key.is_empty() || key == "*" {
                self.error(Code::BadOwner, owner.span, "owners must be named senders (`channel:id`)").help =
                    Some("an owner wildcard would make every sender an owner".into());
            } else {
                owners.insert(key.into_boxed_str());
            }
        }

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
            global: GlobalLayers {
                rules: global_rules,
                provider_rules: global_provider_rules,
                subagent_fixed,
                subagent,
                sender: global_sender,
                group: global_group,
                owner_only,
            },
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
        tests_run::run(policy, &engine, &mut self.sink);
        Some((engine, gateway))
    }

    // ---- names ---------------------------------------------------------------

    /// The matcher of an interned name, sharing the interned string.
    fn exact(&self, name: &str) -> Option<Matcher> {
        let id = *self.tool_index.get(name)?;
        self.tool_names.get(id as usize).map(|n| Matcher::Exact(n.clone()))
    }

    fn intern(&mut self, name: &str) {
        if !self.tool_index.contains_key(name) {
            self.tool_index.insert(name.to_string(), self.tool_names.len() as u32);
            self.tool_names.push(Arc::from(name));
        }
    }

    fn catalog(&mut self) {
        for tool in builtins::TOOLS {
            self.intern(tool);
        }
        for tool in &self.policy.plugin_tools {
            let name = builtins::normalize_tool(&tool.text);
            let valid =
                !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')) && !name.starts_with("group:");
            if !valid {
                self.error(Code::BadToolName, tool.span, format!("`{}` is not a tool name", tool.text)).help =
                    Some("plugin tool names use letters, digits, `_`, `-`, `.` and `:`, no `*`".into());
            } else if builtins::TOOLS.contains(&&*name) {
                self.warning(Code::Redundant, tool.span, format!("`{name}` is a built-in tool already"));
            } else {
                self.intern(&name);
            }
        }
    }

    fn resolve_groups(&mut self) {
        let policy = self.policy;
        let mut defined: Map<String, usize> = Map::default();
        for (i, group) in policy.groups.iter().enumerate() {
            let name = group.name.value.to_lowercase();
            if builtins::group(&name).is_some() {
                self.error(Code::RedefinedGroup, group.name.span, format!("`group:{name}` is a built-in group")).help =
                    Some("choose another name; built-in groups cannot be redefined".into());
            } else if let Some(first) = defined.get(&name).and_then(|&j| policy.groups.get(j)) {
                let first = first.name.span;
                self.error(Code::DuplicateGroup, group.name.span, format!("group `{name}` is defined twice"))
                    .related_spans
                    .push((first, "first defined here".into()));
            } else {
                defined.insert(name, i);
            }
        }
        let mut names: Vec<(String, usize)> = defined.into_iter().collect();
        names.sort_by_key(|(_, i)| *i);
        for (name, i) in names {
            let mut visiting = Vec::new();
            self.expand_user_group(&name, i, &mut visiting);
        }
    }

    fn expand_user_group(&mut self, name: &str, index: usize, visiting: &mut Vec<String>) -> Vec<Matcher> {
        if let Some(done) = self.groups.get(name) {
            return done.clone();
        }
        let Some(group) = self.policy.groups.get(index) else { return Vec::new() };
        if visiting.iter().any(|v| v == name) {
            self.error(Code::GroupCycle, group.name.span, format!("group `{name}` includes itself through {}", visiting.join(" -> ")));
            return Vec::new();
        }
        visiting.push(name.to_string());
        let mut out = Vec::new();
        for member in &group.members {
            self.resolve_ref(member, visiting, &mut out);
        }
        visiting.pop();
        self.groups.insert(name.to_string(), out.clone());
        out
    }

    /// One tool reference -> matchers appended to `out`, reporting unknown names.
    fn resolve_ref(&mut self, tool: &ToolRef, visiting: &mut Vec<String>, out: &mut Vec<Matcher>) {
        let text = builtins::lowercase(tool.text.trim());
        if let Some(group) = text.strip_prefix("group:") {
            if let Some(members) = builtins::group(group) {
                out.extend(members.iter().filter_map(|m| self.exact(m)));
                return;
            }
            if let Some(members) = self.groups.get(group) {
                out.extend_from_slice(members);
                return;
            }
            let user = self.policy.groups.iter().position(|g| g.name.value.eq_ignore_ascii_case(group));
            if let Some(i) = user {
                out.extend(self.expand_user_group(group, i, visiting));
                return;
            }
            let mut candidates: Vec<String> = builtins::GROUPS.iter().map(|(g, _)| (*g).to_string()).collect();
            candidates.extend(self.policy.groups.iter().map(|g| g.name.value.to_lowercase()));
            let hint = suggest(group, candidates.iter().map(String::as_str)).map(|s| format!("did you mean `group:{s}`?"));
            let diagnostic = self.error(Code::UnknownGroup, tool.span, format!("unknown group `{}`", tool.text));
            diagnostic.label = Some("not a built-in or defined group".into());
            diagnostic.help = Some(hint.unwrap_or_else(|| format!("groups: {}", candidates.join(", "))));
            return;
        }
        if text.contains('*') {
            let pattern = text.trim().to_string();
            if !self.tool_names.iter().any(|n| builtins::glob_match(&pattern, n)) {
                self.warning(Code::PatternMatchesNothing, tool.span, format!("`{pattern}` matches no known tool")).help =
                    Some("it will still match plugin tools at run time".into());
            }
            out.push(Matcher::Glob(pattern.into()));
            return;
        }
        let name = builtins::normalize_tool(&text);
        if let Some(exact) = self.exact(&name) {
            out.push(exact);
            return;
        }
        let names: Vec<&str> = self.tool_names.iter().map(|n| &**n).chain(builtins::ALIASES.iter().map(|(a, _)| *a)).collect();
        let hint = suggest(&name, names.iter().copied()).map(|s| format!("did you mean `{s}`?"));
        let diagnostic = self.error(Code::UnknownTool, tool.span, format!("unknown tool `{}`", tool.text));
        diagnostic.label = Some("not a built-in or declared tool".into());
        diagnostic.help = Some(hint.unwrap_or_else(|| "declare plugin tools with `plugin_tools name, ...` at the top of the policy".into()));
    }

    fn entries(&mut self, list: &ToolList) -> RuleSet {
        let mut entries = Vec::with_capacity(list.entries.len());
        let mut matchers = Vec::new();
        for tool in &list.entries {
            matchers.clear();
            self.resolve_ref(tool, &mut Vec::new(), &mut matchers);
            let at = Some(self.source.location(tool.span));
            let written: Arc<str> = Arc::from(tool.text.as_str());
            for matcher in matchers.drain(..) {
                entries.push(Entry { matcher, written: written.clone(), at: at.clone() });
            }
        }
        RuleSet { entries, at: Some(self.source.location(list.span)) }
    }

    // ---- scope checks ----------------------------------------------------------

    fn check_scope(&mut self, rules: &Rules, label: &str) {
        self.check_block(rules, &|| label.to_string());
        for keyed in &rules.providers {
            self.check_block(&keyed.rules, &|| format!("{label} provider {}", keyed.key.value));
        }
        for keyed in &rules.senders {
            self.check_block(&keyed.rules, &|| format!("{label} sender {}", keyed.key.value));
        }
        if let Some(sandbox) = &rules.sandbox {
            self.check_block(sandbox, &|| format!("{label} sandbox tool policy"));
        }
        if let Some(subagents) = &rules.subagents {
            self.check_block(subagents, &|| format!("{label} subagent policy"));
            if let Some(allow) = &subagents.allow {
                for tool in &allow.entries {
                    let name = builtins::normalize_tool(&tool.text);
                    if builtins::SUBAGENT_DENY.contains(&&*name) {
                        self.warning(Code::NoEffect, tool.span, format!("sub-agents never get `{name}`; this entry has no effect"));
                    }
                }
            }
        }
    }

    /// `label` names the block in messages; built only when there is one.
    fn check_block(&mut self, rules: &Rules, label: &dyn Fn() -> String) {
        if let (Some(allow), Some(also)) = (&rules.allow, &rules.also_allow) {
            self.error(Code::AllowAndAlsoAllow, also.span, format!("`allow` and `also_allow` together in {}", label()))
                .related_spans
                .push((allow.span, "`allow` here".into()));
            self.sink
                .diagnostics
                .last_mut()
                .into_iter()
                .for_each(|d| d.help = Some("`allow` replaces the profile's list; `also_allow` adds to it. Keep one.".into()));
        }
        if let Some(allow) = rules.allow.as_ref().filter(|a| a.entries.is_empty()) {
            self.error(Code::EmptyAllow, allow.span, format!("empty allow list in {}", label())).help = Some(
                "OpenClaw reads `allow: []` as allow-all; Palisade refuses to guess. Remove the line to allow \
                 everything the other layers allow, or add `deny *` to allow nothing"
                    .into(),
            );
        }
        if let Some(also) = rules.also_allow.as_ref().filter(|a| a.entries.is_empty()) {
            self.warning(Code::NoEffect, also.span, format!("empty also_allow list in {}", label()));
        }
        if let Some(deny) = rules.deny.as_ref().filter(|a| a.entries.is_empty()) {
            self.warning(Code::NoEffect, deny.span, format!("empty deny list in {}", label()));
        }
        if let (Some(allow), Some(deny)) = (&rules.allow, &rules.deny) {
            for tool in &allow.entries {
                let name = builtins::normalize_tool(&tool.text);
                if let Some(d) = deny.entries.iter().find(|d| builtins::normalize_tool(&d.text) == name) {
                    self.warning(Code::Contradiction, tool.span, format!("`{name}` is both allowed and denied in {}; deny wins", label()))
                        .related_spans
                        .push((d.span, "denied here".into()));
                }
            }
        }
        if let Some(profile) = &rules.profile {
            let name = profile.value.to_lowercase();
            if builtins::profile(&name).is_none() {
                let hint = suggest(&name, builtins::PROFILES.iter().map(|(p, _)| *p));
                self.error(Code::UnknownProfile, profile.span, format!("unknown profile `{}`", profile.value)).help = Some(match hint {
                    Some(h) => format!("did you mean `{h}`?"),
                    None => "profiles: minimal, coding, messaging, full".into(),
                });
            }
        }
    }

    // ---- layers ---------------------------------------------------------------

    fn push_layer(&mut self, kind: LayerKind, name: String, allow: Option<RuleSet>, deny: RuleSet, deny_reason: Option<String>) -> LayerId {
        let allow_bits = allow.as_ref().map(|a| self.matching_bits(a));
        let deny_bits = self.matching_bits(&deny);
        self.layers.push(Layer { kind, name, allow, deny, deny_reason, allow_bits, deny_bits });
        (self.layers.len() - 1) as LayerId
    }

    /// The interned tools some entry of `rules` matches.
    fn matching_bits(&self, rules: &RuleSet) -> Vec<u64> {
        let mut bits = vec![0u64; self.tool_names.len().div_ceil(64)];
        let mut set = |i: usize| {
            if let Some(word) = bits.get_mut(i / 64) {
                *word |= 1 << (i % 64);
            }
        };
        for entry in &rules.entries {
            match &entry.matcher {
                Matcher::Exact(name) => {
                    if let Some(id) = self.tool_index.get(&**name) {
                        set(*id as usize);
                    }
                }
                Matcher::Glob(pattern) => {
                    for (i, tool) in self.tool_names.iter().enumerate() {
                        if builtins::glob_match(pattern, tool) {
                            set(i);
                        }
                    }
                }
            }
        }
        bits
    }

    /// An allow/deny layer from a rules block, or none when it restricts nothing.
    /// `name` is built only when there is a layer to name.
    fn rules_layer(&mut self, rules: Option<&Rules>, kind: LayerKind, name: impl FnOnce() -> String) -> Option<LayerId> {
        let rules = rules?;
        let allow = rules.allow.as_ref().filter(|a| !a.entries.is_empty()).map(|a| self.entries(a));
        let deny = rules.deny.as_ref().map(|d| self.entries(d)).unwrap_or_default();
        if allow.is_none() && deny.entries.is_empty() {
            return None;
        }
        Some(self.push_layer(kind, name(), allow, deny, None))
    }

    /// A built-in list of plain tool names (never groups or patterns).
    fn fixed_rules(&self, names: &[&str]) -> RuleSet {
        let entries = names
            .iter()
            .map(|t| {
                let matcher = self.exact(t).unwrap_or_else(|| Matcher::Exact(Arc::from(*t)));
                Entry { matcher, written: Arc::from(*t), at: None }
            })
            .collect();
        RuleSet { entries, at: None }
    }

    fn fixed_layer(&mut self, kind: LayerKind, name: &str, deny: &[&str], reason: &str) -> LayerId {
        let deny = self.fixed_rules(deny);
        self.push_layer(kind, name.to_string(), None, deny, Some(reason.to_string()))
    }

    /// The sandbox tool policy, field by field as OpenClaw resolves it: the
    /// agent's allow list, else the global one, else the default; the same for
    /// deny. A sandbox block that gives only `deny` keeps the default allow
    /// list, which is the reading that fails closed.
    fn sandbox_layer(&mut self, agent: Option<&Rules>, global: Option<&Rules>, label: &str) -> LayerId {
        let pick = |field: fn(&Rules) -> Option<&ToolList>| -> (Option<&ToolList>, &str) {
            match (agent.and_then(field), global.and_then(field)) {
                (Some(list), _) => (Some(list), "agent"),
                (None, Some(list)) => (Some(list), "global"),
                (None, None) => (None, "default"),
            }
        };
        let (allow_list, allow_from) = pick(|r| r.allow.as_ref().filter(|a| !a.entries.is_empty()));
        let (deny_list, deny_from) = pick(|r| r.deny.as_ref());
        let source = |from: &str| match from {
            "agent" => format!("{label} sandbox tool policy"),
            "global" => "global sandbox tool policy".to_string(),
            _ => "default sandbox policy".to_string(),
        };
        let name = if allow_from == deny_from {
            source(allow_from)
        } else {
            format!("sandbox tool policy (allow: {}, deny: {})", source(allow_from), source(deny_from))
        };
        let key = SharedLayerKey { kind: LayerKind::Sandbox, name: name.clone(), sources: vec![node_address(allow_list), node_address(deny_list)] };
        if let Some(id) = self.shared_layers.get(&key) {
            return *id;
        }
        let allow = match allow_list {
            Some(list) => self.entries(list),
            None => self.fixed_rules(builtins::DEFAULT_SANDBOX_ALLOW),
        };
        let deny = match deny_list {
            Some(list) => self.entries(list),
            None => self.fixed_rules(builtins::DEFAULT_SANDBOX_DENY),
        };
        let id = self.push_layer(LayerKind::Sandbox, name, Some(allow), deny, None);
        self.shared_layers.insert(key, id);
        id
    }

    /// The profile layer: the agent's profile replaces the global one;
    /// `also_allow` adds to the profile of its own scope, and an agent's
    /// `also_allow` adds to whichever profile it ends up with.
    /// For provider profiles the same rule applies between the agent's and the
    /// global provider entry.
    fn profile_layer(
        &mut self,
        agent: &Scope<'_>,
        agent_entry: Option<Option<&Keyed>>,
        global: &Scope<'_>,
        global_entry: Option<Option<&Keyed>>,
        kind: LayerKind,
        what: &str,
    ) -> Option<LayerId> {
        let agent_rules: Option<&Rules> = match agent_entry {
            None => agent.rules,
            Some(keyed) => keyed.map(|k| &k.rules),
        };
        let global_rules: Option<&Rules> = match global_entry {
            None => global.rules,
            Some(keyed) => keyed.map(|k| &k.rules),
        };
        let (profile, owner_label, own_also) = match agent_rules.and_then(|r| r.profile.as_ref()) {
            Some(p) => (Some(p), agent.label.clone(), vec![agent_rules.and_then(|r| r.also_allow.as_ref())]),
            None => (
                global_rules.and_then(|r| r.profile.as_ref()),
                global.label.clone(),
                vec![global_rules.and_then(|r| r.also_allow.as_ref()), agent_rules.and_then(|r| r.also_allow.as_ref())],
            ),
        };
        let also: Vec<&ToolList> = own_also.into_iter().flatten().filter(|l| !l.entries.is_empty()).collect();
        let restricting = profile.and_then(|p| builtins::profile(&p.value.to_lowercase())).flatten();
        let Some(members) = restricting else {
            if let (Some(first), true) = (also.first(), agent_entry.is_none() || agent_rules.is_some()) {
                // Report once, at the scope that wrote it.
                let span = first.span;
                let already = self.sink.diagnostics.iter().any(|d| d.span == span && d.code == Code::NoEffect);
                if !already {
                    self.warning(Code::NoEffect, span, "`also_allow` has no effect without a restricting profile").help = Some(
                        "`also_allow` adds tools to a profile such as `coding`; with no profile (or `full`) everything passes this layer".into(),
                    );
                }
            }
            return None;
        };
        let profile = profile?;
        let profile_name: Arc<str> = Arc::from(profile.value.to_lowercase());
        let name = match kind {
            LayerKind::Profile => format!("profile {profile_name} ({owner_label})"),
            _ => format!("{what} {profile_name} ({owner_label})"),
        };
        let key = SharedLayerKey {
            kind,
            name: name.clone(),
            sources: std::iter::once(node_address(Some(profile))).chain(also.iter().map(|l| node_address(Some(*l)))).collect(),
        };
        if let Some(id) = self.shared_layers.get(&key) {
            return Some(*id);
        }
        let mut allow = RuleSet { entries: Vec::new(), at: Some(self.source.location(profile.span)) };
        let at = Some(self.source.location(profile.span));
        let mut refs = Vec::new();
        for member in members {
            self.resolve_ref(&ToolRef { text: (*member).to_string(), span: profile.span }, &mut Vec::new(), &mut refs);
        }
        allow.entries.extend(refs.into_iter().map(|matcher| Entry { matcher, written: profile_name.clone(), at: at.clone() }));
        for list in also {
            let extra = self.entries(list);
            allow.entries.extend(extra.entries);
        }
        let id = self.push_layer(kind, name, Some(allow), RuleSet::default(), None);
        self.shared_layers.insert(key, id);
        Some(id)
    }

    fn provider_entry<'r>(rules: Option<&'r Rules>, key: &str) -> Option<&'r Keyed> {
        let rules = rules?;
        let find = |k: &str| rules.providers.iter().find(|p| p.key.value.trim().eq_ignore_ascii_case(k));
        find(key).or_else(|| if key.contains('/') { find(provider_head(key)) } else { None })
    }

    fn sender_layers(&mut self, rules: Option<&Rules>, sender_names: &[String], label: &str) -> Vec<Option<LayerId>> {
        let find = |k: &str| rules.and_then(|r| r.senders.iter().find(|s| s.key.value.trim().eq_ignore_ascii_case(k)));
        let star = find("*");
        let mut out = Vec::with_capacity(sender_names.len() + 1);
        // One layer per distinct block, shared by the classes it serves.
        let star_layer = self.rules_layer(star.map(|k| &k.rules), LayerKind::Sender, || format!("{label} sender * policy"));
        out.push(star_layer);
        for key in sender_names {
            match find(key) {
                Some(keyed) => {
                    let layer = self.rules_layer(Some(&keyed.rules), LayerKind::Sender, || format!("{label} sender {key} policy"));
                    out.push(layer);
                }
                None => out.push(star_layer),
            }
        }
        out
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
        // Locations are what the engine keeps; map back to the statement's span.
        let Some(at) = layer.allow.as_ref().and_then(|a| a.at.as_ref()) else { return Span::default() };
        let line_start = self.source.text.split_inclusive('\n').take(at.line as usize - 1).map(str::len).sum::<usize>();
        let start =
            self.source.text.get(line_start..).map(|rest| rest.chars().take(at.col as usize - 1).map(char::len_utf8).sum::<usize>()).unwrap_or(0);
        let start = line_start + start;
        let end = self.source.text.get(start..).and_then(|r| r.find('\n')).map_or(self.source.text.len(), |e| start + e);
        Span::new(start, end)
    }
}

fn entry_key(entry: Option<&Keyed>, fallback: &str) -> String {
    entry.map_or_else(|| fallback.to_string(), |k| k.key.value.trim().to_lowercase())
}
