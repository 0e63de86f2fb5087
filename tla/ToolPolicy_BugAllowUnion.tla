---- MODULE ToolPolicy_BugAllowUnion ----
\* Negative variant of ToolPolicy (claim 7). The bug: allow lists are
\* unioned across layers instead of intersected, so an agent's allow list
\* grants back a tool the global allow list left out. Must violate
\* NoGrantBack; deny lists still win, so DenyWins holds.
EXTENDS Naturals

CONSTANTS Tools, NumLayers

\* {} stands for "no allow list": Palisade refuses an explicit empty one.
AllowChoices == SUBSET Tools
Layer == [allow : AllowChoices, deny : SUBSET Tools]

VARIABLES layers, allowed

vars == <<layers, allowed>>

HasAllow(ls) == \E i \in 1..NumLayers : ls[i].allow # {}

Decide(ls, t) == /\ \A i \in 1..NumLayers : t \notin ls[i].deny
                 /\ \/ ~HasAllow(ls)
                    \/ \E i \in 1..NumLayers : ls[i].allow # {} /\ t \in ls[i].allow

Init == /\ layers \in [1..NumLayers -> Layer]
        /\ allowed = {t \in Tools : Decide(layers, t)}

Next == UNCHANGED vars

DenyWins == \A t \in allowed : \A i \in 1..NumLayers : t \notin layers[i].deny

NoGrantBack == \A t \in allowed : \A i \in 1..NumLayers : layers[i].allow = {} \/ t \in layers[i].allow
====
