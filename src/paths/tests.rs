use super::*;

fn path(text: &str) -> AnchoredPath<'_> {
    normalize(text).unwrap()
}

fn glob(text: &str) -> PathGlob {
    PathGlob::new(text).unwrap()
}

#[test]
fn paths_are_read_lexically_with_their_anchor() {
    let cases = [
        ("src/main.rs", "src/main.rs", Anchor::Workspace),
        ("./src//./main.rs", "src/main.rs", Anchor::Workspace),
        ("src/../README.md", "README.md", Anchor::Workspace),
        ("a/b/../../c", "c", Anchor::Workspace),
        (".", ".", Anchor::Workspace),
        ("~/.ssh/id_rsa", "~/.ssh/id_rsa", Anchor::Home),
        ("~", "~", Anchor::Home),
        ("~/a/..", "~", Anchor::Home),
        ("/etc/../etc/passwd", "/etc/passwd", Anchor::Root),
        ("/../../etc", "/etc", Anchor::Root),
        ("//etc", "/etc", Anchor::Root),
        // `~user` is not the home directory: a workspace name like any other.
        ("~bob/x", "~bob/x", Anchor::Workspace),
        ("./~/x", "./~/x", Anchor::Workspace),
        ("./~", "./~", Anchor::Workspace),
    ];
    for (text, shown, anchor) in cases {
        let read = path(text);
        assert_eq!((read.to_string().as_str(), read.anchor()), (shown, anchor), "{text}");
    }
}

#[test]
fn paths_that_cannot_be_read_are_errors() {
    assert!(matches!(normalize("../etc/passwd"), Err(PathError::Escapes(_, "workspace"))));
    assert!(matches!(normalize("src/../../x"), Err(PathError::Escapes(..))));
    assert!(matches!(normalize("~/../root"), Err(PathError::Escapes(_, "home directory"))));
    assert!(matches!(normalize("a\0b"), Err(PathError::Nul(_))));
    assert!(matches!(normalize(""), Err(PathError::Empty(_))));
    // A name of whitespace is a name; printed, it reads back as itself (the fuzzer's find).
    assert_eq!(normalize("\r/").map(|p| p.to_string()), Ok("\r".to_string()));
    assert_eq!(normalize("\r"), normalize("\r/"));
    assert!(matches!(normalize(&"a/".repeat(COMPONENT_CAP)), Err(PathError::TooLong(..))));
    assert!(matches!(normalize(&"a".repeat(PATH_CAP + 1)), Err(PathError::TooLong(..))));
    assert!(normalize(&"a".repeat(PATH_CAP)).is_ok());
}

#[test]
fn absolute_paths_normalise_as_before() {
    for (text, want) in [("/usr/bin/../bin/git", "/usr/bin/git"), ("/", "/"), ("/..", "/"), ("a/./b", "/a/b"), ("//x//y/", "/x/y")] {
        assert_eq!(normalize_absolute(text), want, "{text}");
    }
}

#[test]
fn globs_match_as_gitignore_does() {
    // (pattern, path, must_match, may_match)
    let cases = [
        ("src/**", "src/main.rs", true, true),
        ("src/**", "src/a/b/c.rs", true, true),
        ("src/**", "lib/src/x", false, false),
        ("src", "src/a.rs", true, true),
        ("/src", "src/a.rs", true, true),
        ("./src/*.rs", "src/a.rs", true, true),
        ("src/*.rs", "src/a/b.rs", false, false),
        ("src/**/*.rs", "src/a/b.rs", true, true),
        ("src/**/*.rs", "src/b.rs", true, true),
        // A bare name floats: any depth; allow only in the workspace.
        (".env", ".env", true, true),
        (".env", "config/.env", true, true),
        (".env", "~/.env", false, true),
        (".env", "/srv/app/.env", false, true),
        ("**/.env", "a/b/.env", true, true),
        ("*.pem", "keys/server.pem", true, true),
        ("node_modules/", "web/node_modules/x/y.js", true, true),
        // Home and root anchors.
        ("~/.ssh/**", "~/.ssh/id_rsa", true, true),
        ("~/.ssh/**", "/home/u/.ssh/id_rsa", false, true),
        ("~/.ssh/**", ".ssh/id_rsa", false, true),
        ("//etc/**", "/etc/passwd", true, true),
        ("//etc/**", "etc/passwd", false, false),
        ("//etc/**", "~/etc/passwd", false, false),
        // Case: as written for allow, folded for deny.
        (".env", ".ENV", false, true),
        ("src/**", "SRC/a", false, true),
        // Classes and single characters.
        ("log[0-9].txt", "log7.txt", true, true),
        ("log[!0-9].txt", "log7.txt", false, false),
        ("log[!0-9].txt", "logx.txt", true, true),
        // Folded, a negated class may take any case of a letter: `A` is not `a`.
        ("[!a]", "A", true, true),
        ("[!a]", "a", false, true),
        ("[!0-9]", "7", false, false),
        ("a?c", "abc", true, true),
        ("a?c", "abbc", false, false),
        ("é*", "éclair", true, true),
        ("\\*", "*", true, true),
        ("\\*", "x", false, false),
    ];
    for (pattern, text, must, may) in cases {
        let (g, p) = (glob(pattern), path(text));
        assert_eq!((g.must_match(&p), g.may_match(&p)), (must, may), "`{pattern}` on `{text}`");
    }
}

#[test]
fn patterns_that_match_nothing_sensible_are_refused() {
    assert_eq!(PathGlob::new("!src/**"), Err(GlobError::Negation));
    assert_eq!(PathGlob::new("src/../x"), Err(GlobError::Parent));
    assert_eq!(PathGlob::new("log[0-9"), Err(GlobError::UnclosedClass));
    assert_eq!(PathGlob::new("**"), Err(GlobError::Empty));
    assert_eq!(PathGlob::new(""), Err(GlobError::Empty));
    assert_eq!(PathGlob::new("a\0"), Err(GlobError::TooLong));
    assert_eq!(glob("//").anchor(), Some(Anchor::Root));
}

proptest::proptest! {
    /// Must implies may: no path is allowed by a pattern that, read as a
    /// deny, would not also deny it.
    #[test]
    fn must_implies_may(pattern in "(//|~/|/|\\./)?([a-cA.*?]{1,3}|\\[!?[a-bA]{1,2}\\]|\\*\\*)(/([a-c.*?]{1,3}|\\[!?[aB]\\]|\\*\\*)){0,3}/?",
                        text in "(~/|/)?[a-cA-C.]{1,3}(/[a-cA-C.]{1,3}){0,4}") {
        if let (Ok(g), Ok(p)) = (PathGlob::new(&pattern), normalize(&text)) {
            proptest::prop_assert!(!g.must_match(&p) || g.may_match(&p), "`{pattern}` on `{text}`");
        }
    }

    /// Normalising is idempotent: the printed form reads back as itself.
    #[test]
    fn normalising_twice_changes_nothing(text in "(~/|/|\\./)?([a-b~]|\\.|\\.\\.){0,2}(/([a-b~]|\\.|\\.\\.|)){0,6}") {
        if let Ok(p) = normalize(&text) {
            let printed = p.to_string();
            let again = normalize(&printed).unwrap();
            proptest::prop_assert_eq!(again, p);
        }
    }
}
