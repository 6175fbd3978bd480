//! Keys on one leg, on simulated time: RFC 4733 from a peer that changes SSRC
//! and payload type (SIPp's play_dtmf) is reported once per key, a key stops
//! a barge-in prompt as soon as it goes down, and keys sent out follow RFC 4733.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_media::core::{ComfortNoise, LegCore, Outbox, TICK};
use hotline_media::dtmf::TelephoneEvent;
use hotline_media::rtp::{self, RtpHeader};
use hotline_media::{
    Codec, DtmfDigit, DtmfSource, LegParams, MediaEvent, PlaybackId, PlaybackOutcome, Prompt,
};

const PEER: &str = "127.0.0.1:40100";

fn packet(ssrc: u32, seq: u16, ts: u32, pt: u8, marker: bool, payload: &[u8]) -> Vec<u8> {
    let mut buf = Vec::new();
    rtp::build(
        &RtpHeader {
            marker,
            payload_type: pt,
            sequence: seq,
            timestamp: ts,
            ssrc,
        },
        payload,
        &mut buf,
    );
    buf
}

fn event(key: u8, end: bool, duration: u16) -> [u8; 4] {
    TelephoneEvent {
        event: key,
        end,
        volume: 10,
        duration,
    }
    .to_bytes()
}

fn events(core: &mut LegCore) -> Vec<MediaEvent> {
    std::iter::from_fn(|| core.poll_event()).collect()
}

#[test]
fn sipp_style_events_are_reported_once_each() {
    let t0 = Instant::now();
    let peer: SocketAddr = PEER.parse().unwrap();
    let mut core = LegCore::new(1, 0, 0, Arc::new(ComfortNoise::new()));
    core.start(t0, LegParams::new(peer, Codec::Pcmu, Some(101)));
    let mut now = t0;
    // Audio first, then keys on the negotiated type 101 with three end packets.
    core.handle_rtp(now, peer, &packet(10, 1, 0, 0, false, &[0xFF; 160]));
    for (seq, (d, end)) in [
        (160, false),
        (320, false),
        (480, true),
        (480, true),
        (480, true),
    ]
    .iter()
    .enumerate()
    {
        now += TICK;
        core.handle_rtp(
            now,
            peer,
            &packet(10, 2 + seq as u16, 160, 101, seq == 0, &event(1, *end, *d)),
        );
    }
    // SIPp's play_dtmf: filler packets of type 97, then a new SSRC on type 96.
    core.handle_rtp(now, peer, &packet(99, 500, 0, 97, false, &[0u8; 20]));
    for (seq, (d, end)) in [(160, false), (800, true), (800, true), (800, true)]
        .iter()
        .enumerate()
    {
        now += TICK;
        core.handle_rtp(
            now,
            peer,
            &packet(
                99,
                501 + seq as u16,
                4000,
                96,
                seq == 0,
                &event(11, *end, *d),
            ),
        );
    }
    // The same key again, a new event (new timestamp).
    for end in [true, true, true] {
        core.handle_rtp(
            now,
            peer,
            &packet(99, 600, 8000, 96, false, &event(11, end, 400)),
        );
    }
    let keys: Vec<(char, Duration, DtmfSource)> = events(&mut core)
        .into_iter()
        .filter_map(|e| match e {
            MediaEvent::Dtmf {
                key,
                duration,
                source,
            } => Some((key, duration, source)),
            _ => None,
        })
        .collect();
    assert_eq!(
        keys,
        vec![
            ('1', Duration::from_millis(60), DtmfSource::Rfc4733),
            ('#', Duration::from_millis(100), DtmfSource::Rfc4733),
            ('#', Duration::from_millis(50), DtmfSource::Rfc4733),
        ]
    );
    let stats = core.stats();
    assert_eq!(
        stats.counters.unknown_payload_dropped, 1,
        "the type 97 filler"
    );
}

#[test]
fn a_key_stops_barge_in_prompts_at_once_but_not_others() {
    let t0 = Instant::now();
    let peer: SocketAddr = PEER.parse().unwrap();
    let mut core = LegCore::new(1, 0, 0, Arc::new(ComfortNoise::new()));
    core.start(t0, LegParams::new(peer, Codec::Pcmu, Some(101)));
    let long = Arc::new(Prompt::from_samples("menu", &vec![1000i16; 8000]));
    core.play(PlaybackId(1), vec![Arc::clone(&long)], false);
    core.play(PlaybackId(2), vec![Arc::clone(&long)], true);
    core.play(PlaybackId(3), vec![Arc::clone(&long)], true);
    let mut out = Outbox::new();
    core.tick(t0, 0, &mut out);
    // A key during the non-barge-in announcement does not cut it.
    core.handle_rtp(
        t0,
        peer,
        &packet(5, 1, 100, 101, true, &event(2, false, 160)),
    );
    core.handle_rtp(
        t0,
        peer,
        &packet(5, 2, 100, 101, false, &event(2, true, 320)),
    );
    let e = events(&mut core);
    assert_eq!(e.len(), 1, "{e:?}");
    // Play the announcement out.
    for n in 1..=50u32 {
        core.tick(t0 + TICK * n, 0, &mut out);
    }
    assert_eq!(
        events(&mut core),
        vec![MediaEvent::PlaybackFinished {
            id: PlaybackId(1),
            outcome: PlaybackOutcome::Completed
        }]
    );
    // The first packet of a key stops both queued barge-in playbacks.
    core.handle_rtp(
        t0,
        peer,
        &packet(5, 3, 9000, 101, true, &event(9, false, 160)),
    );
    assert_eq!(
        events(&mut core),
        vec![
            MediaEvent::PlaybackFinished {
                id: PlaybackId(2),
                outcome: PlaybackOutcome::BargedIn { key: '9' }
            },
            MediaEvent::PlaybackFinished {
                id: PlaybackId(3),
                outcome: PlaybackOutcome::BargedIn { key: '9' }
            },
        ]
    );
    // And the key itself is reported when it ends.
    core.handle_rtp(
        t0,
        peer,
        &packet(5, 4, 9000, 101, false, &event(9, true, 800)),
    );
    assert!(matches!(
        events(&mut core)[..],
        [MediaEvent::Dtmf { key: '9', .. }]
    ));
}

#[test]
fn sip_info_keys_barge_in_too() {
    let t0 = Instant::now();
    let peer: SocketAddr = PEER.parse().unwrap();
    let mut core = LegCore::new(1, 0, 0, Arc::new(ComfortNoise::new()));
    core.start(t0, LegParams::new(peer, Codec::Pcmu, None));
    core.play(
        PlaybackId(4),
        vec![Arc::new(Prompt::from_samples("p", &[0; 800]))],
        true,
    );
    let digit = hotline_media::dtmf::parse_sip_info(
        "application/dtmf-relay",
        "Signal=*\r\nDuration=200\r\n",
    )
    .unwrap();
    core.sip_info_dtmf(digit);
    assert_eq!(
        events(&mut core),
        vec![
            MediaEvent::PlaybackFinished {
                id: PlaybackId(4),
                outcome: PlaybackOutcome::BargedIn { key: '*' }
            },
            MediaEvent::Dtmf {
                key: '*',
                duration: Duration::from_millis(200),
                source: DtmfSource::SipInfo
            },
        ]
    );
}

#[test]
fn keys_sent_out_follow_rfc_4733_and_audio_resumes_in_step() {
    let t0 = Instant::now();
    let peer: SocketAddr = PEER.parse().unwrap();
    let mut core = LegCore::new(3, 10, 1000, Arc::new(ComfortNoise::new()));
    core.start(t0, LegParams::new(peer, Codec::Pcmu, Some(101)));
    core.send_dtmf([
        DtmfDigit {
            key: '4',
            duration: Duration::from_millis(100),
        },
        DtmfDigit {
            key: '2',
            duration: Duration::from_millis(60),
        },
    ]);
    let mut out = Outbox::new();
    let mut sent = Vec::new();
    for n in 0..20u32 {
        core.tick(t0 + TICK * n, 0, &mut out);
        for (_, _, bytes) in out.iter() {
            let p = rtp::parse(bytes).unwrap();
            sent.push((p.header, p.payload.to_vec()));
        }
        out.clear();
    }
    // Sequence numbers run on without a gap over events and audio alike.
    for (i, (h, _)) in sent.iter().enumerate() {
        assert_eq!(h.sequence, 10 + i as u16);
    }
    let first_key: Vec<_> = sent
        .iter()
        .take_while(|(h, _)| h.payload_type == 101)
        .collect();
    // 100 ms: 5 packets of growing duration (the 5th is the end) + 2 more end packets.
    assert_eq!(first_key.len(), 7);
    assert!(first_key.iter().all(|(h, _)| h.timestamp == 1000));
    assert!(first_key[0].0.marker && first_key[1..].iter().all(|(h, _)| !h.marker));
    let durations: Vec<u16> = first_key
        .iter()
        .map(|(_, p)| u16::from_be_bytes([p[2], p[3]]))
        .collect();
    assert_eq!(durations, vec![160, 320, 480, 640, 800, 800, 800]);
    // Two packets of audio between keys, stamped by the media clock.
    assert_eq!(sent[7].0.payload_type, 0);
    assert_eq!(sent[7].0.timestamp, 1000 + 7 * 160);
    assert_eq!(sent[9].0.payload_type, 101);
    assert_eq!(sent[9].0.timestamp, 1000 + 9 * 160);
    assert_eq!(sent[9].1[0], 2);
}
