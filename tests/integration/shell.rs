//! The shell front end on generated text: no panic, and every segment is
//! judgeable (a known program) or opaque, over a vocabulary of the
//! constructs it must handle (quotes, expansions, operators, wrappers).

use palisade::unstable::shell::{parse, render, Word};
use palisade::{Policy, ToolRequest};
use proptest::prelude::*;

/// Whole words and small commands for the round-trip property.
const WORDS: &[&str] = &[
    "ls",
    "x",
    "git",
    "rm",
    "-rf",
    "/",
    "status",
    "push",
    "log",
    "\"$A\"",
    "$A",
    "${A}x",
    "*",
    "~/x",
    "'a b'",
    "'i''f'",
    "\\rm",
    ";",
    "&&",
    "|",
    "\n",
    "$(ls \"$A\" x)",
    "bash -c 'x \"$A\"'",
    "nice",
    "/usr/bin/nice",
    "/opt/bin/tool",
    "/tmp/git",
    ">/dev/null",
    "2>&1",
    "FOO=1",
    "eval",
    "if",
    "then",
    "fi",
    "(",
    ")",
    "{",
    "}",
    "!",
];

fn policy() -> &'static Policy {
    static POLICY_ONCE: std::sync::OnceLock<Policy> = std::sync::OnceLock::new();
    POLICY_ONCE.get_or_init(|| crate::load(&crate::root().join("tests/policies/shell-roundtrip.pal")))
}

const PIECES: &[&str] = &[
    "git",
    "rm",
    "-rf",
    "/",
    " ",
    " ",
    " ",
    ";",
    "&&",
    "||",
    "|",
    "&",
    "\n",
    "(",
    ")",
    "{",
    "}",
    "'",
    "\"",
    "\\",
    "$",
    "$(",
    "`",
    "${",
    "}",
    "*",
    "?",
    "[",
    "~",
    "=",
    "FOO=",
    "<",
    ">",
    ">>",
    "2>&1",
    "/dev/null",
    "<<",
    "#",
    "!",
    "nice",
    "timeout",
    "5",
    "env",
    "bash",
    "-c",
    "sh",
    "-lc",
    "eval",
    "if",
    "then",
    "fi",
    "for",
    "do",
    "done",
    "case",
    "in",
    "esac",
    "function",
    "((",
    "))",
    "[[",
    "]]",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn every_segment_is_judgeable_or_opaque(pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..24)) {
        let text: String = pieces.concat();
        for segment in parse(&text) {
            let judgeable = matches!(segment.words.first(), Some(Word::Known(_)));
            prop_assert!(judgeable || segment.opaque.is_some(), "{text:?}: {segment:?}");
        }
    }

    /// Issue 15, property (a): the segments rendered back to text parse into
    /// segments that every rule block decides the same way.
    #[test]
    fn rerendering_a_parse_keeps_every_decision(
        pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..16),
        words in proptest::collection::vec(proptest::sample::select(WORDS), 0..10),
    ) {
        // Whole words joined by spaces reach the interesting shapes often;
        // raw pieces reach the odd ones.
        let text = format!("{} {}", words.join(" "), pieces.concat());
        let rendered = render(&parse(&text));
        let engine = policy().engine();
        for agent in ["strict", "open", "trusting"] {
            let request = ToolRequest::new(agent, "exec").with_session("agent:x:main");
            let before = engine.decide_outcome(&request.with_command(&text));
            let after = engine.decide_outcome(&request.with_command(&rendered));
            prop_assert_eq!(before, after, "{}: {:?} -> {:?}", agent, text, rendered);
        }
    }

    /// Explanations quote a segment as written: that place of the text,
    /// parsed alone, gives the segment again.
    #[test]
    fn a_segment_written_alone_parses_to_itself(
        pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..16),
        words in proptest::collection::vec(proptest::sample::select(WORDS), 0..10),
    ) {
        let text = format!("{} {}", words.join(" "), pieces.concat());
        for segment in parse(&text) {
            prop_assert!(segment.written.end <= text.len() && (segment.written.is_empty() || segment.written_in(&text).is_some()), "{text:?}: {segment:?}");
            let Some(written) = segment.written_in(&text) else { continue };
            if segment.runner.is_some() || segment.written_around {
                continue;
            }
            let alone = parse(written);
            prop_assert!(alone.iter().any(|s| s.words == segment.words), "{:?}: {:?} written {:?} parses to {:?}", text, segment, written, alone);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        for segment in parse(&text) {
            prop_assert!(segment.written.is_empty() || segment.written_in(&text).is_some(), "{text:?}: {segment:?}");
        }
    }
}
