//! Claim 10, credential roles, as a stateright model over the universe of
//! `tla/CredentialRoles.tla`: every role, every fate of its credential and
//! every route of the API. Each state is computed by the real code: the
//! operator secret through `auth::admits`, minted tokens through a real
//! store and `Credentials` (minted, then revoked, expired, or reloaded under
//! another operator secret), and the permission through `Role::may` on the
//! route's `endpoint_of`.

use palisade::seams::{with_bug, Bug};
use palisade_gateway::auth::{admits, Secret};
use palisade_gateway::principals::{endpoint_of, epoch, Credentials, Role, ROUTES};
use palisade_gateway::store::Store;
use stateright::{Model, Property};

pub const ROLES: [&str; 3] = ["operator", "runtime", "device"];
/// What a runtime may call, as the spec's configuration states it (not read
/// from the table under test): every other route is an operator action.
pub const RUNTIME_ENDPOINTS: [&str; 6] =
    ["/v1/decide", "/v1/ingress", "/v1/tools/invoke", "/v1/sessions/spawn", "/v1/pairing/request", "/v1/nodes/run"];
pub const FATES: [&str; 4] = ["live", "revoked", "expired", "rotated"];

/// The fates a role's credential can have: the operator secret is only
/// live or rotated away.
pub fn fates(role: usize) -> &'static [&'static str] {
    if role == 0 {
        &["live", "rotated"]
    } else {
        &FATES
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct State {
    pub role: usize,
    pub fate: &'static str,
    pub endpoint: &'static str,
    pub authed: bool,
    pub allowed: bool,
}

#[derive(Clone, Debug)]
pub struct CredentialRolesModel {
    pub bug: Bug,
}

const SECRET: &str = "operator-secret";

/// Whether a credential of `role` with `fate` authenticates now, through the real code.
pub fn authenticates(role: usize, fate: &str) -> Option<bool> {
    if role == 0 {
        // Rotated: the gateway now holds another secret.
        let held = if fate == "rotated" { Secret::new("the-new-secret") } else { Secret::new(SECRET) };
        return Some(admits(Some(&held), SECRET));
    }
    let minted_role = if role == 1 { Role::Runtime } else { Role::Device };
    let store = Store::in_memory().ok()?;
    let old_epoch = epoch(Some(Secret::new(SECRET).digest()));
    let credentials = Credentials::load(&store, old_epoch.clone(), 0).ok()?;
    let device = (minted_role == Role::Device).then(|| "d1".to_string());
    let (row, token) = credentials.mint(&store, minted_role, vec!["main".into()], device, 0, 1_000).ok()?.ok()?;
    let now = match fate {
        "expired" => 1_000,
        _ => 500,
    };
    if fate == "revoked" {
        credentials.revoke(&store, Some(&row.id), None, 100).ok()?;
    }
    let credentials =
        if fate == "rotated" { Credentials::load(&store, epoch(Some(Secret::new("the-new-secret").digest())), now).ok()? } else { credentials };
    Some(credentials.principal(&token, now).is_some_and(|p| p.role == minted_role))
}

/// Whether `role` may call `path`, through the real permission table.
pub fn may(role: usize, path: &str) -> bool {
    let role = match role {
        0 => Role::Operator,
        1 => Role::Runtime,
        _ => Role::Device,
    };
    endpoint_of(path).is_some_and(|e| role.may(e))
}

impl Model for CredentialRolesModel {
    type State = State;
    type Action = ();

    fn init_states(&self) -> Vec<State> {
        with_bug(self.bug, || {
            let mut states = Vec::new();
            for role in 0..ROLES.len() {
                for fate in fates(role) {
                    let authed = authenticates(role, fate).unwrap_or(false);
                    for (path, _) in ROUTES {
                        states.push(State { role, fate, endpoint: path, authed, allowed: authed && may(role, path) });
                    }
                }
            }
            states
        })
    }

    crate::no_steps!();

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("OnlyOperatorActs", |_, s: &State| {
                let operator_action = !RUNTIME_ENDPOINTS.contains(&s.endpoint);
                !(s.allowed && operator_action) || s.role == 0
            }),
            Property::always("DeadCredentialsGetNothing", |_, s: &State| s.fate == "live" || !s.allowed),
        ]
    }
}
