---- MODULE CredentialRoles ----
\* Claim 10, credential roles: no runtime or device credential performs an
\* operator action, and a revoked, expired or pre-rotation token (or an
\* operator secret that was rotated away) authenticates nothing.
\*
\* Universe: every role (operator secret, minted runtime token, device
\* token), every fate of its credential (live; revoked, expired, or minted
\* under the operator secret before a rotation; the operator secret itself
\* is only live or rotated away) and every endpoint of the API. Permissions
\* are the documented table: a runtime may call RuntimeEndpoints, a device
\* only DeviceEndpoints, the operator everything. The stateright mirror
\* (models/src/credential_roles.rs) mints each credential in a real store,
\* gives it its fate, and asks the gateway's real `Credentials::principal`,
\* `auth::admits` and `Role::may`.
EXTENDS Naturals

CONSTANTS Endpoints, RuntimeEndpoints, DeviceEndpoints

Roles == {"operator", "runtime", "device"}
Fates(r) == IF r = "operator" THEN {"live", "rotated"} ELSE {"live", "revoked", "expired", "rotated"}
OperatorActions == Endpoints \ RuntimeEndpoints

May(r, e) == \/ r = "operator"
             \/ r = "runtime" /\ e \in RuntimeEndpoints
             \/ r = "device" /\ e \in DeviceEndpoints

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
