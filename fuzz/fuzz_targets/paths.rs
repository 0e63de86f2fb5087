//! The path normaliser and path patterns on any text: the input's first
//! line is a pattern, the rest a path. Nothing panics; a normalised path
//! has no empty, `.` or `..` component and reads back as itself; an allow
//! match (`must_match`) is always a deny match too (`may_match`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade::{normalize_path, PathGlob};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (pattern, path) = text.split_once('\n').unwrap_or((text, text));
    let glob = PathGlob::new(pattern);
    let Ok(read) = normalize_path(path) else { return };
    for part in read.components() {
        assert!(!part.is_empty() && *part != "." && *part != "..", "{path:?} kept {part:?}");
    }
    let printed = read.to_string();
    assert_eq!(normalize_path(&printed).as_ref(), Ok(&read), "{path:?} printed as {printed:?}");
    if let Ok(glob) = glob {
        assert!(!glob.must_match(&read) || glob.may_match(&read), "{pattern:?} on {path:?}: must without may");
    }
});
