//! `read` and `write` on a workspace directory, confined to it under any
//! race. A sandbox may share the directory and change it between any two
//! system calls, so nothing here checks a path and then uses it: the walk
//! opens each directory component with `O_DIRECTORY | O_NOFOLLOW` relative
//! to the descriptor of the one before, and the last component with
//! `O_NOFOLLOW | O_NONBLOCK`, then checks the *opened* file with `fstat`.
//! A symlink anywhere fails the open (`ELOOP`), a FIFO or device is refused
//! after an open that cannot block, and a read never loads more than the cap.
//! Paths are read by the core's one normaliser (`palisade::normalize_path`)
//! before any system call: `..` resolved lexically and never above the
//! workspace, absolute and `~/` paths refused, so what is opened is the
//! path that was decided.

use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::Path;

use rustix::fs::{FileType, Mode, OFlags};
use rustix::io::Errno;

/// Largest file `read` returns and `write` accepts.
pub const FILE_CAP: usize = 1 << 20;
pub use palisade::{COMPONENT_CAP, PATH_CAP};

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
    #[error("path of {0} bytes or {1} components is over the limit ({PATH_CAP} bytes, {COMPONENT_CAP} components)")]
    TooLong(usize, usize),
    #[error("path `{0}` is not a regular file")]
    NotRegular(String),
    #[error("path `{0}` is larger than {FILE_CAP} bytes")]
    TooLarge(String),
    #[error("{0}")]
    Io(String),
}

/// The components of `relative` as the core reads it: in the workspace,
/// lexically normalised, naming something beneath the workspace itself.
pub fn components(relative: &str) -> Result<Vec<&str>, PathError> {
    let path = palisade::normalize_path(relative).map_err(|e| match e {
        palisade::PathError::Empty(_) | palisade::PathError::NotText => PathError::Empty(relative.to_string()),
        palisade::PathError::Escapes(..) => PathError::Parent(relative.to_string()),
        palisade::PathError::Nul(_) => PathError::Io(format!("path `{}` contains a NUL byte", relative.escape_debug())),
        palisade::PathError::TooLong(bytes, count) => PathError::TooLong(bytes, count),
    })?;
    if path.anchor() != palisade::Anchor::Workspace {
        return Err(PathError::Absolute(relative.to_string()));
    }
    if path.components().is_empty() || relative.trim().is_empty() {
        return Err(PathError::Empty(relative.to_string()));
    }
    Ok(path.components().to_vec())
}

fn io_error(relative: &str, errno: Errno) -> PathError {
    match errno {
        // O_NOFOLLOW on a symlink.
        Errno::LOOP => PathError::Symlink(relative.to_string()),
        Errno::NOTDIR => PathError::Io(format!("{relative}: a component on the way is not a directory")),
        Errno::NXIO => PathError::NotRegular(relative.to_string()),
        e => PathError::Io(format!("{relative}: {}", std::io::Error::from(e))),
    }
}

const DIR_FLAGS: OFlags = OFlags::RDONLY.union(OFlags::DIRECTORY).union(OFlags::NOFOLLOW).union(OFlags::CLOEXEC);

/// Opens the directory holding the last component, component by component
/// from `root`; `create` makes missing directories (mode 0755) on the way.
/// Returns that directory and the last component.
fn open_parent<'p>(root: &Path, relative: &str, parts: &[&'p str], create: bool) -> Result<(OwnedFd, &'p str), PathError> {
    let (last, dirs) = parts.split_last().ok_or_else(|| PathError::Empty(relative.to_string()))?;
    // The root itself is the gateway's directory (a mount point in the
    // sandbox, which cannot replace it); still, never follow a link there.
    let mut dir = rustix::fs::open(root, DIR_FLAGS, Mode::empty()).map_err(|e| io_error(relative, e))?;
    for part in dirs {
        let next = match rustix::fs::openat(&dir, *part, DIR_FLAGS, Mode::empty()) {
            Err(Errno::NOENT) if create => {
                match rustix::fs::mkdirat(&dir, *part, Mode::from_raw_mode(0o755)) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => return Err(io_error(relative, e)),
                }
                // Whatever is there now (ours, or a link swapped in) is opened without following.
                rustix::fs::openat(&dir, *part, DIR_FLAGS, Mode::empty())
            }
            other => other,
        };
        dir = next.map_err(|e| match e {
            // O_DIRECTORY | O_NOFOLLOW on a link fails with ENOTDIR; look, only to name the error.
            Errno::NOTDIR if is_link(&dir, part) => PathError::Symlink(relative.to_string()),
            e => io_error(relative, e),
        })?;
    }
    Ok((dir, last))
}

fn is_link(dir: &OwnedFd, name: &str) -> bool {
    rustix::fs::statat(dir, name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW).is_ok_and(|stat| FileType::from_raw_mode(stat.st_mode) == FileType::Symlink)
}

/// The opened file must be a regular file: checked on the descriptor, so
/// nothing can be swapped in after the check.
fn regular(fd: &OwnedFd, relative: &str) -> Result<u64, PathError> {
    let stat = rustix::fs::fstat(fd).map_err(|e| io_error(relative, e))?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Err(PathError::NotRegular(relative.to_string()));
    }
    Ok(u64::try_from(stat.st_size).unwrap_or(0))
}

/// Reads a regular file of at most [`FILE_CAP`] bytes beneath `root`.
pub fn read(root: &Path, relative: &str) -> Result<String, PathError> {
    let parts = components(relative)?;
    let (dir, name) = open_parent(root, relative, &parts, false)?;
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(&dir, name, flags, Mode::empty()).map_err(|e| io_error(relative, e))?;
    if regular(&fd, relative)? > FILE_CAP as u64 {
        return Err(PathError::TooLarge(relative.to_string()));
    }
    // The size can grow after fstat: read one byte past the cap, never more.
    let mut bytes = Vec::new();
    std::fs::File::from(fd).take(FILE_CAP as u64 + 1).read_to_end(&mut bytes).map_err(|e| PathError::Io(format!("{relative}: {e}")))?;
    if bytes.len() > FILE_CAP {
        return Err(PathError::TooLarge(relative.to_string()));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Writes `content` to a regular file beneath `root`, creating it (0644) and
/// missing directories. An existing file is truncated only after the
/// descriptor is known to be a regular file.
pub fn write(root: &Path, relative: &str, content: &str) -> Result<usize, PathError> {
    if content.len() > FILE_CAP {
        return Err(PathError::TooLarge(relative.to_string()));
    }
    let parts = components(relative)?;
    let (dir, name) = open_parent(root, relative, &parts, true)?;
    // O_NONBLOCK: a FIFO without a reader fails (ENXIO) instead of waiting.
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(&dir, name, flags, Mode::from_raw_mode(0o644)).map_err(|e| io_error(relative, e))?;
    regular(&fd, relative)?;
    rustix::fs::ftruncate(&fd, 0).map_err(|e| io_error(relative, e))?;
    std::fs::File::from(fd).write_all(content.as_bytes()).map_err(|e| PathError::Io(format!("{relative}: {e}")))?;
    Ok(content.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confinement_refuses_escapes() {
        let dir = std::env::temp_dir().join(format!("palisade-confine-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::os::unix::fs::symlink("/etc", dir.join("link")).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", dir.join("file-link")).unwrap();
        std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("dangling")).unwrap();
        assert!(matches!(read(&dir, "/etc/passwd"), Err(PathError::Absolute(_))));
        assert!(matches!(read(&dir, "../x"), Err(PathError::Parent(_))));
        assert!(matches!(read(&dir, "sub/../../x"), Err(PathError::Parent(_))));
        assert!(matches!(read(&dir, "~/x"), Err(PathError::Absolute(_))));
        assert!(matches!(read(&dir, "a/.."), Err(PathError::Empty(_))));
        assert!(matches!(read(&dir, "link/passwd"), Err(PathError::Symlink(_))));
        assert!(matches!(read(&dir, "file-link"), Err(PathError::Symlink(_))));
        assert!(matches!(write(&dir, "dangling", "x"), Err(PathError::Symlink(_))));
        assert!(!dir.join("nowhere").exists(), "a write through a dangling link created its target");
        assert!(matches!(write(&dir, "link/new", "x"), Err(PathError::Symlink(_))));
        assert!(matches!(read(&dir, ""), Err(PathError::Empty(_))));
        assert!(matches!(read(&dir, "."), Err(PathError::Empty(_))));
        assert!(matches!(read(&dir, "sub"), Err(PathError::NotRegular(_))));
        assert!(matches!(read(&dir, &"a/".repeat(COMPONENT_CAP)), Err(PathError::TooLong(..))));
        assert!(matches!(read(&dir, &"a".repeat(PATH_CAP + 1)), Err(PathError::TooLong(..))));
        write(&dir, "sub/deeper/a.txt", "hello").unwrap();
        assert_eq!(read(&dir, "./sub//deeper/a.txt").unwrap(), "hello");
        write(&dir, "sub/deeper/a.txt", "hi").unwrap();
        assert_eq!(read(&dir, "sub/deeper/a.txt").unwrap(), "hi", "an existing file is truncated");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn fifos_and_oversized_files_are_refused_without_blocking_or_loading() {
        let dir = std::env::temp_dir().join(format!("palisade-special-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        rustix::fs::mknodat(rustix::fs::CWD, dir.join("fifo"), FileType::Fifo, Mode::from_raw_mode(0o644), 0).unwrap();
        assert!(matches!(read(&dir, "fifo"), Err(PathError::NotRegular(_))));
        assert!(matches!(write(&dir, "fifo", "x"), Err(PathError::NotRegular(_))));
        let big = std::fs::File::create(dir.join("sparse")).unwrap();
        big.set_len(1 << 40).unwrap();
        assert!(matches!(read(&dir, "sparse"), Err(PathError::TooLarge(_))));
        std::fs::write(dir.join("exact"), vec![b'x'; FILE_CAP]).unwrap();
        assert_eq!(read(&dir, "exact").unwrap().len(), FILE_CAP);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
