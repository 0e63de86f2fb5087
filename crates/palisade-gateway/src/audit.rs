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
    /// A line, and who waits until it is written and flushed.
    Line(String, Option<tokio::sync::oneshot::Sender<()>>),
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
    pub fn record(&self, entry: Value) {
        self.send(Message::Line(stamped(entry), None));
    }

    /// Records `entry` and returns once it is written and flushed to the
    /// file, or `false` when that did not happen within `within`: an intent
    /// recorded this way survives whatever the call does next (a command
    /// that kills the gateway included).
    pub async fn record_durably(&self, entry: Value, within: std::time::Duration) -> bool {
        let (ack, written) = tokio::sync::oneshot::channel();
        self.send(Message::Line(stamped(entry), Some(ack)));
        matches!(tokio::time::timeout(within, written).await, Ok(Ok(())))
    }
}

fn stamped(mut entry: Value) -> String {
    if let Some(map) = entry.as_object_mut() {
        map.insert("time_ms".into(), Value::from(super::store::now_ms()));
    }
    entry.to_string()
}

/// How much of a free-text argument (a command, a path) the log keeps.
pub const ARG_KEPT: usize = 256;

/// A free-text argument as the log keeps it: its first [`ARG_KEPT`] bytes
/// (cut at a character boundary), its length and its SHA-256, so a long
/// argument cannot bloat the log and can still be matched against a copy.
pub fn argument(value: Option<&Value>) -> Value {
    use sha2::{Digest, Sha256};
    let Some(text) = value.and_then(Value::as_str) else { return value.cloned().unwrap_or(Value::Null) };
    let mut cut = text.len().min(ARG_KEPT);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    serde_json::json!({
        "text": text.get(..cut).unwrap_or_default(),
        "bytes": text.len(),
        "truncated": cut < text.len(),
        "sha256": super::devices::hex(&Sha256::digest(text.as_bytes())),
    })
}

fn write_lines(path: &Path, file: std::fs::File, rx: &Receiver<Message>) {
    let mut out = std::io::BufWriter::new(file);
    while let Ok(first) = rx.recv() {
        // Let a burst gather: one write and one wake-up for many lines.
        std::thread::sleep(std::time::Duration::from_millis(2));
        let mut batch = vec![first];
        batch.extend(rx.try_iter());
        let mut waiting = Vec::new();
        for message in batch {
            match message {
                Message::Line(line, ack) => match out.write_all(line.as_bytes()).and_then(|()| out.write_all(b"\n")) {
                    Ok(()) => waiting.extend(ack),
                    Err(e) => eprintln!("warning: audit log write failed: {e}"),
                },
                Message::Reopen => {
                    // A failed flush is reported in `flush`; the old file is given up either way.
                    let _ = flush(&mut out);
                    match open_append(path) {
                        Ok(file) => out = std::io::BufWriter::new(file),
                        Err(e) => eprintln!("warning: cannot reopen the audit log {}: {e}; writing on to the old file", path.display()),
                    }
                }
            }
        }
        // A waiting intent is also synced to the disk: it must outlive even a crash of the machine.
        if flush(&mut out) && (waiting.is_empty() || sync(&out)) {
            for ack in waiting {
                let _ = ack.send(());
            }
        }
    }
}

/// Flushes to the file; `false` on failure.
fn flush(out: &mut std::io::BufWriter<std::fs::File>) -> bool {
    match out.flush() {
        Ok(()) => true,
        Err(e) => {
            eprintln!("warning: audit log flush failed: {e}");
            false
        }
    }
}

fn sync(out: &std::io::BufWriter<std::fs::File>) -> bool {
    match out.get_ref().sync_data() {
        Ok(()) => true,
        Err(e) => {
            eprintln!("warning: audit log sync failed: {e}");
            false
        }
    }
}
