//! Fuzz target `sdp`: the body lives in
//! crates/hotline-sip/tests/fuzz_bodies/mod.rs, shared with the seeded
//! smoke run that CI executes on stable (tests/fuzz_smoke.rs).
#![no_main]

#[path = "../../crates/hotline-sip/tests/fuzz_bodies/mod.rs"]
mod fuzz_bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_bodies::sdp(data));
