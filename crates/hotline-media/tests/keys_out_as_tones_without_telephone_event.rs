//! A peer that negotiated no telephone-event still gets the keys the
//! hotline sends: as in-band tones, which a DTMF detector hears exactly.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_media::core::{ComfortNoise, LegCore, Outbox, TICK};
use hotline_media::goertzel::DtmfDetector;
use hotline_media::rtp;
use hotline_media::{Codec, DtmfDigit, LegParams};

#[test]
fn keys_become_tones_the_far_end_can_detect() {
    let t0 = Instant::now();
    let peer: SocketAddr = "127.0.0.1:40700".parse().unwrap();
    let mut core = LegCore::new(1, 0, 0, Arc::new(ComfortNoise::new()));
    core.start(t0, LegParams::new(peer, Codec::Pcma, None));
    core.send_dtmf("90*#A".chars().map(|key| DtmfDigit {
        key,
        duration: Duration::from_millis(100),
    }));
    let mut out = Outbox::new();
    let mut detector = DtmfDetector::new();
    let mut decoded = Vec::new();
    for n in 0..60u32 {
        core.tick(t0 + TICK * n, 0, &mut out);
        for (_, _, bytes) in out.iter() {
            let p = rtp::parse(bytes).unwrap();
            assert_eq!(p.header.payload_type, 8, "audio only, no telephone-event");
            Codec::Pcma.decode_into(p.payload, &mut decoded);
        }
        out.clear();
    }
    detector.feed(&decoded);
    let keys: String = std::iter::from_fn(|| detector.poll_digit())
        .map(|d| d.key)
        .collect();
    assert_eq!(keys, "90*#A");
}
