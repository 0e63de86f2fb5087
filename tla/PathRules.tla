---- MODULE PathRules ----
\* Claim 17, path rules: a file call's path is allowed only if it can be
\* read (it does not climb out of the workspace or home through `..`), no
\* deny rule may match it, and an allow rule must match it (or the block has
\* none), all after the path is read lexically. No spelling with `.` or `..`
\* reaches a denied path, and no path of another anchor (an absolute
\* spelling of a home path) passes a deny rule written for home or the
\* workspace.
\*
\* Universe: every path of an anchor (the workspace, home, the root) and up
\* to three components from {a, x, .env, .., .}: 3 x 156 = 468 paths, read
\* by `read`, against every paths block over three patterns (`a/**` in the
\* workspace, `.env` at any depth, `~/a/**` at home), each absent, allowed
\* or denied: 27 blocks, 12636 states. The stateright mirror
\* (models/src/path_rules.rs) renders each path as text, compiles each block
\* as a policy, and has the real normaliser, matcher and engine decide.
EXTENDS Naturals, Sequences

Anchors == {"ws", "home", "root"}
Symbols == {"a", "x", ".env", "..", "."}
Seqs == {<<>>} \cup [1..1 -> Symbols] \cup [1..2 -> Symbols] \cup [1..3 -> Symbols]
Paths == [anchor : Anchors, parts : Seqs]
Patterns == {"ws_a", "env", "home_a"}
Blocks == [Patterns -> {"none", "allow", "deny"}]

\* The lexical reading: `.` goes, `..` takes back the component before it;
\* one that would climb out of the workspace or home leaves the path
\* unreadable, and at the root it stays.
RECURSIVE Norm(_, _, _, _)
Norm(anchor, s, i, acc) ==
    IF i > Len(s) THEN acc
    ELSE Norm(anchor, s, i + 1,
              IF ~acc.ok \/ s[i] = "." THEN acc
              ELSE IF s[i] = ".." THEN
                  IF acc.stack = <<>>
                  THEN (IF anchor = "root" THEN acc ELSE [acc EXCEPT !.ok = FALSE])
                  ELSE [acc EXCEPT !.stack = SubSeq(acc.stack, 1, Len(acc.stack) - 1)]
              ELSE [acc EXCEPT !.stack = Append(acc.stack, s[i])])
Read(p) == Norm(p.anchor, p.parts, 1, [ok |-> TRUE, stack |-> <<>>])

\* `a/**` and `~/a/**`: `a`, then at least one component, from the start of
\* a path of their anchor. `.env`: the component anywhere. A deny (may)
\* reading does not know where the workspace and home are: on a path of
\* another anchor, `a` then something, at any depth.
Has(st, c) == \E i \in 1..Len(st) : st[i] = c
Beneath(st) == Len(st) >= 2 /\ st[1] = "a"
Anywhere(st) == \E i \in 1..Len(st) : i < Len(st) /\ st[i] = "a"
Own(pat) == IF pat = "ws_a" THEN "ws" ELSE "home"
MustMatch(pat, anchor, st) ==
    IF pat = "env" THEN anchor = "ws" /\ Has(st, ".env") ELSE anchor = Own(pat) /\ Beneath(st)
MayMatch(pat, anchor, st) ==
    IF pat = "env" THEN Has(st, ".env")
    ELSE IF anchor = Own(pat) THEN Beneath(st) ELSE Anywhere(st)

Allowed(p, b) ==
    LET r == Read(p) IN
    /\ r.ok
    /\ ~\E pat \in Patterns : b[pat] = "deny" /\ MayMatch(pat, p.anchor, r.stack)
    /\ \/ \E pat \in Patterns : b[pat] = "allow" /\ MustMatch(pat, p.anchor, r.stack)
       \/ ~\E pat \in Patterns : b[pat] = "allow"

\* The design: exactly the allowed paths.
Decide(p, b) == IF Allowed(p, b) THEN "allow" ELSE "deny"

VARIABLES path, block, decision
vars == <<path, block, decision>>

Init == /\ path \in Paths
        /\ block \in Blocks
        /\ decision = Decide(path, block)

Next == UNCHANGED vars

AllowedOnlyIfMatched == decision = "allow" => Allowed(path, block)
====
