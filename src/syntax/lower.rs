//! Parse tree -> AST. Runs right after pest, so nothing borrowed from the
//! text outlives this module.

use std::sync::Arc;

use pest::iterators::{Pair, Pairs};

use super::ast::*;
use super::Rule;
use crate::diagnostic::Code;
use crate::diagnostic::{Diagnostic, Sink};
use crate::source::{SourceFile, Span};
use crate::vocab::ByOutcome;

struct Lowerer<'s> {
    source: Arc<SourceFile>,
    sink: &'s mut Sink,
}

pub(super) fn lower(pairs: Pairs<'_, Rule>, source: Arc<SourceFile>, sink: &mut Sink) -> Policy {
    let mut policy = Policy::empty(Arc::clone(&source));
    let mut lowerer = Lowerer { source, sink };
    for pair in pairs.filter(|p| p.as_rule() == Rule::policy) {
        lowerer.item(pair, &mut policy);
    }
    policy
}

/// The pair's span without the whitespace pest lets trail into it.
fn span(pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    let trimmed = pair.as_str().trim_end().len();
    Span::new(s.start(), s.start() + trimmed)
}

impl Lowerer<'_> {
    fn error(&mut self, code: Code, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        self.sink.push(Diagnostic::error(code, &self.source, span, message));
        #[allow(clippy::unwrap_used)] // just pushed
        self.sink.diagnostics.last_mut().unwrap()
    }

    fn item(&mut self, policy_pair: Pair<'_, Rule>, policy: &mut Policy) {
        for pair in policy_pair.into_inner() {
            match pair.as_rule() {
                Rule::group_def => {
                    let mut inner = pair.into_inner();
                    if let (Some(name), Some(list)) = (inner.next(), inner.next()) {
                        policy
                            .groups
                            .push(GroupDef { name: Spanned::new(name.as_str().to_string(), span(&name)), members: self.tool_list(list).entries });
                    }
                }
                Rule::plugin_tools => {
                    for list in pair.into_inner().filter(|p| p.as_rule() == Rule::tool_list) {
                        policy.plugin_tools.extend(self.tool_list(list).entries);
                    }
                }
                Rule::owners => {
                    for list in pair.into_inner().filter(|p| p.as_rule() == Rule::key_list) {
                        for key in list.into_inner() {
                            let key = self.key(key);
                            policy.owners.push(key);
                        }
                    }
                }
                Rule::tools_block => {
                    let rules = self.tools_block(pair);
                    if let Some(first) = &policy.tools {
                        let first = first.span;
                        self.error(Code::Duplicate, rules.span, "a second global `tools` block").related_spans.push((first, "first one here".into()));
                    } else {
                        policy.tools = Some(rules);
                    }
                }
                Rule::sandbox_defaults => {
                    let whole = span(&pair);
                    let body = pair.into_inner().find(|p| p.as_rule() == Rule::sandbox_body);
                    let settings = body.map(|b| self.sandbox_body(b, whole)).unwrap_or_default();
                    if let Some(first) = &policy.sandbox_defaults {
                        let first = first.span;
                        self.error(Code::Duplicate, whole, "a second `sandbox defaults` block").related_spans.push((first, "first one here".into()));
                    } else {
                        policy.sandbox_defaults = Some(settings);
                    }
                }
                Rule::agent_def => {
                    let agent = self.agent(pair);
                    policy.agents.push(agent);
                }
                Rule::test_def => {
                    let test = self.test(pair);
                    policy.tests.push(test);
                }
                Rule::channel_def => {
                    let channel = self.channel(pair);
                    if let Some(first) = policy.channels.iter().find(|c| c.name.value.eq_ignore_ascii_case(&channel.name.value)) {
                        let first = first.name.span;
                        self.error(Code::Duplicate, channel.name.span, format!("channel `{}` is defined twice", channel.name.value))
                            .related_spans
                            .push((first, "first one here".into()));
                    } else {
                        policy.channels.push(channel);
                    }
                }
                Rule::sessions_def => {
                    let sessions = self.sessions(pair);
                    if let Some(first) = &policy.sessions {
                        let first = first.span;
                        self.error(Code::Duplicate, sessions.span, "a second `sessions` block").related_spans.push((first, "first one here".into()));
                    } else {
                        policy.sessions = Some(sessions);
                    }
                }
                Rule::gateway_def => {
                    let gateway = self.gateway(pair);
                    if let Some(first) = &policy.gateway {
                        let first = first.span;
                        self.error(Code::Duplicate, gateway.span, "a second `gateway` block").related_spans.push((first, "first one here".into()));
                    } else {
                        policy.gateway = Some(gateway);
                    }
                }
                Rule::route_def => {
                    for binding in pair.into_inner().filter(|p| p.as_rule() == Rule::binding) {
                        if let Some(b) = self.binding(binding) {
                            policy.bindings.push(b);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn string(&mut self, pair: Pair<'_, Rule>) -> Spanned<String> {
        let whole = span(&pair);
        let raw = pair.into_inner().next().map(|p| p.as_str()).unwrap_or("");
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('"') => out.push('"'),
                Some('\\') => out.push('\\'),
                other => {
                    let shown = other.map(String::from).unwrap_or_default();
                    self.error(Code::Syntax, whole, format!("unknown escape `\\{shown}` in string")).help =
                        Some("strings support \\\", \\\\, \\n and \\t".into());
                }
            }
        }
        Spanned::new(out, whole)
    }

    fn key(&mut self, pair: Pair<'_, Rule>) -> Spanned<String> {
        let whole = span(&pair);
        match pair.into_inner().next() {
            Some(p) if p.as_rule() == Rule::string => self.string(p),
            Some(p) => Spanned::new(p.as_str().to_string(), whole),
            None => Spanned::new(String::new(), whole),
        }
    }

    fn tool_list(&mut self, pair: Pair<'_, Rule>) -> ToolList {
        let whole = span(&pair);
        let mut entries = Vec::new();
        for tool_ref in pair.into_inner() {
            if let Some(t) = self.tool_ref(tool_ref) {
                entries.push(t);
            }
        }
        ToolList { entries, span: whole }
    }

    fn tool_ref(&mut self, pair: Pair<'_, Rule>) -> Option<ToolRef> {
        let inner = pair.into_inner().next()?;
        if inner.as_rule() == Rule::string {
            let s = self.string(inner);
            return Some(ToolRef { text: s.value, span: s.span });
        }
        Some(ToolRef { text: inner.as_str().to_string(), span: span(&inner) })
    }

    fn tools_block(&mut self, pair: Pair<'_, Rule>) -> Rules {
        let whole = span(&pair);
        match pair.into_inner().find(|p| p.as_rule() == Rule::rules_body) {
            Some(body) => self.rules_body(body, RulesKind::Scope, whole),
            None => Rules::new(RulesKind::Scope, whole),
        }
    }

    fn rules_body(&mut self, body: Pair<'_, Rule>, kind: RulesKind, whole: Span) -> Rules {
        let mut rules = Rules::new(kind, whole);
        let where_ = match kind {
            RulesKind::Scope => "a tools block",
            RulesKind::Provider => "a provider block",
            RulesKind::Sandbox => "a sandbox tool policy",
            RulesKind::Subagents => "a subagent tool policy",
            RulesKind::Sender => "a sender block",
            RulesKind::Group => "a group's tools block",
        };
        for stmt in body.into_inner() {
            let stmt_span = span(&stmt);
            let rule = stmt.as_rule();
            let allowed = match rule {
                Rule::profile_stmt | Rule::also_allow_stmt => matches!(kind, RulesKind::Scope | RulesKind::Provider),
                Rule::allow_stmt | Rule::ask_stmt | Rule::deny_stmt | Rule::exec_rules | Rule::paths_rules => true,
                Rule::provider_rules | Rule::sandbox_rules | Rule::subagents_rules | Rule::sender_rules => kind == RulesKind::Scope,
                _ => false,
            };
            let keyword = stmt.as_str().split_whitespace().next().unwrap_or("").to_string();
            if !allowed {
                let help = match kind {
                    RulesKind::Sandbox | RulesKind::Subagents | RulesKind::Sender | RulesKind::Group => {
                        "this block may hold only `allow`, `ask`, `deny`, `exec` and `paths`"
                    }
                    RulesKind::Provider => "a provider block may hold `profile`, `allow`, `also_allow`, `ask`, `deny`, `exec` and `paths`",
                    RulesKind::Scope => "",
                };
                self.error(Code::Misplaced, stmt_span, format!("`{keyword}` is not allowed in {where_}")).help = Some(help.to_string());
                continue;
            }
            let mut inner = stmt.into_inner().filter(|p| !is_keyword(p.as_rule()));
            match rule {
                Rule::profile_stmt => {
                    if let Some(name) = inner.next() {
                        let value = Spanned::new(name.as_str().to_string(), span(&name));
                        self.set_once(&mut rules.profile, value, stmt_span, "profile");
                    }
                }
                Rule::allow_stmt | Rule::also_allow_stmt | Rule::ask_stmt | Rule::deny_stmt => {
                    let Some(list) = inner.next() else { continue };
                    let list = self.tool_list(list);
                    let slot = match rule {
                        Rule::allow_stmt => &mut rules.lists.allow,
                        Rule::also_allow_stmt => &mut rules.also_allow,
                        Rule::ask_stmt => &mut rules.lists.ask,
                        _ => &mut rules.lists.deny,
                    };
                    // Repeated statements add up: `deny exec` then `deny write`
                    // deny both. An empty list stays visible to validation.
                    match slot {
                        Some(existing) if !list.entries.is_empty() && !existing.entries.is_empty() => existing.entries.extend(list.entries),
                        Some(existing) if list.entries.is_empty() => existing.span = list.span,
                        _ => *slot = Some(list),
                    }
                }
                Rule::provider_rules | Rule::sender_rules => {
                    let (Some(key), Some(body)) = (inner.next(), inner.next()) else { continue };
                    let key = self.key(key);
                    let sub_kind = if rule == Rule::provider_rules { RulesKind::Provider } else { RulesKind::Sender };
                    let sub = self.rules_body(body, sub_kind, stmt_span);
                    let list = if rule == Rule::provider_rules { &mut rules.providers } else { &mut rules.senders };
                    if let Some(first) = list.iter().find(|k| k.key.value.eq_ignore_ascii_case(&key.value)) {
                        let first = first.key.span;
                        self.error(Code::Duplicate, key.span, format!("`{}` has a block already in this scope", key.value))
                            .related_spans
                            .push((first, "first one here".into()));
                        continue;
                    }
                    list.push(Keyed { key, rules: sub });
                }
                Rule::sandbox_rules | Rule::subagents_rules => {
                    let Some(body) = inner.next() else { continue };
                    let sub_kind = if rule == Rule::sandbox_rules { RulesKind::Sandbox } else { RulesKind::Subagents };
                    let sub = self.rules_body(body, sub_kind, stmt_span);
                    let slot = if rule == Rule::sandbox_rules { &mut rules.sandbox } else { &mut rules.subagents };
                    if let Some(first) = slot {
                        let first = first.span;
                        self.error(Code::Duplicate, stmt_span, format!("a second `{keyword}` block in this scope"))
                            .related_spans
                            .push((first, "first one here".into()));
                        continue;
                    }
                    *slot = Some(Box::new(sub));
                }
                Rule::exec_rules => {
                    let block = self.exec_block(inner, stmt_span);
                    match &rules.exec {
                        Some(first) => self.second_block("exec", stmt_span, first.span),
                        None => rules.exec = Some(block),
                    }
                }
                Rule::paths_rules => {
                    let block = self.paths_block(inner, stmt_span);
                    match &rules.paths {
                        Some(first) => self.second_block("paths", stmt_span, first.span),
                        None => rules.paths = Some(block),
                    }
                }
                _ => {}
            }
        }
        rules
    }

    /// `exec { ... }`: pattern lists add up; settings are given once.
    fn exec_block<'i>(&mut self, statements: impl Iterator<Item = Pair<'i, Rule>>, whole: Span) -> ExecBlock {
        let mut block = ExecBlock::new(whole);
        for stmt in statements {
            let at = span(&stmt);
            let rule = stmt.as_rule();
            let mut parts = stmt.into_inner();
            match rule {
                Rule::exec_patterns => {
                    let (Some(verdict), Some(list)) = (parts.next(), parts.next()) else { continue };
                    let strings = self.string_list(list);
                    let outcome = ToolOutcome::from_name(verdict.as_str()).unwrap_or(ToolOutcome::Deny);
                    block.patterns.get_mut(outcome).extend(strings);
                }
                Rule::on_miss_stmt | Rule::on_opaque_stmt => {
                    let Some(value) = parts.next() else { continue };
                    let name = if rule == Rule::on_miss_stmt { "on_miss" } else { "on_opaque" };
                    let Some(outcome) = ToolOutcome::from_name(value.as_str()) else {
                        self.error(Code::BadValue, span(&value), format!("`{}` is not an outcome", value.as_str())).help =
                            Some(format!("`{name}` takes `allow`, `ask` or `deny`"));
                        continue;
                    };
                    if rule == Rule::on_opaque_stmt && outcome == ToolOutcome::Allow {
                        self.error(Code::BadValue, span(&value), "`on_opaque allow` would run commands no rule can judge").help =
                            Some("a command Palisade cannot read (a substitution, `eval`, a redirection...) is `ask` or `deny`".into());
                        continue;
                    }
                    let slot = if rule == Rule::on_miss_stmt { &mut block.on_miss } else { &mut block.on_opaque };
                    self.set_once(slot, Spanned::new(outcome, span(&value)), at, name);
                }
                Rule::trusted_dirs_stmt => {
                    let Some(list) = parts.next() else { continue };
                    let dirs = self.string_list(list);
                    for dir in &dirs {
                        let normal = crate::paths::normalize_absolute(&dir.value);
                        if !dir.value.starts_with('/') || normal != dir.value.trim_end_matches('/') && normal != dir.value {
                            self.error(Code::BadValue, dir.span, format!("`{}` is not a normalised absolute directory", dir.value)).help =
                                Some("write trusted directories as absolute paths without `.` or `..`, e.g. \"/usr/bin\"".into());
                        }
                    }
                    if block.trusted_dirs.is_some() {
                        self.error(Code::Duplicate, at, "`trusted_dirs` is given twice");
                    } else {
                        block.trusted_dirs = Some(dirs);
                    }
                }
                _ => {
                    let name = parts.next().map_or("", |p| p.as_str());
                    let (message, help) = super::blocks::EXEC.misread(name);
                    self.error(Code::UnknownSetting, at, message).help = Some(help);
                }
            }
        }
        block
    }

    /// `paths { ... }`: rules add up; `on_miss` is given once.
    fn paths_block<'i>(&mut self, statements: impl Iterator<Item = Pair<'i, Rule>>, whole: Span) -> PathsBlock {
        let mut block = PathsBlock { span: whole, rules: ByOutcome::default(), on_miss: None };
        for stmt in statements {
            let at = span(&stmt);
            let rule = stmt.as_rule();
            let mut parts = stmt.into_inner().peekable();
            match rule {
                Rule::paths_patterns => {
                    let Some(verdict) = parts.next() else { continue };
                    let outcome = ToolOutcome::from_name(verdict.as_str()).unwrap_or(ToolOutcome::Deny);
                    let mut ops = Vec::new();
                    if let Some(list) = parts.next_if(|p| p.as_rule() == Rule::path_ops) {
                        for word in list.into_inner() {
                            match PathOp::from_name(word.as_str()) {
                                Some(op) => ops.push(Spanned::new(op, span(&word))),
                                None => {
                                    let names = PathOp::ALL.map(PathOp::name);
                                    let close = crate::diagnostic::suggest(word.as_str(), names.iter().copied());
                                    let help = match close {
                                        Some(close) => {
                                            format!("did you mean `{close}`? a path rule covers `read`, `write`, or both when it names neither")
                                        }
                                        None => "a path rule covers `read`, `write`, or both when it names neither".to_string(),
                                    };
                                    self.error(Code::BadValue, span(&word), format!("`{}` is not a file operation", word.as_str())).help = Some(help);
                                }
                            }
                        }
                    }
                    let Some(list) = parts.next() else { continue };
                    for pattern in self.string_list(list) {
                        block.rules.get_mut(outcome).push(PathRule { ops: ops.clone(), pattern });
                    }
                }
                Rule::on_miss_stmt => {
                    let Some(value) = parts.next() else { continue };
                    let Some(outcome) = ToolOutcome::from_name(value.as_str()) else {
                        self.error(Code::BadValue, span(&value), format!("`{}` is not an outcome", value.as_str())).help =
                            Some("`on_miss` takes `allow`, `ask` or `deny`".into());
                        continue;
                    };
                    self.set_once(&mut block.on_miss, Spanned::new(outcome, span(&value)), at, "on_miss");
                }
                _ => {
                    let name = parts.next().map_or("", |p| p.as_str());
                    let (message, help) = super::blocks::PATHS.misread(name);
                    self.error(Code::UnknownSetting, at, message).help = Some(help);
                }
            }
        }
        block
    }

    /// A second argument block of one kind in a rules block: an error at it,
    /// pointing at the first.
    fn second_block(&mut self, keyword: &str, at: Span, first: Span) {
        self.error(Code::Duplicate, at, format!("a second `{keyword}` block in this scope")).related_spans.push((first, "first one here".into()));
    }

    fn string_list(&mut self, list: Pair<'_, Rule>) -> Vec<Spanned<String>> {
        list.into_inner().filter(|p| p.as_rule() == Rule::string).map(|s| self.string(s)).collect()
    }

    fn set_once<T>(&mut self, slot: &mut Option<Spanned<T>>, value: Spanned<T>, at: Span, what: &str) {
        if let Some(first) = slot {
            let first = first.span;
            self.error(Code::Duplicate, at, format!("`{what}` is given twice")).related_spans.push((first, "first given here".into()));
        } else {
            *slot = Some(value);
        }
    }

    fn sandbox_body(&mut self, body: Pair<'_, Rule>, whole: Span) -> SandboxSettings {
        let mut settings = SandboxSettings { span: whole, ..SandboxSettings::default() };
        for setting in body.into_inner() {
            let at = span(&setting);
            let rule = setting.as_rule();
            let value_pair = setting.clone().into_inner().find(|p| !is_keyword(p.as_rule()));
            match rule {
                Rule::mode_setting => {
                    let Some(v) = value_pair else { continue };
                    let mode = match v.as_str() {
                        "off" => SandboxMode::Off,
                        "all" => SandboxMode::All,
                        _ => SandboxMode::NonMain,
                    };
                    self.set_once(&mut settings.mode, Spanned::new(mode, span(&v)), at, "mode");
                }
                Rule::scope_setting => {
                    let Some(v) = value_pair else { continue };
                    let scope = match v.as_str() {
                        "session" => SandboxScope::Session,
                        "agent" => SandboxScope::Agent,
                        "shared" => SandboxScope::Shared,
                        other => {
                            self.error(Code::BadValue, span(&v), format!("unknown sandbox scope `{other}`")).help =
                                Some("scope is one of: session, agent, shared".into());
                            continue;
                        }
                    };
                    self.set_once(&mut settings.scope, Spanned::new(scope, span(&v)), at, "scope");
                }
                Rule::workspace_setting => {
                    let Some(v) = value_pair else { continue };
                    let access = match v.as_str() {
                        "none" => WorkspaceAccess::None,
                        "ro" => WorkspaceAccess::ReadOnly,
                        "rw" => WorkspaceAccess::ReadWrite,
                        "shared_with_host" => WorkspaceAccess::SharedWithHost,
                        other => {
                            self.error(Code::BadValue, span(&v), format!("unknown workspace access `{other}`")).help =
                                Some("workspace is one of: none, ro, rw, shared_with_host".into());
                            continue;
                        }
                    };
                    self.set_once(&mut settings.workspace, Spanned::new(access, span(&v)), at, "workspace");
                }
                Rule::docker_block => {
                    for knob in setting.into_inner().filter(|p| p.as_rule() == Rule::docker_setting) {
                        let mut parts = knob.into_inner();
                        let Some(key) = parts.next() else { continue };
                        let key = Spanned::new(key.as_str().to_string(), span(&key));
                        let mut values = Vec::new();
                        for v in parts {
                            let value = if v.as_rule() == Rule::string { self.string(v) } else { Spanned::new(v.as_str().to_string(), span(&v)) };
                            values.push(value);
                        }
                        if let Some(first) = settings.docker.iter().find(|d| d.key.value == key.value && key.value != "bind") {
                            let first = first.key.span;
                            self.error(Code::Duplicate, key.span, format!("`{}` is given twice", key.value))
                                .related_spans
                                .push((first, "first given here".into()));
                            continue;
                        }
                        settings.docker.push(DockerSetting { key, values });
                    }
                }
                _ => {}
            }
        }
        settings
    }

    fn agent(&mut self, pair: Pair<'_, Rule>) -> Agent {
        let whole = span(&pair);
        let mut id = Spanned::new(String::new(), whole);
        let mut agent = Agent { id: id.clone(), name: None, default: None, sandbox: None, tools: None, span: whole };
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::ident => id = Spanned::new(part.as_str().to_string(), span(&part)),
                Rule::string => agent.name = Some(self.string(part)),
                Rule::default_flag => {
                    if let Some(first) = agent.default {
                        self.error(Code::Duplicate, span(&part), "`default` is given twice").related_spans.push((first, "first given here".into()));
                    }
                    agent.default = Some(span(&part));
                }
                Rule::agent_sandbox => {
                    let at = span(&part);
                    let Some(body) = part.into_inner().find(|p| p.as_rule() == Rule::sandbox_body) else { continue };
                    let settings = self.sandbox_body(body, at);
                    if let Some(first) = &agent.sandbox {
                        let first = first.span;
                        self.error(Code::Duplicate, at, "a second `sandbox` in this agent").related_spans.push((first, "first one here".into()));
                    } else {
                        agent.sandbox = Some(settings);
                    }
                }
                Rule::tools_block => {
                    let rules = self.tools_block(part);
                    if let Some(first) = &agent.tools {
                        let first = first.span;
                        self.error(Code::Duplicate, rules.span, "a second `tools` block in this agent")
                            .related_spans
                            .push((first, "first one here".into()));
                    } else {
                        agent.tools = Some(rules);
                    }
                }
                _ => {}
            }
        }
        agent.id = id;
        agent
    }

    fn named<T: Named + PartialEq>(&mut self, pair: &Pair<'_, Rule>, what: &str) -> Option<Spanned<T>> {
        match T::from_name(pair.as_str()) {
            Some(v) => Some(Spanned::new(v, span(pair))),
            None => {
                self.error(Code::BadValue, span(pair), format!("unknown {what} `{}`", pair.as_str())).help =
                    Some(format!("{what} is one of: {}", T::choices()));
                None
            }
        }
    }

    fn key_list(&mut self, pair: Pair<'_, Rule>) -> KeyList {
        let whole = span(&pair);
        let entries = pair.into_inner().filter(|p| p.as_rule() == Rule::key).map(|k| self.key(k)).collect();
        KeyList { entries, span: whole }
    }

    /// A repeated list statement adds to the first one.
    fn extend_list(slot: &mut Option<KeyList>, list: KeyList) {
        match slot {
            Some(existing) => existing.entries.extend(list.entries),
            None => *slot = Some(list),
        }
    }

    fn channel(&mut self, pair: Pair<'_, Rule>) -> Channel {
        let whole = span(&pair);
        let mut parts = pair.into_inner().filter(|p| !is_keyword(p.as_rule()));
        let name = parts.next().map(|k| self.key(k)).unwrap_or_else(|| Spanned::new(String::new(), whole));
        let mut channel = Channel::new(name, whole);
        for stmt in parts {
            let at = span(&stmt);
            let rule = stmt.as_rule();
            let mut inner = stmt.into_inner().filter(|p| !is_keyword(p.as_rule()));
            match rule {
                Rule::dm_stmt => {
                    if let Some(v) = inner.next().and_then(|v| self.named::<DmPolicy>(&v, "dm policy")) {
                        self.set_once(&mut channel.dm, v, at, "dm");
                    }
                }
                Rule::allow_from_stmt | Rule::group_allow_from_stmt => {
                    let Some(list) = inner.next() else { continue };
                    let list = self.key_list(list);
                    let slot = if rule == Rule::allow_from_stmt { &mut channel.allow_from } else { &mut channel.group_allow_from };
                    Self::extend_list(slot, list);
                }
                Rule::groups_block => {
                    for part in inner {
                        match part.as_rule() {
                            Rule::ident => {
                                if let Some(v) = self.named::<GroupPolicy>(&part, "group policy") {
                                    self.set_once(&mut channel.group_policy, v, at, "groups policy");
                                }
                            }
                            Rule::group_entry => {
                                if let Some(guild) = self.group_entry(part) {
                                    self.push_unique(&mut channel.groups, guild.settings, "group");
                                }
                            }
                            Rule::guild_entry => {
                                if let Some(guild) = self.group_entry(part) {
                                    if let Some(first) = channel.guilds.iter().find(|g| g.settings.id.value == guild.settings.id.value) {
                                        let first = first.settings.id.span;
                                        let message = format!("guild `{}` is listed twice", guild.settings.id.value);
                                        self.error(Code::Duplicate, guild.settings.id.span, message)
                                            .related_spans
                                            .push((first, "first listed here".into()));
                                    } else {
                                        channel.guilds.push(guild);
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
                Rule::mention_stmt => {
                    for pattern in inner.filter(|p| p.as_rule() == Rule::string) {
                        let pattern = self.string(pattern);
                        channel.mention_patterns.push(pattern);
                    }
                }
                Rule::commands_block => {
                    for setting in inner {
                        let at = span(&setting);
                        let rule = setting.as_rule();
                        let Some(value) = setting.into_inner().find(|p| !is_keyword(p.as_rule())) else { continue };
                        if rule == Rule::text_commands {
                            let on = Spanned::new(value.as_str() == "on", span(&value));
                            self.set_once(&mut channel.text_commands, on, at, "text");
                        } else {
                            let list = self.key_list(value);
                            Self::extend_list(&mut channel.command_allow_from, list);
                        }
                    }
                }
                _ => {}
            }
        }
        channel
    }

    /// A list entry, `entry`, unless one with its id is there already.
    fn push_unique(&mut self, list: &mut Vec<GroupEntry>, entry: GroupEntry, what: &str) {
        if let Some(first) = list.iter().find(|g| g.id.value == entry.id.value) {
            let first = first.id.span;
            self.error(Code::Duplicate, entry.id.span, format!("{what} `{}` is listed twice", entry.id.value))
                .related_spans
                .push((first, "first listed here".into()));
        } else {
            list.push(entry);
        }
    }

    /// A `group` entry, or a `guild` entry with the groups it holds (the
    /// grammar keeps `tools` and nested groups where each belongs).
    fn group_entry(&mut self, pair: Pair<'_, Rule>) -> Option<GuildEntry> {
        let whole = span(&pair);
        let mut parts = pair.into_inner().filter(|p| !is_keyword(p.as_rule()));
        let id = self.key(parts.next()?);
        let mut entry = GroupEntry::new(id, whole);
        let mut groups = Vec::new();
        for part in parts {
            let at = span(&part);
            match part.as_rule() {
                Rule::require_mention | Rule::no_mention => {
                    let on = Spanned::new(part.as_rule() == Rule::require_mention, at);
                    self.set_once(&mut entry.require_mention, on, at, "mention gating");
                }
                Rule::group_disabled => {
                    let twice = entry.disabled.replace(at).is_some();
                    if twice {
                        self.error(Code::Duplicate, at, "`disabled` is given twice for this group");
                    }
                }
                Rule::allow_from_stmt | Rule::roles_stmt => {
                    let slot = if part.as_rule() == Rule::roles_stmt { &mut entry.roles } else { &mut entry.allow_from };
                    let Some(list) = part.into_inner().find(|p| !is_keyword(p.as_rule())) else { continue };
                    let list = self.key_list(list);
                    Self::extend_list(slot, list);
                }
                Rule::tools_block => {
                    let Some(body) = part.into_inner().find(|p| p.as_rule() == Rule::rules_body) else { continue };
                    let rules = self.rules_body(body, RulesKind::Group, at);
                    if entry.tools.is_some() {
                        self.error(Code::Duplicate, at, "a second `tools` block for this group");
                    } else {
                        entry.tools = Some(rules);
                    }
                }
                Rule::group_entry => {
                    if let Some(group) = self.group_entry(part) {
                        self.push_unique(&mut groups, group.settings, "group");
                    }
                }
                _ => {}
            }
        }
        Some(GuildEntry { settings: entry, groups })
    }

    fn sessions(&mut self, pair: Pair<'_, Rule>) -> Sessions {
        let mut sessions = Sessions { span: span(&pair), ..Sessions::default() };
        for stmt in pair.into_inner().filter(|p| !is_keyword(p.as_rule())) {
            let at = span(&stmt);
            let rule = stmt.as_rule();
            let mut inner = stmt.into_inner().filter(|p| !is_keyword(p.as_rule()));
            match rule {
                Rule::dm_scope_stmt => {
                    if let Some(v) = inner.next().and_then(|v| self.named::<DmScope>(&v, "dm scope")) {
                        self.set_once(&mut sessions.dm_scope, v, at, "dm_scope");
                    }
                }
                Rule::scope_setting => {
                    if let Some(v) = inner.next().and_then(|v| self.named::<SessionScope>(&v, "session scope")) {
                        self.set_once(&mut sessions.scope, v, at, "scope");
                    }
                }
                Rule::link_stmt => {
                    let (Some(canonical), Some(list)) = (inner.next(), inner.next()) else { continue };
                    let canonical = self.key(canonical);
                    let peers = self.key_list(list).entries;
                    sessions.links.push(IdentityLink { canonical, peers });
                }
                _ => {}
            }
        }
        sessions
    }

    fn binding(&mut self, pair: Pair<'_, Rule>) -> Option<Binding> {
        let whole = span(&pair);
        let mut parts = pair.into_inner().filter(|p| !is_keyword(p.as_rule()));
        let channel = self.key(parts.next()?);
        let mut binding = Binding {
            agent: Spanned::new(String::new(), whole),
            channel,
            account: None,
            peer: None,
            guild: None,
            team: None,
            roles: Vec::new(),
            span: whole,
        };
        for part in parts {
            let at = span(&part);
            let rule = part.as_rule();
            if rule == Rule::ident {
                binding.agent = Spanned::new(part.as_str().to_string(), at);
                continue;
            }
            let mut inner = part.into_inner().filter(|p| !is_keyword(p.as_rule()));
            let value = |this: &mut Self, p: Pair<'_, Rule>| {
                if p.as_rule() == Rule::star {
                    Spanned::new("*".to_string(), span(&p))
                } else {
                    this.key(p)
                }
            };
            match rule {
                Rule::account_match => {
                    let Some(v) = inner.next() else { continue };
                    let v = value(self, v);
                    self.set_once(&mut binding.account, v, at, "account");
                }
                Rule::peer_match => {
                    let Some(first) = inner.next() else { continue };
                    let (kind, id) = if first.as_rule() == Rule::peer_kind {
                        let kind = ChatKind::from_name(first.as_str()).unwrap_or(ChatKind::Direct);
                        let Some(id) = inner.next() else { continue };
                        (kind, value(self, id))
                    } else {
                        (ChatKind::Direct, value(self, first))
                    };
                    if binding.peer.is_some() {
                        self.error(Code::Duplicate, at, "`peer` is given twice");
                    } else {
                        binding.peer = Some((kind, id));
                    }
                }
                Rule::guild_match | Rule::team_match => {
                    let Some(v) = inner.next() else { continue };
                    let v = self.key(v);
                    let (slot, what) = if rule == Rule::guild_match { (&mut binding.guild, "guild") } else { (&mut binding.team, "team") };
                    self.set_once(slot, v, at, what);
                }
                Rule::roles_match => {
                    let Some(list) = inner.next() else { continue };
                    let list = self.key_list(list);
                    binding.roles.extend(list.entries);
                }
                _ => {}
            }
        }
        Some(binding)
    }

    fn gateway(&mut self, pair: Pair<'_, Rule>) -> GatewaySettings {
        let mut gateway = GatewaySettings { span: span(&pair), ..GatewaySettings::default() };
        for stmt in pair.into_inner().filter(|p| !is_keyword(p.as_rule())) {
            let at = span(&stmt);
            let rule = stmt.as_rule();
            let parts: Vec<Pair<'_, Rule>> = stmt.into_inner().filter(|p| !is_keyword(p.as_rule())).collect();
            let text = |this: &mut Self, p: &Pair<'_, Rule>| {
                if p.as_rule() == Rule::string {
                    this.string(p.clone())
                } else {
                    Spanned::new(p.as_str().to_string(), span(p))
                }
            };
            match rule {
                Rule::bind_stmt | Rule::port_stmt => {
                    let Some(value) = parts.first() else { continue };
                    let value = text(self, value);
                    let (slot, what) = if rule == Rule::bind_stmt { (&mut gateway.bind, "bind") } else { (&mut gateway.port, "port") };
                    self.set_once(slot, value, at, what);
                }
                Rule::auth_stmt => {
                    let Some(mode) = parts.first().and_then(|m| self.named::<AuthMode>(m, "auth mode")) else { continue };
                    let source = parts.get(1).and_then(|source| {
                        let rule = source.as_rule();
                        let value = source.clone().into_inner().find(|p| !is_keyword(p.as_rule()))?;
                        let value = if value.as_rule() == Rule::key { self.key(value) } else { self.string(value) };
                        Some(if rule == Rule::env_source { SecretSource::Env(value) } else { SecretSource::File(value) })
                    });
                    if gateway.auth.is_some() {
                        self.error(Code::Duplicate, at, "`auth` is given twice");
                    } else {
                        gateway.auth = Some(AuthSettings { mode, source, span: at });
                    }
                }
                Rule::skew_stmt => {
                    let Some(value) = parts.first() else { continue };
                    let value = Spanned::new(value.as_str().to_string(), span(value));
                    self.set_once(&mut gateway.device_skew, value, at, "device_skew");
                }
                Rule::pairing_stmt => {
                    for setting in parts {
                        let rule = setting.as_rule();
                        let Some(value) = setting.into_inner().find(|p| !is_keyword(p.as_rule())) else { continue };
                        let value = Spanned::new(value.as_str().to_string(), span(&value));
                        let (slot, what) = if rule == Rule::pairing_ttl {
                            (&mut gateway.pairing_ttl, "pairing ttl")
                        } else {
                            (&mut gateway.pairing_cap, "max_pending")
                        };
                        self.set_once(slot, value, at, what);
                    }
                }
                Rule::rate_limit_stmt => {
                    let mut values = parts.iter().map(|p| Spanned::new(p.as_str().to_string(), span(p)));
                    let (Some(attempts), Some(window)) = (values.next(), values.next()) else { continue };
                    let lockout = values.next();
                    if gateway.rate_limit.is_some() {
                        self.error(Code::Duplicate, at, "`rate_limit` is given twice");
                    } else {
                        gateway.rate_limit = Some(RateLimitSettings { attempts, window, lockout, span: at });
                    }
                }
                _ => {}
            }
        }
        gateway
    }

    fn test(&mut self, pair: Pair<'_, Rule>) -> TestCase {
        let whole = span(&pair);
        let mut name = Spanned::new(String::new(), whole);
        let mut expectations = Vec::new();
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::string => name = self.string(part),
                Rule::expectation => {
                    if let Some(e) = self.expectation(part) {
                        expectations.push(e);
                    }
                }
                _ => {}
            }
        }
        TestCase { name, expectations }
    }

    fn expectation(&mut self, pair: Pair<'_, Rule>) -> Option<Expectation> {
        let whole = span(&pair);
        let mut parts = pair.into_inner().filter(|p| !is_keyword(p.as_rule()));
        let verdict = parts.next()?;
        let outcome = ToolOutcome::from_name(verdict.as_str())?;
        let tool = self.tool_ref(parts.next()?)?;
        let agent = parts.next()?;
        let mut e = Expectation {
            outcome,
            tool,
            agent: Spanned::new(agent.as_str().to_string(), span(&agent)),
            provider: None,
            session: None,
            sender: None,
            subagent: false,
            non_owner: false,
            command: None,
            path: None,
            span: whole,
        };
        for m in parts {
            let rule = m.as_rule();
            if rule == Rule::command_mod || rule == Rule::path_mod {
                let value = m.into_inner().find(|p| p.as_rule() == Rule::string).map(|s| self.string(s).value);
                if rule == Rule::command_mod {
                    e.command = value;
                } else {
                    e.path = value;
                }
                continue;
            }
            let value = m.into_inner().find(|p| p.as_rule() == Rule::key).map(|k| self.key(k).value);
            match rule {
                Rule::provider_mod => e.provider = value,
                Rule::session_mod => e.session = value,
                Rule::sender_mod => e.sender = value,
                Rule::subagent_mod => e.subagent = true,
                Rule::non_owner_mod => e.non_owner = true,
                _ => {}
            }
        }
        Some(e)
    }
}

/// The keywords in the middle of a statement, which the grammar keeps as
/// rules so that a typo there is reported in place.
fn is_keyword(rule: Rule) -> bool {
    matches!(rule, Rule::kw_defaults | Rule::kw_tool | Rule::kw_for | Rule::kw_from | Rule::kw_per | Rule::kw_lockout)
}
