//! Channels, sessions and bindings -> the gate's and the router's tables,
//! with the diagnostics of ARCHITECTURE.md, Decision semantics (ingress and routing).

use crate::ast::{Binding, Channel, ChatKind, DmPolicy, DmScope, GroupEntry, GroupPolicy, KeyList, SessionScope};
use crate::diagnostic::suggest;
use crate::diagnostic::Code;
use crate::engine::ingress::{ChannelGate, GroupRule, GuildRule, Ingress, SenderList};
use crate::engine::mention::{self, MentionMatcher};
use crate::engine::route::{kind_index, AccountMatch, CompiledBinding, Router, Tier};
use crate::engine::{GroupIndex, LayerId, LayerKind, Map, Set};
use crate::source::Span;

/// Mention patterns are operator-written regexes; bound what one may cost.
const MENTION_REGEX_SIZE_LIMIT: usize = 1 << 20;

impl super::Compiler<'_> {
    /// One tool layer per channel group with a `tools` block, and the index
    /// from a session key's (channel, group id) to that layer's class.
    pub(super) fn group_layers(&mut self) -> (GroupIndex, Vec<String>, Vec<Option<LayerId>>) {
        let mut index = GroupIndex::default();
        let mut names = Vec::new();
        let mut layers = vec![None];
        for channel in &self.policy.channels {
            let channel_key = crate::engine::route::escaped(&channel.name.value.trim().to_lowercase());
            for group in &channel.groups {
                let Some(tools) = &group.tools else { continue };
                let id = group.id.value.trim().to_lowercase();
                let label = format!("channel {} group {}", channel.name.value.trim(), group.id.value.trim());
                self.check_scope(tools, &label);
                let layer = self.rules_layer(Some(tools), LayerKind::Group, || format!("{label} policy"));
                let key = if id == "*" { id.clone() } else { crate::engine::route::escaped(&id) };
                index.entry(channel_key.clone().into_boxed_str()).or_default().insert(key.into_boxed_str(), names.len() as u32 + 1);
                names.push(label);
                layers.push(layer);
            }
        }
        (index, names, layers)
    }

    pub(super) fn ingress(&mut self) -> Ingress {
        let mut ingress = Ingress::default();
        for channel in &self.policy.channels {
            // A plugin's channel may have any name; one a letter or two from a
            // built-in one is most likely a typo of it.
            let name = channel.name.value.trim().to_lowercase();
            if !crate::openclaw::builtin_channels().any(|b| b == name) {
                if let Some(near) = crate::diagnostic::suggest(&name, crate::openclaw::builtin_channels()) {
                    self.warning(Code::UnknownChannel, channel.name.span, format!("`{name}` is not one of OpenClaw's channels")).help =
                        Some(format!("did you mean `{near}`? (a plugin's channel keeps its own name)"));
                }
            }
            let gate = self.channel_gate(channel);
            ingress.channels.insert(channel.name.value.trim().to_lowercase().into_boxed_str(), gate);
        }
        ingress
    }

    fn sender_list(&self, channel: &str, list: &KeyList) -> SenderList {
        let mut out = SenderList { at: Some(self.source.location(list.span)), ..SenderList::default() };
        let prefix = format!("{channel}:");
        for entry in &list.entries {
            let id = entry.value.trim().to_lowercase();
            let id = id.strip_prefix(&prefix).unwrap_or(&id);
            if id == "*" {
                out.any = true;
            } else if !id.is_empty() {
                out.ids.insert(id.into());
            }
        }
        out
    }

    fn channel_gate(&mut self, channel: &Channel) -> ChannelGate {
        let name = channel.name.value.trim().to_lowercase();
        let loc = |this: &Self, span: Span| Some(this.source.location(span));
        let dm = channel.dm.as_ref().map_or(DmPolicy::Pairing, |d| d.value);
        let allow_from = channel.allow_from.as_ref().map(|l| self.sender_list(&name, l)).unwrap_or_default();
        if let (Some(d), DmPolicy::Open, false) = (&channel.dm, dm, allow_from.any) {
            self.error(Code::OpenWithoutStar, d.span, format!("`dm open` on channel `{name}` without `*` in allow_from")).help =
                Some("an open DM policy must say so in allow_from too: `allow_from \"*\"`; or use `dm allowlist`".into());
        }
        if let (Some(list), DmPolicy::Disabled) = (&channel.allow_from, dm) {
            self.warning(Code::NoEffect, list.span, "allow_from has no effect on direct messages while `dm disabled`").help =
                Some("it still serves as the group sender list when group_allow_from is not set".into());
        }
        let explicit = channel.group_allow_from.is_some();
        let group_senders = match (&channel.group_allow_from, &channel.allow_from) {
            (Some(list), _) | (None, Some(list)) => Some(self.sender_list(&name, list)),
            (None, None) => None,
        };
        let mut groups = Map::default();
        let mut star_group = None;
        // A group that leaves mention gating unsaid takes the `*` entry's; on by default.
        let star_mention = channel.groups.iter().find(|g| g.id.value.trim() == "*").and_then(|g| g.require_mention.as_ref());
        for group in &channel.groups {
            let require_mention = group.require_mention.as_ref().or(star_mention).is_none_or(|r| r.value);
            let rule = self.group_rule(&name, group, None, require_mention);
            Self::file_rule(&mut groups, &mut star_group, &group.id.value, rule);
        }
        let (guilds, star_guild) = self.guild_rules(&name, channel);
        let group_policy = channel.group_policy.as_ref().map_or(GroupPolicy::Allowlist, |g| g.value);
        if let (GroupPolicy::Allowlist, None, Some(first)) = (group_policy, &group_senders, channel.groups.first()) {
            self.warning(Code::NoEffect, first.span, format!("channel `{name}` lists groups but sets no group sender list: nobody is admitted to them"))
                .help = Some("under `groups allowlist` the sender must be on `group_allow_from` (else `allow_from`); `group_allow_from \"*\"` admits any sender of the listed groups".into());
        }
        let mentions = self.mention_automaton(channel);
        let command_senders = match &channel.command_allow_from {
            Some(list) => Some(self.sender_list(&name, list)),
            None => group_senders.clone(),
        };
        ChannelGate {
            at: loc(self, channel.name.span),
            dm,
            dm_at: channel.dm.as_ref().and_then(|d| loc(self, d.span)),
            allow_from,
            group_policy,
            group_policy_at: channel.group_policy.as_ref().and_then(|g| loc(self, g.span)),
            group_senders,
            explicit_group_senders: explicit,
            groups,
            star_group,
            guilds,
            star_guild,
            mentions,
            mentions_at: channel.mention_patterns.first().and_then(|p| loc(self, p.span)),
            text_commands: channel.text_commands.as_ref().is_none_or(|t| t.value),
            command_senders,
        }
    }

    /// A group entry's rule; inside a guild, what the entry leaves unsaid
    /// comes from the guild's own settings.
    fn group_rule(&mut self, channel: &str, group: &GroupEntry, guild: Option<&GroupEntry>, require_mention: bool) -> GroupRule {
        let allow_from = group.allow_from.as_ref().or(guild.and_then(|g| g.allow_from.as_ref()));
        let roles = group.roles.as_ref().or(guild.and_then(|g| g.roles.as_ref()));
        GroupRule {
            require_mention,
            senders: allow_from.map(|l| self.sender_list(channel, l)),
            roles: roles.map(|l| self.sender_list("role", l)),
            disabled: group.disabled.is_some() || guild.is_some_and(|g| g.disabled.is_some()),
            at: Some(self.source.location(group.span)),
        }
    }

    /// `rule` under its id, or as the `*` entry.
    fn file_rule<R>(map: &mut Map<Box<str>, R>, star: &mut Option<R>, id: &str, rule: R) {
        let id = id.trim().to_lowercase();
        if id == "*" {
            *star = Some(rule);
        } else {
            map.insert(id.into_boxed_str(), rule);
        }
    }

    /// The guild entries: each group's mention gating is its own, else its
    /// guild's, else on (a guild's `*` group lends nothing, as in
    /// OpenClaw's Discord handler).
    fn guild_rules(&mut self, name: &str, channel: &Channel) -> (Map<Box<str>, GuildRule>, Option<GuildRule>) {
        let mut guilds = Map::default();
        let mut star_guild = None;
        if let (Some(first), Some(guild)) = (channel.groups.first(), channel.guilds.first()) {
            let d = self.error(Code::Contradiction, guild.settings.id.span, format!("channel `{name}` lists groups both directly and by guild"));
            d.related_spans.push((first.id.span, "a group listed directly".into()));
            d.help = Some("with guilds, every group is listed inside its guild: `guild \"*\" { group \"...\" }`".into());
        }
        for guild in &channel.guilds {
            let settings = &guild.settings;
            let guild_mention = settings.require_mention.as_ref().is_none_or(|r| r.value);
            let own = self.group_rule(name, settings, None, guild_mention);
            let mut rule = GuildRule { own, groups: Map::default(), star_group: None };
            for group in &guild.groups {
                if let Some(tools) = &group.tools {
                    self.error(
                        Code::Misplaced,
                        tools.span,
                        "a group inside a guild cannot have its own `tools` yet: a session key does not name its guild",
                    )
                    .help = Some("list the tool rules on the agent, or on a group listed directly (without guilds)".into());
                }
                let require_mention = group.require_mention.as_ref().map_or(guild_mention, |r| r.value);
                let group_rule = self.group_rule(name, group, Some(settings), require_mention);
                Self::file_rule(&mut rule.groups, &mut rule.star_group, &group.id.value, group_rule);
            }
            Self::file_rule(&mut guilds, &mut star_guild, &settings.id.value, rule);
        }
        (guilds, star_guild)
    }

    /// One case-insensitive automaton for all patterns of a channel; each
    /// pattern is also parsed alone first, so an error names its pattern.
    fn mention_automaton(&mut self, channel: &Channel) -> Option<MentionMatcher> {
        let mut ok = Vec::new();
        for pattern in &channel.mention_patterns {
            // Parsing alone names the pattern at fault; compiling happens
            // once, for all patterns together, from these parses.
            match mention::parse(&pattern.value) {
                Ok(_) if pattern.value.is_empty() => {
                    self.error(Code::BadMentionPattern, pattern.span, "an empty mention pattern matches every message").help =
                        Some("remove it, or use `no_mention` on the groups that need no mention".into());
                }
                Ok(hir) => ok.push((pattern.value.clone(), hir)),
                Err(e) => {
                    let first_line = e.to_string().lines().last().unwrap_or("invalid regex").trim().to_string();
                    self.error(Code::BadMentionPattern, pattern.span, format!("mention pattern does not compile: {first_line}")).help =
                        Some("mention patterns are regexes, matched case-insensitively; escape `.`, `?`, `(` and the like with `\\`".into());
                }
            }
        }
        if ok.is_empty() {
            return None;
        }
        match MentionMatcher::new(ok, MENTION_REGEX_SIZE_LIMIT) {
            Ok(matcher) => Some(matcher),
            Err(e) => {
                let span = channel.mention_patterns.first().map(|p| p.span).unwrap_or_default();
                self.error(Code::BadMentionPattern, span, format!("the mention patterns of this channel do not compile together: {e}"));
                None
            }
        }
    }

    pub(super) fn router(&mut self, agent_ids: &[String]) -> Router {
        let policy = self.policy;
        let sessions = policy.sessions.as_ref();
        let dm_scope = sessions.and_then(|s| s.dm_scope.as_ref()).map_or(DmScope::Main, |d| d.value);
        let scope = sessions.and_then(|s| s.scope.as_ref()).map_or(SessionScope::PerSender, |s| s.value);
        let mut router = Router { dm_scope, scope, ..Router::default() };

        // Identity links.
        let mut linked_at: Map<String, Span> = Map::default();
        for link in sessions.map(|s| s.links.as_slice()).unwrap_or_default() {
            let canonical = link.canonical.value.trim().to_lowercase();
            for peer in &link.peers {
                let id = peer.value.trim().to_lowercase();
                let Some((channel, who)) = id.split_once(':').filter(|(c, p)| !c.is_empty() && !p.is_empty()) else {
                    self.error(Code::BadIdentityLink, peer.span, format!("`{}` is not a `channel:peer` identity", peer.value)).help =
                        Some("write identities as `telegram:111`, `discord:222`".into());
                    continue;
                };
                if let Some(first) = linked_at.get(&id) {
                    let first = *first;
                    let owner = router.links.get(id.as_str()).map(|c| c.to_string()).unwrap_or_default();
                    let message = if owner == canonical {
                        format!("`{channel}:{who}` is linked twice to `{canonical}`")
                    } else {
                        format!("`{channel}:{who}` is linked to both `{owner}` and `{canonical}`")
                    };
                    self.error(Code::BadIdentityLink, peer.span, message).related_spans.push((first, "first linked here".into()));
                    continue;
                }
                linked_at.insert(id.clone(), peer.span);
                router.links.insert(id.into_boxed_str(), canonical.clone().into_boxed_str());
            }
        }
        if let (Some(first), DmScope::Main) = (sessions.and_then(|s| s.links.first()), dm_scope) {
            self.warning(Code::NoEffect, first.canonical.span, "identity links have no effect under `dm_scope main`").help =
                Some("every direct message shares the main session already; links apply under per_peer and finer scopes".into());
        }
        if dm_scope == DmScope::Main && scope == SessionScope::PerSender {
            self.warn_shared_main_session(sessions.and_then(|s| s.dm_scope.as_ref()).map(|d| d.span));
        }
        if let Some(s) = sessions.and_then(|s| s.scope.as_ref()).filter(|s| s.value == SessionScope::Global) {
            self.warning(Code::SharedSession, s.span, "`scope global` puts every conversation of an agent into one session").help =
                Some("direct messages and groups of different people will share context".into());
        }

        // Bindings.
        let channel_names: Set<String> = policy.channels.iter().map(|c| c.name.value.trim().to_lowercase()).collect();
        let mut channels_of: Vec<String> = Vec::new();
        let mut warned_channels: Set<String> = Set::default();
        for (index, binding) in policy.bindings.iter().enumerate() {
            let Some(mut compiled) = self.binding(binding, agent_ids) else { continue };
            compiled.number = index + 1;
            let channel = binding.channel.value.trim().to_lowercase();
            if !channel_names.contains(&channel) && !policy.channels.is_empty() && !warned_channels.contains(&channel) {
                warned_channels.insert(channel.clone());
                let near = crate::diagnostic::suggest(&channel, channel_names.iter().map(String::as_str));
                self.warning(Code::UnknownChannel, binding.channel.span, format!("no channel block for `{channel}`")).help = Some(match near {
                    Some(near) => format!("the policy has a `{near}` block: is one of the two names misspelt? (the gate drops every message of a channel without a block, so this binding only affects `route`)"),
                    None => "the gate drops every message of a channel without a block, so this binding only affects `route`".into(),
                });
            }
            let earlier = router.bindings.iter().zip(&channels_of).find(|(b, c)| **c == channel && shadows(b, &compiled));
            if let Some((earlier, _)) = earlier {
                let number = earlier.number;
                let first = policy.bindings.get(number - 1).map_or(binding.span, |b| b.span);
                self.warning(Code::ShadowedBinding, binding.span, format!("binding {} can never match", index + 1))
                    .related_spans
                    .push((first, format!("binding {number} matches everything it does and comes first")));
            }
            let id = router.bindings.len() as u32;
            channels_of.push(channel.clone());
            let table = router.channels.entry(channel.into_boxed_str()).or_default();
            let list = match (&compiled.peer, compiled.tier) {
                (Some((kind, peer)), Tier::ExactPeer) => table.exact.get_mut(kind_index(*kind)).map(|m| m.entry(peer.clone()).or_default()),
                (Some((kind, _)), _) => table.wildcard.get_mut(kind_index(*kind)),
                (None, Tier::GuildRoles) => compiled.guild.clone().map(|g| table.guild_roles.entry(g).or_default()),
                (None, Tier::Guild) => compiled.guild.clone().map(|g| table.guild.entry(g).or_default()),
                (None, Tier::Team) => compiled.team.clone().map(|t| table.team.entry(t).or_default()),
                (None, Tier::AnyAccount) => Some(&mut table.any_account),
                (None, _) => Some(&mut table.account),
            };
            if let Some(list) = list {
                list.push(id);
            }
            router.bindings.push(compiled);
        }
        router
    }

    fn warn_shared_main_session(&mut self, at: Option<Span>) {
        let mut senders: Set<String> = Set::default();
        let mut many = false;
        for channel in &self.policy.channels {
            let dm = channel.dm.as_ref().map_or(DmPolicy::Pairing, |d| d.value);
            if dm == DmPolicy::Disabled {
                continue;
            }
            many |= matches!(dm, DmPolicy::Open | DmPolicy::Pairing);
            for id in channel.allow_from.iter().flat_map(|l| &l.entries) {
                many |= id.value.trim() == "*";
                senders.insert(format!("{}:{}", channel.name.value, id.value.trim()).to_lowercase());
            }
        }
        if many || senders.len() > 1 {
            let span = at.or_else(|| self.policy.channels.first().map(|c| c.name.span)).unwrap_or_default();
            self.warning(Code::SharedSession, span, "several senders may DM the agents and `dm_scope main` gives them one shared session").help =
                Some("their conversations share context; set `sessions { dm_scope per_channel_peer }` to isolate them".into());
        }
    }

    fn binding(&mut self, binding: &Binding, agent_ids: &[String]) -> Option<CompiledBinding> {
        let agent_id = binding.agent.value.trim().to_lowercase();
        let Some(agent) = agent_ids.iter().position(|a| *a == agent_id) else {
            let hint = suggest(&agent_id, agent_ids.iter().map(String::as_str));
            let diagnostic = self.error(Code::UnknownAgent, binding.agent.span, format!("binding to unknown agent `{agent_id}`"));
            diagnostic.help = Some(match hint {
                Some(h) => format!("did you mean `{h}`?"),
                None => format!("agents: {}", agent_ids.join(", ")),
            });
            return None;
        };
        let lower = |s: &crate::ast::Spanned<String>| s.value.trim().to_lowercase().into_boxed_str();
        let account = match binding.account.as_ref().map(|a| a.value.trim()) {
            None => AccountMatch::Default,
            Some("*") => AccountMatch::Any,
            Some(name) => AccountMatch::Named(name.to_lowercase().into()),
        };
        let peer = binding.peer.as_ref().map(|(kind, id)| (*kind, lower(id)));
        let guild = binding.guild.as_ref().map(lower);
        let team = binding.team.as_ref().map(lower);
        let roles: Vec<Box<str>> = binding.roles.iter().map(lower).collect();
        if !roles.is_empty() && guild.is_none() {
            self.error(Code::RolesWithoutGuild, binding.span, "`roles` needs a `guild` in the same binding").help =
                Some("roles are guild roles: write `discord guild \"g1\" roles \"mod\" -> agent`".into());
            return None;
        }
        let tier = match (&peer, &guild, roles.is_empty(), &team, &account) {
            (Some((_, id)), ..) if &**id != "*" => Tier::ExactPeer,
            (Some(_), ..) => Tier::PeerWildcard,
            (None, Some(_), false, ..) => Tier::GuildRoles,
            (None, Some(_), true, ..) => Tier::Guild,
            (None, None, _, Some(_), _) => Tier::Team,
            (None, None, _, None, AccountMatch::Any) => Tier::AnyAccount,
            (None, None, _, None, _) => Tier::Account,
        };
        if peer.as_ref().is_some_and(|(kind, _)| *kind == ChatKind::Direct) && guild.is_some() {
            self.warning(Code::ShadowedBinding, binding.span, "a direct peer never comes with a guild: this binding can never match");
        }
        Some(CompiledBinding {
            number: 0,
            agent: agent as u32,
            account,
            peer,
            guild,
            team,
            roles,
            tier,
            at: Some(self.source.location(binding.span)),
        })
    }
}

/// Does `earlier` (same channel) match every message `later` matches, in the
/// same precedence tier, so that `later` can never be chosen?
fn shadows(earlier: &CompiledBinding, later: &CompiledBinding) -> bool {
    if earlier.tier != later.tier {
        return false;
    }
    let account_covers = match (&earlier.account, &later.account) {
        (AccountMatch::Any, _) => true,
        (AccountMatch::Default, AccountMatch::Default) => true,
        (AccountMatch::Named(a), AccountMatch::Named(b)) => a == b,
        (AccountMatch::Default, AccountMatch::Named(b)) => &**b == "default",
        (AccountMatch::Named(a), AccountMatch::Default) => &**a == "default",
        _ => false,
    };
    let field_covers = |a: &Option<Box<str>>, b: &Option<Box<str>>| a.is_none() || a == b;
    let peer_covers = match (&earlier.peer, &later.peer) {
        (None, _) => true,
        (Some((ka, ia)), Some((kb, ib))) => ka == kb && (&**ia == "*" || ia == ib),
        (Some(_), None) => false,
    };
    let roles_cover = earlier.roles.is_empty() || later.roles.iter().all(|r| earlier.roles.contains(r)) && !later.roles.is_empty();
    account_covers && peer_covers && field_covers(&earlier.guild, &later.guild) && field_covers(&earlier.team, &later.team) && roles_cover
}
