//! `paths` blocks into compiled path rules (ARCHITECTURE.md, Paths): each
//! pattern checked where it is written, and the built-in protected paths
//! that no rule can lift.

use super::Compiler;
use crate::ast::PathsBlock;
use crate::diagnostic::Code;
use crate::engine::args::{ArgBlock, KindRules};
use crate::engine::paths::{PathLayer, PathRule};
use crate::paths::PathGlob;
use crate::vocab::{ByOutcome, PathOp, ToolOutcome};

/// Paths no call may write, whatever the policy says: shell and tool
/// start-up files, git's hooks and configuration, editor task settings
/// (the files sandbox-runtime protects), which run code the next time a
/// person or a program starts. Floating, so each holds at any depth and
/// under any anchor.
pub(crate) const PROTECTED_WRITES: &[&str] = &[
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".bash_logout",
    ".profile",
    ".zshrc",
    ".zprofile",
    ".zshenv",
    ".zlogin",
    ".gitconfig",
    ".gitmodules",
    ".ripgreprc",
    ".mcp.json",
    "**/.git/hooks/**",
    "**/.git/config",
    "**/.vscode/**",
    "**/.idea/**",
    "**/.claude/commands/**",
    "**/.claude/agents/**",
];

impl Compiler<'_> {
    /// Compiles one `paths` block; a bad pattern is an error at its string.
    pub(super) fn paths_block(&mut self, block: &PathsBlock) -> ArgBlock {
        let mut rules: ByOutcome<Vec<PathRule>> = ByOutcome::default();
        for (outcome, list) in block.rules.iter() {
            for rule in list {
                let ops = if rule.ops.is_empty() {
                    PathOp::ALL.iter().map(|op| op.bit()).sum()
                } else {
                    rule.ops.iter().map(|op| op.value.bit()).fold(0, |a, b| a | b)
                };
                match PathGlob::new(&rule.pattern.value) {
                    Ok(glob) => rules.get_mut(outcome).push(PathRule {
                        glob,
                        ops,
                        written: rule.pattern.value.clone(),
                        at: Some(self.source.location(rule.pattern.span)),
                    }),
                    Err(why) => {
                        self.error(Code::BadPathPattern, rule.pattern.span, format!("bad path pattern `{}`: {why}", rule.pattern.value)).help = Some(
                            "a path pattern is gitignore-style: relative to the workspace (`src/**`, `/build`), `~/` for home, `//` for the root; `*` and `?` within a component, `**` across them; a name without `/` matches at any depth".into(),
                        );
                    }
                }
            }
        }
        let layer = PathLayer::new(rules, block.on_miss.as_ref().map(|o| o.value));
        self.arg_block(KindRules::Paths(layer), Some(self.source.location(block.span)))
    }

    /// The built-in protected paths, as a block of their own: every write
    /// to one is denied; a call that gives no path is left to the policy.
    pub(super) fn protected_paths(&self) -> ArgBlock {
        let rules = PROTECTED_WRITES
            .iter()
            .filter_map(|pattern| {
                let glob = PathGlob::new(pattern).ok()?;
                Some(PathRule { glob, ops: PathOp::Write.bit(), written: (*pattern).to_string(), at: None })
            })
            .collect();
        let mut layer = PathLayer::new(ByOutcome { allow: Vec::new(), ask: Vec::new(), deny: rules }, Some(ToolOutcome::Allow));
        layer.only_given = true;
        self.arg_block(KindRules::Paths(layer), None)
    }
}
