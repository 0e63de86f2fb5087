//! Every request body the gateway's API accepts, parsed as its endpoint
//! parses it (`palisade_gateway::parse_bodies`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(body) = std::str::from_utf8(data) {
        let _ = palisade_gateway::parse_bodies(body);
    }
});
