//! Mention detection: all patterns of a channel as one case-insensitive
//! automaton. A case-insensitive regex loses the literal prefilter (`@bot`
//! has 16 case variants), so the gate runs a case-*sensitive* twin on the
//! ASCII-lowercased text instead; both give the same answer (see `fold`).
//! On an ASCII text, patterns of the usual shape skip the automaton too
//! (`literal.rs`).

mod literal;

use regex_syntax::hir::{Capture, Class, ClassBytes, ClassBytesRange, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Repetition};

/// Texts up to this many bytes are lowercased on the stack (a short buffer
/// first: zeroing it is part of the cost); longer ones use the
/// case-insensitive automaton directly. No path allocates.
const SHORT: usize = 256;
const STACK: usize = 1024;

#[derive(Debug, Clone)]
pub(crate) struct MentionMatcher {
    /// The patterns as written, case-insensitive.
    general: regex::Regex,
    /// The same language restricted to ASCII-lowercased haystacks; `None`
    /// when a pattern turns case-insensitivity off (`(?-i:Exact)`). A meta
    /// regex without capture groups: the gate asks only "is there a match".
    folded: Option<regex_automata::meta::Regex>,
    /// The folded patterns as byte programs, for ASCII texts; `None` when
    /// there is no `folded` or a pattern's shape is not covered.
    literal: Option<literal::LiteralMatcher>,
}

impl MentionMatcher {
    /// One automaton for `patterns`: each as written and as `parse` read it.
    pub(crate) fn new(patterns: Vec<(String, Hir)>, size_limit: usize) -> Result<Self, String> {
        let combined = patterns.iter().map(|(p, _)| format!("(?:{p})")).collect::<Vec<_>>().join("|");
        let general = regex::RegexBuilder::new(&combined).case_insensitive(true).size_limit(size_limit).build().map_err(|e| e.to_string())?;
        let hirs: Vec<Hir> = patterns.into_iter().map(|(_, hir)| hir).collect();
        let (folded, literal) = if hirs.iter().all(ascii_case_closed) {
            let hirs: Vec<Hir> = hirs.into_iter().map(fold).collect();
            // Bytes API: the lowercased copy is valid UTF-8 but proving it
            // would take `unsafe`; the bytes regex needs no proof.
            let config = regex_automata::meta::Config::new()
                .which_captures(regex_automata::nfa::thompson::WhichCaptures::None)
                .nfa_size_limit(Some(size_limit));
            let folded = regex_automata::meta::Builder::new().configure(config).build_from_hir(&Hir::alternation(hirs.clone()));
            (Some(folded.map_err(|e| e.to_string())?), literal::LiteralMatcher::new(&hirs))
        } else {
            (None, None)
        };
        Ok(MentionMatcher { general, folded, literal })
    }

    pub(crate) fn is_match(&self, text: &str) -> bool {
        let bytes = text.as_bytes();
        match &self.folded {
            Some(folded) if bytes.len() <= SHORT => self.folded_match::<SHORT>(folded, bytes),
            Some(folded) if bytes.len() <= STACK => self.folded_match::<STACK>(folded, bytes),
            _ => self.general.is_match(text),
        }
    }

    fn folded_match<const N: usize>(&self, folded: &regex_automata::meta::Regex, bytes: &[u8]) -> bool {
        let mut buf = [0u8; N];
        let Some(lower) = buf.get_mut(..bytes.len()) else { return false };
        // One pass (copy, lowercase, note any non-ASCII byte) vectorises;
        // two passes stall on reading back what was just stored.
        let mut high = 0u8;
        for (d, s) in lower.iter_mut().zip(bytes) {
            high |= s;
            *d = s.to_ascii_lowercase();
        }
        match &self.literal {
            Some(literal) if high.is_ascii() => literal.is_match(lower).unwrap_or_else(|| folded.is_match(&*lower)),
            _ => folded.is_match(&*lower),
        }
    }
}

/// Parses one mention pattern as the matcher reads it: case-insensitive,
/// with a parser of its own (a reused one carries a pattern's top-level
/// flags, such as `(?m)`, into the next).
pub(crate) fn parse(pattern: &str) -> Result<Hir, Box<regex_syntax::Error>> {
    regex_syntax::ParserBuilder::new().case_insensitive(true).build().parse(pattern).map_err(Box::new)
}

/// Does the HIR treat every ASCII letter and its capital alike? False
/// when a pattern switches case-insensitivity off somewhere.
fn ascii_case_closed(hir: &Hir) -> bool {
    let pairs = || (b'a'..=b'z').map(|b| (b, b.to_ascii_uppercase()));
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => true,
        HirKind::Literal(literal) => !literal.0.iter().any(u8::is_ascii_alphabetic),
        HirKind::Class(Class::Unicode(class)) => {
            let has = |b: u8| class.ranges().iter().any(|r| r.start() <= char::from(b) && char::from(b) <= r.end());
            pairs().all(|(lower, upper)| has(lower) == has(upper))
        }
        HirKind::Class(Class::Bytes(class)) => {
            let has = |b: u8| class.ranges().iter().any(|r| r.start() <= b && b <= r.end());
            pairs().all(|(lower, upper)| has(lower) == has(upper))
        }
        HirKind::Repetition(rep) => ascii_case_closed(&rep.sub),
        HirKind::Capture(cap) => ascii_case_closed(&cap.sub),
        HirKind::Concat(parts) | HirKind::Alternation(parts) => parts.iter().all(ascii_case_closed),
    }
}

/// Rewrites a case-insensitive HIR for haystacks without ASCII capitals:
/// every class drops `A-Z` and literals are lowercased. Sound because a
/// case-insensitive HIR is closed under simple case folding, so whatever it
/// matched through a capital it also matches through the lowercase letter
/// the haystack now holds; non-ASCII text is left as it was, and so are the
/// classes' non-ASCII members. Word boundaries do not change: lowercasing
/// never turns a word character into a non-word one.
fn fold(hir: Hir) -> Hir {
    match hir.into_kind() {
        HirKind::Empty => Hir::empty(),
        HirKind::Literal(literal) => Hir::literal(literal.0.to_ascii_lowercase()),
        HirKind::Class(Class::Unicode(mut class)) => {
            class.difference(&ClassUnicode::new([ClassUnicodeRange::new('A', 'Z')]));
            Hir::class(Class::Unicode(class))
        }
        HirKind::Class(Class::Bytes(mut class)) => {
            class.difference(&ClassBytes::new([ClassBytesRange::new(b'A', b'Z')]));
            Hir::class(Class::Bytes(class))
        }
        HirKind::Look(look) => Hir::look(look),
        HirKind::Repetition(rep) => Hir::repetition(Repetition { sub: Box::new(fold(*rep.sub)), ..rep }),
        HirKind::Capture(cap) => Hir::capture(Capture { sub: Box::new(fold(*cap.sub)), ..cap }),
        HirKind::Concat(parts) => Hir::concat(parts.into_iter().map(fold).collect()),
        HirKind::Alternation(parts) => Hir::alternation(parts.into_iter().map(fold).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn matcher(patterns: &[String]) -> MentionMatcher {
        let parsed = patterns.iter().map(|p| (p.clone(), parse(p).unwrap())).collect();
        MentionMatcher::new(parsed, 1 << 22).unwrap()
    }

    const PATTERNS: &[&str] = &[
        r"@palbot\b",
        "hey bot",
        r"^!ask\s",
        "[A-Z]+bot",
        r"\bBOT\b",
        "[^a-z]k",
        "ß",
        "straße",
        "Ω+",
        r"\w+@\w+",
        "(?-i:Exact)",
        "[[:upper:]]x",
        r"\p{Lu}y",
        "é|É",
        "K",
        "(a|B)c",
    ];
    const PIECES: &[&str] = &[
        "@PalBot", "@palbot", "@palbotx", "hey", " ", "BOT", "bot", "!ask ", "!ASK\t", "k", "K", "\u{212A}", "ß", "STRASSE", "Straße", "ω", "Ω", "x",
        "X", "exact", "Exact", "EXACT", "é", "É", "ac", "AC", "bC", "Y", "y", "a@b", "-", "\n",
    ];

    proptest! {
        /// The folded automaton on lowercased text answers exactly as the
        /// case-insensitive one on the text as written, short or long.
        #[test]
        fn folded_matcher_agrees_with_case_insensitive_regex(
            patterns in proptest::sample::subsequence(PATTERNS.to_vec(), 1..4),
            pieces in proptest::collection::vec(proptest::sample::select(PIECES.to_vec()), 0..12),
            filler in prop_oneof![Just(0usize), Just(40), Just(200)],
        ) {
            let patterns: Vec<String> = patterns.iter().map(|p| (*p).to_string()).collect();
            let matcher = matcher(&patterns);
            let mut text = pieces.concat();
            // 0, 280 and 1400 bytes of filler: the short buffer, the long
            // buffer and the case-insensitive automaton all get their turn.
            text = format!("{}{text}", "filler ".repeat(filler));
            prop_assert_eq!(matcher.is_match(&text), matcher.general.is_match(&text), "{:?} on {:?}", patterns, text);
        }
    }

    /// Shapes the byte programs cover, chosen so that keys overlap, share
    /// starts and sit after a class or a look.
    const PROGRAM_PATTERNS: &[&str] =
        &[r"@palbot\b", "hey bot", r"^!ask\s", r"\bbot\b", "[^a-z]k", "aab", r"ab\B", "^a", r"[xy]ab$", "b(a)b", "é|ab", r"\b"];
    const ASCII_PIECES: &[&str] = &["@PalBot", "@palbotx", "hey", " ", "BOT", "bot", "!ask ", "!ASK\t", "k", "K", "a", "A", "b", "x", "Y", "-", "\n"];

    proptest! {
        /// On ASCII text the byte programs answer as the regex does.
        #[test]
        fn byte_programs_agree_with_case_insensitive_regex(
            patterns in proptest::sample::subsequence(PROGRAM_PATTERNS.to_vec(), 1..5),
            pieces in proptest::collection::vec(proptest::sample::select(ASCII_PIECES.to_vec()), 0..16),
        ) {
            let patterns: Vec<String> = patterns.iter().map(|p| (*p).to_string()).collect();
            let matcher = matcher(&patterns);
            // `\b` alone has nothing to scan for: the regex keeps it.
            prop_assert_eq!(matcher.literal.is_some(), !patterns.iter().any(|p| p == r"\b"));
            let text = pieces.concat();
            prop_assert_eq!(matcher.is_match(&text), matcher.general.is_match(&text), "{:?} on {:?}", patterns, text);
        }
    }

    #[test]
    fn ordinary_patterns_take_the_byte_programs() {
        let patterns = [r"@palbot\b".to_string(), "hey bot".to_string(), r"^!ask\s".to_string()];
        let matcher = matcher(&patterns);
        assert!(matcher.literal.is_some());
        assert!(matcher.is_match("so, HEY Bot: status?"));
        assert!(matcher.is_match("!Ask\tnow"));
        assert!(!matcher.is_match("please !ask now"));
        assert!(!matcher.is_match("@palbots are great"));
        // Non-ASCII text takes the automaton, with the same answer.
        assert!(matcher.is_match("grüße @PALBOT!"));
        assert!(!matcher.is_match("grüße @PALBOTé"));
    }

    /// Found by the `mention` fuzz target: `(?m)` at the top of one pattern
    /// leaked into the next, turning its `^` into a line start.
    #[test]
    fn flags_stay_inside_their_pattern() {
        let patterns = ["^(?m)$".to_string(), r"^\z".to_string()];
        let matcher = matcher(&patterns);
        let text = "\r\n".repeat(8);
        assert!(!matcher.general.is_match(&text));
        assert!(!matcher.is_match(&text));
        assert!(matcher.is_match("\nx") && matcher.is_match(""));
    }

    #[test]
    fn near_misses_past_the_budget_go_to_the_automaton() {
        let matcher = matcher(&[r"@palbot\b".to_string()]);
        let misses = "@PalBotx ".repeat(20);
        let literal = matcher.literal.as_ref().unwrap();
        assert_eq!(literal.is_match(misses.to_ascii_lowercase().as_bytes()), None);
        assert!(!matcher.is_match(&misses));
        assert!(matcher.is_match(&format!("{misses}@PALBOT!")));
        // Within the budget the byte programs answer themselves.
        assert_eq!(literal.is_match(b"@palbotx @palbot"), Some(true));
    }

    #[test]
    fn repetitions_keep_the_automaton() {
        let matcher = matcher(&[r"@pal(bot)?\b".to_string()]);
        assert!(matcher.literal.is_none() && matcher.folded.is_some());
        assert!(matcher.is_match("hi @Pal") && matcher.is_match("hi @palBOT") && !matcher.is_match("hi @palb"));
    }

    #[test]
    fn ordinary_patterns_take_the_folded_path() {
        let patterns = [r"@palbot\b".to_string(), "hey bot".to_string(), r"^!ask\s".to_string()];
        let matcher = matcher(&patterns);
        assert!(matcher.folded.is_some());
        assert!(matcher.is_match("so, HEY Bot: status?"));
        assert!(!matcher.is_match("@palbots are great"));
    }

    #[test]
    fn inline_case_sensitive_groups_stay_case_sensitive() {
        let matcher = matcher(&["(?-i:Exact)".to_string()]);
        assert!(matcher.general.is_match("say Exact"));
        assert!(!matcher.general.is_match("say exact"));
        assert!(matcher.folded.is_none());
        assert_eq!(matcher.is_match("say exact"), matcher.general.is_match("say exact"));
        assert_eq!(matcher.is_match("say Exact"), matcher.general.is_match("say Exact"));
    }
}
