---- MODULE HotReload ----
\* Claim 9, policy hot reload: no decision is taken half by the old and
\* half by the new policy.
\*
\* Universe: every pair (old, new) of four policies, which differ in their
\* answer to one tool call: allowed or denied, sandboxed or on the host
\* (Allows, Sandboxes). One request reads the policy as the gateway's
\* `invoke` does: it takes its view, decides with it, and, when allowed,
\* places the call with it; a reload swaps the slot from old to new once,
\* at any moment. The answer a request ends with must be the answer of one
\* policy. Rereads is the bug switch: each read goes to the slot again
\* instead of the view. The stateright mirror (models/src/hot_reload.rs)
\* runs `PolicySlot::view`, `decide_call`, `place_call` and
\* `PolicySlot::replace` on four compiled engines.
EXTENDS Integers

CONSTANTS Rereads

Policies == 0..3
Allows(p) == p \in {1, 3}
Sandboxes(p) == p \in {2, 3}
Answer(p) == <<IF Allows(p) THEN "allow" ELSE "deny",
               IF ~Allows(p) THEN "none" ELSE IF Sandboxes(p) THEN "sandbox" ELSE "host">>

VARIABLES old, new, slot, reloaded, pc, snap, decided, placed

Init == /\ old \in Policies
        /\ new \in Policies
        /\ slot = old
        /\ reloaded = FALSE
        /\ pc = "view"
        /\ snap = -1
        /\ decided = "none"
        /\ placed = "none"

Read == IF Rereads THEN slot ELSE snap

View == /\ pc = "view"
        /\ snap' = slot
        /\ pc' = "decide"
        /\ UNCHANGED <<old, new, slot, reloaded, decided, placed>>

Decide == /\ pc = "decide"
          /\ decided' = IF Allows(Read) THEN "allow" ELSE "deny"
          /\ pc' = IF Allows(Read) THEN "place" ELSE "done"
          /\ UNCHANGED <<old, new, slot, reloaded, snap, placed>>

Place == /\ pc = "place"
         /\ placed' = IF Sandboxes(Read) THEN "sandbox" ELSE "host"
         /\ pc' = "done"
         /\ UNCHANGED <<old, new, slot, reloaded, snap, decided>>

Reload == /\ ~reloaded
          /\ slot' = new
          /\ reloaded' = TRUE
          /\ UNCHANGED <<old, new, pc, snap, decided, placed>>

Next == View \/ Decide \/ Place \/ Reload

OneRequestOnePolicy == pc = "done" => \E p \in {old, new} : <<decided, placed>> = Answer(p)
====
