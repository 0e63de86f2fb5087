---- MODULE IdentityLinks ----
\* Claim 14, identity links: two direct messages share a session exactly
\* when the dm scope and the links say so. The scope fixes what a key
\* keeps (nothing under `main`; the peer under `per_peer`; channel and peer
\* under `per_channel_peer`; channel, account and peer under
\* `per_account_channel_peer`), and a link replaces the peer of each of its
\* identities by the link's name, wherever in the policy its members are
\* written. Sharing is equality of those classes, so it is symmetric and
\* transitive over every link set; links never join what the scope keeps
\* apart (channels, accounts) and have no effect under `main`.
\*
\* Universe: every dm scope, every link set over four identities (each in
\* link l1, in link l2, or in none; 81 sets), and every pair of direct
\* messages from those identities on two accounts: 4 x 81 x 64 = 20,736
\* states. One identity's peer id is "link:l1", the text a linked key
\* carries. The stateright mirror (models/src/identity_links.rs) compiles
\* each link set as a policy and asks the real engine for both keys.
EXTENDS Naturals

\* Tuples are not TLC configuration values, so they are defined here.
Identities == {<<"telegram", "a">>, <<"telegram", "b">>, <<"discord", "a">>, <<"telegram", "link:l1">>}
Accounts == {"default", "biz"}
Scopes == {"main", "per_peer", "per_channel_peer", "per_account_channel_peer"}
LinkSets == [Identities -> {"none", "l1", "l2"}]
Messages == Identities \X Accounts

\* How the gateway keys a direct message (the engine's answer in the mirror).
Peer(L, m) == IF L[m[1]] = "none" THEN <<"peer", m[1][2]>> ELSE <<"link", L[m[1]]>>
Key(s, L, m) == CASE s = "main" -> <<"main">>
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
