---- MODULE RoutingIsolation_BugNoAccount ----
\* Negative variant of RoutingIsolation (claim 6). The bug: the account is
\* left out of per_account_channel_peer keys, so the same peer on two
\* accounts shares one session. Must violate UnlinkedIsolated.
\*
\* The positive header, for reference. Claim 6: under an isolating dm scope two
\* distinct unlinked peers never share a session; linked identities always
\* share one (where the scope allows: across channels under per_peer, within
\* a channel, or a channel account, under the finer scopes).
\*
\* Universe: every dm scope, with and without a link joining two identities,
\* and every pair of direct messages from three identities (two channels,
\* one peer id on both) on two accounts. The key is the scope's tuple of the
\* session-key components (ARCHITECTURE.md, Decision semantics); the peer is the link's name for linked identities.
\* Peers are "distinct" at the scope's granularity: by peer id under
\* per_peer (per-peer keys carry the id only), by (channel, id) and
\* (channel, account, id) under the finer scopes. The stateright mirror
\* (models/src/routing.rs) asks the real engine for the keys: 4 x 2 x 36 =
\* 288 states in both.
EXTENDS Naturals

\* The identities, accounts and link of the universe. Tuples are not TLC
\* configuration values, so they are defined here rather than in the .cfg.
Identities == {<<"telegram", "p1">>, <<"telegram", "p2">>, <<"discord", "p1">>}
Accounts == {"default", "biz"}
Link == {<<"telegram", "p2">>, <<"discord", "p1">>}

Scopes == {"main", "per_peer", "per_channel_peer", "per_account_channel_peer"}
Messages == Identities \X Accounts

VARIABLES scope, linked, m1, m2, k1, k2

vars == <<scope, linked, m1, m2, k1, k2>>

InLink(l, m) == l /\ m[1] \in Link
Canon(l, m) == IF InLink(l, m) THEN <<"link">> ELSE <<"peer", m[1][2]>>

Key(s, l, m) == CASE s = "main" -> <<"main">>
                  [] s = "per_peer" -> <<"direct", Canon(l, m)>>
                  [] s = "per_channel_peer" -> <<m[1][1], "direct", Canon(l, m)>>
                  [] s = "per_account_channel_peer" -> <<m[1][1], "direct", Canon(l, m)>>

Init == /\ scope \in Scopes /\ linked \in BOOLEAN /\ m1 \in Messages /\ m2 \in Messages
        /\ k1 = Key(scope, linked, m1) /\ k2 = Key(scope, linked, m2)

Next == UNCHANGED vars

Distinct(s, a, b) == CASE s = "per_peer" -> a[1][2] # b[1][2]
                       [] s = "per_channel_peer" -> a[1] # b[1]
                       [] OTHER -> a # b

UnlinkedIsolated == (scope # "main" /\ ~InLink(linked, m1) /\ ~InLink(linked, m2) /\ Distinct(scope, m1, m2)) => k1 # k2

SameWhere(s, a, b) == CASE s = "per_peer" -> TRUE
                        [] s = "per_channel_peer" -> a[1][1] = b[1][1]
                        [] OTHER -> a[1][1] = b[1][1] /\ a[2] = b[2]

LinkedShare == (scope # "main" /\ InLink(linked, m1) /\ InLink(linked, m2) /\ SameWhere(scope, m1, m2)) => k1 = k2
====
