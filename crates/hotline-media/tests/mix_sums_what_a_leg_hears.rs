//! On simulated time, no sockets: a leg that hears several peers sends
//! their sum, frame by frame (decoded, added with saturation, re-encoded);
//! a peer with nothing fresh for a frame adds silence, one a frame late is
//! still mixed in (a small jitter allowance), and one that bursts is cut to
//! a few frames rather than buffered without end.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use hotline_media::core::{BridgeFrame, ComfortNoise, LegCore, LegId, Outbox, TICK};
use hotline_media::route::Route;
use hotline_media::rtp;
use hotline_media::{Codec, LegParams};

const CITIZEN: LegId = LegId(1);
const SUPERVISOR: LegId = LegId(3);
const HEAR_ONLY: Route = Route {
    hear: true,
    speak: false,
    keys: false,
};

/// The agent's leg, hearing the citizen and a whispering supervisor.
struct AgentLeg {
    core: LegCore,
    now: Instant,
    out: Outbox,
}

impl AgentLeg {
    fn new() -> Self {
        let now = Instant::now();
        let phone: SocketAddr = "127.0.0.1:40600".parse().unwrap();
        let mut core = LegCore::new(7, 0, 0, Arc::new(ComfortNoise::new()));
        core.start(now, LegParams::new(phone, Codec::Pcmu, None));
        core.route_peer(CITIZEN, Route::BRIDGE);
        core.route_peer(SUPERVISOR, HEAR_ONLY);
        Self {
            core,
            now,
            out: Outbox::new(),
        }
    }

    fn push(&mut self, from: LegId, payload: &[u8]) {
        self.core.push_peer_frame(
            from,
            BridgeFrame::Audio {
                codec: Codec::Pcmu,
                payload: payload.to_vec(),
            },
        );
    }

    /// One tick: the payload of the audio packet it sent.
    fn tick(&mut self) -> Vec<u8> {
        self.now += TICK;
        self.out.clear();
        self.core.tick(self.now, 0, &mut self.out);
        let (_, _, bytes) = self.out.iter().next().expect("a packet every tick");
        rtp::parse(bytes).unwrap().payload.to_vec()
    }
}

fn tone(hz: f64, amplitude: f64, frame: usize) -> Vec<u8> {
    (0..160)
        .map(|i| {
            let t = (frame * 160 + i) as f64 / 8000.0;
            Codec::Pcmu.encode((amplitude * (2.0 * std::f64::consts::PI * hz * t).sin()) as i16)
        })
        .collect()
}

/// What the mix of two μ-law frames must be.
fn mixed(a: &[u8], b: &[u8]) -> Vec<u8> {
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            let sum = i32::from(Codec::Pcmu.decode(*x)) + i32::from(Codec::Pcmu.decode(*y));
            Codec::Pcmu.encode(sum.clamp(-32768, 32767) as i16)
        })
        .collect()
}

#[test]
fn two_voices_are_summed_sample_by_sample() {
    let mut leg = AgentLeg::new();
    for n in 0..5 {
        let (citizen, supervisor) = (tone(400.0, 8000.0, n), tone(1700.0, 8000.0, n));
        leg.push(CITIZEN, &citizen);
        leg.push(SUPERVISOR, &supervisor);
        assert_eq!(leg.tick(), mixed(&citizen, &supervisor), "frame {n}");
    }
}

#[test]
fn loud_voices_saturate_instead_of_wrapping() {
    let mut leg = AgentLeg::new();
    // μ-law's loudest positive and negative values, from both peers at once.
    let loud: Vec<u8> = (0..160)
        .map(|i| if i % 2 == 0 { 0x80 } else { 0x00 })
        .collect();
    leg.push(CITIZEN, &loud);
    leg.push(SUPERVISOR, &loud);
    for (i, s) in leg
        .tick()
        .iter()
        .map(|b| Codec::Pcmu.decode(*b))
        .enumerate()
    {
        if i % 2 == 0 {
            assert!(s > 30_000, "sample {i} is {s}");
        } else {
            assert!(s < -30_000, "sample {i} is {s}");
        }
    }
}

#[test]
fn a_peer_with_nothing_fresh_adds_silence() {
    let mut leg = AgentLeg::new();
    let citizen = tone(400.0, 8000.0, 0);
    leg.push(CITIZEN, &citizen);
    // Half a frame of the supervisor is not a frame: it waits, unheard.
    leg.push(SUPERVISOR, &tone(1700.0, 8000.0, 0)[..80]);
    assert_eq!(leg.tick(), citizen, "the citizen alone, byte for byte");
    // Nobody has a frame: comfort noise (quiet), not a repeat.
    let quiet = leg.tick();
    assert!(quiet
        .iter()
        .all(|b| Codec::Pcmu.decode(*b).unsigned_abs() < 200));
}

#[test]
fn a_frame_late_is_still_mixed_in() {
    let mut leg = AgentLeg::new();
    let c: Vec<Vec<u8>> = (0..4).map(|n| tone(400.0, 8000.0, n)).collect();
    let s: Vec<Vec<u8>> = (0..3).map(|n| tone(1700.0, 8000.0, n)).collect();
    leg.push(CITIZEN, &c[0]);
    leg.push(SUPERVISOR, &s[0]);
    assert_eq!(leg.tick(), mixed(&c[0], &s[0]));
    // The supervisor's next packet is late...
    leg.push(CITIZEN, &c[1]);
    assert_eq!(leg.tick(), c[1]);
    // ...and arrives with the one after it: both are heard, in order.
    leg.push(CITIZEN, &c[2]);
    leg.push(SUPERVISOR, &s[1]);
    leg.push(SUPERVISOR, &s[2]);
    assert_eq!(leg.tick(), mixed(&c[2], &s[1]));
    leg.push(CITIZEN, &c[3]);
    assert_eq!(leg.tick(), mixed(&c[3], &s[2]));
    assert_eq!(leg.core.stats().counters.relay_dropped_samples, 0);
}

#[test]
fn a_burst_is_cut_to_the_newest_frames() {
    let mut leg = AgentLeg::new();
    let burst: Vec<Vec<u8>> = (0..10).map(|n| tone(1700.0, 8000.0, n)).collect();
    for frame in &burst {
        leg.push(SUPERVISOR, frame);
    }
    let sent: Vec<Vec<u8>> = (0..10).map(|_| leg.tick()).collect();
    assert_eq!(
        &sent[..3],
        &burst[7..],
        "the three newest frames, then nothing"
    );
    assert!(sent[3..].iter().all(|f| !burst.contains(f)));
    assert_eq!(leg.core.stats().counters.relay_dropped_samples, 7 * 160);
}
