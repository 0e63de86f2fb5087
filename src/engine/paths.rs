//! Path rules, compiled: one `paths` block's patterns and its verdict on
//! the paths a file call touches (ARCHITECTURE.md, Paths). Deny and ask
//! rules decide when their pattern *may* match a path, allow rules when it
//! *must* (`PathGlob`); the outcome of a call is the strictest over its
//! paths, and a path that cannot be read (it leaves the workspace, holds a
//! NUL, is too long, or is not text) is denied.

use crate::paths::{AnchoredPath, PathError, PathGlob};
use crate::source::Location;
use crate::vocab::{ByOutcome, PathOp, ToolOutcome};

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct PathRule {
    pub glob: PathGlob,
    /// The operations it covers, as `PathOp::bit`s.
    pub ops: u8,
    /// The pattern as written.
    pub written: String,
    pub at: Option<Location>,
}

/// One `paths` block, compiled.
#[derive(Debug, Clone)]
pub struct PathLayer {
    pub rules: ByOutcome<Vec<PathRule>>,
    /// The outcome when no rule decides.
    pub on_miss: ToolOutcome,
    /// A call that gives no path is left to the other blocks (the built-in
    /// protected paths judge only the paths they are given).
    pub only_given: bool,
}

/// What a file call touches: its operation and each path, as read.
#[derive(Debug, Clone)]
pub struct PathsReading<'r> {
    pub op: PathOp,
    pub paths: Vec<(&'r str, Result<AnchoredPath<'r>, PathError>)>,
}

/// What a paths layer decided for one path, and why.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PathVerdict<'l> {
    Rule(ToolOutcome, &'l PathRule),
    Miss(ToolOutcome),
    /// The path cannot be read: denied.
    Unreadable,
}

impl PathVerdict<'_> {
    pub(crate) fn outcome(self) -> ToolOutcome {
        match self {
            PathVerdict::Rule(outcome, _) | PathVerdict::Miss(outcome) => outcome,
            PathVerdict::Unreadable => ToolOutcome::Deny,
        }
    }
}

impl PathLayer {
    /// A layer; `on_miss` defaults as the tool layers do: deny when the block
    /// has an allow rule, allow when it has none.
    pub fn new(rules: ByOutcome<Vec<PathRule>>, on_miss: Option<ToolOutcome>) -> PathLayer {
        let on_miss = on_miss.unwrap_or(if rules.allow.is_empty() { ToolOutcome::Allow } else { ToolOutcome::Deny });
        PathLayer { rules, on_miss, only_given: false }
    }

    /// The first rule of `outcome` covering `op` whose pattern passes `test`.
    fn find(&self, outcome: ToolOutcome, op: PathOp, test: impl Fn(&PathGlob) -> bool) -> Option<&PathRule> {
        self.rules.get(outcome).iter().find(|rule| rule.ops & op.bit() != 0 && test(&rule.glob))
    }

    /// This layer's verdict on one path.
    pub(crate) fn judge(&self, op: PathOp, path: &Result<AnchoredPath<'_>, PathError>) -> PathVerdict<'_> {
        let Ok(path) = path else { return PathVerdict::Unreadable };
        if let Some(rule) = self.find(ToolOutcome::Deny, op, |g| g.may_match(path)) {
            return PathVerdict::Rule(ToolOutcome::Deny, rule);
        }
        if let Some(rule) = self.find(ToolOutcome::Ask, op, |g| g.may_match(path)) {
            return PathVerdict::Rule(ToolOutcome::Ask, rule);
        }
        match self.find(ToolOutcome::Allow, op, |g| g.must_match(path)) {
            Some(rule) => PathVerdict::Rule(ToolOutcome::Allow, rule),
            None => PathVerdict::Miss(self.on_miss),
        }
    }

    /// The strictest verdict over the paths of a call.
    pub fn decide(&self, reading: &PathsReading<'_>) -> ToolOutcome {
        reading.paths.iter().map(|(_, path)| self.judge(reading.op, path).outcome()).max().unwrap_or(self.left_out(reading.op))
    }

    /// The outcome for a call of `op` that gives no path: as strict as any
    /// path could make it.
    pub fn left_out(&self, op: PathOp) -> ToolOutcome {
        if self.only_given {
            return ToolOutcome::Allow;
        }
        let covers = |outcome: ToolOutcome| self.rules.get(outcome).iter().any(|rule| rule.ops & op.bit() != 0);
        let listed = [ToolOutcome::Deny, ToolOutcome::Ask].into_iter().find(|o| covers(*o)).unwrap_or(ToolOutcome::Allow);
        listed.max(self.on_miss)
    }
}

/// The operation a file tool performs, if it is one (canonical names).
pub(crate) fn op_of(tool: &str) -> Option<PathOp> {
    match tool {
        "read" => Some(PathOp::Read),
        "write" | "edit" | "apply_patch" => Some(PathOp::Write),
        _ => None,
    }
}

/// The paths an `apply_patch` input touches: every file header line
/// (`*** Add File:`, `*** Update File:`, `*** Delete File:`, `*** Move to:`),
/// trimmed as OpenClaw's parser trims them. Any such line counts, wherever
/// it stands, so no path OpenClaw would touch is missed.
pub(crate) fn patch_paths(input: &str) -> impl Iterator<Item = &str> {
    const MARKERS: [&str; 4] = ["*** Add File: ", "*** Update File: ", "*** Delete File: ", "*** Move to: "];
    input.lines().filter_map(|line| {
        let line = line.trim();
        MARKERS.iter().find_map(|m| line.strip_prefix(m))
    })
}
