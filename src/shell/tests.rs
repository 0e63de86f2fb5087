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
            if let Some(runner) = &s.runner {
                parts.push(format!("by {runner}"));
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
    check("echo $((x+2))", &["echo *? !Arithmetic"]);
    check("echo ${a[0]} ${a[*]} ${x:-1} ${#x} ${x:=1} ${x:+1} ${x:?1} ${!}", &["echo *? *? *? *? *? *? *? *?"]);
    for evaluates in ["${a[i]}", "${x:1}", "${x: -1}", "${!x}", "${!x[@]}", "$[x]", "$((x))", "$(( $y ))"] {
        check(&format!("echo {evaluates}"), &["echo *? !Arithmetic"]);
    }
    check("echo $", &["echo $"]);
    check("$CMD -rf /", &["*? -rf / !UnknownProgram"]);
    check("\"$CMD\" x", &["? x !UnknownProgram"]);
}

#[test]
fn substitutions_are_opaque_and_their_commands_are_segments() {
    check("echo $(rm -rf /)", &["rm -rf /", "echo *? !Substitution"]);
    check("echo \"$(rm -rf /)\"", &["rm -rf /", "echo ? !Substitution"]);
    check("echo `rm -rf /`", &["rm -rf /", "echo *? !Substitution"]);
    check("diff <(ls a) >(tee b)", &["ls a", "tee b", "diff ? ? !Substitution"]);
    check("echo ${x:-$(id)}", &["id", "echo *? !Substitution"]);
    check("echo $(( $(id) ))", &["id", "echo *? !Arithmetic"]);
    check("echo > >(rm -rf /)", &["rm -rf /", "echo !Redirection"]);
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
    check("cat <<EOF\nhi\nEOF", &["cat !HereDocument"]);
    check("cat <<EOF\n$(rm x)\nEOF\nls", &["cat !HereDocument", "rm x", "ls"]);
    check("cat <<'EOF'\n$(rm x)\nEOF\nls", &["cat !HereDocument", "ls"]);
    check("cat <<-EOF; ls\n\t`rm y`\n\tEOF", &["cat !HereDocument", "ls", "rm y"]);
    check("cat <<EOF\nno end", &["!Unparsed"]);
    check("cat <<< hi", &["cat !HereDocument"]);
}

#[test]
fn assignments_functions_and_compounds_are_opaque() {
    check("FOO=1 git status", &["git status !Assignment"]);
    check("PATH=/tmp", &["!Assignment"]);
    check("a+=b", &["!Assignment"]);
    check("git log --format=x", &["git log --format=x"]);
    check("f() { rm -rf /; }; f", &["f !Function", "rm -rf /", "f"]);
    check("function f { ls; }", &["function f *? !Function", "ls"]);
    check("function f() { rm -rf /; }", &["function f *? !Function", "rm -rf /"]);
    check("if true; then rm -rf /; fi", &["!Compound", "true", "rm -rf /"]);
    check("for f in a b; do rm $f; done", &["!Compound", "f in a b", "rm *?"]);
    check("while read l; do echo $l; done", &["!Compound", "read l", "echo *?"]);
    check("[[ -f x ]] && ls", &["!Arithmetic", "ls"]);
    check("[[ $(rm x) == y ]]", &["!Arithmetic", "rm x"]);
    check("(( x++ ))", &["!Arithmetic"]);
    check("((rm x) )", &["rm x"]);
    // Found by the shell_oracle fuzz target: bash ends a `$((` that is not
    // arithmetic by counting parentheses, then parses what it holds.
    check("ls $((a; case b in x) case c in x) touch", &["!Unparsed", "ls *? touch !Substitution"]);
    check("ls $((a) ; b) c", &["a", "b", "ls *? c !Substitution"]);
    check("case $x in a) ls;; (b|c) rm -rf /;& *) ;; esac; id", &["!Compound", "ls", "rm -rf /", "id"]);
    check("case x in\n a) ls\nesac", &["!Compound", "ls"]);
}

#[test]
fn builtins_that_run_text_are_opaque() {
    for builtin in
        ["eval", "source", ".", "alias", "enable", "hash", "export", "declare", "typeset", "set", "unset", "shopt", "readonly", "local", "builtin"]
    {
        check(&format!("{builtin} x"), &[&format!("{builtin} x !Builtin")]);
    }
    for word in [
        "trap x",
        "fc x",
        "let x",
        "mapfile -C x",
        "readarray x",
        "compgen -C x",
        "complete -C x",
        "getopts x",
        "jobs -x x",
        "printf -v x",
        "read -a x",
        "read 'a[1]'",
        "test -v x",
        "wait -p x",
    ] {
        check(word, &[&format!("{word} !CommandWord").replace('\'', "")]);
    }
    check("coproc rm -rf /", &["!CommandWord", "rm -rf /"]);
    check("printf x; read line; test -f x; jobs", &["printf x", "read line", "test -f x", "jobs"]);
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
    check("time -p git status", &["time -p git status !WrapperOptions"]);
    check("nohup -- git status", &["nohup -- git status !WrapperOptions"]);
    check("nice -n19 git", &["nice -n19 git !WrapperOptions"]);
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
}

#[test]
fn programs_that_run_programs_are_judged_twice() {
    check("sudo rm -rf /", &["sudo rm -rf /", "rm -rf / by sudo"]);
    check("sudo -u bob -E rm x", &["sudo -u bob -E rm x", "rm x by sudo"]);
    check("sudo -s", &["sudo -s", "!WrapperOptions by sudo"]);
    check("sudo nice rm x", &["sudo nice rm x", "rm x by sudo"]);
    check("sudo bash -c 'rm x; ls'", &["sudo bash -c rm x; ls", "rm x by sudo", "ls by sudo"]);
    check("doas rm x", &["doas rm x", "rm x by doas"]);
    check("su -c 'rm x' root", &["su -c rm x root", "rm x by su"]);
    check("su root", &["su root", "!UnknownScript by su"]);
    check("xargs rm", &["xargs rm", "rm *? by xargs"]);
    check("xargs", &["xargs", "echo *? by xargs"]);
    check("xargs -0 -n 1 rm -f", &["xargs -0 -n 1 rm -f", "rm -f *? by xargs"]);
    check("xargs -I{} mv {} x", &["xargs -I{} mv {} x", "mv ? ? by xargs"]);
    check("xargs --bogus rm", &["xargs --bogus rm", "!WrapperOptions by xargs"]);
    check("find . -name x -exec rm {} +", &["find . -name x -exec rm {} +", "rm *? by find"]);
    check("find . -execdir rm -f {} \\; -ok cat {} \\;", &["find . -execdir rm -f {} ; -ok cat {} ;", "rm -f ? by find", "cat ? by find"]);
    check("find . -exec rm", &["find . -exec rm", "!WrapperOptions by find"]);
    check("find . -name x", &["find . -name x"]);
    check("watch -n 1 'rm x; ls'", &["watch -n 1 rm x; ls", "rm x by watch", "ls by watch"]);
    check("setsid -f rm x", &["setsid -f rm x", "rm x by setsid"]);
    check("chroot /srv rm x", &["chroot /srv rm x", "rm x by chroot"]);
    check("flock /tmp/l rm x", &["flock /tmp/l rm x", "rm x by flock"]);
    check("flock /tmp/l -c 'rm x'", &["flock /tmp/l -c rm x", "rm x by flock"]);
    check("ionice -c 3 rm x", &["ionice -c 3 rm x", "rm x by ionice"]);
    check("chrt -f 10 rm x", &["chrt -f 10 rm x", "rm x by chrt"]);
    check("taskset -c 0 rm x", &["taskset -c 0 rm x", "rm x by taskset"]);
    check("unshare -n rm x", &["unshare -n rm x", "rm x by unshare"]);
    check("nsenter -t 1 -m rm x", &["nsenter -t 1 -m rm x", "rm x by nsenter"]);
    check("script -q -c 'rm x' /dev/null", &["script -q -c rm x /dev/null", "rm x by script"]);
    check("ssh -p 22 host rm -rf /", &["ssh -p 22 host rm -rf /", "rm -rf / by ssh"]);
    check("ssh host", &["ssh host", "!UnknownScript by ssh"]);
    check("parallel rm ::: a", &["parallel rm ::: a", "!WrapperOptions by parallel"]);
}

#[test]
fn shells_with_a_script_are_parsed_again() {
    check("bash -c 'git status; rm -rf /'", &["git status", "rm -rf /"]);
    check("sh -lc \"rm -rf /\"", &["rm -rf /"]);
    check("zsh -c \"$X\"", &["zsh -c ? !UnknownScript"]);
    check("bash -c", &["bash -c !UnknownScript"]);
    for spelling in [
        "bash -ec",
        "sh -euc",
        "bash -c --",
        "bash -l -c",
        "bash -cl",
        "bash --norc -c",
        "bash -o errexit -c",
        "dash -xc",
        "ksh -c",
        "zsh -c",
        "ash -c",
        "busybox sh -c",
        "/bin/bash -c",
        "bash -c -e",
    ] {
        let shape = shape(&format!("{spelling} 'rm -rf /'"));
        assert_eq!(shape.first().map(|s| s.split(" via").next().unwrap_or_default()), Some("rm -rf /"), "{spelling}: {shape:?}");
    }
    for opaque in ["bash script.sh", "sh -s", "bash -i", "bash", "bash --rcfile", "bash --debugger -c x", "sh -c \"$X\""] {
        assert_eq!(parse(opaque).first().and_then(|s| s.opaque), Some(Opaque::UnknownScript), "{opaque}");
    }
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

/// Explanations quote a segment as written: its place in the text holds a
/// command that parses to the same segment (where it is no construct
/// around the command), and inner texts that stand verbatim are found.
#[test]
fn segments_know_where_they_are_written() {
    let written = |command: &str| -> Vec<(String, bool)> {
        parse(command).iter().map(|s| (s.written_in(command).unwrap_or("?").to_string(), s.written_around)).collect()
    };
    let exact = |texts: &[&str]| texts.iter().map(|t| (t.to_string(), false)).collect::<Vec<_>>();
    assert_eq!(written("rm -rf ~; ls \"$HOME\"/x | grep 'a b'"), exact(&["rm -rf ~", "ls \"$HOME\"/x", "grep 'a b'"]));
    assert_eq!(written("FOO=1 nice -n 5 rm -rf ~ 2>/dev/null &"), exact(&["FOO=1 nice -n 5 rm -rf ~ 2>/dev/null"]));
    assert_eq!(written("bash -c 'ls; rm -rf ~'"), exact(&["ls", "rm -rf ~"]));
    assert_eq!(written("echo $(rm -rf ~) `ls -l`"), exact(&["rm -rf ~", "ls -l", "echo $(rm -rf ~) `ls -l`"]));
    assert_eq!(written("sh -c \"sh -c 'rm -rf ~'\""), exact(&["rm -rf ~"]));
    assert_eq!(written("cat <<EOF\n$(rm -rf ~)\nEOF"), exact(&["cat <<EOF", "rm -rf ~"]));
    assert_eq!(written("if true; then f() { rm x; }; fi"), exact(&["if", "true", "f()", "rm x"]));
    assert_eq!(written("echo 'x"), exact(&["echo 'x"]));
    // Not verbatim (an escape inside double quotes): the construct around it.
    let script = "bash -c \"ls \\\"a b\\\"\"";
    assert_eq!(written(script), vec![(script.to_string(), true)]);
    // An inner segment keeps the command it is in.
    assert_eq!(written("sudo rm -rf ~"), exact(&["sudo rm -rf ~", "sudo rm -rf ~"]));

    for command in ["rm -rf ~", "git log --oneline | head -n 3", "a && b || c; d & e", "FOO=1 env -- ls $X > /dev/null", "echo $(rm -rf /) x"] {
        for segment in parse(command).iter().filter(|s| s.runner.is_none() && !s.written_around) {
            let alone = segment.written_in(command).map(parse).unwrap_or_default();
            assert!(alone.iter().any(|s| s.words == segment.words && s.opaque == segment.opaque), "{command:?}: {segment:?} vs {alone:?}");
        }
    }
}
