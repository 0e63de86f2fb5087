---- MODULE GatewayExposure_BugNoBindCheck ----
\* Negative variant of GatewayExposure (claim 1). The bug: the validator
\* forgets the bind, so `bind lan  auth none` starts (the Unix socket's own
\* rule is untouched). Must violate NoUnauthenticatedExposure.
\*
\* The positive spec's header, for reference: no sensitive call succeeds without credentials
\* when the gateway is reachable by anyone but its own machine's loopback or
\* its own user's Unix socket, and the validator refuses every unsafe
\* (listener, auth) pair.
\*
\* Universe: every listener (three TCP binds; a Unix socket of the
\* gateway's user alone, or one other users may open), auth mode, whether
\* the secret is present at start, and what the client presents. Init ranges
\* over all of them and computes whether the gateway starts and whether the
\* call succeeds, as the real validator (`palisade check`), exposure check,
\* secret loader and auth check do. The stateright mirror
\* (models/src/exposure.rs) calls exactly those functions; both count
\* 5 x 3 x 2 x 3 = 90 states.
EXTENDS Naturals

CONSTANTS Binds, Auths, Presented

VARIABLES bind, auth, secret, presented, started, succeeded

vars == <<bind, auth, secret, presented, started, succeeded>>

\* Reachable only by the gateway's machine, or by its own user.
Local(b) == b \in {"loopback", "socket-own"}

\* The validator: an exposed listener needs a secret-based auth mode.
Valid(b, a) == b = "socket-shared" => a # "none"

\* Start: a valid config whose auth mode needs a secret must have one.
Starts(b, a, s) == Valid(b, a) /\ (a = "none" \/ s)

\* A call succeeds on a started gateway with no auth, or with the right secret.
Succeeds(b, a, s, p) == Starts(b, a, s) /\ (a = "none" \/ p = "right")

Init == /\ bind \in Binds /\ auth \in Auths /\ secret \in BOOLEAN /\ presented \in Presented
        /\ started = Starts(bind, auth, secret)
        /\ succeeded = Succeeds(bind, auth, secret, presented)

Next == UNCHANGED vars

NoUnauthenticatedExposure == (succeeded /\ ~Local(bind)) => presented = "right"

ValidatorRefusesUnsafe == started => (Local(bind) \/ auth # "none")
====
