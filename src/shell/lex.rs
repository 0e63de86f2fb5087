//! Bash text into simple commands: quoting, expansions, operators,
//! redirections, subshells, groups and substitutions. Each simple command
//! keeps its words (quote removal done, expansions marked unknown) and the
//! first reason it is opaque; as each one ends it goes to `wrappers.rs`,
//! which makes its segments.

use super::{wrappers, Opaque, Segment, Word, MAX_NESTING};

/// A word after quote removal.
#[derive(Debug, Clone, Default)]
pub(super) struct RawWord {
    /// The text, exact when `unknown` is false.
    pub text: Vec<u8>,
    /// Some part of it is an expansion.
    pub unknown: bool,
    /// Some expansion is unquoted, so the word may split into any number.
    pub split: bool,
    /// `NAME=...` or `NAME+=...` with an unquoted name.
    pub assignment: bool,
    /// It holds a command substitution.
    pub substitution: bool,
    /// Some part of it was quoted or escaped (so it is no reserved word).
    pub quoted: bool,
    /// Some part evaluates text as arithmetic or as a variable's name
    /// (`$((x))`, `${x:y}`, `${!x}`, `${a[i]}`), where a variable's value
    /// can hold `a[$(cmd)]` and run it.
    pub evaluates: bool,
    /// Where the text stands as written in the parser's source, when it
    /// does (no quote or escape was removed): most words, taken over
    /// without validating their UTF-8 again.
    pub span: Option<std::ops::Range<usize>>,
}

impl RawWord {
    /// The text; `source` is the text the parser read it from. The parser
    /// copies whole UTF-8 sequences and removes only ASCII quotes and
    /// backslashes, so it is valid (invalid text would read as U+FFFD,
    /// which no pattern names).
    pub fn to_compact(&self, source: &str) -> compact_str::CompactString {
        if let Some(text) = self.span.clone().and_then(|span| source.get(span)) {
            return text.into();
        }
        compact_str::CompactString::from_utf8(&self.text).unwrap_or_else(|_| compact_str::CompactString::const_new("\u{FFFD}"))
    }
}

/// One simple command as written: its words already in their final form,
/// so that a segment takes them over without copying.
#[derive(Debug, Clone, Default)]
pub(super) struct SimpleCommand {
    pub words: Vec<Word>,
    /// How many of the first words are assignments (`FOO=1 cmd`).
    pub assignments: usize,
    pub opaque: Option<Opaque>,
    /// Where it stands in the parser's text (its first token to its last).
    pub written: Option<std::ops::Range<usize>>,
}

impl SimpleCommand {
    /// No program word yet (assignments may precede it).
    fn at_command_position(&self) -> bool {
        self.words.len() == self.assignments
    }

    /// Takes a word read from `source` over; its text buffer goes back to
    /// `scratch` for the next word.
    fn push(&mut self, word: RawWord, source: &str, scratch: &mut Vec<u8>) {
        if word.assignment && self.at_command_position() {
            self.assignments += 1;
        }
        self.push_word(if word.unknown { Word::Unknown { split: word.split } } else { Word::Known(word.to_compact(source)) });
        *scratch = word.text;
    }

    fn push_word(&mut self, word: Word) {
        if self.words.capacity() == 0 {
            // Most commands have a few words: one allocation, not three.
            self.words.reserve(8);
        }
        self.words.push(word);
    }

    fn mark(&mut self, reason: Opaque) {
        Opaque::note(&mut self.opaque, reason);
    }

    /// Counts the token at `from..to` as part of it.
    fn cover(&mut self, from: usize, to: usize) {
        self.written = Some(self.written.as_ref().map_or(from, |w| w.start)..to);
    }
}

/// The segments of every simple command of `text`, in order (inner ones of
/// substitutions before the command that holds them); `shell_depth` is how
/// many `bash -c` scripts `text` is inside.
pub(super) fn segments(text: &str, shell_depth: usize) -> Result<Vec<Segment>, Opaque> {
    let mut parser = Parser::new(text, 0, shell_depth);
    parser.list(Stop::End)?;
    if !parser.heredocs.is_empty() {
        // A here-document whose body never comes: bash reads to the end
        // of the text with a warning; dash refuses it.
        return Err(Opaque::Unparsed);
    }
    Ok(parser.out)
}

/// Bytes with no meaning to the word parser: `=` and `+` end a run so that
/// assignments are seen, and everything bash treats specially ends it too.
fn is_plain(b: u8) -> bool {
    // A u8 indexes a 256-entry table: the check is optimised away.
    PLAIN.get(usize::from(b)).copied().unwrap_or(false)
}

/// `is_plain` as a table: one load per byte on the hot path.
static PLAIN: [bool; 256] = {
    let mut table = [true; 256];
    let special = b" \t\n;&|<>()\\'\"$`=+*?[]{}~";
    let mut i = 0;
    // Constant evaluation: an index out of bounds fails the build, never a run.
    #[allow(clippy::indexing_slicing)]
    while i < special.len() {
        table[special[i] as usize] = false;
        i += 1;
    }
    table
};

/// A run made only of name characters.
fn is_name_prefix(run: &[u8]) -> bool {
    run.iter().all(|b| *b == b'_' || b.is_ascii_alphanumeric())
}

/// Unquoted words that `Parser::list` reads as syntax in command position
/// (the plain-word fast path leaves them to it).
fn is_reserved(word: &[u8]) -> bool {
    matches!(word, b"{" | b"}" | b"!" | b"esac" | b"function" | b"case" | b"[[" | b"coproc") || is_compound_opener(word) || is_compound_keyword(word)
}

/// Words that open a compound command, in command position (`case` and
/// `[[` have their own readers).
fn is_compound_opener(word: &[u8]) -> bool {
    matches!(word, b"if" | b"for" | b"while" | b"until" | b"select")
}

/// Words that continue or close one; they carry no command of their own.
fn is_compound_keyword(word: &[u8]) -> bool {
    matches!(word, b"then" | b"elif" | b"else" | b"fi" | b"do" | b"done")
}

/// Where a command list ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// At the end of the text.
    End,
    /// At the `)` that closes a subshell or substitution.
    Paren,
    /// At `;;`, `;&`, `;;&` or `esac`: one item of a `case`.
    CaseItem,
}

/// How a `Stop::CaseItem` list ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// The list's own end (text, `)`), or an item's `;;`.
    Item,
    /// `esac`: the whole `case`.
    Esac,
}

/// A here-document whose body starts after the next newline.
#[derive(Debug, Clone)]
struct Heredoc {
    delimiter: Vec<u8>,
    /// Some part of the delimiter was quoted: the body is literal.
    quoted: bool,
    /// `<<-`: leading tabs are stripped from each line.
    strip_tabs: bool,
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    nesting: usize,
    /// How many `bash -c` scripts the text is inside.
    shell_depth: usize,
    out: Vec<Segment>,
    /// The text buffer of the last word taken over, reused by the next.
    scratch: Vec<u8>,
    /// Here-documents waiting for the next newline.
    heredocs: Vec<Heredoc>,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, nesting: usize, shell_depth: usize) -> Parser<'a> {
        Parser { text, bytes: text.as_bytes(), pos: 0, nesting, shell_depth, out: Vec::with_capacity(4), scratch: Vec::new(), heredocs: Vec::new() }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        self.bytes.get(self.pos + offset).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Blanks and line continuations between words.
    fn skip_blanks(&mut self) {
        loop {
            match (self.peek(), self.peek_at(1)) {
                (Some(b' ' | b'\t'), _) => self.pos += 1,
                (Some(b'\\'), Some(b'\n')) => self.pos += 2,
                _ => return,
            }
        }
    }

    /// Blanks, newlines (reading any here-document bodies due) and comments.
    fn skip_separators(&mut self) -> Result<(), Opaque> {
        loop {
            self.skip_blanks();
            match self.peek() {
                Some(b'\n') => {
                    self.pos += 1;
                    self.heredoc_bodies()?;
                }
                Some(b'#') => self.skip_comment(),
                _ => return Ok(()),
            }
        }
    }

    fn skip_comment(&mut self) {
        while self.peek().is_some_and(|c| c != b'\n') {
            self.pos += 1;
        }
    }

    fn enter(&mut self) -> Result<(), Opaque> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(Opaque::TooDeep);
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.nesting = self.nesting.saturating_sub(1);
    }

    fn finish(&mut self, current: &mut SimpleCommand) {
        let done = std::mem::take(current);
        if !done.words.is_empty() || done.opaque.is_some() {
            wrappers::segments(done, self.text, self.shell_depth, &mut self.out);
        }
    }

    /// A segment of its own that only says why: the marker of a compound
    /// command or a construct whose inner commands follow as segments.
    fn marker(&mut self, current: &mut SimpleCommand, reason: Opaque, keyword: std::ops::Range<usize>) {
        self.finish(current);
        current.mark(reason);
        current.cover(keyword.start, keyword.end);
        self.finish(current);
    }

    /// A command list, up to where `stop` says.
    fn list(&mut self, stop: Stop) -> Result<Ended, Opaque> {
        let mut current = SimpleCommand::default();
        loop {
            self.skip_blanks();
            let token = self.pos;
            let Some(c) = self.peek() else {
                if stop == Stop::End {
                    self.finish(&mut current);
                    return Ok(Ended::Item);
                }
                return Err(Opaque::Unparsed);
            };
            match c {
                b'#' => self.skip_comment(),
                b'&' if self.peek_at(1) == Some(b'>') => {
                    self.redirection(&mut current)?;
                    current.cover(token, self.pos);
                }
                b';' if matches!(self.peek_at(1), Some(b';' | b'&')) => {
                    // `;;`, `;;&`, `;&` end a case item and nothing else.
                    if stop != Stop::CaseItem {
                        return Err(Opaque::Unparsed);
                    }
                    self.pos += 2;
                    self.eat(b'&');
                    self.finish(&mut current);
                    return Ok(Ended::Item);
                }
                b'&' if self.peek_at(1) == Some(b'&') && crate::seam!(JoinAndAnd) => self.pos += 2,
                b'\n' | b';' | b'&' | b'|' => {
                    self.pos += 1;
                    if matches!((c, self.peek()), (b'&', Some(b'&')) | (b'|', Some(b'|' | b'&'))) {
                        self.pos += 1;
                    }
                    self.finish(&mut current);
                    if c == b'\n' {
                        self.heredoc_bodies()?;
                    }
                }
                b')' => {
                    if stop != Stop::Paren {
                        return Err(Opaque::Unparsed);
                    }
                    self.pos += 1;
                    self.finish(&mut current);
                    self.leave();
                    return Ok(Ended::Item);
                }
                b'(' => self.open_paren(&mut current)?,
                b'<' | b'>' if self.peek_at(1) == Some(b'(') => {
                    // `<(...)` as a word of its own.
                    let word = self.word()?;
                    current.mark(Opaque::Substitution);
                    current.cover(token, self.pos);
                    current.push(word, self.text, &mut self.scratch);
                }
                b'<' | b'>' => {
                    self.redirection(&mut current)?;
                    current.cover(token, self.pos);
                }
                _ => {
                    if let Some(text) = self.plain_word(current.at_command_position()) {
                        current.cover(token, self.pos);
                        current.push_word(Word::Known(text.into()));
                        continue;
                    }
                    let word = self.word()?;
                    let fd_prefix = !word.quoted && !word.text.is_empty() && word.text.iter().all(u8::is_ascii_digit);
                    if fd_prefix && matches!(self.peek(), Some(b'<' | b'>')) && self.peek_at(1) != Some(b'(') {
                        self.redirection(&mut current)?;
                        current.cover(token, self.pos);
                        continue;
                    }
                    if current.at_command_position() && !word.quoted {
                        match word.text.as_slice() {
                            // Groups and negation are looked through.
                            b"{" | b"}" | b"!" => continue,
                            b"esac" if stop == Stop::CaseItem => {
                                self.finish(&mut current);
                                return Ok(Ended::Esac);
                            }
                            b"function" => {
                                // The name (and `()`): the body that follows is parsed
                                // as a group, so its commands are segments too. dash
                                // has no such keyword and runs a program `function`
                                // with the words up to the next operator: the marker
                                // stands for that too.
                                self.finish(&mut current);
                                self.skip_blanks();
                                let name = self.word()?;
                                current.cover(token, self.pos);
                                current.words = vec![
                                    Word::Known("function".into()),
                                    if name.unknown { Word::Unknown { split: false } } else { Word::Known(name.to_compact(self.text)) },
                                    Word::Unknown { split: true },
                                ];
                                current.mark(Opaque::Function);
                                self.finish(&mut current);
                                self.skip_blanks();
                                if self.peek() == Some(b'(') {
                                    self.pos += 1;
                                    self.skip_blanks();
                                    if !self.eat(b')') {
                                        return Err(Opaque::Unparsed);
                                    }
                                }
                                continue;
                            }
                            b"case" => {
                                self.marker(&mut current, Opaque::Compound, token..self.pos);
                                self.case()?;
                                continue;
                            }
                            b"[[" => {
                                self.marker(&mut current, Opaque::Arithmetic, token..self.pos);
                                self.double_bracket()?;
                                continue;
                            }
                            b"coproc" => {
                                // The command that follows runs, and is a segment.
                                self.marker(&mut current, Opaque::CommandWord, token..self.pos);
                                continue;
                            }
                            text if is_compound_opener(text) => {
                                self.marker(&mut current, Opaque::Compound, token..self.pos);
                                continue;
                            }
                            text if is_compound_keyword(text) => continue,
                            _ => {}
                        }
                    }
                    if word.substitution {
                        current.mark(Opaque::Substitution);
                    }
                    if word.evaluates {
                        current.mark(Opaque::Arithmetic);
                    }
                    current.cover(token, self.pos);
                    current.push(word, self.text, &mut self.scratch);
                }
            }
        }
    }

    /// `case WORD in [(]PATTERN[|PATTERN]...) LIST ;; ... esac`, after `case`.
    fn case(&mut self) -> Result<(), Opaque> {
        self.skip_blanks();
        self.word()?;
        self.skip_separators()?;
        let keyword = self.word()?;
        if keyword.quoted || keyword.text != b"in" {
            return Err(Opaque::Unparsed);
        }
        loop {
            self.skip_separators()?;
            if self.bytes.get(self.pos..).is_some_and(|rest| rest.starts_with(b"esac")) && self.peek_at(4).is_none_or(|c| !is_word_byte(c)) {
                self.pos += 4;
                return Ok(());
            }
            self.eat(b'(');
            loop {
                self.skip_blanks();
                let pattern = self.word()?;
                if pattern.text.is_empty() && !pattern.quoted && !pattern.unknown {
                    return Err(Opaque::Unparsed);
                }
                self.skip_blanks();
                if self.eat(b'|') {
                    continue;
                }
                if self.eat(b')') {
                    break;
                }
                return Err(Opaque::Unparsed);
            }
            if self.list(Stop::CaseItem)? == Ended::Esac {
                return Ok(());
            }
        }
    }

    /// `[[ ... ]]` after `[[`: its words are read for substitutions, and
    /// the whole is opaque (its operators evaluate variables as arithmetic).
    fn double_bracket(&mut self) -> Result<(), Opaque> {
        let mut depth = 0usize;
        loop {
            self.skip_blanks();
            match self.peek() {
                None => return Err(Opaque::Unparsed),
                Some(b'(') => {
                    depth += 1;
                    self.pos += 1;
                }
                Some(b')') if depth > 0 => {
                    depth -= 1;
                    self.pos += 1;
                }
                Some(b'\n') => {
                    self.pos += 1;
                    self.heredoc_bodies()?;
                }
                Some(b'&' | b'|' | b'<' | b'>') => self.pos += 1,
                Some(_) => {
                    let word = self.word()?;
                    if !word.quoted && word.text == b"]]" {
                        return Ok(());
                    }
                    if word.text.is_empty() && !word.quoted && !word.unknown {
                        return Err(Opaque::Unparsed);
                    }
                }
            }
        }
    }

    /// `(` opens a subshell in command position, `((` an arithmetic
    /// command, and after one word a function definition.
    fn open_paren(&mut self, current: &mut SimpleCommand) -> Result<(), Opaque> {
        if current.at_command_position() {
            self.pos += 1;
            if self.peek() == Some(b'(') && self.arithmetic_closes(self.pos + 1) {
                self.pos += 1;
                self.marker(current, Opaque::Arithmetic, self.pos.saturating_sub(2)..self.pos);
                let mut word = RawWord::default();
                return self.arithmetic(&mut word);
            }
            self.finish(current);
            self.enter()?;
            self.list(Stop::Paren)?;
            return Ok(());
        }
        let mut ahead = self.pos + 1;
        while matches!(self.bytes.get(ahead), Some(b' ' | b'\t')) {
            ahead += 1;
        }
        if current.words.len() == 1 && self.bytes.get(ahead) == Some(&b')') {
            self.pos = ahead + 1;
            current.cover(self.pos, self.pos);
            current.mark(Opaque::Function);
            self.finish(current);
            return Ok(());
        }
        Err(Opaque::Unparsed)
    }

    /// Whether the text from `from` (just past `((` or `$((`) closes as
    /// arithmetic: its parentheses balance up to a `))`. Bash reads `$((`
    /// as arithmetic only then, and otherwise as `$(` of a subshell.
    fn arithmetic_closes(&self, from: usize) -> bool {
        self.matching_paren(from).is_some_and(|at| self.bytes.get(at + 1) == Some(&b')'))
    }

    /// The `)` that closes the parenthesis opened just before `from`,
    /// counting parentheses and skipping quoted text.
    fn matching_paren(&self, from: usize) -> Option<usize> {
        let mut depth = 0usize;
        let mut at = from;
        while let Some(c) = self.bytes.get(at).copied() {
            match c {
                b'(' => depth += 1,
                b')' if depth == 0 => return Some(at),
                b')' => depth -= 1,
                b'\\' => at += 1,
                b'\'' | b'"' | b'`' => {
                    at += 1;
                    while self.bytes.get(at).is_some_and(|q| *q != c) {
                        at += if c != b'\'' && self.bytes.get(at) == Some(&b'\\') { 2 } else { 1 };
                    }
                }
                _ => {}
            }
            at += 1;
        }
        None
    }

    /// The rest of an arithmetic expression, to its `))`: substitutions
    /// inside are parsed; any name makes the word evaluate text.
    fn arithmetic(&mut self, word: &mut RawWord) -> Result<(), Opaque> {
        word.unknown = true;
        let mut depth = 0usize;
        loop {
            match self.peek() {
                None => return Err(Opaque::Unparsed),
                Some(b'(') => {
                    depth += 1;
                    self.pos += 1;
                }
                Some(b')') if depth == 0 => {
                    if self.peek_at(1) != Some(b')') {
                        return Err(Opaque::Unparsed);
                    }
                    self.pos += 2;
                    return Ok(());
                }
                Some(b')') => {
                    depth -= 1;
                    self.pos += 1;
                }
                Some(b'$') => {
                    self.dollar(word, true)?;
                    word.evaluates = true;
                }
                Some(b'`') => {
                    self.pos += 1;
                    self.backticks(word, true)?;
                }
                Some(b'"') => {
                    self.pos += 1;
                    self.double_quoted(word)?;
                }
                Some(b'\'') => return Err(Opaque::Ambiguous),
                Some(b'\\') => {
                    self.pos += 2;
                }
                Some(c) => {
                    if c == b'_' || c.is_ascii_alphabetic() || c == b'[' {
                        word.evaluates = true;
                    }
                    self.pos += 1;
                }
            }
        }
    }

    /// A redirection operator and its target; only `/dev/null` and
    /// descriptor duplication leave the command judgeable.
    fn redirection(&mut self, current: &mut SimpleCommand) -> Result<(), Opaque> {
        let first = self.bump().ok_or(Opaque::Unparsed)?;
        let both = first == b'&';
        if both {
            self.pos += 1; // the `>` of `&>`
            self.eat(b'>');
        }
        let mut heredoc = None;
        let mut duplicate = false;
        if !both {
            match (first, self.peek()) {
                (b'<', Some(b'<')) => {
                    self.pos += 1;
                    if self.eat(b'<') {
                        heredoc = Some(None);
                    } else {
                        heredoc = Some(Some(self.eat(b'-')));
                    }
                }
                (b'<' | b'>', Some(b'&')) => {
                    self.pos += 1;
                    duplicate = true;
                }
                (b'>', Some(b'>' | b'|')) | (b'<', Some(b'>')) => self.pos += 1,
                _ => {}
            }
        }
        self.skip_blanks();
        let procsub = matches!(self.peek(), Some(b'<' | b'>')) && self.peek_at(1) == Some(b'(');
        if !procsub && self.peek().is_none_or(|c| matches!(c, b'\n' | b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')')) {
            return Err(Opaque::Unparsed);
        }
        let target = self.word()?;
        match heredoc {
            Some(Some(strip_tabs)) => {
                if target.unknown {
                    // `<<$X`: the delimiter is read literally by the shells,
                    // which this reader does not do.
                    return Err(Opaque::Unparsed);
                }
                current.mark(Opaque::HereDocument);
                self.heredocs.push(Heredoc { delimiter: target.text.clone(), quoted: target.quoted, strip_tabs });
            }
            Some(None) => current.mark(Opaque::HereDocument),
            None if duplicate && !target.unknown && (target.text == b"-" || target.text.iter().all(u8::is_ascii_digit)) => {
                // `2>&1`, `>&2`, `<&0`, `3>&-`
            }
            None if !target.unknown && target.text == b"/dev/null" => {
                // `>/dev/null`, `2>>/dev/null`, `&>/dev/null`, `</dev/null`
            }
            None => current.mark(Opaque::Redirection),
        }
        if target.substitution {
            current.mark(Opaque::Substitution);
        }
        if target.evaluates {
            current.mark(Opaque::Arithmetic);
        }
        Ok(())
    }

    /// After a newline: the bodies of the here-documents due, in order.
    /// An unquoted one expands `$...` and backticks, whose commands are
    /// segments.
    fn heredoc_bodies(&mut self) -> Result<(), Opaque> {
        for doc in std::mem::take(&mut self.heredocs) {
            let start = self.pos;
            let mut body = Vec::new();
            loop {
                let rest = self.bytes.get(self.pos..).unwrap_or_default();
                if rest.is_empty() {
                    return Err(Opaque::Unparsed);
                }
                let end = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
                let line = rest.get(..end).unwrap_or_default();
                self.pos += (end + 1).min(rest.len());
                let line = if doc.strip_tabs { trim_tabs(line) } else { line };
                if line == doc.delimiter.as_slice() {
                    break;
                }
                body.extend_from_slice(line);
                body.push(b'\n');
            }
            if !doc.quoted {
                self.enter()?;
                let body = String::from_utf8(body).map_err(|_| Opaque::Unparsed)?;
                let mut nested = Parser::new(&body, self.nesting, self.shell_depth);
                let mut word = RawWord::default();
                nested.expanding_text(&mut word)?;
                let before = self.out.len();
                self.out.append(&mut nested.out);
                super::adopt(&mut self.out, before, &body, self.text, start..self.pos);
                self.leave();
            }
        }
        Ok(())
    }

    /// Text where only `$`, backticks and backslashes before `$`, `` ` ``,
    /// `\` and newline are special: a here-document's body.
    fn expanding_text(&mut self, word: &mut RawWord) -> Result<(), Opaque> {
        while let Some(c) = self.peek() {
            match c {
                b'\\' => self.pos += 2,
                b'$' => self.dollar(word, true)?,
                b'`' => {
                    self.pos += 1;
                    self.backticks(word, true)?;
                }
                _ => self.pos += 1,
            }
        }
        Ok(())
    }

    /// The most common word, taken at the cursor as it stands: plain bytes
    /// only (no quote, expansion, glob, `=`), up to where words end. `None`
    /// leaves the word to `word` and `list`: it is empty, reserved in
    /// command position, or runs into `<` or `>` (a descriptor number, a
    /// process substitution).
    fn plain_word(&mut self, command_position: bool) -> Option<&'a str> {
        let rest = self.bytes.get(self.pos..)?;
        let len = rest.iter().position(|b| !is_plain(*b)).unwrap_or(rest.len());
        let ends = rest.get(len).is_none_or(|b| matches!(b, b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'(' | b')'));
        let text = self.text.get(self.pos..self.pos + len)?;
        if len == 0 || !ends || (command_position && is_reserved(text.as_bytes())) {
            return None;
        }
        self.pos += len;
        Some(text)
    }

    /// One word: quotes removed, expansions marked, substitutions parsed
    /// (their commands go to `out`).
    fn word(&mut self) -> Result<RawWord, Opaque> {
        let mut text = std::mem::take(&mut self.scratch);
        text.clear();
        let mut word = RawWord { text, ..RawWord::default() };
        let start = self.pos;
        let mut name_so_far = true;
        let mut braces = false;
        while let Some(c) = self.peek() {
            match c {
                b'<' | b'>' if self.peek_at(1) == Some(b'(') => {
                    // Process substitution: a path to a pipe, and its commands run.
                    self.pos += 2;
                    word.unknown = true;
                    word.substitution = true;
                    self.enter()?;
                    self.list(Stop::Paren)?;
                    name_so_far = false;
                }
                b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')' => break,
                b'\\' => {
                    self.pos += 1;
                    match self.bump() {
                        Some(b'\n') => {}
                        Some(escaped) => {
                            word.quoted = true;
                            word.text.push(escaped);
                        }
                        None => return Err(Opaque::Unparsed),
                    }
                    name_so_far = false;
                }
                b'\'' => {
                    self.pos += 1;
                    word.quoted = true;
                    self.single_quoted(&mut word.text)?;
                    name_so_far = false;
                }
                b'"' => {
                    self.pos += 1;
                    word.quoted = true;
                    self.double_quoted(&mut word)?;
                    name_so_far = false;
                }
                b'$' => {
                    self.dollar(&mut word, false)?;
                    name_so_far = false;
                }
                b'`' => {
                    self.pos += 1;
                    self.backticks(&mut word, false)?;
                    name_so_far = false;
                }
                b'=' if name_so_far && self.pos > start && !word.assignment => {
                    word.assignment = true;
                    word.text.push(b'=');
                    self.pos += 1;
                }
                b'+' if name_so_far && self.pos > start && self.peek_at(1) == Some(b'=') => {
                    word.assignment = true;
                    word.text.extend_from_slice(b"+=");
                    self.pos += 2;
                    name_so_far = false;
                }
                b'*' | b'?' | b'[' | b']' => {
                    // Unquoted glob characters: the word may expand to any files.
                    word.unknown = true;
                    word.split = true;
                    word.text.push(c);
                    self.pos += 1;
                    name_so_far = false;
                }
                b'{' | b'}' => {
                    // Brace expansion needs a `,` or `..` inside (`{a,b}`,
                    // `{1..3}`); `{}` and `{x}` are text (seen at the end).
                    braces = true;
                    word.text.push(c);
                    self.pos += 1;
                    name_so_far = false;
                }
                b'~' | b'=' if self.pos == start => {
                    // `~user`, and zsh's `=cmd` (the path of a program).
                    word.unknown = true;
                    word.split = true;
                    word.text.push(c);
                    self.pos += 1;
                    name_so_far = false;
                }
                _ => {
                    // A run of plain bytes at once: most words are nothing else.
                    let run = self.bytes.get(self.pos..).unwrap_or_default();
                    let len = run.iter().position(|b| !is_plain(*b)).unwrap_or(run.len()).max(1);
                    let run = run.get(..len).unwrap_or_default();
                    // Only a name (not starting with a digit) before `=` makes an assignment.
                    let first_is_digit = self.pos == start && c.is_ascii_digit();
                    if first_is_digit || word.assignment || !is_name_prefix(run) {
                        name_so_far = false;
                    }
                    word.text.extend_from_slice(run);
                    self.pos += len;
                }
            }
        }
        if braces && (word.text.contains(&b',') || contains(&word.text, b"..")) {
            word.unknown = true;
            word.split = true;
        }
        if self.bytes.get(start..self.pos) == Some(word.text.as_slice()) {
            word.span = Some(start..self.pos);
        }
        Ok(word)
    }

    /// The inside of `'...'`, after the opening quote.
    fn single_quoted(&mut self, text: &mut Vec<u8>) -> Result<(), Opaque> {
        loop {
            match self.bump() {
                Some(b'\'') => return Ok(()),
                Some(c) => text.push(c),
                None => return Err(Opaque::Unparsed),
            }
        }
    }

    /// The inside of `"..."`, after the opening quote.
    fn double_quoted(&mut self, word: &mut RawWord) -> Result<(), Opaque> {
        loop {
            match self.peek() {
                None => return Err(Opaque::Unparsed),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.bump() {
                        Some(b'\n') => {}
                        Some(c @ (b'$' | b'`' | b'"' | b'\\')) => word.text.push(c),
                        Some(c) => {
                            word.text.push(b'\\');
                            word.text.push(c);
                        }
                        None => return Err(Opaque::Unparsed),
                    }
                }
                Some(b'$') => self.dollar(word, true)?,
                Some(b'`') => {
                    self.pos += 1;
                    self.backticks(word, true)?;
                }
                Some(c) => {
                    word.text.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// `$...` at the cursor: a parameter, a substitution, arithmetic, or a
    /// plain `$`.
    fn dollar(&mut self, word: &mut RawWord, quoted: bool) -> Result<(), Opaque> {
        let unknown = |word: &mut RawWord| {
            word.unknown = true;
            word.split |= !quoted;
        };
        match self.peek_at(1) {
            Some(b'(') if self.peek_at(2) == Some(b'(') && self.arithmetic_closes(self.pos + 3) => {
                self.pos += 3;
                unknown(word);
                self.arithmetic(word)?;
            }
            Some(b'(') if self.peek_at(2) == Some(b'(') => {
                // `$((cmd) )`: not arithmetic, so bash reads a substitution
                // whose end it finds by counting parentheses (not by
                // parsing, as for `$(`), then parses what it holds.
                let from = self.pos + 2;
                let end = self.matching_paren(from).ok_or(Opaque::Unparsed)?;
                unknown(word);
                word.substitution = true;
                let inner = self.text.get(from..end).ok_or(Opaque::Unparsed)?;
                self.pos = end + 1;
                self.enter()?;
                let mut nested = Parser::new(inner, self.nesting, self.shell_depth);
                let before = self.out.len();
                match nested.list(Stop::End) {
                    Ok(_) if nested.heredocs.is_empty() => self.out.append(&mut nested.out),
                    // Bash reports the error and runs nothing of it; the
                    // command around it still runs.
                    Ok(_) => self.out.push(Segment::opaque(Opaque::Unparsed, 0..0)),
                    Err(reason) => self.out.push(Segment::opaque(reason, 0..0)),
                }
                super::adopt(&mut self.out, before, inner, self.text, from..end);
                self.leave();
            }
            Some(b'(') => {
                // `$(...)`, parsed as bash 5.2 parses it.
                self.pos += 2;
                unknown(word);
                word.substitution = true;
                self.enter()?;
                self.list(Stop::Paren)?;
            }
            Some(b'[') => {
                // `$[...]`: bash's old arithmetic.
                self.pos += 2;
                unknown(word);
                let mut depth = 1usize;
                while depth > 0 {
                    match self.peek() {
                        Some(b'[') => depth += 1,
                        Some(b']') => depth -= 1,
                        Some(b'$' | b'`' | b'\'' | b'"' | b'\\') | None => return Err(Opaque::Unparsed),
                        Some(c) if c == b'_' || c.is_ascii_alphabetic() => word.evaluates = true,
                        Some(_) => {}
                    }
                    self.pos += 1;
                }
            }
            Some(b'{') => {
                self.pos += 2;
                unknown(word);
                self.braced_parameter(word, quoted)?;
            }
            Some(b'\'') if !quoted => {
                // `$'...'`: ANSI-C quoting, one word whose text we do not
                // decode. `\'` inside ends the quote for dash, not for bash.
                self.pos += 2;
                word.unknown = true;
                word.quoted = true;
                loop {
                    match self.bump() {
                        Some(b'\\') => {
                            if self.bump() == Some(b'\'') {
                                return Err(Opaque::Ambiguous);
                            }
                        }
                        Some(b'\'') => break,
                        Some(_) => {}
                        None => return Err(Opaque::Unparsed),
                    }
                }
            }
            Some(b'"') if !quoted => {
                // `$"..."`: a locale-translated string.
                self.pos += 2;
                word.unknown = true;
                word.quoted = true;
                self.double_quoted(word)?;
            }
            Some(c) if c == b'_' || c.is_ascii_alphanumeric() || b"@*#?$!-".contains(&c) => {
                self.pos += 2;
                unknown(word);
                // `"$@"` is as many words as there are arguments, quoted or not.
                word.split |= c == b'@';
                if c == b'_' || c.is_ascii_alphabetic() {
                    while self.peek().is_some_and(|c| c == b'_' || c.is_ascii_alphanumeric()) {
                        self.pos += 1;
                    }
                }
            }
            _ => {
                word.text.push(b'$');
                self.pos += 1;
            }
        }
        Ok(())
    }

    /// The rest of `${...}` after `${`, read as the shells read it: quotes,
    /// escapes, nested `${`, `$(`, `$((` and backticks inside (a bare `{`
    /// does not nest). Inside double quotes a `'` is a quote to bash and a
    /// character to dash, so such text is ambiguous.
    fn braced_parameter(&mut self, word: &mut RawWord, quoted: bool) -> Result<(), Opaque> {
        let start = self.pos;
        let name_end = self.bytes.get(start..).unwrap_or_default().iter().position(|c| !(c.is_ascii_alphanumeric() || b"_#@*?$!-".contains(c)));
        let after_name = self.bytes.get(start + name_end.unwrap_or(0)).copied();
        // `${!x}` and `${a[i]}` read a name or a subscript from text, and
        // `${x:offset}` evaluates arithmetic: each can run what a value holds.
        let operator = self.bytes.get(start + name_end.unwrap_or(0) + 1).copied();
        let subscript = after_name == Some(b'[') && {
            let inside = self.bytes.get(start + name_end.unwrap_or(0) + 1..).unwrap_or_default();
            let content = inside.get(..inside.iter().position(|c| *c == b']').unwrap_or(inside.len())).unwrap_or_default();
            !(content == b"@" || content == b"*" || (!content.is_empty() && content.iter().all(u8::is_ascii_digit)))
        };
        let indirect = self.peek() == Some(b'!') && self.peek_at(1) != Some(b'}');
        if indirect || subscript || (after_name == Some(b':') && !matches!(operator, Some(b'-' | b'=' | b'+' | b'?'))) {
            word.evaluates = true;
        }
        loop {
            match self.peek() {
                None => return Err(Opaque::Unparsed),
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => {
                    self.pos += 1;
                    if self.bump().is_none() {
                        return Err(Opaque::Unparsed);
                    }
                }
                Some(b'\'' | b'"') if crate::seam!(NoQuotesInBraces) => self.pos += 1,
                Some(b'\'') if quoted => return Err(Opaque::Ambiguous),
                Some(b'\'') => {
                    self.pos += 1;
                    let mut ignored = Vec::new();
                    self.single_quoted(&mut ignored)?;
                }
                Some(b'"') => {
                    self.pos += 1;
                    self.double_quoted(word)?;
                }
                Some(b'$') => self.dollar(word, true)?,
                Some(b'`') => {
                    self.pos += 1;
                    self.backticks(word, true)?;
                }
                Some(_) => self.pos += 1,
            }
        }
        // `"${a[@]}"` and `"${!p@}"` are many words even when quoted.
        let inside = self.bytes.get(start..self.pos).unwrap_or_default();
        word.split |= inside.contains(&b'@');
        Ok(())
    }

    /// `` `...` `` after the opening backtick: the inner text, unescaped, is
    /// parsed as commands of its own.
    fn backticks(&mut self, word: &mut RawWord, quoted: bool) -> Result<(), Opaque> {
        word.unknown = true;
        word.split |= !quoted;
        word.substitution = true;
        let start = self.pos;
        let mut inner = Vec::new();
        loop {
            match self.bump() {
                Some(b'`') => break,
                Some(b'\\') => match self.bump() {
                    Some(c @ (b'`' | b'\\' | b'$')) => inner.push(c),
                    Some(b'"') if quoted => inner.push(b'"'),
                    Some(c) => {
                        inner.push(b'\\');
                        inner.push(c);
                    }
                    None => return Err(Opaque::Unparsed),
                },
                Some(c) => inner.push(c),
                None => return Err(Opaque::Unparsed),
            }
        }
        self.enter()?;
        let inner = String::from_utf8(inner).map_err(|_| Opaque::Unparsed)?;
        let mut nested = Parser::new(&inner, self.nesting, self.shell_depth);
        nested.list(Stop::End)?;
        if !nested.heredocs.is_empty() {
            return Err(Opaque::Unparsed);
        }
        let before = self.out.len();
        self.out.append(&mut nested.out);
        super::adopt(&mut self.out, before, &inner, self.text, start..self.pos);
        self.leave();
        Ok(())
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Bytes that continue an unquoted word.
fn is_word_byte(c: u8) -> bool {
    !matches!(c, b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')')
}

fn trim_tabs(line: &[u8]) -> &[u8] {
    let tabs = line.iter().take_while(|b| **b == b'\t').count();
    line.get(tabs..).unwrap_or_default()
}
