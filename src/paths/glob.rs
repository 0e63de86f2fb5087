//! Path patterns, gitignore-style: `*` and `?` inside one component,
//! `[a-z]` and `[!x]` classes, `**` for any number of components, and a
//! pattern that names a directory names everything under it. Anchors as
//! paths have them (`src/**` and `/src/**` in the workspace, `~/` home,
//! `//` the root), and a pattern with no `/` but a trailing one (`.env`,
//! `*.pem`, `node_modules/`) floats: it matches at any depth.

use super::{Anchor, AnchoredPath, COMPONENT_CAP, PATH_CAP};

/// Why a text is not a path pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GlobError {
    /// Nothing to match.
    #[error("a path pattern needs at least one component")]
    Empty,
    /// `!` negation: a rule list says it with a deny or an allow instead.
    #[error("`!` negation is not a pattern: write the exception as its own allow or deny rule")]
    Negation,
    /// `..` in a pattern, which no normalised path has.
    #[error("`..` in a pattern matches nothing (paths are normalised first)")]
    Parent,
    /// A `[` class without its `]`.
    #[error("unclosed `[` class")]
    UnclosedClass,
    /// A NUL byte, or over the path caps.
    #[error("a pattern may hold no NUL byte and no more than {PATH_CAP} bytes or {COMPONENT_CAP} components")]
    TooLong,
}

/// One character matcher of a component glob.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Char(char),
    /// `?`.
    One,
    /// `*`.
    Star,
    /// `[...]`: inclusive ranges, negated with a leading `!` or `^`.
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// One component of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// `**`: any number of components, none included.
    Any,
    /// Exactly this text.
    Literal(String),
    /// A glob within one component.
    Glob(Vec<Token>),
}

/// A compiled path pattern.
#[derive(Debug, Clone)]
pub struct PathGlob {
    /// `None`: it floats (matches at any depth, under any anchor for deny).
    anchor: Option<Anchor>,
    parts: Vec<Part>,
    /// How many components must follow a match: one for a trailing `/`
    /// (a directory has something beneath it) and one for a trailing `**`
    /// (at least one component), as git reads them of files: `build/` is
    /// not a file named `build`, and `a/**/` needs a directory inside `a`.
    beneath: usize,
    /// `must_match` and `may_match` as regexes, compiled on first use.
    compiled: std::sync::OnceLock<Option<(regex::Regex, regex::Regex)>>,
}

impl PartialEq for PathGlob {
    fn eq(&self, other: &PathGlob) -> bool {
        (self.anchor, &self.parts, self.beneath) == (other.anchor, &other.parts, other.beneath)
    }
}

impl Eq for PathGlob {}

impl PathGlob {
    /// A pattern from its text (quotes already removed).
    pub fn new(text: &str) -> Result<PathGlob, GlobError> {
        if text.len() > PATH_CAP || text.contains('\0') {
            return Err(GlobError::TooLong);
        }
        if text.starts_with('!') {
            return Err(GlobError::Negation);
        }
        let (anchor, rest) = if let Some(rest) = text.strip_prefix("//") {
            (Some(Anchor::Root), rest)
        } else if let Some(rest) = text.strip_prefix("~/") {
            (Some(Anchor::Home), rest)
        } else if let Some(rest) = text.strip_prefix("./") {
            (Some(Anchor::Workspace), rest)
        } else if let Some(rest) = text.strip_prefix('/') {
            (Some(Anchor::Workspace), rest)
        } else if text.trim_end_matches('/').contains('/') {
            // gitignore: a slash before the end anchors the pattern.
            (Some(Anchor::Workspace), text)
        } else {
            (None, text)
        };
        let mut parts = Vec::new();
        for component in rest.split('/') {
            match component {
                "" | "." => {}
                ".." => return Err(GlobError::Parent),
                "**" => {
                    if parts.last() != Some(&Part::Any) {
                        parts.push(Part::Any);
                    }
                }
                component => parts.push(component_part(component)?),
            }
        }
        if parts.len() > COMPONENT_CAP {
            return Err(GlobError::TooLong);
        }
        if parts.iter().all(|p| *p == Part::Any) && anchor.is_none() {
            return Err(GlobError::Empty);
        }
        // `**/x` floats as `x` does; an anchored `**/x` keeps its anchor.
        if anchor.is_none() && parts.first() == Some(&Part::Any) {
            parts.remove(0);
        }
        let mut beneath = usize::from(text.ends_with('/'));
        if parts.last() == Some(&Part::Any) {
            parts.pop();
            beneath += 1;
        }
        Ok(PathGlob { anchor, parts, beneath, compiled: std::sync::OnceLock::new() })
    }

    /// Where it is anchored; `None` when it floats.
    pub fn anchor(&self) -> Option<Anchor> {
        self.anchor
    }

    /// Every value the path may stand for makes it match: for allow rules.
    /// The path's own anchor only (a floating pattern: in the workspace),
    /// and case as written.
    pub fn must_match(&self, path: &AnchoredPath<'_>) -> bool {
        self.matchers().is_some_and(|(must, _)| must.is_match(&path.encoded()))
    }

    /// Some value the path may stand for makes it match: for deny and ask
    /// rules. Palisade does not know where the workspace and the home
    /// directory are, so a pattern anchored at either may match a path of
    /// another anchor at any depth; a floating one matches anywhere; case
    /// is folded (a case-insensitive filesystem opens `.ENV` for `.env`).
    pub fn may_match(&self, path: &AnchoredPath<'_>) -> bool {
        self.matchers().is_none_or(|(_, may)| may.is_match(&path.encoded()))
    }

    /// The two regexes; `None` if one did not compile (the sources are
    /// built from parsed parts with every literal escaped, so only a size
    /// limit could refuse them), which allows nothing and denies everything.
    fn matchers(&self) -> Option<&(regex::Regex, regex::Regex)> {
        self.compiled
            .get_or_init(|| match (regex::Regex::new(&self.must_source()), regex::Regex::new(&self.may_source())) {
                (Ok(must), Ok(may)) => Some((must, may)),
                _ => None,
            })
            .as_ref()
    }

    /// The regex over an encoded path (`AnchoredPath::encoded`) that
    /// `must_match` is: the pattern's own anchor (a floating one: the
    /// workspace, at any depth), case as written.
    pub(crate) fn must_source(&self) -> String {
        let start = match self.anchor {
            Some(anchor) => anchor_letter(anchor).to_string(),
            None => format!("{}{ANY_COMPONENTS}", anchor_letter(Anchor::Workspace)),
        };
        format!("(?s)^{start}{}$", self.parts_source(false))
    }

    /// The regex that `may_match` is: from the start of a path of the
    /// pattern's own anchor, or at any depth of a path of another anchor
    /// (never of a root pattern: the root is known), case folded.
    pub(crate) fn may_source(&self) -> String {
        let start = match self.anchor {
            Some(Anchor::Root) => "R".to_string(),
            Some(Anchor::Workspace) => format!("(?:W|[HR]{ANY_COMPONENTS})"),
            Some(Anchor::Home) => format!("(?:H|[WR]{ANY_COMPONENTS})"),
            None => format!("[WHR]{ANY_COMPONENTS}"),
        };
        format!("(?si)^{start}{}$", self.parts_source(true))
    }

    /// The parts, then what may follow a match: everything beneath it, or
    /// at least `beneath` components. `fold`: for the case-folded reading.
    fn parts_source(&self, fold: bool) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Any => out.push_str(ANY_COMPONENTS),
                Part::Literal(text) => {
                    out.push('/');
                    out.push_str(&regex::escape(text));
                }
                Part::Glob(tokens) => {
                    out.push('/');
                    for token in tokens {
                        out.push_str(&token_source(token, fold));
                    }
                }
            }
        }
        match self.beneath {
            0 => out.push_str(ANY_COMPONENTS),
            n => out.push_str(&format!("(?:/[^/]+){{{n},}}")),
        }
        out
    }
}

/// Any number of components, none included.
const ANY_COMPONENTS: &str = "(?:/[^/]+)*";
/// A class that matches nothing.
const NOTHING: &str = "[^\\s\\S]";

fn anchor_letter(anchor: Anchor) -> char {
    match anchor {
        Anchor::Workspace => 'W',
        Anchor::Home => 'H',
        Anchor::Root => 'R',
    }
}

/// One character matcher as regex: never `/`, which no component holds.
/// Folded, a negated class also takes every letter: some case of it may be
/// outside the class (`[!a]` and `A`), and a may reading must not miss that.
fn token_source(token: &Token, fold: bool) -> String {
    match token {
        Token::Char(c) => regex::escape(&c.to_string()),
        Token::One => "[^/]".into(),
        Token::Star => "[^/]*".into(),
        Token::Class { negated, ranges } => {
            let mut class = String::new();
            for (lo, hi) in ranges {
                let escape = |c: char| if c.is_alphanumeric() { c.to_string() } else { format!("\\x{{{:x}}}", c as u32) };
                class.push_str(&escape(*lo));
                if lo != hi {
                    class.push('-');
                    class.push_str(&escape(*hi));
                }
            }
            match (negated, class.is_empty()) {
                (true, true) => "[^/]".into(),
                (true, false) if fold => format!("(?:(?-i:[^/{class}])|\\p{{L}})"),
                (false, true) => NOTHING.into(),
                (true, false) => format!("[^/{class}]"),
                (false, false) => format!("[[{class}]&&[^/]]"),
            }
        }
    }
}

fn component_part(text: &str) -> Result<Part, GlobError> {
    if !text.contains(['*', '?', '[', '\\']) {
        return Ok(Part::Literal(text.to_string()));
    }
    let mut tokens = Vec::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        let token = match c {
            '\\' => Token::Char(chars.next().unwrap_or('\\')),
            '?' => Token::One,
            '*' => {
                if tokens.last() == Some(&Token::Star) {
                    continue;
                }
                Token::Star
            }
            '[' => {
                let mut negated = false;
                let mut ranges = Vec::new();
                let mut first = true;
                loop {
                    let Some(c) = chars.next() else { return Err(GlobError::UnclosedClass) };
                    match c {
                        '!' | '^' if first && !negated => {
                            negated = true;
                            continue;
                        }
                        ']' if !first => break,
                        _ => {}
                    }
                    first = false;
                    let mut lookahead = chars.clone();
                    match (lookahead.next(), lookahead.next()) {
                        (Some('-'), Some(end)) if end != ']' => {
                            chars = lookahead;
                            ranges.push((c, end));
                        }
                        _ => ranges.push((c, c)),
                    }
                }
                Token::Class { negated, ranges }
            }
            c => Token::Char(c),
        };
        tokens.push(token);
    }
    Ok(Part::Glob(tokens))
}
