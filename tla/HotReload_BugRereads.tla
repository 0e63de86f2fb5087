---- MODULE HotReload_BugRereads ----
\* Negative variant of HotReload (claim 9). The bug: each read of the policy
\* goes to the slot again instead of the request's view, so a reload between
\* the decision and the placement lets a call be allowed by the old policy
\* and placed by the new one: allowed and on the host, say, which neither
\* policy answers. Must violate OneRequestOnePolicy. Same spec, switch on.
EXTENDS Integers

VARIABLES old, new, slot, reloaded, pc, snap, decided, placed

Racy == INSTANCE HotReload WITH Rereads <- TRUE

Init == Racy!Init
Next == Racy!Next
OneRequestOnePolicy == Racy!OneRequestOnePolicy
====
