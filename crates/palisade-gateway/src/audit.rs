//! The audit log: one JSON line per decision and per tool run, appended to
//! `<state dir>/audit.jsonl`. Secrets never reach it; file contents neither.
//! A writer thread batches lines: under load many lines share one write and
//! one wake-up; every line is on disk within a few milliseconds.
//!
//! Rotation loses nothing: when the live file reaches its segment size the
//! writer renames it to `audit.jsonl.<ms>` (the time of the rotation, so
//! names sort by age) and starts a new one whose first line names the old.
//! The gateway never deletes a segment; the [`Budget`] counts every
//! `audit.jsonl*` file in the state directory, and archiving segments out
//! of it gives the room back (seen at the next SIGHUP or within
//! [`RESCAN_EVERY`]). On SIGHUP the writer also reopens the path, so an
//! external `mv` works too.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

#[derive(Debug)]
pub struct Audit {
    lines: Mutex<Sender<Message>>,
    /// Bytes of audit in the state directory (live file and segments), as
    /// the writer last counted them.
    size: Arc<AtomicU64>,
    budget: Budget,
}

/// How many bytes the audit files may hold together, how many of the last
/// ones only tool runs may use, and the size at which the live file is
/// rotated into a segment. Once the shared part is spent, every other
/// request is refused (503 `audit_full`), so no client of any role can use
/// up the room a tool run needs for its intent. Archiving segments out of
/// the state directory gives the room back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub total: u64,
    pub reserve: u64,
    pub segment: u64,
}

impl Budget {
    /// `total` bytes, an eighth of them kept for tool runs, in segments of
    /// `segment` bytes (at least [`MIN_SEGMENT`]).
    pub fn new(total: u64, segment: u64) -> Budget {
        Budget { total, reserve: total / 8, segment: segment.max(MIN_SEGMENT) }
    }

    /// Where requests other than tool runs stop.
    fn others_stop(self) -> u64 {
        self.total.saturating_sub(self.reserve)
    }
}

/// The default budget: 1 GiB.
pub const DEFAULT_BUDGET: u64 = 1 << 30;

/// The default segment: 64 MiB.
pub const DEFAULT_SEGMENT: u64 = 64 << 20;

/// The smallest segment (a few dozen records).
pub const MIN_SEGMENT: u64 = 64 << 10;

/// How often the writer recounts the segments, so archiving them gives the
/// room back without a signal.
pub const RESCAN_EVERY: Duration = Duration::from_secs(10);

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
    /// Reopen the path and recount the segments (SIGHUP).
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
        let live = file.metadata()?.len();
        let size = Arc::new(AtomicU64::new(live + segment_bytes(path)));
        let (tx, rx) = std::sync::mpsc::channel();
        let writer = Writer { path: path.to_path_buf(), out: std::io::BufWriter::new(file), live, size: Arc::clone(&size), budget };
        std::thread::Builder::new().name("palisade-audit".into()).spawn(move || writer.run(&rx))?;
        Ok(Audit { lines: Mutex::new(tx), size, budget })
    }

    /// Whether the budget has room for `who`.
    pub fn has_room(&self, who: Room) -> bool {
        let used = self.size.load(Ordering::Relaxed);
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

/// The segments beside `path`: `audit.jsonl.*`, as the writer names them
/// or an operator's `mv` does.
fn segments(path: &Path) -> Vec<(PathBuf, u64)> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else { return Vec::new() };
    let prefix = format!("{name}.");
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.starts_with(&prefix)))
        .filter_map(|e| Some((e.path(), e.metadata().ok().filter(std::fs::Metadata::is_file)?.len())))
        .collect()
}

fn segment_bytes(path: &Path) -> u64 {
    segments(path).iter().map(|(_, len)| len).sum()
}

/// The writer thread's state: the live file and the count of every audit
/// byte in the state directory.
struct Writer {
    path: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
    /// Bytes in the live file.
    live: u64,
    /// Bytes in the live file and the segments together.
    size: Arc<AtomicU64>,
    budget: Budget,
}

impl Writer {
    fn run(mut self, rx: &Receiver<Message>) {
        let mut counted = std::time::Instant::now();
        loop {
            // Busy or idle, the segments are recounted every RESCAN_EVERY.
            if counted.elapsed() >= RESCAN_EVERY {
                self.recount();
                counted = std::time::Instant::now();
            }
            let first = match rx.recv_timeout(RESCAN_EVERY) {
                Ok(first) => first,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return,
            };
            // Let a burst gather: one write and one wake-up for many lines.
            std::thread::sleep(Duration::from_millis(2));
            let mut batch = vec![first];
            batch.extend(rx.try_iter());
            let mut waiting = Vec::new();
            for message in batch {
                match message {
                    Message::Line(line, ack) => {
                        if self.write(&line) {
                            waiting.extend(ack);
                        }
                        if self.live >= self.budget.segment {
                            self.rotate();
                        }
                    }
                    Message::Reopen => self.reopen(),
                }
            }
            // A waiting intent is also synced to the disk: it must outlive even a crash of the machine.
            if flush(&mut self.out) && (waiting.is_empty() || sync(&self.out)) {
                for ack in waiting {
                    let _ = ack.send(());
                }
            }
        }
    }

    fn write(&mut self, line: &str) -> bool {
        if let Err(e) = self.out.write_all(line.as_bytes()).and_then(|()| self.out.write_all(b"\n")) {
            eprintln!("warning: audit log write failed: {e}");
            return false;
        }
        let added = line.len() as u64 + 1;
        self.live += added;
        let before = self.size.fetch_add(added, Ordering::Relaxed);
        let stop = self.budget.others_stop();
        if before < stop && before + added >= stop {
            eprintln!(
                "warning: the audit log holds {} of its {} byte budget: requests other than tool runs get 503 `audit_full` until segments ({}.*) are archived out of {}",
                before + added,
                self.budget.total,
                self.path.display(),
                self.path.parent().map_or_else(String::new, |d| d.display().to_string()),
            );
        }
        true
    }

    /// Renames the live file to a segment and starts a new one whose first
    /// line names it. If the rename fails, lines go on to the live file.
    fn rotate(&mut self) {
        if !flush(&mut self.out) || !sync(&self.out) {
            return;
        }
        let stamp = super::store::now_ms();
        let name = |n: u32| {
            let mut name = self.path.clone().into_os_string();
            name.push(if n == 0 { format!(".{stamp:013}") } else { format!(".{stamp:013}-{n}") });
            PathBuf::from(name)
        };
        let Some(segment) = (0..100).map(name).find(|p| !p.exists()) else { return };
        if let Err(e) = std::fs::rename(&self.path, &segment) {
            eprintln!("warning: cannot rotate the audit log to {}: {e}; writing on to {}", segment.display(), self.path.display());
            return;
        }
        match open_append(&self.path) {
            Ok(file) => {
                self.out = std::io::BufWriter::new(file);
                let previous = self.live;
                self.live = 0;
                let file_name = segment.file_name().map(|n| n.to_string_lossy().into_owned());
                let _ = self.write(&stamped(serde_json::json!({"event": "audit_segment", "previous": file_name, "previous_bytes": previous})));
            }
            // The renamed file is still open: lines go on to it, nothing is lost.
            Err(e) => eprintln!("warning: cannot start a new audit log at {}: {e}; writing on to {}", self.path.display(), segment.display()),
        }
    }

    /// Writes what is queued to the file open now, then reopens the path.
    /// If it cannot be reopened, lines keep going to the old file.
    fn reopen(&mut self) {
        // A failed flush is reported in `flush`; the old file is given up either way.
        let _ = flush(&mut self.out);
        match open_append(&self.path) {
            Ok(file) => {
                self.live = file.metadata().map_or(0, |m| m.len());
                self.out = std::io::BufWriter::new(file);
            }
            Err(e) => eprintln!("warning: cannot reopen the audit log {}: {e}; writing on to the old file", self.path.display()),
        }
        self.recount();
    }

    /// Counts the segments again (an operator may have archived some).
    fn recount(&mut self) {
        self.size.store(self.live + segment_bytes(&self.path), Ordering::Relaxed);
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
