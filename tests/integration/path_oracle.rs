//! Path patterns against git's own gitignore matcher, the real thing: for
//! generated patterns and workspace paths, `PathGlob::must_match` (what an
//! allow rule needs) must say what `git check-ignore --no-index` says of a
//! file at that path, and `may_match` (what deny and ask need) must say yes
//! wherever git does. Every path is a file, as file tools touch files.

use std::io::Write;
use std::process::{Command, Stdio};

use palisade::{normalize_path, PathGlob};

/// Seeded xorshift: the same cases on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

const PATH_PARTS: &[&str] = &["a", "b", "ab", "ba", "aab", ".a", "a.b", "x"];
const PATTERN_PARTS: &[&str] = &["a", "b", "ab", "*", "?", "a*", "*b", "[ab]", "[!a]", "**", ".a", "*.b", "a?b", "x"];

fn pattern(rng: &mut Rng) -> String {
    let count = 1 + rng.below(3);
    let parts: Vec<&str> = (0..count).map(|_| rng.pick(PATTERN_PARTS)).collect();
    let lead = ["", "", "/", "**/"][rng.below(4)];
    let trail = ["", "", "", "/", "/**"][rng.below(5)];
    format!("{lead}{}{trail}", parts.join("/"))
}

fn path(rng: &mut Rng) -> String {
    let count = 1 + rng.below(4);
    (0..count).map(|_| rng.pick(PATH_PARTS)).collect::<Vec<_>>().join("/")
}

/// Which of `paths` git's matcher ignores under a `.gitignore` of `pattern` alone.
fn git_ignores(repo: &std::path::Path, pattern: &str, paths: &[String]) -> Vec<bool> {
    std::fs::write(repo.join(".gitignore"), format!("{pattern}\n")).unwrap();
    let mut child = Command::new("git")
        .args(["-c", "core.ignorecase=false", "check-ignore", "--no-index", "-v", "-n", "--stdin"])
        .current_dir(repo)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(paths.join("\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), paths.len(), "git check-ignore answered {} lines for {} paths:\n{text}", lines.len(), paths.len());
    // `-n -v`: `SOURCE:LINE:PATTERN<TAB>PATH`, with `::` for no match.
    lines.iter().map(|l| !l.starts_with("::")).collect()
}

/// Whether the oracle `program` runs here; in CI it must.
fn installed(program: &str) -> bool {
    if Command::new(program).arg("--version").output().is_ok() {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "the path oracle needs {program} in CI");
    eprintln!("SKIPPED: {program} is not installed; this path oracle does not run");
    false
}

#[test]
fn path_patterns_match_as_git_does() {
    if !installed("git") {
        return;
    }
    let repo = std::env::temp_dir().join(format!("palisade-path-oracle-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&repo);
    std::fs::create_dir_all(&repo).unwrap();
    let init = Command::new("git").args(["init", "-q"]).current_dir(&repo).status().unwrap();
    assert!(init.success());

    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let paths: Vec<String> = {
        let mut all: Vec<String> = (0..120).map(|_| path(&mut rng)).collect();
        all.sort();
        all.dedup();
        all
    };
    let mut patterns: Vec<String> = (0..400).map(|_| pattern(&mut rng)).collect();
    patterns.extend(["src/**", "**/.env", ".env", "*.pem", "build/", "/a", "a/**/b", "a/**", "**/a/**"].map(String::from));
    let mut disagreements = Vec::new();
    let mut compared = 0;
    for pattern in &patterns {
        let Ok(glob) = PathGlob::new(pattern) else { continue };
        let git = git_ignores(&repo, pattern, &paths);
        for (text, git_says) in paths.iter().zip(git) {
            let path = normalize_path(text).unwrap();
            compared += 1;
            let (must, may) = (glob.must_match(&path), glob.may_match(&path));
            if must != git_says || (git_says && !may) {
                disagreements.push(format!("`{pattern}` on `{text}`: git {git_says}, must_match {must}, may_match {may}"));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&repo);
    assert!(compared > 20_000, "only {compared} comparisons");
    assert!(
        disagreements.is_empty(),
        "{} of {compared} disagree with git:\n{}",
        disagreements.len(),
        disagreements.iter().take(40).cloned().collect::<Vec<_>>().join("\n")
    );
}

/// The normaliser against coreutils' `realpath -m -s` (lexical, no
/// symlinks followed): the same path for every workspace path, and an error
/// exactly where realpath climbs out of the workspace.
#[test]
fn paths_normalise_as_realpath_does() {
    if !installed("realpath") {
        return;
    }
    const PARTS: &[&str] = &["a", "b", ".", "..", "", "c.d", "..."];
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut texts: Vec<String> = (0..600)
        .map(|_| {
            let count = 1 + rng.below(6);
            (0..count).map(|_| rng.pick(PARTS)).collect::<Vec<_>>().join("/")
        })
        .filter(|t| !t.trim().is_empty() && !t.starts_with('/'))
        .collect();
    texts.sort();
    texts.dedup();
    let workspace = "/palisade-oracle-ws/w";
    let out = Command::new("realpath")
        .args(["-m", "-s", "--relative-to", workspace])
        .args(texts.iter().map(|t| format!("{workspace}/{t}")))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let answers = String::from_utf8(out.stdout).unwrap();
    let answers: Vec<&str> = answers.lines().collect();
    assert_eq!(answers.len(), texts.len());
    let mut disagreements = Vec::new();
    for (text, real) in texts.iter().zip(answers) {
        let ours = normalize_path(text);
        let agree = match &ours {
            Ok(path) => path.to_string() == real,
            Err(palisade::PathError::Escapes(..)) => real == ".." || real.starts_with("../"),
            Err(_) => false,
        };
        if !agree {
            disagreements.push(format!("`{text}`: realpath `{real}`, Palisade {ours:?}"));
        }
    }
    assert!(texts.len() > 300, "only {} paths", texts.len());
    assert!(disagreements.is_empty(), "{} of {} disagree with realpath:\n{}", disagreements.len(), texts.len(), disagreements.join("\n"));
}
