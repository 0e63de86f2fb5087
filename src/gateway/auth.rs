//! Client authentication: the shared secret, compared in constant time, and
//! the per-address failure counter that turns guessing into a lockout.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::ast::AuthMode;
use crate::engine::gateway::{GatewayAuth, RateLimit, SecretRef};

/// The secret as a digest: comparing digests keeps the comparison constant
/// in time whatever the presented token's length. The secret itself is
/// dropped once hashed and never printed.
#[derive(Clone)]
pub struct Secret {
    digest: [u8; 32],
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

impl Secret {
    pub fn new(secret: &str) -> Self {
        Secret { digest: digest(secret.as_bytes()) }
    }

    /// The digest, to derive the credential epoch from; never the secret.
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    pub fn matches(&self, presented: &str) -> bool {
        bool::from(self.digest.ct_eq(&digest(presented.as_bytes())))
    }
}

/// Whether a request presenting `presented` (the bearer value, "" when
/// none) gets in: with no secret configured (`auth none`) everyone does.
pub fn admits(secret: Option<&Secret>, presented: &str) -> bool {
    match secret {
        None => true,
        Some(secret) => !presented.is_empty() && secret.matches(presented),
    }
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SecretError {
    #[error("refusing to start: auth mode `{mode}` needs a secret, but environment variable {var} is not set or empty")]
    #[diagnostic(code(palisade::missing_secret), help("export {var}=<a long random secret>, or read it from a file with `auth token from file \"PATH\"`"))]
    MissingEnv { mode: &'static str, var: String },
    #[error("refusing to start: cannot read the gateway secret from {path}: {reason}")]
    #[diagnostic(code(palisade::missing_secret))]
    File { path: String, reason: String },
    #[error("refusing to start: the gateway secret in {what} is empty")]
    #[diagnostic(code(palisade::missing_secret))]
    Empty { what: String },
}

/// Reads the secret the configuration points at. `Ok(None)` for `auth none`.
pub fn load_secret(auth: &GatewayAuth) -> Result<Option<Secret>, SecretError> {
    let mode = match auth.mode {
        AuthMode::None => return Ok(None),
        AuthMode::Token => "token",
        AuthMode::Password => "password",
    };
    let (value, what) = match &auth.secret {
        Some(SecretRef::Env(var)) => match std::env::var(var) {
            Ok(v) => (v, format!("${var}")),
            Err(_) => return Err(SecretError::MissingEnv { mode, var: var.clone() }),
        },
        Some(SecretRef::File(path)) => match std::fs::read_to_string(path) {
            Ok(v) => (v, path.display().to_string()),
            Err(e) => return Err(SecretError::File { path: path.display().to_string(), reason: e.to_string() }),
        },
        None => return Err(SecretError::Empty { what: "the configuration".into() }),
    };
    // A trailing newline from `echo secret > file` is not part of the secret.
    let value = value.trim_end_matches(['\n', '\r']);
    if value.is_empty() {
        return Err(SecretError::Empty { what });
    }
    Ok(Some(Secret::new(value)))
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    window_start: Instant,
    count: u32,
    locked_until: Option<Instant>,
}

/// Failed attempts per client address. Over the limit, the address is locked
/// out (429) for the lockout period, even with the right secret.
#[derive(Debug)]
pub struct Limiter {
    limit: RateLimit,
    clients: Mutex<HashMap<IpAddr, Failures>>,
}

/// What the limiter says about one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    Unauthorized,
    LockedOut,
}

/// Bound on tracked addresses; the oldest windows are forgotten first.
const MAX_TRACKED: usize = 65_536;

impl Limiter {
    pub fn new(limit: RateLimit) -> Self {
        Limiter { limit, clients: Mutex::new(HashMap::new()) }
    }

    /// Checks one attempt: `ok` is whether the secret matched.
    pub fn attempt(&self, client: IpAddr, ok: bool, now: Instant) -> Verdict {
        // A poisoned lock means a panic elsewhere; refusing is the safe answer.
        let Ok(mut clients) = self.clients.lock() else { return Verdict::LockedOut };
        if let Some(f) = clients.get(&client) {
            if f.locked_until.is_some_and(|until| now < until) {
                return Verdict::LockedOut;
            }
        }
        if ok {
            clients.remove(&client);
            return Verdict::Allowed;
        }
        if clients.len() >= MAX_TRACKED && !clients.contains_key(&client) {
            let window = self.limit.window;
            clients.retain(|_, f| now.duration_since(f.window_start) < window || f.locked_until.is_some_and(|u| now < u));
        }
        let entry = clients.entry(client).or_insert(Failures { window_start: now, count: 0, locked_until: None });
        if now.duration_since(entry.window_start) >= self.limit.window || entry.locked_until.is_some() {
            *entry = Failures { window_start: now, count: 0, locked_until: None };
        }
        entry.count += 1;
        if entry.count > self.limit.attempts {
            entry.locked_until = Some(now + self.limit.lockout);
            return Verdict::LockedOut;
        }
        Verdict::Unauthorized
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn secret_compares_by_digest() {
        let s = Secret::new("hunter2");
        assert!(s.matches("hunter2"));
        assert!(!s.matches("hunter3"));
        assert!(!s.matches(""));
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
    }

    #[test]
    fn lockout_after_the_limit_and_expiry() {
        let limit = RateLimit { attempts: 2, window: Duration::from_secs(60), lockout: Duration::from_secs(300) };
        let limiter = Limiter::new(limit);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let t0 = Instant::now();
        assert_eq!(limiter.attempt(ip, false, t0), Verdict::Unauthorized);
        assert_eq!(limiter.attempt(ip, false, t0), Verdict::Unauthorized);
        assert_eq!(limiter.attempt(ip, false, t0), Verdict::LockedOut);
        assert_eq!(limiter.attempt(ip, true, t0 + Duration::from_secs(10)), Verdict::LockedOut);
        assert_eq!(limiter.attempt(ip, true, t0 + Duration::from_secs(301)), Verdict::Allowed);
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        assert_eq!(limiter.attempt(other, true, t0), Verdict::Allowed);
    }
}
