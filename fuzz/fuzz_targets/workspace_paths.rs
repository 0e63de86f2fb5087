//! File tools' paths: whatever the path, a confined path stays inside the
//! workspace, also through symlinks planted in it.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use palisade::gateway::workspace::confine;

fn root() -> &'static PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root = std::env::temp_dir().join(format!("palisade-fuzz-ws-{}", std::process::id()));
        let _ = std::fs::create_dir_all(root.join("sub"));
        let _ = std::os::unix::fs::symlink("/etc", root.join("escape"));
        let _ = std::os::unix::fs::symlink("..", root.join("sub").join("up"));
        let _ = std::fs::write(root.join("sub").join("file"), "x");
        root.canonicalize().unwrap_or(root)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(path) = std::str::from_utf8(data) else { return };
    let root = root();
    if let Ok(confined) = confine(root, path) {
        // Resolve what exists of it: the deepest existing ancestor, canonical.
        let mut probe = confined.clone();
        while !probe.exists() {
            if !probe.pop() {
                break;
            }
        }
        let real = probe.canonicalize().unwrap_or(probe);
        assert!(real.starts_with(root), "{path:?} -> {} escapes {}", real.display(), root.display());
    }
});
