//! `tools.exec` and OpenClaw's exec-approvals file into `exec` blocks
//! (ARCHITECTURE.md, Exec commands). OpenClaw resolves one exec policy per
//! agent: the agent's `tools.exec` over the global one, field by field, and
//! the approvals file's agent entry over its `defaults`; the effective policy
//! is the stricter of the two, with the allowlist from the approvals file.
//! That one policy becomes one `exec` block in the agent's `tools` block.
//! Wherever OpenClaw's meaning cannot be kept exactly, a warning says so and
//! the stricter reading is taken.

use super::*;
use crate::vocab::ToolOutcome;

/// `security`: what runs without a prompt. Ordered from strictest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Security {
    Deny,
    Allowlist,
    Full,
}

/// `ask`: when a person is asked. Ordered from most lenient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Ask {
    Off,
    OnMiss,
    Always,
}

const SECURITY: &[(&str, Security)] = &[("deny", Security::Deny), ("allowlist", Security::Allowlist), ("full", Security::Full)];
const ASK: &[(&str, Ask)] = &[("off", Ask::Off), ("on-miss", Ask::OnMiss), ("always", Ask::Always)];

/// OpenClaw's stdin-only filters, allowed in allowlist mode when `safeBins` is not set.
const DEFAULT_SAFE_BINS: &[&str] = &["cut", "uniq", "head", "tail", "tr", "wc"];
/// Where OpenClaw resolves safe bins from by default.
const SAFE_BIN_DIRS: &[&str] = &["/bin", "/usr/bin"];

/// The exec keys of one `tools.exec` object or one approvals entry, as written.
#[derive(Debug, Clone, Default)]
pub(super) struct ExecSettings {
    /// Where the settings are written (the `exec` object).
    span: Span,
    security: Option<Spanned<Security>>,
    ask: Option<Spanned<Ask>>,
    ask_fallback: Option<Spanned<Security>>,
    safe_bins: Option<Vec<Spanned<String>>>,
    trusted_dirs: Option<Vec<Spanned<String>>>,
    strict_inline_eval: Option<Spanned<bool>>,
    auto_allow_skills: Option<Spanned<bool>>,
}

impl ExecSettings {
    /// `self`, with every field it leaves out taken from `base`.
    fn over(&self, base: &ExecSettings) -> ExecSettings {
        ExecSettings {
            span: if self.says_anything() { self.span } else { base.span },
            security: self.security.clone().or_else(|| base.security.clone()),
            ask: self.ask.clone().or_else(|| base.ask.clone()),
            ask_fallback: self.ask_fallback.clone().or_else(|| base.ask_fallback.clone()),
            safe_bins: self.safe_bins.clone().or_else(|| base.safe_bins.clone()),
            trusted_dirs: self.trusted_dirs.clone().or_else(|| base.trusted_dirs.clone()),
            strict_inline_eval: self.strict_inline_eval.clone().or_else(|| base.strict_inline_eval.clone()),
            auto_allow_skills: self.auto_allow_skills.clone().or_else(|| base.auto_allow_skills.clone()),
        }
    }

    fn says_anything(&self) -> bool {
        self.security.is_some() || self.ask.is_some() || self.ask_fallback.is_some() || self.safe_bins.is_some() || self.trusted_dirs.is_some()
    }
}

/// The approvals file: its source (diagnostics point into it), its
/// defaults and its agents' entries with their allowlists.
#[derive(Debug)]
pub(super) struct Approvals {
    source: Arc<SourceFile>,
    defaults: ExecSettings,
    agents: Vec<(String, ExecSettings, Vec<Spanned<String>>)>,
}

/// Settings that OpenClaw keeps in `tools.exec` with no command-rule meaning.
const IGNORED_EXEC_KEYS: &[&str] = &[
    "host",
    "timeoutSec",
    "backgroundMs",
    "cleanupMs",
    "notifyOnExit",
    "notifyOnExitEmptySuccess",
    "pathPrepend",
    "node",
    "applyPatch",
    "approvalRunningNoticeMs",
];

impl Lowerer {
    /// `tools.exec`, global or an agent's; `rules_span` says whose.
    pub(super) fn exec_settings(&mut self, node: &Node, path: &str, rules_span: Span) {
        let Some(members) = self.object(node, path) else { return };
        let mut settings = ExecSettings { span: node.span, ..ExecSettings::default() };
        for (key, value) in members {
            let p = format!("{path}.{}", key.name);
            if self.policy_key(&mut settings, &key.name, value, &p) {
                continue;
            }
            match key.name.as_str() {
                "safeBins" => settings.safe_bins = self.string_list(value, &p),
                "safeBinTrustedDirs" => settings.trusted_dirs = self.string_list(value, &p),
                "strictInlineEval" => settings.strict_inline_eval = self.boolean(value, &p).map(|b| Spanned::new(b, value.span)),
                "safeBinProfiles" => {
                    self.ignored(key, &p, "safe-bin argument profiles cannot be expressed as patterns; safe bins are imported without arguments")
                }
                name if IGNORED_EXEC_KEYS.contains(&name) => self.ignored(key, &p, "no command-rule meaning"),
                _ => {
                    let known: Vec<&str> =
                        ["security", "ask", "askFallback", "safeBins", "safeBinTrustedDirs", "strictInlineEval", "safeBinProfiles"]
                            .into_iter()
                            .chain(IGNORED_EXEC_KEYS.iter().copied())
                            .collect();
                    self.unknown(key, &p, &known);
                }
            }
        }
        self.exec_settings.push((rules_span, settings));
    }

    /// `security`, `ask` and `askFallback`, which both files spell alike.
    fn policy_key(&mut self, settings: &mut ExecSettings, name: &str, value: &Node, path: &str) -> bool {
        match name {
            "security" => settings.security = self.one_of(value, path, "exec security", SECURITY),
            "ask" => settings.ask = self.one_of(value, path, "exec ask mode", ASK),
            "askFallback" => settings.ask_fallback = self.one_of(value, path, "ask fallback", SECURITY),
            _ => return false,
        }
        true
    }

    fn string_list(&mut self, node: &Node, path: &str) -> Option<Vec<Spanned<String>>> {
        let Value::Array(items) = &node.value else {
            let kind = node.kind();
            self.error(node.span, format!("`{path}` must be an array of strings, found {kind}"));
            return None;
        };
        Some(items.iter().enumerate().filter_map(|(i, item)| self.string(item, &format!("{path}[{i}]"))).collect())
    }

    /// Reads the approvals file. Its diagnostics are reported against it.
    pub(super) fn approvals(&mut self, source: Arc<SourceFile>) {
        let root = match json::parse(&source.text) {
            Ok(root) => root,
            Err(e) => {
                self.sink.push(Diagnostic::error(Code::Json, &source, e.span, e.message).with_label("here"));
                return;
            }
        };
        // Diagnostics of this file point into it: swap the source while reading it.
        let config = std::mem::replace(&mut self.source, Arc::clone(&source));
        let mut approvals = Approvals { source: Arc::clone(&source), defaults: ExecSettings::default(), agents: Vec::new() };
        if let Some(members) = self.object(&root, "$") {
            for (key, value) in members {
                let p = format!("$.{}", key.name);
                match key.name.as_str() {
                    "defaults" => approvals.defaults = self.approval_entry(value, &p).0,
                    "agents" => {
                        let Some(agents) = self.object(value, &p) else { continue };
                        for (id, entry) in agents {
                            let (settings, allowlist) = self.approval_entry(entry, &format!("{p}.{}", id.name));
                            // OpenClaw migrates a legacy `default` entry to `main`.
                            let name = if id.name == "default" { "main".to_string() } else { id.name.to_lowercase() };
                            approvals.agents.push((name, settings, allowlist));
                        }
                    }
                    "version" | "socket" => {}
                    _ => self.ignored(key, &p, "no command-rule meaning"),
                }
            }
        }
        self.source = config;
        self.approvals = Some(approvals);
    }

    fn approval_entry(&mut self, node: &Node, path: &str) -> (ExecSettings, Vec<Spanned<String>>) {
        let mut settings = ExecSettings { span: node.span, ..ExecSettings::default() };
        let mut allowlist = Vec::new();
        let Some(members) = self.object(node, path) else { return (settings, allowlist) };
        for (key, value) in members {
            let p = format!("{path}.{}", key.name);
            if self.policy_key(&mut settings, &key.name, value, &p) {
                continue;
            }
            match key.name.as_str() {
                "autoAllowSkills" => settings.auto_allow_skills = self.boolean(value, &p).map(|b| Spanned::new(b, value.span)),
                "allowlist" => {
                    let Value::Array(items) = &value.value else {
                        let kind = value.kind();
                        self.error(value.span, format!("`{p}` must be an array, found {kind}"));
                        continue;
                    };
                    for (i, item) in items.iter().enumerate() {
                        let ip = format!("{p}[{i}]");
                        let Some(fields) = self.object(item, &ip) else { continue };
                        match fields.iter().find(|(k, _)| k.name == "pattern") {
                            Some((_, pattern)) => allowlist.extend(self.string(pattern, &format!("{ip}.pattern"))),
                            None => {
                                self.error(item.span, format!("`{ip}` has no `pattern`"));
                            }
                        }
                    }
                }
                _ => self.ignored(key, &p, "no command-rule meaning"),
            }
        }
        (settings, allowlist)
    }

    /// After every agent is read: one `exec` block per agent (or in the
    /// global `tools` block when the configuration lists no agent).
    pub(super) fn finish_exec(&mut self) {
        let global_span = self.policy.tools.as_ref().map(|r| r.span);
        let settings_of = |list: &[(Span, ExecSettings)], span: Option<Span>| {
            span.and_then(|s| list.iter().find(|(at, _)| *at == s)).map(|(_, e)| e.clone()).unwrap_or_default()
        };
        let global = settings_of(&self.exec_settings, global_span);
        if self.policy.agents.is_empty() {
            if let Some(block) = self.exec_block("main", &global) {
                self.policy.tools.get_or_insert_with(|| Rules::new(RulesKind::Scope, Span::default())).exec = Some(block);
            }
            return;
        }
        for index in 0..self.policy.agents.len() {
            let Some(agent) = self.policy.agents.get(index) else { continue };
            let id = agent.id.value.to_lowercase();
            let own = settings_of(&self.exec_settings, agent.tools.as_ref().map(|r| r.span));
            let Some(block) = self.exec_block(&id, &own.over(&global)) else { continue };
            if let Some(agent) = self.policy.agents.get_mut(index) {
                let span = agent.span;
                agent.tools.get_or_insert_with(|| Rules::new(RulesKind::Scope, span)).exec = Some(block);
            }
        }
    }

    /// The block of one agent, from its configuration's settings and the
    /// approvals file; `None` when neither says anything about commands.
    fn exec_block(&mut self, agent: &str, config: &ExecSettings) -> Option<ExecBlock> {
        let (approved, allowlist, approvals_source) = match &self.approvals {
            Some(a) => {
                let entry = a.agents.iter().find(|(id, _, _)| id == agent);
                let own = entry.map(|(_, s, _)| s.clone()).unwrap_or_default();
                (own.over(&a.defaults), entry.map(|(_, _, l)| l.clone()).unwrap_or_default(), Some(Arc::clone(&a.source)))
            }
            None => (ExecSettings::default(), Vec::new(), None),
        };
        if !config.says_anything() && !approved.says_anything() && allowlist.is_empty() {
            return None;
        }
        let span = config.span;
        let note = |lowerer: &mut Lowerer, span: Span, message: String| {
            lowerer.sink.push(Diagnostic::warning(Code::ReadStrictly, &lowerer.source, span, message).with_label("read more strictly"));
        };
        // The stricter of the two: the lower security, the higher ask.
        let security = match (config.security.as_ref().map(|s| s.value), approved.security.as_ref().map(|s| s.value)) {
            (Some(a), Some(b)) => a.min(b),
            (Some(one), None) | (None, Some(one)) => one,
            (None, None) => {
                note(
                    self,
                    span,
                    format!(
                        "agent `{agent}`: no exec `security` given; read as `allowlist`, the stricter of OpenClaw's modes that still runs commands"
                    ),
                );
                Security::Allowlist
            }
        };
        let ask = config.ask.as_ref().map_or(Ask::Off, |a| a.value).max(approved.ask.as_ref().map_or(Ask::Off, |a| a.value));
        let fallbacks = [
            (&config.ask_fallback, Arc::clone(&self.source)),
            (&approved.ask_fallback, approvals_source.clone().unwrap_or_else(|| Arc::clone(&self.source))),
        ];
        for (fallback, source) in fallbacks {
            if let Some(fallback) = fallback.as_ref().filter(|f| f.value != Security::Deny) {
                let message =
                    format!("agent `{agent}`: `askFallback` is not imported: Palisade never turns `ask` into a run (as `askFallback: \"deny\"`)");
                self.sink.push(Diagnostic::warning(Code::ReadStrictly, &source, fallback.span, message).with_label("read more strictly"));
            }
        }
        if config.strict_inline_eval.as_ref().is_some_and(|s| !s.value) {
            let at = config.strict_inline_eval.as_ref().map_or(span, |s| s.span);
            note(self, at, "`strictInlineEval: false` is read as true: no wildcard ever matches an interpreter's inline-eval flag, in any spelling (`-Ic`, `-c'...'`, `--eval=`, `python3.12`)".into());
        }
        if approved.auto_allow_skills.as_ref().is_some_and(|s| s.value) {
            note(self, span, format!("agent `{agent}`: `autoAllowSkills` is not imported: Palisade does not know the skills' binaries"));
        }
        let on_opaque = if ask == Ask::Off || security == Security::Deny { ToolOutcome::Deny } else { ToolOutcome::Ask };
        let mut block = ExecBlock::new(span);
        block.on_opaque = Some(Spanned::new(on_opaque, span));
        match security {
            Security::Deny => block.on_miss = Some(Spanned::new(ToolOutcome::Deny, span)),
            Security::Full => {
                let on_miss = if ask == Ask::Always { ToolOutcome::Ask } else { ToolOutcome::Allow };
                block.on_miss = Some(Spanned::new(on_miss, span));
                note(self, span, format!("agent `{agent}`: exec security `full` runs every command in OpenClaw; Palisade answers `{}` for commands it cannot read (substitutions, `eval`, redirections)", on_opaque.name()));
            }
            Security::Allowlist => {
                let mut patterns: Vec<Spanned<String>> = match &config.safe_bins {
                    Some(bins) => bins.clone(),
                    None => DEFAULT_SAFE_BINS.iter().map(|b| Spanned::new((*b).to_string(), span)).collect(),
                };
                if !patterns.is_empty() {
                    note(self, span, format!("agent `{agent}`: safe bins are imported without arguments (`head`, not `head -n 5`): their argument profiles are OpenClaw's; a command with arguments is a miss"));
                }
                for entry in &allowlist {
                    match approved_path(&entry.value) {
                        Ok(path) => patterns.push(Spanned::new(format!("{} *", quote_pattern_word(&path)), span)),
                        Err(why) => {
                            let source = approvals_source.clone().unwrap_or_else(|| Arc::clone(&self.source));
                            self.sink.push(
                                Diagnostic::warning(
                                    Code::IgnoredKey,
                                    &source,
                                    entry.span,
                                    format!("allowlist pattern `{}` is not imported: {why}", entry.value),
                                )
                                .with_label("read more strictly"),
                            );
                        }
                    }
                }
                let on_miss = if ask == Ask::Off { ToolOutcome::Deny } else { ToolOutcome::Ask };
                block.on_miss = Some(Spanned::new(on_miss, span));
                *block.patterns.get_mut(if ask == Ask::Always { ToolOutcome::Ask } else { ToolOutcome::Allow }) = patterns;
                let extra = config.trusted_dirs.clone().unwrap_or_default();
                let dirs = SAFE_BIN_DIRS.iter().map(|d| Spanned::new((*d).to_string(), span)).chain(extra).collect();
                block.trusted_dirs = Some(dirs);
            }
        }
        Some(block)
    }
}

/// An approvals pattern as an absolute program path: OpenClaw matches
/// resolved binary paths with globs; Palisade matches one exact path.
fn approved_path(pattern: &str) -> Result<String, &'static str> {
    if !pattern.contains('/') {
        return Err("OpenClaw ignores basename-only entries too");
    }
    if pattern.starts_with('~') {
        return Err("a path under `~` depends on the host's home directory");
    }
    if !pattern.starts_with('/') {
        return Err("a relative path matches no resolved binary");
    }
    if pattern.contains(['*', '?', '[']) {
        return Err("Palisade matches a program by one exact path, not a glob");
    }
    let normal = crate::paths::normalize_absolute(pattern);
    if normal != pattern {
        return Err("the path is not normalised");
    }
    Ok(normal)
}

/// A program path as one pattern word.
fn quote_pattern_word(word: &str) -> String {
    if word.bytes().all(|b| b.is_ascii_alphanumeric() || b"/._+-@%:,".contains(&b)) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}
