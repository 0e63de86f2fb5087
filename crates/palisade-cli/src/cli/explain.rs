//! `palisade explain`: a decision with every layer, what it did and why.

use std::io::Write;

use palisade::{Engine, Policy};

use super::request::{self, AnyRequest};
use super::{Failure, Format};

pub(super) fn run(policy: &Policy, text: &str, format: Format) -> Result<(), Failure> {
    let req = match request::parse(text).map_err(|e| Failure::Usage(format!("bad request: {e}")))? {
        AnyRequest::Tool(req) => req,
        other => return inbound(policy.engine(), &other, format),
    };
    let explanation = policy.engine().explain(&req.as_request());
    match format {
        Format::Json => {
            let text = serde_json::to_string(&palisade::wire::ExplanationJson::from(&explanation)).map_err(|e| Failure::Usage(e.to_string()))?;
            outln!("{text}");
        }
        Format::Text => {
            let verdict = explanation.outcome.name().to_uppercase();
            outln!("{verdict} {} for {}: {}", explanation.tool, req.agent.to_lowercase(), explanation.reason);
            if let Some(at) = &explanation.at {
                outln!("  decided at {at}");
            }
            // One column for every layer name of this explanation (at least 40,
            // at most 60 characters); a longer name puts its reason on a line of its own.
            let width = explanation.layers.iter().map(|l| l.name.chars().count()).filter(|n| *n <= 60).max().unwrap_or(0).max(40);
            for (i, layer) in explanation.layers.iter().enumerate() {
                let mark = match layer.outcome {
                    palisade::Outcome::Pass => "pass",
                    palisade::Outcome::Denied => "DENY",
                    palisade::Outcome::NotAllowed => "MISS",
                    palisade::Outcome::Asked => "ASK",
                };
                let at = layer.at.as_deref().map(|a| format!("  [{a}]")).unwrap_or_default();
                if layer.name.chars().count() > width {
                    outln!("  {:>2}. {mark:<4} {}", i + 1, layer.name);
                    outln!("           {:width$} {}{at}", "", layer.why);
                } else {
                    outln!("  {:>2}. {mark:<4} {:<width$} {}{at}", i + 1, layer.name, layer.why);
                }
            }
            if explanation.layers.is_empty() {
                outln!("  (no layer ran)");
            }
            for (title, items) in [("command segments", &explanation.segments), ("paths", &explanation.paths)] {
                if !items.is_empty() {
                    outln!("  {title}:");
                }
                for (i, item) in items.iter().enumerate() {
                    let at = item.at.as_deref().map(|a| format!("  [{a}]")).unwrap_or_default();
                    outln!("  {:>2}. {:<5} {}{at}", i + 1, item.outcome.name().to_uppercase(), item.why);
                }
            }
        }
    }
    Ok(())
}

/// Ingress and route decisions: the decision, then the rule that gave it.
fn inbound(engine: &Engine, req: &AnyRequest, format: Format) -> Result<(), Failure> {
    let json = request::decision_json(engine, req);
    if let Format::Json = format {
        outln!("{json}");
        return Ok(());
    }
    let field = |k: &str| json.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    let at = json.get("at").and_then(|v| v.as_str()).map(|a| format!("\n  decided at {a}")).unwrap_or_default();
    match req {
        AnyRequest::Ingress(_) => outln!("{}: {}{at}", field("outcome").to_uppercase(), field("reason")),
        _ if json.get("error").is_some() => return Err(Failure::Usage(field("error"))),
        _ => {
            let sandboxed = json.get("sandboxed").and_then(serde_json::Value::as_bool).unwrap_or(false);
            outln!("ROUTE to agent {} by {}", field("agent"), field("matched_by"));
            outln!("  session {}{}{at}", field("session_key"), if sandboxed { " (sandboxed)" } else { "" });
        }
    }
    Ok(())
}
