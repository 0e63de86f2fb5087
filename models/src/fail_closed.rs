//! Claim 12, fail-closed defaults for tool calls, as a stateright model over
//! the universe of `tla/FailClosed.tla`: every subset of six policy features
//! that a left-out field could slip past (a provider entry, a sender entry,
//! a sub-agent policy, a sandbox tool policy, a group entry, an owners
//! list), every request that gives or leaves out each of provider, session,
//! sender, owner and the sub-agent flag, and two tools (`exec`, which the
//! features deny, and the owner-only `cron`). Each request is written as the
//! JSON line `palisade decide` and `/v1/decide` read, parsed by the real wire
//! format and decided by the real engine; the properties compare the engine
//! with itself over every value of each left-out field, and with the
//! semantics written out below (the spec's `Decide`).

use palisade::seams::{with_bug, Bug};
use palisade::wire::{parse, AnyRequest};
use palisade::Policy;
use stateright::{Model, Property};

/// Bit `i` of a policy mask selects `FEATURES[i]`.
pub const FEATURES: [&str; 6] = ["provider", "sender", "subagents", "sandbox", "group", "owners"];
pub const PROVIDERS: [&str; 3] = ["none", "p1", "p2"];
pub const SESSIONS: [&str; 6] = ["none", "main", "dm", "sub", "g1", "g2"];
pub const SENDERS: [&str; 3] = ["none", "t1", "t2"];
pub const OWNER: [&str; 2] = ["none", "true"];
pub const FLAG: [&str; 2] = ["none", "true"];
pub const TOOLS: [&str; 2] = ["exec", "cron"];

/// A request: an index into each value list; index 0 is "left out".
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct Request {
    pub provider: usize,
    pub session: usize,
    pub sender: usize,
    pub owner: usize,
    pub flag: usize,
}

/// The fields a request can leave out, with their value counts, as (name,
/// how many values, reader, writer).
type Field = (&'static str, usize, fn(&Request) -> usize, fn(&mut Request, usize));
pub const FIELDS: [Field; 4] = [
    ("provider", PROVIDERS.len(), |r| r.provider, |r, v| r.provider = v),
    ("session", SESSIONS.len(), |r| r.session, |r, v| r.session = v),
    ("sender", SENDERS.len(), |r| r.sender, |r, v| r.sender = v),
    ("owner", OWNER.len(), |r| r.owner, |r, v| r.owner = v),
];

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct State {
    pub mask: u8,
    pub tool: usize,
    pub request: Request,
    pub allowed: bool,
}

/// The model, with every decision of the universe made up front by the
/// real engine under the model's bug (the seam is process-wide, so the
/// checker's threads only read).
#[derive(Clone, Debug)]
pub struct FailClosedModel {
    pub bug: Bug,
    decisions: Vec<bool>,
}

const REQUESTS: usize = PROVIDERS.len() * SESSIONS.len() * SENDERS.len() * OWNER.len() * FLAG.len();

fn index(mask: u8, tool: usize, r: &Request) -> usize {
    let request = (((r.provider * SESSIONS.len() + r.session) * SENDERS.len() + r.sender) * OWNER.len() + r.owner) * FLAG.len() + r.flag;
    (mask as usize * TOOLS.len() + tool) * REQUESTS + request
}

/// Every request of the universe, in `index` order.
pub fn requests() -> impl Iterator<Item = Request> {
    (0..REQUESTS).map(|mut i| {
        let mut next = |n: usize| {
            let v = i % n;
            i /= n;
            v
        };
        let flag = next(FLAG.len());
        let owner = next(OWNER.len());
        let sender = next(SENDERS.len());
        let session = next(SESSIONS.len());
        Request { provider: next(PROVIDERS.len()), session, sender, owner, flag }
    })
}

/// The real engine's answer, through the wire format; `false` when the
/// policy or the request is refused.
pub fn decide_real(policy: Option<&Policy>, tool: usize, request: &Request) -> bool {
    match (policy, parse(&request_json(tool, request))) {
        (Some(policy), Ok(AnyRequest::Tool(r))) => policy.engine().decide(&r.as_request()),
        _ => false,
    }
}

impl FailClosedModel {
    pub fn new(bug: Bug) -> Self {
        let decisions = with_bug(bug, || {
            let mut out = Vec::with_capacity(64 * TOOLS.len() * REQUESTS);
            for mask in 0..64u8 {
                let policy = Policy::from_dsl("fail-closed.pal", &policy_text(mask)).ok();
                for tool in 0..TOOLS.len() {
                    out.extend(requests().map(|r| decide_real(policy.as_ref(), tool, &r)));
                }
            }
            out
        });
        FailClosedModel { bug, decisions }
    }

    pub fn decide(&self, mask: u8, tool: usize, request: &Request) -> bool {
        self.decisions.get(index(mask, tool, request)).copied().unwrap_or(false)
    }
}

/// The policy holding the features `mask` selects.
pub fn policy_text(mask: u8) -> String {
    let has = |i: usize| mask >> i & 1 == 1;
    let mut global = String::new();
    if has(0) {
        global += "  provider \"p1\" { deny exec }\n";
    }
    if has(1) {
        global += "  sender \"telegram:1\" { deny exec }\n";
    }
    if has(2) {
        global += "  subagents { deny exec }\n";
    }
    let mut text = String::new();
    if has(5) {
        text += "owners \"telegram:1\"\n";
    }
    text += if has(3) { "sandbox defaults { mode non-main }\n" } else { "sandbox defaults { mode off }\n" };
    if !global.is_empty() {
        text += &format!("tools {{\n{global}}}\n");
    }
    text += if has(3) { "agent a { tools { sandbox { deny exec } } }\n" } else { "agent a { }\n" };
    if has(4) {
        text += "channel telegram { groups open { group \"g1\" tools { deny exec } } }\n";
    }
    text
}

/// The request as one JSON line, with the left-out fields absent.
pub fn request_json(tool: usize, r: &Request) -> String {
    let mut fields = vec![format!("\"kind\":\"tool\",\"agent\":\"a\",\"tool\":\"{}\"", TOOLS.get(tool).copied().unwrap_or("exec"))];
    if let Some(p) = PROVIDERS.get(r.provider).filter(|_| r.provider > 0) {
        fields.push(format!("\"provider\":\"{p}\""));
    }
    let session = match r.session {
        1 => Some("agent:a:main"),
        2 => Some("agent:a:telegram:direct:2"),
        3 => Some("agent:a:subagent:1"),
        4 => Some("agent:a:telegram:group:g1"),
        5 => Some("agent:a:telegram:group:g2"),
        _ => None,
    };
    if let Some(s) = session {
        fields.push(format!("\"session\":\"{s}\""));
    }
    if r.sender > 0 {
        fields.push(format!("\"sender\":\"telegram:{}\"", r.sender));
    }
    if r.owner > 0 {
        fields.push("\"owner\":true".into());
    }
    if r.flag > 0 {
        fields.push("\"subagent\":true".into());
    }
    format!("{{{}}}", fields.join(","))
}

/// The spec's `Decide`: what the policy features take away, written out.
pub fn spec_decide(mask: u8, tool: usize, r: &Request) -> bool {
    let has = |i: usize| mask >> i & 1 == 1;
    let session = SESSIONS.get(r.session).copied().unwrap_or("none");
    let sub = r.flag > 0 || matches!(session, "none" | "sub");
    let sandboxed = has(3) && (sub || session != "main");
    let owner = r.owner > 0 && (!has(5) || r.sender == 1);
    if tool == 1 {
        // Owner-only, never a sub-agent's, and off the default sandbox allow list.
        return owner && !sub && !sandboxed;
    }
    // Each feature that applies takes exec away.
    let takes_exec = [has(0) && r.provider != 2, has(1) && r.sender != 2, has(2) && sub, sandboxed, has(4) && matches!(session, "none" | "g1")];
    !takes_exec.contains(&true)
}

impl Model for FailClosedModel {
    type State = State;
    type Action = ();

    fn init_states(&self) -> Vec<State> {
        let mut states = Vec::new();
        for mask in 0..64u8 {
            for tool in 0..TOOLS.len() {
                for provider in 0..PROVIDERS.len() {
                    for session in 0..SESSIONS.len() {
                        for sender in 0..SENDERS.len() {
                            for owner in 0..OWNER.len() {
                                for flag in 0..FLAG.len() {
                                    let request = Request { provider, session, sender, owner, flag };
                                    states.push(State { mask, tool, request, allowed: self.decide(mask, tool, &request) });
                                }
                            }
                        }
                    }
                }
            }
        }
        states
    }

    crate::no_steps!();

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            // A field left out never allows what some value of it denies.
            Property::always("FailClosed", |model: &FailClosedModel, s: &State| {
                !s.allowed
                    || FIELDS.iter().all(|(_, count, get, set)| {
                        get(&s.request) != 0
                            || (1..*count).all(|v| {
                                let mut r = s.request;
                                set(&mut r, v);
                                model.decide(s.mask, s.tool, &r)
                            })
                    })
            }),
            // The sub-agent flag only ever takes away.
            Property::always("FlagOnlyRestricts", |model: &FailClosedModel, s: &State| {
                s.request.flag == 0 || !s.allowed || model.decide(s.mask, s.tool, &Request { flag: 0, ..s.request })
            }),
            Property::always("AsSpecified", |_, s: &State| s.allowed == spec_decide(s.mask, s.tool, &s.request)),
        ]
    }
}
