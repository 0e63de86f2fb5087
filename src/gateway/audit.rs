//! The audit log: one JSON line per decision and per tool run, appended to
//! `<state dir>/audit.jsonl`. Secrets never reach it; file contents neither.
//! A writer thread batches lines: under load many lines share one write and
//! one wake-up; every line is on disk within a few milliseconds. On SIGHUP
//! the gateway asks it to reopen the path (log rotation: `mv` the file, then
//! `kill -HUP`); lines queued before go to the old file, lines after to the new.

use std::io::Write;
use std::path::Path;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Mutex;

use serde_json::Value;

#[derive(Debug)]
pub struct Audit {
    lines: Mutex<Sender<Message>>,
}

#[derive(Debug)]
enum Message {
    Line(String),
    Reopen,
}

/// Opens for appending; a new file is readable by the gateway's user only.
fn open_append(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(path)
}

impl Audit {
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = open_append(path)?;
        let (tx, rx) = std::sync::mpsc::channel();
        let path = path.to_path_buf();
        std::thread::Builder::new().name("palisade-audit".into()).spawn(move || write_lines(&path, file, &rx))?;
        Ok(Audit { lines: Mutex::new(tx) })
    }

    /// Writes what is queued to the file open now, then reopens the path.
    /// If it cannot be reopened, lines keep going to the old file.
    pub fn reopen(&self) {
        self.send(Message::Reopen);
    }

    fn send(&self, message: Message) {
        let sender = self.lines.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if sender.send(message).is_err() {
            eprintln!("warning: the audit writer has stopped; a record was lost");
        }
    }

    /// Queues one record with the time added.
    pub fn record(&self, mut entry: Value) {
        if let Some(map) = entry.as_object_mut() {
            map.insert("time_ms".into(), Value::from(super::store::now_ms()));
        }
        self.send(Message::Line(entry.to_string()));
    }
}

fn write_lines(path: &Path, file: std::fs::File, rx: &Receiver<Message>) {
    let mut out = std::io::BufWriter::new(file);
    while let Ok(first) = rx.recv() {
        // Let a burst gather: one write and one wake-up for many lines.
        std::thread::sleep(std::time::Duration::from_millis(2));
        let mut batch = vec![first];
        batch.extend(rx.try_iter());
        for message in batch {
            match message {
                Message::Line(line) => {
                    if let Err(e) = out.write_all(line.as_bytes()).and_then(|()| out.write_all(b"\n")) {
                        eprintln!("warning: audit log write failed: {e}");
                    }
                }
                Message::Reopen => {
                    flush(&mut out);
                    match open_append(path) {
                        Ok(file) => out = std::io::BufWriter::new(file),
                        Err(e) => eprintln!("warning: cannot reopen the audit log {}: {e}; writing on to the old file", path.display()),
                    }
                }
            }
        }
        flush(&mut out);
    }
}

fn flush(out: &mut std::io::BufWriter<std::fs::File>) {
    if let Err(e) = out.flush() {
        eprintln!("warning: audit log flush failed: {e}");
    }
}
