//! Claim 17, path rules, as a stateright model mirroring
//! `tla/PathRules.tla`: every path of an anchor (the workspace, home, the
//! root) and up to three components from {a, x, .env, .., .} is rendered
//! as the text an agent would send and decided, as a `read`, by the real
//! normaliser, matcher and engine under every paths block over `a/**`,
//! `.env` and `~/a/**`, each absent, allowed or denied. A path is allowed
//! only if it reads lexically, no deny rule may match it and an allow rule
//! must (or the block has none); and the real decision is the spec's.

use palisade::seams::{with_bug, Bug};
use palisade::{Args, Policy, ToolOutcome, ToolRequest};
use stateright::{Model, Property};

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Anchor {
    Workspace,
    Home,
    Root,
}

pub const ANCHORS: [Anchor; 3] = [Anchor::Workspace, Anchor::Home, Anchor::Root];
pub const SYMBOLS: [&str; 5] = ["a", "x", ".env", "..", "."];
/// `a/**` (the workspace), `.env` (any depth), `~/a/**` (home), in the spec's order.
pub const PATTERNS: [&str; 3] = ["a/**", ".env", "~/a/**"];

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Role {
    Absent,
    Allow,
    Deny,
}

pub type Block = [Role; 3];

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct Path {
    pub anchor: Anchor,
    pub parts: Vec<&'static str>,
}

pub fn paths() -> Vec<Path> {
    let mut seqs: Vec<Vec<&'static str>> = vec![Vec::new()];
    let mut last: Vec<Vec<&'static str>> = vec![Vec::new()];
    for _ in 0..3 {
        last = last.iter().flat_map(|s| SYMBOLS.iter().map(move |c| [s.clone(), vec![*c]].concat())).collect();
        seqs.extend(last.iter().cloned());
    }
    ANCHORS.iter().flat_map(|anchor| seqs.iter().map(move |parts| Path { anchor: *anchor, parts: parts.clone() })).collect()
}

pub fn blocks() -> Vec<Block> {
    const ROLES: [Role; 3] = [Role::Absent, Role::Allow, Role::Deny];
    ROLES.into_iter().flat_map(|a| ROLES.into_iter().flat_map(move |b| ROLES.into_iter().map(move |c| [a, b, c]))).collect()
}

/// The path as an agent writes it.
pub fn render(path: &Path) -> String {
    let joined = path.parts.join("/");
    match (path.anchor, path.parts.is_empty()) {
        (Anchor::Workspace, true) => ".".into(),
        (Anchor::Workspace, false) => joined,
        (Anchor::Home, true) => "~".into(),
        (Anchor::Home, false) => format!("~/{joined}"),
        (Anchor::Root, _) => format!("/{joined}"),
    }
}

/// The spec's lexical reading, written apart from the normaliser: `None`
/// when the path climbs out of the workspace or home.
pub fn read(path: &Path) -> Option<Vec<&'static str>> {
    let mut stack = Vec::new();
    for part in &path.parts {
        match *part {
            "." => {}
            ".." => {
                if stack.pop().is_none() && path.anchor != Anchor::Root {
                    return None;
                }
            }
            part => stack.push(part),
        }
    }
    Some(stack)
}

fn own(pattern: usize) -> Anchor {
    if pattern == 0 {
        Anchor::Workspace
    } else {
        Anchor::Home
    }
}

fn beneath(st: &[&str]) -> bool {
    st.len() >= 2 && st.first() == Some(&"a")
}

fn anywhere(st: &[&str]) -> bool {
    st.iter().enumerate().any(|(i, c)| *c == "a" && i + 1 < st.len())
}

fn must_match(pattern: usize, anchor: Anchor, st: &[&str]) -> bool {
    if pattern == 1 {
        anchor == Anchor::Workspace && st.contains(&".env")
    } else {
        anchor == own(pattern) && beneath(st)
    }
}

fn may_match(pattern: usize, anchor: Anchor, st: &[&str]) -> bool {
    match (pattern, anchor == own(pattern)) {
        (1, _) => st.contains(&".env"),
        (_, true) => beneath(st),
        (_, false) => anywhere(st),
    }
}

/// The spec's `Allowed`.
pub fn allowed(path: &Path, block: &Block) -> bool {
    let Some(st) = read(path) else { return false };
    let with = |role: Role, m: fn(usize, Anchor, &[&str]) -> bool| block.iter().enumerate().any(|(p, r)| *r == role && m(p, path.anchor, &st));
    !with(Role::Deny, may_match) && (with(Role::Allow, must_match) || !block.contains(&Role::Allow))
}

/// The block as a policy: one agent that may `read`, under these path rules.
pub fn policy_text(block: &Block) -> String {
    let rules: Vec<String> = PATTERNS
        .iter()
        .zip(block)
        .filter_map(|(p, r)| match r {
            Role::Absent => None,
            Role::Allow => Some(format!("allow read \"{p}\"")),
            Role::Deny => Some(format!("deny read \"{p}\"")),
        })
        .collect();
    format!("agent a {{ tools {{ allow read  paths {{ {} }} }} }}\n", rules.join("  "))
}

/// Decides a `read` of `text` for agent `a` in its main session.
pub fn decide(policy: &Policy, text: &str) -> ToolOutcome {
    let pairs = [("path", text)];
    let request = ToolRequest::new("a", "read").with_session("agent:a:main").with_args(Args::pairs(&pairs));
    policy.engine().decide_outcome(&request)
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct State {
    pub path: Path,
    pub block: Block,
    pub outcome: ToolOutcome,
}

#[derive(Clone, Debug)]
pub struct PathRulesModel {
    pub bug: Bug,
}

impl Model for PathRulesModel {
    type State = State;
    type Action = ();

    fn init_states(&self) -> Vec<State> {
        let paths = paths();
        let mut states = Vec::with_capacity(paths.len() * 27);
        for block in blocks() {
            let Ok(policy) = Policy::from_dsl("path-rules.pal", &policy_text(&block)) else { continue };
            with_bug(self.bug, || {
                for path in &paths {
                    states.push(State { path: path.clone(), block, outcome: decide(&policy, &render(path)) });
                }
            });
        }
        states
    }

    crate::no_steps!();

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("AllowedOnlyIfMatched", |_, s: &State| s.outcome != ToolOutcome::Allow || allowed(&s.path, &s.block)),
            // The other direction too: on this universe the normaliser and
            // the matcher are exact, never stricter than the spec.
            Property::always("DecidesAsSpecified", |_, s: &State| (s.outcome == ToolOutcome::Allow) == allowed(&s.path, &s.block)),
        ]
    }
}
