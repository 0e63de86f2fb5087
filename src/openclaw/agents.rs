//! `agents`: the agent list and defaults, each agent's tools and sandbox.

use super::*;

impl Lowerer {
    /// Returns whether a default sandbox mode was given.
    pub(super) fn agents(&mut self, node: &Node, path: &str) -> bool {
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

    pub(super) fn agent(&mut self, node: &Node, path: &str, entry_id: Option<&Key>) {
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

    pub(super) fn sandbox(&mut self, node: &Node, path: &str) -> Option<SandboxSettings> {
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

    pub(super) fn docker(&mut self, node: &Node, path: &str, settings: &mut SandboxSettings) {
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
}
