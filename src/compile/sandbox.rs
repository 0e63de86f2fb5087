//! Sandbox settings: inheritance (agent over `sandbox defaults` over the
//! built-in hardened defaults) and validation of every Docker knob.

use crate::ast::{DockerSetting, SandboxMode, SandboxScope, SandboxSettings, Spanned, WorkspaceAccess};
use crate::diagnostic::Code;
use crate::diagnostic::{Diagnostic, Sink};
use crate::engine::{DockerConfig, SandboxConfig};
use crate::settings::{check_bind, parse_cpus, parse_size};
use crate::source::SourceFile;

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
