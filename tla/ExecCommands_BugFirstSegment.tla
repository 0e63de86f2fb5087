---- MODULE ExecCommands_BugFirstSegment ----
\* Negative variant of ExecCommands (claim 15). The bug: the first segment alone decides, so `git status; rm -rf /` is as
\* allowed as `git status`.
\* Must violate OnlyIfEverySegment.
\*
\* The positive header, for reference.
\* Claim 15, command rules: a command is allowed only if every program it
\* may run is a segment that is allowed, and none is opaque. Chaining, a
\* wrapper, a shell's script (with an option cluster), a substitution (in
\* `$(...)` or backticks), a redirection, a `${...}` whose default holds a
\* quoted `}`, and a program that runs another (`sudo`, `xargs`) cannot hide
\* a segment.
\*
\* Universe: every command built from a small alphabet (two programs, an
\* argument that is absent, literal or an unknown word `$X`; a unit is
\* plain, `nice`, `sh -c '...'`, `bash -ec '...'`, `git $(...)`,
\* `` git `...` ``, `sudo ...`, `xargs ...`, `... >out` or `... ${Y:-'}'}`;
\* the connectors `;`, `|`, `&&`, `||`, newline and `&`), every command
\* ending in the comment ` # '`, against every exec block over three
\* patterns, each absent, allowed or denied: 60 units, 60 + 60 x 6 x 60 =
\* 21660 commands, 3^3 = 27 blocks. The stateright mirror
\* (models/src/exec_commands.rs) renders each command as text and has the
\* real parser and matcher decide it; both count 21660 x 27 = 584820 states.
EXTENDS Naturals, Sequences

Programs == {"git", "rm"}
Args == {"none", "x", "unknown"}
Kinds == {"plain", "nice", "sh", "shopts", "subst", "backticks", "sudo", "xargs", "redirect", "param"}
Connectors == {";", "|", "&&", "||", "nl", "&"}
Units == [kind : Kinds, prog : Programs, arg : Args]
Commands == {<<u>> : u \in Units} \cup {<<u1, c, u2>> : u1 \in Units, c \in Connectors, u2 \in Units}

\* `git *`, `rm x`, `rm *`: each absent, allowed or denied in the block.
Patterns == {"git*", "rmx", "rm*"}
Blocks == [Patterns -> {"none", "allow", "deny"}]

\* A segment: a program with its argument; opaque (a substitution's outer
\* command, a redirection); inner (what `sudo` or `xargs` runs, which deny
\* patterns see and allow patterns do not need to).
Seg(p, a, o, i) == [prog |-> p, arg |-> a, opaque |-> o, inner |-> i]
Own(u) == Seg(u.prog, u.arg, FALSE, FALSE)
UnitSegments(u) ==
    CASE u.kind \in {"plain", "nice", "sh", "shopts"} -> {Own(u)}
      [] u.kind \in {"subst", "backticks"} -> {Seg("git", "subst", TRUE, FALSE), Own(u)}
      [] u.kind = "redirect" -> {Seg(u.prog, u.arg, TRUE, FALSE)}
      \* `${Y:-'}'}` is one more unknown word, which may be any number of words.
      [] u.kind = "param" -> {Seg(u.prog, "unknown", FALSE, FALSE)}
      \* `xargs` appends the words it reads: the inner argument is unknown.
      [] u.kind = "sudo" -> {Seg("sudo", "cmd", FALSE, FALSE), Seg(u.prog, u.arg, FALSE, TRUE)}
      [] u.kind = "xargs" -> {Seg("xargs", "cmd", FALSE, FALSE), Seg(u.prog, "unknown", FALSE, TRUE)}
Segments(cmd) == IF Len(cmd) = 1 THEN UnitSegments(cmd[1]) ELSE UnitSegments(cmd[1]) \cup UnitSegments(cmd[3])

\* Deny needs a pattern that may match (for some value of `$X`, which may be
\* any number of words), allow one that must match (for every value).
MayMatch(p, s) == CASE p = "git*" -> s.prog = "git"
                    [] p = "rm*"  -> s.prog = "rm"
                    [] p = "rmx"  -> s.prog = "rm" /\ s.arg \in {"x", "unknown"}
MustMatch(p, s) == CASE p = "git*" -> s.prog = "git"
                     [] p = "rm*"  -> s.prog = "rm"
                     [] p = "rmx"  -> s.prog = "rm" /\ s.arg = "x"

\* A segment is allowed: not opaque, no deny pattern may match, and an allow
\* pattern must match (or the block has none: a deny list, `on_miss allow`;
\* or it is inner, and its runner's own segment met the allow patterns).
SegAllowed(s, b) == /\ ~s.opaque
                    /\ ~\E p \in Patterns : b[p] = "deny" /\ MayMatch(p, s)
                    /\ \/ s.inner
                       \/ \E p \in Patterns : b[p] = "allow" /\ MustMatch(p, s)
                       \/ ~\E p \in Patterns : b[p] = "allow"

\* The bug: the first unit's program segment alone decides.
FirstSegment(cmd) == Seg(cmd[1].prog, cmd[1].arg, FALSE, FALSE)
Decide(cmd, b) == IF SegAllowed(FirstSegment(cmd), b) THEN "allow" ELSE "deny"

VARIABLES cmd, block, decision
vars == <<cmd, block, decision>>

Init == /\ cmd \in Commands
        /\ block \in Blocks
        /\ decision = Decide(cmd, block)

Next == UNCHANGED vars

OnlyIfEverySegment == decision = "allow" => \A s \in Segments(cmd) : SegAllowed(s, block)
====
