//! Issue 25's bypasses, each as an attacker writes it: under a deny list
//! the denied program must be denied (or, where Palisade cannot read the
//! text, asked about: never allowed), and under an allow list that names
//! only `echo` and `python3` nothing else may be allowed. Each of these was
//! allowed before the shell became the oracle (BRIEF section 6b); the
//! oracle test shows that bash, dash and busybox ash really run the `rm`.

use palisade::{ToolOutcome, ToolRequest};

const POLICY: &str = r#"
agent denylist {
  tools { allow exec  exec { deny "rm *", "python3 -c *", "node -e *", "perl -e *"  on_opaque ask } }
}
agent allowlist {
  tools { allow exec  exec { allow "echo *", "python3 *"  on_opaque ask } }
}
"#;

/// Each attack, and what the deny list must answer: `Deny` where the
/// denied program can be read, `Ask` where the text cannot be read exactly.
const ATTACKS: &[(&str, ToolOutcome)] = &[
    ("echo ${x:-'}'}; rm -rf / # '", ToolOutcome::Deny),
    ("echo $((rm -rf /) )", ToolOutcome::Deny),
    ("bash -ec 'rm -rf /'", ToolOutcome::Deny),
    ("sh -euc 'rm -rf /'", ToolOutcome::Deny),
    ("bash -c -- 'rm -rf /'", ToolOutcome::Deny),
    ("bash -l -c 'rm -rf /'", ToolOutcome::Deny),
    ("sudo rm -rf /", ToolOutcome::Deny),
    ("xargs rm", ToolOutcome::Deny),
    ("find . -exec rm {} +", ToolOutcome::Deny),
    ("coproc rm -rf /", ToolOutcome::Deny),
    ("mapfile -C 'rm -rf /' -c 1 x", ToolOutcome::Ask),
    ("compgen -C 'rm -rf /' x", ToolOutcome::Ask),
    ("let 'a[$(rm -rf /)]'", ToolOutcome::Ask),
    ("python3 -Ic 'import os'", ToolOutcome::Deny),
    ("python3 -c'import os'", ToolOutcome::Deny),
    ("python3.12 -c 'import os'", ToolOutcome::Deny),
    ("node -p 'require(\"fs\")'", ToolOutcome::Deny),
    ("perl -le 'unlink \"x\"'", ToolOutcome::Deny),
    ("echo ${x:-$(rm -rf /)}", ToolOutcome::Deny),
    ("case x in x) rm -rf /;; esac", ToolOutcome::Deny),
    ("echo > >(rm -rf /)", ToolOutcome::Deny),
];

fn decide(policy: &palisade::Policy, agent: &str, command: &str) -> ToolOutcome {
    policy.engine().decide_outcome(&ToolRequest::new(agent, "exec").with_command(command))
}

#[test]
fn a_deny_list_sees_the_denied_program_in_every_spelling() {
    let policy = palisade::Policy::from_dsl("attacks.pal", POLICY).unwrap();
    let wrong: Vec<String> = ATTACKS
        .iter()
        .filter_map(|(command, want)| {
            let got = decide(&policy, "denylist", command);
            (got != *want).then(|| format!("{command:?}: {} (want {})", got.name(), want.name()))
        })
        .collect();
    assert!(wrong.is_empty(), "deny list:\n{}", wrong.join("\n"));
}

#[test]
fn an_allow_list_allows_none_of_them() {
    let policy = palisade::Policy::from_dsl("attacks.pal", POLICY).unwrap();
    let allowed: Vec<&str> = ATTACKS.iter().map(|(c, _)| *c).filter(|c| decide(&policy, "allowlist", c) == ToolOutcome::Allow).collect();
    assert!(allowed.is_empty(), "allowed by `echo *`, `python3 *`: {allowed:#?}");
}
