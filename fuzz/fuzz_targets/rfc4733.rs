//! Fuzz target `rfc4733`: the body lives in
//! crates/hotline-media/tests/fuzz_bodies/mod.rs, shared with the seeded
//! smoke run that CI executes on stable (tests/fuzz_smoke.rs).
#![no_main]

#[path = "../../crates/hotline-media/tests/fuzz_bodies/mod.rs"]
mod fuzz_bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_bodies::rfc4733(data));
