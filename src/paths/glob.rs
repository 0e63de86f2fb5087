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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathGlob {
    /// `None`: it floats (matches at any depth, under any anchor for deny).
    anchor: Option<Anchor>,
    parts: Vec<Part>,
    /// How many components must follow a match: one for a trailing `/`
    /// (a directory has something beneath it) and one for a trailing `**`
    /// (at least one component), as git reads them of files: `build/` is
    /// not a file named `build`, and `a/**/` needs a directory inside `a`.
    beneath: usize,
}

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
        Ok(PathGlob { anchor, parts, beneath })
    }

    /// Where it is anchored; `None` when it floats.
    pub fn anchor(&self) -> Option<Anchor> {
        self.anchor
    }

    /// Every value the path may stand for makes it match: for allow rules.
    /// The path's own anchor only (a floating pattern: in the workspace),
    /// and case as written.
    pub fn must_match(&self, path: &AnchoredPath<'_>) -> bool {
        match self.anchor {
            Some(anchor) => anchor == path.anchor() && self.matches_from_start(path.components(), false),
            None => path.anchor() == Anchor::Workspace && self.matches_anywhere(path.components(), false),
        }
    }

    /// Some value the path may stand for makes it match: for deny and ask
    /// rules. Palisade does not know where the workspace and the home
    /// directory are, so a pattern anchored at either may match a path of
    /// another anchor at any depth; a floating one matches anywhere; case
    /// is folded (a case-insensitive filesystem opens `.ENV` for `.env`).
    pub fn may_match(&self, path: &AnchoredPath<'_>) -> bool {
        if crate::seam!(DenyOnlyOwnAnchor) && self.anchor.is_some_and(|a| a != path.anchor()) {
            return false;
        }
        match self.anchor {
            Some(anchor) if anchor == path.anchor() => self.matches_from_start(path.components(), true),
            Some(Anchor::Root) => false,
            Some(_) | None => self.matches_anywhere(path.components(), true),
        }
    }

    /// The parts match the components from the first, or a first run of
    /// them (a directory holds what is under it).
    fn matches_from_start(&self, components: &[&str], fold: bool) -> bool {
        matches_prefix(&self.parts, components, fold, self.beneath)
    }

    /// The parts match from some component on.
    fn matches_anywhere(&self, components: &[&str], fold: bool) -> bool {
        (0..=components.len()).any(|start| matches_prefix(&self.parts, components.get(start..).unwrap_or_default(), fold, self.beneath))
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

/// Whether `parts` match `components` from the first, consuming the parts
/// and a first run of the components (what follows is under a match);
/// `beneath`: how many components must follow.
fn matches_prefix(parts: &[Part], components: &[&str], fold: bool, beneath: usize) -> bool {
    // reach[j]: the parts so far can match exactly components[..j]. Paths
    // have at most COMPONENT_CAP components, so this stays on the stack.
    let n = components.len();
    let mut reach = [false; COMPONENT_CAP + 2];
    let mut next = [false; COMPONENT_CAP + 2];
    if n > COMPONENT_CAP {
        return false;
    }
    if let Some(slot) = reach.get_mut(0) {
        *slot = true;
    }
    for part in parts {
        next.iter_mut().for_each(|s| *s = false);
        match part {
            Part::Any => {
                let mut seen = false;
                for j in 0..=n {
                    seen |= reach.get(j).copied().unwrap_or(false);
                    if let Some(slot) = next.get_mut(j) {
                        *slot = seen;
                    }
                }
            }
            part => {
                for j in 0..n {
                    let here = reach.get(j).copied().unwrap_or(false);
                    let fits = here && components.get(j).is_some_and(|c| part_matches(part, c, fold));
                    if let Some(slot) = next.get_mut(j + 1) {
                        *slot = fits;
                    }
                }
            }
        }
        std::mem::swap(&mut reach, &mut next);
        if !reach.iter().take(n + 1).any(|r| *r) {
            return false;
        }
    }
    reach.iter().take((n + 1).saturating_sub(beneath)).any(|r| *r)
}

fn part_matches(part: &Part, component: &str, fold: bool) -> bool {
    match part {
        Part::Any => true,
        Part::Literal(text) if fold => {
            text.eq_ignore_ascii_case(component) || (!(text.is_ascii() && component.is_ascii()) && text.to_lowercase() == component.to_lowercase())
        }
        Part::Literal(text) => text == component,
        Part::Glob(tokens) => glob_matches(tokens, component, fold),
    }
}

fn same(a: char, b: char, fold: bool) -> bool {
    a == b || (fold && a.to_lowercase().eq(b.to_lowercase()))
}

fn token_matches(token: &Token, c: char, fold: bool) -> bool {
    match token {
        Token::Char(want) => same(*want, c, fold),
        Token::One => true,
        Token::Star => true,
        Token::Class { negated, ranges } => {
            let within = |c: char| ranges.iter().any(|(lo, hi)| *lo <= c && c <= *hi);
            let hit = within(c) || (fold && c.to_lowercase().chain(c.to_uppercase()).any(within));
            hit != *negated
        }
    }
}

/// `*` any run, the other tokens one character each; the classic greedy
/// match that backs up to the last `*`, exact for these tokens. Positions
/// are byte offsets into `text`, so nothing is copied.
fn glob_matches(tokens: &[Token], text: &str, fold: bool) -> bool {
    let at = |c: usize| text.get(c..).and_then(|rest| rest.chars().next());
    let (mut t, mut c) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while let Some(here) = at(c) {
        match tokens.get(t) {
            Some(Token::Star) => {
                star = Some((t, c));
                t += 1;
            }
            Some(token) if token_matches(token, here, fold) => {
                t += 1;
                c += here.len_utf8();
            }
            _ => match star {
                Some((st, sc)) => {
                    let skipped = at(sc).map_or(1, char::len_utf8);
                    t = st + 1;
                    c = sc + skipped;
                    star = Some((st, sc + skipped));
                }
                None => return false,
            },
        }
    }
    tokens.get(t..).unwrap_or_default().iter().all(|tok| *tok == Token::Star)
}
