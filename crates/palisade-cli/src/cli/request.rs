//! JSONL input for `decide --requests`; the request format itself is
//! `palisade::wire`.

use std::io::BufRead;

pub use palisade::wire::{decision_json, parse, AnyRequest, MAX_LINE};

/// Lines of at most `MAX_LINE` bytes; a longer line is an error for that
/// line only, and reading goes on with the next.
pub fn bounded_lines(mut reader: Box<dyn BufRead>) -> impl Iterator<Item = std::io::Result<String>> {
    let mut failed = false;
    std::iter::from_fn(move || {
        // A read that failed (a directory, a device error) ends the lines:
        // reading again would fail again, forever.
        if failed {
            return None;
        }
        let mut buf = Vec::new();
        let mut too_long = false;
        loop {
            let chunk = match reader.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    failed = true;
                    return Some(Err(e));
                }
            };
            if chunk.is_empty() {
                if buf.is_empty() && !too_long {
                    return None;
                }
                break;
            }
            let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            if buf.len() + take <= MAX_LINE + 1 {
                buf.extend_from_slice(chunk.get(..take).unwrap_or(&[]));
            } else {
                too_long = true;
            }
            reader.consume(take);
            if done {
                break;
            }
        }
        if too_long {
            return Some(Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("line over {MAX_LINE} bytes"))));
        }
        while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            buf.pop();
        }
        Some(String::from_utf8(buf).map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "line is not UTF-8")))
    })
}
