//! Names: the tool catalog, interning, user groups, provider and sender
//! classes, and the checks on each rules block.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::Compiler;
use crate::ast::{Rules, ToolList, ToolRef};
use crate::builtins;
use crate::diagnostic::{suggest, Code};
use crate::engine::{Entry, Map, Matcher, RuleSet};

impl Compiler<'_> {
    /// The matcher of an interned name, sharing the interned string.
    pub(super) fn exact(&self, name: &str) -> Option<Matcher> {
        let id = *self.tool_index.get(name)?;
        self.tool_names.get(id as usize).map(|n| Matcher::Exact(n.clone()))
    }

    pub(super) fn intern(&mut self, name: &str) {
        if !self.tool_index.contains_key(name) {
            self.tool_index.insert(name.to_string(), self.tool_names.len() as u32);
            self.tool_names.push(Arc::from(name));
        }
    }

    pub(super) fn catalog(&mut self) {
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

    pub(super) fn resolve_groups(&mut self) {
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

    pub(super) fn expand_user_group(&mut self, name: &str, index: usize, visiting: &mut Vec<String>) -> Vec<Matcher> {
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
    pub(super) fn resolve_ref(&mut self, tool: &ToolRef, visiting: &mut Vec<String>, out: &mut Vec<Matcher>) {
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

    pub(super) fn entries(&mut self, list: &ToolList) -> RuleSet {
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

    pub(super) fn check_scope(&mut self, rules: &Rules, label: &str) {
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
            if let Some(allow) = &subagents.lists.allow {
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
    pub(super) fn check_block(&mut self, rules: &Rules, label: &dyn Fn() -> String) {
        if let (Some(allow), Some(also)) = (&rules.lists.allow, &rules.also_allow) {
            self.error(Code::AllowAndAlsoAllow, also.span, format!("`allow` and `also_allow` together in {}", label()))
                .related_spans
                .push((allow.span, "`allow` here".into()));
            self.sink
                .diagnostics
                .last_mut()
                .into_iter()
                .for_each(|d| d.help = Some("`allow` replaces the profile's list; `also_allow` adds to it. Keep one.".into()));
        }
        if let Some(allow) = rules.lists.allow.as_ref().filter(|a| a.entries.is_empty()) {
            self.error(Code::EmptyAllow, allow.span, format!("empty allow list in {}", label())).help = Some(
                "OpenClaw reads `allow: []` as allow-all; Palisade refuses to guess. Remove the line to allow \
                 everything the other layers allow, or add `deny *` to allow nothing"
                    .into(),
            );
        }
        if let Some(also) = rules.also_allow.as_ref().filter(|a| a.entries.is_empty()) {
            self.warning(Code::NoEffect, also.span, format!("empty also_allow list in {}: it adds nothing", label())).help =
                Some("in an agent without its own profile it still replaces the global also_allow".into());
        }
        if let Some(deny) = rules.lists.deny.as_ref().filter(|a| a.entries.is_empty()) {
            self.warning(Code::NoEffect, deny.span, format!("empty deny list in {}", label()));
        }
        if let Some(ask) = rules.lists.ask.as_ref().filter(|a| a.entries.is_empty()) {
            self.warning(Code::NoEffect, ask.span, format!("empty ask list in {}", label()));
        }
        // The same name in two lists of one block: the stricter list wins.
        let pairs = [
            (&rules.lists.allow, &rules.lists.deny, "allowed", "denied", "deny"),
            (&rules.lists.allow, &rules.lists.ask, "allowed", "asked", "ask"),
            (&rules.lists.ask, &rules.lists.deny, "asked", "denied", "deny"),
        ];
        for (weaker, stricter, weaker_word, stricter_word, wins) in pairs {
            let (Some(weaker), Some(stricter)) = (weaker, stricter) else { continue };
            for tool in &weaker.entries {
                let name = builtins::normalize_tool(&tool.text);
                if let Some(d) = stricter.entries.iter().find(|d| builtins::normalize_tool(&d.text) == name) {
                    self.warning(
                        Code::Contradiction,
                        tool.span,
                        format!("`{name}` is both {weaker_word} and {stricter_word} in {}; {wins} wins", label()),
                    )
                    .related_spans
                    .push((d.span, format!("{stricter_word} here")));
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

    /// Provider and sender classes: every key any scope names, sorted.
    pub(super) fn classes(&mut self) -> (Vec<String>, Vec<String>) {
        let mut provider_keys = BTreeSet::new();
        let mut sender_keys = BTreeSet::new();
        let scopes: Vec<&Rules> = self.policy.tools.iter().chain(self.policy.agents.iter().filter_map(|a| a.tools.as_ref())).collect();
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
        (provider_names, sender_names)
    }
}
