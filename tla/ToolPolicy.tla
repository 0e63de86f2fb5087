---- MODULE ToolPolicy ----
\* Claim 7, tool policy precedence: deny always wins and no later layer
\* grants back what an earlier one removed.
\*
\* Universe: every policy of NumLayers allow/deny layers over Tools. A layer's
\* allow list is absent ({}) or a non-empty set of tools (Palisade refuses
\* an explicit empty allow list); its deny list is any set. Init ranges over
\* the whole universe, so one run checks every configuration, not one.
\* The stateright mirror (models/src/tool_policy.rs) builds the same
\* universe, compiles each policy with the real compiler (layers = global,
\* agent, agent provider) and asks the real engine; both count 4^|Tools|
\* states per layer, 4,096 for two tools and three layers.
EXTENDS Naturals

CONSTANTS Tools, NumLayers

\* {} stands for "no allow list": Palisade refuses an explicit empty one.
AllowChoices == SUBSET Tools
Layer == [allow : AllowChoices, deny : SUBSET Tools]

VARIABLES layers, allowed

vars == <<layers, allowed>>

Passes(l, t) == t \notin l.deny /\ (l.allow = {} \/ t \in l.allow)

\* The semantics of ARCHITECTURE.md's Decision semantics: the intersection of every layer.
Decide(ls, t) == \A i \in 1..NumLayers : Passes(ls[i], t)

Init == /\ layers \in [1..NumLayers -> Layer]
        /\ allowed = {t \in Tools : Decide(layers, t)}

Next == UNCHANGED vars

Spec == Init /\ [][Next]_vars

DenyWins == \A t \in allowed : \A i \in 1..NumLayers : t \notin layers[i].deny

NoGrantBack == \A t \in allowed : \A i \in 1..NumLayers : layers[i].allow = {} \/ t \in layers[i].allow
====
