//! Explanations: every layer of a context in order, what it did and why.
//! Computed on demand from the layers' rule entries; the decision it reports
//! is checked against the fast path's bit.

use super::{Engine, Layer, LayerKind, ToolRequest};
use crate::builtins::normalize_tool;
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
            },
            None => LayerTrace {
                layer: layer.kind,
                name: layer.name.clone(),
                outcome: Outcome::NotAllowed,
                why: format!("`{tool}` is not on the {} allow list", layer.name),
                at: at(allow.at.as_ref()),
                granted: false,
            },
        },
    }
}

/// Why a layer of `kind` applied to a request that left a field out, if
/// that is why: the field is decided as strictly as any value of it.
fn left_out_note(request: &ToolRequest<'_>, kind: LayerKind) -> Option<&'static str> {
    match kind {
        LayerKind::ProviderProfile | LayerKind::GlobalProvider | LayerKind::AgentProvider if request.provider.is_none() => {
            Some("no provider given: every provider entry applies")
        }
        LayerKind::Sender if request.sender.is_none() => Some("no sender given: every sender entry applies"),
        LayerKind::Group if request.session.is_none() => Some("no session given: every group entry applies"),
        LayerKind::SubagentFixed | LayerKind::Subagent if request.session.is_none() && !request.subagent => {
            Some("no session given: decided as a sub-agent's session")
        }
        LayerKind::Sandbox | LayerKind::SandboxWorkspace if request.session.is_none() => Some("no session given: decided as a sandboxed session"),
        LayerKind::OwnerOnly if request.owner && request.sender.is_none() => Some("no sender given: `owner` needs a sender listed in `owners`"),
        _ => None,
    }
}

impl Engine {
    /// Explains a request: each layer in order, the deciding one, and where
    /// in the policy it was written. Agrees with [`Engine::decide`].
    pub fn explain(&self, request: &ToolRequest<'_>) -> Explanation {
        let tool = normalize_tool(request.tool).into_owned();
        let context = match self.context(request) {
            Ok(context) => context,
            Err(error) => {
                return Explanation::denied(tool, error.to_string());
            }
        };
        if tool.is_empty() {
            return Explanation::denied(tool, "empty tool name".into());
        }
        let layers: Vec<LayerTrace> = self.layers_of(context).map(|layer| trace(layer, &tool)).collect();
        let outcome = self.outcome_name(context, &tool);
        let blocking = layers.iter().find(|l| matches!(l.outcome, Outcome::Denied | Outcome::NotAllowed));
        let asking = layers.iter().find(|l| l.outcome == Outcome::Asked);
        let (reason, at) = match (blocking, asking) {
            (Some(l), _) if l.outcome == Outcome::Denied => {
                let layer = self.layers_of(context).find(|x| x.kind == l.layer && x.name == l.name);
                let reason = match layer.and_then(|x| x.deny_reason.as_ref()) {
                    Some(reason) => reason.replace("{tool}", &tool),
                    None => format!("denied by {} deny list", l.name),
                };
                (reason, l.at.clone())
            }
            (Some(l), _) => (format!("not in {} allow list", l.name), l.at.clone()),
            (None, Some(l)) => (format!("needs approval: asked by {} ask list", l.name), l.at.clone()),
            (None, None) => {
                // The most specific allow list that named the tool is the grant.
                let grant = layers.iter().rev().find(|l| l.granted);
                match grant {
                    Some(l) => (format!("allowed by {} allow list", l.name), l.at.clone()),
                    None => ("allowed: no layer restricts it".to_string(), None),
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
        Explanation { outcome, allowed: outcome == ToolOutcome::Allow, tool, reason, at, layers }
    }
}

impl Explanation {
    fn denied(tool: String, reason: String) -> Self {
        Explanation { outcome: ToolOutcome::Deny, allowed: false, tool, reason, at: None, layers: Vec::new() }
    }
}
