//! The fuzz targets' bodies (see `fuzz/`) run on a few thousand seeded
//! random inputs, so CI exercises them on stable without libFuzzer.

mod fuzz_bodies;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Random bytes biased towards SIP: fragments of real messages, mixed with noise.
fn input(rng: &mut StdRng) -> Vec<u8> {
    const FRAGMENTS: [&[u8]; 12] = [
        b"INVITE sip:12345@127.0.0.1 SIP/2.0\r\n",
        b"SIP/2.0 200 OK\r\n",
        b"Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1\r\n",
        b"v: SIP/2.0/TCP h;branch=z9hG4bKx\n",
        b"From: <sip:a@b>;tag=1\r\n",
        b"t: <sip:12345@h>\r\n",
        b"i: x\r\n",
        b"CSeq: 1 INVITE\r\n",
        b"Content-Length: 4\r\n",
        b"l: 0\n",
        b"\r\n",
        b" folded\r\n",
    ];
    let mut out = Vec::new();
    for _ in 0..rng.gen_range(0..24) {
        if rng.gen_bool(0.7) {
            out.extend_from_slice(FRAGMENTS[rng.gen_range(0..FRAGMENTS.len())]);
        } else {
            for _ in 0..rng.gen_range(0..8) {
                out.push(rng.gen());
            }
        }
    }
    out
}

#[test]
fn parse_datagram_never_panics_and_round_trips() {
    let mut rng = StdRng::seed_from_u64(1);
    for _ in 0..3000 {
        fuzz_bodies::parse_datagram(&input(&mut rng));
    }
}

#[test]
fn stream_framer_split_points_change_nothing() {
    let mut rng = StdRng::seed_from_u64(2);
    for _ in 0..3000 {
        let mut data = vec![rng.gen::<u8>()];
        data.extend(input(&mut rng));
        fuzz_bodies::stream_framer(&data);
    }
}

#[test]
fn endpoint_sequences_never_panic_and_leave_nothing_behind() {
    let mut rng = StdRng::seed_from_u64(3);
    for _ in 0..400 {
        let len = rng.gen_range(0..600);
        let data: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
        fuzz_bodies::endpoint_sequence(&data);
    }
}

#[test]
fn endpoint_sequence_regressions() {
    // fuzz/endpoint_sequence found a panic inside sdp-types on a caller's body.
    fuzz_bodies::endpoint_sequence(&[
        40, 230, 230, 230, 33, 0, 0, 0, 225, 111, 34, 111, 116, 93, 97, 230, 62, 0,
    ]);
}
