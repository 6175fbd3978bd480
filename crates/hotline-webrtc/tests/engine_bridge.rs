//! A browser leg in the real media engine: a plain RTP citizen leg bridged
//! to an agent leg whose socket carries WebRTC (the leg's transport), over
//! real UDP on 127.0.0.1. The citizen's 440 Hz reaches the browser peer,
//! the browser's 1 kHz reaches the citizen, with PCMU passed through and
//! with Opus transcoded; a key pressed in the browser reaches the citizen
//! as RFC 4733 under the citizen's payload type; closing the agent's leg
//! says goodbye to the browser and ends the bridge on the citizen's leg.

use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use hotline_media::g711::Codec;
use hotline_media::rtp::{self, RtpHeader};
use hotline_media::{EngineConfig, LegParams, MediaEngine, MediaEvent, TRANSPORT_PEER};
use hotline_webrtc::client::{BrowserConfig, BrowserPeer};
use hotline_webrtc::{AudioCodec, SharedWebRtcLeg, WebRtcConfig, WebRtcLeg};

const TICK: Duration = Duration::from_millis(20);
/// The citizen leg's negotiated telephone-event payload type.
const CITIZEN_EVENT_PT: u8 = 101;
/// RFC 4733 event 5: the key "5".
const KEY_FIVE: u8 = 5;

/// 20 ms at 8 kHz of a continuous tone, frame `index`.
fn tone(frequency: f64, index: usize) -> [i16; 160] {
    let mut frame = [0i16; 160];
    for (n, sample) in frame.iter_mut().enumerate() {
        let t = (index * 160 + n) as f64 / 8000.0;
        *sample = (8000.0 * (2.0 * std::f64::consts::PI * frequency * t).sin()) as i16;
    }
    frame
}

/// Goertzel power of `frequency` in `samples` (8 kHz).
fn power_at(samples: &[i16], frequency: f64) -> f64 {
    let coefficient = 2.0 * (2.0 * std::f64::consts::PI * frequency / 8000.0).cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for sample in samples {
        let s0 = f64::from(*sample) + coefficient * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    s1 * s1 + s2 * s2 - coefficient * s1 * s2
}

/// The strongest frequency between 100 Hz and 3.5 kHz, in 10 Hz steps.
fn dominant_frequency(samples: &[i16]) -> f64 {
    (10..=350)
        .map(|step| f64::from(step) * 10.0)
        .map(|frequency| (frequency, power_at(samples, frequency)))
        .fold(
            (0.0, f64::MIN),
            |best, next| {
                if next.1 > best.1 {
                    next
                } else {
                    best
                }
            },
        )
        .0
}

enum BrowserCommand {
    PressKey(u8),
    /// The agent's leg is about to close: count DTLS alerts from now on.
    LegClosing,
    Stop,
}

struct BrowserHeard {
    pcm: Vec<i16>,
    connected: bool,
    /// DTLS alert records (content type 21) received once the leg was
    /// closing: its close_notify.
    alerts: usize,
    sent: u64,
}

/// The browser's side on its own thread: its socket, its 20 ms of 1 kHz
/// per tick once connected, what it hears.
fn run_browser(
    mut peer: BrowserPeer,
    socket: UdpSocket,
    commands: mpsc::Receiver<BrowserCommand>,
) -> BrowserHeard {
    socket.set_nonblocking(true).expect("a bound UDP socket");
    let mut heard = BrowserHeard {
        pcm: Vec::new(),
        connected: false,
        alerts: 0,
        sent: 0,
    };
    let mut buffer = [0u8; 2048];
    let mut next = Instant::now();
    let mut frame = 0;
    let mut closing = false;
    loop {
        let now = Instant::now();
        while let Ok((len, from)) = socket.recv_from(&mut buffer) {
            if closing && buffer[0] == 21 {
                heard.alerts += 1;
            }
            peer.handle_datagram(now, from, &buffer[..len]);
        }
        peer.handle_timeout(now);
        match commands.try_recv() {
            Ok(BrowserCommand::PressKey(key)) => {
                assert!(peer.send_dtmf(now, key, 5), "the key went out");
            }
            Ok(BrowserCommand::LegClosing) => closing = true,
            Ok(BrowserCommand::Stop) | Err(mpsc::TryRecvError::Disconnected) => break,
            Err(mpsc::TryRecvError::Empty) => {}
        }
        if now >= next {
            next += TICK;
            if peer.is_connected() {
                heard.connected = true;
                peer.send_audio(now, &tone(1000.0, frame));
                frame += 1;
            }
        }
        peer.poll_transmit(&mut |to, datagram| {
            let _ = socket.send_to(datagram, to);
        });
        while let Some(received) = peer.poll_audio() {
            heard.pcm.extend_from_slice(&received.pcm);
        }
        thread::sleep(Duration::from_millis(2));
    }
    heard.sent = peer.packets_sent();
    heard
}

struct CitizenHeard {
    pcm: Vec<i16>,
    /// (event, end bit) of every RFC 4733 packet under the citizen's PT.
    events: Vec<(u8, bool)>,
    other_payload_types: Vec<u8>,
}

/// The citizen's phone: 440 Hz PCMU to `leg` every 20 ms for `how_long`,
/// what comes back collected into `heard`.
fn run_citizen(
    socket: &UdpSocket,
    leg: SocketAddr,
    how_long: Duration,
    frame: &mut usize,
    heard: &mut CitizenHeard,
) {
    let end = Instant::now() + how_long;
    let mut next = Instant::now();
    let mut buffer = [0u8; 2048];
    let mut packet = Vec::with_capacity(200);
    let mut payload = [0u8; 160];
    while Instant::now() < end {
        let tick = *frame as u32;
        for (byte, sample) in payload.iter_mut().zip(tone(440.0, *frame)) {
            *byte = Codec::Pcmu.encode(sample);
        }
        packet.clear();
        rtp::build(
            &RtpHeader {
                marker: *frame == 0,
                payload_type: 0,
                sequence: tick as u16,
                timestamp: tick.wrapping_mul(160),
                ssrc: 0x00C1_71CE,
            },
            &payload,
            &mut packet,
        );
        socket
            .send_to(&packet, leg)
            .expect("send to the citizen leg");
        *frame += 1;
        next += TICK;
        while Instant::now() < next {
            // A read timeout (nothing came) just goes on sending.
            if let Ok((len, _)) = socket.recv_from(&mut buffer) {
                let Ok(parsed) = rtp::parse(&buffer[..len]) else {
                    continue;
                };
                match parsed.header.payload_type {
                    0 => Codec::Pcmu.decode_into(parsed.payload, &mut heard.pcm),
                    CITIZEN_EVENT_PT if parsed.payload.len() >= 4 => heard
                        .events
                        .push((parsed.payload[0], parsed.payload[1] & 0x80 != 0)),
                    other => heard.other_payload_types.push(other),
                }
            }
        }
    }
}

fn a_browser_call_through_the_engine(config: WebRtcConfig, ports: (u16, u16), codec: AudioCodec) {
    let engine = MediaEngine::start(EngineConfig {
        bind_ip: "127.0.0.1".parse().unwrap(),
        port_first: ports.0,
        port_last: ports.1,
        shards: 1,
    })
    .unwrap();

    let citizen = UdpSocket::bind("127.0.0.1:0").unwrap();
    citizen
        .set_read_timeout(Some(Duration::from_millis(2)))
        .unwrap();
    let mut citizen_leg = engine.allocate_leg().unwrap();
    let mut params = LegParams::new(
        citizen.local_addr().unwrap(),
        Codec::Pcmu,
        Some(CITIZEN_EVENT_PT),
    );
    params.dead_media_after = None;
    citizen_leg.start(params).unwrap();

    let mut agent_leg = engine.allocate_leg().unwrap();
    let now = Instant::now();
    let (leg, offer) = WebRtcLeg::offer(config, agent_leg.local_addr(), now).unwrap();
    let signalling = SharedWebRtcLeg::new(leg);
    agent_leg
        .attach_transport(Box::new(signalling.clone()))
        .unwrap();
    agent_leg
        .start(LegParams::new(TRANSPORT_PEER, Codec::Pcmu, Some(101)))
        .unwrap();
    let _bridge = engine.bridge(&citizen_leg, &agent_leg).unwrap();

    let browser_socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut peer = BrowserPeer::new(
        BrowserConfig::default(),
        browser_socket.local_addr().unwrap(),
        now,
    )
    .unwrap();
    let answer = peer.answer(now, &offer).unwrap();
    signalling.accept_answer(Instant::now(), &answer).unwrap();
    assert_eq!(signalling.codec(), Some(codec));
    let (commands, browser_commands) = mpsc::channel();
    let browser = thread::spawn(move || run_browser(peer, browser_socket, browser_commands));

    let mut heard = CitizenHeard {
        pcm: Vec::new(),
        events: Vec::new(),
        other_payload_types: Vec::new(),
    };
    let mut frame = 0;
    let leg_addr = citizen_leg.local_addr();
    run_citizen(
        &citizen,
        leg_addr,
        Duration::from_secs(2),
        &mut frame,
        &mut heard,
    );
    commands.send(BrowserCommand::PressKey(KEY_FIVE)).unwrap();
    run_citizen(
        &citizen,
        leg_addr,
        Duration::from_millis(600),
        &mut frame,
        &mut heard,
    );

    commands.send(BrowserCommand::LegClosing).unwrap();
    thread::sleep(Duration::from_millis(10));
    agent_leg.close();
    let closed_at = Instant::now();
    let mut bridge_ended = false;
    while !bridge_ended && closed_at.elapsed() < Duration::from_secs(2) {
        run_citizen(&citizen, leg_addr, TICK, &mut frame, &mut heard);
        while let Some(event) = citizen_leg.try_event() {
            bridge_ended |= matches!(event, MediaEvent::BridgeEnded);
        }
    }
    run_citizen(
        &citizen,
        leg_addr,
        Duration::from_millis(100),
        &mut frame,
        &mut heard,
    );
    commands.send(BrowserCommand::Stop).unwrap();
    let browser = browser.join().unwrap();

    assert!(browser.connected, "the browser peer never connected");
    let stats = signalling.stats();
    assert_eq!(stats.connect_failures, 0, "{stats:?}");
    // The last second each side heard, well after connecting.
    assert!(
        browser.pcm.len() >= 8000,
        "browser heard {} samples",
        browser.pcm.len()
    );
    let browser_tail = &browser.pcm[browser.pcm.len() - 8000..];
    let to_browser = dominant_frequency(browser_tail);
    assert!(
        (to_browser - 440.0).abs() <= 10.0,
        "the browser heard {to_browser} Hz"
    );
    assert!(
        heard.pcm.len() >= 8000,
        "citizen heard {} samples",
        heard.pcm.len()
    );
    // The citizen hears the browser until the agent's leg closed; take a
    // second of what came well before that (the first packets of a bridge
    // can be comfort noise).
    let citizen_window = &heard.pcm[heard.pcm.len().saturating_sub(16000)..][..8000];
    let to_citizen = dominant_frequency(citizen_window);
    assert!(
        (to_citizen - 1000.0).abs() <= 10.0,
        "the citizen heard {to_citizen} Hz"
    );
    eprintln!(
        "{codec:?}: browser heard {to_browser} Hz, citizen heard {to_citizen} Hz, \
         events {:?}, alerts after close {}, {stats:?}",
        heard.events, browser.alerts
    );
    if codec == AudioCodec::Opus {
        assert!(stats.transcoded_frames > 100, "{stats:?}");
    }

    let fives: Vec<_> = heard
        .events
        .iter()
        .filter(|(e, _)| *e == KEY_FIVE)
        .collect();
    assert!(
        fives.iter().any(|(_, end)| *end),
        "no end of key 5 under PT {CITIZEN_EVENT_PT}: {:?} (other PTs {:?})",
        heard.events,
        heard.other_payload_types
    );

    assert!(
        browser.alerts > 0,
        "the browser got no DTLS alert (close_notify) after the leg closed"
    );
    assert!(bridge_ended, "the citizen's leg got no BridgeEnded");
    assert!(browser.sent > 50, "browser sent {}", browser.sent);
}

#[test]
fn pcmu_passes_through_both_ways_keys_and_goodbye() {
    a_browser_call_through_the_engine(WebRtcConfig::default(), (43_000, 43_099), AudioCodec::Pcmu);
}

#[test]
fn opus_is_transcoded_both_ways_keys_and_goodbye() {
    let config = WebRtcConfig {
        prefer: AudioCodec::Opus,
        ..WebRtcConfig::default()
    };
    a_browser_call_through_the_engine(config, (43_100, 43_199), AudioCodec::Opus);
}
