//! Argument rules: the one mechanism for rules on what a call touches
//! (ARCHITECTURE.md, Argument rules). A kind names the tools whose calls it
//! reads and what it reads from their arguments; a layer holds at most one
//! block of each kind, compiled into the kind's own matcher. A call is
//! decided by each layer's tool lists and by each of the layer's blocks
//! whose kind reads the call's tool, the strictest answer winning as it does
//! for tools. A call that leaves the argument out is decided as strictly as
//! any value of it: that is the block's `left_out`, which the compiler also
//! folds into the bits that decide calls by tool alone.

use super::exec::ExecLayer;
use super::request::Args;
use crate::shell::Segment;
use crate::source::Location;
use crate::vocab::ToolOutcome;

/// A kind of argument rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum ArgKind {
    /// `exec` blocks: the command an `exec` call runs, segment by segment.
    Exec,
}

/// How many kinds there are.
const KINDS: usize = ArgKind::ALL.len();

impl ArgKind {
    /// Every kind, in the order layers hold their blocks.
    pub(crate) const ALL: [ArgKind; 1] = [ArgKind::Exec];

    /// The tools whose calls this kind reads (canonical names).
    pub(crate) fn tools(self) -> &'static [&'static str] {
        match self {
            ArgKind::Exec => &[crate::builtins::EXEC_TOOL],
        }
    }
}

/// One kind's matcher: what it reads from a call's arguments (once per
/// request, whatever the number of layers), the outcome for a call that
/// leaves that out, and one layer's outcome on what it read.
pub(crate) trait ArgMatcher {
    /// What a call's arguments read as.
    type Reading<'r>;
    /// What `args` read as, or `None` when the call leaves the argument
    /// out (or gives it as something other than text).
    fn read<'r>(args: &Args<'r>) -> Option<Self::Reading<'r>>;
    /// The outcome for a call that leaves the argument out: as strict as
    /// any value of it, never `Allow` where some value would not be.
    fn left_out(&self) -> ToolOutcome;
    /// This layer's outcome on a reading.
    fn decide(&self, reading: &Self::Reading<'_>) -> ToolOutcome;
}

/// What `exec` reads: the command as written, and its segments.
#[derive(Debug, Clone)]
pub(crate) struct CommandReading<'r> {
    pub text: &'r str,
    pub segments: Vec<Segment>,
}

impl ArgMatcher for ExecLayer {
    type Reading<'r> = CommandReading<'r>;

    fn read<'r>(args: &Args<'r>) -> Option<CommandReading<'r>> {
        let text = args.text("command")?;
        Some(CommandReading { text, segments: crate::shell::parse(text) })
    }

    fn left_out(&self) -> ToolOutcome {
        self.on_opaque
    }

    fn decide(&self, reading: &CommandReading<'_>) -> ToolOutcome {
        ExecLayer::decide(self, &reading.segments)
    }
}

/// A call's arguments as one kind read them.
#[derive(Debug, Clone)]
pub(crate) enum Reading<'r> {
    Exec(CommandReading<'r>),
}

impl<'r> Reading<'r> {
    /// What `kind` reads from `args`, or `None` when the call leaves it out.
    pub(crate) fn of(kind: ArgKind, args: &Args<'r>) -> Option<Reading<'r>> {
        match kind {
            ArgKind::Exec => <ExecLayer as ArgMatcher>::read(args).map(Reading::Exec),
        }
    }
}

/// What each kind read of one call.
#[derive(Debug, Default)]
pub(crate) struct Readings<'r>([Option<Reading<'r>>; KINDS]);

impl<'r> Readings<'r> {
    /// What `kind` read, if anything.
    pub(crate) fn get(&self, kind: ArgKind) -> Option<&Reading<'r>> {
        self.0.get(kind as usize).and_then(Option::as_ref)
    }

    /// Reads `args` for `kind`; whether the call gave what it reads.
    pub(crate) fn read(&mut self, kind: ArgKind, args: &Args<'r>) -> bool {
        let reading = Reading::of(kind, args);
        let given = reading.is_some();
        if let Some(slot) = self.0.get_mut(kind as usize) {
            *slot = reading;
        }
        given
    }

    /// The command `exec` read, if any.
    pub(crate) fn command(&self) -> Option<&CommandReading<'r>> {
        match self.get(ArgKind::Exec) {
            Some(Reading::Exec(command)) => Some(command),
            None => None,
        }
    }
}

/// One kind's rules, compiled.
#[derive(Debug, Clone)]
pub(crate) enum KindRules {
    Exec(ExecLayer),
}

/// One argument block of a layer: its rules, where it is written, and the
/// bits of the interned tools its kind reads.
#[derive(Debug, Clone)]
pub(crate) struct ArgBlock {
    pub rules: KindRules,
    pub at: Option<Location>,
    pub tool_bits: Vec<u64>,
}

impl ArgBlock {
    pub(crate) fn kind(&self) -> ArgKind {
        match self.rules {
            KindRules::Exec(_) => ArgKind::Exec,
        }
    }

    /// The outcome for a call of one of its tools that leaves the argument out.
    pub(crate) fn left_out(&self) -> ToolOutcome {
        match &self.rules {
            KindRules::Exec(rules) => rules.left_out(),
        }
    }

    /// Whether its kind reads calls of the interned tool `index`.
    pub(crate) fn reads(&self, index: usize) -> bool {
        self.tool_bits.get(index >> 6).is_some_and(|w| w & (1u64 << (index & 63)) != 0)
    }

    /// The block's outcome for a call, given what each kind read of it:
    /// its own kind's reading, or `left_out` when there is none.
    pub(crate) fn decide(&self, readings: &Readings<'_>) -> ToolOutcome {
        match (&self.rules, readings.get(self.kind())) {
            (KindRules::Exec(rules), Some(Reading::Exec(command))) => ArgMatcher::decide(rules, command),
            (_, None) => self.left_out(),
        }
    }

    /// The exec rules, when this is an `exec` block.
    pub(crate) fn exec(&self) -> Option<&ExecLayer> {
        match &self.rules {
            KindRules::Exec(rules) => Some(rules),
        }
    }
}
