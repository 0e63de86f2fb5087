//! Exec command rules, compiled: patterns indexed by program, and the
//! decision of one exec layer on a parsed command (ARCHITECTURE.md, Exec
//! commands). Deny and ask need a pattern that *may* match a segment (for
//! some value of its unknown words), allow one that *must* match (for every
//! value); the outcome of a command is the strictest over its segments.

use crate::shell::options::{self, Letters, ProgramOptions};
use crate::shell::{Interpreter, Segment, Word};
use crate::source::Location;
use crate::vocab::{ByOutcome, ToolOutcome};

use super::Map;

/// The directories a bare program name may be resolved from by default.
pub const DEFAULT_TRUSTED_DIRS: &[&str] = &["/usr/local/bin", "/usr/bin", "/bin"];

/// One argument token of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArgToken {
    /// Matches exactly this text.
    Literal(String),
    /// `*` and `?` inside one argument.
    Glob(String),
}

impl ArgToken {
    fn from_word(word: String) -> ArgToken {
        if word.contains(['*', '?']) {
            ArgToken::Glob(word)
        } else {
            ArgToken::Literal(word)
        }
    }

    fn matches(&self, text: &str) -> bool {
        match self {
            ArgToken::Literal(literal) => literal == text,
            ArgToken::Glob(glob) => glob_match(glob.as_bytes(), text.as_bytes()),
        }
    }

    /// Matches every text (a glob of `*`s only).
    fn matches_anything(&self) -> bool {
        matches!(self, ArgToken::Glob(glob) if glob.chars().all(|c| c == '*'))
    }
}

/// `*` any run, `?` one character; over bytes, so `?` is one byte of UTF-8
/// (patterns are ASCII in practice; a non-ASCII `?` match is only stricter).
fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(b'?') => {
                p += 1;
                t += 1;
            }
            Some(c) if Some(c) == text.get(t) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern.get(p..).unwrap_or_default().iter().all(|c| *c == b'*')
}

/// An absolute path without `.`, `..` or empty components, borrowed when it
/// already is one (the usual case: no allocation per decision).
fn normalized(path: &str) -> std::borrow::Cow<'_, str> {
    if path.starts_with('/') && path.split('/').skip(1).all(|p| !p.is_empty() && p != "." && p != "..") {
        std::borrow::Cow::Borrowed(path)
    } else {
        std::borrow::Cow::Owned(crate::paths::normalize_absolute(path))
    }
}

/// Why a pattern's text is not a pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// No words at all.
    #[error("an exec pattern needs a program")]
    Empty,
    /// The program is neither a bare name nor a normalised absolute path.
    #[error("the program of an exec pattern must be a name or an absolute path, not `{0}`")]
    BadProgram(String),
}

/// A compiled pattern: program, argument tokens, and whether a final lone
/// `*` lets any number of further arguments through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandPattern {
    /// A bare name (`git`) or an absolute path (`/opt/x/bin/tool`).
    program: String,
    args: Vec<ArgToken>,
    rest: bool,
    /// The leading run of option tokens (`-rf`, `-r -f`, `--recursive`)
    /// as a set of letters, and how many tokens it spans: matched as the
    /// program reads options too (any order, any split, before `--`).
    flags: Option<(Letters, usize)>,
    /// The program's entry in the options table.
    table: Option<&'static ProgramOptions>,
    /// The program is an interpreter (by its last path component), whose
    /// inline-eval words no wildcard may match.
    interpreter: Option<Interpreter>,
}

impl CommandPattern {
    /// A pattern from its words (quotes already removed).
    pub fn new(words: Vec<String>) -> Result<CommandPattern, PatternError> {
        let mut words = words.into_iter();
        let program = words.next().ok_or(PatternError::Empty)?;
        let mut tokens: Vec<String> = words.collect();
        let bare = !program.contains('/') && !program.contains(['*', '?']) && !program.is_empty();
        let absolute = program.starts_with('/') && !program.contains(['*', '?']) && crate::paths::normalize_absolute(&program) == program;
        if !bare && !absolute {
            return Err(PatternError::BadProgram(program));
        }
        let rest = tokens.last().is_some_and(|a| a == "*");
        if rest {
            tokens.pop();
        }
        let interpreter = crate::shell::interpreter(program.rsplit('/').next().unwrap_or(&program));
        let table = options::of(&program);
        let mut letters = Letters::default();
        let mut run = 0;
        if interpreter.is_none() {
            for token in tokens.iter().take_while(|t| !t.contains(['*', '?']) && t.as_str() != "--") {
                let Some(more) = options::letters(token, table, false) else { break };
                letters = letters.union(more);
                run += 1;
            }
        }
        let flags = (run > 0).then_some((letters, run));
        Ok(CommandPattern { program, args: tokens.into_iter().map(ArgToken::from_word).collect(), rest, interpreter, flags, table })
    }

    /// The program it names.
    pub(crate) fn program(&self) -> &str {
        &self.program
    }

    /// The first argument token when every match starts with exactly it:
    /// a literal, not part of a leading option run.
    pub(crate) fn first_literal(&self) -> Option<&str> {
        if self.flags.is_some() {
            return None;
        }
        match self.args.first() {
            Some(ArgToken::Literal(text)) => Some(text),
            _ => None,
        }
    }

    /// The option words a deny or ask pattern can match only as written: a
    /// long option the options table does not spell as a letter, or an
    /// option after the leading run (`git push --force`).
    pub(crate) fn literal_options(&self) -> Vec<&str> {
        if self.interpreter.is_some() {
            return Vec::new();
        }
        let run = self.flags.map_or(0, |(_, n)| n);
        self.args
            .iter()
            .skip(run)
            .take_while(|t| !matches!(t, ArgToken::Literal(l) if l == "--"))
            .filter_map(|t| match t {
                ArgToken::Literal(text) if text.starts_with('-') && text.len() > 1 => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The words as the program reads its options: the letters of the
    /// option words before `--`, whether an unknown word stands there (it
    /// may be an option), and the other words in order. `strict` (for
    /// allow): every option word must be letters the table says take no
    /// value, else `None`.
    fn read_options(&self, words: &[Word], strict: bool) -> Option<(Letters, bool, Vec<Word>)> {
        let mut letters = Letters::default();
        let mut unknown = false;
        let mut others = Vec::with_capacity(words.len());
        let mut ended = false;
        for word in words {
            match word {
                Word::Known(text) if !ended && text.as_str() == "--" => {
                    ended = true;
                    others.push(word.clone());
                }
                Word::Known(text) if !ended && text.starts_with('-') && text.len() > 1 => match options::letters(text, self.table, strict) {
                    Some(more) => letters = letters.union(more),
                    None if strict => return None,
                    None => others.push(word.clone()),
                },
                Word::Unknown { .. } if !ended => {
                    unknown = true;
                    others.push(word.clone());
                }
                _ => others.push(word.clone()),
            }
        }
        Some((letters, unknown, others))
    }

    /// Some value of the unknown words makes the arguments match: as
    /// written, or with the leading options read as the program reads them.
    fn may_match(&self, words: &[Word]) -> bool {
        if self.may_match_tokens(&self.args, words) {
            return true;
        }
        let Some((want, run)) = self.flags else { return false };
        let Some((have, unknown, others)) = self.read_options(words, false) else { return false };
        let letters_ok = if self.rest { have.contains_all(want) || unknown } else { have == want || (unknown && want.contains_all(have)) };
        let tokens = self.args.get(run..).unwrap_or_default();
        letters_ok
            && (self.may_match_tokens(tokens, &others)
                || (unknown && self.may_match_tokens(tokens, &others.iter().filter(|w| w.known().is_some()).cloned().collect::<Vec<_>>())))
    }

    /// Every value of the unknown words makes the arguments match: as
    /// written, or, for a program of the options table whose option words
    /// all take no value, with the options read as it reads them.
    fn must_match(&self, words: &[Word]) -> bool {
        if self.must_match_tokens(&self.args, words) {
            return true;
        }
        let (Some((want, run)), Some(_)) = (self.flags, self.table) else { return false };
        let Some((have, unknown, others)) = self.read_options(words, true) else { return false };
        let letters_ok = if self.rest { have.contains_all(want) } else { have == want && !unknown };
        letters_ok && self.must_match_tokens(self.args.get(run..).unwrap_or_default(), &others)
    }

    /// Known words only: the one value there is.
    fn matches_known(&self, tokens: &[ArgToken], words: &[Word]) -> bool {
        let fixed = tokens.len();
        let count_ok = if self.rest { words.len() >= fixed } else { words.len() == fixed };
        count_ok && tokens.iter().zip(words).all(|(token, word)| word.known().is_some_and(|text| token.matches(text)))
    }

    /// Some value of the unknown words makes `words` match `tokens` (and
    /// the final `*`).
    fn may_match_tokens(&self, tokens: &[ArgToken], words: &[Word]) -> bool {
        if words.iter().all(|w| w.known().is_some()) {
            return self.matches_known(tokens, words);
        }
        // may[i][j]: words[i..] can match tokens[j..]; filled backwards, on
        // the stack for every command of a usual size.
        let (w, n) = (words.len(), tokens.len());
        let size = (w + 1) * (n + 1);
        let mut stack = [false; 256];
        let mut heap = Vec::new();
        let may: &mut [bool] = match stack.get_mut(..size) {
            Some(cells) => cells,
            None => {
                heap.resize(size, false);
                &mut heap
            }
        };
        let at = |i: usize, j: usize| i * (n + 1) + j;
        for i in (0..=w).rev() {
            for j in (0..=n).rev() {
                let get = |may: &[bool], i: usize, j: usize| may.get(at(i, j)).copied().unwrap_or(false);
                let value = match words.get(i) {
                    None => j == n,
                    Some(_) if j == n && self.rest => true,
                    Some(Word::Known(text)) => tokens.get(j).is_some_and(|t| t.matches(text)) && get(may, i + 1, j + 1),
                    Some(Word::Unknown { split: false }) => j < n && get(may, i + 1, j + 1),
                    Some(Word::Unknown { split: true }) => get(may, i + 1, j) || (j < n && get(may, i, j + 1)),
                };
                if let Some(slot) = may.get_mut(at(i, j)) {
                    *slot = value;
                }
            }
        }
        may.first().copied().unwrap_or(false)
    }

    /// Every value of the unknown words makes `words` match `tokens` (and
    /// the final `*`). For an interpreter, no wildcard stands for an
    /// inline-eval flag, or for a word that may be one.
    fn must_match_tokens(&self, tokens: &[ArgToken], words: &[Word]) -> bool {
        let interpreter = self.interpreter;
        let is_eval = |text: &str| interpreter.is_some_and(|i| i.is_eval(text));
        let mut tokens = tokens.iter();
        for (i, word) in words.iter().enumerate() {
            let Some(token) = tokens.next() else {
                // Past the tokens: only the final `*` takes the rest.
                let rest = words.get(i..).unwrap_or_default();
                return self.rest && !(interpreter.is_some() && rest.iter().any(|w| w.known().is_none_or(is_eval)));
            };
            let ok = match word {
                Word::Known(text) if is_eval(text) => {
                    matches!(token, ArgToken::Literal(literal) if literal == text.as_str())
                }
                Word::Known(text) => token.matches(text),
                Word::Unknown { split: false } => token.matches_anything() && interpreter.is_none(),
                Word::Unknown { split: true } => false,
            };
            if !ok {
                return false;
            }
        }
        tokens.next().is_none()
    }
}

impl CommandPattern {
    /// Every command this pattern matches, `other` matches too (a sound
    /// approximation: `false` may be a miss, `true` never is). Used only for
    /// warnings about patterns that can never decide.
    pub(crate) fn covers(&self, shadowed: &CommandPattern) -> bool {
        if self.program != shadowed.program {
            return false;
        }
        // The shadowed pattern's tokens as words: a glob is one word of some
        // text, a final `*` any number of words.
        let mut words: Vec<Word> = shadowed
            .args
            .iter()
            .map(|t| match t {
                ArgToken::Literal(text) => Word::Known(text.as_str().into()),
                ArgToken::Glob(_) => Word::Unknown { split: false },
            })
            .collect();
        if shadowed.rest {
            words.push(Word::Unknown { split: true });
        }
        self.must_match(&words)
    }
}

/// The rule that decided a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecRule {
    /// The compiled pattern.
    pub pattern: CommandPattern,
    /// The pattern as written.
    pub written: String,
    /// Where it is written.
    pub at: Option<Location>,
}

/// One `exec` block, compiled.
#[derive(Debug, Clone)]
pub struct ExecLayer {
    /// The patterns of each outcome, in block order: allow patterns decide
    /// when they must match, ask and deny patterns when they may.
    pub rules: ByOutcome<Vec<ExecRule>>,
    /// The outcome when no pattern decides.
    pub on_miss: ToolOutcome,
    /// `Ask` or `Deny`, never `Allow`.
    pub on_opaque: ToolOutcome,
    /// Normalised absolute directories, without a trailing `/`.
    pub trusted_dirs: Vec<String>,
    /// Rule indexes by the program name they match (bare names and
    /// paths), then by their first argument.
    index: Map<String, ProgramRules>,
}

/// One program's rules, indexed by their first argument token, so that a
/// program named by 10,000 patterns tries only those that can match.
#[derive(Debug, Clone, Default)]
struct ProgramRules {
    /// Patterns whose first argument token is this literal.
    by_first: Map<String, KindLists>,
    /// The others: no argument token, a glob first, a leading option run
    /// (its options may come in any order and place).
    other: KindLists,
}

/// Rule indexes of each outcome, in block order.
type KindLists = ByOutcome<Vec<usize>>;

/// The rule lists that may hold a rule matching one segment, looked up
/// once: per name the program is matched under, the rules whose first
/// argument is the segment's first word (all of them when it is unknown,
/// none when there is none), then the rules that start otherwise.
struct Candidates<'l> {
    programs: [Option<&'l ProgramRules>; 2],
    narrow: [Option<&'l KindLists>; 2],
    unknown_first: bool,
}

impl<'l> Candidates<'l> {
    /// The first rule of `kind`, in that order, whose pattern passes `test`.
    fn find(&self, layer: &'l ExecLayer, kind: ToolOutcome, test: &dyn Fn(&CommandPattern) -> bool) -> Option<&'l ExecRule> {
        let scan = |list: &KindLists| list.get(kind).iter().filter_map(|i| layer.rules.get(kind).get(*i)).find(|rule| test(&rule.pattern));
        for (program, narrow) in self.programs.iter().zip(self.narrow) {
            let Some(program) = program else { continue };
            if let Some(rule) = narrow.and_then(scan) {
                return Some(rule);
            }
            if self.unknown_first {
                if let Some(rule) = program.by_first.values().find_map(scan) {
                    return Some(rule);
                }
            }
            if let Some(rule) = scan(&program.other) {
                return Some(rule);
            }
        }
        None
    }
}

/// What an exec layer decided for one segment, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SegmentVerdict<'l> {
    /// A pattern decided.
    Rule(ToolOutcome, &'l ExecRule),
    /// No pattern applies: `on_miss`.
    Miss(ToolOutcome),
    /// The segment cannot be judged: `on_opaque`.
    Opaque(ToolOutcome),
    /// An inner segment no deny or ask pattern matches: its runner's own
    /// segment answers to the allow patterns.
    Inner,
}

impl SegmentVerdict<'_> {
    pub(crate) fn outcome(self) -> ToolOutcome {
        match self {
            SegmentVerdict::Rule(outcome, _) | SegmentVerdict::Miss(outcome) | SegmentVerdict::Opaque(outcome) => outcome,
            SegmentVerdict::Inner => ToolOutcome::Allow,
        }
    }
}

impl ExecLayer {
    /// A layer; `on_miss` defaults as the tool layers do: deny when the block
    /// has an allow pattern, allow when it has none.
    pub fn new(
        rules: ByOutcome<Vec<ExecRule>>,
        on_miss: Option<ToolOutcome>,
        on_opaque: Option<ToolOutcome>,
        trusted_dirs: Option<Vec<String>>,
    ) -> ExecLayer {
        let on_miss = on_miss.unwrap_or(if rules.allow.is_empty() { ToolOutcome::Allow } else { ToolOutcome::Deny });
        let on_opaque = match on_opaque {
            Some(ToolOutcome::Ask) => ToolOutcome::Ask,
            _ => ToolOutcome::Deny,
        };
        let trusted_dirs = trusted_dirs
            .unwrap_or_else(|| DEFAULT_TRUSTED_DIRS.iter().map(|d| d.to_string()).collect())
            .iter()
            .map(|d| crate::paths::normalize_absolute(d).trim_end_matches('/').to_string())
            .collect();
        let mut index: Map<String, ProgramRules> = Map::default();
        for (kind, list) in rules.iter() {
            for (i, rule) in list.iter().enumerate() {
                // Keys are copied only when they are new: most rules share them.
                let name = rule.pattern.program.as_str();
                if !index.contains_key(name) {
                    index.insert(name.to_string(), ProgramRules::default());
                }
                let Some(program) = index.get_mut(name) else { continue };
                match rule.pattern.first_literal() {
                    Some(first) => match program.by_first.get_mut(first) {
                        Some(lists) => lists.get_mut(kind).push(i),
                        None => program.by_first.entry(first.to_string()).or_default().get_mut(kind).push(i),
                    },
                    None => program.other.get_mut(kind).push(i),
                }
            }
        }
        ExecLayer { rules, on_miss, on_opaque, trusted_dirs, index }
    }

    fn trusted(&self, path: &str) -> bool {
        let normalized = normalized(path);
        normalized.rsplit_once('/').is_some_and(|(dir, _)| self.trusted_dirs.iter().any(|d| d == dir))
    }

    /// The names a program word is matched under: itself (a bare name, or
    /// an absolute path for path patterns) and, for a path in a trusted
    /// directory, its last component. A bare name borrows: the common case
    /// allocates nothing.
    fn program_keys<'p>(&self, program: &'p str) -> (Option<std::borrow::Cow<'p, str>>, Option<std::borrow::Cow<'p, str>>) {
        if !program.as_bytes().contains(&b'/') {
            return (Some(std::borrow::Cow::Borrowed(program)), None);
        }
        if !program.starts_with('/') {
            return (None, None);
        }
        let normalized = normalized(program);
        if !self.trusted(&normalized) {
            return (Some(normalized), None);
        }
        let base = match &normalized {
            std::borrow::Cow::Borrowed(path) => path.rsplit('/').next().map(std::borrow::Cow::Borrowed),
            std::borrow::Cow::Owned(path) => path.rsplit('/').next().map(|b| std::borrow::Cow::Owned(b.to_string())),
        };
        (Some(normalized), base)
    }

    /// This layer's verdict on one segment.
    pub(crate) fn judge<'l>(&'l self, segment: &Segment) -> SegmentVerdict<'l> {
        if segment.opaque.is_some() || !segment.via.iter().all(|w| self.trusted(w)) {
            return SegmentVerdict::Opaque(self.on_opaque);
        }
        let Some(program) = segment.program() else { return SegmentVerdict::Opaque(self.on_opaque) };
        let args = segment.words.get(1..).unwrap_or_default();
        let (own, base) = self.program_keys(program);
        let programs = [own.as_deref(), base.as_deref()].map(|k| k.and_then(|k| self.index.get(k)));
        let first = args.first().and_then(Word::known);
        let unknown_first = !args.is_empty() && first.is_none();
        let narrow = programs.map(|p| p.zip(first).and_then(|(p, first)| p.by_first.get(first)));
        let candidates = Candidates { programs, narrow, unknown_first };
        let rules = |kind: ToolOutcome, test: &dyn Fn(&CommandPattern) -> bool| candidates.find(self, kind, test);
        if let Some(rule) = rules(ToolOutcome::Deny, &|p| p.may_match(args)) {
            return SegmentVerdict::Rule(ToolOutcome::Deny, rule);
        }
        if segment.is_inner() {
            // Deny and ask only: the runner's segment met the allow patterns.
            return match rules(ToolOutcome::Ask, &|p| p.may_match(args)) {
                Some(rule) => SegmentVerdict::Rule(ToolOutcome::Ask, rule),
                None => SegmentVerdict::Inner,
            };
        }
        // Every value of the unknown words hits an ask pattern: ask.
        if let Some(rule) = rules(ToolOutcome::Ask, &|p| p.must_match(args)) {
            return SegmentVerdict::Rule(ToolOutcome::Ask, rule);
        }
        // Some value may hit an ask pattern, and the others are decided by
        // the allow patterns or `on_miss`: the stricter of the two, so that
        // no value is decided more strictly than the command.
        let asked = rules(ToolOutcome::Ask, &|p| p.may_match(args));
        let allowed = rules(ToolOutcome::Allow, &|p| p.must_match(args));
        match (asked, allowed) {
            (Some(rule), _) if allowed.is_some() || self.on_miss <= ToolOutcome::Ask => SegmentVerdict::Rule(ToolOutcome::Ask, rule),
            (_, Some(rule)) => SegmentVerdict::Rule(ToolOutcome::Allow, rule),
            _ => SegmentVerdict::Miss(self.on_miss),
        }
    }

    /// The outcome of a whole command: the strictest over its segments; a
    /// command with no segment at all (empty text) is opaque.
    pub fn decide(&self, segments: &[Segment]) -> ToolOutcome {
        if segments.is_empty() {
            return self.on_opaque;
        }
        if crate::seam!(FirstSegmentOnly) {
            return segments.first().map_or(self.on_opaque, |s| self.judge(s).outcome());
        }
        segments.iter().map(|s| self.judge(s).outcome()).max().unwrap_or(self.on_opaque)
    }
}

#[cfg(test)]
mod tests;
