//! Generated shell commands for the oracle (BRIEF section 6b): a grammar of
//! the constructs where a reading of a command can go wrong (quotes, every
//! expansion form, nesting, connectors, wrappers, shells and their option
//! clusters, here-documents, comments, line continuations), driven by a
//! stream of choices: a seeded generator for `cargo test`, the fuzzer's
//! bytes for the fuzz target.

/// Where choices come from.
pub trait Choices {
    /// A number below `n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize;
}

/// A seeded xorshift generator.
pub struct Seeded(pub u64);

impl Choices for Seeded {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// A fuzzer's bytes, then zeros.
pub struct Bytes<'a>(pub &'a [u8]);

impl Choices for Bytes<'_> {
    fn below(&mut self, n: usize) -> usize {
        let Some((first, rest)) = self.0.split_first() else { return 0 };
        self.0 = rest;
        usize::from(*first) % n.max(1)
    }
}

const PROGRAMS: &[&str] = &["rm", "echo", "git", "ls", "cat", "curl", "python3", "grep", "touch"];
const ARGS: &[&str] = &["-rf", "/", "x", "status", "-c", "a b", "--", "-e", "}", "{", "'", "#", "1"];
const WRAPPERS: &[&str] = &[
    "nice",
    "nice -n 5",
    "nohup",
    "timeout 5",
    "env",
    "env -i",
    "command",
    "exec",
    "stdbuf -o0",
    "sudo",
    "xargs",
    "setsid",
    "find . -exec",
    "time",
    "busybox",
];
const SHELLS: &[&str] = &["bash", "sh", "dash", "zsh", "ksh", "busybox sh"];
const SHELL_OPTIONS: &[&str] = &["-c", "-ec", "-xc", "-lc", "-cl", "-l -c", "-c --", "-e -u -c", "--norc -c", "-o errexit -c", "-euc", "-s", "-i"];

/// One generated command.
pub fn command(c: &mut dyn Choices) -> String {
    let mut out = String::new();
    list(c, &mut out, 3);
    out
}

fn pick<'a>(c: &mut dyn Choices, items: &[&'a str]) -> &'a str {
    items.get(c.below(items.len())).copied().unwrap_or("x")
}

fn list(c: &mut dyn Choices, out: &mut String, depth: usize) {
    let n = 1 + c.below(3);
    for i in 0..n {
        if i > 0 {
            out.push_str(pick(c, &["; ", " && ", " || ", " | ", " & ", "\n", " |& ", ";"]));
        }
        command_in(c, out, depth);
    }
    if c.below(8) == 0 {
        out.push_str(pick(c, &[" # ' rm -rf /", " #}", " # $(rm)", "&"]));
    }
}

fn command_in(c: &mut dyn Choices, out: &mut String, depth: usize) {
    let kind = if depth == 0 { 0 } else { c.below(14) };
    match kind {
        0..=5 => simple(c, out, depth),
        6 => {
            out.push_str(pick(c, &["( ", "{ ", "! "]));
            let close = match out.chars().rev().nth(1) {
                Some('(') => " )",
                Some('{') => "; }",
                _ => "",
            };
            list(c, out, depth - 1);
            out.push_str(close);
        }
        7 => {
            out.push_str(pick(c, WRAPPERS));
            out.push(' ');
            simple(c, out, depth);
        }
        8 => {
            out.push_str(pick(c, SHELLS));
            out.push(' ');
            out.push_str(pick(c, SHELL_OPTIONS));
            out.push(' ');
            let mut inner = String::new();
            list(c, &mut inner, depth - 1);
            out.push_str(&single_quote(&inner));
        }
        9 => {
            out.push_str(pick(c, &["if ", "while ", "until "]));
            simple(c, out, depth);
            out.push_str(pick(c, &["; then ", "; do "]));
            list(c, out, depth - 1);
            out.push_str(if out.contains("if ") { "; fi" } else { "; done" });
        }
        10 => {
            out.push_str("case ");
            word(c, out, depth);
            out.push_str(" in ");
            out.push_str(pick(c, &["x) ", "(x) ", "*) ", "a|b) "]));
            list(c, out, depth - 1);
            out.push_str(pick(c, &[";; esac", " ;; esac", "\nesac"]));
        }
        11 => {
            out.push_str(pick(c, &["f() { ", "function f { "]));
            list(c, out, depth - 1);
            out.push_str("; }; f");
        }
        12 => {
            simple(c, out, depth);
            out.push_str(pick(c, &[" <<EOF\n", " <<'EOF'\n", " <<-EOF\n\t", " <<\"E\"OF\n"]));
            let mut body = String::new();
            word(c, &mut body, depth - 1);
            out.push_str(&body);
            out.push_str(pick(c, &["\nEOF\n", "\nEOF", "\n\tEOF\n"]));
            if c.below(2) == 0 {
                simple(c, out, depth);
            }
        }
        _ => {
            out.push_str(pick(c, &["coproc ", "let ", "mapfile -C ", "eval ", "trap ", "x=1 ", "a[$(rm)]=1 ", "for i in 1; do "]));
            simple(c, out, depth);
            if out.ends_with("do ") || out.contains("for i in 1; do ") {
                out.push_str("; done");
            }
        }
    }
}

fn simple(c: &mut dyn Choices, out: &mut String, depth: usize) {
    out.push_str(pick(c, PROGRAMS));
    for _ in 0..c.below(4) {
        out.push(' ');
        if c.below(3) == 0 {
            word(c, out, depth);
        } else {
            out.push_str(&single_quote_if_needed(pick(c, ARGS)));
        }
    }
    if c.below(6) == 0 {
        out.push_str(pick(c, &[" >/dev/null", " 2>&1", " > >(rm)", " <(rm)", " >x"]));
    }
}

fn word(c: &mut dyn Choices, out: &mut String, depth: usize) {
    let parts = 1 + c.below(3);
    for _ in 0..parts {
        let inner_depth = depth.saturating_sub(1);
        match c.below(16) {
            0 => out.push_str(pick(c, &["x", "-rf", "a"])),
            1 => out.push_str("'a }'"),
            2 => out.push_str("\"a $x\""),
            3 => out.push_str("${x:-'}'}"),
            4 => out.push_str(pick(c, &["${x:-\"}\"}", "${x:-\\}}", "${x-}", "${#x}", "${x:-${y:-}}}", "\"${x:-'}'}\""])),
            5 | 6 if inner_depth > 0 => {
                let (open, close) = [("$(", ")"), ("`", "`"), ("\"$(", ")\""), ("${x:-$(", ")}"), ("$((", ") )"), ("<(", ")")][c.below(6)];
                out.push_str(open);
                let mut inner = String::new();
                list(c, &mut inner, inner_depth);
                out.push_str(&if open == "`" { inner.replace('`', "\\`") } else { inner });
                out.push_str(close);
            }
            7 => out.push_str(pick(c, &["$((1+2))", "$(( (1) ))", "$[1]"])),
            8 => out.push_str(pick(c, &["~", "*", "?", "[ab]", "{a,b}", "=rm"])),
            9 => out.push_str(pick(c, &["\\ ", "\\'", "\\\"", "r\\\nm", "\\$x"])),
            10 => out.push_str(pick(c, &["$'r\\x6d'", "$\"x\"", "$x", "$@", "\"$@\""])),
            _ => out.push_str(pick(c, PROGRAMS)),
        }
    }
}

fn single_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

fn single_quote_if_needed(text: &str) -> String {
    if text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-/._".contains(&b)) {
        text.to_string()
    } else {
        single_quote(text)
    }
}
