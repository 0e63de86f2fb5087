//! Sandbox settings: inheritance (agent over `sandbox defaults` over the
//! built-in hardened defaults) and validation of every Docker knob.

use crate::ast::{DockerSetting, SandboxMode, SandboxScope, SandboxSettings, Spanned, WorkspaceAccess};
use crate::diagnostic::Code;
use crate::diagnostic::{Diagnostic, Sink};
use crate::engine::{DockerConfig, SandboxConfig};
use crate::source::SourceFile;

/// Host paths no sandbox may mount (checked lexically here; the gateway
/// checks again after resolving symlinks).
pub const REFUSED_BIND_PREFIXES: &[&str] = &["/etc", "/proc", "/sys", "/dev", "/root", "/boot", "/run", "/var/run"];
pub const REFUSED_BIND_PARTS: &[&str] = &["docker.sock", ".ssh", ".aws"];

pub(crate) fn resolve(agent: Option<&SandboxSettings>, defaults: Option<&SandboxSettings>, source: &SourceFile, sink: &mut Sink) -> SandboxConfig {
    let pick = |f: fn(&SandboxSettings) -> Option<&Spanned<_>>| agent.and_then(f).or_else(|| defaults.and_then(f));
    let mode = pick(|s| s.mode.as_ref()).map_or(SandboxMode::NonMain, |m| m.value);
    let scope = agent.and_then(|s| s.scope.as_ref()).or_else(|| defaults.and_then(|s| s.scope.as_ref())).map_or(SandboxScope::Session, |s| s.value);
    let workspace =
        agent.and_then(|s| s.workspace.as_ref()).or_else(|| defaults.and_then(|s| s.workspace.as_ref())).map_or(WorkspaceAccess::None, |w| w.value);
    let mut docker = DockerConfig::default();
    // Defaults first, then the agent's own knobs override key by key.
    let mut binds_from_agent = false;
    for settings in [defaults, agent].into_iter().flatten() {
        let from_agent = agent.is_some_and(|a| std::ptr::eq(a, settings));
        for knob in &settings.docker {
            if knob.key.value == "bind" && from_agent && !binds_from_agent {
                docker.binds.clear();
                binds_from_agent = true;
            }
            apply(&mut docker, knob, source, sink);
        }
    }
    SandboxConfig { mode, scope, workspace, docker }
}

fn apply(docker: &mut DockerConfig, knob: &DockerSetting, source: &SourceFile, sink: &mut Sink) {
    let key = knob.key.value.as_str();
    let at = knob.values.first().map_or(knob.key.span, |v| v.span);
    let one = |sink: &mut Sink| -> Option<&str> {
        match knob.values.as_slice() {
            [v] => Some(v.value.as_str()),
            _ => {
                sink.push(Diagnostic::error(Code::BadValue, source, knob.key.span, format!("`{key}` takes exactly one value")));
                None
            }
        }
    };
    let flag = |sink: &mut Sink| -> Option<bool> {
        match knob.values.as_slice() {
            [] => Some(true),
            [v] if v.value == "true" => Some(true),
            [v] if v.value == "false" => Some(false),
            _ => {
                sink.push(
                    Diagnostic::error(Code::BadValue, source, at, format!("`{key}` takes `true` or `false`"))
                        .with_help(format!("write `{key}` alone for true")),
                );
                None
            }
        }
    };
    let weakened = |sink: &mut Sink, what: &str| {
        sink.push(
            Diagnostic::warning(Code::WeakSandbox, source, at, format!("`{key} false` {what}"))
                .with_help("the hardened default is on; turn it off only for a sandbox you trust"),
        );
    };
    match key {
        "image" => {
            if let Some(v) = one(sink) {
                if v.is_empty() || v.chars().any(char::is_whitespace) {
                    sink.push(Diagnostic::error(Code::BadValue, source, at, "not a Docker image name"));
                } else {
                    docker.image = v.to_string();
                }
            }
        }
        "prefix" => {
            if let Some(v) = one(sink) {
                if v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) {
                    sink.push(
                        Diagnostic::error(Code::BadValue, source, at, "container prefix must be [A-Za-z0-9_.-]+")
                            .with_help("Docker container names allow letters, digits, `_`, `.` and `-`"),
                    );
                } else {
                    docker.prefix = v.to_string();
                }
            }
        }
        "network" => {
            if let Some(v) = one(sink) {
                let lower = v.to_ascii_lowercase();
                if lower == "host" || lower.starts_with("container:") {
                    sink.push(
                        Diagnostic::error(
                            Code::RefusedNetwork,
                            source,
                            at,
                            format!("network `{v}` is refused: it shares a namespace with the host or another container"),
                        )
                        .with_help("use `network none` (the default) or a dedicated Docker network"),
                    );
                } else {
                    if lower != "none" {
                        sink.push(
                            Diagnostic::warning(Code::WeakSandbox, source, at, format!("sandboxes on network `{v}` can reach the network"))
                                .with_help("the hardened default is `network none`"),
                        );
                    }
                    docker.network = lower;
                }
            }
        }
        "read_only_root" => {
            if let Some(b) = flag(sink) {
                if !b {
                    weakened(sink, "lets a sandbox write to its root filesystem");
                }
                docker.read_only_root = b;
            }
        }
        "no_new_privileges" => {
            if let Some(b) = flag(sink) {
                if !b {
                    weakened(sink, "lets setuid binaries raise privileges");
                }
                docker.no_new_privileges = b;
            }
        }
        "init" => {
            if let Some(b) = flag(sink) {
                if !b {
                    weakened(sink, "leaves zombie processes unreaped");
                }
                docker.init = b;
            }
        }
        "cap_drop" => {
            let caps: Vec<String> = knob.values.iter().map(|v| v.value.to_ascii_uppercase()).collect();
            if caps.is_empty() {
                sink.push(Diagnostic::error(Code::BadValue, source, knob.key.span, "`cap_drop` needs a list"));
            } else {
                if !caps.iter().any(|c| c == "ALL") {
                    sink.push(
                        Diagnostic::warning(Code::WeakSandbox, source, at, "`cap_drop` without `all` keeps Docker's default capabilities")
                            .with_help("write `cap_drop all`"),
                    );
                }
                docker.cap_drop = caps;
            }
        }
        "memory" => {
            if let Some(v) = one(sink) {
                match parse_size(v) {
                    Some(bytes) if bytes >= 4 * 1024 * 1024 => docker.memory_bytes = bytes,
                    _ => sink.push(
                        Diagnostic::error(Code::BadValue, source, at, format!("`{v}` is not a memory size of 4m or more"))
                            .with_help("write a number with a unit: 512m, 1g"),
                    ),
                }
            }
        }
        "pids" => {
            if let Some(v) = one(sink) {
                match v.parse::<u64>() {
                    Ok(n) if (1..=1_000_000).contains(&n) => docker.pids = n,
                    _ => sink.push(Diagnostic::error(Code::BadValue, source, at, format!("`{v}` is not a pids limit (1 to 1000000)"))),
                }
            }
        }
        "cpus" => {
            if let Some(v) = one(sink) {
                match parse_cpus(v) {
                    Some(micro) if micro > 0 => docker.cpus_micro = micro,
                    _ => sink.push(Diagnostic::error(Code::BadValue, source, at, format!("`{v}` is not a CPU count (e.g. 0.5, 2)"))),
                }
            }
        }
        "user" => {
            if let Some(v) = one(sink) {
                // Numeric ids only: a name resolves in the image's /etc/passwd, which
                // Palisade cannot see (any name may be uid 0 there), and `00` is 0.
                let ids: Vec<Option<u32>> =
                    v.split(':').map(|id| id.parse::<u32>().ok().filter(|_| id.bytes().all(|b| b.is_ascii_digit()))).collect();
                match ids.as_slice() {
                    [Some(uid)] | [Some(uid), Some(_)] if *uid == 0 => sink.push(
                        Diagnostic::error(Code::RootUser, source, at, format!("user `{v}` runs the sandbox as root"))
                            .with_help("sandboxes run as a non-root user, e.g. \"1000:1000\""),
                    ),
                    [Some(_), Some(0)] => sink.push(
                        Diagnostic::error(Code::RootUser, source, at, format!("user `{v}` runs the sandbox in the root group"))
                            .with_help("give a non-root group too, e.g. \"1000:1000\""),
                    ),
                    [Some(_)] | [Some(_), Some(_)] => docker.user = v.to_string(),
                    _ => sink.push(
                        Diagnostic::error(Code::RootUser, source, at, format!("user `{v}` is not a numeric `uid` or `uid:gid`"))
                            .with_help("a user name resolves inside the image, where it may be root; give numeric ids, e.g. \"1000:1000\""),
                    ),
                }
            }
        }
        "bind" => {
            for value in &knob.values {
                match check_bind(&value.value) {
                    Ok(()) => docker.binds.push(value.value.clone()),
                    Err(why) => sink.push(
                        Diagnostic::error(Code::RefusedBind, source, value.span, format!("bind `{}` is refused: {why}", value.value))
                            .with_help("bind only project directories; system paths, docker.sock, ~/.ssh and ~/.aws are never mounted"),
                    ),
                }
            }
        }
        _ => sink.push(Diagnostic::error(Code::UnknownSetting, source, knob.key.span, format!("unknown docker setting `{key}`"))),
    }
}

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
    let host = lexical_normalize(host);
    if host == "/" {
        return Err("it mounts the whole host filesystem".into());
    }
    if let Some(prefix) = REFUSED_BIND_PREFIXES.iter().find(|p| host == **p || host.starts_with(&format!("{p}/"))) {
        return Err(format!("{prefix} is a system path"));
    }
    if let Some(part) = host.split('/').find(|part| REFUSED_BIND_PARTS.contains(part)) {
        return Err(format!("it exposes `{part}`"));
    }
    Ok(())
}

/// Resolves `.` and `..` without touching the filesystem.
pub fn lexical_normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

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

fn parse_cpus(v: &str) -> Option<u64> {
    let (whole, frac) = v.split_once('.').unwrap_or((v, ""));
    if whole.is_empty() && frac.is_empty() || frac.len() > 6 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: u64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let frac_micro: u64 = if frac.is_empty() { 0 } else { format!("{frac:0<6}").parse().ok()? };
    whole.checked_mul(1_000_000)?.checked_add(frac_micro).filter(|n| *n <= 1024 * 1_000_000)
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
