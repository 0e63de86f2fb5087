//! `read` and `write` on a workspace directory, confined to it: absolute
//! paths, `..` and symlinks anywhere on the way are refused.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// Largest file `read` returns and `write` accepts.
pub const FILE_CAP: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("path `{0}` is not relative to the workspace")]
    Absolute(String),
    #[error("path `{0}` leaves the workspace (`..`)")]
    Parent(String),
    #[error("path `{0}` is empty")]
    Empty(String),
    #[error("path `{0}` passes through a symbolic link")]
    Symlink(String),
    #[error("{0}")]
    Io(String),
}

/// The host path for `relative` inside `root`, checked component by
/// component against symlinks (a link inside the workspace could point out).
pub fn confine(root: &Path, relative: &str) -> Result<PathBuf, PathError> {
    let path = Path::new(relative);
    if relative.trim().is_empty() {
        return Err(PathError::Empty(relative.to_string()));
    }
    let mut out = root.to_path_buf();
    for component in path.components() {
        match component {
            Component::Normal(part) => {
                out.push(part);
                if let Ok(meta) = std::fs::symlink_metadata(&out) {
                    if meta.file_type().is_symlink() {
                        return Err(PathError::Symlink(relative.to_string()));
                    }
                }
            }
            Component::CurDir => {}
            Component::ParentDir => return Err(PathError::Parent(relative.to_string())),
            Component::RootDir | Component::Prefix(_) => return Err(PathError::Absolute(relative.to_string())),
        }
    }
    if out == root {
        return Err(PathError::Empty(relative.to_string()));
    }
    Ok(out)
}

pub fn read(root: &Path, relative: &str) -> Result<String, PathError> {
    let path = confine(root, relative)?;
    let bytes = std::fs::read(&path).map_err(|e| PathError::Io(format!("{relative}: {e}")))?;
    if bytes.len() > FILE_CAP {
        return Err(PathError::Io(format!("{relative}: larger than {FILE_CAP} bytes")));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

pub fn write(root: &Path, relative: &str, content: &str) -> Result<usize, PathError> {
    if content.len() > FILE_CAP {
        return Err(PathError::Io(format!("{relative}: content larger than {FILE_CAP} bytes")));
    }
    let path = confine(root, relative)?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| PathError::Io(format!("{relative}: {e}")))?;
        // Re-check: a directory created concurrently could be a link.
        confine(root, relative)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .map_err(|e| PathError::Io(format!("{relative}: {e}")))?;
    file.write_all(content.as_bytes()).map_err(|e| PathError::Io(format!("{relative}: {e}")))?;
    Ok(content.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confinement_refuses_escapes() {
        let dir = std::env::temp_dir().join(format!("palisade-confine-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::os::unix::fs::symlink("/etc", dir.join("link")).unwrap();
        assert!(confine(&dir, "sub/a.txt").is_ok());
        assert!(matches!(confine(&dir, "/etc/passwd"), Err(PathError::Absolute(_))));
        assert!(matches!(confine(&dir, "../x"), Err(PathError::Parent(_))));
        assert!(matches!(confine(&dir, "sub/../../x"), Err(PathError::Parent(_))));
        assert!(matches!(confine(&dir, "link/passwd"), Err(PathError::Symlink(_))));
        assert!(matches!(confine(&dir, ""), Err(PathError::Empty(_))));
        assert!(matches!(confine(&dir, "."), Err(PathError::Empty(_))));
        write(&dir, "sub/a.txt", "hello").unwrap();
        assert_eq!(read(&dir, "sub/a.txt").unwrap(), "hello");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
