//! `tools` blocks wherever they appear: allow/deny lists, providers, senders, sub-agents.

use super::*;

/// Tools later OpenClaw releases renamed: (later name, the seed's name).
const LATER_NAMES: &[(&str, &str)] = &[("view_image", "image"), ("automations", "cron")];

/// A deny list that names a tool by a later release's name denies the seed's
/// tool as well: what the operator meant to deny stays denied (the stricter
/// reading); an allow list grants only the name written.
fn with_seed_names(mut list: ToolList) -> ToolList {
    let seeds: Vec<ToolRef> = list
        .entries
        .iter()
        .filter_map(|entry| {
            let normalized = builtins::normalize_tool(&entry.text);
            LATER_NAMES.iter().find(|(later, _)| *later == normalized).map(|(_, seed)| ToolRef { text: (*seed).to_string(), span: entry.span })
        })
        .collect();
    list.entries.extend(seeds);
    list
}

impl Lowerer {
    pub(super) fn tool_list(&mut self, node: &Node, path: &str) -> Option<ToolList> {
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

    /// A later release's name for a seed tool: said, since Palisade's
    /// built-ins are the seed's (OpenClaw 2026.2).
    fn later_name(&mut self, name: &Spanned<String>, normalized: &str) {
        let Some((_, seed)) = LATER_NAMES.iter().find(|(later, _)| *later == normalized) else { return };
        let message = format!(
            "`{normalized}` is what OpenClaw releases after 2026.2 call `{seed}`; Palisade's built-ins follow 2026.2, so it is \
             imported as a plugin tool of that name, and a deny list that names it denies `{seed}` too"
        );
        self.sink.push(
            Diagnostic::warning(Code::PluginTool, &self.source, name.span, message).with_help(format!("write `{seed}` to mean the built-in tool")),
        );
    }

    /// JSON has no way to declare plugin tools, so an unknown name becomes one,
    /// with a warning; a name one typo away from a known tool stays unknown and
    /// the compiler reports it (a typo in a deny list must not pass quietly).
    pub(super) fn declare_if_plugin(&mut self, name: &Spanned<String>) {
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
        if LATER_NAMES.iter().any(|(later, _)| *later == normalized) {
            self.later_name(name, &normalized);
            self.policy.plugin_tools.push(ToolRef { text: normalized, span: name.span });
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

    pub(super) fn rules(&mut self, node: &Node, path: &str, kind: RulesKind) -> Option<Rules> {
        let members = self.object(node, path)?;
        let mut rules = Rules::new(kind, node.span);
        let known: &[&str] = match kind {
            RulesKind::Scope => &["profile", "allow", "alsoAllow", "deny", "byProvider", "sandbox", "subagents"],
            RulesKind::Provider => &["profile", "allow", "alsoAllow", "deny"],
            _ => &["allow", "deny"],
        };
        for (key, value) in members {
            let p = format!("{path}.{}", key.name);
            if kind == RulesKind::Scope && key.name == "exec" {
                self.exec_settings(value, &p, node.span);
                continue;
            }
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
                "allow" => rules.lists.allow = self.tool_list(value, &p),
                "alsoAllow" => rules.also_allow = self.tool_list(value, &p),
                "deny" => rules.lists.deny = self.tool_list(value, &p).map(with_seed_names),
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
}
