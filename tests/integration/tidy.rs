//! Tidy checks over the source tree (as rust-analyzer's `tidy` tests do):
//! rules about the code itself that a compiler would not enforce.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use palisade::Code;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `palisade::<code>` literals in `text`, written as a derive's `code("...")` or as a plain string.
fn code_literals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("\"palisade::") {
        let tail = &rest[at + 1..];
        let end = tail.find('"').unwrap_or(tail.len());
        out.push(tail[..end].to_string());
        rest = &tail[end..];
    }
    out
}

/// Codes are a public contract (`check --format json`): one enum, one
/// spelling per concept, and no code spelled anywhere but there.
#[test]
fn every_code_has_one_spelling_and_one_home() {
    check_codes(Code::ALL.iter().map(|c| c.as_str()));
    let mut files = Vec::new();
    for dir in ["src", "crates/palisade-gateway/src", "crates/palisade-cli/src"] {
        rust_files(&crate::root().join(dir), &mut files);
    }
    let known: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let is_table = file.ends_with("src/diagnostic.rs");
        for literal in code_literals(&text) {
            let derive = text.contains(&format!("code(\"{literal}\")"));
            assert!(is_table || derive, "{}: `{literal}` is spelled out; use `Code::...`", file.display());
            assert!(known.contains(&literal.as_str()), "{}: `{literal}` is not in `Code`", file.display());
        }
    }
}

/// Fails when two codes differ only in `-`/`_` or case, or one breaks the style.
fn check_codes<'a>(codes: impl Iterator<Item = &'a str>) {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for code in codes {
        let name = code.strip_prefix("palisade::").unwrap_or_else(|| panic!("`{code}` lacks the `palisade::` prefix"));
        assert!(name.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "`{code}`: codes are lowercase words joined by `-`");
        if let Some(first) = seen.insert(name.replace(['-', '_'], "").to_lowercase(), code) {
            panic!("`{first}` and `{code}` spell one code two ways");
        }
    }
}

#[test]
#[should_panic(expected = "spell one code two ways")]
fn the_code_check_catches_a_second_spelling() {
    check_codes(["palisade::unknown-agent", "palisade::unknown-tool", "palisade::unknownagent"].into_iter());
}

/// Module paths a file of `dir` names in its code (comments left out).
fn named_layers(dir: &str, forbidden: &[&str]) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(&crate::root().join(dir), &mut files);
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for layer in forbidden {
                if code.contains(&format!("crate::{layer}"))
                    || code.contains(&format!("super::{layer}"))
                    || code.contains(&format!("palisade::{layer}"))
                {
                    out.push(format!("{}:{}: names `{layer}`: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    out
}

/// ARCHITECTURE.md, Invariants: the engine knows only the compiled form, and
/// the gateway only the engine (plus the shared vocabulary and settings).
#[test]
fn the_engine_and_the_gateway_stay_behind_their_boundaries() {
    let engine = named_layers("src/engine", &["ast", "compile", "syntax", "openclaw"]);
    assert!(engine.is_empty(), "the engine must not know the front ends:\n{}", engine.join("\n"));
    let gateway = named_layers("crates/palisade-gateway/src", &["ast", "compile", "syntax", "openclaw"]);
    assert!(gateway.is_empty(), "the gateway must not know the compiler:\n{}", gateway.join("\n"));
}

/// The core library is for every runtime that links it: no async runtime,
/// HTTP server, Docker client, SQLite or argument parser, and no feature to
/// turn off to get there (those live in `crates/palisade-gateway` and `-cli`).
#[test]
fn the_core_crate_depends_on_no_server_or_cli_crate() {
    let manifest = std::fs::read_to_string(crate::root().join("Cargo.toml")).unwrap();
    let section = |name: &str| {
        let start = manifest.find(&format!("\n[{name}]\n")).unwrap_or_else(|| panic!("no [{name}]"));
        let body = &manifest[start + name.len() + 4..];
        body[..body.find("\n[").unwrap_or(body.len())].to_string()
    };
    let dependencies = section("dependencies");
    for heavy in ["tokio", "axum", "bollard", "hyper", "rusqlite", "clap"] {
        let named = dependencies.lines().any(|l| l.split('=').next().is_some_and(|k| k.trim() == heavy));
        assert!(!named, "the core crate depends on `{heavy}`");
    }
    let default = section("features").lines().any(|l| l.trim_start().starts_with("default"));
    assert!(!default, "the core crate has default features");
}

/// README's list of what stays opaque is the one table in the code
/// (`Opaque::ALL`), between its markers.
#[test]
fn readme_opaque_table_is_generated() {
    let readme = std::fs::read_to_string(crate::root().join("README.md")).unwrap();
    let (begin, end) = ("<!-- opaque:begin -->\n", "<!-- opaque:end -->");
    let start = readme.find(begin).expect("README.md has <!-- opaque:begin -->") + begin.len();
    let stop = readme[start..].find(end).expect("README.md has <!-- opaque:end -->") + start;
    let want = palisade::unstable::shell::Opaque::table();
    assert!(readme[start..stop] == want, "README.md's opaque table is out of date; between the markers it should read:\n{want}");
}

/// The lines of `text` where bash would run a command substitution of
/// backticks: a `` ` `` outside single quotes, comments and escapes
/// (quotes span lines, as in bash). In double quotes it runs too, which is
/// how `"... `rm -rf ~`"` in a CI script once wiped a home directory.
fn backtick_substitutions(text: &str) -> Vec<usize> {
    let mut found = Vec::new();
    let (mut single, mut double, mut escaped, mut comment) = (false, false, false, false);
    let mut line = 1;
    let mut previous = '\n';
    for c in text.chars() {
        if c == '\n' {
            line += 1;
            comment = false;
        }
        if comment || escaped {
            escaped = false;
            previous = c;
            continue;
        }
        match c {
            '\\' if !single => escaped = true,
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && previous.is_whitespace() => comment = true,
            '`' if !single && found.last() != Some(&line) => found.push(line),
            _ => {}
        }
        previous = c;
    }
    found
}

/// Every shell script of the repository, read as bash reads it.
#[test]
fn no_script_runs_backticks() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let scripts = [".ci/run", ".ci/readme-examples", "fuzz/run.sh", "benches/gateway_wrk.sh"];
    for script in scripts {
        let text = std::fs::read_to_string(root.join(script)).unwrap();
        let lines = backtick_substitutions(&text);
        assert!(lines.is_empty(), "{script}: lines {lines:?} hold backticks that bash runs as a command; quote them with '...' or escape them");
    }
    // The check itself: the line that ran, and the spellings that do not run.
    assert_eq!(backtick_substitutions("expect f 2 \"denied: `rm -rf ~`\""), [1]);
    assert_eq!(backtick_substitutions("x=`date`"), [1]);
    assert!(backtick_substitutions("expect f 2 'denied: `rm -rf ~`'\necho \"a \\`b\\`\"\n# `c`\necho x # `d`\nawk '\n/`/ { print }\n'").is_empty());
    assert_eq!(backtick_substitutions(include_str!("tidy/readme-examples-that-ran-rm.txt")), [35]);
}
