//! The shell front end against the constructs of ARCHITECTURE.md's Exec
//! commands, one line per segment: known words as text, `?` a quoted unknown
//! word, `*?` an unquoted one, `!Reason` when opaque.

use super::{parse, Opaque, Word, MAX_COMMAND_BYTES};

fn shape(command: &str) -> Vec<String> {
    parse(command)
        .into_iter()
        .map(|s| {
            let mut parts: Vec<String> = s
                .words
                .iter()
                .map(|w| match w {
                    Word::Known(text) => text.to_string(),
                    Word::Unknown { split: false } => "?".into(),
                    Word::Unknown { split: true } => "*?".into(),
                })
                .collect();
            if let Some(reason) = s.opaque {
                parts.push(format!("!{reason:?}"));
            }
            if !s.via.is_empty() {
                parts.push(format!("via {}", s.via.join(",")));
            }
            parts.join(" ")
        })
        .collect()
}

#[track_caller]
fn check(command: &str, want: &[&str]) {
    assert_eq!(shape(command), want, "{command:?}");
}

#[test]
fn connectors_split_segments() {
    check("git status", &["git status"]);
    check("git status; rm -rf /", &["git status", "rm -rf /"]);
    check("a && b || c | d |& e & f", &["a", "b", "c", "d", "e", "f"]);
    check("a\nb\n\nc", &["a", "b", "c"]);
    check("! a", &["a"]);
    check("(a; b) && { c; d; }", &["a", "b", "c", "d"]);
    check("a # b; c", &["a"]);
    check("a#b", &["a#b"]);
}

#[test]
fn quote_removal_is_exact() {
    for spelling in [r"\rm -rf /", "'r''m' -rf /", r"r\m -rf /", "r\\\nm -rf /", "\"rm\" -rf /", "r'm' -rf /"] {
        check(spelling, &["rm -rf /"]);
    }
    check("echo 'a b' \"c d\" e\\ f", &["echo a b c d e f"]);
    check("echo \"a\\\"b\\$c\\\\d\\e\"", &["echo a\"b$c\\d\\e"]);
    check("echo a \\\n b", &["echo a b"]);
    // Text is copied whole: non-ASCII words and escapes survive.
    check("echo 'héllo' ü \\é \"ß\"", &["echo héllo ü é ß"]);
}

#[test]
fn expansions_are_unknown_words() {
    check("echo $HOME", &["echo *?"]);
    check("echo \"$HOME\"", &["echo ?"]);
    check("echo \"$@\"", &["echo *?"]);
    check("echo \"${a[@]}\"", &["echo *?"]);
    check("echo ${HOME}/x", &["echo *?"]);
    check("echo *.txt", &["echo *?"]);
    check("echo file?", &["echo *?"]);
    check("echo [ab]", &["echo *?"]);
    check("echo {a,b}", &["echo *?"]);
    check("echo ~/x", &["echo *?"]);
    check("echo a~b", &["echo a~b"]);
    check("echo $'\\x72m'", &["echo ?"]);
    check("echo $((1+2))", &["echo *?"]);
    check("echo $", &["echo $"]);
    check("$CMD -rf /", &["*? -rf / !UnknownProgram"]);
    check("\"$CMD\" x", &["? x !UnknownProgram"]);
}

#[test]
fn substitutions_are_opaque_and_their_commands_are_segments() {
    check("echo $(rm -rf /)", &["rm -rf /", "echo *? !Substitution"]);
    check("echo \"$(rm -rf /)\"", &["rm -rf /", "echo ? !Substitution"]);
    check("echo `rm -rf /`", &["rm -rf /", "echo *? !Substitution"]);
    check("diff <(ls a) >(tee b)", &["ls a", "tee b", "diff !Substitution"]);
    check("echo ${x:-$(id)}", &["echo *? !Substitution"]);
    check("echo $(( $(id) ))", &["echo *? !Substitution"]);
    check("echo $(echo $(whoami))", &["whoami", "echo *? !Substitution", "echo *? !Substitution"]);
}

#[test]
fn redirections_other_than_dev_null_are_opaque() {
    check("ls >/dev/null 2>&1", &["ls"]);
    check("ls 2>/dev/null", &["ls"]);
    check("ls &>/dev/null", &["ls"]);
    check("ls </dev/null >&2 3>&-", &["ls"]);
    check("ls > out.txt", &["ls !Redirection"]);
    check("ls >> ~/.bashrc", &["ls !Redirection"]);
    check("ls 2> err", &["ls !Redirection"]);
    check("cat < /etc/shadow", &["cat !Redirection"]);
    check("ls >& file", &["ls !Redirection"]);
    check("> file", &["!Redirection"]);
    check("cat <<EOF\nhi\nEOF", &["cat !HereDocument", "hi", "EOF"]);
    check("cat <<< hi", &["cat !HereDocument"]);
}

#[test]
fn assignments_functions_and_compounds_are_opaque() {
    check("FOO=1 git status", &["git status !Assignment"]);
    check("PATH=/tmp", &["!Assignment"]);
    check("a+=b", &["!Assignment"]);
    check("git log --format=x", &["git log --format=x"]);
    check("f() { rm -rf /; }; f", &["f !Function", "rm -rf /", "f"]);
    check("function f { ls; }", &["!Function", "ls"]);
    check("function f() { rm -rf /; }", &["!Function", "rm -rf /"]);
    check("if true; then rm -rf /; fi", &["!Compound", "true", "rm -rf /"]);
    check("for f in a b; do rm $f; done", &["!Compound", "f in a b", "rm *?"]);
    check("while read l; do echo $l; done", &["!Compound", "read l", "echo *?"]);
    check("[[ -f x ]] && ls", &["!Compound", "-f x *?", "ls"]);
    check("(( x++ ))", &["!Compound"]);
    check("case $x in a) ls;; esac", &["!Unparsed"]);
}

#[test]
fn builtins_that_run_text_are_opaque() {
    for builtin in [
        "eval", "source", ".", "alias", "trap", "enable", "hash", "export", "declare", "typeset", "set", "unset", "shopt", "readonly", "local",
        "builtin",
    ] {
        check(&format!("{builtin} x"), &[&format!("{builtin} x !Builtin")]);
    }
}

#[test]
fn wrappers_are_looked_through() {
    check("nice git status", &["git status"]);
    check("nice -n 5 git status", &["git status"]);
    check("nice -5 git status", &["nice -5 git status !WrapperOptions"]);
    check("nohup git status", &["git status"]);
    check("timeout 5 git status", &["git status"]);
    check("timeout -s KILL -k 2 --preserve-status 1.5m git status", &["git status"]);
    check("timeout --bogus 5 git", &["timeout --bogus 5 git !WrapperOptions"]);
    check("stdbuf -oL -e 0 git status", &["git status"]);
    check("time -p git status", &["git status"]);
    check("command git status", &["git status"]);
    check("command -v git", &["command -v git"]);
    check("exec git status", &["git status"]);
    check("env git status", &["git status"]);
    check("env -i git status", &["env -i git status !WrapperOptions"]);
    check("env FOO=1 git status", &["env FOO=1 git status !WrapperOptions"]);
    check("busybox rm -rf /", &["rm -rf /"]);
    check("nice timeout 5 nohup env rm -rf /", &["rm -rf /"]);
    check("/usr/bin/nice rm x", &["rm x via /usr/bin/nice"]);
    check("./nice rm x", &["./nice rm x"]);
    check("nice", &["nice"]);
    for never in ["sudo rm -rf /", "doas rm -rf /", "su -c 'rm -rf /'", "xargs rm"] {
        let program = never.split(' ').next().unwrap_or_default();
        assert_eq!(parse(never).first().and_then(|s| s.program()), Some(program), "{never}");
    }
}

#[test]
fn shells_with_a_script_are_parsed_again() {
    check("bash -c 'git status; rm -rf /'", &["git status", "rm -rf /"]);
    check("sh -lc \"rm -rf /\"", &["rm -rf /"]);
    check("zsh -c \"$X\"", &["zsh -c ? !UnknownScript"]);
    check("bash script.sh", &["bash script.sh"]);
    check("bash -c", &["bash -c !UnknownScript"]);
    // Depth 4 is parsed; one more is opaque.
    let mut command = "rm -rf /".to_string();
    for _ in 0..4 {
        command = format!("sh -c {}", quote(&command));
    }
    check(&command, &["rm -rf /"]);
    check(&format!("sh -c {}", quote(&command)), &["!TooDeep"]);
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

#[test]
fn text_that_does_not_parse_is_one_opaque_segment() {
    for bad in ["echo 'unterminated", "echo \"x", "echo $(ls", "echo `ls", "ls )", "echo a(b", "ls >", "echo \\"] {
        check(bad, &["!Unparsed"]);
    }
    check(&"a".repeat(MAX_COMMAND_BYTES + 1), &["!TooLarge"]);
    let deep = format!("{}ls{}", "( ".repeat(40), " )".repeat(40));
    check(&deep, &["!TooDeep"]);
    assert_eq!(parse(&"$(".repeat(5000)).first().and_then(|s| s.opaque), Some(Opaque::TooDeep));
}
