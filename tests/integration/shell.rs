//! The shell front end on generated text: no panic, and every segment is
//! judgeable (a known program) or opaque, over a vocabulary of the
//! constructs it must handle (quotes, expansions, operators, wrappers).

use palisade::unstable::shell::{parse, Word};
use proptest::prelude::*;

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

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = parse(&text);
    }
}
