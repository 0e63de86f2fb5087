---- MODULE FailClosed_BugConvenientDefaults ----
\* Negative variant of FailClosed (claim 12). The bug: left-out fields are
\* decided as the most convenient value. No session is an ordinary session
\* (no sub-agent layers, no group entry), no sender matches no sender
\* entry, and `owner` without a sender is an owner even where the policy
\* lists owners. Must violate FailClosed.
EXTENDS Naturals

\* 1 `provider "p1" { deny exec }`, 2 `sender "telegram:1" { deny exec }`,
\* 3 `subagents { deny exec }`, 4 sandbox `non-main` with `deny exec` on top
\* of the default sandbox policy (which has no cron), 5 `group "g1" tools
\* { deny exec }`, 6 `owners "telegram:1"`.
Features == 1..6
Tools == {"exec", "cron"}
Providers == {"none", "p1", "p2"}
Sessions == {"none", "main", "dm", "sub", "g1", "g2"}
Senders == {"none", "t1", "t2"}
Owners == {"none", "true"}
Flags == {"none", "true"}
Values == [provider |-> Providers, session |-> Sessions, sender |-> Senders, owner |-> Owners]
Fields == DOMAIN Values
Requests == [provider : Providers, session : Sessions, sender : Senders, owner : Owners, flag : Flags]

\* The bug: only a left-out provider is still decided strictly.
ProviderHit(r) == r.provider \in {"none", "p1"}
SenderHit(r) == r.sender = "t1"
Sub(r) == r.flag = "true" \/ r.session = "sub"
GroupHit(r) == r.session = "g1"
IsOwner(P, r) == r.owner = "true" /\ (6 \in P /\ r.sender # "none" => r.sender = "t1")

Sandboxed(P, r) == 4 \in P /\ (Sub(r) \/ r.session # "main")
Decide(P, t, r) ==
    IF t = "cron" THEN IsOwner(P, r) /\ ~Sub(r) /\ ~Sandboxed(P, r)
    ELSE /\ ~(1 \in P /\ ProviderHit(r))
         /\ ~(2 \in P /\ SenderHit(r))
         /\ ~(3 \in P /\ Sub(r))
         /\ ~Sandboxed(P, r)
         /\ ~(5 \in P /\ GroupHit(r))

VARIABLES policy, tool, request, allowed

vars == <<policy, tool, request, allowed>>

Init == /\ policy \in SUBSET Features
        /\ tool \in Tools
        /\ request \in Requests
        /\ allowed = Decide(policy, tool, request)

Next == UNCHANGED vars

FailClosed == allowed =>
    \A f \in Fields : request[f] = "none" =>
        \A v \in Values[f] : Decide(policy, tool, [request EXCEPT ![f] = v])

FlagOnlyRestricts == (allowed /\ request.flag = "true") => Decide(policy, tool, [request EXCEPT !.flag = "none"])
====
