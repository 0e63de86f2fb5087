//! Session handles: what the gateway itself established about a
//! conversation, sealed so that a client can carry it but not change it.
//!
//! Gating and routing an inbound message (`/v1/ingress`) yields the agent,
//! session key, channel, account, sender, owner-ness and chat; the gateway
//! puts them, the credential that asked and an expiry into [`Claims`] and
//! hands back `ph1.<hex JSON>.<hex HMAC-SHA256>` under a key that never
//! leaves the process (drawn at start, so handles die with a restart). A
//! tool call presents the handle and nothing else about its context.
//! Handles are stateless: there is no table for a client to fill.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::devices::{hex, unhex};

/// Longest handle text accepted (claims are a few hundred bytes).
pub const HANDLE_CAP: usize = 8192;
const PREFIX: &str = "ph1.";
/// Domain separation: this key signs nothing else.
const CONTEXT: &[u8] = b"palisade-session-handle:v1\n";

/// What the gateway established; the handle carries it verbatim.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claims {
    /// The credential id that obtained the handle; only it may present it.
    pub principal: String,
    pub agent: String,
    pub session: String,
    pub channel: String,
    pub account: Option<String>,
    /// `channel:id`, as per-sender policies and `owners` name senders.
    pub sender: String,
    pub owner: bool,
    /// `direct`, `group` or `channel`.
    pub chat: String,
    pub chat_id: String,
    pub subagent: bool,
    pub expires_ms: u64,
    /// What the gateway gated and routed to mint it (`/v1/ingress`; `None`
    /// for a handle the operator opened): every use re-derives the handle
    /// from these under the policy in force ([`crate::sessions::rederive`]).
    pub grounds: Option<Grounds>,
    /// A sub-agent's handle: the session of the handle it was spawned from
    /// (the one its grounds route to).
    pub parent_session: Option<String>,
}

/// The inputs of gating and routing an inbound message, as the gateway saw
/// them, less what belongs to one message (its text, mention, command).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grounds {
    pub channel: String,
    pub account: Option<String>,
    pub chat: palisade::ChatKind,
    pub chat_id: Option<String>,
    /// As the message gave it (the claims' `sender` is `channel:id`).
    pub sender: String,
    pub thread: Option<String>,
    pub topic: Option<String>,
    pub parent: Option<String>,
    pub guild: Option<String>,
    pub team: Option<String>,
    pub roles: Vec<String>,
}

impl Grounds {
    /// The grounds of a message the gateway gated and routed.
    pub fn of(inbound: &palisade::wire::OwnedInbound) -> Grounds {
        Grounds {
            channel: inbound.channel.clone(),
            account: inbound.account.clone(),
            chat: inbound.chat,
            chat_id: inbound.chat_id.clone(),
            sender: inbound.sender.clone(),
            thread: inbound.thread.clone(),
            topic: inbound.topic.clone(),
            parent: inbound.parent.clone(),
            guild: inbound.guild.clone(),
            team: inbound.team.clone(),
            roles: inbound.roles.clone(),
        }
    }

    /// The message again, to be gated and routed under the policy in force:
    /// one that mentions the agent (mention belongs to one message, not to
    /// the sender), with the pairing state `paired` the store has now.
    pub fn message(&self, paired: bool) -> palisade::wire::OwnedInbound {
        palisade::wire::OwnedInbound {
            kind: "ingress".into(),
            channel: self.channel.clone(),
            account: self.account.clone(),
            chat: self.chat,
            chat_id: self.chat_id.clone(),
            sender: self.sender.clone(),
            text: String::new(),
            mentioned: Some(true),
            can_detect_mention: None,
            command: false,
            paired,
            thread: self.thread.clone(),
            topic: self.topic.clone(),
            parent: self.parent.clone(),
            guild: self.guild.clone(),
            team: self.team.clone(),
            roles: self.roles.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HandleError {
    #[error("the session handle is malformed")]
    Malformed,
    #[error("the session handle was not issued by this gateway (or was altered)")]
    BadSignature,
    #[error("the session handle has expired; gate the next message again for a new one")]
    Expired,
    #[error("the session handle was issued to another credential")]
    WrongPrincipal,
    #[error("the policy in force no longer grants what the session handle was issued for; gate the next message again")]
    #[serde(rename = "handle_stale")]
    Stale,
}

/// The signing key. `Debug` never prints it.
#[derive(Clone)]
pub struct HandleKey([u8; 32]);

impl std::fmt::Debug for HandleKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HandleKey(<redacted>)")
    }
}

impl HandleKey {
    pub fn new(bytes: [u8; 32]) -> Self {
        HandleKey(bytes)
    }

    /// `None` never happens (HMAC takes keys of any length); callers fail closed on it.
    fn mac(&self, payload: &[u8]) -> Option<Hmac<Sha256>> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).ok()?;
        mac.update(CONTEXT);
        mac.update(payload);
        Some(mac)
    }

    /// Seals `claims` into a handle; `None` when the handle would be longer
    /// than [`HANDLE_CAP`] (ids that long are refused, not sealed unopenable).
    pub fn mint(&self, claims: &Claims) -> Option<String> {
        let payload = serde_json::to_vec(claims).ok()?;
        let tag = self.mac(&payload)?.finalize().into_bytes();
        let handle = format!("{PREFIX}{}.{}", hex(&payload), hex(&tag));
        (handle.len() <= HANDLE_CAP).then_some(handle)
    }

    /// Opens a handle: the signature first (in constant time), then the
    /// claims, the expiry and the credential that presents it.
    pub fn open(&self, text: &str, principal: &str, now_ms: u64) -> Result<Claims, HandleError> {
        if text.len() > HANDLE_CAP {
            return Err(HandleError::Malformed);
        }
        let rest = text.strip_prefix(PREFIX).ok_or(HandleError::Malformed)?;
        let (payload, tag) = rest.split_once('.').ok_or(HandleError::Malformed)?;
        let (payload, tag) = (unhex(payload).ok_or(HandleError::Malformed)?, unhex(tag).ok_or(HandleError::Malformed)?);
        self.mac(&payload).ok_or(HandleError::BadSignature)?.verify_slice(&tag).map_err(|_| HandleError::BadSignature)?;
        let claims: Claims = serde_json::from_slice(&payload).map_err(|_| HandleError::Malformed)?;
        if now_ms >= claims.expires_ms {
            return Err(HandleError::Expired);
        }
        if claims.principal != principal {
            return Err(HandleError::WrongPrincipal);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            principal: "rt1".into(),
            agent: "family".into(),
            session: "agent:family:telegram:direct:333".into(),
            channel: "telegram".into(),
            account: None,
            sender: "telegram:333".into(),
            owner: false,
            chat: "direct".into(),
            chat_id: "333".into(),
            subagent: false,
            expires_ms: 1_000,
            grounds: None,
            parent_session: None,
        }
    }

    #[test]
    fn a_handle_opens_only_unchanged_in_time_and_for_its_principal() {
        let key = HandleKey::new([7; 32]);
        let handle = key.mint(&claims()).unwrap();
        assert_eq!(key.open(&handle, "rt1", 999), Ok(claims()));
        assert_eq!(key.open(&handle, "rt1", 1_000), Err(HandleError::Expired));
        assert_eq!(key.open(&handle, "rt2", 999), Err(HandleError::WrongPrincipal));
        assert_eq!(HandleKey::new([8; 32]).open(&handle, "rt1", 999), Err(HandleError::BadSignature));
        // Claim the main session: the payload changes, the signature does not follow.
        let forged = key.mint(&Claims { session: "agent:family:main".into(), ..claims() }).unwrap();
        let forged_payload = forged.split('.').nth(1).unwrap();
        let tag = handle.split('.').nth(2).unwrap();
        let spliced = format!("{PREFIX}{forged_payload}.{tag}");
        assert_eq!(key.open(&spliced, "rt1", 999), Err(HandleError::BadSignature));
        assert_eq!(key.mint(&Claims { sender: "x".repeat(HANDLE_CAP), ..claims() }), None, "too long to seal");
        for bad in ["", "ph1.", "ph1.zz.zz", "ph1.00", "ph2.00.00", &"a".repeat(HANDLE_CAP + 1)] {
            assert!(key.open(bad, "rt1", 0).is_err(), "{bad}");
        }
        assert_eq!(format!("{key:?}"), "HandleKey(<redacted>)");
    }

    /// Found by the `handles` fuzz target: other spellings of the same bytes
    /// (`0A` for `0a`, `+a` for `0a`) opened, so one handle had many texts
    /// and anything keyed by the text (logs, revocation, rate limits) could
    /// be dodged. A handle opens only as minted: lowercase hex, two digits a byte.
    #[test]
    fn only_the_minted_spelling_of_a_handle_opens() {
        let key = HandleKey::new([7; 32]);
        let handle = key.mint(&claims()).unwrap();
        let (head, tag) = handle.rsplit_once('.').unwrap();
        let at = tag.find(|c: char| c.is_ascii_lowercase()).unwrap();
        let upper = format!("{head}.{}{}{}", &tag[..at], tag[at..=at].to_ascii_uppercase(), &tag[at + 1..]);
        let zero = tag.as_bytes().chunks(2).position(|pair| pair[0] == b'0').unwrap() * 2;
        let plus = format!("{head}.{}+{}", &tag[..zero], &tag[zero + 1..]);
        for respelled in [upper, plus, handle.to_uppercase().replacen("PH1", "ph1", 1)] {
            assert_ne!(respelled, handle);
            assert_eq!(key.open(&respelled, "rt1", 999), Err(HandleError::Malformed), "{respelled}");
        }
    }
}
