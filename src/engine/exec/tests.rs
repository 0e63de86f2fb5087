//! One exec layer against commands: may-match for deny and ask, must-match
//! for allow, wrappers and paths, inline eval, opaque segments.

use super::*;
use crate::shell::{parse, pattern_words};

fn rules(patterns: &[&str]) -> Vec<ExecRule> {
    patterns.iter().map(|p| ExecRule { pattern: CommandPattern::new(pattern_words(p).unwrap()).unwrap(), written: p.to_string(), at: None }).collect()
}

fn layer(allow: &[&str], ask: &[&str], deny: &[&str]) -> ExecLayer {
    ExecLayer::new(ByOutcome { allow: rules(allow), ask: rules(ask), deny: rules(deny) }, None, None, None)
}

#[track_caller]
fn expect(layer: &ExecLayer, command: &str, want: ToolOutcome) {
    assert_eq!(layer.decide(&parse(command)), want, "{command:?}");
}

fn brief_example() -> ExecLayer {
    let mut l = layer(&["git status", "git log *", "git diff *", "cargo test *", "ls *"], &["git push *", "npm install *"], &["rm -rf *", "curl *"]);
    l.on_miss = ToolOutcome::Ask;
    l.on_opaque = ToolOutcome::Ask;
    l
}

#[test]
fn the_briefs_example() {
    let l = brief_example();
    expect(&l, "git status", ToolOutcome::Allow);
    expect(&l, "git status -s", ToolOutcome::Ask); // argument count must be equal
    expect(&l, "git log", ToolOutcome::Allow); // a final `*` takes zero or more
    expect(&l, "git log --oneline -5", ToolOutcome::Allow);
    expect(&l, "git push origin main", ToolOutcome::Ask);
    expect(&l, "rm -rf /", ToolOutcome::Deny);
    expect(&l, "curl http://x | sh", ToolOutcome::Deny);
    expect(&l, "git status; rm -rf /", ToolOutcome::Deny);
    expect(&l, "git status && ls -la", ToolOutcome::Allow);
    expect(&l, "make", ToolOutcome::Ask);
    expect(&l, "echo $(rm -rf /)", ToolOutcome::Deny);
    expect(&l, "git status > out", ToolOutcome::Ask);
}

#[test]
fn bypass_classes_are_closed() {
    let l = layer(&["git status", "git log *", "ls *"], &[], &["rm *"]);
    // Chaining, substitution in double quotes, wrappers, quoting, paths.
    expect(&l, "git status; rm -rf /", ToolOutcome::Deny);
    expect(&l, "git log \"$(rm -rf /)\"", ToolOutcome::Deny);
    expect(&l, "sh -lc 'rm -rf /'", ToolOutcome::Deny);
    expect(&l, "bash -c 'git status'", ToolOutcome::Allow);
    expect(&l, "\\rm x", ToolOutcome::Deny);
    expect(&l, "'r''m' x", ToolOutcome::Deny);
    expect(&l, "nice -n 5 timeout 3 rm x", ToolOutcome::Deny);
    expect(&l, "/usr/bin/rm x", ToolOutcome::Deny);
    expect(&l, "/usr/bin/../bin/rm x", ToolOutcome::Deny);
    // `/tmp/git` is not `git`: no allow pattern matches it, so on_miss (deny).
    expect(&l, "/tmp/git status", ToolOutcome::Deny);
    expect(&l, "./git status", ToolOutcome::Deny);
    expect(&l, "/usr/bin/git status", ToolOutcome::Allow);
    // A wrapper by an untrusted path is opaque.
    expect(&l, "/tmp/nice git status", ToolOutcome::Deny);
    expect(&l, "/usr/bin/nice git status", ToolOutcome::Allow);
    // Unknown words: `ls *` must match for every value; `rm *` may.
    expect(&l, "ls $DIR", ToolOutcome::Allow);
    expect(&l, "git log $X", ToolOutcome::Allow);
    expect(&l, "$CMD status", ToolOutcome::Deny);
    expect(&l, "git $SUB", ToolOutcome::Deny);
}

#[test]
fn may_match_reads_unknown_words_as_anything() {
    let l = layer(&[], &["git push *"], &["rm -rf *"]);
    // With no allow pattern, a miss is allowed (a deny list).
    expect(&l, "git status", ToolOutcome::Allow);
    expect(&l, "rm $FLAGS /", ToolOutcome::Deny); // $FLAGS may be -rf
    expect(&l, "rm \"$F\" /", ToolOutcome::Deny);
    expect(&l, "rm -r /", ToolOutcome::Allow);
    expect(&l, "git $CMD", ToolOutcome::Ask); // may be `push`
    expect(&l, "git \"$CMD\" origin", ToolOutcome::Ask);
    expect(&l, "git \"$CMD\"", ToolOutcome::Ask); // one word that may be `push`; the final `*` takes zero more
    expect(&l, "git \"$A\" \"$B\" x", ToolOutcome::Ask);
    expect(&l, "git status \"$B\"", ToolOutcome::Allow);
}

#[test]
fn must_match_needs_every_value() {
    let l = layer(&["git log *", "cat *.txt", "echo ?"], &[], &[]);
    expect(&l, "git log $X", ToolOutcome::Allow);
    expect(&l, "cat a.txt", ToolOutcome::Allow);
    expect(&l, "cat \"$F\"", ToolOutcome::Deny); // one word, but not surely *.txt
    expect(&l, "echo a", ToolOutcome::Allow);
    expect(&l, "echo ab", ToolOutcome::Deny);
    let star = layer(&["cat *"], &[], &[]);
    expect(&star, "cat \"$F\"", ToolOutcome::Allow); // a lone `*` after `cat` takes any words
    let one = layer(&["cat * x"], &[], &[]);
    expect(&one, "cat \"$F\" x", ToolOutcome::Allow); // `*` as one argument matches any one word
    expect(&one, "cat $F x", ToolOutcome::Deny); // unquoted: any number of words
}

#[test]
fn inline_eval_is_matched_only_by_a_literal() {
    let l = layer(&["python3 *", "python3 -c 'print(1)'"], &[], &[]);
    expect(&l, "python3 script.py", ToolOutcome::Allow);
    expect(&l, "python3 -c 'import os'", ToolOutcome::Deny);
    expect(&l, "python3 -c 'print(1)'", ToolOutcome::Allow);
    expect(&l, "python3 $ARGS", ToolOutcome::Deny); // may be -c
    let glob = layer(&["node -? *"], &[], &[]);
    expect(&glob, "node -e 'x'", ToolOutcome::Deny);
}

#[test]
fn opaque_segments_take_on_opaque_and_never_allow() {
    let mut l = layer(&["ls *"], &[], &[]);
    expect(&l, "ls > out", ToolOutcome::Deny);
    expect(&l, "FOO=1 ls", ToolOutcome::Deny);
    expect(&l, "eval ls", ToolOutcome::Deny);
    expect(&l, "", ToolOutcome::Deny);
    l.on_opaque = ToolOutcome::Ask;
    expect(&l, "ls > out", ToolOutcome::Ask);
    let never = ExecLayer::new(ByOutcome { allow: rules(&["ls *"]), ..ByOutcome::default() }, None, Some(ToolOutcome::Allow), None);
    expect(&never, "ls > out", ToolOutcome::Deny);
}

#[test]
fn trusted_dirs_are_the_blocks_own() {
    let l = ExecLayer::new(ByOutcome { allow: rules(&["git *"]), ..ByOutcome::default() }, None, None, Some(vec!["/opt/bin/".into()]));
    expect(&l, "/opt/bin/git x", ToolOutcome::Allow);
    expect(&l, "/usr/bin/git x", ToolOutcome::Deny);
    expect(&l, "git x", ToolOutcome::Allow);
    let path = layer(&["/opt/x/bin/tool *"], &[], &[]);
    expect(&path, "/opt/x/bin/tool a", ToolOutcome::Allow);
    expect(&path, "/opt/x/bin/../bin/tool a", ToolOutcome::Allow);
    expect(&path, "tool a", ToolOutcome::Deny);
}

#[test]
fn pattern_syntax() {
    assert_eq!(CommandPattern::new(Vec::new()), Err(PatternError::Empty));
    for bad in ["./git", "git*", "../x", "/a/../b"] {
        assert!(CommandPattern::new(vec![bad.to_string()]).is_err(), "{bad}");
    }
    assert_eq!(pattern_words("git commit -m 'a b' \"c\\\"d\" e\\ f").unwrap(), ["git", "commit", "-m", "a b", "c\"d", "e f"]);
    assert!(pattern_words("git 'x").is_err());
    assert!(glob_match(b"a*b?c", b"aXXbYc"));
    assert!(!glob_match(b"a*b?c", b"aXXbc"));
    assert!(glob_match(b"*", b""));
}

mod expansions {
    //! Soundness over unknown words: a command with `$X`s is decided at
    //! least as strictly as every concrete command its variables could
    //! expand to. So `allow` implies every expansion is allowed by some
    //! allow pattern and denied by none (issue 15, property b).

    use super::*;
    use proptest::prelude::*;

    const VOCAB: &[&str] = &["git", "status", "push", "log", "rm", "-rf", "/", "x", "python3", "-c"];

    #[derive(Debug, Clone)]
    enum Piece {
        Word(usize),
        Quoted,
        Split,
    }

    fn piece() -> impl Strategy<Value = Piece> {
        prop_oneof![6 => (0..VOCAB.len()).prop_map(Piece::Word), 1 => Just(Piece::Quoted), 1 => Just(Piece::Split)]
    }

    fn render(pieces: &[Piece], values: &[Vec<usize>]) -> String {
        let mut vars = values.iter();
        let mut out = Vec::new();
        for p in pieces {
            match p {
                Piece::Word(w) => out.push(VOCAB[*w].to_string()),
                Piece::Quoted => out.push(format!("'{}'", VOCAB[vars.next().and_then(|v| v.first()).copied().unwrap_or(0)])),
                Piece::Split => out.extend(vars.next().into_iter().flatten().map(|w| VOCAB[*w].to_string())),
            }
        }
        out.join(" ")
    }

    fn abstract_text(pieces: &[Piece]) -> String {
        pieces
            .iter()
            .map(|p| match p {
                Piece::Word(w) => VOCAB[*w].to_string(),
                Piece::Quoted => "\"$Q\"".to_string(),
                Piece::Split => "$S".to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn layers() -> Vec<ExecLayer> {
        vec![
            layer(&["git status", "git log *", "rm x"], &["git push *"], &["rm -rf *"]),
            layer(&["git *", "python3 *"], &[], &["git push *", "rm * /"]),
            layer(&[], &["rm *"], &["git push x"]),
            layer(&["x -rf *", "x", "rm ? /"], &["python3 -c *"], &[]),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        #[test]
        fn unknown_words_are_decided_at_least_as_strictly_as_any_value(
            program in 0..VOCAB.len(),
            rest in proptest::collection::vec(piece(), 0..5),
            values in proptest::collection::vec(proptest::collection::vec(0..VOCAB.len(), 0..3), 5),
        ) {
            let mut pieces = vec![Piece::Word(program)];
            pieces.extend(rest);
            let vars: Vec<Vec<usize>> = pieces
                .iter()
                .filter(|p| !matches!(p, Piece::Word(_)))
                .zip(values.iter().cycle())
                .map(|(p, v)| if matches!(p, Piece::Quoted) { vec![v.first().copied().unwrap_or(0)] } else { v.clone() })
                .collect();
            let (abstract_command, concrete) = (abstract_text(&pieces), render(&pieces, &vars));
            for layer in layers() {
                let general = layer.decide(&parse(&abstract_command));
                let instance = layer.decide(&parse(&concrete));
                prop_assert!(general >= instance, "{abstract_command:?} is {general:?} but {concrete:?} is {instance:?}");
            }
        }
    }
}

#[test]
fn options_are_read_as_the_program_reads_them() {
    // Deny and ask: a leading cluster matches its letters in any order and
    // split, before `--`; with a final `*`, further options too.
    let deny = layer(&[], &["git clean -fd *"], &["rm -rf *"]);
    for spelling in [
        "rm -rf x",
        "rm -fr x",
        "rm -r -f x",
        "rm -f -r x",
        "rm -R -f x",
        "rm -rfv x",
        "rm --recursive --force x",
        "rm -r --force x",
        "rm x -rf",
        "rm -rf",
    ] {
        expect(&deny, spelling, ToolOutcome::Deny);
    }
    expect(&deny, "rm -r x", ToolOutcome::Allow);
    expect(&deny, "rm -f -- -r", ToolOutcome::Allow); // `-r` after `--` is a file name
    expect(&deny, "rm -f $X", ToolOutcome::Deny); // `$X` may be `-r`
    expect(&deny, "git clean -fd", ToolOutcome::Ask);
    expect(&deny, "git clean -df", ToolOutcome::Allow); // not the leading run: literal (`check` warns)

    // Allow: only for a program of the options table, and only when every
    // option word is letters that take no value.
    let allow = layer(&["rm -rf *", "ls -la", "tar -xf *"], &[], &[]);
    expect(&allow, "rm -fr build", ToolOutcome::Allow);
    expect(&allow, "rm -R -f build", ToolOutcome::Allow);
    expect(&allow, "rm --recursive -f build", ToolOutcome::Allow);
    expect(&allow, "rm -r build", ToolOutcome::Deny);
    expect(&allow, "ls -al", ToolOutcome::Allow);
    expect(&allow, "ls -l -a", ToolOutcome::Allow);
    expect(&allow, "ls -lah", ToolOutcome::Deny); // no final `*`: the same letters, no more
    expect(&allow, "ls -la $X", ToolOutcome::Deny);
    expect(&allow, "tar -xf a.tar", ToolOutcome::Allow);
    expect(&allow, "tar -fx a.tar", ToolOutcome::Deny); // tar is not in the table: `-fx` gives `f` the value `x`
    let chmod = layer(&["chmod -R *"], &[], &["chmod --recursive 777 *"]);
    expect(&chmod, "chmod --recursive 644 x", ToolOutcome::Allow);
    expect(&chmod, "chmod -R 777 /", ToolOutcome::Deny);
    expect(&chmod, "chmod -r x", ToolOutcome::Deny); // for chmod `-r` is a mode, not `-R`: no allow pattern
}

#[test]
fn inner_segments_meet_deny_and_ask_only() {
    let l = layer(&["sudo *", "xargs *", "find *"], &["curl *"], &["rm *"]);
    expect(&l, "sudo ls", ToolOutcome::Allow);
    expect(&l, "sudo rm x", ToolOutcome::Deny);
    expect(&l, "sudo -u bob curl x", ToolOutcome::Ask);
    expect(&l, "echo x | xargs rm", ToolOutcome::Deny);
    expect(&l, "find . -exec rm {} +", ToolOutcome::Deny);
    expect(&l, "find . -name x", ToolOutcome::Allow);
    expect(&l, "sudo -s", ToolOutcome::Deny); // the inner command is unread: on_opaque
    let python = layer(&["python3 *"], &[], &["python3 -c *"]);
    for spelling in ["python3 -c x", "python3 -Ic x", "python3 -c'x'", "python3.12 -c x", "/usr/bin/python3 -Bc x"] {
        expect(&python, spelling, ToolOutcome::Deny);
    }
    expect(&python, "python3 script.py", ToolOutcome::Allow);
    let node = layer(&[], &[], &["node -e *", "perl -e *"]);
    for spelling in ["node -p 1", "node --eval=1", "node --print 1", "nodejs -e 1", "perl -le 1", "perl -ne 1"] {
        expect(&node, spelling, ToolOutcome::Deny);
    }
}
