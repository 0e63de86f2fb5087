//! Writes the peer bench's policy and request stream (`benches/peers.rs`, the
//! seed's 3 agents) for the language bindings' benches: `peers.pal`,
//! `peers.cedar`, `entities.json` and `stream.jsonl`, each request with
//! Palisade's decision, so a bench can check that both engines agree before
//! it times them.
//!
//!   cargo run -p palisade-testkit --example bench_fixture -- DIR

use std::error::Error;
use std::path::PathBuf;

use palisade::{Policy, ToolRequest};
use palisade_testkit::bench_policy;

fn main() -> Result<(), Box<dyn Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).ok_or("usage: bench_fixture DIR")?);
    std::fs::create_dir_all(&dir)?;
    let agents = bench_policy::agents(0, 0);
    let text = bench_policy::palisade_policy(&agents, 0);
    let engine = Policy::from_dsl("peers.pal", &text)?.into_engine();
    std::fs::write(dir.join("peers.pal"), &text)?;
    std::fs::write(dir.join("peers.cedar"), bench_policy::cedar_policies(&agents))?;
    let entities: Vec<serde_json::Value> =
        agents.iter().map(|a| serde_json::json!({"uid": {"type": "Agent", "id": a.id}, "attrs": {}, "parents": []})).collect();
    std::fs::write(dir.join("entities.json"), serde_json::to_string(&entities)?)?;
    let mut lines = String::new();
    for r in bench_policy::stream(&agents) {
        let session = r.session();
        let request =
            ToolRequest::new(&r.agent, r.tool).with_provider(r.provider).with_session(&session).with_subagent(r.subagent).with_owner(r.owner);
        let line = serde_json::json!({
            "agent": r.agent,
            "tool": r.tool,
            "provider": r.provider,
            "session": session,
            "subagent": r.subagent,
            "owner": r.owner,
            // The Cedar rendering's context, as `palisade_testkit::cedar` builds it.
            "cedar_context": {
                "provider": r.provider.unwrap_or("").to_lowercase(),
                "main_session": r.main_session && !r.subagent,
                "subagent": r.subagent,
                "owner": r.owner,
            },
            "allowed": engine.decide(&request),
        });
        lines.push_str(&line.to_string());
        lines.push('\n');
    }
    std::fs::write(dir.join("stream.jsonl"), lines)?;
    eprintln!("wrote the fixture to {}", dir.display());
    Ok(())
}
