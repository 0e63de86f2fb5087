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
    /// Bytes in the file open now, as the writer last counted them.
    size: std::sync::Arc<std::sync::atomic::AtomicU64>,
    budget: Budget,
}

/// How many bytes the audit file may hold, and how many of the last ones
/// only tool runs may use: once the rest is spent, every other request is
/// refused (503 `audit_full`), so no client of any role can use up the
/// room a tool run needs for its intent. Rotating the file (`mv`, then
/// SIGHUP) gives the room back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub total: u64,
    pub reserve: u64,
}

impl Budget {
    /// `total` bytes, an eighth of them kept for tool runs.
    pub fn new(total: u64) -> Budget {
        Budget { total, reserve: total / 8 }
    }

    /// Where requests other than tool runs stop.
    fn others_stop(self) -> u64 {
        self.total.saturating_sub(self.reserve)
    }
}

/// The default budget: 1 GiB.
pub const DEFAULT_BUDGET: u64 = 1 << 30;

/// Who asks for room in the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Room {
    /// A tool run (its intent and result).
    Tool,
    /// Anything else.
    Other,
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
    pub fn open(path: &Path, budget: Budget) -> std::io::Result<Self> {
        let file = open_append(path)?;
        let size = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(file.metadata()?.len()));
        let (tx, rx) = std::sync::mpsc::channel();
        let path = path.to_path_buf();
        let counted = std::sync::Arc::clone(&size);
        std::thread::Builder::new().name("palisade-audit".into()).spawn(move || write_lines(&path, file, &rx, &counted, budget))?;
        Ok(Audit { lines: Mutex::new(tx), size, budget })
    }

    /// Whether the budget has room for `who`.
    pub fn has_room(&self, who: Room) -> bool {
        let used = self.size.load(std::sync::atomic::Ordering::Relaxed);
        match who {
            Room::Tool => used < self.budget.total,
            Room::Other => used < self.budget.others_stop(),
        }
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

/// The record as one line, with the time added, at most [`RECORD_CAP`]
/// bytes whatever a client sent: every string longer than [`ARG_KEPT`]
/// bytes is kept as its prefix, length and SHA-256 ([`argument`]'s form),
/// every array as its first [`ITEMS_KEPT`] items and a count; a record still
/// over the cap keeps less of each string, and at last only its event and
/// the whole line's prefix, length and digest.
fn stamped(entry: Value) -> String {
    let time = Value::from(super::store::now_ms());
    let with_time = |mut e: Value| {
        if let Some(map) = e.as_object_mut() {
            map.insert("time_ms".into(), time.clone());
        }
        e.to_string()
    };
    let mut entry = entry;
    if fits(&entry, ARG_KEPT) {
        // The usual record: written as it is, without a copy.
        if let Some(map) = entry.as_object_mut() {
            map.insert("time_ms".into(), time.clone());
        }
        let line = entry.to_string();
        if line.len() <= RECORD_CAP {
            return line;
        }
        if let Some(map) = entry.as_object_mut() {
            map.remove("time_ms");
        }
    }
    for keep in [ARG_KEPT, 64, 0] {
        let mut bounded = entry.clone();
        bound(&mut bounded, keep);
        let line = with_time(bounded);
        if line.len() <= RECORD_CAP {
            return line;
        }
    }
    let event = entry.get("event").cloned().map(|mut e| {
        bound(&mut e, 64);
        e
    });
    with_time(serde_json::json!({"event": event, "oversized": argument(Some(&Value::String(entry.to_string())))}))
}

/// Longest audit line.
pub const RECORD_CAP: usize = 2048;

/// How much of a free-text argument (a command, a path) the log keeps.
pub const ARG_KEPT: usize = 256;

/// How many items of an array the log keeps.
pub const ITEMS_KEPT: usize = 16;

/// Whether no string is longer than `keep` bytes and no array longer than
/// [`ITEMS_KEPT`] items (the common record, written without a copy).
fn fits(value: &Value, keep: usize) -> bool {
    match value {
        Value::String(text) => text.len() <= keep,
        Value::Array(items) => items.len() <= ITEMS_KEPT && items.iter().all(|v| fits(v, keep)),
        Value::Object(map) => map.iter().all(|(k, v)| k.len() <= keep && fits(v, keep)),
        _ => true,
    }
}

/// Bounds every string (keys included) and array in `value`, in place.
fn bound(value: &mut Value, keep: usize) {
    match value {
        Value::String(text) if text.len() > keep => *value = kept(text, keep),
        Value::Array(items) => {
            if items.len() > ITEMS_KEPT {
                let more = items.len() - ITEMS_KEPT;
                items.truncate(ITEMS_KEPT);
                items.push(Value::String(format!("... {more} more")));
            }
            items.iter_mut().for_each(|v| bound(v, keep));
        }
        Value::Object(map) => {
            if map.keys().any(|k| k.len() > keep) {
                *map = std::mem::take(map).into_iter().map(|(k, v)| if k.len() > keep { (kept(&k, keep).to_string(), v) } else { (k, v) }).collect();
            }
            map.values_mut().for_each(|v| bound(v, keep));
        }
        _ => {}
    }
}

/// `text` as its first `keep` bytes (cut at a character boundary), its
/// length and its SHA-256.
fn kept(text: &str, keep: usize) -> Value {
    use sha2::{Digest, Sha256};
    let mut cut = text.len().min(keep);
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

/// A free-text argument as the log keeps it: its first [`ARG_KEPT`] bytes
/// (cut at a character boundary), its length and its SHA-256, so a long
/// argument cannot bloat the log and can still be matched against a copy.
pub fn argument(value: Option<&Value>) -> Value {
    match value.and_then(Value::as_str) {
        Some(text) => kept(text, ARG_KEPT),
        None => value.cloned().unwrap_or(Value::Null),
    }
}

fn write_lines(path: &Path, file: std::fs::File, rx: &Receiver<Message>, size: &std::sync::atomic::AtomicU64, budget: Budget) {
    use std::sync::atomic::Ordering;
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
                    Ok(()) => {
                        let added = line.len() as u64 + 1;
                        let before = size.fetch_add(added, Ordering::Relaxed);
                        let stop = budget.others_stop();
                        if before < stop && before + added >= stop {
                            eprintln!(
                                "warning: the audit log holds {} of its {} byte budget: requests other than tool runs get 503 `audit_full` until it is rotated (`mv` it, then SIGHUP)",
                                before + added,
                                budget.total
                            );
                        }
                        waiting.extend(ack);
                    }
                    Err(e) => eprintln!("warning: audit log write failed: {e}"),
                },
                Message::Reopen => {
                    // A failed flush is reported in `flush`; the old file is given up either way.
                    let _ = flush(&mut out);
                    match open_append(path) {
                        Ok(file) => {
                            size.store(file.metadata().map_or(0, |m| m.len()), Ordering::Relaxed);
                            out = std::io::BufWriter::new(file);
                        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_record_is_bounded_whatever_a_client_sends() {
        let plain = json!({"event": "decide", "principal": "rt1", "request": {"agent": "main", "tool": "exec"}});
        let line = stamped(plain.clone());
        let back: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back["request"], plain["request"], "a usual record is written as it is");

        let huge = "a".repeat(900 * 1024);
        let hostile = json!({
            "event": "decide",
            "request": {"agent": huge, "tool": huge, "session": huge, "sender": huge},
            "decision": {"reason": huge, "segments": vec![json!({"text": "rm -rf /", "outcome": "deny"}); 10_000]},
            huge.clone(): huge,
        });
        let line = stamped(hostile);
        assert!(line.len() <= RECORD_CAP, "{} bytes", line.len());
        let back: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back["event"], "decide");

        let one_long = stamped(json!({"event": "decide", "request": {"agent": huge}}));
        let back: Value = serde_json::from_str(&one_long).unwrap();
        assert_eq!(back["request"]["agent"]["bytes"], huge.len());
        assert_eq!(back["request"]["agent"]["text"].as_str().unwrap().len(), ARG_KEPT);
    }
}
