---- MODULE PairingCap ----
\* Claim 4, pairing cap: never more than the cap of live pending pairing
\* requests on one channel account, also when requests race.
\*
\* Universe: every cap in Caps, every number of requests already pending
\* (0..cap), and two workers, each a new sender running one pairing request
\* as the store does, one step at a time in the order Order: begin (BEGIN
\* IMMEDIATE: only while no other worker holds the write lock), check
\* (refuse when the committed count has reached the cap, which rolls back
\* and releases the lock), insert (invisible to the other worker until
\* commit), commit. The stateright mirror (models/src/pairing_cap.rs) runs
\* every step through the store's own `PairingStep`s on two real SQLite
\* connections to one WAL database, and reads the committed count back.
EXTENDS Naturals, Sequences

CONSTANTS Workers, Caps, Order

\* The store's steps, in the order production runs them. A tuple is not a
\* TLC configuration value, so the .cfg substitutes this for Order.
ProductionOrder == <<"begin", "check", "insert", "commit">>

None == "none"

VARIABLES cap, committed, pc, refused, lock, inserted

Init == /\ cap \in Caps
        /\ committed \in 0..cap
        /\ pc = [w \in Workers |-> 1]
        /\ refused = [w \in Workers |-> FALSE]
        /\ lock = None
        /\ inserted = [w \in Workers |-> FALSE]

At(w, s) == ~refused[w] /\ pc[w] <= Len(Order) /\ Order[pc[w]] = s
Advance(w) == pc' = [pc EXCEPT ![w] = pc[w] + 1]

Begin(w) == /\ At(w, "begin")
            /\ lock = None
            /\ lock' = w
            /\ Advance(w)
            /\ UNCHANGED <<cap, committed, refused, inserted>>

Check(w) == /\ At(w, "check")
            /\ LET full == committed >= cap IN
                 /\ refused' = [refused EXCEPT ![w] = full]
                 /\ lock' = IF full /\ lock = w THEN None ELSE lock
                 /\ pc' = IF full THEN pc ELSE [pc EXCEPT ![w] = pc[w] + 1]
            /\ UNCHANGED <<cap, committed, inserted>>

Insert(w) == /\ At(w, "insert")
             /\ inserted' = [inserted EXCEPT ![w] = TRUE]
             /\ Advance(w)
             /\ UNCHANGED <<cap, committed, refused, lock>>

Commit(w) == /\ At(w, "commit")
             /\ committed' = committed + 1
             /\ inserted' = [inserted EXCEPT ![w] = FALSE]
             /\ lock' = None
             /\ Advance(w)
             /\ UNCHANGED <<cap, refused>>

Next == \E w \in Workers : Begin(w) \/ Check(w) \/ Insert(w) \/ Commit(w)

CapHolds == committed <= cap
====
