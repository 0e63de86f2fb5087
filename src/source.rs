//! Source text, spans and line:column positions.

use std::fmt;
use std::sync::Arc;

/// A byte range into one [`SourceFile`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// `start..end`, clamped to `u32` and never reversed.
    pub fn new(start: usize, end: usize) -> Self {
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Span { start: clamp(start), end: clamp(end.max(start)) }
    }

    /// Length in bytes.
    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    /// Whether it covers no byte.
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// An empty span at this span's start.
    pub fn start_only(self) -> Span {
        Span { start: self.start, end: self.start }
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(span: Span) -> Self {
        miette::SourceSpan::new((span.start as usize).into(), span.len())
    }
}

/// The text of one policy file and its name, shared by the AST and diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The name diagnostics print (usually the path).
    pub name: Arc<str>,
    /// The whole text.
    pub text: String,
    line_starts: Vec<u32>,
    /// Per line, whether it is all ASCII: its column is then its byte
    /// offset, found in constant time (a 10,000-pattern list on one line
    /// would otherwise count characters from the line's start for each).
    ascii_lines: Vec<bool>,
    /// The text as diagnostics hold it, made once and shared by all of
    /// them (a copy each cost 1,000 warnings 400 MB on a long policy).
    shared: SharedText,
}

/// A cache of the text: never part of what makes two sources equal.
#[derive(Debug, Clone, Default)]
struct SharedText(std::sync::OnceLock<Arc<str>>);

impl PartialEq for SharedText {
    fn eq(&self, _: &SharedText) -> bool {
        true
    }
}

impl Eq for SharedText {}

impl SourceFile {
    /// A source named `name`.
    pub fn new(name: impl Into<Arc<str>>, text: impl Into<String>) -> Self {
        let text = text.into();
        let mut line_starts = vec![0];
        let mut ascii_lines = vec![true];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(u32::try_from(i + 1).unwrap_or(u32::MAX));
                ascii_lines.push(true);
            } else if !b.is_ascii() {
                if let Some(last) = ascii_lines.last_mut() {
                    *last = false;
                }
            }
        }
        SourceFile { name: name.into(), text, line_starts, ascii_lines, shared: SharedText::default() }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn position(&self, offset: u32) -> Position {
        let line_index = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let line_start = self.line_starts.get(line_index).copied().unwrap_or(0) as usize;
        let end = (offset as usize).min(self.text.len());
        let col = if self.ascii_lines.get(line_index).copied().unwrap_or(false) {
            end.saturating_sub(line_start)
        } else {
            // A byte-order mark opening the file is no column: editors hide it.
            let counted = self.text.get(line_start..end).map_or(end - line_start, |s| s.chars().count());
            counted - usize::from(line_start == 0 && end > 0 && self.text.starts_with('\u{feff}'))
        };
        Position { line: line_index as u32 + 1, col: col as u32 + 1 }
    }

    /// `file:line:col` of a span's start.
    pub fn location(&self, span: Span) -> Location {
        let Position { line, col } = self.position(span.start);
        Location { file: self.name.clone(), line, col }
    }

    /// The whole text, shared.
    pub fn shared_text(&self) -> Arc<str> {
        self.shared.0.get_or_init(|| Arc::from(self.text.as_str())).clone()
    }

    /// The text a span covers, or "" if the span is out of range.
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.start as usize..span.end as usize).unwrap_or("")
    }
}

/// A 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
}

/// `file:line:col`, as every diagnostic and explanation prints it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    /// The file's name.
    pub file: Arc<str>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}
