//! Explanations: every layer of a context in order, what it did and why.
//! Computed on demand from the layers' rule entries; the decision it reports
//! is checked against the fast path's bit.

use super::args::ArgBlock;
use super::exec::ExecLayer;
use super::exec::SegmentVerdict;
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
            },
            None => LayerTrace {
                layer: layer.kind,
                name: layer.name.clone(),
                outcome: Outcome::NotAllowed,
                why: format!("`{tool}` is not on the {} allow list", layer.name),
                at: at(allow.at.as_ref()),
                granted: false,
                command: false,
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

/// Applies a layer's exec block to its trace and to the segment traces:
/// the strictest segment decides the layer; each segment keeps the
/// strictest verdict any layer gave it.
fn trace_exec(
    trace: &mut LayerTrace,
    layer: &Layer,
    block: &ArgBlock,
    rules: &ExecLayer,
    command: Option<(&str, &[Segment])>,
    out: &mut [SegmentTrace],
) {
    let block_at = at(block.at.as_ref());
    let (outcome, why, rule_at) = match command {
        None => (rules.on_opaque, format!("no command given: decided as an opaque command, on_opaque {}", rules.on_opaque.name()), None),
        Some((_, [])) => (rules.on_opaque, format!("an empty command is opaque: on_opaque {}", rules.on_opaque.name()), None),
        Some((text, segments)) => {
            let mut strictest: Option<(ToolOutcome, String, Option<String>)> = None;
            for (segment, slot) in segments.iter().zip(out.iter_mut()) {
                let verdict = rules.judge(segment);
                let outcome = verdict.outcome();
                // An allow names the pattern that granted it, as tool grants do.
                let grant = outcome == ToolOutcome::Allow && outcome == slot.outcome && matches!(verdict, SegmentVerdict::Rule(..));
                let (why, rule_at) = describe(verdict, segment, text);
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
            strictest.unwrap_or((rules.on_opaque, String::new(), None))
        }
    };
    let listed = if trace.outcome == Outcome::Asked { ToolOutcome::Ask } else { ToolOutcome::Allow };
    if outcome > listed {
        trace.outcome = if outcome == ToolOutcome::Deny { Outcome::Denied } else { Outcome::Asked };
        trace.why = why;
        trace.at = rule_at.or(block_at);
        trace.granted = false;
        trace.command = true;
    }
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
        let read = self.read_args(request);
        let command = read.as_ref().and_then(|(_, readings)| readings.command());
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
        let layers: Vec<LayerTrace> = self
            .layers_of(context)
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
                }
                traced
            })
            .collect();
        let outcome = match &read {
            Some((tool, readings)) => self.call_outcome(context, *tool, readings),
            None => self.outcome_name(context, &tool),
        };
        let blocking = layers.iter().find(|l| matches!(l.outcome, Outcome::Denied | Outcome::NotAllowed));
        let asking = layers.iter().find(|l| l.outcome == Outcome::Asked);
        let (reason, at) = match (blocking, asking) {
            (Some(l), _) if l.command => (format!("denied by {} exec rules: {}", l.name, l.why), l.at.clone()),
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
            (None, Some(l)) => (format!("needs approval: asked by {} ask list", l.name), l.at.clone()),
            (None, None) => {
                // The most specific allow list that named the tool is the grant.
                let grant = layers.iter().rev().find(|l| l.granted);
                let commands = if segment_traces.is_empty() { "" } else { "; every command segment is allowed by its exec rules" };
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
        Explanation { outcome, allowed: outcome == ToolOutcome::Allow, tool, reason, at, layers, segments: segment_traces }
    }
}

impl Explanation {
    fn denied(tool: String, reason: String) -> Self {
        Explanation { outcome: ToolOutcome::Deny, allowed: false, tool, reason, at: None, layers: Vec::new(), segments: Vec::new() }
    }
}
