//! Options as common programs read them (BRIEF section 6b, issue 25):
//! which short letters take no value, which letters mean the same
//! (`rm -R` is `rm -r`), and which long options are a letter's other
//! spelling (`--recursive`). Exec patterns match a leading run of short
//! clusters as a set of letters; this table lets an *allow* pattern do so
//! too (a letter that takes a value changes what follows it) and lets long
//! spellings count.

/// How one program reads its options.
#[derive(Debug, PartialEq, Eq)]
pub struct ProgramOptions {
    /// Letters that take no value.
    pub flags: &'static str,
    /// Letters that are another's spelling, and the letter they mean.
    pub aliases: &'static [(char, char)],
    /// Long options that are a letter's spelling.
    pub long: &'static [(&'static str, char)],
}

const RM: ProgramOptions =
    ProgramOptions { flags: "dfiIrRv", aliases: &[('R', 'r')], long: &[("force", 'f'), ("recursive", 'r'), ("dir", 'd'), ("verbose", 'v')] };
const CP: ProgramOptions = ProgramOptions {
    flags: "afHilLnPprRsuvx",
    aliases: &[('R', 'r')],
    long: &[
        ("archive", 'a'),
        ("force", 'f'),
        ("interactive", 'i'),
        ("link", 'l'),
        ("dereference", 'L'),
        ("no-clobber", 'n'),
        ("no-dereference", 'P'),
        ("recursive", 'r'),
        ("symbolic-link", 's'),
        ("verbose", 'v'),
        ("one-file-system", 'x'),
    ],
};
const MV: ProgramOptions =
    ProgramOptions { flags: "finTuv", aliases: &[], long: &[("force", 'f'), ("interactive", 'i'), ("no-clobber", 'n'), ("verbose", 'v')] };
const LN: ProgramOptions = ProgramOptions {
    flags: "fiLnPrsTv",
    aliases: &[],
    long: &[
        ("force", 'f'),
        ("interactive", 'i'),
        ("logical", 'L'),
        ("no-dereference", 'n'),
        ("physical", 'P'),
        ("relative", 'r'),
        ("symbolic", 's'),
        ("verbose", 'v'),
    ],
};
const CHMOD: ProgramOptions =
    ProgramOptions { flags: "cfvR", aliases: &[], long: &[("changes", 'c'), ("silent", 'f'), ("quiet", 'f'), ("verbose", 'v'), ("recursive", 'R')] };
const CHOWN: ProgramOptions = ProgramOptions {
    flags: "cfvRhHLP",
    aliases: &[],
    long: &[("changes", 'c'), ("silent", 'f'), ("quiet", 'f'), ("verbose", 'v'), ("recursive", 'R'), ("no-dereference", 'h')],
};
const MKDIR: ProgramOptions = ProgramOptions { flags: "pv", aliases: &[], long: &[("parents", 'p'), ("verbose", 'v')] };
const LS: ProgramOptions = ProgramOptions {
    flags: "aAbBcCdfFgGhHiklLmnNopqQrRsStuUvxXZ1",
    aliases: &[],
    long: &[
        ("all", 'a'),
        ("almost-all", 'A'),
        ("human-readable", 'h'),
        ("recursive", 'R'),
        ("reverse", 'r'),
        ("directory", 'd'),
        ("inode", 'i'),
        ("numeric-uid-gid", 'n'),
    ],
};

/// The table entry of a program, by its last path component.
pub fn of(program: &str) -> Option<&'static ProgramOptions> {
    Some(match program.rsplit('/').next().unwrap_or(program) {
        "rm" => &RM,
        "cp" => &CP,
        "mv" => &MV,
        "ln" => &LN,
        "chmod" => &CHMOD,
        "chown" | "chgrp" => &CHOWN,
        "mkdir" | "rmdir" => &MKDIR,
        "ls" => &LS,
        _ => return None,
    })
}

/// The programs the table knows, for documentation.
pub const PROGRAMS: &str = "`rm`, `cp`, `mv`, `ln`, `chmod`, `chown`, `chgrp`, `mkdir`, `rmdir`, `ls`";

/// A set of option letters (`a`-`z`, `A`-`Z`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Letters(u64);

impl Letters {
    fn bit(letter: char) -> Option<u64> {
        match letter {
            'a'..='z' => Some(1 << (letter as u32 - 'a' as u32)),
            'A'..='Z' => Some(1 << (26 + letter as u32 - 'A' as u32)),
            _ => None,
        }
    }

    /// Adds a letter; `false` when it is not one.
    pub fn insert(&mut self, letter: char) -> bool {
        match Letters::bit(letter) {
            Some(bit) => {
                self.0 |= bit;
                true
            }
            None => false,
        }
    }

    /// The letters of both.
    pub fn union(self, other: Letters) -> Letters {
        Letters(self.0 | other.0)
    }

    /// Every letter of `other` is here.
    pub fn contains_all(self, other: Letters) -> bool {
        self.0 & other.0 == other.0
    }

    /// No letter.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The letters as one cluster, `-` first.
    pub fn cluster(self) -> String {
        let mut out = String::from("-");
        out.extend(('a'..='z').chain('A'..='Z').filter(|c| Letters::bit(*c).is_some_and(|b| self.0 & b != 0)));
        out
    }
}

/// What one word is as an option of `program` (`table` its entry):
/// `Some(letters)` for a short cluster of letters (`-rf`) or a long option
/// the table spells as a letter (`--recursive`), read through the table's
/// aliases; `None` for anything else. `strict`: every letter must be one
/// the table says takes no value.
pub fn letters(word: &str, table: Option<&ProgramOptions>, strict: bool) -> Option<Letters> {
    let mut set = Letters::default();
    let alias = |c: char| table.and_then(|t| t.aliases.iter().find(|(a, _)| *a == c)).map_or(c, |(_, to)| *to);
    if let Some(long) = word.strip_prefix("--") {
        let letter = table?.long.iter().find(|(name, _)| *name == long)?.1;
        set.insert(alias(letter));
        return Some(set);
    }
    let cluster = word.strip_prefix('-').filter(|c| !c.is_empty())?;
    for letter in cluster.chars() {
        if strict && !table.is_some_and(|t| t.flags.contains(letter)) {
            return None;
        }
        if !set.insert(alias(letter)) {
            return None;
        }
    }
    Some(set)
}
