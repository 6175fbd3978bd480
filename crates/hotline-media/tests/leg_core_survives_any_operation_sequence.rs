//! Operation-sequence fuzzing of the leg core: any mix of hostile or valid
//! datagrams, ticks, playbacks, keys, bridge frames, routes to several
//! peers, holds, recordings and re-starts never panics, every tick of a
//! started leg sends exactly one RTP packet with the next sequence number,
//! and no frame leaves for a peer whose route does not let it through.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_media::core::{ComfortNoise, LegCore, LegId, Outbox, Port, TICK};
use hotline_media::dtmf::TelephoneEvent;
use hotline_media::route::Route;
use hotline_media::rtp::{self, RtpHeader};
use hotline_media::{
    BridgeFrame, Codec, DtmfDigit, LegParams, PlaybackId, Prompt, RecordMode, RecordOptions,
    RecordingId, RecordingStop,
};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Garbage(Vec<u8>),
    Audio {
        pt: u8,
        len: usize,
        ssrc: u32,
        seq: u16,
    },
    Event {
        pt: u8,
        key: u8,
        end: bool,
        ts: u32,
    },
    FromElsewhere,
    Tick(u8),
    Play(usize, bool),
    Stop,
    SendKeys(String),
    SipInfo(char),
    Bridge(bool),
    Hold(bool),
    Frame(usize, bool),
    /// Routes (or, with `None`, unroutes) peer 0-2 (0 is the one-to-one API's).
    Route(u64, Option<Route>),
    PeerFrame(u64, usize, bool),
    Record(u8),
    StopRecording,
    Restart(bool),
    Music(bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(Op::Garbage),
        (
            prop_oneof![Just(0u8), Just(8u8), Just(18u8)],
            0usize..500,
            0u32..3,
            any::<u16>()
        )
            .prop_map(|(pt, len, ssrc, seq)| Op::Audio { pt, len, ssrc, seq }),
        (
            prop_oneof![Just(101u8), Just(96u8), Just(97u8)],
            0u8..20,
            any::<bool>(),
            0u32..5
        )
            .prop_map(|(pt, key, end, ts)| Op::Event { pt, key, end, ts }),
        Just(Op::FromElsewhere),
        (1u8..60).prop_map(Op::Tick),
        (0usize..3, any::<bool>()).prop_map(|(n, b)| Op::Play(n, b)),
        Just(Op::Stop),
        "[0-9*#A-Dx]{0,4}".prop_map(Op::SendKeys),
        prop_oneof![Just('5'), Just('#')].prop_map(Op::SipInfo),
        any::<bool>().prop_map(Op::Bridge),
        any::<bool>().prop_map(Op::Hold),
        (0usize..400, any::<bool>()).prop_map(|(n, a)| Op::Frame(n, a)),
        (
            0u64..3,
            proptest::option::of((any::<bool>(), any::<bool>(), any::<bool>()))
        )
            .prop_map(|(peer, route)| Op::Route(
                peer,
                route.map(|(hear, speak, keys)| Route { hear, speak, keys })
            )),
        (0u64..3, 0usize..400, any::<bool>()).prop_map(|(p, n, a)| Op::PeerFrame(p, n, a)),
        (0u8..3).prop_map(Op::Record),
        Just(Op::StopRecording),
        any::<bool>().prop_map(Op::Restart),
        any::<bool>().prop_map(Op::Music),
    ]
}

fn frame(n: usize, audio: bool) -> BridgeFrame {
    if audio {
        BridgeFrame::Audio {
            codec: if n % 2 == 0 { Codec::Pcma } else { Codec::Pcmu },
            payload: vec![0xD5; n],
        }
    } else {
        BridgeFrame::Dtmf(DtmfDigit {
            key: '7',
            duration: Duration::from_millis(80),
        })
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn never_panics_and_keeps_one_packet_per_tick(ops in proptest::collection::vec(op(), 1..60)) {
        let t0 = Instant::now();
        let peer: SocketAddr = "127.0.0.1:40500".parse().unwrap();
        let other: SocketAddr = "127.0.0.2:40500".parse().unwrap();
        let mut core = LegCore::new(5, 65_000, 0, Arc::new(ComfortNoise::new()));
        let prompt = Arc::new(Prompt::from_samples("p", &vec![1000i16; 500]));
        let (sink, records) = hotline_media::recorder::RecorderSink::channel();
        let mut now = t0;
        let mut started = false;
        let mut next_seq: Option<u16> = None;
        let mut out = Outbox::new();
        let mut playback = 0u64;
        for op in ops {
            match op {
                Op::Garbage(bytes) => core.handle_rtp(now, peer, &bytes),
                Op::Audio { pt, len, ssrc, seq } => {
                    let mut d = Vec::new();
                    rtp::build(&RtpHeader { marker: false, payload_type: pt, sequence: seq, timestamp: u32::from(seq) * 160, ssrc }, &vec![0x55; len], &mut d);
                    core.handle_rtp(now, peer, &d);
                }
                Op::Event { pt, key, end, ts } => {
                    let payload = TelephoneEvent { event: key, end, volume: 10, duration: 400 }.to_bytes();
                    let mut d = Vec::new();
                    rtp::build(&RtpHeader { marker: !end, payload_type: pt, sequence: 1, timestamp: ts, ssrc: 77 }, &payload, &mut d);
                    core.handle_rtp(now, peer, &d);
                }
                Op::FromElsewhere => core.handle_rtp(now, other, &[0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9]),
                Op::Tick(n) => {
                    for _ in 0..n {
                        now += TICK;
                        core.tick(now, 0, &mut out);
                        let rtp_packets: Vec<_> = out.iter().filter(|(p, ..)| *p == Port::Rtp).map(|(_, _, b)| b.to_vec()).collect();
                        out.clear();
                        if started {
                            prop_assert_eq!(rtp_packets.len(), 1);
                            let h = rtp::parse(&rtp_packets[0]).unwrap().header;
                            if let Some(expected) = next_seq {
                                prop_assert_eq!(h.sequence, expected);
                            }
                            next_seq = Some(h.sequence.wrapping_add(1));
                        } else {
                            prop_assert!(rtp_packets.is_empty());
                        }
                        while core.poll_event().is_some() {}
                        while let Some((to, frame)) = core.poll_peer_frame() {
                            let key = matches!(frame, BridgeFrame::Dtmf(_));
                            let route = core.route_to(to);
                            prop_assert!(route.is_some_and(|r| r.speak && (r.keys || !key)), "{:?} to {:?} under {:?}", frame, to, route);
                        }
                    }
                }
                Op::Play(n, barge) => {
                    playback += 1;
                    core.play(PlaybackId(playback), vec![Arc::clone(&prompt); n], barge);
                }
                Op::Stop => core.stop_playback(),
                Op::SendKeys(keys) => core.send_dtmf(keys.chars().map(|key| DtmfDigit { key, duration: Duration::from_millis(60) })),
                Op::SipInfo(key) => core.sip_info_dtmf(DtmfDigit { key, duration: Duration::from_millis(100) }),
                Op::Bridge(on) => core.set_bridged(on),
                Op::Hold(on) => core.set_held(on),
                Op::Frame(n, audio) => core.push_bridge_frame(frame(n, audio)),
                Op::Route(peer, Some(route)) => core.route_peer(LegId(peer), route),
                Op::Route(peer, None) => core.unroute_peer(LegId(peer)),
                Op::PeerFrame(peer, n, audio) => core.push_peer_frame(LegId(peer), frame(n, audio)),
                Op::Record(mode) => core.start_recording(
                    RecordingId(1),
                    RecordOptions {
                        path: "unused.wav".into(),
                        mode: [RecordMode::CallerOnly, RecordMode::Stereo, RecordMode::Mixed][mode as usize],
                        max_duration: Some(Duration::from_millis(300)),
                        stop_keys: "#".into(),
                        stop_after_silence: Some(Duration::from_millis(200)),
                    },
                    sink.clone(),
                ),
                Op::StopRecording => core.stop_recording(RecordingStop::Stopped),
                Op::Restart(pcma) => {
                    let mut params = LegParams::new(peer, if pcma { Codec::Pcma } else { Codec::Pcmu }, Some(101));
                    params.dead_media_after = Some(Duration::from_millis(200));
                    core.start(now, params);
                    started = true;
                }
                Op::Music(on) => if on { core.start_music(Arc::clone(&prompt)) } else { core.stop_music() },
            }
        }
        core.close();
        while records.try_recv().is_some() {}
    }
}
