//! The shell front end of exec command rules (ARCHITECTURE.md, Exec
//! commands): a command string parsed as bash into *segments*, the simple
//! commands a pattern is matched against. Written by hand for the constructs
//! that section names; everything else fails closed: a segment it cannot
//! judge is *opaque*, and text it cannot parse is one opaque segment.
//!
//! Soundness rule: extra segments only ever make a decision stricter (the
//! outcome of a command is the strictest over its segments), so where a
//! construct is opaque its inner commands are still parsed and added
//! (`echo $(rm -rf /)` is an opaque `echo` segment *and* an `rm` segment).

mod interpreters;
mod lex;
pub mod options;
mod wrappers;

pub use interpreters::{by_name as interpreter, Interpreter};

/// Longest command text parsed; longer text is one opaque segment.
pub const MAX_COMMAND_BYTES: usize = 64 * 1024;
/// Deepest nesting of subshells, groups and substitutions.
pub const MAX_NESTING: usize = 16;
/// Deepest `bash -c SCRIPT` inside `bash -c SCRIPT`.
pub const MAX_SHELL_DEPTH: usize = 4;

/// One word of a segment after quote removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Word {
    /// A word whose text is known exactly (stored inline when short).
    Known(compact_str::CompactString),
    /// A word with an expansion (`$VAR`, `$(...)`, a glob, `~`, braces).
    /// `split`: unquoted, so it may become any number of words (zero
    /// included); quoted, it is exactly one word of unknown text.
    Unknown {
        /// Whether it may expand to any number of words.
        split: bool,
    },
}

impl Word {
    /// The text of a known word.
    pub fn known(&self) -> Option<&str> {
        match self {
            Word::Known(text) => Some(text),
            Word::Unknown { .. } => None,
        }
    }
}

/// Why a segment cannot be judged by patterns. [`Opaque::ALL`] with
/// [`Opaque::describe`] and [`Opaque::constructs`] is the one table of what
/// stays opaque; README's list is generated from it (a tidy test checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opaque {
    /// The program word has an expansion.
    UnknownProgram,
    /// `$(...)`, backticks or `<(...)`/`>(...)`.
    Substitution,
    /// A redirection other than to `/dev/null` or a descriptor duplication.
    Redirection,
    /// A here-document or here-string.
    HereDocument,
    /// `NAME=value` before or instead of a command.
    Assignment,
    /// `name() { ...; }` or `function name`.
    Function,
    /// `if`, `for`, `while`, `until`, `case`, `select`.
    Compound,
    /// Text evaluated as arithmetic or as a name (`(( ))`, `[[ ]]`,
    /// `$((x))`, `${x:n}`, `${!x}`, `${a[i]}`), where a variable holding
    /// `a[$(cmd)]` runs `cmd`.
    Arithmetic,
    /// A builtin that changes how later text is read or run (`eval`, `source`...).
    Builtin,
    /// A bash word that runs commands from text or evaluates names
    /// (`coproc`, `mapfile -C`, `let`, `printf -v`...).
    CommandWord,
    /// A wrapper whose options Palisade does not read (`env -i`, `nice -5`...).
    WrapperOptions,
    /// A shell on text Palisade cannot read: a script that is not known
    /// text, a script file, stdin, an interactive shell.
    UnknownScript,
    /// The shells read the text differently (`'` inside a double-quoted
    /// `${...}`, `\'` inside `$'...'`).
    Ambiguous,
    /// The text does not parse (unterminated quote, stray `)`...).
    Unparsed,
    /// The text is over `MAX_COMMAND_BYTES`.
    TooLarge,
    /// Nesting is over `MAX_NESTING`, or `bash -c` over `MAX_SHELL_DEPTH`.
    TooDeep,
}

impl Opaque {
    /// Every reason, in the order the documentation lists them.
    pub const ALL: [Opaque; 16] = [
        Opaque::UnknownProgram,
        Opaque::Substitution,
        Opaque::Redirection,
        Opaque::HereDocument,
        Opaque::Assignment,
        Opaque::Function,
        Opaque::Compound,
        Opaque::Arithmetic,
        Opaque::Builtin,
        Opaque::CommandWord,
        Opaque::WrapperOptions,
        Opaque::UnknownScript,
        Opaque::Ambiguous,
        Opaque::Unparsed,
        Opaque::TooLarge,
        Opaque::TooDeep,
    ];

    /// Why, in words, for explanations.
    pub fn describe(self) -> &'static str {
        match self {
            Opaque::UnknownProgram => "the program is not known text",
            Opaque::Substitution => "it holds a command or process substitution",
            Opaque::Redirection => "it redirects to or from a file",
            Opaque::HereDocument => "it holds a here-document",
            Opaque::Assignment => "it assigns a variable",
            Opaque::Function => "it defines a function",
            Opaque::Compound => "it is a compound command (if, for, while, until, select, case)",
            Opaque::Arithmetic => "it evaluates text as arithmetic or as a name, which can run what a variable holds",
            Opaque::Builtin => "it runs a builtin that changes how text is read or run",
            Opaque::CommandWord => "it uses a shell word that runs commands from text",
            Opaque::WrapperOptions => "it passes options to a program-running wrapper that Palisade does not read",
            Opaque::UnknownScript => "it runs a shell on text Palisade cannot read",
            Opaque::Ambiguous => "bash, dash and busybox ash read it differently",
            Opaque::Unparsed => "the command does not parse",
            Opaque::TooLarge => "the command is too long",
            Opaque::TooDeep => "the command nests too deeply",
        }
    }

    /// The constructs it stands for, as shell text (documentation).
    pub fn constructs(self) -> &'static str {
        match self {
            Opaque::UnknownProgram => "`$CMD x`, `\"$(which rm)\" x`, `[ -f x ]`, `=rm` (zsh)",
            Opaque::Substitution => "`echo $(cmd)`, `` echo `cmd` ``, `cat <(cmd)`, `echo > >(cmd)`",
            Opaque::Redirection => "`cmd > file`, `cmd < file`, `cmd >& file` (not `/dev/null`, `2>&1`, `3>&-`)",
            Opaque::HereDocument => "`cmd <<EOF`, `cmd <<< text`",
            Opaque::Assignment => "`FOO=1 cmd`, `PATH=/tmp`, `a+=b`",
            Opaque::Function => "`f() { ...; }`, `function f { ...; }`",
            Opaque::Compound => "`if`, `for`, `while`, `until`, `select`, `case`",
            Opaque::Arithmetic => "`(( ))`, `[[ ]]`, `$((x))`, `$[x]`, `${x:n}`, `${!x}`, `${a[i]}`",
            Opaque::Builtin => wrappers::OPAQUE_BUILTINS,
            Opaque::CommandWord => wrappers::COMMAND_WORDS,
            Opaque::WrapperOptions => {
                "`env -i`, `env A=1`, `nice -5`, `exec -a`, `command -p`, `time -v`, `sudo -s`, `xargs -i`, `find -exec` without its end"
            }
            Opaque::UnknownScript => "`bash script.sh`, `sh -s`, `bash -i`, `bash < file`, `bash -c \"$X\"`",
            Opaque::Ambiguous => "`\"${x:-'}'}\"`, `$'a\\'b'`",
            Opaque::Unparsed => "`echo 'x`, `ls )`, `a ;; b`, a here-document without its end",
            Opaque::TooLarge => "over 64 KiB of text",
            Opaque::TooDeep => "over 16 levels of nesting, `bash -c` over 4 deep",
        }
    }

    /// The table of what stays opaque, as Markdown: README's "Command
    /// rules" holds it between `<!-- opaque:begin -->` and
    /// `<!-- opaque:end -->`, and a tidy test keeps the two equal.
    pub fn table() -> String {
        let mut out = String::from("| a segment is opaque when | for example |\n|---|---|\n");
        for reason in Opaque::ALL {
            out.push_str(&format!("| {} | {} |\n", reason.describe(), reason.constructs()));
        }
        out
    }

    /// Records `reason` in `slot`: the first one, unless a later one hides
    /// commands and the first does not (what `on_opaque` stands for must
    /// show in the reason).
    pub(crate) fn note(slot: &mut Option<Opaque>, reason: Opaque) {
        match slot {
            Some(current) if current.hides_commands() || !reason.hides_commands() => {}
            _ => *slot = Some(reason),
        }
    }

    /// Whether the commands it may run are hidden from Palisade (a builtin
    /// that runs text, a shell on unread text, arithmetic on a variable):
    /// only `on_opaque` stands for them. For the others, every command the
    /// construct runs is a segment of its own.
    pub fn hides_commands(self) -> bool {
        !matches!(self, Opaque::Substitution | Opaque::Redirection | Opaque::HereDocument | Opaque::Assignment | Opaque::Function | Opaque::Compound)
    }
}

/// One simple command: its words after wrappers were looked through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The program and its arguments.
    pub words: Vec<Word>,
    /// Why patterns cannot judge it, if they cannot.
    pub opaque: Option<Opaque>,
    /// Wrappers given by path (`/usr/bin/nice`) that were looked through:
    /// a rule block that does not trust their directory treats the segment
    /// as opaque.
    pub via: Vec<String>,
    /// The program that runs this command from its arguments (`sudo` for
    /// the `rm` of `sudo rm`, `python3` for the canonical spelling of
    /// `python3 -Ic`): such an *inner* segment is judged by deny and ask
    /// patterns only, since the runner's own segment answers to the allow
    /// patterns.
    pub runner: Option<compact_str::CompactString>,
    /// Where the simple command it comes from stands in the parsed text, as
    /// written (`rm -rf ~`, where `words` hold an unknown word): what
    /// explanations quote. For a command inside `bash -c SCRIPT`, a
    /// backtick or a here-document, the place of its text when that text
    /// stands verbatim in the command, else the construct's (and
    /// `written_around` is set). Empty when unknown.
    pub written: std::ops::Range<usize>,
    /// `written` is the construct that holds the command, not the command.
    pub written_around: bool,
}

impl Segment {
    pub(crate) fn opaque(reason: Opaque, written: std::ops::Range<usize>) -> Segment {
        Segment { words: Vec::new(), opaque: Some(reason), via: Vec::new(), runner: None, written, written_around: false }
    }

    /// The command as written in `command`, the text it was parsed from,
    /// if known.
    pub fn written_in<'c>(&self, command: &'c str) -> Option<&'c str> {
        command.get(self.written.clone()).filter(|text| !text.is_empty())
    }

    /// The program word, when it is known.
    pub fn program(&self) -> Option<&str> {
        self.words.first().and_then(Word::known)
    }

    /// Whether deny and ask patterns alone judge it (see `runner`).
    pub fn is_inner(&self) -> bool {
        self.runner.is_some()
    }

    /// Shell text that parses back into a segment every rule block decides
    /// the same way: known words quoted where needed, an unknown word as a
    /// parameter expansion (quoted when it is one word), each wrapper given
    /// by path as `nice -n 0` in the same directory (after which the next
    /// word is the program, whatever it looks like), and an opaque segment
    /// as a command whose program is unknown. An inner segment renders as
    /// nothing: its runner's segment gives it again.
    pub fn render(&self) -> String {
        if self.is_inner() {
            return String::new();
        }
        if self.opaque.is_some() {
            return "\"$u\"".into();
        }
        let via = self.via.iter().map(|path| {
            let dir = path.rsplit_once('/').map_or("", |(dir, _)| dir);
            format!("{} -n 0", quote_word(&format!("{dir}/nice")))
        });
        via.chain(self.words.iter().map(render_word)).collect::<Vec<_>>().join(" ")
    }

    /// The segment's words as shell text, after the wrappers given by path
    /// that were looked through, opaque or not, an unknown word as `…`:
    /// what explanations show of what a pattern was matched against.
    pub fn text(&self) -> String {
        let via = self.via.iter().map(|path| quote_word(path));
        let words = self.words.iter().map(|word| match word {
            Word::Known(text) => quote_word(text),
            Word::Unknown { .. } => "…".into(),
        });
        via.chain(words).collect::<Vec<_>>().join(" ")
    }
}

/// Takes over the segments that a parse of `inner` appended to `out` after
/// `from`, placing them in the outer text `source`: where `inner` stands
/// verbatim exactly once in `source[region]` their places shift there;
/// otherwise each is given `region`, the construct that holds them.
pub(crate) fn adopt(out: &mut [Segment], from: usize, inner: &str, source: &str, region: std::ops::Range<usize>) {
    let offset = source.get(region.clone()).and_then(|outer| {
        let at = outer.find(inner)?;
        (outer.rfind(inner) == Some(at)).then_some(region.start + at)
    });
    for segment in out.iter_mut().skip(from) {
        match offset {
            Some(offset) if !segment.written.is_empty() => segment.written = offset + segment.written.start..offset + segment.written.end,
            _ => {
                segment.written = region.clone();
                segment.written_around = true;
            }
        }
    }
}

/// A word as shell text; an unknown word as a parameter expansion, quoted
/// when it is exactly one word.
fn render_word(word: &Word) -> String {
    match word {
        Word::Known(text) => quote_word(text),
        Word::Unknown { split: true } => "$u".into(),
        Word::Unknown { split: false } => "\"$u\"".into(),
    }
}

/// A word as shell text: bare when every byte is plainly literal, else in
/// single quotes (`'` as `'\''`). `=` is quoted so that no word reads as an
/// assignment.
pub(crate) fn quote_word(text: &str) -> String {
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"_@%+:,./-".contains(&b);
    if !text.is_empty() && text.bytes().all(plain) && !RESERVED.contains(&text) {
        return text.to_string();
    }
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// Words bash reads as syntax where a command starts.
const RESERVED: &[&str] = &["if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while", "until", "for", "select", "function", "in"];

/// The segments of a command rendered back to one command line.
pub fn render(segments: &[Segment]) -> String {
    segments.iter().map(Segment::render).filter(|s| !s.is_empty()).collect::<Vec<_>>().join("; ")
}

/// Parses a command into its segments, in order. Never fails: what cannot
/// be parsed is an opaque segment.
pub fn parse(text: &str) -> Vec<Segment> {
    parse_at_depth(text, 0)
}

fn parse_at_depth(text: &str, shell_depth: usize) -> Vec<Segment> {
    let whole = 0..text.len();
    if text.len() > MAX_COMMAND_BYTES {
        return vec![Segment::opaque(Opaque::TooLarge, whole)];
    }
    if shell_depth > MAX_SHELL_DEPTH {
        return vec![Segment::opaque(Opaque::TooDeep, whole)];
    }
    lex::segments(text, shell_depth).unwrap_or_else(|reason| vec![Segment::opaque(reason, whole)])
}

#[cfg(test)]
mod tests;

/// The words of an exec pattern: split like a shell word list (quotes
/// group, a backslash escapes), with no expansion at all (`*` and `?` stay
/// as the pattern's wildcards).
pub fn pattern_words(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    // One buffer for every word; each word is copied out at its exact size
    // (a 10,000-pattern policy makes 30,000 of them).
    let mut current = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if in_word {
                    words.push(current.as_str().to_owned());
                    current.clear();
                    in_word = false;
                }
            }
            '\'' | '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some(q) if q == c => break,
                        Some('\\') if c == '"' => match chars.next() {
                            Some(escaped) => current.push(escaped),
                            None => return Err("a backslash ends the pattern".into()),
                        },
                        Some(other) => current.push(other),
                        None => return Err(format!("unterminated {c} quote")),
                    }
                }
            }
            '\\' => match chars.next() {
                Some(escaped) => {
                    in_word = true;
                    current.push(escaped);
                }
                None => return Err("a backslash ends the pattern".into()),
            },
            other => {
                in_word = true;
                current.push(other);
            }
        }
    }
    if in_word {
        words.push(current);
    }
    Ok(words)
}
