---- MODULE HandleGrounds_BugTrustSealed ----
\* Claim 16, no trust outlives the policy (ARCHITECTURE.md, Invariants: the
\* trust boundary): a session handle is honoured only while the policy in
\* force would mint the same one for the same message: its sender admitted
\* by the gate, routed to the same agent and session, with the same
\* owner-ness. A sub-agent's handle answers for its parent's session.
\*
\* Universe: 8 policies, each a choice of three features: sender s2 on the
\* channel's allow list (A), a route that sends s2 to agent b instead of the
\* default agent a (R), s1 listed in `owners` (O); s1 is always allowed and
\* routed to b. Every handle the gateway mints under one policy (s1 under
\* all 8, s2 under the 4 that allow it), as minted or as a spawned
\* sub-agent's, used after a reload to any of the 8: 12 x 2 x 8 = 192
\* states. The stateright mirror (models/src/handle_grounds.rs) mints with
\* the real engine's gate and route, re-derives with the gateway's own
\* `sessions::rederive`, and compares with a fresh gate and route under the
\* policy in force.
EXTENDS Naturals, FiniteSets

Features == [allow2 : BOOLEAN, route2 : BOOLEAN, owner1 : BOOLEAN]
Senders == {"s1", "s2"}

Accepts(p, s) == s = "s1" \/ p.allow2
Agent(p, s) == IF s = "s1" \/ p.route2 THEN "b" ELSE "a"
Owner(p, s) == s = "s1" /\ p.owner1
\* What minting (or minting afresh) gives: agent, the DM session (by agent and sender), owner-ness.
Mint(p, s) == [agent |-> Agent(p, s), session |-> <<Agent(p, s), s>>, owner |-> Owner(p, s)]

\* The injected bug: the sealed context is trusted as minted.
Honoured(minted, q, s) == TRUE

VARIABLES mintedUnder, sender, spawned, inForce, honoured

vars == <<mintedUnder, sender, spawned, inForce, honoured>>

Init == /\ mintedUnder \in Features
        /\ sender \in {s \in Senders : Accepts(mintedUnder, s)}
        /\ spawned \in BOOLEAN
        /\ inForce \in Features
        /\ honoured = Honoured(Mint(mintedUnder, sender), inForce, sender)

Next == UNCHANGED vars

\* A handle that is honoured is what the policy in force would grant now.
GrantedByPolicyInForce == honoured => (Accepts(inForce, sender) /\ Mint(inForce, sender) = Mint(mintedUnder, sender))

\* And a handle the policy in force still grants is honoured (no needless refusal).
NotRefusedNeedlessly == (Accepts(inForce, sender) /\ Mint(inForce, sender) = Mint(mintedUnder, sender)) => honoured
====
