//! `palisade tools`: the tools an agent may call in a context, and those it
//! may call only with a person's approval.

use std::io::Write;

use palisade::Policy;

use super::{Failure, Format};

pub(super) fn run(policy: &Policy, request: &palisade::ToolRequest<'_>, format: Format) -> Result<(), Failure> {
    let engine = policy.engine();
    let context = engine.context(request).map_err(|e| Failure::Usage(e.to_string()))?;
    if request.owner() && !context.owner() {
        let why = match request.sender() {
            None => "owner-ness belongs to a sender the policy lists in `owners`; add --sender CHANNEL:ID of one",
            Some(_) => "that sender is not in the policy's `owners`",
        };
        eprintln!("warning: --owner has no effect here: {why}");
    }
    let palisade::ToolLists { allowed: tools, ask, by_command } = engine.tool_lists(context);
    match format {
        Format::Json => outln!(
            "{}",
            serde_json::json!({"agent": request.agent(), "sandboxed": context.sandboxed(), "subagent": context.subagent(),
                "owner": context.owner(), "tools": tools, "ask": ask,
                "by_command": by_command.map(|(tool, listed)| serde_json::json!({"tool": tool, "at_most": listed.name()}))})
        ),
        Format::Text => {
            outln!(
                "# agent {} ({}sandboxed{}{})",
                request.agent().to_lowercase(),
                if context.sandboxed() { "" } else { "not " },
                if context.subagent() { ", sub-agent" } else { "" },
                if context.owner() { "" } else { ", non-owner" }
            );
            for tool in tools {
                outln!("{tool}");
            }
            // Tools that need a person's approval, marked so a script reading
            // the plain list never mistakes them for allowed ones.
            for tool in ask {
                outln!("{tool} (ask)");
            }
            if let Some((tool, listed)) = by_command {
                let most = if listed == palisade::ToolOutcome::Ask { "ask at most" } else { "allow, ask or deny" };
                outln!("{tool} (by command: {most}; see its exec rules)");
            }
        }
    }
    Ok(())
}
