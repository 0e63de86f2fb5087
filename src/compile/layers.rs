//! Tool layers: one per rules block of ARCHITECTURE.md's Decision
//! semantics, with the interned tools each names as bits; blocks written
//! once and inherited by many agents share one layer.

use std::sync::Arc;

use super::{Compiler, Scope};
use crate::ast::{ExecBlock, Keyed, PathsBlock, Rules, ToolList, ToolRef};
use crate::builtins;
use crate::diagnostic::Code;
use crate::engine::args::{ArgBlock, KindRules};
use crate::engine::{Entry, GlobalLayers, Layer, LayerId, LayerKind, Matcher, RuleSet};

/// What a shared layer is built from: its kind, its name, and which AST
/// nodes (by address: the AST is borrowed, unmoved, for the whole compile).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct SharedLayerKey {
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

impl Compiler<'_> {
    /// The layers that do not belong to one agent.
    pub(super) fn global_layers(
        &mut self,
        global: &Scope<'_>,
        provider_names: &[String],
        sender_names: &[String],
        group: Vec<Option<LayerId>>,
    ) -> GlobalLayers {
        let global_rules = self.rules_layer(global.rules, LayerKind::Global, || "global".into());
        let mut global_provider_rules = vec![None];
        for key in provider_names {
            let entry = Self::provider_entry(global.rules, key);
            let layer = self.rules_layer(entry.map(|k| &k.rules), LayerKind::GlobalProvider, || format!("global provider {}", entry_key(entry, key)));
            global_provider_rules.push(layer);
        }
        let subagent_fixed = self.fixed_layer(LayerKind::SubagentFixed, "sub-agent", builtins::SUBAGENT_DENY, "sub-agents never get `{tool}`");
        let subagent = self.rules_layer(global.rules.and_then(|r| r.subagents.as_deref()), LayerKind::Subagent, || "global subagent policy".into());
        let global_sender = self.sender_layers(global.rules, sender_names, "global");
        let owner_only =
            self.fixed_layer(LayerKind::OwnerOnly, "owner-only", builtins::OWNER_ONLY, "`{tool}` is owner-only and the sender is not an owner");
        let protected_paths = self.push_layer(LayerKind::ProtectedPaths, "built-in".into(), None, RuleSet::default(), RuleSet::default(), None);
        let protected = self.protected_paths();
        self.attach_args(protected_paths, protected);
        GlobalLayers {
            rules: global_rules,
            provider_rules: global_provider_rules,
            subagent_fixed,
            subagent,
            sender: global_sender,
            group,
            owner_only,
            protected_paths,
        }
    }

    pub(super) fn push_layer(
        &mut self,
        kind: LayerKind,
        name: String,
        allow: Option<RuleSet>,
        ask: RuleSet,
        deny: RuleSet,
        deny_reason: Option<String>,
    ) -> LayerId {
        let allow_bits = allow.as_ref().map(|a| self.matching_bits(a));
        let ask_bits = self.matching_bits(&ask);
        let deny_bits = self.matching_bits(&deny);
        self.layers.push(Layer { kind, name, allow, ask, deny, deny_reason, allow_bits, ask_bits, deny_bits, args: Vec::new() });
        (self.layers.len() - 1) as LayerId
    }

    /// The interned tools some entry of `rules` matches.
    pub(super) fn matching_bits(&self, rules: &RuleSet) -> Vec<u64> {
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

    /// An allow/ask/deny layer from a rules block, or none when it restricts
    /// nothing. `name` is built only when there is a layer to name.
    pub(super) fn rules_layer(&mut self, rules: Option<&Rules>, kind: LayerKind, name: impl FnOnce() -> String) -> Option<LayerId> {
        let rules = rules?;
        let allow = rules.lists.allow.as_ref().filter(|a| !a.entries.is_empty()).map(|a| self.entries(a));
        let ask = rules.lists.ask.as_ref().map(|a| self.entries(a)).unwrap_or_default();
        let deny = rules.lists.deny.as_ref().map(|d| self.entries(d)).unwrap_or_default();
        if allow.is_none() && ask.entries.is_empty() && deny.entries.is_empty() && rules.exec.is_none() && rules.paths.is_none() {
            return None;
        }
        let id = self.push_layer(kind, name(), allow, ask, deny, None);
        self.attach_exec(id, rules.exec.as_ref());
        self.attach_paths(id, rules.paths.as_ref());
        Some(id)
    }

    /// Gives a layer the path rules of its block's `paths` block.
    fn attach_paths(&mut self, id: LayerId, block: Option<&PathsBlock>) {
        let Some(block) = block else { return };
        let paths = self.paths_block(block);
        self.attach_args(id, paths);
    }

    /// Gives a layer the command rules of its block's `exec` block.
    fn attach_exec(&mut self, id: LayerId, block: Option<&ExecBlock>) {
        let Some(block) = block else { return };
        let exec = self.exec_block(block);
        self.attach_args(id, exec);
    }

    /// Gives a layer an argument block, in kind order (one of each kind).
    fn attach_args(&mut self, id: LayerId, block: ArgBlock) {
        if let Some(layer) = self.layers.get_mut(id as usize) {
            layer.args.retain(|b| b.kind() != block.kind());
            let at = layer.args.partition_point(|b| b.kind() < block.kind());
            layer.args.insert(at, block);
        }
    }

    /// An argument block of `rules` over the interned tools its kind reads.
    pub(super) fn arg_block(&self, rules: KindRules, at: Option<crate::source::Location>) -> ArgBlock {
        let tools: Vec<(&str, u32)> = self.tool_names.iter().enumerate().map(|(id, name)| (&**name, id as u32)).collect();
        ArgBlock::new(rules, at, &tools, self.tool_names.len().div_ceil(64))
    }

    /// A built-in list of plain tool names (never groups or patterns).
    pub(super) fn fixed_rules(&self, names: &[&str]) -> RuleSet {
        let entries = names
            .iter()
            .map(|t| {
                let matcher = self.exact(t).unwrap_or_else(|| Matcher::Exact(Arc::from(*t)));
                Entry { matcher, written: Arc::from(*t), at: None }
            })
            .collect();
        RuleSet { entries, at: None }
    }

    pub(super) fn fixed_layer(&mut self, kind: LayerKind, name: &str, deny: &[&str], reason: &str) -> LayerId {
        let deny = self.fixed_rules(deny);
        self.push_layer(kind, name.to_string(), None, RuleSet::default(), deny, Some(reason.to_string()))
    }

    /// The sandbox tool policy, field by field as OpenClaw resolves it: the
    /// agent's allow list, else the global one, else the default; the same for
    /// deny. A sandbox block that gives only `deny` keeps the default allow
    /// list, which is the reading that fails closed.
    pub(super) fn sandbox_layer(&mut self, agent: Option<&Rules>, global: Option<&Rules>, label: &str) -> LayerId {
        let pick = |field: fn(&Rules) -> Option<&ToolList>| -> (Option<&ToolList>, &str) {
            match (agent.and_then(field), global.and_then(field)) {
                (Some(list), _) => (Some(list), "agent"),
                (None, Some(list)) => (Some(list), "global"),
                (None, None) => (None, "default"),
            }
        };
        let (allow_list, allow_from) = pick(|r| r.lists.allow.as_ref().filter(|a| !a.entries.is_empty()));
        let (deny_list, deny_from) = pick(|r| r.lists.deny.as_ref());
        // Asks are never defaulted: the built-in sandbox policy asks for nothing.
        let (ask_list, _) = pick(|r| r.lists.ask.as_ref());
        // Command and path rules are inherited as a whole block; the default has none.
        let exec_block = agent.and_then(|r| r.exec.as_ref()).or_else(|| global.and_then(|r| r.exec.as_ref()));
        let paths_block = agent.and_then(|r| r.paths.as_ref()).or_else(|| global.and_then(|r| r.paths.as_ref()));
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
        let key = SharedLayerKey {
            kind: LayerKind::Sandbox,
            name: name.clone(),
            sources: vec![
                node_address(allow_list),
                node_address(ask_list),
                node_address(deny_list),
                node_address(exec_block),
                node_address(paths_block),
            ],
        };
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
        let ask = ask_list.map(|list| self.entries(list)).unwrap_or_default();
        let id = self.push_layer(LayerKind::Sandbox, name, Some(allow), ask, deny, None);
        self.attach_exec(id, exec_block);
        self.attach_paths(id, paths_block);
        self.shared_layers.insert(key, id);
        id
    }

    /// The profile layer: the agent's profile replaces the global one, and
    /// the global `also_allow` with it; under the global profile, the agent's
    /// `also_allow`, when it writes one (even empty), replaces the global one.
    /// (OpenClaw also lends the global `alsoAllow` to an agent's own profile;
    /// Palisade does not, the stricter reading.) For provider profiles the
    /// same rule applies between the agent's and the global provider entry.
    pub(super) fn profile_layer(
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
        let agent_also = agent_rules.and_then(|r| r.also_allow.as_ref());
        let (profile, owner_label, own_also) = match agent_rules.and_then(|r| r.profile.as_ref()) {
            Some(p) => (Some(p), agent.label.clone(), agent_also),
            None => (
                global_rules.and_then(|r| r.profile.as_ref()),
                global.label.clone(),
                agent_also.or_else(|| global_rules.and_then(|r| r.also_allow.as_ref())),
            ),
        };
        let also: Vec<&ToolList> = own_also.into_iter().filter(|l| !l.entries.is_empty()).collect();
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
        let id = self.push_layer(kind, name, Some(allow), RuleSet::default(), RuleSet::default(), None);
        self.shared_layers.insert(key, id);
        Some(id)
    }

    pub(super) fn provider_entry<'r>(rules: Option<&'r Rules>, key: &str) -> Option<&'r Keyed> {
        let rules = rules?;
        let find = |k: &str| rules.providers.iter().find(|p| p.key.value.trim().eq_ignore_ascii_case(k));
        find(key).or_else(|| if key.contains('/') { find(provider_head(key)) } else { None })
    }

    pub(super) fn sender_layers(&mut self, rules: Option<&Rules>, sender_names: &[String], label: &str) -> Vec<Option<LayerId>> {
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
}

pub(super) fn entry_key(entry: Option<&Keyed>, fallback: &str) -> String {
    entry.map_or_else(|| fallback.to_string(), |k| k.key.value.trim().to_lowercase())
}
