//! The media fuzz targets' bodies (see `fuzz/`) run on a few thousand seeded
//! random inputs, so CI exercises them on stable without libFuzzer.

mod fuzz_bodies;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn bytes(rng: &mut StdRng, max_len: usize) -> Vec<u8> {
    let len = rng.gen_range(0..max_len);
    (0..len).map(|_| rng.gen()).collect()
}

#[test]
fn rtp_rtcp_never_panics_round_trips_and_sends_parseable_packets() {
    let mut rng = StdRng::seed_from_u64(1);
    for _ in 0..2000 {
        fuzz_bodies::rtp_rtcp(&bytes(&mut rng, 400));
    }
}

#[test]
fn rtp_rtcp_single_datagrams_never_panic() {
    // Valid-looking headers (version 2) with every flag combination.
    let mut rng = StdRng::seed_from_u64(2);
    for _ in 0..3000 {
        let mut data = bytes(&mut rng, 80);
        if let Some(first) = data.first_mut() {
            *first = 0x80 | (*first & 0x3F);
        }
        fuzz_bodies::rtp_rtcp(&data);
    }
}

#[test]
fn rfc4733_reports_only_dtmf_keys() {
    let mut rng = StdRng::seed_from_u64(3);
    for _ in 0..3000 {
        fuzz_bodies::rfc4733(&bytes(&mut rng, 300));
    }
}
