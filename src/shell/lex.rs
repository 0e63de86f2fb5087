//! Bash text into simple commands: quoting, expansions, operators,
//! redirections, subshells, groups and substitutions. Each simple command
//! keeps its words (quote removal done, expansions marked unknown) and the
//! first reason it is opaque; wrappers are `wrappers.rs`'s job.

use super::{Opaque, Word, MAX_NESTING};

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
}

impl RawWord {
    /// The text. The parser copies whole UTF-8 sequences and removes only
    /// ASCII quotes and backslashes, so it is valid (invalid text would read
    /// as U+FFFD, which no pattern names).
    pub fn to_compact(&self) -> compact_str::CompactString {
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
}

impl SimpleCommand {
    /// No program word yet (assignments may precede it).
    fn at_command_position(&self) -> bool {
        self.words.len() == self.assignments
    }

    /// Takes a word over; its text buffer goes back to `scratch` for the next word.
    fn push(&mut self, word: RawWord, scratch: &mut Vec<u8>) {
        if word.assignment && self.at_command_position() {
            self.assignments += 1;
        }
        if self.words.capacity() == 0 {
            // Most commands have a few words: one allocation, not three.
            self.words.reserve(8);
        }
        self.words.push(if word.unknown { Word::Unknown { split: word.split } } else { Word::Known(word.to_compact()) });
        *scratch = word.text;
    }

    fn mark(&mut self, reason: Opaque) {
        self.opaque.get_or_insert(reason);
    }
}

/// Every simple command of `text`, in order (inner ones of substitutions
/// before the command that holds them).
pub(super) fn simple_commands(text: &str) -> Result<Vec<SimpleCommand>, Opaque> {
    let mut parser = Parser { bytes: text.as_bytes(), pos: 0, nesting: 0, out: Vec::new(), scratch: Vec::new() };
    parser.list(false)?;
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

/// Words that open a compound command, in command position.
fn is_compound_opener(word: &str) -> bool {
    matches!(word, "if" | "for" | "while" | "until" | "case" | "select" | "[[")
}

/// Words that continue or close one; they carry no command of their own.
fn is_compound_keyword(word: &str) -> bool {
    matches!(word, "then" | "elif" | "else" | "fi" | "do" | "done" | "esac" | "]]")
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
    nesting: usize,
    out: Vec<SimpleCommand>,
    /// The text buffer of the last word taken over, reused by the next.
    scratch: Vec<u8>,
}

impl Parser<'_> {
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

    fn enter(&mut self) -> Result<(), Opaque> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(Opaque::TooDeep);
        }
        Ok(())
    }

    fn finish(&mut self, current: &mut SimpleCommand) {
        let done = std::mem::take(current);
        if !done.words.is_empty() || done.opaque.is_some() {
            self.out.push(done);
        }
    }

    /// A command list, to the end of the text or (`in_parens`) to the `)`
    /// that closes it.
    fn list(&mut self, in_parens: bool) -> Result<(), Opaque> {
        let mut current = SimpleCommand::default();
        loop {
            self.skip_blanks();
            let Some(c) = self.peek() else {
                if in_parens {
                    return Err(Opaque::Unparsed);
                }
                self.finish(&mut current);
                return Ok(());
            };
            match c {
                b'#' => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.pos += 1;
                    }
                }
                b'&' if self.peek_at(1) == Some(b'>') => self.redirection(&mut current)?,
                b'\n' | b';' | b'&' | b'|' => {
                    self.pos += 1;
                    if matches!((c, self.peek()), (b'&', Some(b'&')) | (b'|', Some(b'|' | b'&')) | (b';', Some(b';' | b'&'))) {
                        self.pos += 1;
                    }
                    self.finish(&mut current);
                }
                b')' => {
                    if !in_parens {
                        return Err(Opaque::Unparsed);
                    }
                    self.pos += 1;
                    self.finish(&mut current);
                    self.nesting = self.nesting.saturating_sub(1);
                    return Ok(());
                }
                b'(' => self.open_paren(&mut current)?,
                b'<' | b'>' => self.redirection(&mut current)?,
                _ => {
                    let word = self.word()?;
                    let fd_prefix = !word.quoted && !word.text.is_empty() && word.text.iter().all(u8::is_ascii_digit);
                    if fd_prefix && matches!(self.peek(), Some(b'<' | b'>')) {
                        self.redirection(&mut current)?;
                        continue;
                    }
                    if current.at_command_position() && !word.quoted {
                        match std::str::from_utf8(&word.text).unwrap_or("") {
                            // Groups and negation are looked through.
                            "{" | "}" | "!" => continue,
                            "function" => {
                                self.finish(&mut current);
                                current.mark(Opaque::Function);
                                self.finish(&mut current);
                                // The name (and `()`): the body that follows is parsed
                                // as a group, so its commands are segments too.
                                self.skip_blanks();
                                self.word()?;
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
                            text if is_compound_opener(text) => {
                                self.finish(&mut current);
                                current.mark(Opaque::Compound);
                                self.finish(&mut current);
                                continue;
                            }
                            text if is_compound_keyword(text) => continue,
                            _ => {}
                        }
                    }
                    if word.substitution {
                        current.mark(Opaque::Substitution);
                    }
                    current.push(word, &mut self.scratch);
                }
            }
        }
    }

    /// `(` opens a subshell in command position, `((` an arithmetic
    /// command, and after one word a function definition.
    fn open_paren(&mut self, current: &mut SimpleCommand) -> Result<(), Opaque> {
        if current.at_command_position() {
            self.pos += 1;
            if self.eat(b'(') {
                self.finish(current);
                current.mark(Opaque::Compound);
                self.finish(current);
                return self.skip_arithmetic();
            }
            self.finish(current);
            self.enter()?;
            return self.list(true);
        }
        let mut ahead = self.pos + 1;
        while matches!(self.bytes.get(ahead), Some(b' ' | b'\t')) {
            ahead += 1;
        }
        if current.words.len() == 1 && self.bytes.get(ahead) == Some(&b')') {
            self.pos = ahead + 1;
            current.mark(Opaque::Function);
            self.finish(current);
            return Ok(());
        }
        Err(Opaque::Unparsed)
    }

    /// The rest of `(( ... ))`; a substitution inside it stays opaque.
    fn skip_arithmetic(&mut self) -> Result<(), Opaque> {
        let mut depth = 2usize;
        while depth > 0 {
            match self.bump() {
                Some(b'(') => depth += 1,
                Some(b')') => depth -= 1,
                Some(_) => {}
                None => return Err(Opaque::Unparsed),
            }
        }
        Ok(())
    }

    /// A redirection operator and its target; only `/dev/null` and
    /// descriptor duplication leave the command judgeable.
    fn redirection(&mut self, current: &mut SimpleCommand) -> Result<(), Opaque> {
        let first = self.bump().ok_or(Opaque::Unparsed)?;
        let both = first == b'&';
        if both {
            self.pos += 1; // the `>` of `&>`
            self.eat(b'>');
        } else if self.peek() == Some(b'(') {
            // `<(...)` or `>(...)`: process substitution.
            self.pos += 1;
            current.mark(Opaque::Substitution);
            self.enter()?;
            return self.list(true);
        }
        let mut heredoc = false;
        let mut duplicate = false;
        if !both {
            match (first, self.peek()) {
                (b'<', Some(b'<')) => {
                    self.pos += 1;
                    heredoc = true;
                    if !self.eat(b'<') {
                        self.eat(b'-');
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
        if self.peek().is_none_or(|c| matches!(c, b'\n' | b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')')) {
            return Err(Opaque::Unparsed);
        }
        let target = self.word()?;
        if heredoc {
            current.mark(Opaque::HereDocument);
        } else if duplicate && !target.unknown && (target.text == b"-" || target.text.iter().all(u8::is_ascii_digit)) {
            // `2>&1`, `>&2`, `<&0`, `3>&-`
        } else if !target.unknown && target.text == b"/dev/null" {
            // `>/dev/null`, `2>>/dev/null`, `&>/dev/null`, `</dev/null`
        } else {
            current.mark(Opaque::Redirection);
        }
        if target.substitution {
            current.mark(Opaque::Substitution);
        }
        Ok(())
    }

    /// One word: quotes removed, expansions marked, substitutions parsed
    /// (their commands go to `out`).
    fn word(&mut self) -> Result<RawWord, Opaque> {
        let mut text = std::mem::take(&mut self.scratch);
        text.clear();
        let mut word = RawWord { text, ..RawWord::default() };
        let start = self.pos;
        let mut name_so_far = true;
        while let Some(c) = self.peek() {
            match c {
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
                    loop {
                        match self.bump() {
                            Some(b'\'') => break,
                            Some(c) => word.text.push(c),
                            None => return Err(Opaque::Unparsed),
                        }
                    }
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
                    // A lone `{`/`}` is a reserved word; inside a word, brace expansion.
                    let alone = self.pos == start && self.peek_at(1).is_none_or(|n| matches!(n, b' ' | b'\t' | b'\n' | b';' | b'&' | b'|'));
                    if !alone {
                        word.unknown = true;
                        word.split = true;
                    }
                    word.text.push(c);
                    self.pos += 1;
                    name_so_far = false;
                }
                b'~' if self.pos == start => {
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
        Ok(word)
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
            Some(b'(') if self.peek_at(2) == Some(b'(') => {
                self.pos += 3;
                unknown(word);
                let before = self.pos;
                self.skip_arithmetic()?;
                let inside = self.bytes.get(before..self.pos).unwrap_or_default();
                if contains(inside, b"$(") || inside.contains(&b'`') {
                    word.substitution = true;
                }
            }
            Some(b'(') => {
                self.pos += 2;
                unknown(word);
                word.substitution = true;
                self.enter()?;
                self.list(true)?;
            }
            Some(b'{') => {
                self.pos += 2;
                unknown(word);
                let mut depth = 1usize;
                let before = self.pos;
                while depth > 0 {
                    match self.bump() {
                        Some(b'{') => depth += 1,
                        Some(b'}') => depth -= 1,
                        Some(b'\\') => {
                            self.bump();
                        }
                        Some(_) => {}
                        None => return Err(Opaque::Unparsed),
                    }
                }
                let inside = self.bytes.get(before..self.pos).unwrap_or_default();
                if contains(inside, b"$(") || inside.contains(&b'`') || contains(inside, b"<(") || contains(inside, b">(") {
                    word.substitution = true;
                }
                // `"${a[@]}"` and `"${!p@}"` are many words even when quoted.
                word.split |= inside.contains(&b'@');
            }
            Some(b'\'') if !quoted => {
                // `$'...'`: ANSI-C quoting, one word whose text we do not decode.
                self.pos += 2;
                word.unknown = true;
                word.quoted = true;
                loop {
                    match self.bump() {
                        Some(b'\\') => {
                            self.bump();
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

    /// `` `...` `` after the opening backtick: the inner text, unescaped, is
    /// parsed as commands of its own.
    fn backticks(&mut self, word: &mut RawWord, quoted: bool) -> Result<(), Opaque> {
        word.unknown = true;
        word.split |= !quoted;
        word.substitution = true;
        let mut inner = Vec::new();
        loop {
            match self.bump() {
                Some(b'`') => break,
                Some(b'\\') => match self.bump() {
                    Some(c @ (b'`' | b'\\' | b'$')) => inner.push(c),
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
        let mut nested = Parser { bytes: &inner, pos: 0, nesting: self.nesting, out: Vec::new(), scratch: Vec::new() };
        nested.list(false)?;
        self.out.append(&mut nested.out);
        self.nesting -= 1;
        Ok(())
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
