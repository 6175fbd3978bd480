//! A leg sends audio only to an address something has confirmed (the
//! signalling source's host, or the peer's own RTP), and latches only to
//! the host its policy names: an INVITE whose SDP names a stranger gets no
//! reflection, and a stranger's packets cannot take a citizen's audio.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

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

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn leg(t0: Instant, sdp: SocketAddr, latch: LatchPolicy) -> LegCore {
    let mut core = LegCore::new(7, 0, 0, Arc::new(ComfortNoise::new()));
    let mut params = LegParams::new(sdp, Codec::Pcmu, Some(101));
    params.latch = latch;
    core.start(t0, params);
    core
}

/// Where a second of ticks sent packets (RTP and RTCP).
fn destinations(core: &mut LegCore, from: Instant) -> Vec<SocketAddr> {
    let mut out = Outbox::new();
    for tick in 0..260u32 {
        core.tick(
            from + Duration::from_millis(u64::from(tick) * 20),
            0,
            &mut out,
        );
    }
    let mut to: Vec<SocketAddr> = out.iter().map(|(_, to, _)| to).collect();
    to.dedup();
    to
}

#[test]
fn an_sdp_naming_another_host_gets_no_audio_until_the_caller_sends() {
    let t0 = Instant::now();
    // The INVITE came from 127.0.0.1; its SDP names a victim elsewhere.
    let victim = addr("127.0.0.99:40000");
    let mut core = leg(t0, victim, LatchPolicy::SignallingSource(ip("127.0.0.1")));
    assert_eq!(core.remote(), None);
    assert!(
        destinations(&mut core, t0).is_empty(),
        "nothing may be aimed at an unconfirmed address"
    );
    assert!(core.stats().counters.unconfirmed_remote_ticks > 0);
    // The victim's own packets do not confirm it either.
    core.handle_rtp(t0, victim, &audio(1, 1));
    assert_eq!(core.remote(), None);
    // The caller's RTP (from behind its NAT) confirms where it is.
    let caller = addr("127.0.0.1:51000");
    core.handle_rtp(t0, caller, &audio(2, 1));
    assert_eq!(core.remote(), Some(caller));
    let sent = destinations(&mut core, t0);
    assert!(sent.contains(&caller), "{sent:?}");
    assert!(
        sent.iter().all(|to| to.ip() == caller.ip()),
        "RTP and RTCP go to the caller's host only: {sent:?}"
    );
}

#[test]
fn an_sdp_on_the_signalling_host_is_sent_to_at_once() {
    let t0 = Instant::now();
    let sdp = addr("127.0.0.1:40000");
    let mut core = leg(t0, sdp, LatchPolicy::SignallingSource(ip("127.0.0.1")));
    assert_eq!(core.remote(), Some(sdp));
    let sent = destinations(&mut core, t0);
    assert!(sent.contains(&sdp), "{sent:?}");
    assert_eq!(core.stats().counters.unconfirmed_remote_ticks, 0);
}

#[test]
fn a_stranger_cannot_take_the_call_by_sending_first() {
    let t0 = Instant::now();
    let sdp = addr("127.0.0.1:40000");
    let mut core = leg(t0, sdp, LatchPolicy::SignallingSource(ip("127.0.0.1")));
    let stranger = addr("127.0.0.66:40000");
    // The stranger guessed the port and sends first: RTP, RTCP and a key.
    core.handle_rtp(t0, stranger, &audio(66, 1));
    core.handle_rtcp(
        t0,
        stranger,
        &[0x80, 201, 0, 1, 0, 0, 0, 66], // an empty receiver report
    );
    let mut key = Vec::new();
    rtp::build(
        &RtpHeader {
            marker: true,
            payload_type: 101,
            sequence: 2,
            timestamp: 320,
            ssrc: 66,
        },
        &[5, 0x0A, 0, 160],
        &mut key,
    );
    core.handle_rtp(t0, stranger, &key);
    let counters = core.stats().counters;
    assert_eq!(counters.rtp_received, 0);
    assert_eq!(counters.rtcp_received, 0);
    assert_eq!(counters.unexpected_source_dropped, 3);
    assert!(
        core.poll_event().is_none(),
        "the stranger's key is not heard"
    );
    // The caller is latched when it speaks, and the stranger stays out.
    let caller = addr("127.0.0.1:40000");
    core.handle_rtp(t0, caller, &audio(1, 1));
    core.handle_rtp(t0, stranger, &audio(66, 3));
    assert_eq!(core.remote(), Some(caller));
    assert_eq!(core.stats().counters.unexpected_source_dropped, 4);
}

#[test]
fn a_trusted_trunk_is_sent_to_at_its_sdp_address() {
    let t0 = Instant::now();
    // A trunk's media gateway is not its signalling host.
    let gateway = addr("127.0.0.20:30000");
    let mut core = leg(t0, gateway, LatchPolicy::SdpAddress);
    assert_eq!(core.remote(), Some(gateway));
    assert!(destinations(&mut core, t0).contains(&gateway));
    core.handle_rtp(t0, addr("127.0.0.1:30000"), &audio(3, 1));
    assert_eq!(core.stats().counters.unexpected_source_dropped, 1);
    core.handle_rtp(t0, addr("127.0.0.20:30002"), &audio(3, 2));
    assert_eq!(core.remote(), Some(addr("127.0.0.20:30002")));
}

#[test]
fn any_source_latching_still_waits_for_a_packet_before_sending() {
    let t0 = Instant::now();
    let elsewhere = addr("127.0.0.99:40000");
    let mut core = leg(t0, elsewhere, LatchPolicy::AnySource(ip("127.0.0.1")));
    assert!(destinations(&mut core, t0).is_empty());
    let first = addr("127.0.0.5:41000");
    core.handle_rtp(t0, first, &audio(5, 1));
    assert_eq!(core.remote(), Some(first));
}
