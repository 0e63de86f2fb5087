//! `channels` (who gets in, per channel) and `messages` (mention patterns).

use super::schema::CHANNEL_SCHEMA;
use super::*;

/// A Slack channel entry as written, before the `*` entry lends it anything.
struct SlackEntry {
    entry: GroupEntry,
    users: Option<KeyList>,
    own_flag: bool,
}

impl Lowerer {
    pub(super) fn channels(&mut self, node: &Node, path: &str) {
        let Some(members) = self.object(node, path) else { return };
        let mut default_group_policy = None;
        for (name, body) in members {
            let p = format!("{path}.{}", name.name);
            let Some(fields) = self.object(body, &p) else { continue };
            let schema = CHANNEL_SCHEMA.iter().find(|(channel, _)| *channel == name.name).map(|(_, keys)| *keys);
            if name.name == "defaults" {
                for (key, value) in fields {
                    let kp = format!("{p}.{}", key.name);
                    match key.name.as_str() {
                        "groupPolicy" => default_group_policy = self.named(value, &kp, "group policy"),
                        _ if schema.is_some_and(|keys| !keys.contains(&key.name.as_str())) => self.refused(key, &kp, "defaults"),
                        _ => self.ignored(key, &kp, "channel defaults other than groupPolicy have no gating meaning"),
                    }
                }
                continue;
            }
            if self.policy.channels.iter().any(|c| c.name.value.eq_ignore_ascii_case(&name.name)) {
                self.error(name.span, format!("`{p}`: channel `{}` is given twice (names are case-insensitive)", name.name));
                continue;
            }
            let mut channel = Channel::new(Spanned::new(name.name.clone(), name.span), body.span);
            let mut allowlisted = Vec::new();
            let mut slack_channels = None;
            let mut slack_mention = None;
            for (key, value) in fields {
                let kp = format!("{p}.{}", key.name);
                if schema.is_some_and(|keys| !keys.contains(&key.name.as_str())) {
                    self.refused(key, &kp, &name.name);
                    continue;
                }
                match key.name.as_str() {
                    "dmPolicy" => channel.dm = self.named(value, &kp, "dm policy"),
                    // Slack lists its channels under `channels` (as OpenClaw's
                    // Slack handler reads them, see `slack_groups`), Discord
                    // under `guilds` (see `discord_guilds`).
                    "channels" if name.name == "slack" => slack_channels = Some(self.slack_channels(value, &kp)),
                    "requireMention" if name.name == "slack" => {
                        slack_mention = self.boolean(value, &kp).map(|b| Spanned::new(b, value.span));
                    }
                    "guilds" if name.name == "discord" => channel.guilds = self.discord_guilds(value, &kp),
                    "dm" if name.name == "discord" => {
                        let message = format!("`{kp}` is not imported: Discord group DMs are dropped and the DM policy is `dmPolicy` (the stricter reading)");
                        self.sink.push(Diagnostic::warning(Code::ReadStrictly, &self.source, key.span, message).with_label("read more strictly"));
                    }
                    "allowFrom" => channel.allow_from = self.id_list(value, &kp),
                    "groupPolicy" => channel.group_policy = self.named(value, &kp, "group policy"),
                    "groupAllowFrom" => channel.group_allow_from = self.id_list(value, &kp),
                    "groups" => (channel.groups, allowlisted) = self.groups(value, &kp),
                    "mentionPatterns" => channel.mention_patterns = self.patterns(value, &kp),
                    // A channel's own `commands` holds native-command settings
                    // only; text commands and their allowFrom are top-level.
                    "commands" => {
                        let Some(settings) = self.object(value, &kp) else { continue };
                        for (k, _) in settings {
                            let cp = format!("{kp}.{}", k.name);
                            match k.name.as_str() {
                                "native" | "nativeSkills" => self.ignored(k, &cp, "native commands have no gating meaning"),
                                "text" | "allowFrom" => {
                                    self.error(k.span, format!("`{cp}`: OpenClaw 2026.2.26 refuses this key; write it as the top-level `commands.{}`", k.name))
                                        .help = Some("`commands.allowFrom` is keyed by provider: `{ \"telegram\": [\"111\"], \"*\": [...] }`".into());
                                }
                                _ => self.unknown(k, &cp, &["native", "nativeSkills"]),
                            }
                        }
                    }
                    _ if suggest(&key.name, CHANNEL_KEYS.iter().copied()).is_some() => self.unknown(key, &kp, CHANNEL_KEYS),
                    _ => self.ignored(key, &kp, "channel settings other than dmPolicy, allowFrom, groupPolicy, groupAllowFrom, groups, mentionPatterns and commands have no gating meaning"),
                }
            }
            if let (Some(DmPolicy::Allowlist), true) =
                (channel.dm.as_ref().map(|d| d.value), channel.allow_from.as_ref().is_none_or(|l| l.entries.is_empty()))
            {
                let at = channel.dm.as_ref().map_or(name.span, |d| d.span);
                self.error(
                    at,
                    format!("`{p}.dmPolicy` \"allowlist\" needs `{p}.allowFrom` with at least one sender id (OpenClaw's schema refuses it)"),
                )
                .help = Some("list the senders in allowFrom, or use \"pairing\" or \"disabled\"".into());
            }
            let listed = slack_channels.as_ref().is_some_and(|entries| !entries.is_empty());
            if let (Some(mention), false) = (&slack_mention, listed) {
                if !mention.value {
                    let message = format!(
                        "`{p}.requireMention` false applies through `{p}.channels` entries here; with none, mention gating stays on (the stricter reading)"
                    );
                    self.sink.push(Diagnostic::warning(Code::ReadStrictly, &self.source, mention.span, message).with_label("read more strictly"));
                }
            }
            if let Some(entries) = slack_channels {
                channel.groups = Self::slack_groups(entries, slack_mention);
            }
            // Signal has no group list: its group policy and sender lists
            // decide for every group, which a `*` entry says.
            if name.name == "signal" {
                channel.groups.push(GroupEntry::new(Spanned::new("*".to_string(), name.span), name.span));
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
        // `channels.defaults.groupPolicy` is the group policy of every channel
        // that gives none of its own.
        if let Some(default) = default_group_policy {
            for channel in self.policy.channels.iter_mut().filter(|c| c.group_policy.is_none()) {
                channel.group_policy = Some(default.clone());
            }
        }
        // OpenClaw's defaults that decide who gets in, written out so that the
        // imported DSL says them and a decision names where they come from.
        for channel in &mut self.policy.channels {
            let at = channel.name.span;
            channel.dm.get_or_insert_with(|| Spanned::new(DmPolicy::Pairing, at));
            channel.group_policy.get_or_insert_with(|| Spanned::new(GroupPolicy::Allowlist, at));
        }
        // Discord under `open` without guilds admits every guild's channels,
        // but not group DMs (no guild; `dm.groupEnabled` is not imported):
        // a `*` guild that admits anyone says exactly that.
        for channel in self.policy.channels.iter_mut().filter(|c| c.name.value == "discord" && c.guilds.is_empty()) {
            if channel.group_policy.as_ref().is_some_and(|p| p.value == GroupPolicy::Open) {
                let mut settings = GroupEntry::new(Spanned::new("*".to_string(), channel.name.span), channel.name.span);
                Self::discord_members(&mut settings, None, None);
                channel.guilds.push(GuildEntry { settings, groups: Vec::new() });
            }
        }
    }

    /// `channels.slack.channels`: each Slack channel's entry, with its own
    /// `users` (an empty list admits everyone in Slack) and whether it set
    /// `enabled` or `allow` itself.
    fn slack_channels(&mut self, node: &Node, path: &str) -> Vec<SlackEntry> {
        let Some(members) = self.object(node, path) else { return Vec::new() };
        let mut out = Vec::new();
        for (id, body) in members {
            let p = format!("{path}.{}", id.name);
            let Some(fields) = self.object(body, &p) else { continue };
            let mut entry = GroupEntry::new(Spanned::new(id.name.clone(), id.span), id.span);
            let mut users = None;
            let mut own_flag = false;
            for (key, value) in fields {
                let kp = format!("{p}.{}", key.name);
                match key.name.as_str() {
                    "requireMention" => entry.require_mention = self.boolean(value, &kp).map(|b| Spanned::new(b, value.span)),
                    "users" => users = self.id_list(value, &kp),
                    // Slack reads `enabled` before `allow`; either false
                    // disables here (the stricter reading).
                    "enabled" | "allow" => {
                        own_flag = true;
                        if self.boolean(value, &kp) == Some(false) {
                            entry.disabled = Some(value.span);
                        }
                    }
                    "tools" => entry.tools = self.rules(value, &kp, RulesKind::Group),
                    _ => self.ignored(
                        key,
                        &kp,
                        "Slack channel settings other than requireMention, users, enabled, allow and tools have no gating meaning",
                    ),
                }
            }
            out.push(SlackEntry { entry, users, own_flag });
        }
        out
    }

    /// Slack's channel entries as group entries, read as OpenClaw's Slack
    /// handler reads them: a channel's `users` (else the `*` entry's) are its
    /// sender list, and none, or an empty list, admits anyone in the channel
    /// (`allow_from "*"`); mention gating is the entry's, else the `*`
    /// entry's, else the channel-wide `requireMention`, else on; an entry
    /// that sets neither `enabled` nor `allow` is disabled with the `*` entry.
    fn slack_groups(entries: Vec<SlackEntry>, channel_mention: Option<Spanned<bool>>) -> Vec<GroupEntry> {
        let star = entries.iter().find(|e| e.entry.id.value.trim() == "*");
        let star_users = star.and_then(|e| e.users.clone()).filter(|u| !u.entries.is_empty());
        let star_mention = star.is_some_and(|e| e.entry.require_mention.is_some());
        let star_disabled = star.and_then(|e| e.entry.disabled);
        entries
            .into_iter()
            .map(|SlackEntry { mut entry, users, own_flag }| {
                if !own_flag {
                    entry.disabled = entry.disabled.or(star_disabled);
                }
                let anyone = KeyList { entries: vec![Spanned::new("*".to_string(), entry.id.span)], span: entry.id.span };
                entry.allow_from = Some(match users {
                    Some(own) if !own.entries.is_empty() => own,
                    Some(_) => anyone,
                    None => star_users.clone().unwrap_or(anyone),
                });
                if entry.require_mention.is_none() && (entry.id.value.trim() == "*" || !star_mention) {
                    entry.require_mention = channel_mention.clone();
                }
                entry
            })
            .collect()
    }

    /// `channels.discord.guilds`: guild entries, each with its channels as
    /// groups, read as OpenClaw's Discord handler reads them. Members are
    /// the channel's `users` and `roles`, each else the guild's (an empty
    /// list does not fall back), and with neither anyone in the channel is;
    /// each entry gets its lists written out, so nothing is inherited that
    /// Discord would not inherit. Mention gating is the channel's, else the
    /// guild's, else on; `allow: false` or `enabled: false` disable a channel.
    fn discord_guilds(&mut self, node: &Node, path: &str) -> Vec<GuildEntry> {
        let Some(members) = self.object(node, path) else { return Vec::new() };
        let mut guilds = Vec::new();
        for (id, body) in members {
            let p = format!("{path}.{}", id.name);
            let Some(fields) = self.object(body, &p) else { continue };
            self.discord_id(id, &p, "guild");
            let mut settings = GroupEntry::new(Spanned::new(id.name.clone(), id.span), id.span);
            let (mut users, mut roles) = (None, None);
            let mut channels = Vec::new();
            for (key, value) in fields {
                let kp = format!("{p}.{}", key.name);
                match key.name.as_str() {
                    "requireMention" => settings.require_mention = self.boolean(value, &kp).map(|b| Spanned::new(b, value.span)),
                    "users" => users = self.id_list(value, &kp),
                    "roles" => roles = self.id_list(value, &kp),
                    "channels" => channels = self.discord_channels(value, &kp),
                    "tools" | "toolsBySender" => self.guild_tools(key, &kp),
                    _ => self.ignored(key, &kp, "guild settings other than requireMention, users, roles and channels have no gating meaning"),
                }
            }
            Self::discord_members(&mut settings, users.clone(), roles.clone());
            let groups = channels
                .into_iter()
                .map(|(mut entry, own_users, own_roles)| {
                    Self::discord_members(&mut entry, own_users.or_else(|| users.clone()), own_roles.or_else(|| roles.clone()));
                    entry
                })
                .collect();
            guilds.push(GuildEntry { settings, groups });
        }
        guilds
    }

    /// A guild's `channels`: each entry with its own `users` and `roles`.
    fn discord_channels(&mut self, node: &Node, path: &str) -> Vec<(GroupEntry, Option<KeyList>, Option<KeyList>)> {
        let Some(members) = self.object(node, path) else { return Vec::new() };
        let mut out = Vec::new();
        for (id, body) in members {
            let p = format!("{path}.{}", id.name);
            let Some(fields) = self.object(body, &p) else { continue };
            self.discord_id(id, &p, "channel");
            let mut entry = GroupEntry::new(Spanned::new(id.name.clone(), id.span), id.span);
            let (mut users, mut roles) = (None, None);
            for (key, value) in fields {
                let kp = format!("{p}.{}", key.name);
                match key.name.as_str() {
                    "requireMention" => entry.require_mention = self.boolean(value, &kp).map(|b| Spanned::new(b, value.span)),
                    "users" => users = self.id_list(value, &kp),
                    "roles" => roles = self.id_list(value, &kp),
                    "allow" | "enabled" => {
                        if self.boolean(value, &kp) == Some(false) {
                            entry.disabled = Some(value.span);
                        }
                    }
                    "tools" | "toolsBySender" => self.guild_tools(key, &kp),
                    _ => self.ignored(
                        key,
                        &kp,
                        "guild channel settings other than requireMention, users, roles, allow and enabled have no gating meaning",
                    ),
                }
            }
            out.push((entry, users, roles));
        }
        out
    }

    /// Discord's member lists on an entry: none (or only empty lists) admit
    /// anyone; else the ids and roles, each list written even when empty.
    fn discord_members(entry: &mut GroupEntry, users: Option<KeyList>, roles: Option<KeyList>) {
        let at = entry.id.span;
        let given = |l: &Option<KeyList>| l.as_ref().is_some_and(|l| !l.entries.is_empty());
        if !given(&users) && !given(&roles) {
            entry.allow_from = Some(KeyList { entries: vec![Spanned::new("*".to_string(), at)], span: at });
            entry.roles = Some(KeyList { entries: Vec::new(), span: at });
            return;
        }
        entry.allow_from = Some(users.filter(|l| !l.entries.is_empty()).unwrap_or(KeyList { entries: Vec::new(), span: at }));
        entry.roles = Some(roles.filter(|l| !l.entries.is_empty()).unwrap_or(KeyList { entries: Vec::new(), span: at }));
    }

    /// Guild and channel keys are matched by id here; OpenClaw also matches
    /// names, and a name Palisade cannot match would leave its guild to
    /// the `*` entry: refused rather than read more loosely.
    fn discord_id(&mut self, id: &Key, path: &str, what: &str) {
        let key = id.name.trim();
        if key != "*" && (key.is_empty() || !key.bytes().all(|b| b.is_ascii_digit())) {
            self.error(id.span, format!("`{path}`: a {what} is matched by its numeric id in Palisade, not by name")).help =
                Some(format!("write the {what}'s id (Discord: Copy ID in developer mode), or `*`"));
        }
    }

    /// Tool policies inside a guild: a session key does not name its guild,
    /// so Palisade cannot scope them; refused rather than dropped.
    fn guild_tools(&mut self, key: &Key, path: &str) {
        self.error(key.span, format!("`{path}`: tool policies inside a Discord guild are not imported yet; Palisade refuses to drop them")).help =
            Some("move the restriction to the agent's tools (stricter), or remove it".into());
    }

    /// A key OpenClaw's schema for this channel does not have: OpenClaw would
    /// refuse the whole configuration, so the front end does too.
    fn refused(&mut self, key: &Key, path: &str, channel: &str) {
        let known = CHANNEL_SCHEMA.iter().find(|(name, _)| *name == channel).map_or(&[][..], |(_, keys)| *keys);
        if suggest(&key.name, known.iter().copied()).is_some() {
            return self.unknown(key, path, known);
        }
        let message = format!("`{path}`: OpenClaw 2026.2.26 refuses this key (its schema for `{channel}` has no `{}`)", key.name);
        let help = match (channel, key.name.as_str()) {
            ("slack", "groups" | "groupAllowFrom") => {
                Some("Slack lists its channels under `channels.slack.channels.<id>` (with `users` and `requireMention`)")
            }
            ("discord", "groups" | "groupAllowFrom") => {
                Some("Discord lists its guilds under `channels.discord.guilds.<id>` (with `users`, `roles`, `requireMention` and `channels`)")
            }
            ("signal", "groups") => Some("Signal has no group list: `groupPolicy` and `groupAllowFrom` decide who gets in"),
            (_, "mentionPatterns") => Some("mention patterns go under `messages.groupChat.mentionPatterns`"),
            _ => None,
        };
        let mut d = Diagnostic::error(Code::UnknownKey, &self.source, key.span, message).with_label("refused by OpenClaw");
        d.help = help.map(String::from);
        self.sink.push(d);
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
            let mut entry = GroupEntry::new(Spanned::new(id.name.clone(), id.span), id.span);
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
                            self.sink.push(Diagnostic::warning(Code::ReadStrictly, &self.source, key.span, message).with_label("read more strictly"));
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

    /// The top-level `commands`: `text` (text commands on or off everywhere)
    /// and `allowFrom` (who may run them, per provider, `*` for the rest).
    pub(super) fn commands(&mut self, node: &Node, path: &str) {
        let Some(members) = self.object(node, path) else { return };
        for (key, value) in members {
            let p = format!("{path}.{}", key.name);
            match key.name.as_str() {
                "text" => self.global_text_commands = self.boolean(value, &p).map(|b| Spanned::new(b, value.span)),
                "allowFrom" => {
                    let Some(providers) = self.object(value, &p) else { continue };
                    for (provider, list) in providers {
                        let lp = format!("{p}.{}", provider.name);
                        if let Some(list) = self.id_list(list, &lp) {
                            self.command_allow_from.push((provider.name.to_lowercase(), list));
                        }
                    }
                }
                // Off, OpenClaw's handlers let every sender's command through
                // (Discord: unless a list is configured); kept on here.
                "useAccessGroups" => {
                    if self.boolean(value, &p) == Some(false) {
                        let message =
                            format!("`{p}` false is not imported: commands stay limited to the senders authorised for them (the stricter reading)");
                        self.sink.push(Diagnostic::warning(Code::ReadStrictly, &self.source, key.span, message).with_label("read more strictly"));
                    }
                }
                _ => self.ignored(key, &p, "command settings other than text, allowFrom and useAccessGroups have no gating meaning"),
            }
        }
    }

    /// Each channel takes the top-level `commands.text` and its provider's
    /// `commands.allowFrom` (else `*`'s); without one, command authorisation
    /// falls back to the channel's sender list, as OpenClaw's does.
    pub(super) fn apply_global_commands(&mut self) {
        for channel in self.policy.channels.iter_mut() {
            if channel.text_commands.is_none() {
                channel.text_commands = self.global_text_commands.clone();
            }
            let name = channel.name.value.to_lowercase();
            let own = self.command_allow_from.iter().find(|(provider, _)| *provider == name);
            let any = self.command_allow_from.iter().find(|(provider, _)| provider == "*");
            if let Some((_, list)) = own.or(any) {
                channel.command_allow_from = Some(list.clone());
            }
            // WhatsApp lets only its owners (`allowFrom` without `*`; else the
            // bot's own number, which Palisade cannot know) skip mention
            // gating with a command: whoever else a list names is not.
            if name == "whatsapp" {
                channel.command_allow_from = Some(Self::whatsapp_owners(channel));
            }
        }
    }

    /// The senders WhatsApp's group gating treats as owners, within the
    /// command list when there is one.
    fn whatsapp_owners(channel: &Channel) -> KeyList {
        let span = channel.allow_from.as_ref().map_or(channel.name.span, |l| l.span);
        let owner = |e: &&Spanned<String>| e.value.trim() != "*";
        let owners = channel.allow_from.iter().flat_map(|l| l.entries.iter()).filter(owner);
        let entries = match &channel.command_allow_from {
            Some(list) if !list.entries.iter().any(|e| e.value.trim() == "*") => {
                owners.filter(|o| list.entries.iter().any(|e| e.value.trim() == o.value.trim())).cloned().collect()
            }
            _ => owners.cloned().collect(),
        };
        KeyList { entries, span }
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
