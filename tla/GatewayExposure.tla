---- MODULE GatewayExposure ----
\* Claim 1, gateway exposure: no sensitive call succeeds without credentials
\* when the bind is not loopback, and the validator refuses every unsafe
\* (bind, auth) pair.
\*
\* Universe: every bind, auth mode, whether the secret is present at start,
\* and what the client presents. Init ranges over all of them and computes
\* whether the gateway starts and whether the call succeeds, as the real
\* validator (`palisade check`), secret loader and auth check do. The
\* stateright mirror (models/src/exposure.rs) calls exactly those functions;
\* both count 3 x 3 x 2 x 3 = 54 states.
EXTENDS Naturals

CONSTANTS Binds, Auths, Presented

VARIABLES bind, auth, secret, presented, started, succeeded

vars == <<bind, auth, secret, presented, started, succeeded>>

Loopback(b) == b = "loopback"

\* The validator: an exposed bind needs a secret-based auth mode.
Valid(b, a) == Loopback(b) \/ a # "none"

\* Start: a valid config whose auth mode needs a secret must have one.
Starts(b, a, s) == Valid(b, a) /\ (a = "none" \/ s)

\* A call succeeds on a started gateway with no auth, or with the right secret.
Succeeds(b, a, s, p) == Starts(b, a, s) /\ (a = "none" \/ p = "right")

Init == /\ bind \in Binds /\ auth \in Auths /\ secret \in BOOLEAN /\ presented \in Presented
        /\ started = Starts(bind, auth, secret)
        /\ succeeded = Succeeds(bind, auth, secret, presented)

Next == UNCHANGED vars

NoUnauthenticatedExposure == (succeeded /\ ~Loopback(bind)) => presented = "right"

ValidatorRefusesUnsafe == started => (Loopback(bind) \/ auth # "none")
====
