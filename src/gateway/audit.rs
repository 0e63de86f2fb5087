//! The audit log: one JSON line per decision and per tool run, appended to
//! `<state dir>/audit.jsonl`. Secrets never reach it; file contents neither.
//! A writer thread batches lines: under load many lines share one write and
//! one wake-up; every line is on disk within a few milliseconds.

use std::io::Write;
use std::path::Path;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Mutex;

use serde_json::Value;

#[derive(Debug)]
pub struct Audit {
    lines: Mutex<Sender<String>>,
}

impl Audit {
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new().name("palisade-audit".into()).spawn(move || write_lines(file, &rx))?;
        Ok(Audit { lines: Mutex::new(tx) })
    }

    /// Queues one record with the time added.
    pub fn record(&self, mut entry: Value) {
        if let Some(map) = entry.as_object_mut() {
            map.insert("time_ms".into(), Value::from(super::store::now_ms()));
        }
        let sender = self.lines.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if sender.send(entry.to_string()).is_err() {
            eprintln!("warning: the audit writer has stopped; a record was lost");
        }
    }
}

fn write_lines(file: std::fs::File, rx: &Receiver<String>) {
    let mut out = std::io::BufWriter::new(file);
    while let Ok(line) = rx.recv() {
        // Let a burst gather: one write and one wake-up for many lines.
        std::thread::sleep(std::time::Duration::from_millis(2));
        let mut batch = vec![line];
        batch.extend(rx.try_iter());
        for line in batch {
            let written = out.write_all(line.as_bytes()).and_then(|()| out.write_all(b"\n"));
            if let Err(e) = written {
                eprintln!("warning: audit log write failed: {e}");
            }
        }
        if let Err(e) = out.flush() {
            eprintln!("warning: audit log flush failed: {e}");
        }
    }
}
