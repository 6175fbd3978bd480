//! On simulated time, no sockets: a leg's route to each peer decides
//! exactly what crosses it. Muting a direction takes effect at once, even
//! for audio already queued (so a citizen stops hearing a supervisor the
//! moment the route says so); keys cross only routes that carry keys; a
//! held leg hears and is heard by nobody.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_media::core::{BridgeFrame, ComfortNoise, LegCore, LegId, Outbox, TICK};
use hotline_media::route::{route_between, MonitorMode, Party, Route};
use hotline_media::rtp::{self, RtpHeader};
use hotline_media::{Codec, DtmfDigit, LegParams};

const AGENT: LegId = LegId(2);
const SUPERVISOR: LegId = LegId(3);

/// The citizen's leg of a bridge that a supervisor monitors in `mode`.
fn citizen_leg(mode: MonitorMode) -> (LegCore, Instant, SocketAddr) {
    let now = Instant::now();
    let phone: SocketAddr = "127.0.0.1:40700".parse().unwrap();
    let mut core = LegCore::new(5, 0, 0, Arc::new(ComfortNoise::new()));
    // With telephone-event, so a key played here would leave as an event.
    core.start(now, LegParams::new(phone, Codec::Pcmu, Some(101)));
    core.route_peer(
        AGENT,
        route_between(None, false, Party::Citizen, Party::Agent),
    );
    core.route_peer(
        SUPERVISOR,
        route_between(Some(mode), false, Party::Citizen, Party::Supervisor),
    );
    (core, now, phone)
}

fn audio(byte: u8) -> BridgeFrame {
    BridgeFrame::Audio {
        codec: Codec::Pcmu,
        payload: vec![byte; 160],
    }
}

fn sent_payload(core: &mut LegCore, now: &mut Instant) -> Vec<u8> {
    let mut out = Outbox::new();
    *now += TICK;
    core.tick(*now, 0, &mut out);
    let (_, _, bytes) = out.iter().next().expect("a packet every tick");
    rtp::parse(bytes).unwrap().payload.to_vec()
}

fn frames_for(core: &mut LegCore) -> Vec<(LegId, BridgeFrame)> {
    std::iter::from_fn(|| core.poll_peer_frame()).collect()
}

#[test]
fn muting_the_supervisor_drops_what_was_queued() {
    let (mut core, mut now, _) = citizen_leg(MonitorMode::Barge);
    // A loud supervisor frame and a quiet agent one are queued in a barge...
    core.push_peer_frame(SUPERVISOR, audio(0x80));
    core.push_peer_frame(AGENT, audio(0xF0));
    // ...and the supervisor steps back to a whisper before the next tick.
    core.route_peer(
        SUPERVISOR,
        route_between(
            Some(MonitorMode::Whisper),
            false,
            Party::Citizen,
            Party::Supervisor,
        ),
    );
    assert_eq!(
        sent_payload(&mut core, &mut now),
        vec![0xF0; 160],
        "the agent alone"
    );
    // Whatever the supervisor's leg still sends is dropped.
    core.push_peer_frame(SUPERVISOR, audio(0x80));
    assert!(sent_payload(&mut core, &mut now).iter().all(|b| *b != 0x80));
}

#[test]
fn a_muted_direction_takes_queued_frames_back() {
    let (mut core, now, phone) = citizen_leg(MonitorMode::Barge);
    let mut datagram = Vec::new();
    let header = RtpHeader {
        marker: false,
        payload_type: 0,
        sequence: 1,
        timestamp: 0,
        ssrc: 99,
    };
    rtp::build(&header, &[0x33; 160], &mut datagram);
    core.handle_rtp(now, phone, &datagram);
    core.route_peer(
        SUPERVISOR,
        route_between(
            Some(MonitorMode::Listen),
            false,
            Party::Citizen,
            Party::Supervisor,
        ),
    );
    // In Listen the citizen still speaks to the supervisor...
    let to: Vec<LegId> = frames_for(&mut core)
        .into_iter()
        .map(|(to, _)| to)
        .collect();
    assert_eq!(to, [AGENT, SUPERVISOR]);
    // ...and once the route says not, the queued frame goes to the agent only.
    core.handle_rtp(now, phone, &datagram);
    core.route_peer(
        SUPERVISOR,
        Route {
            speak: false,
            ..core.route_to(SUPERVISOR).unwrap()
        },
    );
    let to: Vec<LegId> = frames_for(&mut core)
        .into_iter()
        .map(|(to, _)| to)
        .collect();
    assert_eq!(to, [AGENT]);
}

#[test]
fn keys_cross_only_the_bridge() {
    let (mut core, mut now, _) = citizen_leg(MonitorMode::Barge);
    let key = DtmfDigit {
        key: '5',
        duration: Duration::from_millis(100),
    };
    // The citizen's key goes to the agent, not to the barged-in supervisor.
    core.sip_info_dtmf(key);
    let frames = frames_for(&mut core);
    assert_eq!(frames, [(AGENT, BridgeFrame::Dtmf(key))]);
    // A key from the supervisor's leg is not played to the citizen (the
    // citizen's phone would get telephone-events if it were); the agent's is.
    core.push_peer_frame(SUPERVISOR, BridgeFrame::Dtmf(key));
    let mut out = Outbox::new();
    now += TICK;
    core.tick(now, 0, &mut out);
    let pt = rtp::parse(out.iter().next().unwrap().2)
        .unwrap()
        .header
        .payload_type;
    assert_eq!(pt, 0, "audio, not a key");
}

#[test]
fn a_held_leg_hears_and_is_heard_by_nobody() {
    let (mut core, mut now, phone) = citizen_leg(MonitorMode::Barge);
    core.set_held(true);
    core.push_peer_frame(AGENT, audio(0x80));
    core.push_peer_frame(SUPERVISOR, audio(0x80));
    assert!(sent_payload(&mut core, &mut now).iter().all(|b| *b != 0x80));
    let mut datagram = Vec::new();
    let header = RtpHeader {
        marker: false,
        payload_type: 0,
        sequence: 1,
        timestamp: 0,
        ssrc: 99,
    };
    rtp::build(&header, &[0x33; 160], &mut datagram);
    core.handle_rtp(now, phone, &datagram);
    assert!(frames_for(&mut core).is_empty());
}
