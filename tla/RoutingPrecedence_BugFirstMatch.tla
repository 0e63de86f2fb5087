---- MODULE RoutingPrecedence_BugFirstMatch ----
\* Negative variant of RoutingPrecedence (claim 11). The bug: the first
\* binding in policy order that matches routes the message, whatever its
\* tier, so `account * -> w` written first captures the exact peer's
\* messages. Must violate MostSpecificWins.
EXTENDS Naturals

\* In policy order: 1 `account * -> w`, 2 `account "biz" -> z`,
\* 3 `peer * -> y`, 4 `peer "p1" -> x`; Rank is the precedence tier.
Candidates == 1..4
Agent(b) == CASE b = 1 -> "w" [] b = 2 -> "z" [] b = 3 -> "y" [] OTHER -> "x"
Rank(b) == CASE b = 1 -> 8 [] b = 2 -> 7 [] b = 3 -> 3 [] OTHER -> 1
Matches(b, p, a) == CASE b = 1 -> TRUE
                      [] b = 2 -> a = "biz"
                      [] b = 3 -> a = "default"
                      [] OTHER -> a = "default" /\ p = "p1"
Peers == {"p1", "p2"}
Accounts == {"default", "biz"}
DefaultAgent == "d"

Matching(s, p, a) == {b \in s : Matches(b, p, a)}
MostSpecific(s, p, a) ==
    IF Matching(s, p, a) = {} THEN DefaultAgent
    ELSE Agent(CHOOSE b \in Matching(s, p, a) : \A c \in Matching(s, p, a) : Rank(b) <= Rank(c))

\* First match in policy order.
Route(s, p, a) == IF Matching(s, p, a) = {} THEN DefaultAgent
                  ELSE Agent(CHOOSE b \in Matching(s, p, a) : \A c \in Matching(s, p, a) : b <= c)

VARIABLES bindings, peer, account, routed

vars == <<bindings, peer, account, routed>>

Init == /\ bindings \in SUBSET Candidates
        /\ peer \in Peers
        /\ account \in Accounts
        /\ routed = Route(bindings, peer, account)

Next == UNCHANGED vars

MostSpecificWins == routed = MostSpecific(bindings, peer, account)
====
