//! `palisade check`: validate policies and run their `test` blocks.

use std::io::Write;
use std::path::PathBuf;

use palisade::{Code, Diagnostic, LoadError};

use super::{load, print_diagnostics, Failure, Format};

pub(super) fn run(files: &[PathBuf], format: Format, approvals: Option<&std::path::Path>, gateway: bool) -> Result<(), Failure> {
    let mut failed = false;
    let mut unreadable = false;
    let mut json = Vec::new();
    for file in files {
        let (diagnostics, summary) = match load(file, approvals) {
            Ok(policy) => {
                let engine = policy.engine();
                let tests: usize = policy.ast().tests.iter().map(|t| t.expectations.len()).sum();
                let summary = format!(
                    "ok: {} ({} agents, {} tools, {tests} test expectations passed, {} warnings)",
                    file.display(),
                    engine.agent_ids().count(),
                    engine.tool_names().len(),
                    policy.warnings().len()
                );
                if gateway {
                    gateway_notes(&policy, file, format, &mut json);
                }
                (policy.warnings().to_vec(), Some(summary))
            }
            Err(LoadError::Policy(error)) => {
                failed = true;
                (error.diagnostics, None)
            }
            Err(error) => {
                failed = true;
                unreadable = true;
                if format == Format::Json {
                    json.push(serde_json::json!({"file": file.display().to_string(), "severity": "error",
                        "code": Code::Io, "message": error.to_string()}));
                } else {
                    eprintln!("error: {error}");
                }
                continue;
            }
        };
        match format {
            Format::Json => json.extend(diagnostics.iter().map(Diagnostic::to_json)),
            Format::Text => {
                print_diagnostics(&diagnostics);
                match summary {
                    Some(s) => outln!("{s}"),
                    None => {
                        let errors = diagnostics.iter().filter(|d| d.is_error()).count();
                        eprintln!("{}: {errors} error(s)", file.display());
                    }
                }
            }
        }
    }
    if format == Format::Json {
        let out = serde_json::json!({"ok": !failed, "diagnostics": json});
        outln!("{out}");
    }
    if unreadable {
        // An I/O error is exit 2 wherever it happens (the table in `Failure`).
        Err(Failure::Reported)
    } else if failed {
        Err(Failure::Invalid)
    } else {
        Ok(())
    }
}

/// What `palisade gateway` would say at start about this policy: each tool
/// an agent's main session may call that the gateway does not run.
#[cfg(feature = "gateway")]
fn gateway_notes(policy: &palisade::Policy, file: &std::path::Path, format: Format, json: &mut Vec<serde_json::Value>) {
    for (agent, tools) in palisade_gateway::unrunnable_tools(policy.engine()) {
        let message = palisade_gateway::unrunnable_message(&agent, &tools);
        match format {
            Format::Json => json.push(serde_json::json!({"file": file.display().to_string(), "severity": "note", "code": palisade::Code::NotRunnable, "agent": agent, "tools": tools, "message": message})),
            Format::Text => eprintln!("note: {}: {message}", file.display()),
        }
    }
}

#[cfg(not(feature = "gateway"))]
fn gateway_notes(_: &palisade::Policy, file: &std::path::Path, _: Format, _: &mut Vec<serde_json::Value>) {
    eprintln!("note: {}: this palisade is built without the gateway, so `--gateway` has nothing to say", file.display());
}
