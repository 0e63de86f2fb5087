---- MODULE CredentialRoles_BugDeviceEverywhere ----
\* Negative variant of CredentialRoles (claim 10). The bug: the permission
\* table lets a device credential call every endpoint, so a paired device
\* approves pairing codes and node commands. Must violate OnlyOperatorActs.
EXTENDS Naturals

CONSTANTS Endpoints, RuntimeEndpoints, DeviceEndpoints

Roles == {"operator", "runtime", "device"}
Fates(r) == IF r = "operator" THEN {"live", "rotated"} ELSE {"live", "revoked", "expired", "rotated"}
OperatorActions == Endpoints \ RuntimeEndpoints

May(r, e) == \/ r = "operator"
             \/ r = "runtime" /\ e \in RuntimeEndpoints
             \/ r = "device"

VARIABLES role, fate, endpoint, authed, allowed

vars == <<role, fate, endpoint, authed, allowed>>

Init == /\ role \in Roles
        /\ fate \in Fates(role)
        /\ endpoint \in Endpoints
        /\ authed = (fate = "live")
        /\ allowed = (authed /\ May(role, endpoint))

Next == UNCHANGED vars

OnlyOperatorActs == (allowed /\ endpoint \in OperatorActions) => role = "operator"

DeadCredentialsGetNothing == fate # "live" => ~allowed
====
