//! The audit log: one JSON line per decision and per tool run, appended to
//! `<state dir>/audit.jsonl`. Secrets never reach it; file contents neither.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use serde_json::Value;

#[derive(Debug)]
pub struct Audit {
    file: Mutex<std::fs::File>,
}

impl Audit {
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Audit { file: Mutex::new(file) })
    }

    /// Appends one record with the time added. A failed write is reported
    /// on stderr; the call it describes has already been decided.
    pub fn record(&self, mut entry: Value) {
        if let Some(map) = entry.as_object_mut() {
            map.insert("time_ms".into(), Value::from(super::store::now_ms()));
        }
        let mut line = entry.to_string();
        line.push('\n');
        let mut file = self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Err(e) = file.write_all(line.as_bytes()) {
            eprintln!("warning: audit log write failed: {e}");
        }
    }
}
