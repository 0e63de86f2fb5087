//! Claim 12, fail-closed defaults, ingress half, as a stateright model over
//! the universe of `tla/FailClosedIngress.tla`: 16 channel settings (DM
//! pairing or allowlist, groups open or allowlist, a lenient `*` group entry
//! or none, the groups listed directly or inside a guild) and every message
//! that gives or leaves out each of chat id, sender, `mentioned`,
//! `can_detect_mention`, `command`, `paired`, `guild` and `roles`, in a DM
//! or a group. Each message is written as the JSON line `palisade decide`
//! and `/v1/ingress` read, parsed by the real wire format and gated by the
//! real engine; the properties compare the gate with itself over every value
//! of each left-out field, and with the spec's `Gate` written out below.

use palisade::seams::{with_bug, Bug};
use palisade::wire::{parse, AnyRequest};
use palisade::IngressOutcome;
use palisade::Policy;
use stateright::{Model, Property};

/// A message's fields and their values; index 0 of every field but `chat`
/// is "left out".
pub const FIELDS: [(&str, &[&str]); 9] = [
    ("chat", &["direct", "group"]),
    ("chat_id", &["none", "g1", "g2"]),
    ("sender", &["none", "1", "2"]),
    ("mentioned", &["none", "false", "true"]),
    ("can_detect_mention", &["none", "false"]),
    ("command", &["none", "true"]),
    ("paired", &["none", "true"]),
    ("guild", &["none", "s1", "s2"]),
    ("roles", &["none", "r1"]),
];
const CHAT: usize = 0;
const CHAT_ID: usize = 1;
const SENDER: usize = 2;
const MENTIONED: usize = 3;
const CAN_DETECT: usize = 4;
const COMMAND: usize = 5;
const PAIRED: usize = 6;
const GUILD: usize = 7;
const ROLES: usize = 8;

pub type Message = [usize; 9];

/// Channel settings: bit 0 DM allowlist (else pairing), bit 1 groups
/// allowlist (else open), bit 2 a `*` group entry without mention gating,
/// bit 3 the groups listed inside guild `s1` (own list: sender 1, role r1).
pub const CHANNELS: u8 = 16;

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct State {
    pub channel: u8,
    pub message: Message,
    /// 0 drop, 1 pair, 2 accept: how far the message gets.
    pub outcome: u8,
}

/// Every message of the universe, in index order.
pub fn messages() -> Vec<Message> {
    let mut out = vec![[0usize; 9]];
    for (field, (_, values)) in FIELDS.iter().enumerate() {
        out = out
            .into_iter()
            .flat_map(|m| {
                (0..values.len()).map(move |v| {
                    let mut m = m;
                    if let Some(slot) = m.get_mut(field) {
                        *slot = v;
                    }
                    m
                })
            })
            .collect();
    }
    out
}

fn value(m: &Message, field: usize) -> &'static str {
    FIELDS.get(field).and_then(|(_, values)| values.get(m.get(field).copied().unwrap_or(0))).copied().unwrap_or("none")
}

pub fn policy_text(channel: u8) -> String {
    let dm = if channel & 1 == 1 { "allowlist" } else { "pairing" };
    let groups = if channel & 2 == 2 { "allowlist" } else { "open" };
    let star = if channel & 4 == 4 { "  group \"*\" no_mention" } else { "" };
    let mut listed = format!("group \"g1\" require_mention{star}");
    if channel & 8 == 8 {
        listed = format!("guild \"s1\" allow_from \"1\" roles \"r1\" {{ {listed} }}");
    }
    format!(
        "agent main {{}}\nsessions {{ dm_scope per_channel_peer }}\nchannel telegram {{\n  dm {dm}\n  allow_from \"1\"\n  \
         groups {groups} {{ {listed} }}\n  group_allow_from \"1\", \"2\"\n  commands {{ text on  allow_from \"1\" }}\n}}\n"
    )
}

/// The message as one JSON line, with the left-out fields absent.
pub fn message_json(m: &Message) -> String {
    let mut fields = vec!["\"kind\":\"ingress\"".to_string(), "\"channel\":\"telegram\"".to_string(), "\"text\":\"hi\"".to_string()];
    for (field, (name, _)) in FIELDS.iter().enumerate() {
        let v = value(m, field);
        if v == "none" {
            continue;
        }
        fields.push(match field {
            CHAT | CHAT_ID | SENDER | GUILD => format!("\"{name}\":\"{v}\""),
            ROLES => format!("\"{name}\":[\"{v}\"]"),
            _ => format!("\"{name}\":{v}"),
        });
    }
    format!("{{{}}}", fields.join(","))
}

/// The real gate's answer, through the wire format.
pub fn gate_real(policy: Option<&Policy>, m: &Message) -> u8 {
    let Some(policy) = policy else { return 0 };
    match parse(&message_json(m)) {
        Ok(AnyRequest::Ingress(inbound)) => match inbound.with_inbound(|i| policy.engine().gate(i).outcome) {
            IngressOutcome::Drop => 0,
            IngressOutcome::Pair => 1,
            IngressOutcome::Accept => 2,
        },
        _ => 0,
    }
}

/// The spec's `Gate`, written out.
pub fn spec_gate(channel: u8, m: &Message) -> u8 {
    let v = |field: usize| value(m, field);
    if v(SENDER) == "none" {
        return 0;
    }
    if v(CHAT) == "direct" {
        return match (v(SENDER), channel & 1, v(PAIRED)) {
            ("1", _, _) => 2,
            (_, 0, "true") => 2,
            (_, 0, _) => 1,
            _ => 0,
        };
    }
    if v(CHAT_ID) == "none" {
        return 0;
    }
    let guilds = channel & 8 == 8;
    // Listed inside guild s1 only: no guild, or another, is dropped.
    if guilds && v(GUILD) != "s1" {
        return 0;
    }
    let rule = match (v(CHAT_ID), channel & 4) {
        ("g1", _) => "g1",
        (_, 4) => "star",
        _ => "none",
    };
    // g1 is listed, so `groups open` admits only listed groups too.
    if rule == "none" {
        return 0;
    }
    // Guild s1's own list: sender 1, or a member holding role r1.
    if guilds && v(SENDER) != "1" && v(ROLES) != "r1" {
        return 0;
    }
    if rule == "star" {
        return 2;
    }
    let mentioned = if v(CAN_DETECT) == "false" {
        "unknown"
    } else if v(MENTIONED) == "true" {
        "true"
    } else {
        "false"
    };
    match (mentioned, v(COMMAND), v(SENDER)) {
        ("true" | "unknown", _, _) => 2,
        (_, "true", "1") => 2,
        _ => 0,
    }
}

/// The model, with every outcome of the universe computed up front by the
/// real code under the model's bug.
#[derive(Clone, Debug)]
pub struct FailClosedIngressModel {
    pub bug: Bug,
    outcomes: std::collections::HashMap<(u8, Message), u8>,
}

impl FailClosedIngressModel {
    pub fn new(bug: Bug) -> Self {
        let outcomes = with_bug(bug, || {
            let mut out = std::collections::HashMap::new();
            for channel in 0..CHANNELS {
                let policy = Policy::from_dsl("ingress.pal", &policy_text(channel)).ok();
                for m in messages() {
                    out.insert((channel, m), gate_real(policy.as_ref(), &m));
                }
            }
            out
        });
        FailClosedIngressModel { bug, outcomes }
    }

    pub fn gate(&self, channel: u8, m: &Message) -> u8 {
        self.outcomes.get(&(channel, *m)).copied().unwrap_or(0)
    }
}

impl Model for FailClosedIngressModel {
    type State = State;
    type Action = ();

    fn init_states(&self) -> Vec<State> {
        (0..CHANNELS)
            .flat_map(|channel| messages().into_iter().map(move |message| (channel, message)))
            .map(|(channel, message)| State { channel, message, outcome: self.gate(channel, &message) })
            .collect()
    }

    crate::no_steps!();

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            // A field left out never gets a message further than some value of it would.
            Property::always("FailClosed", |model: &FailClosedIngressModel, s: &State| {
                FIELDS.iter().enumerate().skip(1).all(|(field, (_, values))| {
                    s.message.get(field) != Some(&0)
                        || (1..values.len()).all(|v| {
                            let mut m = s.message;
                            if let Some(slot) = m.get_mut(field) {
                                *slot = v;
                            }
                            s.outcome <= model.gate(s.channel, &m)
                        })
                })
            }),
            Property::always("AsSpecified", |_, s: &State| s.outcome == spec_gate(s.channel, &s.message)),
        ]
    }
}
