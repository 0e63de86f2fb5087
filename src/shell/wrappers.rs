//! Simple commands into segments: assignments and builtins make a segment
//! opaque, wrappers are looked through to the command they run, and
//! `bash -c SCRIPT` is parsed again (ARCHITECTURE.md, Exec commands).

use super::lex::SimpleCommand;
use super::{parse_at_depth, Opaque, Segment, Word};

/// Builtins that change how later text is read or run. (`matches!`, not a
/// list: it compares lengths first, and this runs for every segment.)
fn is_opaque_builtin(name: &str) -> bool {
    matches!(
        name,
        "eval"
            | "source"
            | "."
            | "alias"
            | "trap"
            | "enable"
            | "hash"
            | "export"
            | "declare"
            | "typeset"
            | "set"
            | "unset"
            | "shopt"
            | "readonly"
            | "local"
            | "builtin"
    )
}

/// Shells whose `-c SCRIPT` / `-lc SCRIPT` is parsed as a command of its own.
fn is_shell(name: &str) -> bool {
    matches!(name, "bash" | "sh" | "zsh" | "dash" | "ksh")
}

/// Appends the segments of one simple command.
pub(super) fn segments(command: SimpleCommand, shell_depth: usize, out: &mut Vec<Segment>) {
    let SimpleCommand { mut words, assignments, mut opaque } = command;
    if assignments > 0 {
        opaque.get_or_insert(Opaque::Assignment);
        words.drain(..assignments);
    }
    look_through(words, opaque, shell_depth, out);
}

fn look_through(mut words: Vec<Word>, mut opaque: Option<Opaque>, shell_depth: usize, out: &mut Vec<Segment>) {
    let mut via = Vec::new();
    while let Some(first) = words.first() {
        let Some(text) = first.known() else {
            opaque.get_or_insert(Opaque::UnknownProgram);
            break;
        };
        // A wrapper counts by its bare name, or by an absolute path whose
        // directory the rule block must trust (`via`); `./nice` is no wrapper.
        let slash = text.bytes().rposition(|b| b == b'/');
        let name = match slash {
            None => text,
            Some(at) if text.starts_with('/') => text.get(at + 1..).unwrap_or_default(),
            Some(_) => break,
        };
        if is_opaque_builtin(name) {
            opaque.get_or_insert(Opaque::Builtin);
            break;
        }
        let skip = match wrapper_prefix(name, &words) {
            Step::Program => break,
            Step::Opaque(reason) => {
                opaque.get_or_insert(reason);
                break;
            }
            Step::Skip(n) => n,
            Step::Script(script) => {
                let before = out.len();
                out.extend(parse_at_depth(&script, shell_depth + 1));
                if slash.is_some() {
                    via.push(text.to_string());
                }
                for segment in out.iter_mut().skip(before) {
                    segment.via.extend(via.iter().cloned());
                    if let Some(reason) = opaque {
                        segment.opaque.get_or_insert(reason);
                    }
                }
                return;
            }
        };
        if slash.is_some() {
            via.push(text.to_string());
        }
        words.drain(..skip.min(words.len()));
    }
    if words.is_empty() && opaque.is_none() {
        return;
    }
    out.push(Segment { words, opaque, via });
}

/// What a program word at the front of `words` does.
enum Step {
    /// It is the program.
    Program,
    /// The segment is opaque.
    Opaque(Opaque),
    /// A wrapper: the inner command starts this many words later.
    Skip(usize),
    /// A shell running this script.
    Script(String),
}

fn known(words: &[Word], at: usize) -> Option<&str> {
    words.get(at).and_then(Word::known)
}

/// `NAME=...`: what `env` reads as an assignment, quoted or not.
fn is_assignment(text: &str) -> bool {
    text.split_once('=').is_some_and(|(name, _)| {
        let name = name.strip_suffix('+').unwrap_or(name);
        !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
    })
}

/// How many words a wrapper takes before the command it runs; a wrapper
/// with nothing after it is the program itself.
fn wrapper_prefix(name: &str, words: &[Word]) -> Step {
    let option = |at: usize| words.get(at).is_some_and(|w| w.known().is_none_or(|t| t.starts_with('-')));
    let then = |n: usize| if words.len() > n { Step::Skip(n) } else { Step::Program };
    match name {
        "nohup" => match known(words, 1) {
            Some("--") => then(2),
            _ if option(1) => Step::Opaque(Opaque::WrapperOptions),
            _ => then(1),
        },
        "nice" => match known(words, 1) {
            Some("-n") if known(words, 2).is_some_and(is_number) => then(3),
            _ if option(1) => Step::Opaque(Opaque::WrapperOptions),
            _ => then(1),
        },
        "time" => match known(words, 1) {
            Some("-p") => then(2),
            _ if option(1) => Step::Opaque(Opaque::WrapperOptions),
            _ => then(1),
        },
        "command" => match known(words, 1) {
            Some("-v" | "-V") => Step::Program,
            _ if option(1) => Step::Opaque(Opaque::WrapperOptions),
            _ => then(1),
        },
        "exec" | "env" if option(1) || known(words, 1).is_some_and(is_assignment) => Step::Opaque(Opaque::WrapperOptions),
        "exec" | "env" => then(1),
        "timeout" => timeout(words),
        "stdbuf" => stdbuf(words),
        "busybox" | "toybox" => match known(words, 1) {
            Some(applet) if !applet.starts_with('-') => then(1),
            _ if words.len() > 1 => Step::Opaque(Opaque::WrapperOptions),
            _ => Step::Program,
        },
        shell if is_shell(shell) => match known(words, 1) {
            Some("-c" | "-lc") => match words.get(2) {
                Some(Word::Known(script)) => Step::Script(script.to_string()),
                _ => Step::Opaque(Opaque::UnknownScript),
            },
            _ => Step::Program,
        },
        _ => Step::Program,
    }
}

fn is_number(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

fn is_duration(text: &str) -> bool {
    let number = text.strip_suffix(['s', 'm', 'h', 'd']).unwrap_or(text);
    !number.is_empty() && number.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// `timeout [-s SIG] [-k DURATION] [--preserve-status] [--foreground] [-v] DURATION COMMAND`.
fn timeout(words: &[Word]) -> Step {
    let mut at = 1;
    loop {
        let Some(word) = known(words, at) else { return Step::Opaque(Opaque::WrapperOptions) };
        match word {
            "-s" | "--signal" | "-k" | "--kill-after" if known(words, at + 1).is_some() => at += 2,
            "--preserve-status" | "--foreground" | "-v" | "--verbose" => at += 1,
            w if w.starts_with("--signal=") || w.starts_with("--kill-after=") => at += 1,
            w if (w.starts_with("-s") || w.starts_with("-k")) && w.len() > 2 => at += 1,
            w if is_duration(w) => return if words.len() > at + 1 { Step::Skip(at + 1) } else { Step::Program },
            _ => return Step::Opaque(Opaque::WrapperOptions),
        }
    }
}

/// `stdbuf -i MODE -o MODE -e MODE COMMAND` (attached and long forms too).
fn stdbuf(words: &[Word]) -> Step {
    let mut at = 1;
    loop {
        let Some(word) = known(words, at) else { return Step::Opaque(Opaque::WrapperOptions) };
        match word {
            "-i" | "-o" | "-e" if known(words, at + 1).is_some() => at += 2,
            w if ["--input=", "--output=", "--error="].iter().any(|p| w.starts_with(p)) => at += 1,
            w if w.len() > 2 && ["-i", "-o", "-e"].iter().any(|p| w.starts_with(p)) => at += 1,
            w if w.starts_with('-') => return Step::Opaque(Opaque::WrapperOptions),
            _ if at == 1 => return Step::Program,
            _ => return Step::Skip(at),
        }
    }
}
