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
    /// Every rule's pattern in one automaton over the encoded path (deny
    /// rules, then ask, then allow; deny and ask by their may reading, allow
    /// by its must reading), so a path is read once whatever the number of
    /// rules; `None` if it was too large to build, and the rules are tried
    /// one by one.
    set: Option<regex::RegexSet>,
    /// The operations some rule covers: a call of another is decided by
    /// `on_miss` without reading its path against any pattern.
    ops: u8,
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
        let sources = rules.deny.iter().chain(&rules.ask).map(|r| r.glob.may_source()).chain(rules.allow.iter().map(|r| r.glob.must_source()));
        let set = regex::RegexSet::new(sources).ok();
        let ops = rules.iter().flat_map(|(_, list)| list.iter()).fold(0, |ops, rule| ops | rule.ops);
        PathLayer { rules, set, ops, on_miss, only_given: false }
    }

    /// The strictest rule covering `op` that matches `path` (deny and ask:
    /// may match; allow: must), the first in block order of its outcome.
    fn find(&self, op: PathOp, path: &AnchoredPath<'_>) -> Option<(ToolOutcome, &PathRule)> {
        let covers = |rule: &PathRule| rule.ops & op.bit() != 0 && sees(rule, path);
        let order = [ToolOutcome::Deny, ToolOutcome::Ask, ToolOutcome::Allow];
        match &self.set {
            Some(set) => {
                let (deny, ask) = (self.rules.deny.len(), self.rules.ask.len());
                set.matches(&path.encoded()).iter().find_map(|i| {
                    let (outcome, rule) = match i.checked_sub(deny) {
                        None => (ToolOutcome::Deny, self.rules.deny.get(i)),
                        Some(j) => match j.checked_sub(ask) {
                            None => (ToolOutcome::Ask, self.rules.ask.get(j)),
                            Some(k) => (ToolOutcome::Allow, self.rules.allow.get(k)),
                        },
                    };
                    rule.filter(|r| covers(r)).map(|r| (outcome, r))
                })
            }
            None => order.into_iter().find_map(|outcome| {
                let matches = |rule: &&PathRule| if outcome == ToolOutcome::Allow { rule.glob.must_match(path) } else { rule.glob.may_match(path) };
                self.rules.get(outcome).iter().filter(|r| covers(r)).find(matches).map(|r| (outcome, r))
            }),
        }
    }

    /// This layer's verdict on one path.
    pub(crate) fn judge(&self, op: PathOp, path: &Result<AnchoredPath<'_>, PathError>) -> PathVerdict<'_> {
        let Ok(path) = path else { return PathVerdict::Unreadable };
        if self.ops & op.bit() == 0 {
            return PathVerdict::Miss(self.on_miss);
        }
        match self.find(op, path) {
            Some((outcome, rule)) => PathVerdict::Rule(outcome, rule),
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

/// Whether a rule is let see `path` at all: always, but for the bug claim
/// 17 injects (feature `seams`), where a rule sees only its own anchor.
fn sees(rule: &PathRule, path: &AnchoredPath<'_>) -> bool {
    !(crate::seam!(DenyOnlyOwnAnchor) && rule.glob.anchor().is_some_and(|a| a != path.anchor()))
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
