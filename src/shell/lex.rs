//! Bash text into simple commands: quoting, expansions, operators,
//! redirections, subshells, groups and substitutions. Each simple command
//! keeps its words (quote removal done, expansions marked unknown) and the
//! first reason it is opaque; wrappers are `wrappers.rs`'s job.

use super::{Opaque, MAX_NESTING};

/// A word after quote removal.
#[derive(Debug, Clone, Default)]
pub(super) struct RawWord {
    /// The text, exact when `unknown` is false.
    pub text: String,
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

/// One simple command as written.
#[derive(Debug, Clone, Default)]
pub(super) struct SimpleCommand {
    pub words: Vec<RawWord>,
    pub opaque: Option<Opaque>,
}

impl SimpleCommand {
    /// No program word yet (assignments may precede it).
    fn at_command_position(&self) -> bool {
        self.words.iter().all(|w| w.assignment)
    }

    fn mark(&mut self, reason: Opaque) {
        self.opaque.get_or_insert(reason);
    }
}

/// Every simple command of `text`, in order (inner ones of substitutions
/// before the command that holds them).
pub(super) fn simple_commands(text: &str) -> Result<Vec<SimpleCommand>, Opaque> {
    let mut parser = Parser { chars: text.chars().collect(), pos: 0, nesting: 0, out: Vec::new() };
    parser.list(false)?;
    Ok(parser.out)
}

/// Words that open a compound command, in command position.
const COMPOUND_OPENERS: &[&str] = &["if", "for", "while", "until", "case", "select", "[["];
/// Words that continue or close one; they carry no command of their own.
const COMPOUND_KEYWORDS: &[&str] = &["then", "elif", "else", "fi", "do", "done", "esac", "]]"];

struct Parser {
    chars: Vec<char>,
    pos: usize,
    nesting: usize,
    out: Vec<SimpleCommand>,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
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
                (Some(' ' | '\t'), _) => self.pos += 1,
                (Some('\\'), Some('\n')) => self.pos += 2,
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
                '#' => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.pos += 1;
                    }
                }
                '&' if self.peek_at(1) == Some('>') => self.redirection(&mut current)?,
                '\n' | ';' | '&' | '|' => {
                    self.pos += 1;
                    if matches!((c, self.peek()), ('&', Some('&')) | ('|', Some('|' | '&')) | (';', Some(';' | '&'))) {
                        self.pos += 1;
                    }
                    self.finish(&mut current);
                }
                ')' => {
                    if !in_parens {
                        return Err(Opaque::Unparsed);
                    }
                    self.pos += 1;
                    self.finish(&mut current);
                    self.nesting = self.nesting.saturating_sub(1);
                    return Ok(());
                }
                '(' => self.open_paren(&mut current)?,
                '<' | '>' => self.redirection(&mut current)?,
                _ => {
                    let word = self.word()?;
                    let fd_prefix = !word.quoted && !word.text.is_empty() && word.text.chars().all(|c| c.is_ascii_digit());
                    if fd_prefix && matches!(self.peek(), Some('<' | '>')) {
                        self.redirection(&mut current)?;
                        continue;
                    }
                    if current.at_command_position() && !word.quoted {
                        match word.text.as_str() {
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
                                if self.peek() == Some('(') {
                                    self.pos += 1;
                                    self.skip_blanks();
                                    if !self.eat(')') {
                                        return Err(Opaque::Unparsed);
                                    }
                                }
                                continue;
                            }
                            text if COMPOUND_OPENERS.contains(&text) => {
                                self.finish(&mut current);
                                current.mark(Opaque::Compound);
                                self.finish(&mut current);
                                continue;
                            }
                            text if COMPOUND_KEYWORDS.contains(&text) => continue,
                            _ => {}
                        }
                    }
                    if word.substitution {
                        current.mark(Opaque::Substitution);
                    }
                    current.words.push(word);
                }
            }
        }
    }

    /// `(` opens a subshell in command position, `((` an arithmetic
    /// command, and after one word a function definition.
    fn open_paren(&mut self, current: &mut SimpleCommand) -> Result<(), Opaque> {
        if current.at_command_position() {
            self.pos += 1;
            if self.eat('(') {
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
        while matches!(self.chars.get(ahead), Some(' ' | '\t')) {
            ahead += 1;
        }
        if current.words.len() == 1 && self.chars.get(ahead) == Some(&')') {
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
                Some('(') => depth += 1,
                Some(')') => depth -= 1,
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
        let both = first == '&';
        if both {
            self.pos += 1; // the `>` of `&>`
            self.eat('>');
        } else if self.peek() == Some('(') {
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
                ('<', Some('<')) => {
                    self.pos += 1;
                    heredoc = true;
                    if !self.eat('<') {
                        self.eat('-');
                    }
                }
                ('<' | '>', Some('&')) => {
                    self.pos += 1;
                    duplicate = true;
                }
                ('>', Some('>' | '|')) | ('<', Some('>')) => self.pos += 1,
                _ => {}
            }
        }
        self.skip_blanks();
        if self.peek().is_none_or(|c| matches!(c, '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')')) {
            return Err(Opaque::Unparsed);
        }
        let target = self.word()?;
        if heredoc {
            current.mark(Opaque::HereDocument);
        } else if duplicate && !target.unknown && (target.text == "-" || target.text.chars().all(|c| c.is_ascii_digit())) {
            // `2>&1`, `>&2`, `<&0`, `3>&-`
        } else if !target.unknown && target.text == "/dev/null" {
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
        let mut word = RawWord::default();
        let start = self.pos;
        let mut name_so_far = true;
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')' => break,
                '\\' => {
                    self.pos += 1;
                    match self.bump() {
                        Some('\n') => {}
                        Some(escaped) => {
                            word.quoted = true;
                            word.text.push(escaped);
                        }
                        None => return Err(Opaque::Unparsed),
                    }
                    name_so_far = false;
                }
                '\'' => {
                    self.pos += 1;
                    word.quoted = true;
                    loop {
                        match self.bump() {
                            Some('\'') => break,
                            Some(c) => word.text.push(c),
                            None => return Err(Opaque::Unparsed),
                        }
                    }
                    name_so_far = false;
                }
                '"' => {
                    self.pos += 1;
                    word.quoted = true;
                    self.double_quoted(&mut word)?;
                    name_so_far = false;
                }
                '$' => {
                    self.dollar(&mut word, false)?;
                    name_so_far = false;
                }
                '`' => {
                    self.pos += 1;
                    self.backticks(&mut word, false)?;
                    name_so_far = false;
                }
                '=' if name_so_far && self.pos > start && !word.assignment => {
                    word.assignment = true;
                    word.text.push('=');
                    self.pos += 1;
                }
                '+' if name_so_far && self.pos > start && self.peek_at(1) == Some('=') => {
                    word.assignment = true;
                    word.text.push_str("+=");
                    self.pos += 2;
                    name_so_far = false;
                }
                '*' | '?' | '[' | ']' => {
                    // Unquoted glob characters: the word may expand to any files.
                    word.unknown = true;
                    word.split = true;
                    word.text.push(c);
                    self.pos += 1;
                    name_so_far = false;
                }
                '{' | '}' => {
                    // A lone `{`/`}` is a reserved word; inside a word, brace expansion.
                    let alone = self.pos == start && self.peek_at(1).is_none_or(|n| matches!(n, ' ' | '\t' | '\n' | ';' | '&' | '|'));
                    if !alone {
                        word.unknown = true;
                        word.split = true;
                    }
                    word.text.push(c);
                    self.pos += 1;
                    name_so_far = false;
                }
                '~' if self.pos == start => {
                    word.unknown = true;
                    word.split = true;
                    word.text.push(c);
                    self.pos += 1;
                    name_so_far = false;
                }
                _ => {
                    let name_char = c == '_' || c.is_ascii_alphanumeric();
                    let first_is_digit = self.pos == start && c.is_ascii_digit();
                    if !name_char || first_is_digit {
                        name_so_far = false;
                    }
                    if word.assignment {
                        name_so_far = false;
                    }
                    word.text.push(c);
                    self.pos += 1;
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
                Some('"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some('\\') => {
                    self.pos += 1;
                    match self.bump() {
                        Some('\n') => {}
                        Some(c @ ('$' | '`' | '"' | '\\')) => word.text.push(c),
                        Some(c) => {
                            word.text.push('\\');
                            word.text.push(c);
                        }
                        None => return Err(Opaque::Unparsed),
                    }
                }
                Some('$') => self.dollar(word, true)?,
                Some('`') => {
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
            Some('(') if self.peek_at(2) == Some('(') => {
                self.pos += 3;
                unknown(word);
                let before = self.pos;
                self.skip_arithmetic()?;
                let inside: String = self.chars.get(before..self.pos).unwrap_or_default().iter().collect();
                if inside.contains("$(") || inside.contains('`') {
                    word.substitution = true;
                }
            }
            Some('(') => {
                self.pos += 2;
                unknown(word);
                word.substitution = true;
                self.enter()?;
                self.list(true)?;
            }
            Some('{') => {
                self.pos += 2;
                unknown(word);
                let mut depth = 1usize;
                let before = self.pos;
                while depth > 0 {
                    match self.bump() {
                        Some('{') => depth += 1,
                        Some('}') => depth -= 1,
                        Some('\\') => {
                            self.bump();
                        }
                        Some(_) => {}
                        None => return Err(Opaque::Unparsed),
                    }
                }
                let inside: String = self.chars.get(before..self.pos).unwrap_or_default().iter().collect();
                if inside.contains("$(") || inside.contains('`') || inside.contains("<(") || inside.contains(">(") {
                    word.substitution = true;
                }
                // `"${a[@]}"` and `"${!p@}"` are many words even when quoted.
                word.split |= inside.contains('@');
            }
            Some('\'') if !quoted => {
                // `$'...'`: ANSI-C quoting, one word whose text we do not decode.
                self.pos += 2;
                word.unknown = true;
                word.quoted = true;
                loop {
                    match self.bump() {
                        Some('\\') => {
                            self.bump();
                        }
                        Some('\'') => break,
                        Some(_) => {}
                        None => return Err(Opaque::Unparsed),
                    }
                }
            }
            Some('"') if !quoted => {
                // `$"..."`: a locale-translated string.
                self.pos += 2;
                word.unknown = true;
                word.quoted = true;
                self.double_quoted(word)?;
            }
            Some(c) if c == '_' || c.is_ascii_alphanumeric() || "@*#?$!-".contains(c) => {
                self.pos += 2;
                unknown(word);
                // `"$@"` is as many words as there are arguments, quoted or not.
                word.split |= c == '@';
                if c == '_' || c.is_ascii_alphabetic() {
                    while self.peek().is_some_and(|c| c == '_' || c.is_ascii_alphanumeric()) {
                        self.pos += 1;
                    }
                }
            }
            _ => {
                word.text.push('$');
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
        let mut inner = String::new();
        loop {
            match self.bump() {
                Some('`') => break,
                Some('\\') => match self.bump() {
                    Some(c @ ('`' | '\\' | '$')) => inner.push(c),
                    Some(c) => {
                        inner.push('\\');
                        inner.push(c);
                    }
                    None => return Err(Opaque::Unparsed),
                },
                Some(c) => inner.push(c),
                None => return Err(Opaque::Unparsed),
            }
        }
        self.enter()?;
        let mut nested = Parser { chars: inner.chars().collect(), pos: 0, nesting: self.nesting, out: Vec::new() };
        nested.list(false)?;
        self.out.append(&mut nested.out);
        self.nesting -= 1;
        Ok(())
    }
}
