//! Caps that keep hostile text from exhausting the parser. pest recurses once
//! per nested block, and it runs here without its own stack probe (that probe
//! cost a fifth of parse time), so depth is bounded before pest sees the text.

use crate::diagnostic::Code;
use crate::diagnostic::{Diagnostic, PolicyError};
use crate::source::{SourceFile, Span};

/// Largest policy text accepted, in bytes.
pub const MAX_POLICY_BYTES: usize = 4 << 20;
/// Deepest nesting of `{ }` and `[ ]` accepted. Real policies use four.
pub const MAX_NESTING: usize = 32;

/// One pass over the bytes, skipping strings and comments the way the
/// grammar reads them, so a brace inside `"..."` or `// ...` never counts.
pub(super) fn check(source: &SourceFile) -> Result<(), PolicyError> {
    check_text(source).map_err(|too_big| PolicyError { diagnostics: vec![*too_big] })
}

fn check_text(source: &SourceFile) -> Result<(), Box<Diagnostic>> {
    let text = source.text.as_bytes();
    if text.len() > MAX_POLICY_BYTES {
        let message = format!("policy of {} bytes is over the {MAX_POLICY_BYTES}-byte limit", text.len());
        return Err(Box::new(Diagnostic::error(Code::TooLarge, source, Span::new(0, 0), message)));
    }
    let mut depth = 0usize;
    let mut at = 0usize;
    while let Some(&byte) = text.get(at) {
        match byte {
            b'"' => at = string_end(text, at + 1),
            b'/' if text.get(at + 1) == Some(&b'/') => {
                at = find(text, at, b"\n").unwrap_or(text.len());
            }
            b'/' if text.get(at + 1) == Some(&b'*') => {
                at = find(text, at + 2, b"*/").map_or(text.len(), |end| end + 2);
            }
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_NESTING {
                    let message = format!("blocks nested deeper than {MAX_NESTING} levels");
                    let diagnostic = Diagnostic::error(Code::TooDeep, source, Span::new(at, at + 1), message);
                    return Err(Box::new(diagnostic.with_label("this one is too deep")));
                }
                at += 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                at += 1;
            }
            _ => at += 1,
        }
    }
    Ok(())
}

/// Just past the closing quote; a string stops at a newline as in the grammar.
fn string_end(text: &[u8], mut at: usize) -> usize {
    while let Some(&byte) = text.get(at) {
        match byte {
            b'"' => return at + 1,
            b'\n' => return at,
            b'\\' => at += 2,
            _ => at += 1,
        }
    }
    text.len()
}

fn find(text: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    text.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|i| from + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_str(text: &str) -> Result<(), String> {
        check_text(&SourceFile::new("t.pal", text)).map_err(|d| d.message)
    }

    #[test]
    fn counts_only_real_brackets() {
        let deep = "{".repeat(MAX_NESTING);
        assert!(check_str(&deep).is_ok());
        assert!(check_str(&format!("{deep}{{")).is_err());
        let hidden = format!("\"{}\" // {}\n /* {} */", "{".repeat(99), "[".repeat(99), "{".repeat(99));
        assert!(check_str(&format!("{deep}{hidden}")).is_ok());
        assert!(check_str(&format!("{deep}\"a\\\"{{\"{{")).is_err(), "an escaped quote does not end the string");
    }

    #[test]
    fn the_deepest_accepted_policy_parses_on_a_small_stack() {
        // pest has no stack probe here: the cap must hold on a 256 KiB thread.
        let depth = MAX_NESTING - 1;
        let text = format!("tools {{ {} deny exec {} }}", "sandbox { ".repeat(depth), "} ".repeat(depth));
        let parsed = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || super::super::parse(std::sync::Arc::new(SourceFile::new("t.pal", text))).is_err())
            .unwrap()
            .join()
            .unwrap();
        assert!(parsed, "nested sandbox blocks are a lowering error, reported without overflowing");
    }
}
