//! Setting values as text: sizes, durations and bind mounts, parsed and
//! checked in one place. The compiler checks what a policy writes; the
//! gateway checks the same rules again against the host (after resolving
//! symlinks) and parses the durations its API takes.

use std::time::Duration;

/// Host paths no sandbox may mount.
pub const REFUSED_BIND_PREFIXES: &[&str] = &["/etc", "/proc", "/sys", "/dev", "/root", "/boot", "/run", "/var/run"];
/// Path components no sandbox may mount anything under.
pub const REFUSED_BIND_PARTS: &[&str] = &["docker.sock", ".ssh", ".aws"];

/// `host:container[:ro|rw]`, host absolute and outside the refused paths.
pub fn check_bind(bind: &str) -> Result<(), String> {
    let mut parts = bind.split(':');
    let host = parts.next().unwrap_or("");
    let container = parts.next().unwrap_or("");
    let mode = parts.next();
    if parts.next().is_some() || container.is_empty() {
        return Err("expected host:container[:ro|rw]".into());
    }
    if !matches!(mode, None | Some("ro") | Some("rw")) {
        return Err("the mode must be `ro` or `rw`".into());
    }
    if !host.starts_with('/') || !container.starts_with('/') {
        return Err("both paths must be absolute".into());
    }
    refused_host_path(&crate::paths::normalize_absolute(host)).map_or(Ok(()), Err)
}

/// Why a normalized absolute host path may not be mounted, if it may not.
/// The compiler asks about the path as written (lexically normalized), the
/// gateway again about the path it resolves to on the host.
pub fn refused_host_path(host: &str) -> Option<String> {
    if host == "/" {
        return Some("it mounts the whole host filesystem".into());
    }
    if let Some(prefix) = REFUSED_BIND_PREFIXES.iter().find(|p| host == **p || host.starts_with(&format!("{p}/"))) {
        return Some(format!("{prefix} is a system path"));
    }
    host.split('/').find(|part| REFUSED_BIND_PARTS.contains(part)).map(|part| format!("it exposes `{part}`"))
}

/// A size such as `512m`, `2g` or `1048576`, in bytes.
pub fn parse_size(v: &str) -> Option<u64> {
    let v = v.trim().to_ascii_lowercase();
    let v = v.strip_suffix('b').unwrap_or(&v);
    let (digits, unit) = match v.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (v.get(..i)?, v.get(i..)?),
        None => (v, ""),
    };
    let n: u64 = digits.parse().ok()?;
    let multiplier: u64 = match unit {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(multiplier)
}

/// CPUs as millionths: `1.5` is 1,500,000; at most 1024 CPUs.
pub fn parse_cpus(v: &str) -> Option<u64> {
    let (whole, frac) = v.split_once('.').unwrap_or((v, ""));
    if whole.is_empty() && frac.is_empty() || frac.len() > 6 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: u64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let frac_micro: u64 = if frac.is_empty() { 0 } else { format!("{frac:0<6}").parse().ok()? };
    whole.checked_mul(1_000_000)?.checked_add(frac_micro).filter(|n| *n <= 1024 * 1_000_000)
}

/// `30s`, `5m`, `2h`, `1d`, `250ms`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (digits, unit) = (text.get(..split)?, text.get(split..)?);
    let n: u64 = digits.parse().ok()?;
    let millis = match unit {
        "ms" => n,
        "s" => n.checked_mul(1_000)?,
        "m" => n.checked_mul(60_000)?,
        "h" => n.checked_mul(3_600_000)?,
        "d" => n.checked_mul(86_400_000)?,
        _ => return None,
    };
    Some(Duration::from_millis(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds() {
        assert!(check_bind("/home/me/project:/work:ro").is_ok());
        assert!(check_bind("/etc:/etc").is_err());
        assert!(check_bind("/home/me/../../etc/passwd:/x").is_err());
        assert!(check_bind("/var/run/docker.sock:/var/run/docker.sock").is_err());
        assert!(check_bind("/home/me/.ssh:/k").is_err());
        assert!(check_bind("/:/host").is_err());
        assert!(check_bind("relative:/x").is_err());
        assert!(check_bind("/a:/b:rx").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1g"), Some(1 << 30));
        assert_eq!(parse_size("512m"), Some(512 << 20));
        assert_eq!(parse_size("12x"), None);
        assert_eq!(parse_cpus("1.5"), Some(1_500_000));
        assert_eq!(parse_cpus("."), None);
    }
}
