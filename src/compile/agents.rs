//! Agents: ids and the default, each agent's sandbox and layers, owners.

use super::layers::entry_key;
use super::{sandbox, Compiler, Scope};
use crate::ast::{SandboxMode, WorkspaceAccess};
use crate::builtins;
use crate::diagnostic::Code;
use crate::engine::{AgentEntry, LayerKind, Set};
use crate::source::Span;

impl<'p> Compiler<'p> {
    /// Agent ids in definition order and the index of the one marked
    /// default. A policy with no agent is an error (an empty or truncated
    /// file must grant nothing); OpenClaw's implicit `main` is written into
    /// the AST by the OpenClaw front end, with a warning.
    pub(super) fn agent_ids(&mut self) -> (Vec<String>, Option<usize>) {
        let mut agent_ids: Vec<String> = Vec::new();
        let mut default_agent = None;
        let mut first_default: Option<Span> = None;
        for agent in &self.policy.agents {
            let id = agent.id.value.to_lowercase();
            if let Some(i) = agent_ids.iter().position(|a| *a == id) {
                let first = self.policy.agents.get(i).map_or(agent.id.span, |a| a.id.span);
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
        if self.policy.agents.is_empty() {
            self.error(Code::NoAgent, Span::default(), "the policy defines no agent, so it would decide nothing").help = Some(
                "every tool call is decided for an agent: add one, e.g. `agent main { tools { allow read } }`; an empty or truncated policy file is refused rather than read as granting anything".into(),
            );
            // Compilation goes on, so that every other error shows too.
            agent_ids.push("main".into());
        }
        (agent_ids, default_agent)
    }

    /// One agent's compiled entry: its sandbox (with the warnings its
    /// settings earn) and the ids of its layers.
    pub(super) fn agent(&mut self, index: usize, id: &str, global: &Scope<'p>, provider_names: &[String], sender_names: &[String]) -> AgentEntry {
        let policy = self.policy;
        let ast_agent = policy.agents.get(index);
        let label = format!("agent {id}");
        let agent_rules = ast_agent.and_then(|a| a.tools.as_ref());
        if let Some(rules) = agent_rules {
            self.check_scope(rules, &label);
        }
        let sandbox =
            sandbox::resolve(ast_agent.and_then(|a| a.sandbox.as_ref()), self.policy.sandbox_defaults.as_ref(), self.source, &mut self.sink);
        let workspace_span = ast_agent
            .and_then(|a| a.sandbox.as_ref())
            .and_then(|s| s.workspace.as_ref().map(|w| w.span))
            .or_else(|| self.policy.sandbox_defaults.as_ref().and_then(|d| d.workspace.as_ref().map(|w| w.span)))
            .unwrap_or_default();
        let shares_workspace = sandbox.mode != SandboxMode::Off && sandbox.scope == crate::ast::SandboxScope::Session && sandbox.workspace.writable();
        if shares_workspace {
            let span = workspace_span;
            self.warning(
                Code::SharedWorkspace,
                span,
                format!("agent `{id}` runs one container per session but mounts its workspace read-write in all of them"),
            )
            .help = Some("sessions can pass files to each other through it; `workspace none` gives each session a private scratch directory, `ro` makes it read-only".into());
        }
        if sandbox.workspace == WorkspaceAccess::SharedWithHost {
            match sandbox.mode {
                SandboxMode::NonMain => {
                    self.warning(
                        Code::SharedWithHost,
                        workspace_span,
                        format!("agent `{id}` runs its main session on the host in the directory its sandboxed sessions write"),
                    )
                    .help = Some("a sandboxed session (a stranger's DM, say) can plant a `json.py`, a `Makefile` or a `.git/hooks` script there that a host command then runs with the gateway's rights; `workspace rw` (the default for writing) gives host runs a directory of their own".into());
                }
                SandboxMode::All => {
                    self.warning(
                        Code::Contradiction,
                        workspace_span,
                        format!("agent `{id}` runs every session sandboxed, so `shared_with_host` shares nothing"),
                    )
                    .help = Some("write `workspace rw`".into());
                }
                SandboxMode::Off => {}
            }
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
        let profile = self.profile_layer(&agent_scope, None, global, None, LayerKind::Profile, "profile");
        let mut provider_profile = vec![None];
        let mut provider_rules = vec![None];
        for key in provider_names {
            let agent_entry = Self::provider_entry(agent_rules, key);
            let global_entry = Self::provider_entry(global.rules, key);
            provider_profile.push(self.profile_layer(
                &agent_scope,
                Some(agent_entry),
                global,
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
        let sender = self.sender_layers(agent_rules, sender_names, &label);
        AgentEntry {
            id: id.to_string(),
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
        }
    }

    /// The senders named as owners.
    pub(super) fn owners(&mut self) -> Set<Box<str>> {
        let mut owners = Set::default();
        for owner in &self.policy.owners {
            let key = owner.value.trim().to_lowercase();
            if key.is_empty() || key == "*" {
                self.error(Code::BadOwner, owner.span, "owners must be named senders (`channel:id`)").help =
                    Some("an owner wildcard would make every sender an owner".into());
            } else {
                owners.insert(key.into_boxed_str());
            }
        }
        owners
    }
}
