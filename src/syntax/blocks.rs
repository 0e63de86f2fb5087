//! The statements each argument block may hold, in one table: the lowering
//! names them in its errors and help, and a tidy test checks that the
//! grammar accepts each of them and nothing else. A new kind of argument
//! block (paths, domains) adds its table here.

/// What a statement takes after its keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    /// Quoted patterns (`allow "git status", "ls *"`).
    Patterns,
    /// Operations, then quoted patterns (`deny read, write "**/.env"`).
    OpsAndPatterns,
    /// An outcome word (`on_miss ask`).
    Outcome,
    /// Quoted absolute directories (`trusted_dirs "/usr/bin"`).
    Directories,
}

/// One statement of a block.
#[derive(Debug, Clone, Copy)]
pub struct Statement {
    pub keyword: &'static str,
    pub takes: Takes,
    /// The statement written out, for help text.
    pub example: &'static str,
}

/// An argument block and its statements.
#[derive(Debug, Clone, Copy)]
pub struct Block {
    pub name: &'static str,
    pub statements: &'static [Statement],
}

/// `exec { ... }`: command rules (BRIEF section 6).
pub const EXEC: Block = Block {
    name: "exec",
    statements: &[
        Statement { keyword: "allow", takes: Takes::Patterns, example: "allow \"git status\"" },
        Statement { keyword: "ask", takes: Takes::Patterns, example: "ask \"git push *\"" },
        Statement { keyword: "deny", takes: Takes::Patterns, example: "deny \"rm -rf *\"" },
        Statement { keyword: "on_miss", takes: Takes::Outcome, example: "on_miss ask" },
        Statement { keyword: "on_opaque", takes: Takes::Outcome, example: "on_opaque ask" },
        Statement { keyword: "trusted_dirs", takes: Takes::Directories, example: "trusted_dirs \"/usr/bin\"" },
    ],
};

/// `paths { ... }`: path rules for file calls (issue 28).
pub const PATHS: Block = Block {
    name: "paths",
    statements: &[
        Statement { keyword: "allow", takes: Takes::OpsAndPatterns, example: "allow read \"src/**\"" },
        Statement { keyword: "ask", takes: Takes::OpsAndPatterns, example: "ask write \"**/*.lock\"" },
        Statement { keyword: "deny", takes: Takes::OpsAndPatterns, example: "deny read, write \"**/.env\", \"~/.ssh/**\"" },
        Statement { keyword: "on_miss", takes: Takes::Outcome, example: "on_miss ask" },
    ],
};

/// Every argument block (the test below walks them; domains join).
#[cfg(test)]
const ALL: &[Block] = &[EXEC, PATHS];

impl Block {
    /// "an `exec`", "a `paths`".
    fn called(&self) -> String {
        let article = if self.name.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
        format!("{article} `{}`", self.name)
    }

    /// "an `exec` block holds `allow`, `ask`, ... and `trusted_dirs`".
    pub fn holds(&self) -> String {
        let names: Vec<String> = self.statements.iter().map(|s| format!("`{}`", s.keyword)).collect();
        let list = match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => names.join(""),
        };
        format!("{} block holds {list}", self.called())
    }

    /// The error for a statement the grammar did not read as one of the
    /// table's: a keyword with the wrong kind of value, or an unknown word
    /// (with the closest keyword, if one is close). Returns the message and
    /// its help.
    pub fn misread(&self, word: &str) -> (String, String) {
        match self.statements.iter().find(|s| s.keyword == word) {
            Some(statement) => {
                let what = match statement.takes {
                    Takes::Patterns => "quoted patterns",
                    Takes::OpsAndPatterns => "operations (`read`, `write`; none for both) and quoted patterns",
                    Takes::Outcome => "an outcome word",
                    Takes::Directories => "quoted absolute directories",
                };
                (format!("`{word}` in {} block takes {what}, e.g. {}", self.called(), statement.example), self.holds())
            }
            None => {
                let message = format!("unknown {} setting `{word}`", self.name);
                match crate::diagnostic::suggest(word, self.statements.iter().map(|s| s.keyword)) {
                    Some(close) => (message, format!("did you mean `{close}`? {}", self.holds())),
                    None => (message, self.holds()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Takes, ALL};

    /// The messages of the errors `text` gives.
    fn errors(text: &str) -> String {
        let error = crate::Policy::from_dsl("t.pal", text).err();
        error.map(|e| e.diagnostics.iter().map(|d| format!("{} | {}\n", d.message, d.help.as_deref().unwrap_or(""))).collect()).unwrap_or_default()
    }

    /// The grammar accepts each statement of the table as its example
    /// shows, and reads any other word as an unknown setting, with help
    /// from the table.
    #[test]
    fn the_grammar_and_the_table_agree() {
        for block in ALL {
            for statement in block.statements {
                let text = format!("agent a {{ tools {{ allow exec  {} {{ {} }} }} }}", block.name, statement.example);
                assert!(crate::Policy::from_dsl("t.pal", &text).is_ok(), "{text}");
                // The wrong kind of value is the table's message, not a parse error.
                let wrong = match statement.takes {
                    Takes::Patterns | Takes::OpsAndPatterns | Takes::Directories => format!("{} ask", statement.keyword),
                    Takes::Outcome => format!("{} \"x\"", statement.keyword),
                };
                let text = format!("agent a {{ tools {{ allow exec  {} {{ {wrong} }} }} }}", block.name);
                let error = errors(&text);
                assert!(error.contains(&block.misread(statement.keyword).0), "{text}: {error}");
            }
            let text = format!("agent a {{ tools {{ allow exec  {} {{ bogus }} }} }}", block.name);
            let error = errors(&text);
            assert!(error.contains(&format!("unknown {} setting `bogus`", block.name)), "{text}: {error}");
            // A near miss of a keyword names it.
            let first = block.statements.first().map_or("", |s| s.keyword);
            let near = format!("agent a {{ tools {{ allow exec  {} {{ {}x \"p\" }} }} }}", block.name, first);
            assert!(errors(&near).contains(&format!("did you mean `{first}`?")), "{near}: {}", errors(&near));
        }
    }
}
