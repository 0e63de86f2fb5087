//! DM pairing: an unknown sender under `dm pairing` gets a short code; an
//! owner approves the code; from then on the sender's DMs are accepted. One
//! mutex makes every check-and-insert atomic, so racing requests cannot push
//! a channel account over its pending cap.

use std::collections::HashSet;
use std::io::Read;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// No 0/O or 1/I: codes are read aloud and typed by people.
pub const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
pub const CODE_LEN: usize = 8;

/// (channel, account, sender), lowercased.
pub type Peer = (String, String, String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub peer: Peer,
    pub code: String,
    pub created: Instant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    CapReached,
    AlreadyPending,
    AlreadyApproved,
    UnknownCode,
    Expired,
    NoRandomness,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::CapReached => "this channel account has the maximum number of pending pairing requests",
            Refusal::AlreadyPending => "this sender already has a pending pairing request",
            Refusal::AlreadyApproved => "this sender is already paired",
            Refusal::UnknownCode => "no pending pairing request has this code on this channel",
            Refusal::Expired => "the pairing request expired before it was approved",
            Refusal::NoRandomness => "the system random source is unavailable",
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    pending: Vec<Pending>,
    approved: HashSet<Peer>,
}

#[derive(Debug)]
pub struct PairingStore {
    ttl: Duration,
    cap: usize,
    inner: Mutex<Inner>,
}

pub fn peer(channel: &str, account: Option<&str>, sender: &str) -> Peer {
    (channel.trim().to_lowercase(), account.unwrap_or("default").trim().to_lowercase(), sender.trim().to_lowercase())
}

fn new_code() -> Option<String> {
    let mut bytes = [0u8; CODE_LEN];
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes)).ok()?;
    // 256 is a multiple of 32, so `% 32` has no bias.
    Some(bytes.iter().filter_map(|b| ALPHABET.get(usize::from(*b) % ALPHABET.len()).map(|c| char::from(*c))).collect())
}

impl PairingStore {
    pub fn new(ttl: Duration, cap: usize) -> Self {
        PairingStore { ttl, cap, inner: Mutex::new(Inner::default()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A poisoned lock still holds consistent data: every mutation below
        // completes before anything can panic.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A code for `peer`, or why there is none.
    pub fn request(&self, peer: Peer, now: Instant) -> Result<String, Refusal> {
        let mut inner = self.lock();
        let ttl = self.ttl;
        inner.pending.retain(|p| now.duration_since(p.created) < ttl);
        if inner.approved.contains(&peer) {
            return Err(Refusal::AlreadyApproved);
        }
        if inner.pending.iter().any(|p| p.peer == peer) {
            return Err(Refusal::AlreadyPending);
        }
        let live = inner.pending.iter().filter(|p| p.peer.0 == peer.0 && p.peer.1 == peer.1).count();
        if live >= self.cap {
            return Err(Refusal::CapReached);
        }
        let code = loop {
            let code = new_code().ok_or(Refusal::NoRandomness)?;
            if !inner.pending.iter().any(|p| p.code == code) {
                break code;
            }
        };
        inner.pending.push(Pending { peer, code: code.clone(), created: now });
        Ok(code)
    }

    /// Approves a code; expiry is checked here, at approval time.
    pub fn approve(&self, channel: &str, code: &str, now: Instant) -> Result<Peer, Refusal> {
        let mut inner = self.lock();
        let channel = channel.trim().to_lowercase();
        let code = code.trim().to_ascii_uppercase();
        let Some(index) = inner.pending.iter().position(|p| p.peer.0 == channel && p.code == code) else {
            return Err(Refusal::UnknownCode);
        };
        let pending = inner.pending.remove(index);
        if now.duration_since(pending.created) >= self.ttl {
            return Err(Refusal::Expired);
        }
        inner.approved.insert(pending.peer.clone());
        Ok(pending.peer)
    }

    pub fn is_approved(&self, peer: &Peer) -> bool {
        self.lock().approved.contains(peer)
    }

    /// Live pending requests (codes included, for the owner) and approvals.
    pub fn snapshot(&self, now: Instant) -> (Vec<(Peer, String, Duration)>, Vec<Peer>) {
        let inner = self.lock();
        let pending = inner
            .pending
            .iter()
            .filter(|p| now.duration_since(p.created) < self.ttl)
            .map(|p| (p.peer.clone(), p.code.clone(), self.ttl.saturating_sub(now.duration_since(p.created))))
            .collect();
        let mut approved: Vec<Peer> = inner.approved.iter().cloned().collect();
        approved.sort();
        (pending, approved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_ttl_cap_and_single_use() {
        let store = PairingStore::new(Duration::from_secs(60), 3);
        let t0 = Instant::now();
        let code = store.request(peer("telegram", None, "1"), t0).unwrap();
        assert_eq!(code.len(), CODE_LEN);
        assert!(code.bytes().all(|b| ALPHABET.contains(&b)), "{code}");
        assert_eq!(store.request(peer("Telegram", Some("default"), "1"), t0), Err(Refusal::AlreadyPending));
        store.request(peer("telegram", None, "2"), t0).unwrap();
        store.request(peer("telegram", None, "3"), t0).unwrap();
        assert_eq!(store.request(peer("telegram", None, "4"), t0), Err(Refusal::CapReached));
        // Another account has its own cap.
        assert!(store.request(peer("telegram", Some("biz"), "4"), t0).is_ok());
        assert_eq!(store.approve("telegram", &code.to_lowercase(), t0).unwrap(), peer("telegram", None, "1"));
        assert!(store.is_approved(&peer("telegram", None, "1")));
        assert_eq!(store.approve("telegram", &code, t0), Err(Refusal::UnknownCode), "codes are single-use");
        // Expiry is enforced at approval time.
        let late = store.request(peer("telegram", None, "5"), t0).unwrap();
        assert_eq!(store.approve("telegram", &late, t0 + Duration::from_secs(61)), Err(Refusal::Expired));
        assert!(!store.is_approved(&peer("telegram", None, "5")));
        // Expired requests free their slot.
        assert!(store.request(peer("telegram", None, "6"), t0 + Duration::from_secs(61)).is_ok());
    }

    #[test]
    fn racing_requests_never_exceed_the_cap() {
        let store = std::sync::Arc::new(PairingStore::new(Duration::from_secs(60), 3));
        let t0 = Instant::now();
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let store = std::sync::Arc::clone(&store);
                std::thread::spawn(move || store.request(peer("signal", None, &i.to_string()), t0).is_ok())
            })
            .collect();
        let granted = handles.into_iter().map(|h| h.join().unwrap()).filter(|ok| *ok).count();
        assert_eq!(granted, 3);
        assert_eq!(store.snapshot(t0).0.len(), 3);
    }
}
