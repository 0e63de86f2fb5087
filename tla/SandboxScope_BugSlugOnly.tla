---- MODULE SandboxScope_BugSlugOnly ----
\* Negative variant of SandboxScope (claim 8). The bug: container names are
\* the slug alone, without the hash, so two keys that slug alike share a
\* container. Must violate SessionsIsolated.
\*
\* The positive header, for reference. Claim 8: under scope `session`, no two sessions
\* share a container or a (private, `workspace none`) workspace.
\*
\* Universe: three session keys, each owned by one of two agents, and every
\* scope. Two of the keys slug to the same text ("...:x-y" and "...:x:y"),
\* which is the realistic way names collide. A container is named from the
\* slug of its scope key plus a hash of the key (modelled as the key itself:
\* the hash is injective on this universe); the scratch workspace is named
\* after the container. The stateright mirror (models/src/sandbox_scope.rs)
\* calls the gateway's real `placement` and `container_name`; both count
\* 3 x 2^3 = 24 states.
EXTENDS Naturals

\* Keys 1 and 2 slug alike. A function is not a TLC configuration value, so
\* the universe is defined here rather than in the .cfg.
Keys == {"k1", "k2", "k3"}
Agents == {"a", "b"}
Slug == [k \in Keys |-> IF k = "k3" THEN "agent-a-discord-direct-1" ELSE "agent-a-telegram-direct-x-y"]

VARIABLES scope, owner, container

vars == <<scope, owner, container>>

ScopeKey(s, k, o) == CASE s = "session" -> k
                       [] s = "agent"   -> <<"agent", o[k]>>
                       [] s = "shared"  -> "shared"

SlugOf(x) == IF x \in Keys THEN Slug[x] ELSE x

Name(x) == SlugOf(x)

Init == /\ scope \in {"session", "agent", "shared"}
        /\ owner \in [Keys -> Agents]
        /\ container = [k \in Keys |-> Name(ScopeKey(scope, k, owner))]

Next == UNCHANGED vars

\* Under `workspace none` the workspace is the container's scratch directory.
Workspace(k) == <<"scratch", container[k]>>

SessionsIsolated == scope = "session" =>
    \A k1, k2 \in Keys : k1 # k2 => container[k1] # container[k2] /\ Workspace(k1) # Workspace(k2)
====
