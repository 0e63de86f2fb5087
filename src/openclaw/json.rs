//! A small JSON reader that keeps spans, so that every diagnostic about an
//! OpenClaw configuration names file:line:col. Accepts the JSON5 conveniences
//! OpenClaw configurations use: comments, trailing commas, unquoted keys.
//! Nesting is bounded, so hostile input cannot overflow the stack.

use crate::source::Span;

const MAX_DEPTH: usize = 128;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// Kept as written; the lowering parses what it needs.
    Number(String),
    String(String),
    Array(Vec<Node>),
    Object(Vec<(Key, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub span: Span,
}

impl Node {
    pub fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

pub struct ParseError {
    pub span: Span,
    pub message: String,
}

pub fn parse(text: &str) -> Result<Node, ParseError> {
    let limit = crate::syntax::limits::MAX_POLICY_BYTES;
    if text.len() > limit {
        return Err(ParseError { span: Span::new(0, 0), message: format!("configuration of {} bytes is over the {limit}-byte limit", text.len()) });
    }
    let mut p = Reader { text, bytes: text.as_bytes(), pos: 0 };
    p.skip_trivia()?;
    let node = p.value(0)?;
    p.skip_trivia()?;
    if p.pos < p.bytes.len() {
        return Err(p.error_here("unexpected text after the end of the JSON value"));
    }
    Ok(node)
}

struct Reader<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn error_here(&self, message: &str) -> ParseError {
        let end = self.text.get(self.pos..).and_then(|r| r.chars().next()).map_or(self.pos, |c| self.pos + c.len_utf8());
        ParseError { span: Span::new(self.pos, end), message: message.to_string() }
    }

    fn skip_trivia(&mut self) -> Result<(), ParseError> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c) => self.pos += 1,
                // U+FEFF, the byte-order mark some editors write: whitespace in JSON5.
                Some(0xef) if self.bytes.get(self.pos + 1..self.pos + 3) == Some(&[0xbb, 0xbf]) => self.pos += 3,
                Some(b'/') if self.bytes.get(self.pos + 1) == Some(&b'/') => {
                    while self.peek().is_some_and(|b| b != b'\n') {
                        self.pos += 1;
                    }
                }
                Some(b'/') if self.bytes.get(self.pos + 1) == Some(&b'*') => {
                    let start = self.pos;
                    match self.text.get(self.pos + 2..).and_then(|r| r.find("*/")) {
                        Some(end) => self.pos += 2 + end + 2,
                        None => return Err(ParseError { span: Span::new(start, start + 2), message: "unterminated comment".into() }),
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.error_here("nesting deeper than 128 levels"));
        }
        let start = self.pos;
        let value = match self.peek() {
            None => return Err(self.error_here("unexpected end of input, expected a value")),
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') | Some(b'\'') => Value::String(self.string()?),
            Some(b't') if self.eat_word("true") => Value::Bool(true),
            Some(b'f') if self.eat_word("false") => Value::Bool(false),
            Some(b'n') if self.eat_word("null") => Value::Null,
            Some(b'-' | b'+' | b'0'..=b'9' | b'.') => self.number()?,
            Some(_) => return Err(self.error_here("expected a value")),
        };
        Ok(Node { value, span: Span::new(start, self.pos) })
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let end = self.pos + word.len();
        let follows = self.bytes.get(end).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
        if self.text.get(self.pos..end) == Some(word) && !follows {
            self.pos = end;
            true
        } else {
            false
        }
    }

    fn number(&mut self) -> Result<Value, ParseError> {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.')) {
            self.pos += 1;
        }
        let raw = self.text.get(start..self.pos).unwrap_or("");
        if raw.parse::<f64>().map_or(true, |f| !f.is_finite()) {
            return Err(ParseError { span: Span::new(start, self.pos), message: format!("`{raw}` is not a number") });
        }
        Ok(Value::Number(raw.to_string()))
    }

    fn string(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        let quote = self.peek().unwrap_or(b'"');
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = self.text.get(self.pos..).unwrap_or("");
            let Some(c) = rest.chars().next() else {
                return Err(ParseError { span: Span::new(start, self.pos), message: "unterminated string".into() });
            };
            self.pos += c.len_utf8();
            match c {
                c if c as u32 == u32::from(quote) => return Ok(out),
                '\n' => return Err(ParseError { span: Span::new(start, self.pos), message: "newline inside a string".into() }),
                '\\' => {
                    let esc = self.peek();
                    self.pos += 1;
                    match esc {
                        Some(b'"') => out.push('"'),
                        Some(b'\'') => out.push('\''),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => out.push(self.unicode_escape()?),
                        _ => {
                            return Err(ParseError {
                                span: Span::new(self.pos.saturating_sub(2), self.pos),
                                message: "invalid escape in string".into(),
                            })
                        }
                    }
                }
                c => out.push(c),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let digits = self.text.get(self.pos..self.pos + 4).ok_or_else(|| self.error_here("truncated \\u escape"))?;
        let hex = digits.bytes().all(|b| b.is_ascii_hexdigit());
        let n = u32::from_str_radix(digits, 16).ok().filter(|_| hex).ok_or_else(|| self.error_here("invalid \\u escape"))?;
        self.pos += 4;
        Ok(n)
    }

    fn unicode_escape(&mut self) -> Result<char, ParseError> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) && self.text.get(self.pos..self.pos + 2) == Some("\\u") {
            self.pos += 2;
            let second = self.hex4()?;
            0x10000 + ((first - 0xD800) << 10) + (second.wrapping_sub(0xDC00) & 0x3FF)
        } else {
            first
        };
        Ok(char::from_u32(code).unwrap_or('\u{FFFD}'))
    }

    fn array(&mut self, depth: usize) -> Result<Value, ParseError> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_trivia()?;
            if self.peek() == Some(b']') {
                self.pos += 1;
                return Ok(Value::Array(items));
            }
            items.push(self.value(depth + 1)?);
            self.skip_trivia()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {}
                _ => return Err(self.error_here("expected `,` or `]`")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, ParseError> {
        self.pos += 1;
        let mut members: Vec<(Key, Node)> = Vec::new();
        loop {
            self.skip_trivia()?;
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(Value::Object(members));
            }
            let key_start = self.pos;
            let name = match self.peek() {
                Some(b'"' | b'\'') => self.string()?,
                Some(b) if b.is_ascii_alphabetic() || b == b'_' || b == b'$' => {
                    while self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$') {
                        self.pos += 1;
                    }
                    self.text.get(key_start..self.pos).unwrap_or("").to_string()
                }
                _ => return Err(self.error_here("expected a key or `}`")),
            };
            let key = Key { name, span: Span::new(key_start, self.pos) };
            if let Some((first, _)) = members.iter().find(|(k, _)| k.name == key.name) {
                return Err(ParseError {
                    span: key.span,
                    message: format!("duplicate key `{}` (first at byte {}); Palisade refuses to guess which one counts", key.name, first.span.start),
                });
            }
            self.skip_trivia()?;
            if self.peek() != Some(b':') {
                return Err(self.error_here("expected `:`"));
            }
            self.pos += 1;
            self.skip_trivia()?;
            let value = self.value(depth + 1)?;
            members.push((key, value));
            self.skip_trivia()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {}
                _ => return Err(self.error_here("expected `,` or `}`")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json5_conveniences() {
        let node = parse("{ // c\n a: [1, 'x',], /* b */ \"b\": {\"c\": null,}, }").ok();
        let Some(Node { value: Value::Object(members), .. }) = node else { panic!("parse failed") };
        assert_eq!(members.len(), 2);
    }

    #[test]
    fn refuses_bad_input() {
        // `\u+041`: Rust's radix parser takes a sign, JSON's four hex digits do not.
        for bad in ["{", "[1 2]", "{\"a\":1,\"a\":2}", "\"abc", "nul", "1e999", "{a 1}", "[", "/* x", "\"\\u+041\""] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let deep = "[".repeat(10_000);
        assert!(parse(&deep).is_err());
    }
}
