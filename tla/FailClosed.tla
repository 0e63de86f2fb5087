---- MODULE FailClosed ----
\* Claim 12, fail-closed defaults: a tool request that leaves a field out
\* (provider, session, sender, owner) is never allowed what some value of
\* that field would deny, and the sub-agent flag only ever takes away.
\*
\* Universe: every subset of six policy features that a left-out field
\* could slip past, two tools (`exec`, which the features deny; `cron`,
\* owner-only and never a sub-agent's), and every request that gives or
\* leaves out ("none") each field: 64 x 2 x 216 = 27,648 states. The
\* stateright mirror (models/src/fail_closed.rs) writes each request as the
\* JSON line `palisade decide` reads and asks the real engine.
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

\* A field left out is decided as every value of it at once: every provider
\* entry, every sender entry, every group entry and the sub-agent layers
\* apply, and an owner must name a listed sender.
ProviderHit(r) == r.provider \in {"none", "p1"}
SenderHit(r) == r.sender \in {"none", "t1"}
Sub(r) == r.flag = "true" \/ r.session \in {"none", "sub"}
GroupHit(r) == r.session \in {"none", "g1"}
IsOwner(P, r) == r.owner = "true" /\ (6 \in P => r.sender = "t1")

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
