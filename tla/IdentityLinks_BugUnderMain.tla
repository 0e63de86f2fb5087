---- MODULE IdentityLinks_BugUnderMain ----
\* Negative variant of IdentityLinks (claim 14). The bug: links are applied
\* under `dm_scope main` too, so a linked identity leaves the main session
\* every other direct message shares. Must violate LinksExactly.
EXTENDS Naturals

\* Tuples are not TLC configuration values, so they are defined here.
Identities == {<<"telegram", "a">>, <<"telegram", "b">>, <<"discord", "a">>, <<"telegram", "link:l1">>}
Accounts == {"default", "biz"}
Scopes == {"main", "per_peer", "per_channel_peer", "per_account_channel_peer"}
LinkSets == [Identities -> {"none", "l1", "l2"}]
Messages == Identities \X Accounts

\* How the gateway keys a direct message (the engine's answer in the mirror).
Peer(L, m) == IF L[m[1]] = "none" THEN <<"peer", m[1][2]>> ELSE <<"link", L[m[1]]>>
\* The bug: a linked identity gets its link's key even under `main`.
Key(s, L, m) == CASE s = "main" -> IF L[m[1]] = "none" THEN <<"main">> ELSE <<"direct", Peer(L, m)>>
                  [] s = "per_peer" -> <<"direct", Peer(L, m)>>
                  [] s = "per_channel_peer" -> <<m[1][1], "direct", Peer(L, m)>>
                  [] s = "per_account_channel_peer" -> <<m[1][1], m[2], "direct", Peer(L, m)>>

\* What the scope and the links say: the class a message belongs to.
Who(L, m) == IF L[m[1]] = "none" THEN <<"peer", m[1][2]>> ELSE <<"link", L[m[1]]>>
Class(s, L, m) == CASE s = "main" -> <<"", "", "">>
                    [] s = "per_peer" -> <<"", "", Who(L, m)>>
                    [] s = "per_channel_peer" -> <<m[1][1], "", Who(L, m)>>
                    [] s = "per_account_channel_peer" -> <<m[1][1], m[2], Who(L, m)>>

VARIABLES scope, links, m1, m2, k1, k2

vars == <<scope, links, m1, m2, k1, k2>>

Init == /\ scope \in Scopes /\ links \in LinkSets /\ m1 \in Messages /\ m2 \in Messages
        /\ k1 = Key(scope, links, m1) /\ k2 = Key(scope, links, m2)

Next == UNCHANGED vars

LinksExactly == (k1 = k2) <=> (Class(scope, links, m1) = Class(scope, links, m2))
====
