//! Structure-aware DSL input: statements built from the grammar's own
//! vocabulary (every keyword, tool, group, profile, value kind), nested in
//! blocks, so the fuzzer spends its time past the lexer.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use palisade::{Policy, ToolRequest};

use palisade_testkit::round_trip;

const WORDS: &[&str] = &[
    "agent",
    "tools",
    "allow",
    "deny",
    "also_allow",
    "ask",
    "profile",
    "provider",
    "sandbox",
    "subagents",
    "sender",
    "defaults",
    "mode",
    "scope",
    "workspace",
    "docker",
    "default",
    "group",
    "plugin_tools",
    "owners",
    "test",
    "tool",
    "for",
    "session",
    "subagent",
    "non_owner",
    "channel",
    "dm",
    "allow_from",
    "group_allow_from",
    "groups",
    "require_mention",
    "no_mention",
    "mention_patterns",
    "commands",
    "text",
    "on",
    "off",
    "sessions",
    "dm_scope",
    "link",
    "route",
    "account",
    "peer",
    "guild",
    "team",
    "roles",
    "gateway",
    "bind",
    "port",
    "auth",
    "from",
    "env",
    "file",
    "rate_limit",
    "per",
    "lockout",
    "pairing",
    "ttl",
    "max_pending",
    "device_skew",
    "image",
    "network",
    "read_only_root",
    "cap_drop",
    "memory",
    "pids",
    "cpus",
    "user",
    "prefix",
    "no_new_privileges",
    "init",
    "exec",
    "read",
    "write",
    "bash",
    "apply-patch",
    "group:fs",
    "group:runtime",
    "group:web",
    "group:openclaw",
    "web_*",
    "*",
    "coding",
    "minimal",
    "messaging",
    "full",
    "all",
    "non-main",
    "session",
    "agent",
    "shared",
    "ro",
    "rw",
    "none",
    "pairing",
    "allowlist",
    "open",
    "disabled",
    "main",
    "per_peer",
    "per_channel_peer",
    "per_account_channel_peer",
    "global",
    "per_sender",
    "direct",
    "loopback",
    "lan",
    "token",
    "password",
    "host",
    "bridge",
    "1g",
    "256",
    "1m",
    "30s",
    "2h",
    "18789",
    "->",
    "=",
    ",",
    "[",
    "]",
];

#[derive(Debug, Arbitrary)]
enum Piece {
    Word(u8),
    Name(u8),
    Str(String),
    Number(u16),
    Block(Vec<Piece>),
    List(Vec<u8>),
}

fn render(piece: &Piece, depth: usize, out: &mut String) {
    match piece {
        Piece::Word(i) => out.push_str(WORDS[usize::from(*i) % WORDS.len()]),
        Piece::Name(i) => out.push_str(&format!("a{}", i % 8)),
        Piece::Str(s) => out.push_str(&format!("{s:?}")),
        Piece::Number(n) => out.push_str(&n.to_string()),
        Piece::Block(inner) if depth < 40 => {
            out.push_str("{ ");
            for p in inner {
                render(p, depth + 1, out);
                out.push(' ');
            }
            out.push('}');
        }
        Piece::Block(_) => out.push_str("{}"),
        Piece::List(items) => {
            let words: Vec<&str> = items.iter().map(|i| WORDS[usize::from(*i) % WORDS.len()]).collect();
            out.push_str(&format!("[{}]", words.join(", ")));
        }
    }
}

fuzz_target!(|pieces: Vec<Piece>| {
    let mut text = String::new();
    for p in &pieces {
        render(p, 0, &mut text);
        text.push(' ');
    }
    if let Ok(policy) = Policy::from_dsl("fuzz.pal", &text) {
        let engine = policy.engine();
        for agent in engine.agent_ids() {
            let request = ToolRequest::new(agent, "read");
            assert_eq!(engine.explain(&request).allowed, engine.decide(&request));
        }
        round_trip::assert_prints_back(&policy, &text);
    }
});
