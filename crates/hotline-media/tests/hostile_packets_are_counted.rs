//! Malformed, oversized and truncated packets, RTCP on the RTP port, packets
//! from an unexpected address and from a second source after latching are
//! dropped and counted; the leg keeps sending to the latched address.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use hotline_media::core::{ComfortNoise, LegCore, Outbox};
use hotline_media::rtp::{self, RtpHeader};
use hotline_media::{Codec, LatchPolicy, LegParams};

fn audio(ssrc: u32, seq: u16) -> Vec<u8> {
    let mut buf = Vec::new();
    let header = RtpHeader {
        marker: false,
        payload_type: 0,
        sequence: seq,
        timestamp: u32::from(seq) * 160,
        ssrc,
    };
    rtp::build(&header, &[0x7F; 160], &mut buf);
    buf
}

#[test]
fn garbage_is_dropped_and_counted_and_latching_follows_nat() {
    let t0 = Instant::now();
    let sdp: SocketAddr = "127.0.0.1:40300".parse().unwrap();
    // Behind NAT the packets come from another port of the same address.
    let nat: SocketAddr = "127.0.0.1:51234".parse().unwrap();
    let stranger: SocketAddr = "127.0.0.2:40300".parse().unwrap();
    let mut core = LegCore::new(1, 0, 0, Arc::new(ComfortNoise::new()));
    core.handle_rtp(t0, nat, &audio(1, 1)); // before start
    core.start(t0, LegParams::new(sdp, Codec::Pcmu, Some(101)));

    core.handle_rtp(t0, stranger, &audio(1, 2)); // not the SDP address: not latched to
    core.handle_rtp(t0, nat, &[0x80, 0, 1]); // truncated
    core.handle_rtp(t0, nat, &[0x40; 200]); // version 1
    core.handle_rtp(t0, nat, &vec![0x80; 3000]); // oversized
    core.handle_rtp(
        t0,
        nat,
        &[0x80, 200, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
    ); // RTCP
    let mut bad_event = Vec::new();
    rtp::build(
        &RtpHeader {
            marker: true,
            payload_type: 101,
            sequence: 9,
            timestamp: 9,
            ssrc: 1,
        },
        &[1, 2],
        &mut bad_event,
    );
    core.handle_rtp(t0, nat, &audio(1, 3)); // valid: latches to the NAT port
    core.handle_rtp(t0, nat, &bad_event); // a truncated telephone-event
    core.handle_rtp(t0, stranger, &audio(2, 4)); // after latching, another source
    core.handle_rtp(t0, nat, &audio(1, 4));
    for i in 0..1000u16 {
        // A flood of random-looking junk.
        let junk: Vec<u8> = (0..(i % 300)).map(|b| b.wrapping_mul(i) as u8).collect();
        core.handle_rtp(t0, nat, &junk);
    }

    let c = core.stats().counters;
    assert_eq!(c.before_start_dropped, 1);
    assert_eq!(c.unexpected_source_dropped, 2);
    assert_eq!(
        c.rtp_received, 3,
        "two audio packets and the bad event's header"
    );
    assert!(c.malformed_dropped >= 5 + 900, "{c:?}");
    assert_eq!(core.remote(), Some(nat));
    let mut out = Outbox::new();
    core.tick(t0, 0, &mut out);
    assert_eq!(out.iter().next().map(|(_, to, _)| to), Some(nat));

    // Any-source latching trusts the first valid packet from anywhere.
    let mut open = LegCore::new(2, 0, 0, Arc::new(ComfortNoise::new()));
    let mut params = LegParams::new(sdp, Codec::Pcmu, None);
    params.latch = LatchPolicy::AnySource(nat.ip());
    open.start(t0, params);
    open.handle_rtp(t0, stranger, &audio(5, 1));
    assert_eq!(open.remote(), Some(stranger));
}
