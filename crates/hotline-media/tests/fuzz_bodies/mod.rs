//! The bodies of the media fuzz targets, shared by `fuzz/` (libFuzzer,
//! nightly) and `tests/fuzz_smoke.rs` (a bounded seeded run on stable, in CI).
//!
//! Each body takes raw bytes and reads them as a sequence of operations with
//! a small [`Reader`], so libFuzzer's mutations and the smoke test's random
//! bytes drive exactly the same decoder.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use hotline_media::core::{ComfortNoise, LegCore, Outbox, Port, TICK};
use hotline_media::dtmf::{self, TelephoneEvent, TelephoneEventReceiver, TelephoneEventSender};
use hotline_media::rtcp::{self, ReportBlock, SenderInfo};
use hotline_media::rtp::{self, RtpHeader};
use hotline_media::{Codec, DtmfDigit, LatchPolicy, LegParams, MediaEvent, PlaybackId, Prompt};

/// The keys RFC 4733 events 0-15 stand for: nothing else may be reported.
pub const DTMF_KEYS: &str = "0123456789*#ABCD";

/// Reads choices from fuzz bytes; zeros once they run out.
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.byte(), self.byte()])
    }

    fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    fn pick<'b, T>(&mut self, items: &'b [T]) -> &'b T {
        &items[usize::from(self.byte()) % items.len()]
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        head
    }
}

/// A parsed RTP packet rebuilt with `rtp::build` parses to the same header
/// and payload (the rebuild drops CSRCs, extension and padding).
fn rtp_round_trip(datagram: &[u8]) {
    let Ok(packet) = rtp::parse(datagram) else {
        return;
    };
    let mut rebuilt = Vec::new();
    rtp::build(&packet.header, packet.payload, &mut rebuilt);
    let again = rtp::parse(&rebuilt).unwrap_or_else(|e| {
        panic!("rebuilt packet does not parse: {e}\n{datagram:02x?}\n{rebuilt:02x?}")
    });
    assert_eq!(again.header, packet.header, "header survives build+parse");
    assert_eq!(
        again.payload, packet.payload,
        "payload survives build+parse"
    );
}

fn assert_is_key(key: char) {
    assert!(DTMF_KEYS.contains(key), "{key:?} is not a DTMF key");
}

// Comfort noise is a second of encoded hiss, immutable: build it once, not
// per input.
fn noise() -> Arc<ComfortNoise> {
    static NOISE: OnceLock<Arc<ComfortNoise>> = OnceLock::new();
    NOISE.get_or_init(|| Arc::new(ComfortNoise::new())).clone()
}

fn prompt() -> Arc<Prompt> {
    static PROMPT: OnceLock<Arc<Prompt>> = OnceLock::new();
    PROMPT
        .get_or_init(|| Arc::new(Prompt::from_samples("p", &[1000i16; 500])))
        .clone()
}

const SDP_PEER: &str = "127.0.0.1:40500";
// The SDP host from another port (NAT), a stranger, an IPv6 peer, port 0.
const SOURCES: [&str; 5] = [
    "127.0.0.1:40500",
    "127.0.0.1:51234",
    "127.0.0.2:40500",
    "[::1]:40500",
    "127.0.0.1:0",
];
const PAYLOAD_TYPES: [u8; 12] = [0, 8, 18, 101, 96, 97, 13, 72, 73, 76, 127, 100];

/// An RTP datagram: raw bytes, or a header the reader fills in with the
/// first byte's flags (CSRC count, extension, padding) taken as they come.
fn rtp_datagram(r: &mut Reader<'_>) -> Vec<u8> {
    let shape = r.byte();
    if shape % 4 == 0 {
        let n = usize::from(r.byte()) * 8;
        return r.take(n).to_vec();
    }
    let header = RtpHeader {
        marker: r.byte() % 2 == 0,
        payload_type: *r.pick(&PAYLOAD_TYPES),
        sequence: r.u16(),
        timestamp: r.u32() % 4,
        ssrc: u32::from(r.byte() % 3),
    };
    let payload_len = match r.byte() % 4 {
        0 => 4,
        1 => 160,
        2 => usize::from(r.byte()),
        _ => usize::from(r.byte()) * 6,
    };
    let mut payload: Vec<u8> = r.take(4).to_vec();
    payload.resize(payload_len, 0x7F);
    let mut datagram = Vec::new();
    rtp::build(&header, &payload, &mut datagram);
    if shape % 4 == 1 {
        // Version, padding, extension and CSRC count as the fuzzer says.
        datagram[0] = r.byte();
    }
    datagram
}

/// An RTCP datagram: raw bytes, or a report from `rtcp::build_report` with
/// a few bytes overwritten.
fn rtcp_datagram(r: &mut Reader<'_>, our_ssrc: u32) -> Vec<u8> {
    if r.byte() % 3 == 0 {
        let n = usize::from(r.byte()) * 4;
        return r.take(n).to_vec();
    }
    let sender = (r.byte() % 2 == 0).then(|| SenderInfo {
        ntp_timestamp: u64::from(r.u32()) << 16,
        rtp_timestamp: r.u32(),
        packet_count: r.u32(),
        octet_count: r.u32(),
    });
    let block = (r.byte() % 2 == 0).then(|| ReportBlock {
        ssrc: if r.byte() % 2 == 0 { our_ssrc } else { 9 },
        fraction_lost: r.byte(),
        cumulative_lost: r.u32(),
        extended_highest_seq: r.u32(),
        jitter: r.u32(),
        last_sr: r.u32(),
        delay_since_last_sr: r.u32(),
    });
    let mut datagram = Vec::new();
    rtcp::build_report(1, sender, block, "peer", &mut datagram);
    for _ in 0..r.byte() % 3 {
        let at = usize::from(r.byte()) % datagram.len();
        datagram[at] = r.byte();
    }
    datagram
}

fn params(r: &mut Reader<'_>) -> LegParams {
    let codec = if r.byte() % 2 == 0 {
        Codec::Pcmu
    } else {
        Codec::Pcma
    };
    let dtmf_pt = *r.pick(&[Some(101), Some(96), None, Some(0)]);
    let remote: SocketAddr = SDP_PEER.parse().expect("valid");
    let mut params = LegParams::new(remote, codec, dtmf_pt);
    params.latch = *r.pick(&[
        LatchPolicy::SdpAddress,
        LatchPolicy::SignallingSource(remote.ip()),
        LatchPolicy::AnySource(remote.ip()),
        LatchPolicy::SignallingSource("127.0.0.2".parse().expect("valid")),
    ]);
    params.rtcp_mux = r.byte() % 2 == 0;
    params.inband_dtmf = r.byte() % 2 == 0;
    if r.byte() % 4 == 0 {
        params.dead_media_after = None;
    }
    params
}

/// Everything a leg sends is a packet its peer can parse.
fn check_outbox(out: &mut Outbox) {
    for (port, _, bytes) in out.iter() {
        match port {
            Port::Rtp => assert!(
                rtp::parse(bytes).is_ok() || rtcp::parse_report(bytes).is_ok(),
                "the leg sent an unparseable packet on its RTP port: {bytes:02x?}"
            ),
            Port::Rtcp => assert!(
                rtcp::parse_report(bytes).is_ok(),
                "the leg sent an unparseable RTCP packet: {bytes:02x?}"
            ),
        }
    }
    out.clear();
}

fn drain_events(core: &mut LegCore) {
    while let Some(event) = core.poll_event() {
        if let MediaEvent::Dtmf { key, .. } = event {
            assert_is_key(key);
        }
    }
}

/// The whole input as one RTP and one RTCP datagram, then as operations on
/// a started leg: datagrams on either port from several sources, ticks,
/// clock jumps, re-starts, playbacks and keys. Never a panic; what parses as
/// RTP round-trips through `rtp::build`; every packet the leg sends parses.
pub fn rtp_rtcp(data: &[u8]) {
    rtp_round_trip(data);
    let _ = rtcp::parse_report(data);

    let t0 = Instant::now();
    let mut now = t0;
    let mut r = Reader::new(data);
    let ssrc = 5;
    let mut core = LegCore::new(ssrc, r.u16(), r.u32(), noise());
    let first = params(&mut r);
    core.start(now, first);
    let mut out = Outbox::new();
    let mut steps = 0;
    while !r.is_empty() && steps < 128 {
        steps += 1;
        let from: SocketAddr = r.pick(&SOURCES).parse().expect("valid");
        match r.byte() % 12 {
            0..=3 => {
                let datagram = rtp_datagram(&mut r);
                rtp_round_trip(&datagram);
                core.handle_rtp(now, from, &datagram);
            }
            4 | 5 => {
                let datagram = rtcp_datagram(&mut r, ssrc);
                let _ = rtcp::parse_report(&datagram);
                if r.byte() % 2 == 0 {
                    core.handle_rtcp(now, from, &datagram);
                } else {
                    core.handle_rtp(now, from, &datagram);
                }
            }
            6 | 7 => {
                for _ in 0..r.byte() % 16 + 1 {
                    now += TICK;
                    core.tick(now, 0xE000_0000_0000_0000, &mut out);
                    check_outbox(&mut out);
                }
            }
            8 => {
                // A starved clock thread: time jumps, the ticks are skipped.
                let ticks = u32::from(r.byte());
                now += TICK * ticks;
                core.skip_ticks(ticks);
            }
            9 => {
                let p = params(&mut r);
                core.start(now, p);
            }
            10 => match r.byte() % 4 {
                0 => core.play(
                    PlaybackId(u64::from(r.byte())),
                    vec![prompt()],
                    r.byte() % 2 == 0,
                ),
                1 => core.stop_playback(),
                2 => {
                    let key = *r.pick(&['1', '#', 'D', 'x']);
                    if DTMF_KEYS.contains(key) {
                        core.send_dtmf([DtmfDigit {
                            key,
                            duration: Duration::from_millis(u64::from(r.byte()) * 4),
                        }]);
                    }
                }
                _ => core.set_held(r.byte() % 2 == 0),
            },
            _ => drain_events(&mut core),
        }
    }
    drain_events(&mut core);
    // The counters and figures of whatever happened can be read.
    let _ = core.stats().to_call_event("caller");
}

/// A telephone-event payload: mostly 4 bytes (sometimes longer or short),
/// with the event code often kept to real keys so events open and end.
fn event_payload(r: &mut Reader<'_>) -> Vec<u8> {
    let len = match r.byte() % 8 {
        0 => usize::from(r.byte() % 4),
        1 => 4 + usize::from(r.byte() % 12),
        _ => 4,
    };
    let mut payload = r.take(len).to_vec();
    payload.resize(len, 0);
    if let Some(event) = payload.first_mut() {
        if *event >= 0x80 {
            *event %= 17;
        }
    }
    payload
}

/// Payload sequences on a few (SSRC, timestamp) pairs with clock steps and
/// timeouts in between, SIP INFO bodies, and the sender's own output: never
/// a panic; every key reported is a DTMF key; a timeout at its deadline ends
/// the open event; what the sender sends is heard as that key.
pub fn rfc4733(data: &[u8]) {
    let t0 = Instant::now();
    let mut now = t0;
    let mut rx = TelephoneEventReceiver::new();
    let mut r = Reader::new(data);
    let mut fresh_ssrc = 0x1000_0000u32;
    let mut steps = 0;
    while !r.is_empty() && steps < 256 {
        steps += 1;
        match r.byte() % 10 {
            0..=4 => {
                let header = RtpHeader {
                    marker: r.byte() % 2 == 0,
                    payload_type: *r.pick(&[101u8, 96, 97]),
                    sequence: 0,
                    ssrc: u32::from(r.byte() % 3),
                    timestamp: u32::from(r.byte() % 4) * 800,
                };
                let payload = event_payload(&mut r);
                if let Ok(ev) = TelephoneEvent::parse(&payload) {
                    // The reserved bit is not kept: compare what it reads as.
                    assert_eq!(TelephoneEvent::parse(&ev.to_bytes()).ok(), Some(ev));
                }
                let _ = TelephoneEvent::looks_like_dtmf(&payload);
                let _ = rx.handle_packet(now, &header, &payload);
            }
            5 | 6 => {
                now += Duration::from_millis(u64::from(r.byte()) * 4);
                match rx.poll_timeout() {
                    Some(at) if at <= now => {
                        rx.handle_timeout(now);
                        assert_eq!(rx.poll_timeout(), None, "the deadline ended the event");
                    }
                    _ if r.byte() % 2 == 0 => rx.handle_timeout(now),
                    _ => {}
                }
            }
            7 => {
                // The sender's packets on a pair nobody used: heard as its key.
                let key = *r.pick(&DTMF_KEYS.chars().collect::<Vec<_>>());
                let duration = Duration::from_millis(u64::from(r.byte()) * 10 + 40);
                let Ok(mut tx) = TelephoneEventSender::new(key, duration) else {
                    panic!("{key:?} is a key the sender must take");
                };
                fresh_ssrc += 1;
                let header = RtpHeader {
                    marker: false,
                    payload_type: 101,
                    sequence: 0,
                    ssrc: fresh_ssrc,
                    timestamp: 0,
                };
                while let Some(packet) = tx.next_packet(160) {
                    rx.handle_packet(now, &header, &packet.payload)
                        .expect("the sender's packets parse");
                    now += TICK;
                }
                let heard: Vec<DtmfDigit> = std::iter::from_fn(|| rx.poll_digit()).collect();
                assert_eq!(
                    heard.last().map(|d| d.key),
                    Some(key),
                    "sent {key} for {duration:?}, heard {heard:?}"
                );
            }
            8 => {
                let content_type = *r.pick(&[
                    "application/dtmf-relay",
                    "application/dtmf",
                    "Application/DTMF-Relay; x=1",
                    "text/plain",
                ]);
                let n = usize::from(r.byte() % 48);
                let body = String::from_utf8_lossy(r.take(n));
                if let Ok(digit) = dtmf::parse_sip_info(content_type, &body) {
                    assert_is_key(digit.key);
                    assert!(digit.duration <= Duration::from_secs(60));
                }
            }
            _ => {}
        }
        if let Some(key) = rx.key_down() {
            assert_is_key(key);
        }
        while let Some(digit) = rx.poll_digit() {
            assert_is_key(digit.key);
            // 16-bit durations of an 8 kHz clock: never more than 8.2 s.
            assert!(digit.duration <= Duration::from_micros(65_535 * 125));
        }
    }
    // Whatever is still open ends by its timeout.
    if let Some(at) = rx.poll_timeout() {
        rx.handle_timeout(at);
        assert_eq!(rx.poll_timeout(), None, "the deadline ended the event");
    }
    while let Some(digit) = rx.poll_digit() {
        assert_is_key(digit.key);
    }
}
