//! Diagnostics: one type for every problem any layer finds in a policy, so
//! that `palisade check` prints them all the same way (text or JSON) and each
//! names `file:line:col` and shows the line.

use std::fmt;
use std::sync::Arc;

use miette::{LabeledSpan, NamedSource, SourceCode};

use crate::source::{Location, SourceFile, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One problem found in a policy, with its place.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable identifier, e.g. `palisade::unknown-tool`.
    pub code: &'static str,
    pub message: String,
    pub help: Option<String>,
    pub label: Option<String>,
    pub span: Span,
    /// Secondary places, e.g. the first of two duplicate definitions.
    pub related_spans: Vec<(Span, String)>,
    pub location: Location,
    code_text: NamedSource<Arc<str>>,
}

impl Diagnostic {
    pub fn new(severity: Severity, code: &'static str, source: &SourceFile, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            help: None,
            label: None,
            span,
            related_spans: Vec::new(),
            location: source.location(span),
            code_text: NamedSource::new(source.name.clone(), Arc::from(source.text.as_str())),
        }
    }

    pub fn error(code: &'static str, source: &SourceFile, span: Span, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, source, span, message)
    }

    pub fn warning(code: &'static str, source: &SourceFile, span: Span, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, source, span, message)
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related_spans.push((span, label.into()));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// One line: `file:line:col: error[code]: message`.
    pub fn short(&self) -> String {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        format!("{}: {severity}[{}]: {}", self.location, self.code, self.message)
    }

    /// The shape `palisade check --format json` prints.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "help": self.help,
            "file": self.location.file,
            "line": self.location.line,
            "col": self.location.col,
            "at": self.location.to_string(),
        })
    }
}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.code_text)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let primary = LabeledSpan::new_primary_with_span(self.label.clone(), self.span);
        let related = self.related_spans.iter().map(|(span, label)| LabeledSpan::new_with_span(Some(label.clone()), *span));
        Some(Box::new(std::iter::once(primary).chain(related)))
    }
}

/// Every diagnostic a policy produced; an `Err` holds at least one error.
#[derive(Debug, Clone, thiserror::Error, miette::Diagnostic)]
#[error("{}", summary(.diagnostics))]
pub struct PolicyError {
    #[related]
    pub diagnostics: Vec<Diagnostic>,
}

fn summary(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let first = diagnostics.iter().find(|d| d.is_error()).map(|d| &*d.location.file).unwrap_or("policy");
    let plural = |n: usize, word: &str| if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") };
    format!("{first}: {} and {}", plural(errors, "error"), plural(warnings, "warning"))
}

impl PolicyError {
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }
}

/// Collects diagnostics while a pass runs; errors do not stop the pass, so
/// that several come out at once.
#[derive(Debug, Default)]
pub struct Sink {
    pub diagnostics: Vec<Diagnostic>,
}

impl Sink {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// `Ok(value, warnings)` when no error was pushed.
    pub fn finish<T>(self, value: T) -> Result<(T, Vec<Diagnostic>), PolicyError> {
        if self.has_errors() {
            Err(self.into_error())
        } else {
            let mut diagnostics = self.diagnostics;
            diagnostics.sort_by_key(|d| d.span.start);
            Ok((value, diagnostics))
        }
    }

    /// Every diagnostic, in source order.
    pub fn into_error(self) -> PolicyError {
        let mut diagnostics = self.diagnostics;
        diagnostics.sort_by_key(|d| (d.span.start, std::cmp::Reverse(d.severity)));
        PolicyError { diagnostics }
    }
}

/// The closest candidate by edit distance, for "did you mean" help.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    let limit = (word.len() / 2).clamp(1, 3);
    candidates.into_iter().map(|c| (edit_distance(&word, c), c)).filter(|(d, _)| *d <= limit).min_by_key(|(d, _)| *d).map(|(_, c)| c)
}

pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let delete = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let insert = cur.get(j).copied().unwrap_or(0) + 1;
            cur.push(substitute.min(delete).min(insert));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}
