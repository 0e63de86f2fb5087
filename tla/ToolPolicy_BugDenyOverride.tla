---- MODULE ToolPolicy_BugDenyOverride ----
\* Negative variant of ToolPolicy (claim 7). The bug: an explicit allow in a
\* later layer re-grants a tool an earlier layer denied ("most specific
\* wins" applied across layers). Must violate DenyWins.
EXTENDS Naturals

CONSTANTS Tools, NumLayers

\* {} stands for "no allow list": Palisade refuses an explicit empty one.
AllowChoices == SUBSET Tools
Layer == [allow : AllowChoices, deny : SUBSET Tools]

VARIABLES layers, allowed

vars == <<layers, allowed>>

Passes(l, t) == t \notin l.deny /\ (l.allow = {} \/ t \in l.allow)
Regrants(l, t) == l.allow # {} /\ t \in l.allow /\ t \notin l.deny

\* Fold left to right: a layer either passes the tool on, or grants it back.
RECURSIVE Fold(_, _, _)
Fold(ls, t, i) == IF i = 0 THEN TRUE
                  ELSE (Fold(ls, t, i - 1) /\ Passes(ls[i], t)) \/ (i > 1 /\ Regrants(ls[i], t))

Init == /\ layers \in [1..NumLayers -> Layer]
        /\ allowed = {t \in Tools : Fold(layers, t, NumLayers)}

Next == UNCHANGED vars

DenyWins == \A t \in allowed : \A i \in 1..NumLayers : t \notin layers[i].deny
====
