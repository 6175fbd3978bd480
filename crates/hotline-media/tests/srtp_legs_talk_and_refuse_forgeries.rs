//! Two legs keyed by SDES (RTP/SAVP, AES_CM_128_HMAC_SHA1_80), on
//! simulated time: a prompt, bridged audio, RFC 4733 keys and RTCP reports
//! cross between them and are heard exactly, across the sequence number
//! wrap, while the wire carries none of the audio in clear. A leg holding
//! the wrong key hears nothing; forged plain RTP and replayed packets are
//! dropped and counted, and cannot take a leg's latch.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_media::core::{BridgeFrame, ComfortNoise, LegCore, Outbox, Port, TICK};
use hotline_media::dtmf::TelephoneEvent;
use hotline_media::rtp::{self, RtpHeader};
use hotline_media::{
    Codec, DtmfDigit, DtmfSource, LatchPolicy, LegParams, MediaEvent, PlaybackId, Prompt, SrtpKey,
    SrtpParams, SrtpSuite,
};

const HOTLINE: &str = "192.0.2.10:20000";
const PHONE: &str = "198.51.100.7:4000";
const STRANGER: &str = "203.0.113.66:4000";

fn addr(text: &str) -> SocketAddr {
    text.parse().expect("test addresses are valid")
}

/// Each side's master key and salt, as their SDP would carry them.
const HOTLINE_KEY: SrtpKey = SrtpKey::new([0x3C; 30]);
const PHONE_KEY: SrtpKey = SrtpKey::new([0xA5; 30]);

fn leg(ssrc: u32, remote: &str, send: SrtpKey, receive: SrtpKey) -> LegCore {
    leg_with(ssrc, remote, send, receive, LatchPolicy::SdpAddress)
}

fn leg_with(
    ssrc: u32,
    remote: &str,
    send: SrtpKey,
    receive: SrtpKey,
    latch: LatchPolicy,
) -> LegCore {
    // Sequence numbers start near the top, so the first call below wraps
    // them (the rollover counter goes to 1 on both sides).
    let mut core = LegCore::new(ssrc, 65_400, 0, Arc::new(ComfortNoise::new()));
    let mut params = LegParams::new(addr(remote), Codec::Pcmu, Some(101));
    params.latch = latch;
    params.srtp = Some(SrtpParams {
        suite: SrtpSuite::AesCm128HmacSha1_80,
        send,
        receive,
    });
    core.start(Instant::now(), params);
    core
}

/// One tick of `from`: what it sent, as (port, bytes), in order.
fn tick(core: &mut LegCore, now: Instant) -> Vec<(Port, Vec<u8>)> {
    let mut out = Outbox::new();
    core.tick(now, 0, &mut out);
    out.iter()
        .map(|(port, _, bytes)| (port, bytes.to_vec()))
        .collect()
}

fn deliver(core: &mut LegCore, now: Instant, from: &str, wire: &[(Port, Vec<u8>)]) {
    for (port, bytes) in wire {
        match port {
            Port::Rtp => core.handle_rtp(now, addr(from), bytes),
            Port::Rtcp => core.handle_rtcp(now, addr(from), bytes),
        }
    }
}

fn keys(core: &mut LegCore) -> Vec<(char, DtmfSource)> {
    std::iter::from_fn(|| core.poll_event())
        .filter_map(|e| match e {
            MediaEvent::Dtmf { key, source, .. } => Some((key, source)),
            _ => None,
        })
        .collect()
}

fn heard(core: &mut LegCore) -> Vec<u8> {
    std::iter::from_fn(|| core.poll_bridge_frame())
        .flat_map(|f| match f {
            BridgeFrame::Audio { payload, .. } => payload,
            BridgeFrame::Dtmf(_) => Vec::new(),
        })
        .collect()
}

/// A plain RTP packet as a forger would send it (no tag, or a made-up one).
fn plain_rtp(seq: u16, pt: u8, payload: &[u8]) -> Vec<u8> {
    let mut buf = Vec::new();
    let header = RtpHeader {
        marker: false,
        payload_type: pt,
        sequence: seq,
        timestamp: u32::from(seq) * 160,
        ssrc: 0x0BAD_F00D,
    };
    rtp::build(&header, payload, &mut buf);
    buf
}

#[test]
fn matching_keys_carry_audio_keys_and_reports_and_the_wrong_key_hears_nothing() {
    let t0 = Instant::now();
    let mut hotline = leg(0x1111_1111, PHONE, HOTLINE_KEY, PHONE_KEY);
    let mut phone = leg(0x2222_2222, HOTLINE, PHONE_KEY, HOTLINE_KEY);
    // Someone who learned the port but holds another key (a stale SDP, or
    // a guess): it is handed every packet the hotline sends.
    let mut eavesdropper = leg(0x3333_3333, HOTLINE, PHONE_KEY, SrtpKey::new([0x3D; 30]));
    phone.set_bridged(true);
    eavesdropper.set_bridged(true);

    let pcm: Vec<i16> = (0..1_600).map(|i| ((i % 80) as i16 - 40) * 300).collect();
    let prompt = Arc::new(Prompt::from_samples("ramp", &pcm));
    hotline.play(PlaybackId(1), vec![Arc::clone(&prompt)], false);
    let spoken = prompt.encoded(Codec::Pcmu).to_vec();

    let mut hotline_wire = Vec::new();
    for n in 0..400u32 {
        let now = t0 + TICK * n;
        if n == 20 {
            hotline.send_dtmf([
                DtmfDigit {
                    key: '4',
                    duration: Duration::from_millis(100),
                },
                DtmfDigit {
                    key: '#',
                    duration: Duration::from_millis(100),
                },
            ]);
        }
        if n == 40 {
            // The agent's audio, bridged in: it leaves protected too.
            hotline.set_bridged(true);
        }
        if n >= 40 {
            hotline.push_bridge_frame(BridgeFrame::Audio {
                codec: Codec::Pcmu,
                payload: vec![0x2A; 160],
            });
        }
        let from_hotline = tick(&mut hotline, now);
        deliver(&mut phone, now, HOTLINE, &from_hotline);
        deliver(&mut eavesdropper, now, HOTLINE, &from_hotline);
        let from_phone = tick(&mut phone, now);
        deliver(&mut hotline, now, PHONE, &from_phone);
        hotline_wire.extend(from_hotline);
    }

    // The phone heard the prompt byte for byte, then the agent.
    let phone_heard = heard(&mut phone);
    assert_eq!(phone_heard[..1_600], spoken[..], "the prompt, exactly");
    assert!(
        phone_heard.windows(160).any(|w| w == [0x2A; 160]),
        "the bridged audio"
    );
    assert_eq!(
        keys(&mut phone),
        vec![('4', DtmfSource::Rfc4733), ('#', DtmfSource::Rfc4733)]
    );
    // None of it crossed the wire in clear.
    let spoken_runs: HashSet<&[u8]> = spoken.windows(16).collect();
    for (_, bytes) in &hotline_wire {
        let payload = &bytes[12..];
        assert!(
            !payload.windows(16).any(|w| spoken_runs.contains(w)),
            "prompt audio in clear"
        );
        assert!(
            !payload.windows(16).any(|w| w == [0x2A; 16]),
            "agent audio in clear"
        );
        assert!(
            !bytes.windows(8).any(|w| w == b"hotline-"),
            "RTCP CNAME in clear"
        );
    }
    assert!(hotline_wire.iter().any(|(port, _)| *port == Port::Rtcp));
    // Every packet was heard, those after the wrap (ROC 1) too.
    assert_eq!(phone.stats().counters.rtp_received, 400);
    // Both sides' reports were authenticated and read.
    for side in [&hotline, &phone] {
        let counters = side.stats().counters;
        assert_eq!(counters.rtcp_received, 1, "one report in 8 s: {counters:?}");
        assert_eq!(counters.srtp_auth_failed, 0, "{counters:?}");
        assert_eq!(counters.srtp_replayed, 0, "{counters:?}");
        assert_eq!(counters.malformed_dropped, 0, "{counters:?}");
    }

    // The wrong key: nothing heard, no key, every packet counted.
    let counters = eavesdropper.stats().counters;
    assert!(heard(&mut eavesdropper).is_empty());
    assert!(keys(&mut eavesdropper).is_empty());
    assert_eq!(counters.rtp_received, 0);
    assert_eq!(counters.rtcp_received, 0);
    assert_eq!(counters.srtp_auth_failed, hotline_wire.len() as u64);
}

#[test]
fn forged_and_replayed_packets_are_dropped_counted_and_never_latch() {
    let t0 = Instant::now();
    // A caller whose RTP comes from another address than its signalling
    // (an SBC): the first packet decides where our audio goes, so only an
    // authentic one may.
    let signalling_ip = addr("198.51.100.1:5060").ip();
    let mut hotline = leg_with(
        0x1111_1111,
        PHONE,
        HOTLINE_KEY,
        PHONE_KEY,
        LatchPolicy::AnySource(signalling_ip),
    );
    let mut phone = leg(0x2222_2222, HOTLINE, PHONE_KEY, HOTLINE_KEY);
    phone.send_dtmf([DtmfDigit {
        key: '7',
        duration: Duration::from_millis(60),
    }]);

    // A stranger hits the port first with plain RTP keys and audio.
    let event = TelephoneEvent {
        event: 9,
        end: true,
        volume: 10,
        duration: 800,
    }
    .to_bytes();
    for seq in 0..5 {
        hotline.handle_rtp(t0, addr(STRANGER), &plain_rtp(seq, 101, &event));
        hotline.handle_rtp(t0, addr(STRANGER), &plain_rtp(seq + 100, 0, &[0x11; 160]));
    }
    // A forger appending a made-up tag does no better.
    let mut tagged = plain_rtp(200, 101, &event);
    tagged.extend_from_slice(&[0; 10]);
    hotline.handle_rtp(t0, addr(STRANGER), &tagged);
    assert_eq!(hotline.remote(), None, "no forged packet took the latch");
    let counters = hotline.stats().counters;
    // The 16-byte event packets cannot even hold a tag; the rest fail it.
    assert_eq!(counters.malformed_dropped, 5);
    assert_eq!(counters.srtp_auth_failed, 6);
    assert_eq!(counters.rtp_received, 0);
    assert!(keys(&mut hotline).is_empty());

    // The phone's genuine packets are heard and latch.
    let mut captured = Vec::new();
    for n in 0..10u32 {
        let now = t0 + TICK * n;
        let from_phone = tick(&mut phone, now);
        deliver(&mut hotline, now, PHONE, &from_phone);
        captured.extend(from_phone);
    }
    assert_eq!(hotline.remote(), Some(addr(PHONE)));
    assert_eq!(keys(&mut hotline), vec![('7', DtmfSource::Rfc4733)]);

    // Replaying the capture (from the phone's own address, even) repeats
    // nothing: no second key, every packet counted as a replay.
    let now = t0 + TICK * 10;
    deliver(&mut hotline, now, PHONE, &captured);
    let counters = hotline.stats().counters;
    assert!(keys(&mut hotline).is_empty());
    assert_eq!(counters.srtp_replayed, captured.len() as u64);
    assert_eq!(counters.rtp_received, captured.len() as u64);
    // A genuine packet altered on the way fails its tag, and does not
    // spoil the real one arriving after it.
    let next = tick(&mut phone, now);
    let mut tampered = next[0].1.clone();
    tampered[20] ^= 0x40;
    hotline.handle_rtp(now, addr(PHONE), &tampered);
    assert_eq!(hotline.stats().counters.srtp_auth_failed, 7);
    deliver(&mut hotline, now, PHONE, &next);
    assert_eq!(
        hotline.stats().counters.rtp_received,
        captured.len() as u64 + 1
    );
}
