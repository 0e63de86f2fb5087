---- MODULE SessionHandles ----
\* Claim 13, session handles (ARCHITECTURE.md, Invariants: the trust boundary): a tool call is decided and
\* placed with the agent, session, sender and owner-ness of the handle the
\* gateway minted, whatever the client sends with it; anything else is
\* refused.
\*
\* Universe: every handle the gateway can mint for 2 agents x 2 sessions x
\* 2 senders (s1 is listed in `owners`), and every call a client can make
\* with it: as minted; with an agent, session, sender or owner field added
\* to the body (each asking for another value); with the sealed payload
\* edited (agent, session, owner); presented by another runtime; or a
\* handle the client sealed under a key of its own: 8 x 10 = 80 states. The
\* stateright mirror (models/src/session_handles.rs) seals with the real
\* HandleKey, reads each body with the gateway's open_call, and decides and
\* places each call with the real engine and sandbox placement.
EXTENDS Naturals

Agents == {"a", "b"}
Sessions == {"main", "dm"}
Senders == {"s1", "s2"}
Handles == [agent : Agents, session : Sessions, sender : Senders]
Calls == {"as_minted", "body_agent", "body_session", "body_sender", "body_owner",
          "edited_agent", "edited_session", "edited_owner", "other_runtime", "self_sealed"}

Other(x, pair) == CHOOSE y \in pair : y # x
\* What the gateway established when it minted the handle.
Minted(h) == [agent |-> h.agent, session |-> h.session, sender |-> h.sender, owner |-> h.sender = "s1"]
NoContext == [agent |-> "none", session |-> "none", sender |-> "none", owner |-> FALSE]
\* Placement: sandboxed under `non-main` off the main session; one container per (agent, session).
Place(c) == [sandboxed |-> c.session # "main", scope |-> <<c.agent, c.session>>]
NoPlace == [sandboxed |-> FALSE, scope |-> <<"none", "none">>]

\* The gateway: the body names only the handle, the tool, its arguments and
\* the model (any other field is refused), the handle's seal is checked,
\* and it is honoured only for the credential it was minted for.
Honoured(c) == c = "as_minted"
Context(h, c) == Minted(h)

VARIABLES handle, call, refused, context, placed

vars == <<handle, call, refused, context, placed>>

Init == /\ handle \in Handles
        /\ call \in Calls
        /\ refused = ~Honoured(call)
        /\ context = IF refused THEN NoContext ELSE Context(handle, call)
        /\ placed = IF refused THEN NoPlace ELSE Place(context)

Next == UNCHANGED vars

HandleDecides == ~refused => (context = Minted(handle) /\ placed = Place(Minted(handle)))

OnlyAsMinted == ~refused <=> call = "as_minted"
====
