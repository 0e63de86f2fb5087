//! Diagnostics: one type for every problem any layer finds in a policy, so
//! that `palisade check` prints them all the same way (text or JSON) and each
//! names `file:line:col` and shows the line.

use std::fmt;
use std::sync::Arc;

use miette::{LabeledSpan, NamedSource, SourceCode};

use crate::source::{Location, SourceFile, Span};

/// Declares [`Code`]: one variant per code, one spelling each.
macro_rules! codes {
    ($($variant:ident = $text:literal,)*) => {
        /// Every stable code a diagnostic or an error carries (`check --format json`
        /// prints them, so they are a public contract). Error types deriving
        /// `miette::Diagnostic` spell theirs as a literal; a test checks that each
        /// literal in the sources is one of these.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $(#[doc = concat!("`", $text, "`")] $variant,)*
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as printed, e.g. `palisade::unknown-tool`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)*
                }
            }
        }
    };
}

codes! {
    AllowAndAlsoAllow = "palisade::allow-and-also-allow",
    BadBind = "palisade::bad-bind",
    BadDuration = "palisade::bad-duration",
    BadExecPattern = "palisade::bad-exec-pattern",
    BadIdentityLink = "palisade::bad-identity-link",
    BadInbound = "palisade::bad-inbound",
    BadMentionPattern = "palisade::bad-mention-pattern",
    BadOwner = "palisade::bad-owner",
    BadPath = "palisade::bad-path",
    BadPathPattern = "palisade::bad-path-pattern",
    BadPairingCap = "palisade::bad-pairing-cap",
    BadPort = "palisade::bad-port",
    BadProvider = "palisade::bad-provider",
    BadRateLimit = "palisade::bad-rate-limit",
    BadSecret = "palisade::bad-secret",
    BadSender = "palisade::bad-sender",
    BadToolName = "palisade::bad-tool-name",
    BadValue = "palisade::bad-value",
    Contradiction = "palisade::contradiction",
    Docker = "palisade::docker",
    Duplicate = "palisade::duplicate",
    DuplicateAgent = "palisade::duplicate-agent",
    DuplicateDefault = "palisade::duplicate-default",
    DuplicateGroup = "palisade::duplicate-group",
    EmptyAllow = "palisade::empty-allow",
    ExposedGateway = "palisade::exposed-gateway",
    GatewayWithoutAuth = "palisade::gateway-without-auth",
    GroupCycle = "palisade::group-cycle",
    IgnoredKey = "palisade::ignored-key",
    ImplicitAgent = "palisade::implicit-agent",
    Internal = "palisade::internal",
    Io = "palisade::io",
    Json = "palisade::json",
    Listen = "palisade::listen",
    LiteralOption = "palisade::literal-option",
    LiteralSecret = "palisade::literal-secret",
    Misplaced = "palisade::misplaced",
    MissingSecret = "palisade::missing-secret",
    NoAgent = "palisade::no-agent",
    NoCallableTool = "palisade::no-callable-tool",
    NoEffect = "palisade::no-effect",
    NotRunnable = "palisade::not-runnable",
    OpenWithoutStar = "palisade::open-without-star",
    PatternMatchesNothing = "palisade::pattern-matches-nothing",
    PluginTool = "palisade::plugin-tool",
    ReadStrictly = "palisade::read-strictly",
    RedefinedGroup = "palisade::redefined-group",
    Redundant = "palisade::redundant",
    RefusedBind = "palisade::refused-bind",
    RefusedNetwork = "palisade::refused-network",
    ReloadGatewayChanged = "palisade::reload-gateway-changed",
    RolesWithoutGuild = "palisade::roles-without-guild",
    RootUser = "palisade::root-user",
    SandboxCap = "palisade::sandbox-cap",
    SandboxOff = "palisade::sandbox-off",
    Serve = "palisade::serve",
    ShadowedBinding = "palisade::shadowed-binding",
    ShadowedPattern = "palisade::shadowed-pattern",
    SharedSession = "palisade::shared-session",
    SharedWithHost = "palisade::shared-with-host",
    SharedWorkspace = "palisade::shared-workspace",
    StateInUse = "palisade::state-in-use",
    Store = "palisade::store",
    Syntax = "palisade::syntax",
    TestFailed = "palisade::test-failed",
    TooDeep = "palisade::too-deep",
    TooLarge = "palisade::too-large",
    UnknownAgent = "palisade::unknown-agent",
    UnknownChannel = "palisade::unknown-channel",
    UnknownGroup = "palisade::unknown-group",
    UnknownKey = "palisade::unknown-key",
    UnknownProfile = "palisade::unknown-profile",
    UnknownSetting = "palisade::unknown-setting",
    UnknownTool = "palisade::unknown-tool",
    WeakSandbox = "palisade::weak-sandbox",
    WeakSecret = "palisade::weak-secret",
    Workspace = "palisade::workspace",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// How serious a diagnostic is: errors stop the policy from loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The policy loads; worth a look.
    Warning,
    /// The policy does not load.
    Error,
}

/// One problem found in a policy, with its place.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Stable identifier, e.g. `palisade::unknown-tool`.
    pub code: Code,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it, when there is a likely fix.
    pub help: Option<String>,
    /// The label under the underlined text.
    pub label: Option<String>,
    /// The byte range of the text at fault.
    pub span: Span,
    /// Secondary places, e.g. the first of two duplicate definitions.
    pub related_spans: Vec<(Span, String)>,
    /// `file:line:col` of the span's start.
    pub location: Location,
    code_text: Clipped,
}

impl Diagnostic {
    /// A diagnostic on `span` of `source`.
    pub fn new(severity: Severity, code: Code, source: &SourceFile, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            help: None,
            label: None,
            span,
            related_spans: Vec::new(),
            location: source.location(span),
            code_text: Clipped(NamedSource::new(source.name.clone(), source.shared_text())),
        }
    }

    /// An error on `span` of `source`.
    pub fn error(code: Code, source: &SourceFile, span: Span, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, source, span, message)
    }

    /// A warning on `span` of `source`.
    pub fn warning(code: Code, source: &SourceFile, span: Span, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, source, span, message)
    }

    /// With a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// With a label under the span.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// With a secondary place and what it is.
    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related_spans.push((span, label.into()));
        self
    }

    /// Whether this diagnostic stops the policy from loading.
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

/// The source a snippet shows, with long lines cut to a window around the
/// span: a 200,000-character line would otherwise be printed whole.
#[derive(Debug, Clone)]
struct Clipped(NamedSource<Arc<str>>);

/// Widest line a snippet shows, in bytes; a longer one is cut around the span.
const SHOWN_LINE: usize = 160;

impl SourceCode for Clipped {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let contents = self.0.read_span(span, context_lines_before, context_lines_after)?;
        if contents.data().split(|b| *b == b'\n').all(|line| line.len() <= SHOWN_LINE) {
            return Ok(contents);
        }
        // Only the span's own line, cut to a window that holds the whole span;
        // a span over several lines (labels on different lines), or one wider
        // than the window, is shown as it is.
        let text: &'a str = self.0.inner();
        let at = span.offset().min(text.len());
        let span_end = (at + span.len()).min(text.len());
        let line_start = text.get(..at).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1);
        let line_end = text.get(at..).and_then(|t| t.find('\n')).map_or(text.len(), |i| at + i);
        if span_end > line_end || span.len() > SHOWN_LINE / 2 {
            return Ok(contents);
        }
        let mut start = at.saturating_sub(SHOWN_LINE / 4).max(line_start);
        let mut end = (start + SHOWN_LINE).min(line_end).max(span_end);
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        while !text.is_char_boundary(end) {
            end += 1;
        }
        let data = text.get(start..end).unwrap_or_default();
        let line = text.get(..line_start).map_or(0, |t| t.matches('\n').count());
        let column = text.get(line_start..start).map_or(0, |t| t.chars().count());
        Ok(Box::new(miette::MietteSpanContents::new_named(self.0.name().to_string(), data.as_bytes(), (start, end - start).into(), line, column, 1)))
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
    /// Errors and warnings, in the order they were found.
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
    /// The errors alone.
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
