//! Explanations: every layer of a context in order, what it did and why.
//! Computed on demand from the layers' rule entries; the decision it reports
//! is checked against the fast path's bit.

use super::args::ArgBlock;
use super::exec::ExecLayer;
use super::exec::SegmentVerdict;
use super::paths::{PathLayer, PathVerdict, PathsReading};
use super::{Engine, Layer, LayerKind, ToolRequest};
use crate::builtins::normalize_tool;
use crate::shell::Segment;
use crate::source::Location;
use crate::vocab::ToolOutcome;

/// What one layer did to the tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The tool passed this layer.
    Pass,
    /// A deny entry matched.
    Denied,
    /// The layer has an allow list and the tool is not on it.
    NotAllowed,
    /// An ask entry matched: the layer admits the tool with a person's approval.
    Asked,
}

impl Outcome {
    /// `pass`, `denied`, `not_allowed` or `asked`.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Denied => "denied",
            Outcome::NotAllowed => "not_allowed",
            Outcome::Asked => "asked",
        }
    }
}

/// One layer's part in a decision.
#[derive(Debug, Clone)]
pub struct LayerTrace {
    /// Which kind of layer.
    pub layer: LayerKind,
    /// The layer's name, e.g. `agent family` or `global provider openai`.
    pub name: String,
    /// Whether the tool passed it.
    pub outcome: Outcome,
    /// Why, in words.
    pub why: String,
    /// `file:line:col` of the list or entry that decided, when written in the policy.
    pub at: Option<String>,
    /// The tool passed because this layer's allow list names it.
    pub granted: bool,
    /// The layer's `exec` block decided (the tool lists let `exec` through).
    pub command: bool,
    /// The layer's `paths` block decided (the tool lists let the tool through).
    pub paths: bool,
}

/// One segment of an `exec` command and what the command rules made of it.
#[derive(Debug, Clone)]
pub struct SegmentTrace {
    /// The segment as Palisade read it: wrappers looked through, quotes
    /// removed, unknown words as `$u`.
    pub text: String,
    /// The strictest outcome any exec block that applies gave it.
    pub outcome: ToolOutcome,
    /// The layer whose exec block gave that outcome.
    pub layer: String,
    /// Why, naming the pattern or the setting.
    pub why: String,
    /// `file:line:col` of the pattern, or of the exec block for `on_miss` and `on_opaque`.
    pub at: Option<String>,
}

/// A decision with its reason: which layer and which source line decided.
#[derive(Debug, Clone)]
pub struct Explanation {
    /// `allow`, `ask` or `deny`.
    pub outcome: ToolOutcome,
    /// The decision: `true` only for `allow`.
    pub allowed: bool,
    /// The tool, normalised (trimmed, lowercased, aliases applied).
    pub tool: String,
    /// Why, naming the layer that decided.
    pub reason: String,
    /// `file:line:col` of the rule that decided, when written in the policy.
    pub at: Option<String>,
    /// Every layer that applies, in evaluation order.
    pub layers: Vec<LayerTrace>,
    /// For an `exec` call under command rules, each segment of the command
    /// (empty otherwise, and for a call that gave no command).
    pub segments: Vec<SegmentTrace>,
    /// For a file call under path rules, each path it touches, as written
    /// (empty otherwise, and for a call that gave no path).
    pub paths: Vec<SegmentTrace>,
}

fn at(location: Option<&Location>) -> Option<String> {
    location.map(ToString::to_string)
}

fn trace(layer: &Layer, tool: &str) -> LayerTrace {
    if let Some(entry) = layer.deny.find(tool) {
        let why = match &layer.deny_reason {
            Some(reason) => reason.replace("{tool}", tool),
            None if *entry.written == *tool => format!("`{tool}` is on the {} deny list", layer.name),
            None => format!("`{}` on the {} deny list matches `{tool}`", entry.written, layer.name),
        };
        return LayerTrace {
            layer: layer.kind,
            name: layer.name.clone(),
            outcome: Outcome::Denied,
            why,
            at: at(entry.at.as_ref().or(layer.deny.at.as_ref())),
            granted: false,
            command: false,
            paths: false,
        };
    }
    if let Some(entry) = layer.ask.find(tool) {
        let why = if *entry.written == *tool {
            format!("`{tool}` is on the {} ask list", layer.name)
        } else {
            format!("`{}` on the {} ask list matches `{tool}`", entry.written, layer.name)
        };
        return LayerTrace {
            layer: layer.kind,
            name: layer.name.clone(),
            outcome: Outcome::Asked,
            why,
            at: at(entry.at.as_ref().or(layer.ask.at.as_ref())),
            granted: false,
            command: false,
            paths: false,
        };
    }
    match &layer.allow {
        None => LayerTrace {
            layer: layer.kind,
            name: layer.name.clone(),
            outcome: Outcome::Pass,
            why: "no allow list here, and no deny entry matches".into(),
            at: None,
            granted: false,
            command: false,
            paths: false,
        },
        Some(allow) => match allow.find(tool) {
            Some(entry) => LayerTrace {
                layer: layer.kind,
                name: layer.name.clone(),
                outcome: Outcome::Pass,
                why: if *entry.written == *tool {
                    format!("`{tool}` is on the {} allow list", layer.name)
                } else {
                    format!("`{}` on the {} allow list matches `{tool}`", entry.written, layer.name)
                },
                at: at(entry.at.as_ref().or(allow.at.as_ref())),
                granted: true,
                command: false,
                paths: false,
            },
            None => LayerTrace {
                layer: layer.kind,
                name: layer.name.clone(),
                outcome: Outcome::NotAllowed,
                why: format!("`{tool}` is not on the {} allow list", layer.name),
                at: at(allow.at.as_ref()),
                granted: false,
                command: false,
                paths: false,
            },
        },
    }
}

/// What an exec block's verdict on a segment means, in words.
/// A segment is quoted as written in `command`; one that a program runs
/// from its arguments as what was judged, with the command it is in.
fn describe(verdict: SegmentVerdict<'_>, segment: &Segment, command: &str) -> (String, Option<String>) {
    let text = segment.text();
    let written = segment.written_in(command).map(code);
    let shown = match (text.is_empty(), segment.runner.as_deref(), written) {
        (_, None, Some(written)) if !segment.written_around => written,
        (true, None, None) => "a segment".to_string(),
        (true, None, Some(written)) => format!("a command in {written}"),
        (false, None, None) => code(&text),
        (false, None, Some(written)) => format!("{} (in {written})", code(&text)),
        (true, Some(runner), None) => format!("what `{runner}` runs"),
        (true, Some(runner), Some(written)) => format!("what `{runner}` runs in {written}"),
        (false, Some(runner), None) => format!("{} (run by `{runner}`)", code(&text)),
        (false, Some(runner), Some(written)) => format!("{} (run by `{runner}` in {written})", code(&text)),
    };
    match verdict {
        SegmentVerdict::Rule(outcome, rule) => (format!("{shown} matches {} pattern `{}`", outcome.name(), rule.written), at(rule.at.as_ref())),
        SegmentVerdict::Miss(outcome) => (format!("{shown} matches no pattern: on_miss {}", outcome.name()), None),
        SegmentVerdict::Inner => (format!("{shown} matches no deny or ask pattern"), None),
        SegmentVerdict::Opaque(outcome) => {
            let why = match segment.opaque {
                Some(reason) => reason.describe(),
                None if segment.program().is_none() => "the program is not known text",
                None => "it runs through a wrapper outside the block's trusted directories",
            };
            (format!("{shown} is opaque ({why}): on_opaque {}", outcome.name()), None)
        }
    }
}

/// Shell text as inline code: in double backticks when it holds one.
fn code(text: &str) -> String {
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

/// One argument's verdict in one layer: its outcome, why, where the rule
/// is written, and whether a rule granted it.
type Verdict = (ToolOutcome, String, Option<String>, bool);

/// Applies one layer's argument block to its trace and to the argument
/// traces (segments, paths), the same for every kind: each argument keeps
/// the strictest verdict any layer gave it (an allow names the rule that
/// granted it, as tool grants do), and the strictest argument decides the
/// layer. `left_out` is the verdict for a call that gave none.
fn settle(
    trace: &mut LayerTrace,
    layer: &Layer,
    block: &ArgBlock,
    verdicts: Option<Vec<Verdict>>,
    left_out: (ToolOutcome, String),
    out: &mut [SegmentTrace],
) -> bool {
    let block_at = at(block.at.as_ref());
    let (outcome, why, rule_at) = match verdicts {
        None => (left_out.0, left_out.1, None),
        Some(verdicts) => {
            let mut strictest: Option<(ToolOutcome, String, Option<String>)> = None;
            for ((outcome, why, rule_at, granted), slot) in verdicts.into_iter().zip(out.iter_mut()) {
                let grant = outcome == ToolOutcome::Allow && outcome == slot.outcome && granted;
                if slot.layer.is_empty() || outcome > slot.outcome || grant {
                    *slot = SegmentTrace {
                        text: slot.text.clone(),
                        outcome,
                        layer: layer.name.clone(),
                        why: why.clone(),
                        at: rule_at.clone().or_else(|| block_at.clone()),
                    };
                }
                if strictest.as_ref().is_none_or(|(o, _, _)| outcome > *o) {
                    strictest = Some((outcome, why, rule_at));
                }
            }
            strictest.unwrap_or((left_out.0, left_out.1, None))
        }
    };
    let listed = if trace.outcome == Outcome::Asked { ToolOutcome::Ask } else { ToolOutcome::Allow };
    if outcome <= listed {
        return false;
    }
    trace.outcome = if outcome == ToolOutcome::Deny { Outcome::Denied } else { Outcome::Asked };
    trace.why = why;
    trace.at = rule_at.or(block_at);
    trace.granted = false;
    true
}

/// A layer's exec block on a command's segments.
fn trace_exec(
    trace: &mut LayerTrace,
    layer: &Layer,
    block: &ArgBlock,
    rules: &ExecLayer,
    command: Option<(&str, &[Segment])>,
    out: &mut [SegmentTrace],
) {
    let opaque = rules.on_opaque;
    let (verdicts, left_out) = match command {
        None => (None, (opaque, format!("no command given: decided as an opaque command, on_opaque {}", opaque.name()))),
        Some((_, [])) => (None, (opaque, format!("an empty command is opaque: on_opaque {}", opaque.name()))),
        Some((text, segments)) => {
            let verdicts = segments
                .iter()
                .map(|segment| {
                    let verdict = rules.judge(segment);
                    let (why, rule_at) = describe(verdict, segment, text);
                    (verdict.outcome(), why, rule_at, matches!(verdict, SegmentVerdict::Rule(..)))
                })
                .collect();
            (Some(verdicts), (opaque, String::new()))
        }
    };
    trace.command |= settle(trace, layer, block, verdicts, left_out, out);
}

/// A layer's paths block on the paths of a file call.
fn trace_paths(
    trace: &mut LayerTrace,
    layer: &Layer,
    block: &ArgBlock,
    rules: &PathLayer,
    tool: &str,
    reading: Option<&PathsReading<'_>>,
    out: &mut [SegmentTrace],
) {
    let outcome = super::paths::op_of(tool).map_or(ToolOutcome::Allow, |op| rules.left_out(op));
    let left_out = (outcome, format!("no path given: decided as strictly as any path, {}", outcome.name()));
    let verdicts = reading.map(|reading| {
        reading
            .paths
            .iter()
            .map(|(text, path)| {
                let verdict = rules.judge(reading.op, path);
                let shown = code(&crate::paths::quoted(text));
                let (why, rule_at) = match (verdict, path) {
                    (PathVerdict::Rule(o, rule), _) => (format!("{shown} matches {} pattern `{}`", o.name(), rule.written), at(rule.at.as_ref())),
                    (PathVerdict::Miss(o), _) => (format!("{shown} matches no pattern: on_miss {}", o.name()), None),
                    (PathVerdict::Unreadable, Err(error)) => (format!("{shown} cannot be read: {error}"), None),
                    (PathVerdict::Unreadable, Ok(_)) => (format!("{shown} cannot be read"), None),
                };
                (verdict.outcome(), why, rule_at, matches!(verdict, PathVerdict::Rule(..)))
            })
            .collect()
    });
    trace.paths |= settle(trace, layer, block, verdicts, left_out, out);
}

/// Why a layer of `kind` applied to a request that left a field out, if
/// that is why: the field is decided as strictly as any value of it.
fn left_out_note(request: &ToolRequest<'_>, kind: LayerKind) -> Option<&'static str> {
    match kind {
        LayerKind::ProviderProfile | LayerKind::GlobalProvider | LayerKind::AgentProvider if request.provider().is_none() => {
            Some("no provider given: every provider entry applies")
        }
        LayerKind::Sender if request.sender().is_none() => Some("no sender given: every sender entry applies"),
        LayerKind::Group if request.session().is_none() => Some("no session given: every group entry applies"),
        LayerKind::SubagentFixed | LayerKind::Subagent if request.session().is_none() && !request.subagent() => {
            Some("no session given: decided as a sub-agent's session")
        }
        LayerKind::Sandbox | LayerKind::SandboxWorkspace if request.session().is_none() => Some("no session given: decided as a sandboxed session"),
        LayerKind::OwnerOnly if request.owner() && request.sender().is_none() => Some("no sender given: `owner` needs a sender listed in `owners`"),
        _ => None,
    }
}

impl Engine {
    /// Explains a request: each layer in order, the deciding one, and where
    /// in the policy it was written. Agrees with [`Engine::decide`].
    pub fn explain(&self, request: &ToolRequest<'_>) -> Explanation {
        let tool = normalize_tool(request.tool()).into_owned();
        let context = match self.context(request) {
            Ok(context) => context,
            Err(error) => {
                return Explanation::denied(tool, error.to_string());
            }
        };
        if tool.is_empty() {
            return Explanation::denied(tool, "empty tool name".into());
        }
        let tool_id = self.tool_id(&tool);
        let mut readings = super::args::Readings::default();
        let read = self.read_args(request, &mut readings);
        let command = read.and(readings.command());
        let paths = read.and(readings.paths());
        let mut path_traces: Vec<SegmentTrace> = paths
            .iter()
            .flat_map(|p| &p.paths)
            .map(|(text, _)| SegmentTrace {
                text: crate::paths::quoted(text).into_owned(),
                outcome: ToolOutcome::Allow,
                layer: String::new(),
                why: "no paths block applies".into(),
                at: None,
            })
            .collect();
        let mut segment_traces: Vec<SegmentTrace> = command
            .iter()
            .flat_map(|c| &c.segments)
            .map(|s| SegmentTrace {
                text: match (&s.runner, request.command().and_then(|command| s.written_in(command))) {
                    (None, Some(written)) if !s.written_around => written.to_string(),
                    _ => s.text(),
                },
                outcome: ToolOutcome::Allow,
                layer: String::new(),
                why: "no exec block applies".into(),
                at: None,
            })
            .collect();
        // A layer with no tool list is shown only where one of its blocks reads the call.
        let shown = |layer: &&Layer| {
            layer.allow.is_some()
                || !layer.ask.entries.is_empty()
                || !layer.deny.entries.is_empty()
                || layer
                    .args
                    .iter()
                    .any(|b| tool_id.is_some_and(|t| b.reads(t.index())) && (b.paths().is_none_or(|p| !p.only_given) || paths.is_some()))
        };
        let layers: Vec<LayerTrace> = self
            .layers_of(context)
            .filter(shown)
            .map(|layer| {
                let mut traced = trace(layer, &tool);
                let blocks = layer.args.iter().filter(|b| tool_id.is_some_and(|t| b.reads(t.index())));
                for block in blocks {
                    if matches!(traced.outcome, Outcome::Denied | Outcome::NotAllowed) {
                        break;
                    }
                    if let Some(rules) = block.exec() {
                        let command = command.map(|c| (c.text, c.segments.as_slice()));
                        trace_exec(&mut traced, layer, block, rules, command, &mut segment_traces);
                    }
                    if let Some(rules) = block.paths() {
                        // The built-in protected paths judge only paths given.
                        if paths.is_some() || !rules.only_given {
                            trace_paths(&mut traced, layer, block, rules, &tool, paths, &mut path_traces);
                        }
                    }
                }
                traced
            })
            .collect();
        let outcome = match read {
            Some(id) => self.call_outcome(context, id, &readings),
            None => self.outcome_name(context, &tool),
        };
        let blocking = layers.iter().find(|l| matches!(l.outcome, Outcome::Denied | Outcome::NotAllowed));
        let asking = layers.iter().find(|l| l.outcome == Outcome::Asked);
        let (reason, at) = match (blocking, asking) {
            (Some(l), _) if l.command => (format!("denied by {} exec rules: {}", l.name, l.why), l.at.clone()),
            (Some(l), _) if l.paths => (format!("denied by {} path rules: {}", l.name, l.why), l.at.clone()),
            (Some(l), _) if l.outcome == Outcome::Denied => {
                let layer = self.layers_of(context).find(|x| x.kind == l.layer && x.name == l.name);
                let reason = match layer.and_then(|x| x.deny_reason.as_ref()) {
                    Some(reason) => reason.replace("{tool}", &tool),
                    None => format!("denied by {} deny list", l.name),
                };
                (reason, l.at.clone())
            }
            (Some(l), _) => (format!("not in {} allow list", l.name), l.at.clone()),
            (None, Some(l)) if l.command => (format!("needs approval: asked by {} exec rules: {}", l.name, l.why), l.at.clone()),
            (None, Some(l)) if l.paths => (format!("needs approval: asked by {} path rules: {}", l.name, l.why), l.at.clone()),
            (None, Some(l)) => (format!("needs approval: asked by {} ask list", l.name), l.at.clone()),
            (None, None) => {
                // The most specific allow list that named the tool is the grant.
                let grant = layers.iter().rev().find(|l| l.granted);
                let commands = match (segment_traces.is_empty(), path_traces.is_empty()) {
                    (false, _) => "; every command segment is allowed by its exec rules",
                    (true, false) => "; every path is allowed by its path rules",
                    (true, true) => "",
                };
                match grant {
                    Some(l) => (format!("allowed by {} allow list{commands}", l.name), l.at.clone()),
                    None => (format!("allowed: no layer restricts it{commands}"), None),
                }
            }
        };
        // A layer that applied only because a field was left out says so.
        let reason = match blocking.or(asking).and_then(|l| left_out_note(request, l.layer)) {
            Some(note) => format!("{reason} ({note})"),
            None => reason,
        };
        // The explanation must never disagree with the bits; if it does, the
        // bits win and the mismatch is reported rather than hidden.
        let traced = match (blocking, asking) {
            (Some(_), _) => ToolOutcome::Deny,
            (None, Some(_)) => ToolOutcome::Ask,
            (None, None) => ToolOutcome::Allow,
        };
        let reason =
            if outcome == traced { reason } else { format!("internal inconsistency: explanation says {reason}, decision is {}", outcome.name()) };
        Explanation { outcome, allowed: outcome == ToolOutcome::Allow, tool, reason, at, layers, segments: segment_traces, paths: path_traces }
    }
}

impl Explanation {
    fn denied(tool: String, reason: String) -> Self {
        Explanation {
            outcome: ToolOutcome::Deny,
            allowed: false,
            tool,
            reason,
            at: None,
            layers: Vec::new(),
            segments: Vec::new(),
            paths: Vec::new(),
        }
    }
}
