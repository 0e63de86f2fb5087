//! Differential: a group message under `require_mention` is accepted
//! exactly when the channel's mention patterns, as one case-insensitive
//! `regex`, match its text. The gate answers through its own fast paths
//! (byte programs for ASCII text, a folded automaton, the plain regex);
//! this checks each of them against the plain regex.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use palisade::Policy;
use palisade::{Inbound, IngressOutcome};

/// Pattern pieces: literals with letters whose case folds oddly (k, s),
/// every look-around, classes, repetitions, groups, non-ASCII.
const PATTERN_PIECES: &[&str] = &[
    "@",
    "bot",
    "pal",
    "a",
    "B",
    "k",
    "s",
    "ß",
    "é",
    "Ω",
    " ",
    "!",
    r"\b",
    r"\B",
    "^",
    "$",
    "(?m)^",
    "(?m)$",
    r"\A",
    r"\z",
    r"\s",
    r"\w",
    r"\W",
    r"\d",
    ".",
    "[a-z]",
    "[^a-z]",
    "[xY]",
    "[[:upper:]]",
    r"\p{Lu}",
    "?",
    "+",
    "*",
    "{2}",
    "(",
    ")",
    "(?:",
    "|",
    "(?-i:",
    "(?i)",
    "(?-u:",
    r"\<",
    r"\>",
    r"\b{start-half}",
    "(?R)",
    r"\n",
];
const TEXT_PIECES: &[&str] = &[
    "@PalBot",
    "@palbot",
    "bot",
    "BOT",
    "pal",
    "a",
    "A",
    "b",
    "k",
    "K",
    "\u{212A}",
    "s",
    "S",
    "\u{17F}",
    "ß",
    "SS",
    "é",
    "É",
    "Ω",
    "ω",
    " ",
    "\t",
    "\n",
    "\r\n",
    "!",
    "-",
    "_",
    "x",
    "Y",
    "1",
    "filler text ",
];

#[derive(Debug, Arbitrary)]
struct Case {
    patterns: Vec<Vec<u8>>,
    text: Vec<u8>,
    /// Repeat the text to reach the stack buffers' edges and past them.
    repeat: u8,
}

fn render(pieces: &[u8], from: &[&str]) -> String {
    pieces.iter().map(|&i| from[usize::from(i) % from.len()]).collect()
}

fuzz_target!(|case: Case| {
    let patterns: Vec<String> = case.patterns.iter().take(4).map(|p| render(p, PATTERN_PIECES)).collect();
    if patterns.is_empty() {
        return;
    }
    let text = render(&case.text, TEXT_PIECES).repeat(usize::from(case.repeat % 8) + 1);
    let policy = serde_json::json!({
        "agents": { "list": [{ "id": "main", "default": true }] },
        "channels": { "telegram": {
            "groupPolicy": "open",
            "groups": { "*": { "requireMention": true } },
            "mentionPatterns": patterns,
        } },
    });
    // Patterns the compiler refuses (they do not parse, or are too big)
    // make no policy: nothing to compare.
    let Ok(policy) = Policy::from_openclaw_json("mention.json", &policy.to_string()) else { return };
    let combined = patterns.iter().map(|p| format!("(?:{p})")).collect::<Vec<_>>().join("|");
    let Ok(reference) = regex::RegexBuilder::new(&combined).case_insensitive(true).build() else { return };
    let outcome = policy.engine().gate(&Inbound::group("telegram", "-100", "7", &text)).outcome;
    assert_eq!(outcome == IngressOutcome::Accept, reference.is_match(&text), "{patterns:?} on {text:?}");
});
