//! Session routing: which agent and which session an inbound message belongs
//! to. Bindings are indexed per channel and per precedence tier at compile
//! time; `route` allocates only the session key.

use super::ingress::Inbound;
use super::request::with_lowercase;
use super::{Engine, Map};
use crate::source::Location;
use crate::vocab::{ChatKind, DmScope, SandboxMode, SessionScope};

/// Binding precedence, most specific first (ARCHITECTURE.md, Decision semantics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// A binding names the exact peer.
    ExactPeer,
    /// A binding names the thread's parent peer.
    ParentPeer,
    /// A binding names the peer as `*`.
    PeerWildcard,
    /// A binding names the guild and one of the sender's roles.
    GuildRoles,
    /// A binding names the guild.
    Guild,
    /// A binding names the team.
    Team,
    /// A binding names the account.
    Account,
    /// A binding names any account of the channel.
    AnyAccount,
    /// No binding matched.
    DefaultAgent,
}

impl Tier {
    /// The tier in words.
    pub fn describe(self) -> &'static str {
        match self {
            Tier::ExactPeer => "exact peer",
            Tier::ParentPeer => "parent peer",
            Tier::PeerWildcard => "peer wildcard",
            Tier::GuildRoles => "guild + roles",
            Tier::Guild => "guild",
            Tier::Team => "team",
            Tier::Account => "account",
            Tier::AnyAccount => "any account",
            Tier::DefaultAgent => "default agent",
        }
    }
}

/// Which binding chose the agent: its 1-based position in the policy, or
/// none for the default agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchedBy {
    /// The binding's 1-based position; `None` for the default agent.
    pub binding: Option<usize>,
    /// How specific the match was.
    pub tier: Tier,
}

impl std::fmt::Display for MatchedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.binding {
            Some(n) => write!(f, "binding {n} ({})", self.tier.describe()),
            None => f.write_str("default agent"),
        }
    }
}

/// Where an inbound message goes: the agent, its session and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route<'e> {
    /// The agent that handles it.
    pub agent: &'e str,
    /// The session it belongs to.
    pub session_key: String,
    /// Its tool calls run sandboxed.
    pub sandboxed: bool,
    /// Which binding chose the agent.
    pub matched_by: MatchedBy,
    /// Where that binding is written.
    pub at: Option<&'e Location>,
}

/// A message that cannot be routed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum RouteError {
    /// A field that must be non-empty is empty.
    #[error("the inbound message has an empty `{0}`")]
    #[diagnostic(code("palisade::bad-inbound"), help("channel, chat_id and sender must be non-empty"))]
    Empty(&'static str),
}

#[derive(Debug, Clone)]
pub(crate) enum AccountMatch {
    /// The binding names no account: the default account only.
    Default,
    Any,
    Named(Box<str>),
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledBinding {
    /// 1-based position in the policy, as `matched_by` names it.
    pub number: usize,
    pub agent: u32,
    pub account: AccountMatch,
    pub peer: Option<(ChatKind, Box<str>)>,
    pub guild: Option<Box<str>>,
    pub team: Option<Box<str>>,
    pub roles: Vec<Box<str>>,
    pub tier: Tier,
    pub at: Option<Location>,
}

/// Candidate bindings of one channel by tier, each list in policy order.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChannelBindings {
    pub exact: [Map<Box<str>, Vec<u32>>; 3],
    pub wildcard: [Vec<u32>; 3],
    pub guild_roles: Map<Box<str>, Vec<u32>>,
    pub guild: Map<Box<str>, Vec<u32>>,
    pub team: Map<Box<str>, Vec<u32>>,
    pub account: Vec<u32>,
    pub any_account: Vec<u32>,
}

#[derive(Debug, Clone)]
pub(crate) struct Router {
    pub dm_scope: DmScope,
    pub scope: SessionScope,
    /// `channel:peer` (lowercased) -> canonical identity.
    pub links: Map<Box<str>, Box<str>>,
    pub bindings: Vec<CompiledBinding>,
    pub channels: Map<Box<str>, ChannelBindings>,
}

impl Default for Router {
    fn default() -> Self {
        Router { dm_scope: DmScope::Main, scope: SessionScope::PerSender, links: Map::default(), bindings: Vec::new(), channels: Map::default() }
    }
}

pub(crate) fn kind_index(kind: ChatKind) -> usize {
    match kind {
        ChatKind::Direct => 0,
        ChatKind::Group => 1,
        ChatKind::Channel => 2,
    }
}

fn eq_ci(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || (!a.is_ascii() && a.to_lowercase() == b)
}

/// The peer a message comes from, as bindings see it: the sender for direct
/// chats, the group or room otherwise.
fn peer_of<'a>(inbound: &Inbound<'a>) -> &'a str {
    if inbound.chat == ChatKind::Direct {
        inbound.sender
    } else {
        inbound.chat_id
    }
}

impl CompiledBinding {
    /// Every field the binding names must match. `via_parent`: compare the
    /// peer with the thread's parent instead of the message's own peer.
    fn matches(&self, inbound: &Inbound<'_>, via_parent: bool) -> bool {
        let account = inbound.account.unwrap_or("default");
        let account_ok = match &self.account {
            AccountMatch::Default => eq_ci(account, "default"),
            AccountMatch::Any => true,
            AccountMatch::Named(name) => eq_ci(account, name),
        };
        let peer_ok = match &self.peer {
            None => true,
            Some((kind, id)) => {
                let peer = if via_parent { inbound.parent } else { Some(peer_of(inbound)) };
                *kind == inbound.chat && (&**id == "*" || peer.is_some_and(|p| eq_ci(p, id)))
            }
        };
        let guild_ok = self.guild.as_deref().is_none_or(|g| inbound.guild.is_some_and(|x| eq_ci(x, g)));
        let team_ok = self.team.as_deref().is_none_or(|t| inbound.team.is_some_and(|x| eq_ci(x, t)));
        let roles_ok = self.roles.is_empty() || self.roles.iter().any(|r| inbound.roles.iter().any(|x| eq_ci(x, r)));
        account_ok && peer_ok && guild_ok && team_ok && roles_ok
    }
}

/// Appends `part` lowercased, with `%` and `:` percent-encoded so that no id
/// can forge another key's shape (`-100:thread:5` stays one component).
fn push_component(key: &mut String, part: &str) {
    if !part.bytes().any(|b| b == b'%' || b == b':' || b.is_ascii_uppercase() || !b.is_ascii()) {
        key.push_str(part);
        return;
    }
    for c in part.chars() {
        match c {
            '%' => key.push_str("%25"),
            ':' => key.push_str("%3a"),
            c if c.is_ascii() => key.push(c.to_ascii_lowercase()),
            c => key.extend(c.to_lowercase()),
        }
    }
}

/// One key component as `push_component` writes it.
pub(crate) fn escaped(part: &str) -> String {
    let mut out = String::with_capacity(part.len());
    push_component(&mut out, part);
    out
}

/// `agent:<id>:subagent:<n>`, escaped like every key: a sub-agent's session.
pub fn subagent_session_key(agent: &str, n: &str) -> String {
    let mut key = String::from("agent:");
    push_component(&mut key, agent);
    key.push_str(":subagent:");
    push_component(&mut key, n);
    key
}

/// `agent:<id>:main`, escaped like every key.
pub fn main_session_key(agent: &str) -> String {
    let mut key = String::from("agent:");
    push_component(&mut key, agent);
    key.push_str(":main");
    key
}

impl Router {
    fn lookup<'m>(map: &'m Map<Box<str>, Vec<u32>>, id: Option<&str>) -> Option<&'m Vec<u32>> {
        id.and_then(|id| with_lowercase(id, |id| map.get(id)))
    }

    fn pick(&self, candidates: Option<&Vec<u32>>, inbound: &Inbound<'_>, via_parent: bool) -> Option<u32> {
        candidates?.iter().copied().find(|i| self.bindings.get(*i as usize).is_some_and(|b| b.matches(inbound, via_parent)))
    }

    /// The first binding that matches, tier by tier, and the tier it
    /// matched in (a peer binding may match a thread through its parent).
    fn binding_for(&self, inbound: &Inbound<'_>) -> Option<(u32, Tier)> {
        let channel = with_lowercase(inbound.channel, |c| self.channels.get(c))?;
        let kind = kind_index(inbound.chat);
        let exact = channel.exact.get(kind)?;
        let own_tier = |i: u32| (i, self.bindings.get(i as usize).map_or(Tier::DefaultAgent, |b| b.tier));
        #[cfg(feature = "seams")]
        if crate::seams::active(crate::seams::Bug::RouteFirstMatch) {
            return self.first_match_seam(channel, inbound).map(own_tier);
        }
        if let Some(i) = self.pick(Self::lookup(exact, Some(peer_of(inbound))), inbound, false) {
            return Some((i, Tier::ExactPeer));
        }
        if let Some(i) = self.pick(Self::lookup(exact, inbound.parent), inbound, true) {
            return Some((i, Tier::ParentPeer));
        }
        self.pick(channel.wildcard.get(kind), inbound, false)
            .or_else(|| self.pick(Self::lookup(&channel.guild_roles, inbound.guild), inbound, false))
            .or_else(|| self.pick(Self::lookup(&channel.guild, inbound.guild), inbound, false))
            .or_else(|| self.pick(Self::lookup(&channel.team, inbound.team), inbound, false))
            .or_else(|| self.pick(Some(&channel.account), inbound, false))
            .or_else(|| self.pick(Some(&channel.any_account), inbound, false))
            .map(own_tier)
    }

    /// The claim-11 model's injected bug: the first binding of the channel
    /// in policy order that matches, whatever its tier.
    #[cfg(feature = "seams")]
    fn first_match_seam(&self, channel: &ChannelBindings, inbound: &Inbound<'_>) -> Option<u32> {
        let mut all: Vec<u32> = channel.exact.iter().flat_map(|m| m.values().flatten()).copied().collect();
        all.extend(channel.wildcard.iter().flatten());
        for map in [&channel.guild_roles, &channel.guild, &channel.team] {
            all.extend(map.values().flatten());
        }
        all.extend(channel.account.iter().chain(&channel.any_account));
        all.sort_unstable();
        all.into_iter().find(|i| self.bindings.get(*i as usize).is_some_and(|b| b.matches(inbound, false)))
    }

    fn session_key(&self, agent: &str, inbound: &Inbound<'_>) -> String {
        let mut key = String::with_capacity(24 + agent.len() + inbound.channel.len() + inbound.chat_id.len() + inbound.sender.len());
        key.push_str("agent:");
        push_component(&mut key, agent);
        if self.scope == SessionScope::Global {
            key.push_str(":global");
            return key;
        }
        match inbound.chat {
            ChatKind::Direct => {
                let (link_under_main, link_across_accounts) = (
                    crate::seam!(LinkUnderMain) && self.linked(inbound.channel, inbound.sender).is_some(),
                    crate::seam!(LinkAcrossAccounts) && self.linked(inbound.channel, inbound.sender).is_some(),
                );
                if self.dm_scope == DmScope::Main && !link_under_main {
                    key.push_str(":main");
                    return key;
                }
                let linked = self.linked(inbound.channel, inbound.sender);
                match self.dm_scope {
                    DmScope::Main | DmScope::PerPeer => {}
                    DmScope::PerChannelPeer => {
                        key.push(':');
                        push_component(&mut key, inbound.channel);
                    }
                    DmScope::PerAccountChannelPeer => {
                        key.push(':');
                        push_component(&mut key, inbound.channel);
                        let skip_account = crate::seam!(KeyWithoutAccount) || link_across_accounts;
                        if !skip_account {
                            key.push(':');
                            push_component(&mut key, inbound.account.unwrap_or("default"));
                        }
                    }
                }
                key.push_str(":direct:");
                // A raw `:` never occurs in an escaped id, so `link:<name>`
                // cannot be forged by a stranger whose id is `<name>`.
                match linked {
                    Some(canonical) => {
                        key.push_str("link:");
                        push_component(&mut key, canonical);
                    }
                    None => push_component(&mut key, inbound.sender),
                }
            }
            ChatKind::Group | ChatKind::Channel => {
                key.push(':');
                push_component(&mut key, inbound.channel);
                key.push_str(if inbound.chat == ChatKind::Group { ":group:" } else { ":channel:" });
                push_component(&mut key, inbound.chat_id);
                if let Some(thread) = inbound.thread {
                    key.push_str(":thread:");
                    push_component(&mut key, thread);
                }
                if let Some(topic) = inbound.topic {
                    key.push_str(":topic:");
                    push_component(&mut key, topic);
                }
            }
        }
        key
    }

    /// The canonical identity of `channel:peer`, if an identity link names it.
    fn linked(&self, channel: &str, peer: &str) -> Option<&str> {
        const STACK: usize = 160;
        let (c, p) = (channel.as_bytes(), peer.as_bytes());
        let len = c.len() + 1 + p.len();
        let mut buf = [0u8; STACK];
        let joined = if len <= STACK && c.is_ascii() && p.is_ascii() {
            let dst = buf.get_mut(..len)?;
            let (head, tail) = dst.split_at_mut(c.len());
            head.copy_from_slice(c);
            let (colon, rest) = tail.split_first_mut()?;
            *colon = b':';
            rest.copy_from_slice(p);
            dst.make_ascii_lowercase();
            std::str::from_utf8(dst).ok()?
        } else {
            return self.links.get(format!("{channel}:{peer}").to_lowercase().as_str()).map(|c| &**c);
        };
        self.links.get(joined).map(|c| &**c)
    }
}

impl Engine {
    /// The agent and session an inbound message belongs to.
    pub fn route(&self, inbound: &Inbound<'_>) -> Result<Route<'_>, RouteError> {
        let sender_needed = inbound.chat == ChatKind::Direct;
        for (value, name, needed) in
            [(inbound.channel, "channel", true), (inbound.sender, "sender", sender_needed), (inbound.chat_id, "chat_id", true)]
        {
            if needed && value.trim().is_empty() {
                return Err(RouteError::Empty(name));
            }
        }
        let router = &self.router;
        let chosen = router.binding_for(inbound);
        let binding = chosen.and_then(|(i, _)| router.bindings.get(i as usize));
        let agent_index = binding.map_or(self.default_agent, |b| b.agent);
        let Some(agent) = self.agents.get(agent_index as usize) else {
            return Err(RouteError::Empty("agent"));
        };
        let session_key = router.session_key(&agent.id, inbound);
        let sandboxed = match agent.sandbox.mode {
            SandboxMode::Off => false,
            SandboxMode::All => true,
            SandboxMode::NonMain => session_key != agent.main_key,
        };
        let matched_by = MatchedBy { binding: binding.map(|b| b.number), tier: chosen.map_or(Tier::DefaultAgent, |(_, tier)| tier) };
        Ok(Route { agent: &agent.id, session_key, sandboxed, matched_by, at: binding.and_then(|b| b.at.as_ref()) })
    }

    /// Writes the session key of `inbound` for `agent` without routing; the
    /// models use it to check isolation directly.
    pub fn session_key_for(&self, agent: &str, inbound: &Inbound<'_>) -> String {
        self.router.session_key(agent, inbound)
    }
}
