//! `palisade decide`: one JSON decision per request.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use palisade::Policy;

use super::request;
use super::Failure;

pub(super) fn run(policy: &Policy, request: Option<String>, requests: Option<PathBuf>) -> Result<(), Failure> {
    let engine = policy.engine();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if let Some(text) = request {
        let req = request::parse(&text).map_err(|e| Failure::Usage(format!("bad request: {e}")))?;
        let _ = writeln!(out, "{}", request::decision_json(engine, &req));
        return Ok(());
    }
    let Some(path) = requests else { return Err(Failure::Usage("give --request or --requests".into())) };
    let cannot_read = |e: &dyn std::fmt::Display| Failure::Usage(format!("cannot read {}: {e}", path.display()));
    let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        let file = std::fs::File::open(&path).map_err(|e| cannot_read(&e))?;
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            return Err(cannot_read(&"it is a directory; give a file of JSON lines, or - for stdin"));
        }
        Box::new(std::io::BufReader::new(file))
    };
    let mut bad = 0usize;
    for (index, line) in request::bounded_lines(reader).enumerate() {
        let line_no = index + 1;
        let result = match line {
            Ok(l) if l.trim().is_empty() => Ok(None),
            Ok(l) => request::parse(&l).map(Some),
            // A line too long or not UTF-8 is one bad request; any other error ends the input.
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => Err(e.to_string()),
            Err(e) => return Err(cannot_read(&e)),
        };
        let written = match result {
            Ok(None) => Ok(()),
            Ok(Some(req)) => writeln!(out, "{}", request::decision_json(engine, &req)),
            Err(e) => {
                bad += 1;
                let message = format!("{}:{line_no}: bad request: {e}", path.display());
                eprintln!("error: {message}");
                // Keep one output line per request so callers can zip them.
                writeln!(out, "{}", serde_json::json!({"error": message, "line": line_no}))
            }
        };
        // Nobody reads the answers any more (a pipe into `head` closed): stop quietly.
        if written.is_err() {
            return Ok(());
        }
    }
    if out.flush().is_err() {
        return Ok(());
    }
    if bad > 0 {
        Err(Failure::BadRequests)
    } else {
        Ok(())
    }
}
