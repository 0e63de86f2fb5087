---- MODULE FailClosedIngress_BugConvenientDefaults ----
\* Negative variant of FailClosedIngress (claim 12). The bug: left-out
\* message fields are decided as the convenient value: no `mentioned` means
\* mentions cannot be detected (so gating cannot drop), and a group message
\* without a chat id gets the `*` entry. Must violate FailClosed.
EXTENDS Naturals

Channels == [dm : {"pairing", "allowlist"}, groups : {"open", "allowlist"}, star : BOOLEAN, guilds : BOOLEAN]
Values == [chat_id |-> {"none", "g1", "g2"}, sender |-> {"none", "1", "2"},
           mentioned |-> {"none", "false", "true"}, can_detect |-> {"none", "false"},
           command |-> {"none", "true"}, paired |-> {"none", "true"},
           guild |-> {"none", "s1", "s2"}, roles |-> {"none", "r1"}]
Fields == DOMAIN Values
Messages == [chat : {"direct", "group"}, chat_id : Values.chat_id, sender : Values.sender,
             mentioned : Values.mentioned, can_detect : Values.can_detect,
             command : Values.command, paired : Values.paired,
             guild : Values.guild, roles : Values.roles]
Rank(o) == CASE o = "drop" -> 0 [] o = "pair" -> 1 [] OTHER -> 2

\* The bug: a left-out `mentioned` is "cannot tell", and a group message
\* without a chat id is gated as an unlisted group.
Mentioned(m) == IF m.can_detect = "false" \/ m.mentioned = "none" THEN "unknown" ELSE IF m.mentioned = "true" THEN "true" ELSE "false"
NoChatId(m) == FALSE

Rule(c, m) == IF m.chat_id = "g1" THEN "g1" ELSE IF c.star THEN "star" ELSE "none"
Gate(c, m) ==
    IF m.sender = "none" THEN "drop"
    ELSE IF m.chat = "direct" THEN
        IF m.sender = "1" THEN "accept"
        ELSE IF c.dm = "pairing" THEN (IF m.paired = "true" THEN "accept" ELSE "pair")
        ELSE "drop"
    ELSE IF NoChatId(m) THEN "drop"
    \* With guilds, the groups are listed in guild s1 only: no guild, or
    \* another, is dropped.
    ELSE IF c.guilds /\ m.guild # "s1" THEN "drop"
    \* g1 is listed, so under `open` too an unlisted group is dropped unless
    \* `*` is listed (listing groups restricts `groups open` to them).
    ELSE IF Rule(c, m) = "none" THEN "drop"
    \* Guild s1's own list: sender 1, or a member holding role r1.
    ELSE IF c.guilds /\ m.sender # "1" /\ m.roles # "r1" THEN "drop"
    ELSE IF Rule(c, m) = "star" THEN "accept"
    ELSE IF Mentioned(m) \in {"true", "unknown"} THEN "accept"
    ELSE IF m.command = "true" /\ m.sender = "1" THEN "accept"
    ELSE "drop"

VARIABLES channel, message, outcome

vars == <<channel, message, outcome>>

Init == /\ channel \in Channels
        /\ message \in Messages
        /\ outcome = Gate(channel, message)

Next == UNCHANGED vars

FailClosed == \A f \in Fields : message[f] = "none" =>
    \A v \in Values[f] : Rank(outcome) <= Rank(Gate(channel, [message EXCEPT ![f] = v]))
====
