//! Client authentication: the shared secret, compared in constant time, and
//! the per-address failure counter that turns guessing into a lockout.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Instant;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::listener::ClientKey;
use palisade::AuthMode;
use palisade::{GatewayAuth, RateLimit, SecretRef};

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
    #[diagnostic(
        code("palisade::missing-secret"),
        help("export {var}=<a long random secret>, or read it from a file with `auth token from file \"PATH\"`")
    )]
    MissingEnv { mode: &'static str, var: String },
    #[error("refusing to start: cannot read the gateway secret from {path}: {reason}")]
    #[diagnostic(code("palisade::missing-secret"))]
    File { path: String, reason: String },
    #[error("refusing to start: the gateway secret in {what} is empty")]
    #[diagnostic(code("palisade::missing-secret"))]
    Empty { what: String },
    #[error("refusing to start: the gateway secret in {what} is {len} bytes; it must be at least {MIN_SECRET_BYTES}")]
    #[diagnostic(
        code("palisade::weak-secret"),
        help("the operator secret opens every operator action, and guesses are only throttled; make one with `head -c 24 /dev/urandom | base64`")
    )]
    TooShort { what: String, len: usize },
}

/// The shortest operator secret (`auth token` or `auth password`) the
/// gateway starts with.
pub const MIN_SECRET_BYTES: usize = 32;

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
    if value.len() < MIN_SECRET_BYTES {
        return Err(SecretError::TooShort { what, len: value.len() });
    }
    Ok(Some(Secret::new(value)))
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    window_start: Instant,
    count: u32,
    locked_until: Option<Instant>,
}

/// Failed attempts per client (`listener::failure_key`: all of loopback as
/// one, an IPv4 /24, an IPv6 /64; a local user on the Unix socket). Over the limit in one window the client
/// is locked out (429) for the lockout period. Failures from everywhere
/// also count against a global budget, [`GLOBAL_FAILURE_FACTOR`] times the
/// per-client limit: over it, the operator secret is not checked from any
/// address for the lockout period (guessing it from many networks at once
/// gains nothing), while minted tokens still work.
/// A success does not clear the count, so guesses interleaved with real
/// traffic are throttled too. During a lockout only an unguessable
/// credential (a minted 256-bit token) is still honoured, so a local
/// process that sends wrong tokens cannot lock a runtime out; the operator
/// secret, which may be a password, is not checked at all then.
///
/// The table holds at most [`MAX_TRACKED`] addresses; when it is full the
/// address tracked longest is forgotten (first in, first out, O(1)).
#[derive(Debug)]
pub struct Limiter {
    limit: RateLimit,
    clients: Mutex<Tracked>,
}

/// The global budget of failed attempts per window, in per-client limits.
pub const GLOBAL_FAILURE_FACTOR: u32 = 16;

#[derive(Debug, Default)]
struct Tracked {
    /// Failures from every address (`None` until the first).
    global: Option<Failures>,
    by_address: HashMap<ClientKey, Failures>,
    /// Addresses in the order their entries began; stale ones are skipped.
    order: VecDeque<(ClientKey, Instant)>,
}

/// What the presented credential turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Failed,
    /// The operator secret: it may be a password, so a lockout covers it.
    Secret,
    /// A minted 256-bit token: unguessable, so a lockout never blocks it.
    Unguessable,
}

/// What the limiter says about one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    Unauthorized,
    LockedOut,
}

/// Bound on tracked addresses.
pub const MAX_TRACKED: usize = 65_536;

impl Limiter {
    pub fn new(limit: RateLimit) -> Self {
        Limiter { limit, clients: Mutex::new(Tracked::default()) }
    }

    /// Checks one attempt from `client` (already keyed: [`crate::listener::Peer::failure_key`]).
    pub fn attempt(&self, client: impl Into<ClientKey>, attempt: Attempt, now: Instant) -> Verdict {
        let client = client.into();
        // A poisoned lock means a panic elsewhere; refusing is the safe answer.
        let Ok(mut tracked) = self.clients.lock() else { return Verdict::LockedOut };
        let locked_out = |f: &Failures| f.locked_until.is_some_and(|until| now < until);
        let locked = tracked.by_address.get(&client).is_some_and(locked_out) || tracked.global.as_ref().is_some_and(locked_out);
        match attempt {
            Attempt::Unguessable => return Verdict::Allowed,
            _ if locked => return Verdict::LockedOut,
            Attempt::Secret => return Verdict::Allowed,
            Attempt::Failed => {}
        }
        let Tracked { global, by_address, order } = &mut *tracked;
        let fresh = Failures { window_start: now, count: 0, locked_until: None };
        let global = global.get_or_insert(Failures { window_start: now, count: 0, locked_until: None });
        if now.duration_since(global.window_start) >= self.limit.window || global.locked_until.is_some_and(|until| now >= until) {
            *global = Failures { window_start: now, count: 0, locked_until: None };
        }
        global.count = global.count.saturating_add(1);
        if global.count > self.limit.attempts.saturating_mul(GLOBAL_FAILURE_FACTOR) && global.locked_until.is_none() {
            global.locked_until = Some(now + self.limit.lockout);
        }
        let entry = match by_address.get_mut(&client) {
            Some(entry) => entry,
            None => {
                while by_address.len() >= MAX_TRACKED {
                    let Some((oldest, started)) = order.pop_front() else { break };
                    if by_address.get(&oldest).is_some_and(|f| f.window_start == started) {
                        by_address.remove(&oldest);
                    }
                }
                order.push_back((client, now));
                by_address.entry(client).or_insert(fresh)
            }
        };
        let restarted = now.duration_since(entry.window_start) >= self.limit.window || entry.locked_until.is_some();
        if restarted {
            *entry = fresh;
        }
        entry.count += 1;
        let verdict = if entry.count > self.limit.attempts {
            entry.locked_until = Some(now + self.limit.lockout);
            Verdict::LockedOut
        } else {
            Verdict::Unauthorized
        };
        if restarted {
            order.push_back((client, now));
            if order.len() > 2 * MAX_TRACKED {
                // Drop the stale entries restarted windows left behind (amortised O(1)).
                order.retain(|(ip, started)| by_address.get(ip).is_some_and(|f| f.window_start == *started));
            }
        }
        verdict
    }

    /// Addresses tracked now (for tests of the bound).
    pub fn tracked(&self) -> usize {
        self.clients.lock().map_or(0, |t| t.by_address.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;
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
        assert_eq!(limiter.attempt(ip, Attempt::Failed, t0), Verdict::Unauthorized);
        // A success in between does not reset the count.
        assert_eq!(limiter.attempt(ip, Attempt::Secret, t0), Verdict::Allowed);
        assert_eq!(limiter.attempt(ip, Attempt::Failed, t0), Verdict::Unauthorized);
        assert_eq!(limiter.attempt(ip, Attempt::Failed, t0), Verdict::LockedOut);
        assert_eq!(limiter.attempt(ip, Attempt::Secret, t0 + Duration::from_secs(10)), Verdict::LockedOut);
        assert_eq!(limiter.attempt(ip, Attempt::Unguessable, t0 + Duration::from_secs(10)), Verdict::Allowed, "a runtime is never locked out");
        assert_eq!(limiter.attempt(ip, Attempt::Secret, t0 + Duration::from_secs(301)), Verdict::Allowed);
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        assert_eq!(limiter.attempt(other, Attempt::Secret, t0), Verdict::Allowed);
    }

    #[test]
    fn the_table_stays_bounded_and_keeps_new_lockouts() {
        let limit = RateLimit { attempts: 1, window: Duration::from_secs(60), lockout: Duration::from_secs(300) };
        let limiter = Limiter::new(limit);
        let t0 = Instant::now();
        let budget = GLOBAL_FAILURE_FACTOR;
        let mut now = t0;
        for i in 0..(MAX_TRACKED as u32 + 1000) {
            // One failure per address, the global budget's worth per window.
            if i % budget == 0 {
                now += limit.lockout;
            }
            let ip = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            assert_eq!(limiter.attempt(ip, Attempt::Failed, now), Verdict::Unauthorized, "address {i}");
        }
        assert_eq!(limiter.tracked(), MAX_TRACKED);
        let last = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + MAX_TRACKED as u32 + 999));
        assert_eq!(limiter.attempt(last, Attempt::Failed, now), Verdict::LockedOut);
        assert_eq!(limiter.attempt(last, Attempt::Secret, now), Verdict::LockedOut, "the newest lockout is kept");
    }

    /// Issue 26, finding 6: guesses spread over many addresses met no limit.
    /// Over the global budget the operator secret is refused everywhere,
    /// and a minted token still gets in.
    #[test]
    fn guesses_from_many_networks_spend_one_global_budget() {
        let limit = RateLimit { attempts: 3, window: Duration::from_secs(60), lockout: Duration::from_secs(300) };
        let limiter = Limiter::new(limit);
        let t0 = Instant::now();
        let budget = limit.attempts * GLOBAL_FAILURE_FACTOR;
        for i in 0..budget {
            // Each network stays under its own limit.
            let ip = IpAddr::V4(std::net::Ipv4Addr::new(10, (i / 256) as u8, (i % 256) as u8, 1));
            assert_eq!(limiter.attempt(ip, Attempt::Failed, t0), Verdict::Unauthorized, "guess {i}");
        }
        let fresh: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(limiter.attempt(fresh, Attempt::Failed, t0), Verdict::Unauthorized, "the last guess of the budget");
        assert_eq!(limiter.attempt(fresh, Attempt::Secret, t0), Verdict::LockedOut, "over the budget the secret is not checked");
        let elsewhere: IpAddr = "198.51.100.7".parse().unwrap();
        assert_eq!(limiter.attempt(elsewhere, Attempt::Secret, t0 + Duration::from_secs(10)), Verdict::LockedOut);
        assert_eq!(limiter.attempt(elsewhere, Attempt::Unguessable, t0 + Duration::from_secs(10)), Verdict::Allowed);
        assert_eq!(limiter.attempt(elsewhere, Attempt::Secret, t0 + limit.lockout), Verdict::Allowed, "the global lockout ends");
    }

    #[test]
    fn loopback_is_one_client_and_ipv4_counts_by_its_24() {
        use crate::listener::failure_key;
        let key = |s: &str| failure_key(s.parse().unwrap());
        assert_eq!(key("127.0.0.1"), key("127.9.8.7"));
        assert_eq!(key("::1"), key("127.0.0.1"));
        assert_eq!(key("::ffff:127.0.0.2"), key("127.0.0.1"));
        assert_eq!(key("203.0.113.5"), key("203.0.113.250"));
        assert_ne!(key("203.0.113.5"), key("203.0.114.5"));
        assert_eq!(key("2001:db8::1"), key("2001:db8::ffff:1"));
        assert_ne!(key("2001:db8:0:1::1"), key("2001:db8::1"));
    }
}
