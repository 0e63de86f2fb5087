---- MODULE IngressGating ----
\* Claim 5, ingress gating: no group message bypasses mention gating
\* without an authorised command.
\*
\* Universe: a listed group whose sender is admitted, with every mention
\* setting (required or not), text commands on or off, the sender
\* authorised for commands or not, mention patterns configured or not; and
\* every message: native mention flag true/false/unknown, text matching a
\* pattern or not, a control command or not. The gate's outcome follows the
\* real order (ARCHITECTURE.md, Decision semantics). The stateright mirror (models/src/ingress.rs)
\* compiles each channel and asks the real `gate`: 16 x 12 = 192 states.
EXTENDS Naturals

VARIABLES require, textCommands, authorised, patterns, native, matches, command, accepted

vars == <<require, textCommands, authorised, patterns, native, matches, command, accepted>>

Mentioned(n, p, m) == n = "yes" \/ (p /\ m)
Detectable(n, p) == n # "unknown" \/ p

Accept(r, t, a, p, n, m, c) ==
    \/ ~r
    \/ Mentioned(n, p, m)
    \/ ~Detectable(n, p)
    \/ (c /\ t /\ a)

Init == /\ require \in BOOLEAN /\ textCommands \in BOOLEAN /\ authorised \in BOOLEAN /\ patterns \in BOOLEAN
        /\ native \in {"yes", "no", "unknown"} /\ matches \in BOOLEAN /\ command \in BOOLEAN
        /\ accepted = Accept(require, textCommands, authorised, patterns, native, matches, command)

Next == UNCHANGED vars

NoMentionBypass == (accepted /\ require /\ Detectable(native, patterns) /\ ~Mentioned(native, patterns, matches))
                   => (command /\ textCommands /\ authorised)
====
