//! Claim 5, ingress gating, as a stateright model mirroring
//! `tla/IngressGating.tla`: every channel setting that bears on mention
//! gating is compiled into a real policy, and every message is decided by
//! the real `gate`.

use palisade::seams::{with_bug, Bug};
use palisade::Policy;
use palisade::{Inbound, IngressOutcome};
use stateright::{Model, Property};

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct Channel {
    pub require: bool,
    pub text_commands: bool,
    pub authorised: bool,
    pub patterns: bool,
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct Message {
    pub native: Option<bool>,
    pub matches: bool,
    pub command: bool,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct State {
    pub channel: Channel,
    pub message: Message,
    pub accepted: bool,
}

#[derive(Clone, Debug)]
pub struct IngressModel {
    pub bug: Bug,
}

/// The group "g" is listed and sender "u" is on the group sender list; the
/// command sender list holds "u" only when `authorised`.
pub fn policy(c: Channel) -> Option<Policy> {
    let mention = if c.require { "require_mention" } else { "no_mention" };
    let patterns = if c.patterns { "  mention_patterns \"@bot\\\\b\"\n" } else { "" };
    let commanders = if c.authorised { "\"u\"" } else { "\"someone-else\"" };
    let text = if c.text_commands { "on" } else { "off" };
    let source = format!(
        "agent main {{}}\nsessions {{ dm_scope per_channel_peer }}\nchannel chat {{\n  groups allowlist {{ group \"g\" {mention} }}\n  group_allow_from \"u\"\n{patterns}  commands {{ text {text}  allow_from {commanders} }}\n}}\n"
    );
    Policy::from_dsl("ingress.pal", &source).ok()
}

pub fn gate(policy: &Policy, m: Message) -> bool {
    let text = if m.matches { "hello @bot" } else { "hello" };
    let mut inbound = Inbound::group("chat", "g", "u", text);
    inbound.mentioned = m.native;
    inbound.command = m.command;
    policy.engine().gate(&inbound).outcome == IngressOutcome::Accept
}

pub fn channels() -> Vec<Channel> {
    (0..16u8).map(|n| Channel { require: n & 1 != 0, text_commands: n & 2 != 0, authorised: n & 4 != 0, patterns: n & 8 != 0 }).collect()
}

pub fn messages() -> Vec<Message> {
    let mut out = Vec::new();
    for native in [None, Some(true), Some(false)] {
        for matches in [false, true] {
            for command in [false, true] {
                out.push(Message { native, matches, command });
            }
        }
    }
    out
}

impl Model for IngressModel {
    type State = State;
    type Action = ();

    fn init_states(&self) -> Vec<State> {
        with_bug(self.bug, || {
            let mut states = Vec::new();
            for channel in channels() {
                let Some(policy) = policy(channel) else { continue };
                for message in messages() {
                    states.push(State { channel, message, accepted: gate(&policy, message) });
                }
            }
            states
        })
    }

    crate::no_steps!();

    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::always("NoMentionBypass", |_, s: &State| {
            let (c, m) = (s.channel, s.message);
            let mentioned = m.native == Some(true) || (c.patterns && m.matches);
            let detectable = m.native.is_some() || c.patterns;
            !(s.accepted && c.require && detectable && !mentioned) || (m.command && c.text_commands && c.authorised)
        })]
    }
}
