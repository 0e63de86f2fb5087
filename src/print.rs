//! AST -> DSL text. `palisade import` uses it; its output parses back into
//! an AST that compiles to the same decisions (tested).

use std::fmt::Write;

use crate::ast::*;
use crate::diagnostic::Diagnostic;

fn is_word(s: &str, extra: &[char]) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || extra.contains(&c))
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

const KEYWORDS: &[&str] = &[
    "group",
    "plugin_tools",
    "owners",
    "tools",
    "profile",
    "allow",
    "also_allow",
    "ask",
    "deny",
    "provider",
    "sandbox",
    "subagents",
    "sender",
    "defaults",
    "mode",
    "scope",
    "workspace",
    "docker",
    "agent",
    "default",
    "test",
    "tool",
    "for",
    "session",
    "subagent",
    "non_owner",
];

fn tool(s: &str) -> String {
    if let Some(g) = s.strip_prefix("group:") {
        if is_word(g, &[]) {
            return s.to_string();
        }
    }
    if is_word(s, &['*']) {
        s.to_string()
    } else {
        quote(s)
    }
}

fn key(s: &str) -> String {
    // A bare key may hold '/', but one that starts with it could open a
    // comment (`//`, `/*`) and swallow what follows: quote it.
    if is_word(s, &['.', '/', ':']) && !s.starts_with('/') && !KEYWORDS.contains(&s) {
        s.to_string()
    } else {
        quote(s)
    }
}

fn ident(s: &str) -> String {
    // Agent ids and group names must be identifiers; the front ends check it.
    s.to_string()
}

fn list(entries: &[ToolRef]) -> String {
    let items: Vec<String> = entries.iter().map(|t| tool(&t.text)).collect();
    format!("[{}]", items.join(", "))
}

fn rules(out: &mut String, r: &Rules, indent: usize) {
    let pad = " ".repeat(indent);
    if let Some(p) = &r.profile {
        let _ = writeln!(out, "{pad}profile {}", ident(&p.value));
    }
    if let Some(a) = &r.lists.allow {
        let _ = writeln!(out, "{pad}allow {}", list(&a.entries));
    }
    if let Some(a) = &r.also_allow {
        let _ = writeln!(out, "{pad}also_allow {}", list(&a.entries));
    }
    if let Some(a) = &r.lists.ask {
        let _ = writeln!(out, "{pad}ask {}", list(&a.entries));
    }
    if let Some(d) = &r.lists.deny {
        let _ = writeln!(out, "{pad}deny {}", list(&d.entries));
    }
    if let Some(e) = &r.exec {
        exec(out, e, indent);
    }
    if let Some(p) = &r.paths {
        paths(out, p, indent);
    }
    for p in &r.providers {
        let _ = writeln!(out, "{pad}provider {} {{", key(&p.key.value));
        rules(out, &p.rules, indent + 2);
        let _ = writeln!(out, "{pad}}}");
    }
    if let Some(s) = &r.sandbox {
        let _ = writeln!(out, "{pad}sandbox {{");
        rules(out, s, indent + 2);
        let _ = writeln!(out, "{pad}}}");
    }
    if let Some(s) = &r.subagents {
        let _ = writeln!(out, "{pad}subagents {{");
        rules(out, s, indent + 2);
        let _ = writeln!(out, "{pad}}}");
    }
    for s in &r.senders {
        let _ = writeln!(out, "{pad}sender {} {{", key(&s.key.value));
        rules(out, &s.rules, indent + 2);
        let _ = writeln!(out, "{pad}}}");
    }
}

fn exec(out: &mut String, e: &ExecBlock, indent: usize) {
    let pad = " ".repeat(indent);
    let _ = writeln!(out, "{pad}exec {{");
    for (outcome, patterns) in e.patterns.iter() {
        if !patterns.is_empty() {
            let _ = writeln!(out, "{pad}  {} {}", outcome.name(), quoted_list(patterns));
        }
    }
    if let Some(o) = &e.on_miss {
        let _ = writeln!(out, "{pad}  on_miss {}", o.value.name());
    }
    if let Some(o) = &e.on_opaque {
        let _ = writeln!(out, "{pad}  on_opaque {}", o.value.name());
    }
    if let Some(dirs) = &e.trusted_dirs {
        let _ = writeln!(out, "{pad}  trusted_dirs {}", quoted_list(dirs));
    }
    let _ = writeln!(out, "{pad}}}");
}

/// One line per rule: a rule is its operations and one pattern.
fn paths(out: &mut String, p: &PathsBlock, indent: usize) {
    let pad = " ".repeat(indent);
    let _ = writeln!(out, "{pad}paths {{");
    for (outcome, rules) in p.rules.iter() {
        for rule in rules {
            let ops: Vec<&str> = rule.ops.iter().map(|op| op.value.name()).collect();
            let ops = if ops.is_empty() { String::new() } else { format!("{} ", ops.join(", ")) };
            let _ = writeln!(out, "{pad}  {} {ops}{}", outcome.name(), quoted_list(std::slice::from_ref(&rule.pattern)));
        }
    }
    if let Some(o) = &p.on_miss {
        let _ = writeln!(out, "{pad}  on_miss {}", o.value.name());
    }
    let _ = writeln!(out, "{pad}}}");
}

fn sandbox(out: &mut String, s: &SandboxSettings, indent: usize) {
    let pad = " ".repeat(indent);
    if let Some(m) = &s.mode {
        let mode = match m.value {
            SandboxMode::Off => "off",
            SandboxMode::NonMain => "non-main",
            SandboxMode::All => "all",
        };
        let _ = writeln!(out, "{pad}mode {mode}");
    }
    if let Some(sc) = &s.scope {
        let scope = match sc.value {
            SandboxScope::Session => "session",
            SandboxScope::Agent => "agent",
            SandboxScope::Shared => "shared",
        };
        let _ = writeln!(out, "{pad}scope {scope}");
    }
    if let Some(w) = &s.workspace {
        let ws = match w.value {
            WorkspaceAccess::None => "none",
            WorkspaceAccess::ReadOnly => "ro",
            WorkspaceAccess::ReadWrite => "rw",
            WorkspaceAccess::SharedWithHost => "shared_with_host",
        };
        let _ = writeln!(out, "{pad}workspace {ws}");
    }
    if !s.docker.is_empty() {
        let _ = writeln!(out, "{pad}docker {{");
        for knob in &s.docker {
            let values: Vec<String> = knob.values.iter().map(|v| quote(&v.value)).collect();
            let _ = writeln!(out, "{pad}  {} {}", knob.key.value, values.join(", "));
        }
        let _ = writeln!(out, "{pad}}}");
    }
}

/// Prints a policy as DSL. Warnings from the front end become comments at
/// the top, so nothing the import could not carry over goes unmentioned.
pub fn to_dsl(policy: &Policy, warnings: &[Diagnostic]) -> String {
    let mut out = String::new();
    // A line comment ends at the first newline: one in a file name must not
    // end it early and turn the rest of the name into policy text.
    let _ = writeln!(out, "// Generated by `palisade import` from {}.", policy.source.name.replace('\n', " "));
    for w in warnings {
        let _ = writeln!(out, "// {}", w.short().replace('\n', " "));
    }
    let _ = writeln!(out);
    if !policy.plugin_tools.is_empty() {
        let _ = writeln!(out, "plugin_tools {}\n", list(&policy.plugin_tools));
    }
    for g in &policy.groups {
        let _ = writeln!(out, "group {} = {}", ident(&g.name.value), list(&g.members));
    }
    if !policy.owners.is_empty() {
        let owners: Vec<String> = policy.owners.iter().map(|o| key(&o.value)).collect();
        let _ = writeln!(out, "owners {}\n", owners.join(", "));
    }
    if let Some(t) = &policy.tools {
        let _ = writeln!(out, "tools {{");
        rules(&mut out, t, 2);
        let _ = writeln!(out, "}}\n");
    }
    if let Some(s) = &policy.sandbox_defaults {
        let _ = writeln!(out, "sandbox defaults {{");
        sandbox(&mut out, s, 2);
        let _ = writeln!(out, "}}\n");
    }
    for a in &policy.agents {
        let name = a.name.as_ref().map(|n| format!(" {}", quote(&n.value))).unwrap_or_default();
        let _ = writeln!(out, "agent {}{name} {{", ident(&a.id.value));
        if a.default.is_some() {
            let _ = writeln!(out, "  default");
        }
        if let Some(s) = &a.sandbox {
            let _ = writeln!(out, "  sandbox {{");
            sandbox(&mut out, s, 4);
            let _ = writeln!(out, "  }}");
        }
        if let Some(t) = &a.tools {
            let _ = writeln!(out, "  tools {{");
            rules(&mut out, t, 4);
            let _ = writeln!(out, "  }}");
        }
        let _ = writeln!(out, "}}\n");
    }
    if let Some(g) = &policy.gateway {
        let _ = writeln!(out, "gateway {{");
        if let Some(b) = &g.bind {
            let _ = writeln!(out, "  bind {}", quote(&b.value));
        }
        if let Some(p) = &g.port {
            let _ = writeln!(out, "  port {}", p.value);
        }
        if let Some(a) = &g.auth {
            let source = match &a.source {
                Some(SecretSource::Env(v)) => format!(" from env {}", quote(&v.value)),
                Some(SecretSource::File(v)) => format!(" from file {}", quote(&v.value)),
                None => String::new(),
            };
            let _ = writeln!(out, "  auth {}{source}", a.mode.value.name());
        }
        if let Some(r) = &g.rate_limit {
            let lockout = r.lockout.as_ref().map(|l| format!(" lockout {}", l.value)).unwrap_or_default();
            let _ = writeln!(out, "  rate_limit {} per {}{lockout}", r.attempts.value, r.window.value);
        }
        if let Some(skew) = &g.device_skew {
            let _ = writeln!(out, "  device_skew {}", skew.value);
        }
        if g.pairing_ttl.is_some() || g.pairing_cap.is_some() {
            let ttl = g.pairing_ttl.as_ref().map(|t| format!(" ttl {}", t.value)).unwrap_or_default();
            let cap = g.pairing_cap.as_ref().map(|c| format!(" max_pending {}", c.value)).unwrap_or_default();
            let _ = writeln!(out, "  pairing{ttl}{cap}");
        }
        let _ = writeln!(out, "}}\n");
    }
    for c in &policy.channels {
        channel(&mut out, c);
    }
    if let Some(s) = &policy.sessions {
        let _ = writeln!(out, "sessions {{");
        if let Some(d) = &s.dm_scope {
            let _ = writeln!(out, "  dm_scope {}", d.value.name());
        }
        if let Some(sc) = &s.scope {
            let _ = writeln!(out, "  scope {}", sc.value.name());
        }
        for link in &s.links {
            let _ = writeln!(out, "  link {} = {}", quote(&link.canonical.value), quoted_list(&link.peers));
        }
        let _ = writeln!(out, "}}\n");
    }
    if !policy.bindings.is_empty() {
        let _ = writeln!(out, "route {{");
        for b in &policy.bindings {
            let mut line = format!("  {}", quote(&b.channel.value));
            if let Some(a) = &b.account {
                line += &format!(" account {}", if a.value.trim() == "*" { "*".to_string() } else { quote(&a.value) });
            }
            if let Some((kind, id)) = &b.peer {
                let id = if id.value.trim() == "*" { "*".to_string() } else { quote(&id.value) };
                line += &format!(" peer {} {id}", kind.name());
            }
            if let Some(g) = &b.guild {
                line += &format!(" guild {}", quote(&g.value));
            }
            if let Some(t) = &b.team {
                line += &format!(" team {}", quote(&t.value));
            }
            if !b.roles.is_empty() {
                line += &format!(" roles {}", quoted_list(&b.roles));
            }
            let _ = writeln!(out, "{line} -> {}", ident(&b.agent.value));
        }
        let _ = writeln!(out, "}}");
    }
    out
}

/// `[ "a", "b" ]`: brackets keep an explicitly empty list (which admits
/// nobody) apart from an absent one.
fn quoted_list(items: &[Spanned<String>]) -> String {
    format!("[{}]", items.iter().map(|i| quote(&i.value)).collect::<Vec<_>>().join(", "))
}

/// `group "id" ...` (or `guild`), without the line's end.
fn group_entry(out: &mut String, keyword: &str, g: &GroupEntry, indent: usize) {
    let mention = match g.require_mention.as_ref().map(|m| m.value) {
        Some(true) => " require_mention",
        Some(false) => " no_mention",
        None => "",
    };
    let _ = write!(out, "{:indent$}{keyword} {}{mention}", "", quote(&g.id.value));
    if g.disabled.is_some() {
        let _ = write!(out, " disabled");
    }
    if let Some(l) = &g.allow_from {
        let _ = write!(out, " allow_from {}", quoted_list(&l.entries));
    }
    if let Some(l) = &g.roles {
        let _ = write!(out, " roles {}", quoted_list(&l.entries));
    }
    if let Some(t) = &g.tools {
        let _ = writeln!(out, " tools {{");
        rules(out, t, indent + 2);
        let _ = write!(out, "{:indent$}}}", "");
    }
}

fn channel(out: &mut String, c: &Channel) {
    let _ = writeln!(out, "channel {} {{", quote(&c.name.value));
    if let Some(d) = &c.dm {
        let _ = writeln!(out, "  dm {}", d.value.name());
    }
    if let Some(l) = &c.allow_from {
        let _ = writeln!(out, "  allow_from {}", quoted_list(&l.entries));
    }
    if let Some(l) = &c.group_allow_from {
        let _ = writeln!(out, "  group_allow_from {}", quoted_list(&l.entries));
    }
    if c.group_policy.is_some() || !c.groups.is_empty() || !c.guilds.is_empty() {
        let policy = c.group_policy.as_ref().map_or(GroupPolicy::Allowlist, |g| g.value).name();
        let _ = writeln!(out, "  groups {policy} {{");
        for g in &c.groups {
            group_entry(out, "group", g, 4);
            let _ = writeln!(out);
        }
        for guild in &c.guilds {
            group_entry(out, "guild", &guild.settings, 4);
            if !guild.groups.is_empty() {
                let _ = writeln!(out, " {{");
                for g in &guild.groups {
                    group_entry(out, "group", g, 6);
                    let _ = writeln!(out);
                }
                let _ = write!(out, "    }}");
            }
            let _ = writeln!(out);
        }
        let _ = writeln!(out, "  }}");
    }
    if !c.mention_patterns.is_empty() {
        let patterns: Vec<String> = c.mention_patterns.iter().map(|p| quote(&p.value)).collect();
        let _ = writeln!(out, "  mention_patterns {}", patterns.join(", "));
    }
    if c.text_commands.is_some() || c.command_allow_from.is_some() {
        let _ = write!(out, "  commands {{");
        if let Some(t) = &c.text_commands {
            let _ = write!(out, " text {}", if t.value { "on" } else { "off" });
        }
        if let Some(l) = &c.command_allow_from {
            let _ = write!(out, " allow_from {}", quoted_list(&l.entries));
        }
        let _ = writeln!(out, " }}");
    }
    let _ = writeln!(out, "}}\n");
}
