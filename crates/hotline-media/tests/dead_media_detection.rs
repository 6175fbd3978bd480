//! No RTP for the configured time raises DeadMedia once; RTP coming back
//! raises MediaResumed. Disabled (None) for legs on hold.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_media::core::{ComfortNoise, LegCore, Outbox, TICK};
use hotline_media::rtp::{self, RtpHeader};
use hotline_media::{Codec, LegParams, MediaEvent};

fn audio(seq: u16) -> Vec<u8> {
    let mut buf = Vec::new();
    let header = RtpHeader {
        marker: false,
        payload_type: 0,
        sequence: seq,
        timestamp: u32::from(seq) * 160,
        ssrc: 77,
    };
    rtp::build(&header, &[0xFF; 160], &mut buf);
    buf
}

fn run(core: &mut LegCore, from: Instant, ticks: u32, out: &mut Outbox) -> Vec<MediaEvent> {
    let mut events = Vec::new();
    for n in 0..ticks {
        core.tick(from + TICK * n, 0, out);
        out.clear();
        events.extend(std::iter::from_fn(|| core.poll_event()));
    }
    events
}

#[test]
fn silence_on_the_wire_is_reported_once_and_recovery_too() {
    let t0 = Instant::now();
    let peer: SocketAddr = "127.0.0.1:40200".parse().unwrap();
    let mut params = LegParams::new(peer, Codec::Pcmu, None);
    params.dead_media_after = Some(Duration::from_secs(2));
    let mut core = LegCore::new(1, 0, 0, Arc::new(ComfortNoise::new()));
    core.start(t0, params);
    let mut out = Outbox::new();
    // Never any RTP: dead after 2 s from start, reported once.
    let events = run(&mut core, t0, 99, &mut out);
    assert!(events.is_empty(), "{events:?}");
    let events = run(&mut core, t0 + TICK * 99, 200, &mut out);
    assert_eq!(
        events,
        vec![MediaEvent::DeadMedia {
            silent_for: Duration::from_secs(2)
        }]
    );
    // RTP comes back.
    let back = t0 + Duration::from_secs(10);
    core.handle_rtp(back, peer, &audio(1));
    assert_eq!(core.poll_event(), Some(MediaEvent::MediaResumed));
    let events = run(&mut core, back, 50, &mut out);
    assert!(events.is_empty());
    // And stops again: counted from the last packet.
    let events = run(&mut core, back + TICK * 50, 100, &mut out);
    assert!(
        matches!(events[..], [MediaEvent::DeadMedia { .. }]),
        "{events:?}"
    );
}

#[test]
fn a_leg_on_hold_can_switch_detection_off() {
    let t0 = Instant::now();
    let peer: SocketAddr = "127.0.0.1:40202".parse().unwrap();
    let mut params = LegParams::new(peer, Codec::Pcmu, None);
    params.dead_media_after = None;
    let mut core = LegCore::new(1, 0, 0, Arc::new(ComfortNoise::new()));
    core.start(t0, params);
    let mut out = Outbox::new();
    assert!(run(&mut core, t0, 3000, &mut out).is_empty());
}
