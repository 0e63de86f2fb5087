//! The shell front end of exec rules on arbitrary text: it never panics,
//! and every segment it returns can be judged (a known program) or is
//! opaque; whatever it cannot parse is one opaque segment.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade::unstable::shell::{parse, Word};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for segment in parse(text) {
        let judgeable = matches!(segment.words.first(), Some(Word::Known(_)));
        assert!(judgeable || segment.opaque.is_some(), "{text:?}: {segment:?}");
    }
});
