//! File tools' paths: whatever the path, `read` never returns a file outside
//! the workspace and `write` never creates or changes one, also through the
//! symlinks planted in it (to a directory, to a file, dangling, and `..`).
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use palisade_gateway::workspace::{read, write};

const SECRET: &str = "outside-secret-7f3a";

/// (workspace, a sibling directory outside it holding the secret).
fn dirs() -> &'static (PathBuf, PathBuf) {
    static DIRS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    DIRS.get_or_init(|| {
        let base = std::env::temp_dir().join(format!("palisade-fuzz-ws-{}", std::process::id()));
        let (root, outside) = (base.join("root"), base.join("outside"));
        let _ = std::fs::create_dir_all(root.join("sub"));
        let _ = std::fs::create_dir_all(&outside);
        let _ = std::fs::write(outside.join("secret"), SECRET);
        let _ = std::os::unix::fs::symlink(&outside, root.join("escape"));
        let _ = std::os::unix::fs::symlink(outside.join("secret"), root.join("secret-link"));
        let _ = std::os::unix::fs::symlink(outside.join("created"), root.join("dangling"));
        let _ = std::os::unix::fs::symlink("..", root.join("sub").join("up"));
        let _ = std::fs::write(root.join("sub").join("file"), "x");
        (root, outside)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(path) = std::str::from_utf8(data) else { return };
    let (root, outside) = dirs();
    if let Ok(text) = read(root, path) {
        assert!(!text.contains(SECRET), "{path:?} read a file outside the workspace");
    }
    // Short paths only, so the workspace does not grow without bound.
    if path.len() <= 24 {
        let _ = write(root, path, "fuzz");
        let entries: Vec<_> = std::fs::read_dir(outside).map(|d| d.flatten().map(|e| e.file_name()).collect()).unwrap_or_default();
        assert_eq!(entries.len(), 1, "{path:?} created a file outside the workspace: {entries:?}");
        assert_eq!(std::fs::read_to_string(outside.join("secret")).unwrap_or_default(), SECRET, "{path:?} changed a file outside");
    }
});
