//! Mention patterns as fixed-length byte programs, for the common case: an
//! ASCII text and patterns that are a literal with look-arounds and
//! one-character classes (`@palbot\b`, `^!ask\s`, `hey bot`). A packed
//! literal scan finds candidates; each is checked byte by byte. A regex
//! would re-read every candidate through its automaton at a few ns a
//! byte; here a candidate costs a comparison.
//!
//! Exact on ASCII texts only, which is all the caller gives it: there a
//! class is its ASCII members and a Unicode word boundary is an ASCII one.
//! Patterns of any other shape (repetitions, nested alternations, no
//! literal to scan for) build no program and the regex answers.

use aho_corasick::{packed, Span};
use regex_automata::util::look::{Look, LookMatcher};
use regex_syntax::hir::{Class, Hir, HirKind, Look as HirLook};

#[derive(Debug, Clone)]
pub(super) struct LiteralMatcher {
    /// Branches holding `^`: they can match at offset 0 only.
    anchored: Vec<Branch>,
    /// Every other branch, in the searcher's pattern order.
    scanned: Vec<Branch>,
    /// Finds each branch's key; `None` when `scanned` is empty.
    searcher: Option<packed::Searcher>,
    looks: LookMatcher,
}

#[derive(Debug, Clone)]
struct Branch {
    /// What the branch matches before its key, and after it.
    before: Vec<Atom>,
    after: Vec<Atom>,
    /// The longest run of single-byte atoms: what the scan looks for.
    key: Vec<u8>,
    /// Bytes the branch consumes before its key.
    key_offset: usize,
}

#[derive(Debug, Clone, Copy)]
enum Atom {
    Byte(AsciiSet),
    Look(Look),
}

/// A set of ASCII bytes.
#[derive(Debug, Clone, Copy)]
struct AsciiSet(u128);

impl AsciiSet {
    fn contains(self, byte: u8) -> bool {
        byte < 128 && self.0 >> byte & 1 == 1
    }

    fn single(self) -> Option<u8> {
        (self.0.count_ones() == 1).then(|| self.0.trailing_zeros() as u8)
    }
}

impl LiteralMatcher {
    /// `patterns` are folded HIRs (no ASCII capitals left). `None` when some
    /// pattern has a shape this matcher does not cover.
    pub(super) fn new(patterns: &[Hir]) -> Option<Self> {
        let mut anchored = Vec::new();
        let mut scanned = Vec::new();
        for pattern in patterns {
            for alternative in alternatives(pattern) {
                let mut atoms = Vec::new();
                match flatten(alternative, &mut atoms) {
                    Shape::Supported => {}
                    // The branch needs a byte no ASCII text holds.
                    Shape::NeverOnAscii => continue,
                    Shape::Unsupported => return None,
                }
                let at_start_only = atoms.iter().any(|atom| matches!(atom, Atom::Look(Look::Start)));
                let branch = Branch::new(atoms);
                if at_start_only {
                    anchored.push(branch);
                } else if branch.key.is_empty() {
                    // Could match anywhere: there is nothing to scan for.
                    return None;
                } else {
                    scanned.push(branch);
                }
            }
        }
        let searcher = match scanned.is_empty() {
            true => None,
            // `None` from the builder means no SIMD here: the regex answers.
            false => Some(packed::Searcher::new(scanned.iter().map(|b| b.key.as_slice()))?),
        };
        Some(LiteralMatcher { anchored, scanned, searcher, looks: LookMatcher::new() })
    }

    /// `text` must be ASCII with no capitals. `None`: more than
    /// `CANDIDATES` candidates failed, so the text is full of near misses
    /// and the automaton, which reads each byte once, should answer.
    pub(super) fn is_match(&self, text: &[u8]) -> Option<bool> {
        if self.anchored.iter().any(|branch| branch.matches_around(&self.looks, text, branch.key_offset, false)) {
            return Some(true);
        }
        let Some(searcher) = &self.searcher else { return Some(false) };
        let mut from = 0;
        // Leftmost-first reports one key per start, so every branch is tried
        // at each candidate start; then the scan resumes one byte on.
        for _ in 0..CANDIDATES {
            let Some(found) = searcher.find_in(text, Span::from(from..text.len())) else { return Some(false) };
            let (at, reported) = (found.start(), found.pattern().as_usize());
            if self.scanned.iter().enumerate().any(|(index, branch)| branch.matches_around(&self.looks, text, at, index == reported)) {
                return Some(true);
            }
            from = at + 1;
        }
        None
    }
}

/// Failed candidates before the byte programs give the text up. Real
/// messages hold a key (`@palbot`) that is not a mention rarely, if ever.
const CANDIDATES: usize = 8;

impl Branch {
    fn new(atoms: Vec<Atom>) -> Self {
        let mut best = (0, 0, 0); // (length, atom index, byte offset)
        let mut run = (0, 0, 0);
        let mut consumed = 0;
        for (index, atom) in atoms.iter().enumerate() {
            match atom {
                Atom::Byte(set) if set.single().is_some() => {
                    if run.0 == 0 {
                        run = (0, index, consumed);
                    }
                    run.0 += 1;
                    if run.0 > best.0 {
                        best = run;
                    }
                    consumed += 1;
                }
                Atom::Byte(_) => {
                    run.0 = 0;
                    consumed += 1;
                }
                // Zero-width: a look inside a run ends it, as the key is
                // compared as plain bytes.
                Atom::Look(_) => run.0 = 0,
            }
        }
        let (length, first, key_offset) = best;
        let key = atoms.iter().skip(first).take(length).filter_map(|atom| match atom {
            Atom::Byte(set) => set.single(),
            Atom::Look(_) => None,
        });
        Branch {
            key: key.collect(),
            key_offset,
            before: atoms.iter().take(first).copied().collect(),
            after: atoms.iter().skip(first + length).copied().collect(),
        }
    }

    /// Does the branch match with its key at `key_at`? `key_known`: the
    /// scan already found this very key there.
    fn matches_around(&self, looks: &LookMatcher, text: &[u8], key_at: usize, key_known: bool) -> bool {
        let Some(start) = key_at.checked_sub(self.key_offset) else { return false };
        let key_end = key_at + self.key.len();
        // A byte loop, not `==`: for keys this short, a call to `memcmp`
        // costs more than the comparison.
        let key_here = || text.get(key_at..key_end).is_some_and(|t| t.iter().zip(&self.key).all(|(a, b)| a == b));
        (key_known || key_here()) && atoms_match(&self.before, looks, text, start) && atoms_match(&self.after, looks, text, key_end)
    }
}

fn atoms_match(atoms: &[Atom], looks: &LookMatcher, text: &[u8], start: usize) -> bool {
    let mut at = start;
    for atom in atoms {
        match *atom {
            Atom::Byte(set) => match text.get(at) {
                Some(&byte) if set.contains(byte) => at += 1,
                _ => return false,
            },
            Atom::Look(look) => {
                if at > text.len() || !looks.matches(look, text, at) {
                    return false;
                }
            }
        }
    }
    true
}

/// The top-level alternatives of a pattern.
fn alternatives(hir: &Hir) -> Vec<&Hir> {
    match hir.kind() {
        HirKind::Alternation(parts) => parts.iter().flat_map(alternatives).collect(),
        HirKind::Capture(capture) => alternatives(&capture.sub),
        _ => vec![hir],
    }
}

enum Shape {
    Supported,
    NeverOnAscii,
    Unsupported,
}

/// Appends the atoms of a fixed-length, alternation-free HIR.
fn flatten(hir: &Hir, atoms: &mut Vec<Atom>) -> Shape {
    match hir.kind() {
        HirKind::Empty => Shape::Supported,
        HirKind::Literal(literal) => {
            for &byte in literal.0.iter() {
                if !byte.is_ascii() {
                    return Shape::NeverOnAscii;
                }
                atoms.push(Atom::Byte(AsciiSet(1 << byte)));
            }
            Shape::Supported
        }
        HirKind::Class(class) => {
            let mut set = 0u128;
            let mut add = |start: u32, end: u32| (start..=end.min(127)).for_each(|byte| set |= 1 << byte);
            match class {
                Class::Unicode(class) => class.ranges().iter().for_each(|r| add(r.start().into(), r.end().into())),
                Class::Bytes(class) => class.ranges().iter().for_each(|r| add(r.start().into(), r.end().into())),
            }
            match set {
                0 => Shape::NeverOnAscii,
                _ => {
                    atoms.push(Atom::Byte(AsciiSet(set)));
                    Shape::Supported
                }
            }
        }
        HirKind::Look(look) => match Look::from_repr(ascii_look(*look).as_repr()) {
            Some(look) => {
                atoms.push(Atom::Look(look));
                Shape::Supported
            }
            None => Shape::Unsupported,
        },
        HirKind::Capture(capture) => flatten(&capture.sub, atoms),
        HirKind::Concat(parts) => {
            for part in parts {
                match flatten(part, atoms) {
                    Shape::Supported => {}
                    other => return other,
                }
            }
            Shape::Supported
        }
        HirKind::Repetition(_) | HirKind::Alternation(_) => Shape::Unsupported,
    }
}

/// On an ASCII text a Unicode word character is an ASCII one.
fn ascii_look(look: HirLook) -> HirLook {
    match look {
        HirLook::WordUnicode => HirLook::WordAscii,
        HirLook::WordUnicodeNegate => HirLook::WordAsciiNegate,
        HirLook::WordStartUnicode => HirLook::WordStartAscii,
        HirLook::WordEndUnicode => HirLook::WordEndAscii,
        HirLook::WordStartHalfUnicode => HirLook::WordStartHalfAscii,
        HirLook::WordEndHalfUnicode => HirLook::WordEndHalfAscii,
        other => other,
    }
}
