//! Claim 15, command rules, as a stateright model mirroring
//! `tla/ExecCommands.tla`: every command of a small alphabet (two programs,
//! an argument absent, literal or unknown; plain, `nice`, `sh -c`, `bash
//! -ec`, `$(...)`, backticks, `sudo`, `xargs`, a redirection, a `${...}`
//! whose default quotes a `}`; `;`, `|`, `&&`, `||`, newline, `&`; and a
//! trailing comment ` # '`) is rendered as text and decided by the real
//! shell parser and matcher under every exec block of three patterns. A
//! command is allowed only if every segment of the spec's segmentation is
//! allowed and none is opaque; and the real decision is the spec's, exactly.

use palisade::seams::{with_bug, Bug};
use palisade::{Policy, ToolOutcome, ToolRequest};
use stateright::{Model, Property};

pub const PROGRAMS: [&str; 2] = ["git", "rm"];
/// An absent argument, the literal `x`, and the unknown word `$X`.
pub const ARGS: [Arg; 3] = [Arg::None, Arg::X, Arg::Unknown];
pub const KINDS: [Kind; 10] =
    [Kind::Plain, Kind::Nice, Kind::Sh, Kind::ShOptions, Kind::Subst, Kind::Backticks, Kind::Sudo, Kind::Xargs, Kind::Redirect, Kind::Param];
pub const CONNECTORS: [&str; 6] = [";", "|", "&&", "||", "\n", "&"];
/// `git *`, `rm x`, `rm *`, in the spec's order.
pub const PATTERNS: [&str; 3] = ["git *", "rm x", "rm *"];

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Arg {
    None,
    X,
    Unknown,
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Kind {
    Plain,
    Nice,
    /// `sh -c 'UNIT'`.
    Sh,
    /// `bash -ec 'UNIT'`: an option cluster around `-c`.
    ShOptions,
    /// `git $(UNIT)`.
    Subst,
    /// `` git `UNIT` ``.
    Backticks,
    /// `sudo UNIT`: judged as itself and through `UNIT`.
    Sudo,
    /// `xargs UNIT`: `UNIT` with the words read from stdin after it.
    Xargs,
    /// `UNIT >out`: opaque.
    Redirect,
    /// `UNIT ${Y:-'}'}`: one more unknown word, whose default quotes a `}`.
    Param,
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct Unit {
    pub kind: Kind,
    pub prog: &'static str,
    pub arg: Arg,
}

/// One unit, or two joined by a connector.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct Command {
    pub first: Unit,
    pub rest: Option<(&'static str, Unit)>,
}

/// What each pattern is in the block: absent, allowed or denied.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Role {
    Absent,
    Allow,
    Deny,
}

pub type Block = [Role; 3];

/// A segment of the spec: a program and its argument; opaque; or inner
/// (what `sudo` or `xargs` runs: deny patterns see it, allow patterns
/// answer for its runner's segment).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seg {
    pub prog: &'static str,
    pub arg: Option<Arg>,
    pub opaque: bool,
    pub inner: bool,
}

pub fn units() -> Vec<Unit> {
    let mut out = Vec::new();
    for kind in KINDS {
        for prog in PROGRAMS {
            for arg in ARGS {
                out.push(Unit { kind, prog, arg });
            }
        }
    }
    out
}

pub fn commands() -> Vec<Command> {
    let units = units();
    let mut out: Vec<Command> = units.iter().map(|u| Command { first: *u, rest: None }).collect();
    for first in &units {
        for connector in CONNECTORS {
            for second in &units {
                out.push(Command { first: *first, rest: Some((connector, *second)) });
            }
        }
    }
    out
}

pub fn blocks() -> Vec<Block> {
    let roles = [Role::Absent, Role::Allow, Role::Deny];
    let mut out = Vec::new();
    for a in roles {
        for b in roles {
            for c in roles {
                out.push([a, b, c]);
            }
        }
    }
    out
}

fn simple(unit: &Unit) -> String {
    match unit.arg {
        Arg::None => unit.prog.to_string(),
        Arg::X => format!("{} x", unit.prog),
        Arg::Unknown => format!("{} $X", unit.prog),
    }
}

fn render_unit(unit: &Unit) -> String {
    match unit.kind {
        Kind::Plain => simple(unit),
        Kind::Nice => format!("nice {}", simple(unit)),
        Kind::Sh => format!("sh -c '{}'", simple(unit)),
        Kind::ShOptions => format!("bash -ec '{}'", simple(unit)),
        Kind::Subst => format!("git $({})", simple(unit)),
        Kind::Backticks => format!("git `{}`", simple(unit)),
        Kind::Sudo => format!("sudo {}", simple(unit)),
        Kind::Xargs => format!("xargs {}", simple(unit)),
        Kind::Redirect => format!("{} >out", simple(unit)),
        Kind::Param => format!("{} ${{Y:-'}}'}}", simple(unit)),
    }
}

/// The command as shell text, as an agent would send it, with a comment
/// that holds a quote (which a wrong reading of quotes would pair with).
pub fn render(command: &Command) -> String {
    match command.rest {
        None => format!("{} # '", render_unit(&command.first)),
        Some((connector, second)) => format!("{} {connector} {} # '", render_unit(&command.first), render_unit(&second)),
    }
}

/// The spec's segmentation, written apart from the parser.
pub fn segments(command: &Command) -> Vec<Seg> {
    let unit_segments = |u: &Unit| {
        let own = Seg { prog: u.prog, arg: Some(u.arg), opaque: false, inner: false };
        let runner = |prog| Seg { prog, arg: None, opaque: false, inner: false };
        match u.kind {
            Kind::Plain | Kind::Nice | Kind::Sh | Kind::ShOptions => vec![own],
            Kind::Subst | Kind::Backticks => vec![Seg { prog: "git", arg: None, opaque: true, inner: false }, own],
            Kind::Redirect => vec![Seg { opaque: true, ..own }],
            Kind::Param => vec![Seg { arg: Some(Arg::Unknown), ..own }],
            Kind::Sudo => vec![runner("sudo"), Seg { inner: true, ..own }],
            Kind::Xargs => vec![runner("xargs"), Seg { arg: Some(Arg::Unknown), inner: true, ..own }],
        }
    };
    let mut out = unit_segments(&command.first);
    if let Some((_, second)) = &command.rest {
        out.extend(unit_segments(second));
    }
    out
}

fn may_match(pattern: usize, s: &Seg) -> bool {
    match pattern {
        0 => s.prog == "git",
        1 => s.prog == "rm" && matches!(s.arg, Some(Arg::X | Arg::Unknown)),
        _ => s.prog == "rm",
    }
}

fn must_match(pattern: usize, s: &Seg) -> bool {
    match pattern {
        0 => s.prog == "git",
        1 => s.prog == "rm" && s.arg == Some(Arg::X),
        _ => s.prog == "rm",
    }
}

/// The spec's `SegAllowed`.
pub fn seg_allowed(s: &Seg, block: &Block) -> bool {
    let with = |role: Role, m: fn(usize, &Seg) -> bool| block.iter().enumerate().any(|(p, r)| *r == role && m(p, s));
    let has_allow = block.contains(&Role::Allow);
    !s.opaque && !with(Role::Deny, may_match) && (s.inner || with(Role::Allow, must_match) || !has_allow)
}

/// The block as a policy: one agent that may call `exec`, under these command rules.
pub fn policy_text(block: &Block) -> String {
    let list = |role: Role| {
        let patterns: Vec<String> = PATTERNS.iter().zip(block).filter(|(_, r)| **r == role).map(|(p, _)| format!("\"{p}\"")).collect();
        patterns.join(", ")
    };
    let (allow, deny) = (list(Role::Allow), list(Role::Deny));
    let mut rules = String::new();
    if !allow.is_empty() {
        rules.push_str(&format!(" allow {allow}"));
    }
    if !deny.is_empty() {
        rules.push_str(&format!(" deny {deny}"));
    }
    format!("agent a {{ tools {{ allow exec  exec {{{rules} }} }} }}\n")
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct State {
    pub command: Command,
    pub block: Block,
    pub outcome: ToolOutcome,
}

#[derive(Clone, Debug)]
pub struct ExecCommandsModel {
    pub bug: Bug,
}

/// Decides `text` for agent `a` in its main session.
pub fn decide(policy: &Policy, text: &str) -> ToolOutcome {
    let request = ToolRequest::new("a", "exec").with_session("agent:a:main").with_command(text);
    policy.engine().decide_outcome(&request)
}

impl Model for ExecCommandsModel {
    type State = State;
    type Action = ();

    fn init_states(&self) -> Vec<State> {
        let commands = commands();
        let mut states = Vec::with_capacity(commands.len() * 27);
        for block in blocks() {
            let Ok(policy) = Policy::from_dsl("exec-commands.pal", &policy_text(&block)) else { continue };
            with_bug(self.bug, || {
                for command in &commands {
                    states.push(State { command: *command, block, outcome: decide(&policy, &render(command)) });
                }
            });
        }
        states
    }

    crate::no_steps!();

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("OnlyIfEverySegment", |_, s: &State| {
                s.outcome != ToolOutcome::Allow || segments(&s.command).iter().all(|seg| seg_allowed(seg, &s.block))
            }),
            // The other direction too: on this universe the parser and the
            // matcher are exact, never stricter than the spec.
            Property::always("DecidesAsSpecified", |_, s: &State| {
                let allowed = segments(&s.command).iter().all(|seg| seg_allowed(seg, &s.block));
                (s.outcome == ToolOutcome::Allow) == allowed
            }),
        ]
    }
}
