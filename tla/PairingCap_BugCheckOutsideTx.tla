---- MODULE PairingCap_BugCheckOutsideTx ----
\* Negative variant of PairingCap (claim 4). The bug: the request counts the
\* live requests before it takes the write lock (check, then begin), so two
\* workers can both see room for one more and both commit. Must violate
\* CapHolds. Same spec, other step order.
\*
\* In the stateright mirror the racy check's sweep (a DELETE) needs the write
\* lock too, so a check cannot run while the other worker holds it; the
\* counterexample (both check, then both insert) does not need that.
EXTENDS Naturals, Sequences

CONSTANTS Workers, Caps

VARIABLES cap, committed, pc, refused, lock, inserted

Racy == INSTANCE PairingCap WITH Order <- <<"check", "begin", "insert", "commit">>

Init == Racy!Init
Next == Racy!Next
CapHolds == Racy!CapHolds
====
