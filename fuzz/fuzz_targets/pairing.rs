//! The pairing code path on a real store: any sequence of requests and
//! approvals, with any ids, codes and clock. The cap holds per channel
//! account, an approval needs a live code, and codes are single-use.
#![no_main]

use std::collections::HashMap;
use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use palisade_gateway::pairing::{peer, Pairing};
use palisade_gateway::store::Store;

#[derive(Debug, Arbitrary)]
enum Op {
    Request { channel: u8, account: Option<String>, sender: String, advance_ms: u16 },
    Approve { channel: u8, code_of: u8, guess: Option<String>, advance_ms: u16 },
}

const CHANNELS: [&str; 2] = ["telegram", "Discord"];

fuzz_target!(|ops: Vec<Op>| {
    let store = Store::in_memory().expect("an in-memory store opens");
    let ttl = Duration::from_millis(5_000);
    let cap = 2;
    let pairing = Pairing { store: &store, ttl, cap };
    let mut now = 0u64;
    let mut issued: Vec<(String, String, u64)> = Vec::new(); // channel, code, issued at
    for op in ops.iter().take(64) {
        match op {
            Op::Request { channel, account, sender, advance_ms } => {
                now += u64::from(*advance_ms);
                let channel = CHANNELS[usize::from(*channel) % 2];
                let who = peer(channel, account.as_deref(), sender);
                if let Ok(Ok(code)) = pairing.request(&who, now) {
                    issued.push((who.0.clone(), code, now));
                }
            }
            Op::Approve { channel, code_of, guess, advance_ms } => {
                now += u64::from(*advance_ms);
                let (channel, code) = match (guess, issued.get(usize::from(*code_of))) {
                    (None, Some((c, code, _))) => (c.clone(), code.clone()),
                    (Some(g), _) => (CHANNELS[usize::from(*channel) % 2].to_lowercase(), g.clone()),
                    (None, None) => continue,
                };
                if let Ok(Ok(_)) = pairing.approve(&channel, &code, now) {
                    let live = issued.iter().position(|(c, k, at)| *c == channel && *k == code && now - at < ttl.as_millis() as u64);
                    let i = live.unwrap_or_else(|| panic!("approved {code} on {channel} with no live code for it"));
                    issued.remove(i);
                }
            }
        }
        let mut per_account: HashMap<(String, String), usize> = HashMap::new();
        let (pending, _) = store.pairing_snapshot(now, ttl).expect("snapshot");
        for ((channel, account, _), _, _) in pending {
            *per_account.entry((channel, account)).or_default() += 1;
        }
        assert!(per_account.values().all(|n| *n <= cap), "cap exceeded: {per_account:?}");
    }
});
