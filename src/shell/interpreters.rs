//! Interpreters' inline-eval flags, read as each interpreter reads its
//! arguments (BRIEF section 6b): option clusters (`python3 -Ic`, `perl
//! -le`), attached values (`-c'...'`, `--eval=...`), every spelling
//! (`node -p`), versioned names (`python3.12`, `nodejs`). An inline-eval
//! word is matched only by a literal token of an allow pattern, and a
//! segment that holds one in any spelling gets an inner segment in the
//! canonical spelling (`python3 -c SCRIPT ...`), which deny and ask
//! patterns see.

use super::Word;

/// A family of interpreters, by how it reads its options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interpreter {
    /// `python`, `python3`, `python3.12`: `-c` in a cluster of flags.
    Python,
    /// `node`, `nodejs`, `bun`: `-e`, `-p`, `--eval`, `--print`.
    Node,
    /// `deno eval`, `deno -e`.
    Deno,
    /// `perl`, `ruby`: `-e`/`-E` anywhere in a cluster.
    Perl,
    /// `php -r`, `-R`, `-B`, `-E`.
    Php,
    /// `lua -e`, `osascript -e`.
    Lua,
}

/// The interpreter a program's last path component names.
pub fn by_name(name: &str) -> Option<Interpreter> {
    let versioned = |family: &str| name.strip_prefix(family).is_some_and(|v| v.is_empty() || v.bytes().all(|b| b.is_ascii_digit() || b == b'.'));
    Some(match name {
        _ if versioned("python") => Interpreter::Python,
        "node" | "nodejs" | "bun" => Interpreter::Node,
        "deno" => Interpreter::Deno,
        _ if versioned("perl") || versioned("ruby") => Interpreter::Perl,
        _ if versioned("php") => Interpreter::Php,
        _ if versioned("lua") || name == "luajit" || name == "osascript" => Interpreter::Lua,
        _ => return None,
    })
}

/// The canonical program name: the family's unversioned name where the
/// version is a minor one (`python3.12` is `python3`, `nodejs` is `node`).
fn canonical_name(name: &str) -> &str {
    if name == "nodejs" {
        return "node";
    }
    match name.split_once('.') {
        Some((major, _)) if by_name(major).is_some() => major,
        _ => name,
    }
}

impl Interpreter {
    /// The canonical inline-eval flag.
    fn flag(self) -> &'static str {
        match self {
            Interpreter::Python => "-c",
            Interpreter::Php => "-r",
            _ => "-e",
        }
    }

    /// Whether `word` is, or may be, an inline-eval flag: in a cluster,
    /// with an attached value, or in a long spelling.
    pub fn is_eval(self, word: &str) -> bool {
        self.eval_split(word).is_some()
    }

    /// For an inline-eval word: the script attached to it (`-c'x'`), or
    /// `None` inside when the script is the next word.
    fn eval_split(self, word: &str) -> Option<Option<&str>> {
        if let Some(long) = word.strip_prefix("--") {
            let (name, value) = long.split_once('=').map_or((long, None), |(n, v)| (n, Some(v)));
            let eval = match self {
                Interpreter::Node | Interpreter::Deno => matches!(name, "eval" | "print"),
                Interpreter::Php => matches!(name, "run" | "process-code" | "process-begin" | "process-end"),
                _ => false,
            };
            return eval.then_some(value);
        }
        if self == Interpreter::Deno && word == "eval" {
            return Some(None);
        }
        let letters = word.strip_prefix('-').filter(|l| !l.is_empty())?;
        let eval_letters: &[char] = match self {
            Interpreter::Python => &['c'],
            Interpreter::Node | Interpreter::Deno => &['e', 'p'],
            Interpreter::Perl => &['e', 'E'],
            Interpreter::Php => &['r', 'R', 'B', 'E'],
            Interpreter::Lua => &['e'],
        };
        let at = letters.find(eval_letters)?;
        let rest = letters.get(at + 1..).unwrap_or_default();
        // A cluster's value starts after the flag (`-cprint(1)`); node's
        // `-pe` is two flags.
        let value = match (self, rest) {
            (_, "") => None,
            (Interpreter::Node | Interpreter::Deno, r) if r.chars().all(|c| eval_letters.contains(&c)) => None,
            (_, r) => Some(r),
        };
        Some(value)
    }
}

/// The segment's words in the canonical spelling of its inline eval
/// (`python3 -c SCRIPT ARGS...`), when the program is an interpreter, an
/// inline-eval word is there, and the spelling differs; else `None`.
pub(super) fn canonical(words: &[Word]) -> Option<Vec<Word>> {
    let program = words.first()?.known()?;
    let slash = program.bytes().rposition(|b| b == b'/');
    let (dir, name) = match slash {
        Some(at) => (program.get(..at).unwrap_or_default(), program.get(at + 1..).unwrap_or_default()),
        None => ("", program),
    };
    let interpreter = by_name(name)?;
    let (at, attached) = words.iter().enumerate().skip(1).find_map(|(i, w)| w.known().and_then(|t| interpreter.eval_split(t)).map(|v| (i, v)))?;
    let name = canonical_name(name);
    let program = if slash.is_some() { format!("{dir}/{name}") } else { name.to_string() };
    let mut canonical = vec![Word::Known(program.as_str().into()), Word::Known(interpreter.flag().into())];
    let script_and_rest = match attached {
        Some(script) => {
            canonical.push(Word::Known(script.into()));
            words.get(at + 1..)
        }
        None => words.get(at + 1..),
    };
    canonical.extend(script_and_rest.unwrap_or_default().iter().cloned());
    (canonical.as_slice() != words).then_some(canonical)
}
