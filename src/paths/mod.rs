//! Paths as Palisade reads them: lexically normalised and anchored at the
//! workspace, the home directory or the filesystem root (ARCHITECTURE.md,
//! Paths). One normaliser serves the file rules, the gateway's file tools
//! and the sandbox's host paths, so what is decided is what is opened.
//!
//! A path is read without the filesystem: `.` and empty components go,
//! `..` takes back the component before it. A `..` that would climb out of
//! the workspace or the home directory, a NUL byte, an empty path and one
//! over [`PATH_CAP`] bytes or [`COMPONENT_CAP`] components are errors, and
//! every rule decides an error as strictly as any path. At the root, `..`
//! stays at the root, as the kernel reads it.

mod glob;

pub use glob::{GlobError, PathGlob};

/// Longest path accepted, in bytes (Linux's `PATH_MAX`).
pub const PATH_CAP: usize = 4096;
/// Most components a path may have.
pub const COMPONENT_CAP: usize = 64;

/// Where a path starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Anchor {
    /// Relative: inside the agent's workspace.
    Workspace,
    /// `~/`: the home directory.
    Home,
    /// `/`: the filesystem root.
    Root,
}

impl Anchor {
    /// How a path of this anchor is written before its components.
    pub fn prefix(self) -> &'static str {
        match self {
            Anchor::Workspace => "",
            Anchor::Home => "~/",
            Anchor::Root => "/",
        }
    }
}

/// A normalised path: an anchor and components, none empty, `.` or `..`,
/// each borrowed from the text it was read from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AnchoredPath<'p> {
    anchor: Anchor,
    components: Vec<&'p str>,
}

impl<'p> AnchoredPath<'p> {
    /// Where it starts.
    pub fn anchor(&self) -> Anchor {
        self.anchor
    }

    /// Its components, in order (none for the workspace, home or root itself).
    pub fn components(&self) -> &[&'p str] {
        &self.components
    }

    /// The form path patterns match: the anchor's letter (`W`, `H`, `R`),
    /// then `/` and each component (`W/src/main.rs`).
    pub(crate) fn encoded(&self) -> String {
        let mut out = String::with_capacity(1 + self.components.iter().map(|c| c.len() + 1).sum::<usize>());
        out.push(match self.anchor {
            Anchor::Workspace => 'W',
            Anchor::Home => 'H',
            Anchor::Root => 'R',
        });
        for component in &self.components {
            out.push('/');
            out.push_str(component);
        }
        out
    }
}

impl std::fmt::Display for AnchoredPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.anchor, self.components.is_empty()) {
            (Anchor::Workspace, true) => f.write_str("."),
            (Anchor::Home, true) => f.write_str("~"),
            // A workspace path whose first component is `~` is not the home directory.
            (Anchor::Workspace, false) if self.components.first() == Some(&"~") => write!(f, "./{}", self.components.join("/")),
            (anchor, _) => write!(f, "{}{}", anchor.prefix(), self.components.join("/")),
        }
    }
}

/// Why a text is not a path Palisade reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum PathError {
    /// Nothing but separators and `.`, or nothing at all.
    #[error("path `{0}` is empty")]
    #[diagnostic(code("palisade::bad-path"))]
    Empty(String),
    /// `..` climbs out of the workspace or the home directory.
    #[error("path `{0}` leaves the {1} through `..`")]
    #[diagnostic(code("palisade::bad-path"))]
    Escapes(String, &'static str),
    /// A NUL byte, which no system call takes.
    #[error("path `{0}` contains a NUL byte")]
    #[diagnostic(code("palisade::bad-path"))]
    Nul(String),
    /// Given as something other than text (a number, a list, an object).
    #[error("a path must be text")]
    #[diagnostic(code("palisade::bad-path"))]
    NotText,
    /// Over the caps.
    #[error("path of {0} bytes or {1} components is over the limit ({PATH_CAP} bytes, {COMPONENT_CAP} components)")]
    #[diagnostic(code("palisade::bad-path"))]
    TooLong(usize, usize),
}

/// At most this many bytes of a path are quoted in an error or a reason.
const QUOTED: usize = 200;

/// `text` as errors and reasons quote it: whole up to [`QUOTED`] bytes,
/// else its start and its length, so no answer grows with a hostile path.
pub fn quoted(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() <= QUOTED {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut end = QUOTED;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    std::borrow::Cow::Owned(format!("{}… ({} bytes)", text.get(..end).unwrap_or_default(), text.len()))
}

/// The path `text` means: relative to the workspace, `~/` (or `~` alone)
/// in the home directory, `/` from the root; lexically normalised.
pub fn normalize(text: &str) -> Result<AnchoredPath<'_>, PathError> {
    // Only the empty text: a name of spaces is a name (the gateway's file
    // tools refuse one of their own accord).
    if text.is_empty() {
        return Err(PathError::Empty(String::new()));
    }
    let count = text.split('/').count();
    if text.len() > PATH_CAP || count > COMPONENT_CAP {
        return Err(PathError::TooLong(text.len(), count));
    }
    if text.contains('\0') {
        return Err(PathError::Nul(quoted(&text.escape_debug().to_string()).into_owned()));
    }
    let (anchor, rest) = if let Some(rest) = text.strip_prefix('/') {
        (Anchor::Root, rest)
    } else if text == "~" {
        (Anchor::Home, "")
    } else if let Some(rest) = text.strip_prefix("~/") {
        (Anchor::Home, rest)
    } else {
        (Anchor::Workspace, text)
    };
    let mut components = Vec::with_capacity(count);
    let resolve = !crate::seam!(PathsNotNormalised);
    for part in rest.split('/') {
        match part {
            "" => {}
            "." | ".." if !resolve => components.push(part),
            "." => {}
            ".." => {
                if components.pop().is_none() && anchor != Anchor::Root {
                    let what = if anchor == Anchor::Home { "home directory" } else { "workspace" };
                    return Err(PathError::Escapes(quoted(text).into_owned(), what));
                }
            }
            part => components.push(part),
        }
    }
    Ok(AnchoredPath { anchor, components })
}

/// An absolute path with `.`, `..` and empty components resolved, without
/// the filesystem (`..` at the root stays there); what is not absolute is
/// read from the root. For host paths and program paths, which are
/// absolute; never fails (a NUL or an overlong path is kept as written, for
/// the caller's own checks).
pub fn normalize_absolute(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod tests;
