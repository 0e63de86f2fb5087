//! Raw bytes through the OpenClaw JSON front end: never a panic; a config
//! that compiles prints as DSL that compiles to the same tool, gate and route
//! decisions.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade::Policy;

use palisade_testkit::round_trip;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(policy) = Policy::from_openclaw_json("fuzz.json", &text) {
        round_trip::assert_prints_back(&policy, &text);
    }
});
