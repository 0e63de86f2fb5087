---- MODULE SessionHandles_BugClientOverrides ----
\* Negative variant of SessionHandles (claim 13). The bug: the old API's
\* context fields, when a client adds them to the body, override the
\* handle's (the body is no longer refused for them). Must violate
\* HandleDecides.
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

\* The bug: a context field in the body is taken instead of the handle's.
Honoured(c) == c \in {"as_minted", "body_agent", "body_session", "body_sender", "body_owner"}
Context(h, c) == CASE c = "body_agent" -> [Minted(h) EXCEPT !.agent = Other(h.agent, Agents)]
                   [] c = "body_session" -> [Minted(h) EXCEPT !.session = Other(h.session, Sessions)]
                   [] c = "body_sender" -> [Minted(h) EXCEPT !.sender = Other(h.sender, Senders)]
                   [] c = "body_owner" -> [Minted(h) EXCEPT !.owner = ~Minted(h).owner]
                   [] OTHER -> Minted(h)

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
