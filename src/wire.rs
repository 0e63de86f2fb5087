//! The JSON requests and decisions of `palisade decide` and the gateway's
//! `/v1/decide`: one wire format for both.

use crate::engine::Inbound;
use crate::vocab::ChatKind;
use crate::{Engine, ToolRequest};
use serde::Deserialize;

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
}

impl OwnedRequest {
    /// The borrowed form the engine decides.
    pub fn as_request(&self) -> ToolRequest<'_> {
        ToolRequest {
            agent: &self.agent,
            tool: &self.tool,
            provider: self.provider.as_deref(),
            session: self.session.as_deref(),
            subagent: self.subagent,
            owner: self.owner,
            sender: self.sender.as_deref(),
        }
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
        "tool" => AnyRequest::Tool(serde_json::from_value(value).map_err(err)?),
        "ingress" => AnyRequest::Ingress(serde_json::from_value(value).map_err(err)?),
        _ => AnyRequest::Route(serde_json::from_value(value).map_err(err)?),
    })
}

/// The JSON decision for a request, as `palisade decide` prints it and `/v1/decide` returns it.
pub fn decision_json(engine: &Engine, request: &AnyRequest) -> serde_json::Value {
    match request {
        AnyRequest::Tool(req) => {
            let explanation = engine.explain(&req.as_request());
            serde_json::json!({
                "allowed": explanation.allowed,
                "tool": explanation.tool,
                "reason": explanation.reason,
                "at": explanation.at,
            })
        }
        AnyRequest::Ingress(inbound) => inbound.with_inbound(|inbound| {
            let decision = engine.gate(inbound);
            serde_json::json!({
                "outcome": decision.outcome,
                "reason": decision.reason,
                "at": decision.at.map(ToString::to_string),
            })
        }),
        AnyRequest::Route(inbound) => inbound.with_inbound(|inbound| match engine.route(inbound) {
            Ok(route) => serde_json::json!({
                "agent": route.agent,
                "session_key": route.session_key,
                "sandboxed": route.sandboxed,
                "matched_by": route.matched_by.to_string(),
                "at": route.at.map(ToString::to_string),
            }),
            Err(e) => serde_json::json!({"error": e.to_string()}),
        }),
    }
}
