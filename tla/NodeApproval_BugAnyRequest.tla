---- MODULE NodeApproval_BugAnyRequest ----
\* Negative variant of NodeApproval (claim 2). The bug: the store looks an
\* approval up by command only, so an approval given to one request id lets
\* another request run the same command. Must violate OnlyWithOwnApproval.
\*
\* The positive spec's header, for reference. Claim 2, node command pipeline: a node command runs only with an approval
\* bound to its own request id (and command); replaying an approval for
\* another request fails, and an approval is used at most once.
\*
\* Universe: two request ids x two commands. An owner may approve each
\* (request, command) pair once; a client may try to run any pair, any
\* number of times (bounded at two runs per pair). `granted` and `executed`
\* count per pair. The stateright mirror (models/src/nodes.rs) performs every
\* step on the real SQLite store (`node_approve`, `node_consume`).
EXTENDS Naturals

CONSTANTS Requests, Commands

Pairs == Requests \X Commands

VARIABLES live, granted, executed

None == "none"

vars == <<live, granted, executed>>

Init == /\ live = [r \in Requests |-> None]
        /\ granted = [p \in Pairs |-> 0]
        /\ executed = [p \in Pairs |-> 0]

Approve(p) == /\ granted[p] = 0
              /\ live' = [live EXCEPT ![p[1]] = p[2]]
              /\ granted' = [granted EXCEPT ![p] = 1]
              /\ UNCHANGED executed

\* The buggy store consumes any approval of the same command.
Run(p) == /\ executed[p] < 2
          /\ \E r \in Requests : live[r] = p[2] /\ live' = [live EXCEPT ![r] = None]
          /\ executed' = [executed EXCEPT ![p] = @ + 1]
          /\ UNCHANGED granted

Next == \E p \in Pairs : Approve(p) \/ Run(p)

OnlyWithOwnApproval == \A p \in Pairs : executed[p] <= granted[p]
====
