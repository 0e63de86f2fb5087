//! Simple commands into segments (ARCHITECTURE.md, Exec commands; BRIEF
//! section 6b): assignments, builtins and the bash words that run text make
//! a segment opaque; wrappers are looked through to the command they run;
//! a shell with `-c` in its options has its script parsed again; programs
//! that run a program from their arguments (`sudo`, `xargs`, `find -exec`)
//! are judged as themselves and, through an *inner* segment, by what they
//! run; an interpreter's inline-eval flag in any spelling gives an inner
//! segment in the canonical spelling.

use super::interpreters;
use super::lex::SimpleCommand;
use super::{parse_at_depth, Opaque, Segment, Word};

/// Builtins that change how later text is read or run (`matches!`, not a
/// list: it compares lengths first, and this runs for every segment).
fn is_opaque_builtin(name: &str) -> bool {
    matches!(
        name,
        "eval"
            | "source"
            | "."
            | "alias"
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

/// The builtins above, for the documentation's table.
pub(super) const OPAQUE_BUILTINS: &str =
    "`eval`, `source`, `.`, `alias`, `enable`, `hash`, `export`, `declare`, `typeset`, `set`, `unset`, `shopt`, `readonly`, `local`, `builtin`";

/// Bash words that run commands from text, or evaluate a name whose
/// subscript can (`a[$(cmd)]`): always, or with the option given.
fn is_command_word(name: &str, words: &[Word]) -> bool {
    let has = |option: char| words.iter().skip(1).any(|w| w.known().is_none_or(|t| t.starts_with('-') && !t.starts_with("--") && t.contains(option)));
    let subscript = || words.iter().skip(1).any(|w| w.known().is_none_or(|t| t.contains('[')));
    match name {
        "trap" | "fc" | "let" | "mapfile" | "readarray" | "compgen" | "complete" | "getopts" => true,
        "jobs" => has('x'),
        "printf" => has('v'),
        "read" => has('a') || subscript(),
        "test" => words.iter().skip(1).any(|w| w.known().is_none_or(|t| t == "-v")),
        "wait" => has('p'),
        _ => false,
    }
}

/// The words above, for the documentation's table.
pub(super) const COMMAND_WORDS: &str = "`coproc`, `trap`, `fc`, `let`, `mapfile`, `readarray`, `compgen`, `complete`, `getopts`, `jobs -x`, `printf -v`, `read -a`, `read 'a[i]'`, `test -v`, `wait -p`";

/// Shells whose `-c SCRIPT` is parsed as a command of its own.
fn is_shell(name: &str) -> bool {
    matches!(name, "bash" | "sh" | "zsh" | "dash" | "ksh" | "ash" | "mksh" | "yash" | "posh")
}

/// Appends the segments of one simple command.
/// `source` is the text the command was read from.
pub(super) fn segments(command: SimpleCommand, source: &str, shell_depth: usize, out: &mut Vec<Segment>) {
    let SimpleCommand { mut words, assignments, mut opaque, written } = command;
    if assignments > 0 {
        Opaque::note(&mut opaque, Opaque::Assignment);
        words.drain(..assignments);
    }
    let written = Written { source, at: written.unwrap_or(0..0) };
    look_through(words, opaque, Vec::new(), None, &written, shell_depth, out);
}

/// The simple command being looked through, as written.
struct Written<'s> {
    source: &'s str,
    at: std::ops::Range<usize>,
}

/// Looks through wrappers to the program, then appends its segment and the
/// inner segments of what it runs. `runner` names the program that runs
/// this one from its arguments, if any.
fn look_through(
    mut words: Vec<Word>,
    mut opaque: Option<Opaque>,
    mut via: Vec<String>,
    runner: Option<&str>,
    written: &Written<'_>,
    shell_depth: usize,
    out: &mut Vec<Segment>,
) {
    let mut inner = None;
    while let Some(first) = words.first() {
        let Some(text) = first.known() else {
            Opaque::note(&mut opaque, Opaque::UnknownProgram);
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
            Opaque::note(&mut opaque, Opaque::Builtin);
            break;
        }
        if is_command_word(name, &words) {
            Opaque::note(&mut opaque, Opaque::CommandWord);
            break;
        }
        if name.starts_with('=') {
            // zsh runs `=rm` as the path of `rm`.
            Opaque::note(&mut opaque, Opaque::UnknownProgram);
            break;
        }
        let skip = match wrapper_prefix(name, &words) {
            Step::Program => break,
            Step::Opaque(reason) => {
                Opaque::note(&mut opaque, reason);
                break;
            }
            Step::Skip(n) => n,
            Step::Script(script) => {
                if slash.is_some() {
                    via.push(text.to_string());
                }
                script_segments(&script, opaque, &via, runner, written, shell_depth, out);
                return;
            }
            Step::Runs(what) => {
                inner = Some((name.to_string(), what));
                break;
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
    let canonical = if opaque.is_none() { interpreters::canonical(&words) } else { None };
    let canonical = canonical.map(|spelled| {
        let program = words.first().and_then(Word::known).unwrap_or_default().into();
        Segment { words: spelled, opaque: None, via: via.clone(), runner: Some(program), written: written.at.clone(), written_around: false }
    });
    let own_via = if inner.is_some() { via.clone() } else { std::mem::take(&mut via) };
    out.push(Segment { words, opaque, via: own_via, runner: runner.map(Into::into), written: written.at.clone(), written_around: false });
    out.extend(canonical);
    if let Some((name, what)) = inner {
        // Judged again through what it runs; options it does not read
        // leave the inner command opaque.
        match what {
            Runs::Argv(words) => look_through(words, None, via, Some(&name), written, shell_depth, out),
            Runs::Argvs(commands) => {
                for words in commands {
                    look_through(words, None, via.clone(), Some(&name), written, shell_depth, out);
                }
            }
            Runs::Script(script) => script_segments(&script, None, &via, Some(&name), written, shell_depth, out),
            Runs::Unread(reason) => out.push(Segment {
                words: Vec::new(),
                opaque: Some(reason),
                via,
                runner: Some(name.into()),
                written: written.at.clone(),
                written_around: false,
            }),
        }
    }
}

/// The segments of a shell script a program runs.
fn script_segments(
    script: &str,
    opaque: Option<Opaque>,
    via: &[String],
    runner: Option<&str>,
    written: &Written<'_>,
    shell_depth: usize,
    out: &mut Vec<Segment>,
) {
    let before = out.len();
    out.extend(parse_at_depth(script, shell_depth + 1));
    super::adopt(out, before, script, written.source, written.at.clone());
    for segment in out.iter_mut().skip(before) {
        segment.via.extend(via.iter().cloned());
        if let Some(reason) = opaque {
            Opaque::note(&mut segment.opaque, reason);
        }
        if segment.runner.is_none() {
            segment.runner = runner.map(Into::into);
        }
    }
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
    /// A program judged as itself that also runs what it is given.
    Runs(Runs),
}

/// What a program runs from its arguments.
enum Runs {
    /// A command given as words.
    Argv(Vec<Word>),
    /// Commands given as words, run in turn (none: it runs nothing).
    Argvs(Vec<Vec<Word>>),
    /// A shell script given as text.
    Script(String),
    /// Something Palisade does not read.
    Unread(Opaque),
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
        "nohup" | "time" | "exec" | "env" if option(1) => Step::Opaque(Opaque::WrapperOptions),
        "env" if known(words, 1).is_some_and(is_assignment) => Step::Opaque(Opaque::WrapperOptions),
        "nohup" | "time" | "exec" | "env" => then(1),
        "nice" => match known(words, 1) {
            Some("-n") if known(words, 2).is_some_and(is_number) => then(3),
            _ if option(1) => Step::Opaque(Opaque::WrapperOptions),
            _ => then(1),
        },
        "command" => match known(words, 1) {
            Some("-v" | "-V") => Step::Program,
            _ if option(1) => Step::Opaque(Opaque::WrapperOptions),
            _ => then(1),
        },
        "timeout" => timeout(words),
        "stdbuf" => stdbuf(words),
        "busybox" | "toybox" => match known(words, 1) {
            Some(applet) if !applet.starts_with('-') => then(1),
            _ if words.len() > 1 => Step::Opaque(Opaque::WrapperOptions),
            _ => Step::Program,
        },
        shell if is_shell(shell) => shell_script(words),
        runner => match runs(runner, words) {
            Some(what) => Step::Runs(what),
            None => Step::Program,
        },
    }
}

/// A shell's arguments (BRIEF section 6b): any option cluster or list that
/// holds `-c` runs the first word after the options as a script; any other
/// use with arguments (a script file, `-s`, `-i`) or none (stdin) is opaque.
fn shell_script(words: &[Word]) -> Step {
    let mut at = 1;
    let mut command = false;
    while let Some(word) = words.get(at) {
        let Some(text) = word.known() else { return Step::Opaque(Opaque::UnknownScript) };
        match text {
            "--" => {
                at += 1;
                break;
            }
            "--norc" | "--noprofile" | "--login" | "--posix" | "--restricted" | "--verbose" | "--noediting" => at += 1,
            "--rcfile" | "--init-file" => at += 2,
            long if long.starts_with("--") => return Step::Opaque(Opaque::UnknownScript),
            cluster if (cluster.starts_with('-') || cluster.starts_with('+')) && cluster.len() > 1 => {
                let letters = cluster.get(1..).unwrap_or_default();
                if !letters.bytes().all(|b| b.is_ascii_alphabetic()) || letters.contains(['s', 'i']) {
                    return Step::Opaque(Opaque::UnknownScript);
                }
                command |= letters.contains('c');
                // `-o NAME` / `+O NAME`: one argument per `o`/`O`.
                at += 1 + letters.bytes().filter(|b| matches!(b, b'o' | b'O')).count();
            }
            _ => break,
        }
    }
    match (command, words.get(at)) {
        (true, Some(Word::Known(script))) => Step::Script(script.to_string()),
        (false, None) if at == 1 => Step::Opaque(Opaque::UnknownScript),
        _ => Step::Opaque(Opaque::UnknownScript),
    }
}

/// Options of a program that runs another: letters that take no value,
/// letters that take one (attached or the next word), long options alike.
struct Options {
    flags: &'static str,
    valued: &'static str,
    long_flags: &'static [&'static str],
    long_valued: &'static [&'static str],
}

/// Reads `words[at..]` as options; returns where the operands start, or
/// `None` at an option it does not know.
fn read_options(words: &[Word], mut at: usize, options: &Options) -> Option<usize> {
    while let Some(word) = words.get(at) {
        let text = word.known()?;
        if text == "--" {
            return Some(at + 1);
        }
        if let Some(long) = text.strip_prefix("--") {
            let (name, attached) = match long.split_once('=') {
                Some((name, _)) => (name, true),
                None => (long, false),
            };
            if options.long_flags.contains(&name) && !attached {
                at += 1;
            } else if options.long_valued.contains(&name) {
                at += if attached { 1 } else { 2 };
            } else {
                return None;
            }
            continue;
        }
        let Some(letters) = text.strip_prefix('-').filter(|l| !l.is_empty()) else { return Some(at) };
        let mut taken = 1;
        for (i, letter) in letters.char_indices() {
            if options.flags.contains(letter) {
                continue;
            }
            if options.valued.contains(letter) {
                if i + letter.len_utf8() == letters.len() {
                    taken = 2;
                }
                break;
            }
            return None;
        }
        at += taken;
    }
    Some(at)
}

/// The command words from `at`, or what to say when there are none.
fn argv_from(words: &[Word], at: usize, none: Opaque) -> Runs {
    match words.get(at..) {
        Some(rest) if !rest.is_empty() => Runs::Argv(rest.to_vec()),
        _ => Runs::Unread(none),
    }
}

/// What a program that runs another from its arguments runs (BRIEF
/// section 6b's list), or `None` when it is no such program.
fn runs(name: &str, words: &[Word]) -> Option<Runs> {
    const NONE: &[&str] = &[];
    let unread = Runs::Unread(Opaque::WrapperOptions);
    let with = |options: Options, then: &dyn Fn(usize) -> Runs| match read_options(words, 1, &options) {
        Some(at) => then(at),
        None => Runs::Unread(Opaque::WrapperOptions),
    };
    Some(match name {
        "sudo" => with(
            Options {
                flags: "AbEHknPS",
                valued: "ugpCDhrtTU",
                long_flags: &["askpass", "background", "preserve-env", "set-home", "non-interactive", "stdin"],
                long_valued: &["user", "group", "prompt", "close-from", "chdir", "host", "role", "type", "command-timeout", "other-user"],
            },
            &|at| {
                if known(words, at).is_some_and(is_assignment) {
                    Runs::Unread(Opaque::WrapperOptions)
                } else {
                    argv_from(words, at, Opaque::UnknownScript)
                }
            },
        ),
        "doas" => with(Options { flags: "n", valued: "u", long_flags: NONE, long_valued: NONE }, &|at| argv_from(words, at, Opaque::UnknownScript)),
        "su" => return Some(su(words)),
        "xargs" => return Some(xargs(words)),
        "find" => return find(words),
        "watch" => with(
            Options {
                flags: "bcdeghpt",
                valued: "nq",
                long_flags: &["beep", "color", "differences", "errexit", "chgexit", "no-title", "precise"],
                long_valued: &["interval"],
            },
            &|at| joined_script(words, at),
        ),
        "setsid" => with(Options { flags: "cfw", valued: "", long_flags: &["ctty", "fork", "wait"], long_valued: NONE }, &|at| {
            argv_from(words, at, Opaque::UnknownScript)
        }),
        "chroot" => with(Options { flags: "", valued: "", long_flags: &["skip-chdir"], long_valued: &["userspec", "groups"] }, &|at| {
            if words.len() > at + 1 {
                argv_from(words, at + 1, Opaque::UnknownScript)
            } else {
                Runs::Unread(Opaque::UnknownScript)
            }
        }),
        "unshare" => with(
            Options {
                flags: "muinpUCTfrc",
                valued: "S",
                long_flags: &[
                    "mount",
                    "uts",
                    "ipc",
                    "net",
                    "pid",
                    "user",
                    "cgroup",
                    "time",
                    "fork",
                    "map-root-user",
                    "map-current-user",
                    "mount-proc",
                    "kill-child",
                ],
                long_valued: &["setuid", "setgid", "propagation"],
            },
            &|at| argv_from(words, at, Opaque::UnknownScript),
        ),
        "nsenter" => with(
            Options {
                flags: "muinpUCTrwFa",
                valued: "tSG",
                long_flags: &["all", "no-fork", "preserve-credentials"],
                long_valued: &["target", "setuid", "setgid", "root", "wd"],
            },
            &|at| argv_from(words, at, Opaque::UnknownScript),
        ),
        "flock" => with(
            Options {
                flags: "sxnuoFv",
                valued: "Ew",
                long_flags: &["shared", "exclusive", "nonblock", "unlock", "close", "no-fork", "verbose"],
                long_valued: &["conflict-exit-code", "timeout"],
            },
            &|at| {
                match known(words, at + 1) {
                    Some("-c" | "--command") => match words.get(at + 2) {
                        Some(Word::Known(script)) => Runs::Script(script.to_string()),
                        _ => Runs::Unread(Opaque::UnknownScript),
                    },
                    _ if words.len() > at + 1 => argv_from(words, at + 1, Opaque::UnknownScript),
                    // `flock FD`: no command.
                    _ => Runs::Argvs(Vec::new()),
                }
            },
        ),
        "ionice" => {
            if words.iter().any(|w| w.known().is_some_and(|t| matches!(t, "-p" | "-P" | "-u" | "--pid" | "--pgid" | "--uid"))) {
                return None;
            }
            with(Options { flags: "t", valued: "cn", long_flags: &["ignore"], long_valued: &["class", "classdata"] }, &|at| {
                argv_from(words, at, Opaque::UnknownScript)
            })
        }
        "chrt" => {
            if words.iter().any(|w| w.known().is_some_and(|t| matches!(t, "-p" | "--pid"))) {
                return None;
            }
            with(
                Options {
                    flags: "abdfiormRv",
                    valued: "TPD",
                    long_flags: &["all-tasks", "batch", "deadline", "fifo", "idle", "other", "rr", "reset-on-fork", "verbose"],
                    long_valued: &["sched-runtime", "sched-period", "sched-deadline"],
                },
                &|at| {
                    if words.len() > at + 1 {
                        argv_from(words, at + 1, Opaque::UnknownScript)
                    } else {
                        Runs::Argvs(Vec::new())
                    }
                },
            )
        }
        "taskset" => {
            if words.iter().any(|w| w.known().is_some_and(|t| t.starts_with('-') && !t.starts_with("--") && t.contains('p'))) {
                return None;
            }
            with(Options { flags: "ac", valued: "", long_flags: &["all-tasks", "cpu-list"], long_valued: NONE }, &|at| {
                if words.len() > at + 1 {
                    argv_from(words, at + 1, Opaque::UnknownScript)
                } else {
                    Runs::Argvs(Vec::new())
                }
            })
        }
        "script" => return Some(script(words)),
        "ssh" => with(Options { flags: "46AaCfGgKkMNnqsTtVvXxYy", valued: "BbcDEeFIiJLlmOoPpQRSWw", long_flags: NONE, long_valued: NONE }, &|at| {
            if words.len() > at + 1 {
                joined_script(words, at + 1)
            } else {
                Runs::Unread(Opaque::UnknownScript)
            }
        }),
        // Its command is a template run by a shell, with `{}` and `:::` inputs.
        "parallel" => unread,
        _ => return None,
    })
}

/// Words joined by spaces and run by a shell (`watch`, `ssh HOST CMD`).
fn joined_script(words: &[Word], at: usize) -> Runs {
    let Some(rest) = words.get(at..).filter(|r| !r.is_empty()) else { return Runs::Unread(Opaque::UnknownScript) };
    let texts: Option<Vec<&str>> = rest.iter().map(Word::known).collect();
    match texts {
        Some(texts) => Runs::Script(texts.join(" ")),
        None => Runs::Unread(Opaque::UnknownScript),
    }
}

/// `su [options] [-c COMMAND] [USER]`: the command runs in the user's shell.
fn su(words: &[Word]) -> Runs {
    let mut at = 1;
    let mut script = None;
    while let Some(word) = words.get(at) {
        let Some(text) = word.known() else { return Runs::Unread(Opaque::WrapperOptions) };
        match text {
            "-c" | "--command" => {
                script = Some(words.get(at + 1).and_then(Word::known).map(str::to_string));
                at += 2;
            }
            _ if text.starts_with("--command=") => {
                script = Some(text.strip_prefix("--command=").map(str::to_string));
                at += 1;
            }
            "-" | "-l" | "--login" | "-m" | "-p" | "--preserve-environment" => at += 1,
            "-s" | "--shell" | "-g" | "--group" | "-G" | "--supp-group" | "-w" | "--whitelist-environment" => at += 2,
            _ if text.starts_with('-') => return Runs::Unread(Opaque::WrapperOptions),
            _ => at += 1,
        }
    }
    match script {
        Some(Some(script)) => Runs::Script(script),
        _ => Runs::Unread(Opaque::UnknownScript),
    }
}

/// `xargs [options] [COMMAND [ARGS]]`: the command (`echo` by default) with
/// words from stdin after it, or in place of the replace string.
fn xargs(words: &[Word]) -> Runs {
    let options = Options {
        flags: "0rtpxo",
        valued: "adELnPsI",
        long_flags: &["null", "no-run-if-empty", "verbose", "interactive", "exit", "open-tty"],
        long_valued: &["arg-file", "delimiter", "eof", "max-lines", "max-args", "max-procs", "max-chars", "process-slot-var", "replace"],
    };
    // `-i`, `-e`, `-l` take an optional attached value: refuse them.
    let Some(at) = read_options(words, 1, &options) else { return Runs::Unread(Opaque::WrapperOptions) };
    let replace = words.iter().take(at).any(|w| {
        w.known()
            .is_some_and(|t| t.starts_with("-I") || t.starts_with("--replace") || (t.starts_with('-') && !t.starts_with("--") && t.contains('I')))
    });
    let mut command: Vec<Word> = match words.get(at..) {
        Some(rest) if !rest.is_empty() => rest.to_vec(),
        _ => vec![Word::Known("echo".into())],
    };
    if replace {
        // The replace string may be anywhere: every argument is unknown.
        for word in command.iter_mut().skip(1) {
            *word = Word::Unknown { split: false };
        }
    } else {
        command.push(Word::Unknown { split: true });
    }
    Runs::Argv(command)
}

/// `find ... -exec|-execdir|-ok|-okdir COMMAND ... ;|{} +`: each command
/// with `{}` as the paths found, each an inner segment.
fn find(words: &[Word]) -> Option<Runs> {
    let is_action = |w: &Word| w.known().is_some_and(|t| matches!(t, "-exec" | "-execdir" | "-ok" | "-okdir"));
    let start = words.iter().position(is_action)?;
    let mut commands = Vec::new();
    let mut at = start;
    while let Some(offset) = words.get(at..).and_then(|rest| rest.iter().position(is_action)) {
        let begin = at + offset + 1;
        let rest = words.get(begin..).unwrap_or_default();
        let end = rest.iter().enumerate().position(|(i, w)| match w.known() {
            Some(";") => true,
            Some("+") => i > 0 && rest.get(i - 1).and_then(Word::known) == Some("{}"),
            _ => false,
        });
        let Some(end) = end else { return Some(Runs::Unread(Opaque::WrapperOptions)) };
        let plus = rest.get(end).and_then(Word::known) == Some("+");
        let command: Vec<Word> = rest
            .get(..end)
            .unwrap_or_default()
            .iter()
            .map(|w| match w.known() {
                Some("{}") => Word::Unknown { split: plus },
                Some(text) if text.contains("{}") => Word::Unknown { split: false },
                _ => w.clone(),
            })
            .collect();
        if command.is_empty() || command.first().and_then(Word::known).is_none_or(|p| p.contains("{}")) {
            return Some(Runs::Unread(Opaque::WrapperOptions));
        }
        commands.push(command);
        at = begin + end + 1;
    }
    Some(Runs::Argvs(commands))
}

/// `script [options] -c COMMAND [FILE]`; without `-c` it runs an
/// interactive shell.
fn script(words: &[Word]) -> Runs {
    let mut at = 1;
    while let Some(word) = words.get(at) {
        let Some(text) = word.known() else { return Runs::Unread(Opaque::WrapperOptions) };
        match text {
            "-c" | "--command" => {
                return match words.get(at + 1) {
                    Some(Word::Known(script)) => Runs::Script(script.to_string()),
                    _ => Runs::Unread(Opaque::UnknownScript),
                }
            }
            _ if text.starts_with("--command=") => return Runs::Script(text.trim_start_matches("--command=").to_string()),
            "-a" | "--append" | "-e" | "--return" | "-f" | "--flush" | "-q" | "--quiet" => at += 1,
            _ if text.starts_with('-') => return Runs::Unread(Opaque::WrapperOptions),
            _ => at += 1,
        }
    }
    Runs::Unread(Opaque::UnknownScript)
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
