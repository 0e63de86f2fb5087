---- MODULE RoutingPrecedence ----
\* Claim 11, routing precedence: the binding that routes a message is the
\* most specific one that matches it (exact peer > parent peer > peer * >
\* guild + roles > guild > team > account > account * > default agent),
\* wherever it stands in the policy.
\*
\* Universe: every subset of four candidate bindings of one channel, kept
\* in this policy order (least specific first, so that order and
\* precedence disagree), and every direct message from two peers on two
\* accounts. A binding that names no account matches the default account
\* only. The stateright mirror (models/src/routing_precedence.rs) compiles
\* each subset as a policy and routes each message with the real engine.
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

\* How the gateway routes (the engine's answer in the mirror).
Route(s, p, a) == MostSpecific(s, p, a)

VARIABLES bindings, peer, account, routed

vars == <<bindings, peer, account, routed>>

Init == /\ bindings \in SUBSET Candidates
        /\ peer \in Peers
        /\ account \in Accounts
        /\ routed = Route(bindings, peer, account)

Next == UNCHANGED vars

MostSpecificWins == routed = MostSpecific(bindings, peer, account)
====
