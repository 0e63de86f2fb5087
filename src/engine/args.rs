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
use super::paths::{PathLayer, PathsReading};
use super::request::{Arg, Args};
use crate::shell::Segment;
use crate::source::Location;
use crate::vocab::{ByOutcome, ToolOutcome};

/// A kind of argument rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum ArgKind {
    /// `exec` blocks: the command an `exec` call runs, segment by segment.
    Exec,
    /// `paths` blocks: the paths a file call reads or writes.
    Paths,
}

/// How many kinds there are.
const KINDS: usize = ArgKind::ALL.len();

impl ArgKind {
    /// Every kind, in the order layers hold their blocks.
    pub(crate) const ALL: [ArgKind; 2] = [ArgKind::Exec, ArgKind::Paths];

    /// The tools whose calls this kind reads (canonical names).
    pub(crate) fn tools(self) -> &'static [&'static str] {
        match self {
            ArgKind::Exec => &[crate::builtins::EXEC_TOOL],
            ArgKind::Paths => &["read", "write", "edit", "apply_patch"],
        }
    }
}

/// One kind's matcher: what it reads from a call's arguments (once per
/// request, whatever the number of layers), the outcome for a call that
/// leaves that out, and one layer's outcome on what it read.
pub(crate) trait ArgMatcher {
    /// What a call's arguments read as.
    type Reading<'r>;
    /// What the arguments of a call of `tool` (canonical) read as, or
    /// `None` when the call leaves out what this kind reads.
    fn read<'r>(tool: &str, args: &Args<'r>) -> Option<Self::Reading<'r>>;
    /// The outcome for a call of `tool` that leaves the argument out: as
    /// strict as any value of it, never `Allow` where some value would not be.
    fn left_out(&self, tool: &str) -> ToolOutcome;
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

    fn read<'r>(_tool: &str, args: &Args<'r>) -> Option<CommandReading<'r>> {
        let text = args.text("command")?;
        Some(CommandReading { text, segments: crate::shell::parse(text) })
    }

    fn left_out(&self, _tool: &str) -> ToolOutcome {
        self.on_opaque
    }

    fn decide(&self, reading: &CommandReading<'_>) -> ToolOutcome {
        ExecLayer::decide(self, &reading.segments)
    }
}

impl ArgMatcher for PathLayer {
    type Reading<'r> = PathsReading<'r>;

    /// `path` and `file_path` for `read`, `write` and `edit`; each file
    /// header of `input` (or `patch`) for `apply_patch`. A value that is not
    /// text is a path that cannot be read.
    fn read<'r>(tool: &str, args: &Args<'r>) -> Option<PathsReading<'r>> {
        let op = super::paths::op_of(tool)?;
        // `None`: given, but not as text.
        let mut texts: Vec<Option<&'r str>> = Vec::new();
        let names: &[&str] = if tool == "apply_patch" { &["input", "patch"] } else { &["path", "file_path"] };
        for name in names {
            match args.get(name) {
                Arg::Missing => {}
                Arg::Other => texts.push(None),
                Arg::Text(text) if tool == "apply_patch" => texts.extend(super::paths::patch_paths(text).map(Some)),
                Arg::Text(text) => texts.push(Some(text)),
            }
        }
        if texts.is_empty() {
            return None;
        }
        let paths = texts
            .into_iter()
            .map(|text| match text {
                Some(text) => (text, crate::paths::normalize(text)),
                None => ("(not text)", Err(crate::paths::PathError::NotText)),
            })
            .collect();
        Some(PathsReading { op, paths })
    }

    fn left_out(&self, tool: &str) -> ToolOutcome {
        super::paths::op_of(tool).map_or(ToolOutcome::Allow, |op| PathLayer::left_out(self, op))
    }

    fn decide(&self, reading: &PathsReading<'_>) -> ToolOutcome {
        PathLayer::decide(self, reading)
    }
}

/// A call's arguments as one kind read them.
#[derive(Debug, Clone)]
pub(crate) enum Reading<'r> {
    Exec(CommandReading<'r>),
    Paths(PathsReading<'r>),
}

impl<'r> Reading<'r> {
    /// What `kind` reads from a call of `tool`, or `None` when it leaves it out.
    pub(crate) fn of(kind: ArgKind, tool: &str, args: &Args<'r>) -> Option<Reading<'r>> {
        match kind {
            ArgKind::Exec => <ExecLayer as ArgMatcher>::read(tool, args).map(Reading::Exec),
            ArgKind::Paths => <PathLayer as ArgMatcher>::read(tool, args).map(Reading::Paths),
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

    /// Reads a call of `tool` for `kind`; whether the call gave what it reads.
    pub(crate) fn read(&mut self, kind: ArgKind, tool: &str, args: &Args<'r>) -> bool {
        let reading = Reading::of(kind, tool, args);
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
            _ => None,
        }
    }

    /// The paths a file call touches, if any were read.
    pub(crate) fn paths(&self) -> Option<&PathsReading<'r>> {
        match self.get(ArgKind::Paths) {
            Some(Reading::Paths(paths)) => Some(paths),
            _ => None,
        }
    }
}

/// One kind's rules, compiled.
#[derive(Debug, Clone)]
pub(crate) enum KindRules {
    Exec(ExecLayer),
    Paths(PathLayer),
}

impl KindRules {
    fn kind(&self) -> ArgKind {
        match self {
            KindRules::Exec(_) => ArgKind::Exec,
            KindRules::Paths(_) => ArgKind::Paths,
        }
    }

    fn left_out(&self, tool: &str) -> ToolOutcome {
        match self {
            KindRules::Exec(rules) => ArgMatcher::left_out(rules, tool),
            KindRules::Paths(rules) => ArgMatcher::left_out(rules, tool),
        }
    }
}

/// One argument block of a layer: its rules, where it is written, the bits
/// of the interned tools its kind reads, and of those, which a call that
/// leaves the argument out asks about or is denied.
#[derive(Debug, Clone)]
pub(crate) struct ArgBlock {
    pub rules: KindRules,
    pub at: Option<Location>,
    pub tool_bits: Vec<u64>,
    pub left_out: ByOutcome<Vec<u64>>,
}

impl ArgBlock {
    /// A block over the interned tools `tools` (canonical name, id).
    pub(crate) fn new(rules: KindRules, at: Option<Location>, tools: &[(&str, u32)], words: usize) -> ArgBlock {
        let mut tool_bits = vec![0u64; words];
        let mut left_out: ByOutcome<Vec<u64>> = ByOutcome { allow: vec![0; words], ask: vec![0; words], deny: vec![0; words] };
        for (name, id) in tools.iter().filter(|(name, _)| rules.kind().tools().contains(name)) {
            let (word, bit) = (*id as usize / 64, 1u64 << (id % 64));
            for bits in [&mut tool_bits, left_out.get_mut(rules.left_out(name))] {
                if let Some(w) = bits.get_mut(word) {
                    *w |= bit;
                }
            }
        }
        ArgBlock { rules, at, tool_bits, left_out }
    }

    pub(crate) fn kind(&self) -> ArgKind {
        self.rules.kind()
    }

    /// Whether its kind reads calls of the interned tool `index`.
    pub(crate) fn reads(&self, index: usize) -> bool {
        self.tool_bits.get(index >> 6).is_some_and(|w| w & (1u64 << (index & 63)) != 0)
    }

    /// Whether some call of its tools that leaves the argument out is asked about.
    pub(crate) fn asks(&self) -> bool {
        self.left_out.ask.iter().any(|w| *w != 0)
    }

    /// The outcome for a call of the interned tool `index` that leaves the argument out.
    pub(crate) fn left_out_of(&self, index: usize) -> ToolOutcome {
        let has = |bits: &[u64]| bits.get(index >> 6).is_some_and(|w| w & (1u64 << (index & 63)) != 0);
        if has(&self.left_out.deny) {
            ToolOutcome::Deny
        } else if has(&self.left_out.ask) {
            ToolOutcome::Ask
        } else {
            ToolOutcome::Allow
        }
    }

    /// The block's outcome for a call of the interned tool `index`, given
    /// what each kind read of it: its own kind's reading, or `left_out`.
    pub(crate) fn decide(&self, index: usize, readings: &Readings<'_>) -> ToolOutcome {
        match (&self.rules, readings.get(self.kind())) {
            (KindRules::Exec(rules), Some(Reading::Exec(command))) => ArgMatcher::decide(rules, command),
            (KindRules::Paths(rules), Some(Reading::Paths(paths))) => ArgMatcher::decide(rules, paths),
            _ => self.left_out_of(index),
        }
    }

    /// The exec rules, when this is an `exec` block.
    pub(crate) fn exec(&self) -> Option<&ExecLayer> {
        match &self.rules {
            KindRules::Exec(rules) => Some(rules),
            KindRules::Paths(_) => None,
        }
    }

    /// The path rules, when this is a `paths` block.
    pub(crate) fn paths(&self) -> Option<&PathLayer> {
        match &self.rules {
            KindRules::Paths(rules) => Some(rules),
            KindRules::Exec(_) => None,
        }
    }
}
