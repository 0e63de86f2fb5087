//! `exec` blocks into compiled command rules (ARCHITECTURE.md, Exec
//! commands): pattern syntax checked where it is written, and warnings for
//! patterns that can never decide because a stricter one always does.

use super::Compiler;
use crate::ast::{ExecBlock, Spanned};
use crate::diagnostic::Code;
use crate::engine::args::{ArgBlock, KindRules};
use crate::engine::exec::{CommandPattern, ExecLayer, ExecRule};
use crate::engine::{AgentEntry, ArgKind, GlobalLayers, LayerId};
use crate::vocab::ByOutcome;

/// Pattern pairs compared per program before the shadowing warnings stop
/// (they are advice; a 10,000-pattern block must still compile quickly).
const SHADOW_BUDGET: usize = 1 << 20;

impl Compiler<'_> {
    /// Compiles one `exec` block; a bad pattern is an error at its string.
    pub(super) fn exec_block(&mut self, block: &ExecBlock) -> ArgBlock {
        let patterns = ByOutcome {
            allow: self.exec_rules(&block.patterns.allow, None),
            ask: self.exec_rules(&block.patterns.ask, Some("asked about")),
            deny: self.exec_rules(&block.patterns.deny, Some("denied")),
        };
        let trusted = block.trusted_dirs.as_ref().map(|dirs| dirs.iter().map(|d| d.value.clone()).collect());
        let rules = ExecLayer::new(patterns, block.on_miss.as_ref().map(|o| o.value), block.on_opaque.as_ref().map(|o| o.value), trusted);
        self.check_shadowed(&rules, &rules, "in the same block");
        self.arg_block(KindRules::Exec(rules), Some(self.source.location(block.span)))
    }

    /// The block's patterns of one kind; `literal_warning`: what a deny or
    /// ask pattern does, for the warning on options it matches only as
    /// written.
    fn exec_rules(&mut self, patterns: &[Spanned<String>], literal_warning: Option<&str>) -> Vec<ExecRule> {
        let mut rules = Vec::with_capacity(patterns.len());
        for written in patterns {
            let parsed = crate::shell::pattern_words(&written.value).and_then(|words| CommandPattern::new(words).map_err(|e| e.to_string()));
            match parsed {
                Ok(pattern) => {
                    if let Some(what) = literal_warning {
                        self.check_literal_options(&pattern, written, what);
                    }
                    rules.push(ExecRule { pattern, written: written.value.clone(), at: Some(self.source.location(written.span)) });
                }
                Err(why) => {
                    self.error(Code::BadExecPattern, written.span, format!("bad exec pattern `{}`: {why}", written.value)).help = Some(
                        "a pattern is a program (a name such as `git`, or an absolute path) and argument tokens; `*` and `?` glob inside one argument, a final lone `*` takes any further arguments".into(),
                    );
                }
            }
        }
        rules
    }

    /// Warns where a deny or ask pattern names an option it can match only
    /// as written: another spelling of the same option escapes it.
    fn check_literal_options(&mut self, pattern: &CommandPattern, written: &Spanned<String>, what: &str) {
        let literal = pattern.literal_options();
        let Some(first) = literal.first() else { return };
        let names = literal.iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(", ");
        self.warning(Code::LiteralOption, written.span, format!("`{}` matches {names} only as written: another spelling of the same option is not {what}", written.value)).help = Some(format!(
            "options are read as a set of letters only in the leading run of short options (`rm -rf` is also `rm -r -f` and `rm -fr`), and long options only for {}; write each spelling (`{first}` and its other forms), or name the program more widely",
            crate::shell::options::PROGRAMS
        ));
    }

    /// Warns where a pattern of `later` can never decide because a stricter
    /// pattern of `earlier` matches every command it does: an allow under a
    /// deny or an ask, an ask under a deny.
    fn check_shadowed(&mut self, earlier: &ExecLayer, later: &ExecLayer, where_: &str) {
        let pairs = [
            (&later.rules.allow, &earlier.rules.deny, "allow", "deny"),
            (&later.rules.allow, &earlier.rules.ask, "allow", "ask"),
            (&later.rules.ask, &earlier.rules.deny, "ask", "deny"),
        ];
        let mut budget = SHADOW_BUDGET;
        for (shadowed, stricter, what, by) in pairs {
            // Only a pattern of the same program, whose first argument is
            // the same literal or not a literal, can cover another: index
            // them so that a 10,000-pattern block compiles in linear time.
            let mut by_program: crate::engine::Map<(&str, Option<&str>), Vec<&ExecRule>> = crate::engine::Map::default();
            for rule in stricter {
                by_program.entry((rule.pattern.program(), rule.pattern.first_literal())).or_default().push(rule);
            }
            for rule in shadowed {
                let program = rule.pattern.program();
                let first = rule.pattern.first_literal();
                let keys = [Some((program, None)), first.map(|f| (program, Some(f)))];
                let found = keys.iter().flatten().filter_map(|k| by_program.get(k)).flatten().find(|s| {
                    budget = budget.saturating_sub(1);
                    budget > 0 && s.pattern.covers(&rule.pattern)
                });
                let (Some(by_rule), Some(at)) = (found, rule.at.as_ref()) else { continue };
                let span = self.span_at(at);
                let by_at = by_rule.at.as_ref().map(ToString::to_string).unwrap_or_default();
                let already = self.sink.diagnostics.iter().any(|d| d.span == span && d.code == Code::ShadowedPattern);
                if !already {
                    self.warning(
                        Code::ShadowedPattern,
                        span,
                        format!(
                            "{what} pattern `{}` never decides: {by} pattern `{}` ({by_at}) {where_} matches every command it does",
                            rule.written, by_rule.written
                        ),
                    );
                }
            }
        }
    }

    /// Warns where an allow (or ask) pattern of an exec block is already
    /// denied by the exec block of a layer that applies before it in every
    /// context of the agent: the global `tools` block, then the agent's.
    pub(super) fn check_exec_layers(&mut self, global: &GlobalLayers, agents: &[AgentEntry]) {
        let has_exec = |layers: &[crate::engine::Layer], id: &LayerId| layers.get(*id as usize).is_some_and(|l| l.block(ArgKind::Exec).is_some());
        let mut pairs: Vec<(LayerId, LayerId)> = Vec::new();
        for agent in agents {
            let chain: Vec<LayerId> = [global.rules, agent.rules]
                .into_iter()
                .chain(agent.provider_rules.iter().copied())
                .chain([Some(agent.sandbox_tools), agent.subagent, global.subagent])
                .chain(agent.sender.iter().copied())
                .flatten()
                .filter(|id| has_exec(&self.layers, id))
                .collect();
            let firsts = [global.rules, agent.rules].into_iter().flatten().filter(|id| has_exec(&self.layers, id));
            for earlier in firsts {
                let later = chain.iter().skip_while(|id| **id != earlier).skip(1).filter(|id| **id != earlier);
                pairs.extend(later.map(|l| (earlier, *l)));
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        for (earlier, later) in pairs {
            let exec_of = |id: LayerId| self.layers.get(id as usize).and_then(|l| l.block(ArgKind::Exec)).and_then(|b| b.exec()).cloned();
            if let (Some(earlier), Some(later)) = (exec_of(earlier), exec_of(later)) {
                self.check_shadowed(&earlier, &later, "in an earlier layer");
            }
        }
    }
}
