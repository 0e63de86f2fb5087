//! The JSON requests and decisions of `palisade decide` and the gateway's
//! `/v1/decide`: one wire format for both, and the one home of every JSON
//! shape the CLI and the gateway print (the engine's types carry no
//! `Serialize`).

use serde::{Deserialize, Serialize};

use crate::engine::{Explanation, Inbound, IngressDecision, LayerTrace, Route, SandboxConfig, SegmentTrace};
use crate::vocab::{ChatKind, SandboxMode, SandboxScope, WorkspaceAccess};
use crate::{Engine, ToolRequest};

/// Longest request line accepted; longer lines are an error, not a hang.
pub const MAX_LINE: usize = 1 << 20;

/// A `tool` request line.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnedRequest {
    /// `"tool"`.
    #[allow(dead_code)] // checked in `parse` before deserialising
    pub kind: String,
    /// The agent making the call.
    pub agent: String,
    /// The tool.
    pub tool: String,
    /// `provider` or `provider/model`.
    #[serde(default)]
    pub provider: Option<String>,
    /// The session key.
    #[serde(default)]
    pub session: Option<String>,
    /// The caller is a sub-agent.
    #[serde(default)]
    pub subagent: bool,
    /// Left out: not an owner (fail closed).
    #[serde(default)]
    pub owner: bool,
    /// `channel:id` of the sender.
    #[serde(default)]
    pub sender: Option<String>,
    /// The call's arguments; for `exec`, `{"command": "...", "cwd": "..."}`.
    #[serde(default)]
    pub args: Option<serde_json::Map<String, serde_json::Value>>,
}

impl OwnedRequest {
    /// The borrowed form the engine decides.
    pub fn as_request(&self) -> ToolRequest<'_> {
        let request = ToolRequest::new(&self.agent, &self.tool)
            .with_provider(self.provider.as_deref())
            .with_session(self.session.as_deref())
            .with_subagent(self.subagent)
            .with_owner(self.owner)
            .with_sender(self.sender.as_deref());
        match &self.args {
            Some(args) => request.with_args(crate::Args::json(args)),
            None => request,
        }
    }

    /// An `exec` argument that is given but is no string would be read as
    /// no command at all: refused instead, so the caller sees the mistake.
    fn check_args(&self) -> Result<(), String> {
        for name in ["command", "cwd"] {
            match self.args.as_ref().and_then(|a| a.get(name)) {
                None | Some(serde_json::Value::String(_)) => {}
                Some(_) => return Err(format!("`args.{name}` must be a string")),
            }
        }
        Ok(())
    }
}

/// An inbound message, for `ingress` and `route` requests (and the
/// gateway's `/v1/ingress`, where `kind` may be left out).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnedInbound {
    /// `"ingress"` or `"route"`.
    #[allow(dead_code)] // checked in `parse` before deserialising
    #[serde(default)]
    pub kind: String,
    /// The channel.
    pub channel: String,
    /// The channel account; left out, the default one.
    #[serde(default)]
    pub account: Option<String>,
    /// Direct (the default), group or channel.
    #[serde(default = "direct")]
    pub chat: ChatKind,
    /// Defaults to the sender for direct chats.
    #[serde(default)]
    pub chat_id: Option<String>,
    /// The sender's id.
    #[serde(default)]
    pub sender: String,
    /// The message text.
    #[serde(default)]
    pub text: String,
    /// Left out (or null): not mentioned.
    #[serde(default)]
    pub mentioned: Option<bool>,
    /// `false`: the platform cannot flag mentions, so mention gating cannot
    /// drop (unless the channel has mention patterns). Left out: it can.
    #[serde(default)]
    pub can_detect_mention: Option<bool>,
    /// The adapter parsed the text as a control command.
    #[serde(default)]
    pub command: bool,
    /// The sender was approved through pairing.
    #[serde(default)]
    pub paired: bool,
    /// Thread id.
    #[serde(default)]
    pub thread: Option<String>,
    /// Telegram forum topic.
    #[serde(default)]
    pub topic: Option<String>,
    /// The thread's parent peer.
    #[serde(default)]
    pub parent: Option<String>,
    /// Discord guild id.
    #[serde(default)]
    pub guild: Option<String>,
    /// Slack team id.
    #[serde(default)]
    pub team: Option<String>,
    /// The sender's Discord roles.
    #[serde(default)]
    pub roles: Vec<String>,
}

fn direct() -> ChatKind {
    ChatKind::Direct
}

impl OwnedInbound {
    /// Runs `f` on the borrowed form; the roles slice lives on this frame.
    pub fn with_inbound<R>(&self, f: impl FnOnce(&Inbound<'_>) -> R) -> R {
        let roles: Vec<&str> = self.roles.iter().map(String::as_str).collect();
        let chat_id = match (&self.chat_id, self.chat) {
            (Some(id), _) => id.as_str(),
            (None, ChatKind::Direct) => self.sender.as_str(),
            (None, _) => "",
        };
        // Left out, `mentioned` is "not mentioned" (fail closed); only
        // `can_detect_mention: false` says the platform cannot tell.
        let convenient = crate::seam!(ConvenientDefaults);
        let mentioned = match (self.can_detect_mention, self.mentioned) {
            (Some(false), _) => None,
            (_, None) if convenient => None,
            (_, given) => Some(given.unwrap_or(false)),
        };
        let inbound = Inbound {
            channel: &self.channel,
            account: self.account.as_deref(),
            chat: self.chat,
            chat_id,
            sender: &self.sender,
            text: &self.text,
            mentioned,
            command: self.command,
            paired: self.paired,
            thread: self.thread.as_deref(),
            topic: self.topic.as_deref(),
            parent: self.parent.as_deref(),
            guild: self.guild.as_deref(),
            team: self.team.as_deref(),
            roles: &roles,
        };
        f(&inbound)
    }
}

/// One line of `decide` input.
#[derive(Debug)]
pub enum AnyRequest {
    /// May this agent make this tool call?
    Tool(OwnedRequest),
    /// May this message reach an agent?
    Ingress(OwnedInbound),
    /// Which agent and session does this message belong to?
    Route(OwnedInbound),
}

/// Reads one request line; the error says what is wrong with it.
pub fn parse(text: &str) -> Result<AnyRequest, String> {
    if text.len() > MAX_LINE {
        return Err(format!("request of {} bytes is over the {MAX_LINE}-byte limit", text.len()));
    }
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let kind = match value.get("kind").and_then(|k| k.as_str()) {
        Some(kind @ ("tool" | "ingress" | "route")) => kind.to_string(),
        Some(other) => return Err(format!("unsupported request kind `{other}` (supported: tool, ingress, route)")),
        None => return Err("missing field `kind` (\"tool\", \"ingress\" or \"route\")".into()),
    };
    let err = |e: serde_json::Error| e.to_string();
    Ok(match kind.as_str() {
        "tool" => {
            let request: OwnedRequest = serde_json::from_value(value).map_err(err)?;
            request.check_args()?;
            AnyRequest::Tool(request)
        }
        "ingress" => AnyRequest::Ingress(serde_json::from_value(value).map_err(err)?),
        _ => AnyRequest::Route(serde_json::from_value(value).map_err(err)?),
    })
}

/// The JSON decision for a request, as `palisade decide` prints it and `/v1/decide` returns it.
pub fn decision_json(engine: &Engine, request: &AnyRequest) -> serde_json::Value {
    let value = match request {
        AnyRequest::Tool(req) => serde_json::to_value(ToolDecisionJson::from(&engine.explain(&req.as_request()))),
        AnyRequest::Ingress(inbound) => inbound.with_inbound(|inbound| serde_json::to_value(GateJson::from(&engine.gate(inbound)))),
        AnyRequest::Route(inbound) => inbound.with_inbound(|inbound| match engine.route(inbound) {
            Ok(route) => serde_json::to_value(RouteJson::from(&route)),
            Err(e) => Ok(serde_json::json!({"error": e.to_string()})),
        }),
    };
    value.unwrap_or_else(|e| serde_json::json!({"error": e.to_string()}))
}

// ---- JSON shapes -------------------------------------------------------------
//
// The engine's types carry no `Serialize`: these DTOs are the one home of
// each JSON shape, so renaming an engine type never changes `/v1/decide`.

/// A tool decision: `{"allowed", "outcome", "tool", "reason", "at"}`.
#[derive(Debug, Serialize)]
pub struct ToolDecisionJson<'e> {
    /// The decision: `true` only for `allow`.
    pub allowed: bool,
    /// `allow`, `ask` or `deny`.
    pub outcome: &'static str,
    /// The normalised tool name.
    pub tool: &'e str,
    /// Why.
    pub reason: &'e str,
    /// `file:line:col` of the deciding rule.
    pub at: Option<&'e str>,
    /// For an `exec` command under command rules: each segment (left out otherwise).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<SegmentJson<'e>>,
    /// For a file call under path rules: each path it touches (left out otherwise).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<PathJson<'e>>,
}

impl<'e> From<&'e Explanation> for ToolDecisionJson<'e> {
    fn from(e: &'e Explanation) -> Self {
        ToolDecisionJson {
            allowed: e.allowed,
            outcome: e.outcome.name(),
            tool: &e.tool,
            reason: &e.reason,
            at: e.at.as_deref(),
            segments: e.segments.iter().map(SegmentJson::from).collect(),
            paths: e.paths.iter().map(PathJson::from).collect(),
        }
    }
}

/// One path of a file call: `{"path", "outcome", "layer", "why", "at"}`.
#[derive(Debug, Serialize)]
pub struct PathJson<'e> {
    /// The path as written in the call (its first 200 bytes and its length when longer).
    pub path: &'e str,
    /// `allow`, `ask` or `deny`.
    pub outcome: &'static str,
    /// The layer whose paths block decided it.
    pub layer: &'e str,
    /// Why.
    pub why: &'e str,
    /// Where the deciding pattern (or the paths block) is written.
    pub at: Option<&'e str>,
}

impl<'e> From<&'e SegmentTrace> for PathJson<'e> {
    fn from(s: &'e SegmentTrace) -> Self {
        PathJson { path: &s.text, outcome: s.outcome.name(), layer: &s.layer, why: &s.why, at: s.at.as_deref() }
    }
}

/// One segment of an `exec` command: `{"segment", "outcome", "layer", "why", "at"}`.
#[derive(Debug, Serialize)]
pub struct SegmentJson<'e> {
    /// The segment as Palisade read it.
    pub segment: &'e str,
    /// `allow`, `ask` or `deny`.
    pub outcome: &'static str,
    /// The layer whose exec block decided it.
    pub layer: &'e str,
    /// Why.
    pub why: &'e str,
    /// Where the deciding pattern (or the exec block) is written.
    pub at: Option<&'e str>,
}

impl<'e> From<&'e SegmentTrace> for SegmentJson<'e> {
    fn from(s: &'e SegmentTrace) -> Self {
        SegmentJson { segment: &s.text, outcome: s.outcome.name(), layer: &s.layer, why: &s.why, at: s.at.as_deref() }
    }
}

/// A tool decision with every layer: `palisade explain --format json`.
#[derive(Debug, Serialize)]
pub struct ExplanationJson<'e> {
    /// The decision.
    #[serde(flatten)]
    pub decision: ToolDecisionJson<'e>,
    /// Every layer that applies, in evaluation order.
    pub layers: Vec<LayerJson<'e>>,
}

impl<'e> From<&'e Explanation> for ExplanationJson<'e> {
    fn from(e: &'e Explanation) -> Self {
        ExplanationJson { decision: e.into(), layers: e.layers.iter().map(LayerJson::from).collect() }
    }
}

/// One layer of an explanation.
#[derive(Debug, Serialize)]
pub struct LayerJson<'e> {
    /// The layer's kind, e.g. `agent_provider`.
    pub layer: &'static str,
    /// The layer's name.
    pub name: &'e str,
    /// `pass`, `denied`, `not_allowed` or `asked`.
    pub outcome: &'static str,
    /// Why.
    pub why: &'e str,
    /// Where the deciding entry is written.
    pub at: Option<&'e str>,
    /// The tool passed because this layer's allow list names it.
    pub granted: bool,
    /// The layer's exec block decided (present only when it did).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub command: bool,
    /// The layer's paths block decided (present only when it did).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub paths: bool,
}

impl<'e> From<&'e LayerTrace> for LayerJson<'e> {
    fn from(t: &'e LayerTrace) -> Self {
        LayerJson {
            layer: t.layer.name(),
            name: &t.name,
            outcome: t.outcome.name(),
            why: &t.why,
            at: t.at.as_deref(),
            granted: t.granted,
            command: t.command,
            paths: t.paths,
        }
    }
}

/// A gate decision: `{"outcome", "reason", "at"}`.
#[derive(Debug, Serialize)]
pub struct GateJson {
    /// `accept`, `drop` or `pair`.
    pub outcome: &'static str,
    /// Why.
    pub reason: &'static str,
    /// Where the deciding rule is written.
    pub at: Option<String>,
}

impl From<&IngressDecision<'_>> for GateJson {
    fn from(d: &IngressDecision<'_>) -> Self {
        GateJson { outcome: d.outcome.name(), reason: d.reason, at: d.at.map(ToString::to_string) }
    }
}

/// A route: `{"agent", "session_key", "sandboxed", "matched_by", "at"}`.
#[derive(Debug, Serialize)]
pub struct RouteJson<'e> {
    /// The agent.
    pub agent: &'e str,
    /// The session key.
    pub session_key: &'e str,
    /// Tool calls run sandboxed.
    pub sandboxed: bool,
    /// Which binding chose the agent, in words.
    pub matched_by: String,
    /// Where that binding is written.
    pub at: Option<String>,
}

impl<'e> From<&'e Route<'e>> for RouteJson<'e> {
    fn from(r: &'e Route<'e>) -> Self {
        RouteJson {
            agent: r.agent,
            session_key: &r.session_key,
            sandboxed: r.sandboxed,
            matched_by: r.matched_by.to_string(),
            at: r.at.map(ToString::to_string),
        }
    }
}

/// An agent's resolved sandbox settings, as the gateway hashes them for a
/// shared container's name (so the shape is part of those names).
#[derive(Debug, Serialize)]
pub struct SandboxJson<'e> {
    /// `off`, `non-main` or `all`.
    pub mode: SandboxMode,
    /// `session`, `agent` or `shared`.
    pub scope: SandboxScope,
    /// `none`, `ro`, `rw` or `shared_with_host`.
    pub workspace: WorkspaceAccess,
    /// Container settings.
    pub docker: DockerJson<'e>,
}

/// Container settings, field for field.
#[derive(Debug, Serialize)]
#[allow(missing_docs)] // the fields are `DockerConfig`'s, documented there
pub struct DockerJson<'e> {
    pub image: &'e str,
    pub prefix: &'e str,
    pub network: &'e str,
    pub read_only_root: bool,
    pub cap_drop: &'e [String],
    pub no_new_privileges: bool,
    pub init: bool,
    pub memory_bytes: u64,
    pub pids: u64,
    pub cpus_micro: u64,
    pub user: &'e str,
    pub binds: &'e [String],
}

impl<'e> From<&'e SandboxConfig> for SandboxJson<'e> {
    fn from(c: &'e SandboxConfig) -> Self {
        let d = &c.docker;
        SandboxJson {
            mode: c.mode,
            scope: c.scope,
            workspace: c.workspace,
            docker: DockerJson {
                image: &d.image,
                prefix: &d.prefix,
                network: &d.network,
                read_only_root: d.read_only_root,
                cap_drop: &d.cap_drop,
                no_new_privileges: d.no_new_privileges,
                init: d.init,
                memory_bytes: d.memory_bytes,
                pids: d.pids,
                cpus_micro: d.cpus_micro,
                user: &d.user,
                binds: &d.binds,
            },
        }
    }
}
