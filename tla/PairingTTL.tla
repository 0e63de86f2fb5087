---- MODULE PairingTTL ----
\* Claim 3, pairing TTL: no pairing request is approved after it expired.
\*
\* Universe: two senders on one channel account, a clock that ticks up to
\* MaxTime, a TTL. A sender with no live request may ask for a code (the
\* store first drops every expired request, as its DELETE does); an owner
\* may approve any pending request, which removes it and approves the
\* sender only while it is younger than TTL. The stateright mirror
\* (models/src/pairing_ttl.rs) performs every step on the real SQLite store
\* (`pairing_request`, `pairing_approve`) with the clock in milliseconds.
EXTENDS Naturals, Integers

CONSTANTS Senders, TTL, MaxTime

None == -1

VARIABLES now, pending, approved, age

vars == <<now, pending, approved, age>>

Live(t, s) == pending[s] # None /\ t - pending[s] < TTL

Init == /\ now = 0
        /\ pending = [s \in Senders |-> None]
        /\ approved = {}
        /\ age = [s \in Senders |-> None]

Tick == /\ now < MaxTime
        /\ now' = now + 1
        /\ UNCHANGED <<pending, approved, age>>

Request(s) == /\ s \notin approved
              /\ ~Live(now, s)
              /\ pending' = [t \in Senders |-> IF t = s THEN now ELSE IF Live(now, t) THEN pending[t] ELSE None]
              /\ UNCHANGED <<now, approved, age>>

Approve(s) == /\ pending[s] # None
              /\ pending' = [pending EXCEPT ![s] = None]
              /\ IF now - pending[s] < TTL
                   THEN /\ approved' = approved \cup {s}
                        /\ age' = [age EXCEPT ![s] = now - pending[s]]
                   ELSE UNCHANGED <<approved, age>>
              /\ UNCHANGED now

Next == Tick \/ \E s \in Senders : Request(s) \/ Approve(s)

NoApprovalAfterExpiry == \A s \in approved : age[s] < TTL
====
