//! `channels` (who gets in, per channel) and `messages` (mention patterns).

use super::*;

impl Lowerer {
    pub(super) fn channels(&mut self, node: &Node, path: &str) {
        let Some(members) = self.object(node, path) else { return };
        for (name, body) in members {
            let p = format!("{path}.{}", name.name);
            let Some(fields) = self.object(body, &p) else { continue };
            if self.policy.channels.iter().any(|c| c.name.value.eq_ignore_ascii_case(&name.name)) {
                self.error(name.span, format!("`{p}`: channel `{}` is given twice (names are case-insensitive)", name.name));
                continue;
            }
            let mut channel = Channel::new(Spanned::new(name.name.clone(), name.span), body.span);
            let mut allowlisted = Vec::new();
            for (key, value) in fields {
                let kp = format!("{p}.{}", key.name);
                match key.name.as_str() {
                    "dmPolicy" => channel.dm = self.named(value, &kp, "dm policy"),
                    "allowFrom" => channel.allow_from = self.id_list(value, &kp),
                    "groupPolicy" => channel.group_policy = self.named(value, &kp, "group policy"),
                    "groupAllowFrom" => channel.group_allow_from = self.id_list(value, &kp),
                    "groups" => (channel.groups, allowlisted) = self.groups(value, &kp),
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
            // A group with its own `groupPolicy: "allowlist"` and no `allowFrom`
            // takes the channel's group sender list (none: nobody), whatever
            // the channel's policy, as OpenClaw's Telegram handler does.
            let senders = channel.group_allow_from.clone().or_else(|| channel.allow_from.clone().filter(|l| !l.entries.is_empty()));
            for index in allowlisted {
                if let Some(group) = channel.groups.get_mut(index) {
                    let empty = KeyList { entries: Vec::new(), span: group.id.span };
                    group.allow_from.get_or_insert_with(|| senders.clone().unwrap_or(empty));
                }
            }
            self.policy.channels.push(channel);
        }
    }

    /// The group entries, and which of them set `groupPolicy: "allowlist"`
    /// (they take the channel's sender list once the channel is read).
    pub(super) fn groups(&mut self, node: &Node, path: &str) -> (Vec<GroupEntry>, Vec<usize>) {
        let Some(members) = self.object(node, path) else { return (Vec::new(), Vec::new()) };
        let mut groups = Vec::new();
        let mut allowlisted = Vec::new();
        for (id, body) in members {
            let p = format!("{path}.{}", id.name);
            let Some(fields) = self.object(body, &p) else { continue };
            let mut entry = GroupEntry {
                id: Spanned::new(id.name.clone(), id.span),
                require_mention: None,
                allow_from: None,
                disabled: None,
                tools: None,
                span: id.span,
            };
            for (key, value) in fields {
                let kp = format!("{p}.{}", key.name);
                match key.name.as_str() {
                    "requireMention" => entry.require_mention = self.boolean(value, &kp).map(|b| Spanned::new(b, value.span)),
                    "tools" => entry.tools = self.rules(value, &kp, RulesKind::Group),
                    "allowFrom" => entry.allow_from = self.id_list(value, &kp),
                    "enabled" => {
                        if self.boolean(value, &kp) == Some(false) {
                            entry.disabled = Some(value.span);
                        }
                    }
                    "groupPolicy" => match self.string(value, &kp).as_ref().map(|v| v.value.as_str()) {
                        Some("disabled") => entry.disabled = Some(value.span),
                        Some("allowlist") => allowlisted.push(groups.len()),
                        Some("open") => {
                            let message =
                                format!("`{kp}`: a group's own `open` is not imported; the channel's group policy applies (the stricter reading)");
                            self.sink.push(Diagnostic::warning(Code::IgnoredKey, &self.source, key.span, message).with_label("read more strictly"));
                        }
                        Some(other) => {
                            let message = format!("`{kp}` must be \"open\", \"allowlist\" or \"disabled\", found \"{other}\"");
                            self.error(value.span, message);
                        }
                        None => {}
                    },
                    // Per-topic settings cannot be said per topic in Palisade, and
                    // any of them may restrict: refused rather than dropped.
                    "topics" => {
                        self.error(key.span, format!("`{kp}`: per-topic settings are not imported yet; Palisade refuses to drop them")).help =
                            Some("move the topic's restrictions (enabled, allowFrom, requireMention) to the group, which is stricter".into());
                    }
                    _ => self.ignored(
                        key,
                        &kp,
                        "group settings other than requireMention, allowFrom, enabled, groupPolicy and tools have no gating meaning",
                    ),
                }
            }
            groups.push(entry);
        }
        (groups, allowlisted)
    }

    pub(super) fn patterns(&mut self, node: &Node, path: &str) -> Vec<Spanned<String>> {
        let Value::Array(items) = &node.value else {
            let kind = node.kind();
            self.error(node.span, format!("`{path}` must be an array of regexes, found {kind}"));
            return Vec::new();
        };
        items.iter().enumerate().filter_map(|(i, item)| self.string(item, &format!("{path}[{i}]"))).collect()
    }

    /// `messages.groupChat.mentionPatterns`: the patterns of every channel
    /// that gives none of its own.
    pub(super) fn messages(&mut self, node: &Node, path: &str) {
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

    pub(super) fn apply_global_mention_patterns(&mut self) {
        if self.global_mentions.is_empty() {
            return;
        }
        for channel in self.policy.channels.iter_mut().filter(|c| c.mention_patterns.is_empty()) {
            channel.mention_patterns = self.global_mentions.clone();
        }
    }
}
