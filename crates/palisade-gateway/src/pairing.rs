//! DM pairing: an unknown sender under `dm pairing` gets a short code; an
//! owner approves the code; from then on the sender's DMs are accepted.
//! The rules (TTL, pending cap per channel account, single use) are enforced
//! inside one store transaction, so racing requests cannot break them.

use std::io::Read;
use std::time::Duration;

use super::store::{Peer, Refusal, Store, StoreError};

/// No 0/O or 1/I: codes are read aloud and typed by people.
pub const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
pub const CODE_LEN: usize = 8;

pub fn peer(channel: &str, account: Option<&str>, sender: &str) -> Peer {
    (channel.trim().to_lowercase(), account.unwrap_or("default").trim().to_lowercase(), sender.trim().to_lowercase())
}

/// Eight characters from `ALPHABET`, from the system's random source.
/// Fills `bytes` from the system's random source.
pub fn random(bytes: &mut [u8]) -> Result<(), StoreError> {
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(bytes)).map_err(|e| StoreError::other(format!("random source: {e}")))
}

pub fn new_code() -> Result<String, StoreError> {
    let mut bytes = [0u8; CODE_LEN];
    random(&mut bytes)?;
    // 256 is a multiple of 32, so `% 32` has no bias.
    Ok(bytes.iter().filter_map(|b| ALPHABET.get(usize::from(*b) % ALPHABET.len()).map(|c| char::from(*c))).collect())
}

#[derive(Debug)]
pub struct Pairing<'s> {
    pub store: &'s Store,
    pub ttl: Duration,
    pub cap: usize,
}

impl Pairing<'_> {
    pub fn request(&self, peer: &Peer, now: u64) -> Result<Result<String, Refusal>, StoreError> {
        // A code collision on the channel is refused by the unique index;
        // try again with a fresh code.
        for _ in 0..8 {
            let code = new_code()?;
            match self.store.pairing_request(peer, &code, now, self.ttl, self.cap)? {
                Ok(()) => return Ok(Ok(code)),
                Err(Refusal::CodeTaken) => continue,
                Err(refusal) => return Ok(Err(refusal)),
            }
        }
        Err(StoreError::other("could not draw an unused pairing code"))
    }

    pub fn approve(&self, channel: &str, code: &str, now: u64) -> Result<Result<Peer, Refusal>, StoreError> {
        self.store.pairing_approve(&channel.trim().to_lowercase(), &code.trim().to_ascii_uppercase(), now, self.ttl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_ttl_cap_and_single_use() {
        let store = Store::in_memory().unwrap();
        let pairing = Pairing { store: &store, ttl: Duration::from_secs(60), cap: 3 };
        let t0 = 1_000_000;
        let code = pairing.request(&peer("telegram", None, "1"), t0).unwrap().unwrap();
        assert_eq!(code.len(), CODE_LEN);
        assert!(code.bytes().all(|b| ALPHABET.contains(&b)), "{code}");
        assert_eq!(pairing.request(&peer("Telegram", Some("default"), "1"), t0).unwrap(), Err(Refusal::AlreadyPending));
        pairing.request(&peer("telegram", None, "2"), t0).unwrap().unwrap();
        pairing.request(&peer("telegram", None, "3"), t0).unwrap().unwrap();
        assert_eq!(pairing.request(&peer("telegram", None, "4"), t0).unwrap(), Err(Refusal::CapReached));
        // The account is the client's word: another one shares the channel's cap.
        assert_eq!(pairing.request(&peer("telegram", Some("biz"), "4"), t0).unwrap(), Err(Refusal::CapReached));
        assert!(pairing.request(&peer("discord", Some("biz"), "4"), t0).unwrap().is_ok(), "another channel has its own cap");
        assert_eq!(pairing.approve("telegram", &code.to_lowercase(), t0).unwrap(), Ok(peer("telegram", None, "1")));
        assert!(store.pairing_is_approved(&peer("telegram", None, "1")).unwrap());
        assert_eq!(pairing.approve("telegram", &code, t0).unwrap(), Err(Refusal::UnknownCode), "codes are single-use");
        // The approval freed a slot; the cap holds again after it is taken.
        pairing.request(&peer("telegram", None, "5"), t0).unwrap().unwrap();
        assert_eq!(pairing.request(&peer("telegram", None, "6"), t0).unwrap(), Err(Refusal::CapReached));
        // Expired requests free their slots; expiry is enforced at approval time.
        let after = t0 + 61_000;
        let fresh = pairing.request(&peer("telegram", None, "6"), after).unwrap().unwrap();
        assert_eq!(pairing.approve("telegram", &fresh, after + 61_000).unwrap(), Err(Refusal::Expired));
        assert!(!store.pairing_is_approved(&peer("telegram", None, "6")).unwrap());
    }

    #[test]
    fn racing_requests_never_exceed_the_cap() {
        let path = std::env::temp_dir().join(format!("palisade-race-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let store = std::sync::Arc::new(Store::open(&path).unwrap());
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let store = std::sync::Arc::clone(&store);
                std::thread::spawn(move || {
                    let pairing = Pairing { store: &store, ttl: Duration::from_secs(60), cap: 3 };
                    pairing.request(&peer("signal", None, &i.to_string()), 5_000).unwrap().is_ok()
                })
            })
            .collect();
        let granted = handles.into_iter().map(|h| h.join().unwrap()).filter(|ok| *ok).count();
        assert_eq!(granted, 3);
        assert_eq!(store.pairing_snapshot(5_000, Duration::from_secs(60)).unwrap().0.len(), 3);
        let _ = std::fs::remove_file(&path);
    }
}
