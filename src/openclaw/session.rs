//! `session` (DM scope, identity links) and `bindings` (which agent a message goes to).

use super::*;

impl Lowerer {
    pub(super) fn session(&mut self, node: &Node, path: &str) {
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

    pub(super) fn bindings(&mut self, node: &Node, path: &str) {
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

    pub(super) fn binding_match(&mut self, node: &Node, path: &str) -> Option<Binding> {
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
