//! The ingress gate: may an inbound message reach an agent at all? Built
//! once by `compile`; `gate` allocates nothing.
//!
//! Order (ARCHITECTURE.md, Decision semantics): DM policy, or group policy -> group allow lists ->
//! mention gating. Every path that is not an explicit accept drops.

use super::request::with_lowercase;
use super::{Map, Set};
use crate::source::Location;
use crate::vocab::{ChatKind, DmPolicy, GroupPolicy};

/// One inbound message, as a channel adapter sees it. Ids are compared
/// case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inbound<'a> {
    /// The channel, e.g. `telegram`.
    pub channel: &'a str,
    /// The channel account that received it; `None` is the default account.
    pub account: Option<&'a str>,
    /// Direct chat, group or channel.
    pub chat: ChatKind,
    /// The group or room id; for direct chats, the peer (usually the sender).
    pub chat_id: &'a str,
    /// The sender's id on the channel.
    pub sender: &'a str,
    /// The message text (mention patterns and commands are read from it).
    pub text: &'a str,
    /// The platform's own mention flag; `None` when it cannot tell.
    pub mentioned: Option<bool>,
    /// The adapter parsed the text as a control command (`/reset`, ...).
    pub command: bool,
    /// The sender was approved through pairing on this channel. Counts for
    /// direct chats under `dm pairing` only: DM approvals never grant groups.
    pub paired: bool,
    /// The thread the message belongs to, if any.
    pub thread: Option<&'a str>,
    /// Telegram forum topic.
    pub topic: Option<&'a str>,
    /// The parent peer of a thread, for bindings that name the parent.
    pub parent: Option<&'a str>,
    /// Discord guild id.
    pub guild: Option<&'a str>,
    /// Slack team id.
    pub team: Option<&'a str>,
    /// The sender's Discord roles.
    pub roles: &'a [&'a str],
}

impl<'a> Inbound<'a> {
    /// A direct message; the chat id is the sender.
    pub fn direct(channel: &'a str, sender: &'a str, text: &'a str) -> Self {
        Inbound {
            channel,
            account: None,
            chat: ChatKind::Direct,
            chat_id: sender,
            sender,
            text,
            mentioned: None,
            command: false,
            paired: false,
            thread: None,
            topic: None,
            parent: None,
            guild: None,
            team: None,
            roles: &[],
        }
    }

    /// A group message in chat `chat_id`.
    pub fn group(channel: &'a str, chat_id: &'a str, sender: &'a str, text: &'a str) -> Self {
        Inbound { chat: ChatKind::Group, chat_id, ..Inbound::direct(channel, sender, text) }
    }
}

/// What the gate does with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngressOutcome {
    /// The message reaches the agent.
    Accept,
    /// Nothing reaches the agent.
    Drop,
    /// Nothing reaches the agent; the sender gets a pairing code.
    Pair,
}

impl IngressOutcome {
    /// `accept`, `drop` or `pair`.
    pub fn name(self) -> &'static str {
        match self {
            IngressOutcome::Accept => "accept",
            IngressOutcome::Drop => "drop",
            IngressOutcome::Pair => "pair",
        }
    }
}

/// The gate's verdict, the rule that gave it and where that rule is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngressDecision<'e> {
    /// Accept, drop or pair.
    pub outcome: IngressOutcome,
    /// Why, in words.
    pub reason: &'static str,
    /// Where the deciding rule is written, when it is.
    pub at: Option<&'e Location>,
}

/// A compiled allow-from list: ids lowercased, `*` kept apart.
#[derive(Debug, Clone, Default)]
pub(crate) struct SenderList {
    pub any: bool,
    pub ids: Set<Box<str>>,
    pub at: Option<Location>,
}

impl SenderList {
    pub(crate) fn admits(&self, sender: &str) -> bool {
        self.any || with_lowercase(sender, |s| self.ids.contains(s))
    }
}

#[derive(Debug, Clone)]
pub(crate) struct GroupRule {
    pub require_mention: bool,
    /// The group's own sender list, in place of the channel's.
    pub senders: Option<SenderList>,
    /// Roles whose members the group admits too; with `senders`, the
    /// group's own list.
    pub roles: Option<SenderList>,
    pub disabled: bool,
    pub at: Option<Location>,
}

impl GroupRule {
    /// `None` when the group has no list of its own (the channel's
    /// applies), else whether the sender or one of its roles is on it.
    fn own_list_admits(&self, inbound: &Inbound<'_>) -> Option<bool> {
        if self.senders.is_none() && self.roles.is_none() {
            return None;
        }
        let by_id = self.senders.as_ref().is_some_and(|s| s.admits(inbound.sender));
        let by_role = self.roles.as_ref().is_some_and(|r| r.any || inbound.roles.iter().any(|role| r.admits(role)));
        Some(by_id || by_role)
    }

    /// Where the group's own list is written.
    fn own_list_at(&self) -> Option<&Location> {
        self.senders.as_ref().or(self.roles.as_ref()).and_then(|l| l.at.as_ref())
    }
}

/// A guild's groups (Discord): its own rule stands for every group when it
/// lists none.
#[derive(Debug, Clone)]
pub(crate) struct GuildRule {
    pub own: GroupRule,
    pub groups: Map<Box<str>, GroupRule>,
    pub star_group: Option<GroupRule>,
}

impl GuildRule {
    fn lists_groups(&self) -> bool {
        !self.groups.is_empty() || self.star_group.is_some()
    }
}

/// Everything the gate knows about one channel.
#[derive(Debug, Clone)]
pub(crate) struct ChannelGate {
    pub at: Option<Location>,
    pub dm: DmPolicy,
    pub dm_at: Option<Location>,
    pub allow_from: SenderList,
    pub group_policy: GroupPolicy,
    pub group_policy_at: Option<Location>,
    /// `group_allow_from`, else `allow_from`; `None` when neither is written.
    pub group_senders: Option<SenderList>,
    /// `group_senders` came from `group_allow_from`, not the DM list.
    pub explicit_group_senders: bool,
    pub groups: Map<Box<str>, GroupRule>,
    pub star_group: Option<GroupRule>,
    /// Groups scoped by guild; a channel that has them has no plain groups.
    pub guilds: Map<Box<str>, GuildRule>,
    pub star_guild: Option<GuildRule>,
    /// All mention patterns of the channel as one case-insensitive automaton.
    pub mentions: Option<super::mention::MentionMatcher>,
    pub mentions_at: Option<Location>,
    pub text_commands: bool,
    /// `commands { allow_from }`, else the group sender list.
    pub command_senders: Option<SenderList>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Ingress {
    pub channels: Map<Box<str>, ChannelGate>,
}

/// `/` then a letter, at the start: how every text command begins. Wider
/// than OpenClaw's list of command names (an unknown `/word` counts too).
fn looks_like_command(text: &str) -> bool {
    let mut chars = text.trim_start().chars();
    chars.next() == Some('/') && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
}

fn decision<'e>(outcome: IngressOutcome, reason: &'static str, at: Option<&'e Location>) -> IngressDecision<'e> {
    IngressDecision { outcome, reason, at }
}

impl Ingress {
    pub(crate) fn gate<'e>(&'e self, inbound: &Inbound<'_>) -> IngressDecision<'e> {
        use IngressOutcome::{Accept, Drop, Pair};
        let Some(channel) = with_lowercase(inbound.channel, |c| self.channels.get(c)) else {
            return decision(Drop, "no channel block for this channel: messages are dropped", None);
        };
        if inbound.sender.trim().is_empty() {
            return decision(Drop, "the message has no sender id", channel.at.as_ref());
        }
        if inbound.chat == ChatKind::Direct {
            return match channel.dm {
                DmPolicy::Disabled => decision(Drop, "direct messages are disabled on this channel", channel.dm_at.as_ref()),
                _ if channel.allow_from.admits(inbound.sender) => {
                    decision(Accept, "the sender is on the channel's allow_from list", channel.allow_from.at.as_ref())
                }
                DmPolicy::Pairing if inbound.paired => decision(Accept, "the sender was approved through pairing", channel.dm_at.as_ref()),
                DmPolicy::Pairing => {
                    decision(Pair, "unknown sender under `dm pairing`: a pairing code is sent, nothing reaches the agent", channel.dm_at.as_ref())
                }
                // `open` without `*` is a compile error, so an open channel
                // that gets here has no `*`: fail closed.
                DmPolicy::Allowlist | DmPolicy::Open => {
                    decision(Drop, "the sender is not on the channel's allow_from list", channel.allow_from.at.as_ref())
                }
            };
        }

        // Groups, rooms and channels. Without its id a group message could be
        // any group's: refused as incomplete rather than given the `*` entry.
        let convenient = crate::seam!(ConvenientDefaults);
        if inbound.chat_id.trim().is_empty() && !convenient {
            return decision(Drop, "the group message has no chat id", channel.at.as_ref());
        }
        if channel.group_policy == GroupPolicy::Disabled {
            return decision(Drop, "group messages are disabled on this channel", channel.group_policy_at.as_ref());
        }
        // Listing guilds admits only the groups they list, under `open` as
        // under `allowlist`, as OpenClaw's Discord handler does.
        let (groups, star_group, scope) = if channel.guilds.is_empty() && channel.star_guild.is_none() {
            (&channel.groups, channel.star_group.as_ref(), None)
        } else {
            let Some(guild_id) = inbound.guild.filter(|g| !g.trim().is_empty()) else {
                return decision(Drop, "the group message has no guild id and this channel lists guilds", channel.at.as_ref());
            };
            let Some(guild) = with_lowercase(guild_id, |g| channel.guilds.get(g)).or(channel.star_guild.as_ref()) else {
                return decision(Drop, "the guild is not listed and there is no `*` guild entry", channel.at.as_ref());
            };
            (&guild.groups, guild.star_group.as_ref(), Some(guild))
        };
        let rule = with_lowercase(inbound.chat_id, |id| groups.get(id)).or(star_group);
        let not_listed = match (scope, channel.group_policy) {
            (Some(guild), _) => guild.lists_groups() && rule.is_none(),
            // `open` admits every group unless the channel lists groups, then
            // only those (all of them with `*`), as OpenClaw does.
            (None, GroupPolicy::Open) => (!groups.is_empty() || star_group.is_some()) && rule.is_none(),
            (None, _) => rule.is_none(),
        };
        if not_listed {
            let (why, at) = match (scope, channel.group_policy) {
                (Some(guild), _) => ("the group is not listed in its guild and there is no `*` group entry there", guild.own.at.as_ref()),
                (None, GroupPolicy::Open) => ("the group is not listed: under `groups open`, listing groups admits only those", None),
                (None, _) => ("the group is not listed and there is no `*` group entry", None),
            };
            return decision(Drop, why, at.or(channel.group_policy_at.as_ref()).or(channel.at.as_ref()));
        }
        // A guild that lists no group stands for all of them.
        let rule = rule.or(scope.map(|guild| &guild.own));
        if let Some(r) = rule.filter(|r| r.disabled) {
            return decision(Drop, "the group is disabled", r.at.as_ref());
        }
        // The group entry's own sender list (the `*` entry's for an unlisted
        // group) replaces the channel's, under `open` as under `allowlist`.
        if let Some((admitted, r)) = rule.and_then(|r| Some((r.own_list_admits(inbound)?, r))) {
            if !admitted {
                return decision(Drop, "the sender is not on the group's own allow_from or roles list", r.own_list_at());
            }
        } else {
            match (channel.group_policy, &channel.group_senders) {
                // Under `open` an explicit `group_allow_from` still binds (the
                // reading that fails closed); the DM list does not.
                (GroupPolicy::Open, Some(senders)) if channel.explicit_group_senders && !senders.admits(inbound.sender) => {
                    return decision(Drop, "the sender is not on the group sender list", senders.at.as_ref());
                }
                (GroupPolicy::Open, _) => {}
                (_, Some(senders)) if !senders.admits(inbound.sender) => {
                    return decision(Drop, "the sender is not on the group sender list", senders.at.as_ref());
                }
                (_, Some(_)) => {}
                // No sender list admits nobody, listed group or `*`: OpenClaw's
                // Telegram, Signal and iMessage handlers refuse an empty group
                // allow list, and the stricter handler is the one followed.
                (_, None) => {
                    return decision(
                        Drop,
                        "no group sender list is set (group_allow_from or allow_from) under `groups allowlist`: nobody is admitted",
                        rule.and_then(|r| r.at.as_ref()),
                    );
                }
            }
        }

        // A text command (`/status`) from a sender not authorised for commands
        // is dropped, mention or not, as OpenClaw's handlers do: let through,
        // it would hand the agent a command nobody authorised. Read from the
        // text, not the `command` flag, so leaving the flag out cannot let
        // one through.
        let command_authorised = crate::seam!(AnyCommandBypass) || channel.command_senders.as_ref().is_some_and(|c| c.admits(inbound.sender));
        if channel.text_commands && looks_like_command(inbound.text) && !command_authorised {
            return decision(
                Drop,
                "a control command from a sender not authorised for commands is dropped",
                channel.command_senders.as_ref().and_then(|c| c.at.as_ref()).or(channel.at.as_ref()),
            );
        }

        // Mention gating: on by default.
        let require_mention = rule.is_none_or(|r| r.require_mention);
        if !require_mention {
            return decision(Accept, "the group does not require a mention", rule.and_then(|r| r.at.as_ref()));
        }
        let native = inbound.mentioned;
        if native == Some(true) || channel.mentions.as_ref().is_some_and(|m| m.is_match(inbound.text)) {
            return decision(Accept, "the message mentions the agent", channel.mentions_at.as_ref());
        }
        if native.is_none() && channel.mentions.is_none() {
            return decision(
                Accept,
                "mentions cannot be detected here (no native flag, no mention patterns), so mention gating does not drop",
                rule.and_then(|r| r.at.as_ref()),
            );
        }
        if inbound.command && channel.text_commands && command_authorised {
            return decision(Accept, "an authorised control command bypasses mention gating", channel.at.as_ref());
        }
        decision(Drop, "the group requires a mention and the message has none", rule.and_then(|r| r.at.as_ref()))
    }
}
