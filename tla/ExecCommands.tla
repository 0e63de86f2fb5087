---- MODULE ExecCommands ----
\* Claim 15, command rules: a command is allowed only if every one of its
\* segments is allowed and none is opaque. Chaining, a wrapper, a shell's
\* `-c` script and a command substitution cannot hide a segment.
\*
\* Universe: every command built from a small alphabet (two programs, an
\* argument that is absent, literal or an unknown word `$X`, the wrapper
\* `nice`, `sh -c`, a substitution `git $(...)`, the connectors `;` and `|`)
\* against every exec block over three patterns, each absent, allowed or
\* denied. A unit is a simple command, wrapped or not; a command is one unit
\* or two joined by a connector: 24 + 24 x 2 x 24 = 1176 commands, 3^3 = 27
\* blocks. The stateright mirror (models/src/exec_commands.rs) renders each
\* command as text and has the real parser and matcher decide it; both count
\* 1176 x 27 = 31752 states.
EXTENDS Naturals, Sequences

Programs == {"git", "rm"}
Args == {"none", "x", "unknown"}
Kinds == {"plain", "nice", "sh", "subst"}
Units == [kind : Kinds, prog : Programs, arg : Args]
Commands == {<<u>> : u \in Units} \cup {<<u1, c, u2>> : u1 \in Units, c \in {";", "|"}, u2 \in Units}

\* `git *`, `rm x`, `rm *`: each absent, allowed or denied in the block.
Patterns == {"git*", "rmx", "rm*"}
Blocks == [Patterns -> {"none", "allow", "deny"}]

\* A segment: a program with its argument, or the opaque outer command of a substitution.
Seg(p, a, o) == [prog |-> p, arg |-> a, opaque |-> o]
UnitSegments(u) == IF u.kind = "subst" THEN {Seg("git", "subst", TRUE), Seg(u.prog, u.arg, FALSE)}
                   ELSE {Seg(u.prog, u.arg, FALSE)}
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
\* pattern must match (or the block has none: a deny list, `on_miss allow`).
SegAllowed(s, b) == /\ ~s.opaque
                    /\ ~\E p \in Patterns : b[p] = "deny" /\ MayMatch(p, s)
                    /\ \/ \E p \in Patterns : b[p] = "allow" /\ MustMatch(p, s)
                       \/ ~\E p \in Patterns : b[p] = "allow"

\* The design: the strictest outcome over the segments.
Decide(cmd, b) == IF \A s \in Segments(cmd) : SegAllowed(s, b) THEN "allow" ELSE "deny"

VARIABLES cmd, block, decision
vars == <<cmd, block, decision>>

Init == /\ cmd \in Commands
        /\ block \in Blocks
        /\ decision = Decide(cmd, block)

Next == UNCHANGED vars

OnlyIfEverySegment == decision = "allow" => \A s \in Segments(cmd) : SegAllowed(s, block)
====
