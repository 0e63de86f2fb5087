//! Device challenge-response: the gateway hands out a single-use nonce; the
//! device signs `palisade-device-connect:v1\n<device_id>\n<nonce>\n<signed_at>`
//! with its ed25519 key; the gateway checks, in this order, that the nonce
//! was given, is one it issued and unused, that `signed_at` is within the
//! allowed skew, that the device id is the key's fingerprint, and the
//! signature (`verify_strict`). Each failure has its own error code.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};

/// Nonces not used within this long are forgotten.
pub const NONCE_LIFETIME: Duration = Duration::from_secs(300);
pub const MAX_NONCES: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectError {
    NonceMissing,
    NonceMismatch,
    Expired,
    DeviceIdMismatch,
    SignatureInvalid,
    BadEncoding,
}

impl ConnectError {
    pub fn message(self) -> &'static str {
        match self {
            ConnectError::NonceMissing => "no nonce: ask /v1/devices/challenge first",
            ConnectError::NonceMismatch => "the nonce was not issued by this gateway, expired, or was already used",
            ConnectError::Expired => "signed_at is outside the allowed clock skew",
            ConnectError::DeviceIdMismatch => "device_id is not the SHA-256 fingerprint of public_key",
            ConnectError::SignatureInvalid => "the signature does not verify",
            ConnectError::BadEncoding => "public_key (32 bytes) and signature (64 bytes) must be hex",
        }
    }
}

/// The message a device signs.
pub fn signed_message(device_id: &str, nonce: &str, signed_at: u64) -> String {
    format!("palisade-device-connect:v1\n{device_id}\n{nonce}\n{signed_at}")
}

/// The device id of a public key: lowercase hex SHA-256 of its 32 bytes.
pub fn fingerprint(public_key: &[u8; 32]) -> String {
    hex(&Sha256::digest(public_key))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The inverse of [`hex`], and only of it: lowercase digits, two a byte.
/// Any other spelling of the same bytes (`0A`, `+a`) is refused, so a
/// token, key or handle has exactly one text.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    let pairs = text.as_bytes().chunks(2);
    pairs
        .map(|pair| match *pair {
            [high, low] => Some(digit(high)? << 4 | digit(low)?),
            _ => None,
        })
        .collect()
}

fn unhex_array<const N: usize>(text: &str) -> Option<[u8; N]> {
    unhex(text.trim())?.try_into().ok()
}

/// Issued nonces, at most [`MAX_NONCES`]; when full, the oldest is forgotten
/// (first in, first out, O(1)), so no caller can make issuing slow.
#[derive(Debug)]
pub struct Challenges {
    skew: Duration,
    issued: Mutex<(HashMap<String, u64>, VecDeque<String>)>,
}

pub struct ConnectRequest<'a> {
    pub device_id: &'a str,
    pub public_key: &'a str,
    pub signature: &'a str,
    pub nonce: &'a str,
    pub signed_at: u64,
}

impl Challenges {
    pub fn new(skew: Duration) -> Self {
        Challenges { skew, issued: Mutex::new((HashMap::new(), VecDeque::new())) }
    }

    /// Records a fresh nonce issued at `now` (ms).
    pub fn issue(&self, nonce: String, now: u64) {
        let mut guard = self.issued.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (issued, order) = &mut *guard;
        while issued.len() >= MAX_NONCES {
            // Used nonces leave the map but not the queue: skip them.
            let Some(oldest) = order.pop_front() else { break };
            issued.remove(&oldest);
        }
        if order.len() > 2 * MAX_NONCES {
            order.retain(|n| issued.contains_key(n));
        }
        order.push_back(nonce.clone());
        issued.insert(nonce, now);
    }

    /// Checks a connect request; the nonce is consumed whatever the outcome.
    pub fn verify(&self, request: &ConnectRequest<'_>, now: u64) -> Result<(), ConnectError> {
        if request.nonce.trim().is_empty() {
            return Err(ConnectError::NonceMissing);
        }
        let issued_at = {
            let mut guard = self.issued.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            guard.0.remove(request.nonce)
        };
        let lifetime = u64::try_from(NONCE_LIFETIME.as_millis()).unwrap_or(u64::MAX);
        match issued_at {
            Some(t) if now.saturating_sub(t) < lifetime => {}
            _ => return Err(ConnectError::NonceMismatch),
        }
        let skew = u64::try_from(self.skew.as_millis()).unwrap_or(u64::MAX);
        if now.abs_diff(request.signed_at) > skew {
            return Err(ConnectError::Expired);
        }
        let (Some(key), Some(signature)) = (unhex_array::<32>(request.public_key), unhex_array::<64>(request.signature)) else {
            return Err(ConnectError::BadEncoding);
        };
        if fingerprint(&key) != request.device_id.trim().to_ascii_lowercase() {
            return Err(ConnectError::DeviceIdMismatch);
        }
        let key = VerifyingKey::from_bytes(&key).map_err(|_| ConnectError::SignatureInvalid)?;
        let message = signed_message(request.device_id.trim(), request.nonce, request.signed_at);
        key.verify_strict(message.as_bytes(), &Signature::from_bytes(&signature)).map_err(|_| ConnectError::SignatureInvalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn connect(challenges: &Challenges, key: &SigningKey, nonce: &str, signed_at: u64, now: u64) -> Result<(), ConnectError> {
        let public = key.verifying_key().to_bytes();
        let id = fingerprint(&public);
        let signature = key.sign(signed_message(&id, nonce, signed_at).as_bytes());
        let request = ConnectRequest { device_id: &id, public_key: &hex(&public), signature: &hex(&signature.to_bytes()), nonce, signed_at };
        challenges.verify(&request, now)
    }

    #[test]
    fn every_failure_has_its_code() {
        let challenges = Challenges::new(Duration::from_secs(120));
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let now = 1_000_000;
        assert_eq!(connect(&challenges, &key, "", now, now), Err(ConnectError::NonceMissing));
        assert_eq!(connect(&challenges, &key, "never-issued", now, now), Err(ConnectError::NonceMismatch));
        challenges.issue("n1".into(), now);
        assert_eq!(connect(&challenges, &key, "n1", now, now), Ok(()));
        assert_eq!(connect(&challenges, &key, "n1", now, now), Err(ConnectError::NonceMismatch), "single use: a replay fails");
        challenges.issue("n2".into(), now);
        assert_eq!(connect(&challenges, &key, "n2", now - 121_000, now), Err(ConnectError::Expired));
        challenges.issue("n3".into(), now);
        let public = key.verifying_key().to_bytes();
        let other = fingerprint(&[1u8; 32]);
        let signature = key.sign(signed_message(&other, "n3", now).as_bytes());
        let request =
            ConnectRequest { device_id: &other, public_key: &hex(&public), signature: &hex(&signature.to_bytes()), nonce: "n3", signed_at: now };
        assert_eq!(challenges.verify(&request, now), Err(ConnectError::DeviceIdMismatch));
        challenges.issue("n4".into(), now);
        let id = fingerprint(&public);
        let wrong = key.sign(b"something else");
        let request = ConnectRequest { device_id: &id, public_key: &hex(&public), signature: &hex(&wrong.to_bytes()), nonce: "n4", signed_at: now };
        assert_eq!(challenges.verify(&request, now), Err(ConnectError::SignatureInvalid));
    }
}
