//! Who may call what. Three roles:
//!
//! - the *operator* holds the gateway secret (`auth token|password`): it
//!   approves pairing and node commands, mints and revokes credentials,
//!   pairs devices, and may open a session handle for any agent;
//! - a *runtime* holds a credential the operator minted for a list of
//!   agents: it gates inbound messages (and so obtains session handles for
//!   those agents only), calls tools with a handle, asks for pairing codes
//!   and runs approved node commands;
//! - a *device* holds the token its signed challenge earned: it may ask
//!   for decisions, nothing else.
//!
//! Minted tokens are random, stored as SHA-256 digests, expire, can be
//! listed and revoked, and are bound to the operator secret they were
//! minted under (its *epoch*): rotating the secret invalidates them all.
//! [`Endpoint`] and [`Role::may`] are the one table of permissions; the
//! authentication middleware applies it to every request.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use sha2::{Digest, Sha256};

use super::devices::hex;
use super::store::{CredentialRow, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Operator,
    Runtime,
    Device,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Runtime => "runtime",
            Role::Device => "device",
        }
    }

    fn parse(text: &str) -> Option<Role> {
        match text {
            "operator" => Some(Role::Operator),
            "runtime" => Some(Role::Runtime),
            "device" => Some(Role::Device),
            _ => None,
        }
    }

    /// The permission table.
    pub fn may(self, endpoint: Endpoint) -> bool {
        use Endpoint::*;
        #[cfg(feature = "seams")]
        if self == Role::Device && palisade::seams::active(palisade::seams::Bug::DeviceEverywhere) {
            return true;
        }
        match self {
            Role::Operator => true,
            Role::Runtime => matches!(endpoint, Decide | Ingress | Invoke | Spawn | PairingRequest | NodeRun),
            Role::Device => matches!(endpoint, Decide),
        }
    }
}

/// Every authenticated endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Decide,
    Ingress,
    Invoke,
    Spawn,
    OpenSession,
    PairingRequest,
    PairingApprove,
    PairingList,
    DeviceChallenge,
    DeviceConnect,
    DeviceAdmin,
    NodeApprove,
    NodeRun,
    Credentials,
}

/// The API's authenticated routes and what each is; the router is built
/// from the same paths. A path not listed here is refused to everyone but
/// the operator.
pub const ROUTES: &[(&str, Endpoint)] = &[
    ("/v1/decide", Endpoint::Decide),
    ("/v1/ingress", Endpoint::Ingress),
    ("/v1/tools/invoke", Endpoint::Invoke),
    ("/v1/sessions/spawn", Endpoint::Spawn),
    ("/v1/sessions/open", Endpoint::OpenSession),
    ("/v1/pairing", Endpoint::PairingList),
    ("/v1/pairing/request", Endpoint::PairingRequest),
    ("/v1/pairing/approve", Endpoint::PairingApprove),
    ("/v1/devices", Endpoint::DeviceAdmin),
    ("/v1/devices/revoke", Endpoint::DeviceAdmin),
    ("/v1/devices/challenge", Endpoint::DeviceChallenge),
    ("/v1/devices/connect", Endpoint::DeviceConnect),
    ("/v1/nodes/approve", Endpoint::NodeApprove),
    ("/v1/nodes/run", Endpoint::NodeRun),
    ("/v1/credentials", Endpoint::Credentials),
    ("/v1/credentials/revoke", Endpoint::Credentials),
];

pub fn endpoint_of(path: &str) -> Option<Endpoint> {
    ROUTES.iter().find(|(p, _)| *p == path).map(|(_, e)| *e)
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// `operator`, or the minted credential's id.
    pub id: String,
    pub role: Role,
    /// The agents a runtime may act for (`*`: all); empty for the others.
    pub agents: Vec<String>,
}

impl Principal {
    pub fn operator() -> Self {
        Principal { id: "operator".into(), role: Role::Operator, agents: Vec::new() }
    }

    /// Whether this caller may obtain and use handles of `agent`.
    pub fn acts_for(&self, agent: &str) -> bool {
        match self.role {
            Role::Operator => true,
            Role::Runtime => self.agents.iter().any(|a| a == "*" || a.eq_ignore_ascii_case(agent)),
            Role::Device => false,
        }
    }
}

/// Most live minted credentials; minting past it is refused (409).
pub const CREDENTIAL_CAP: usize = 10_000;

/// The epoch of an operator secret: minted tokens carry it and die when
/// the secret changes. `none` for a gateway without a secret.
pub fn epoch(secret_digest: Option<&[u8; 32]>) -> String {
    match secret_digest {
        None => "none".into(),
        Some(digest) => {
            let mut h = Sha256::new();
            h.update(b"palisade-credential-epoch:v1\n");
            h.update(digest);
            hex(h.finalize().get(..16).unwrap_or_default())
        }
    }
}

pub fn token_digest(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MintError {
    #[error("{CREDENTIAL_CAP} credentials are live; revoke some first")]
    Full,
}

/// The live credentials, by token digest: the store is the durable copy,
/// this map answers each request without a database query.
#[derive(Debug)]
pub struct Credentials {
    epoch: String,
    live: RwLock<HashMap<String, CredentialRow>>,
}

impl Credentials {
    /// Loads the live credentials of this epoch; others stay in the store,
    /// unusable, until revoked.
    pub fn load(store: &Store, epoch: String, now_ms: u64) -> Result<Self, StoreError> {
        let live = store
            .credentials()?
            .into_iter()
            .filter(|c| c.revoked_ms.is_none() && c.expires_ms > now_ms && c.epoch == epoch)
            .map(|c| (c.digest.clone(), c))
            .collect();
        Ok(Credentials { epoch, live: RwLock::new(live) })
    }

    pub fn epoch(&self) -> &str {
        &self.epoch
    }

    /// The principal a presented token stands for, if it is live now.
    pub fn principal(&self, presented: &str, now_ms: u64) -> Option<Principal> {
        let live = self.live.read().unwrap_or_else(PoisonError::into_inner);
        let row = live.get(&token_digest(presented))?;
        if row.expires_ms <= now_ms {
            return None;
        }
        Some(Principal { id: row.id.clone(), role: Role::parse(&row.role)?, agents: row.agents.clone() })
    }

    /// Mints a credential; returns its row and the token, shown once.
    pub fn mint(
        &self,
        store: &Store,
        role: Role,
        agents: Vec<String>,
        device_id: Option<String>,
        now_ms: u64,
        expires_ms: u64,
    ) -> Result<Result<(CredentialRow, String), MintError>, StoreError> {
        let mut id_bytes = [0u8; 8];
        let mut token_bytes = [0u8; 32];
        super::pairing::random(&mut id_bytes).map_err(|e| StoreError::other(e.to_string()))?;
        super::pairing::random(&mut token_bytes).map_err(|e| StoreError::other(e.to_string()))?;
        let token = format!("pal_{}", hex(&token_bytes));
        let row = CredentialRow {
            id: format!("{}-{}", role.as_str(), hex(&id_bytes)),
            role: role.as_str().into(),
            digest: token_digest(&token),
            agents,
            device_id,
            created_ms: now_ms,
            expires_ms,
            revoked_ms: None,
            epoch: self.epoch.clone(),
        };
        let mut live = self.live.write().unwrap_or_else(PoisonError::into_inner);
        live.retain(|_, c| c.expires_ms > now_ms);
        if live.len() >= CREDENTIAL_CAP {
            return Ok(Err(MintError::Full));
        }
        store.credential_insert(&row)?;
        live.insert(row.digest.clone(), row.clone());
        Ok(Ok((row, token)))
    }

    /// Revokes by credential id, or every credential of a device. Returns how many.
    pub fn revoke(&self, store: &Store, id: Option<&str>, device_id: Option<&str>, now_ms: u64) -> Result<usize, StoreError> {
        let count = store.credential_revoke(id, device_id, now_ms)?;
        let mut live = self.live.write().unwrap_or_else(PoisonError::into_inner);
        live.retain(|_, c| !(id.is_some_and(|i| c.id == i) || (device_id.is_some() && c.device_id.as_deref() == device_id)));
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_reach_only_their_endpoints() {
        assert!(ROUTES.iter().all(|(_, e)| Role::Operator.may(*e)));
        for e in [
            Endpoint::PairingApprove,
            Endpoint::PairingList,
            Endpoint::NodeApprove,
            Endpoint::Credentials,
            Endpoint::DeviceConnect,
            Endpoint::OpenSession,
        ] {
            assert!(!Role::Runtime.may(e) && !Role::Device.may(e), "{e:?}");
        }
        assert!(ROUTES.iter().filter(|(_, e)| Role::Device.may(*e)).all(|(p, _)| *p == "/v1/decide"));
        assert_eq!(endpoint_of("/v1/unknown"), None);
    }

    #[test]
    fn minted_tokens_expire_revoke_and_die_with_the_secret() {
        let store = Store::in_memory().unwrap();
        let creds = Credentials::load(&store, epoch(Some(&[1; 32])), 0).unwrap();
        let (row, token) = creds.mint(&store, Role::Runtime, vec!["main".into()], None, 0, 1_000).unwrap().unwrap();
        let p = creds.principal(&token, 10).unwrap();
        assert_eq!((p.role, p.acts_for("MAIN"), p.acts_for("other")), (Role::Runtime, true, false));
        assert_eq!(creds.principal(&token, 1_000), None, "expired");
        assert_eq!(creds.principal("pal_00", 10), None);
        // Reloaded under the same secret it lives; under another it does not.
        assert!(Credentials::load(&store, epoch(Some(&[1; 32])), 10).unwrap().principal(&token, 10).is_some());
        assert!(Credentials::load(&store, epoch(Some(&[2; 32])), 10).unwrap().principal(&token, 10).is_none());
        assert_eq!(creds.revoke(&store, Some(&row.id), None, 20).unwrap(), 1);
        assert_eq!(creds.principal(&token, 30), None, "revoked");
        assert!(Credentials::load(&store, epoch(Some(&[1; 32])), 30).unwrap().principal(&token, 30).is_none(), "revocation is stored");
        let (_, device_token) = creds.mint(&store, Role::Device, Vec::new(), Some("d1".into()), 0, 1_000).unwrap().unwrap();
        assert_eq!(creds.revoke(&store, None, Some("d1"), 40).unwrap(), 1);
        assert_eq!(creds.principal(&device_token, 50), None, "a revoked device's token dies");
    }
}
