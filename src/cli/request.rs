//! Request JSON for `decide` and `explain`.

use std::io::BufRead;

use palisade::{Engine, ToolRequest};
use serde::Deserialize;

/// Longest request line accepted; longer lines are an error, not a hang.
const MAX_LINE: usize = 1 << 20;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnedRequest {
    #[allow(dead_code)] // checked in `parse` before deserialising
    pub kind: String,
    pub agent: String,
    pub tool: String,
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub session: Option<String>,
    #[serde(default)]
    pub subagent: bool,
    #[serde(default = "yes")]
    pub owner: bool,
    #[serde(default)]
    pub sender: Option<String>,
}

fn yes() -> bool {
    true
}

impl OwnedRequest {
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

pub fn parse(text: &str) -> Result<OwnedRequest, String> {
    if text.len() > MAX_LINE {
        return Err(format!("request of {} bytes is over the {MAX_LINE}-byte limit", text.len()));
    }
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    match value.get("kind").and_then(|k| k.as_str()) {
        Some("tool") => {}
        Some(other) => return Err(format!("unsupported request kind `{other}` (supported: tool)")),
        None => return Err("missing field `kind` (e.g. \"kind\":\"tool\")".into()),
    }
    serde_json::from_value(value).map_err(|e| e.to_string())
}

pub fn decision_json(engine: &Engine, request: &ToolRequest<'_>) -> serde_json::Value {
    let explanation = engine.explain(request);
    serde_json::json!({
        "allowed": explanation.allowed,
        "tool": explanation.tool,
        "reason": explanation.reason,
        "at": explanation.at,
    })
}

/// Lines of at most `MAX_LINE` bytes; a longer line is an error for that
/// line only, and reading goes on with the next.
pub fn bounded_lines(mut reader: Box<dyn BufRead>) -> impl Iterator<Item = std::io::Result<String>> {
    std::iter::from_fn(move || {
        let mut buf = Vec::new();
        let mut too_long = false;
        loop {
            let chunk = match reader.fill_buf() {
                Ok(c) => c,
                Err(e) => return Some(Err(e)),
            };
            if chunk.is_empty() {
                if buf.is_empty() && !too_long {
                    return None;
                }
                break;
            }
            let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            if buf.len() + take <= MAX_LINE + 1 {
                buf.extend_from_slice(chunk.get(..take).unwrap_or(&[]));
            } else {
                too_long = true;
            }
            reader.consume(take);
            if done {
                break;
            }
        }
        if too_long {
            return Some(Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("line over {MAX_LINE} bytes"))));
        }
        while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            buf.pop();
        }
        Some(String::from_utf8(buf).map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "line is not UTF-8")))
    })
}
