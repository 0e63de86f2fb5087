//! Challenge-response: a correctly signed connect message, then whatever
//! the fuzzer does to it. The gateway must accept it exactly when nothing
//! that the signature or the challenge covers was changed.
#![no_main]

use arbitrary::Arbitrary;
use ed25519_dalek::{Signer, SigningKey};
use libfuzzer_sys::fuzz_target;
use palisade_gateway::devices::{fingerprint, hex, signed_message, Challenges, ConnectRequest};

#[derive(Debug, Arbitrary)]
struct Case {
    seed: [u8; 32],
    nonce: String,
    issued_at: u32,
    signed_at: u32,
    now: u32,
    device_id: Option<String>,
    public_key: Option<String>,
    signature: Option<String>,
    presented_nonce: Option<String>,
    sign_other_id: bool,
}

fuzz_target!(|case: Case| {
    let skew_ms = 120_000u64;
    let challenges = Challenges::new(std::time::Duration::from_millis(skew_ms));
    let (issued_at, signed_at, now) = (u64::from(case.issued_at), u64::from(case.signed_at), u64::from(case.now));
    challenges.issue(case.nonce.clone(), issued_at);
    let key = SigningKey::from_bytes(&case.seed);
    let public = key.verifying_key().to_bytes();
    let id = fingerprint(&public);
    let signed_id = if case.sign_other_id { format!("{id}x") } else { id.clone() };
    let signature = hex(&key.sign(signed_message(&signed_id, &case.nonce, signed_at).as_bytes()).to_bytes());
    let public_hex = hex(&public);
    let request = ConnectRequest {
        device_id: case.device_id.as_deref().unwrap_or(&id),
        public_key: case.public_key.as_deref().unwrap_or(&public_hex),
        signature: case.signature.as_deref().unwrap_or(&signature),
        nonce: case.presented_nonce.as_deref().unwrap_or(&case.nonce),
        signed_at,
    };
    let accepted = challenges.verify(&request, now).is_ok();
    let untouched = request.device_id.trim().eq_ignore_ascii_case(&id)
        && request.public_key.eq_ignore_ascii_case(&public_hex)
        && request.signature.eq_ignore_ascii_case(&signature)
        && request.nonce == case.nonce
        && !case.sign_other_id;
    let in_time = !case.nonce.trim().is_empty() && now.saturating_sub(issued_at) < 300_000 && now.abs_diff(signed_at) <= skew_ms;
    assert_eq!(accepted, untouched && in_time, "accepted must mean signed, unchanged and in time: {case:?}");
    // A second connect with the same nonce never passes: nonces are single-use.
    assert!(challenges.verify(&request, now).is_err(), "a nonce was accepted twice");
});
