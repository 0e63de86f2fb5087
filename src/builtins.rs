//! Palisade's standard library: the built-in tools, groups, profiles,
//! aliases and fixed policies of ARCHITECTURE.md's Decision semantics (OpenClaw 2026.2.x as seeded).

use std::borrow::Cow;

/// Every built-in tool name, canonical spelling.
pub const TOOLS: &[&str] = &[
    "read",
    "write",
    "edit",
    "apply_patch",
    "exec",
    "process",
    "web_search",
    "web_fetch",
    "browser",
    "canvas",
    "nodes",
    "cron",
    "gateway",
    "message",
    "image",
    "sessions_list",
    "sessions_history",
    "sessions_send",
    "sessions_spawn",
    "session_status",
    "agents_list",
    "memory_search",
    "memory_get",
];

/// The tool that runs shell commands; exec blocks restrict it.
pub const EXEC_TOOL: &str = "exec";

/// Alternative spellings, folded before anything else looks at a name.
pub const ALIASES: &[(&str, &str)] = &[("bash", "exec"), ("apply-patch", "apply_patch")];

/// Tool groups (`group:fs`, ...) and their members.
pub const GROUPS: &[(&str, &[&str])] = &[
    ("fs", &["read", "write", "edit", "apply_patch"]),
    ("runtime", &["exec", "process"]),
    ("sessions", &["sessions_list", "sessions_history", "sessions_send", "sessions_spawn", "session_status"]),
    ("memory", &["memory_search", "memory_get"]),
    ("web", &["web_search", "web_fetch"]),
    ("ui", &["browser", "canvas"]),
    ("automation", &["cron", "gateway"]),
    ("messaging", &["message"]),
    ("nodes", &["nodes"]),
];

/// Profiles as tool lists (group references allowed); `full` is `None`: no restriction.
pub const PROFILES: &[(&str, Option<&[&str]>)] = &[
    ("minimal", Some(&["session_status"])),
    ("coding", Some(&["group:fs", "group:runtime", "group:sessions", "group:memory", "image"])),
    ("messaging", Some(&["group:messaging", "sessions_list", "sessions_history", "sessions_send", "session_status"])),
    ("full", None),
];

/// The sandbox tool policy used when neither the agent nor the global tools
/// block gives one.
pub const DEFAULT_SANDBOX_ALLOW: &[&str] = &[
    "exec",
    "process",
    "read",
    "write",
    "edit",
    "apply_patch",
    "image",
    "sessions_list",
    "sessions_history",
    "sessions_send",
    "sessions_spawn",
    "session_status",
];
/// The tools the default sandbox tool policy denies.
pub const DEFAULT_SANDBOX_DENY: &[&str] = &["browser", "canvas", "nodes", "cron", "gateway"];

/// Tools a sub-agent never gets, whatever its policy says.
pub const SUBAGENT_DENY: &[&str] = &[
    "sessions_list",
    "sessions_history",
    "sessions_send",
    "sessions_spawn",
    "session_status",
    "agents_list",
    "gateway",
    "cron",
    "memory_search",
    "memory_get",
];

/// Tools only owners may call.
pub const OWNER_ONLY: &[&str] = &["cron", "gateway"];

/// Tools a read-only sandbox workspace takes away.
pub const WORKSPACE_WRITE_TOOLS: &[&str] = &["write", "edit", "apply_patch"];

/// The members of a tool group, by its name without `group:`.
pub fn group(name: &str) -> Option<&'static [&'static str]> {
    GROUPS.iter().find(|(n, _)| *n == name).map(|(_, m)| *m)
}

/// A profile's tool list: `None` for an unknown profile, `Some(None)` for `full`.
pub fn profile(name: &str) -> Option<Option<&'static [&'static str]>> {
    PROFILES.iter().find(|(n, _)| *n == name).map(|(_, m)| *m)
}

/// Trim, lowercase, fold aliases: the one normal form of a tool name.
pub fn normalize_tool(name: &str) -> Cow<'_, str> {
    let lower = lowercase(name.trim());
    match ALIASES.iter().find(|(alias, _)| *alias == lower) {
        Some((_, canonical)) => Cow::Borrowed(canonical),
        None => lower,
    }
}

/// `text` lowercased, borrowed when it already is (policies mostly are).
pub fn lowercase(text: &str) -> Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii()) {
        Cow::Owned(text.to_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

/// `*` matches any run of characters, everything else itself.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else { return pattern == name };
    let Some(mut rest) = name.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else { return rest.is_empty() };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = rest.get(i + part.len()..).unwrap_or(""),
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("web_*", "web_fetch"));
        assert!(glob_match("*", "anything"));
        assert!(glob_match("*_get", "memory_get"));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxbyy"));
        assert!(!glob_match("web_*", "webfetch"));
        assert!(glob_match("exec", "exec"));
        assert!(!glob_match("exec", "exec2"));
        assert!(!glob_match("ab*ba", "aba"));
    }

    #[test]
    fn normalizes() {
        assert_eq!(normalize_tool("  BASH "), "exec");
        assert_eq!(normalize_tool("Apply-Patch"), "apply_patch");
        assert_eq!(normalize_tool("Read"), "read");
    }
}
