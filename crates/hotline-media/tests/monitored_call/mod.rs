//! A bridged call and a supervisor's leg beside it, over real UDP, for the
//! monitor tests. Each party's phone talks in a tone of its own, so what a
//! phone hears tells who reached it: the citizen at 400 Hz, the agent at
//! 1 kHz, the supervisor at 1.7 kHz. No sum or product of two of them lands
//! on the third, so a mix (and μ-law's distortion of it) is told apart.
#![allow(dead_code)]

use std::time::Duration;

use hotline_media::route::Party;
use hotline_media::{Bridge, Codec, Leg, LegParams, MediaEngine};

use crate::common::{engine, sine, Peer};

/// Amplitude of each party's tone: three of them summed stay clear of clipping.
pub const TONE_AMPLITUDE: f64 = 5000.0;
/// A tone counts as heard in a 20 ms frame above this (about -10 dB of the tone).
const HEARD_AMPLITUDE: f64 = 1500.0;
/// How long the parties talk in one [`MonitoredCall::talk`].
pub const TALK_MS: u32 = 1500;
/// Time for a change (mode, hold, end) to reach every shard, with room for
/// a loaded machine; what was queued before it is then discarded.
pub const SETTLE: Duration = Duration::from_millis(500);

/// The tone a party talks in.
pub fn tone_of(party: Party) -> f64 {
    match party {
        Party::Citizen => 400.0,
        Party::Agent => 1000.0,
        Party::Supervisor => 1700.0,
    }
}

/// The three phones and their legs: the citizen's and the agent's bridged.
pub struct MonitoredCall {
    pub engine: MediaEngine,
    pub citizen: Peer,
    pub agent: Peer,
    pub supervisor: Peer,
    pub citizen_leg: Leg,
    pub agent_leg: Leg,
    pub supervisor_leg: Leg,
}

/// What each phone heard while all three talked, decoded.
pub struct Heard {
    pub citizen: Vec<i16>,
    pub agent: Vec<i16>,
    pub supervisor: Vec<i16>,
}

impl MonitoredCall {
    /// Starts the three legs (the agent's in A-law, so mixing meets
    /// transcoding) on an engine with two shards, and bridges the citizen
    /// with the agent. The legs are spread over both shards.
    pub async fn start(first_port: u16) -> (Self, Bridge) {
        let engine = engine(first_port);
        let (citizen, agent, supervisor) =
            (Peer::bind().await, Peer::bind().await, Peer::bind().await);
        agent
            .ssrc
            .store(0xA6E7, std::sync::atomic::Ordering::Relaxed);
        supervisor
            .ssrc
            .store(0x5EE5, std::sync::atomic::Ordering::Relaxed);
        let citizen_leg = engine.allocate_leg().unwrap();
        let agent_leg = engine.allocate_leg().unwrap();
        let supervisor_leg = engine.allocate_leg().unwrap();
        citizen_leg
            .start(LegParams::new(citizen.addr(), Codec::Pcmu, Some(101)))
            .unwrap();
        agent_leg
            .start(LegParams::new(agent.addr(), Codec::Pcma, Some(100)))
            .unwrap();
        supervisor_leg
            .start(LegParams::new(supervisor.addr(), Codec::Pcmu, Some(101)))
            .unwrap();
        let bridge = engine.bridge(&citizen_leg, &agent_leg).unwrap();
        let call = Self {
            engine,
            citizen,
            agent,
            supervisor,
            citizen_leg,
            agent_leg,
            supervisor_leg,
        };
        (call, bridge)
    }

    /// Waits for a change to take effect everywhere, then drops what the
    /// phones received meanwhile (audio relayed before the change).
    pub async fn settle(&self) {
        tokio::time::sleep(SETTLE).await;
        for phone in [&self.citizen, &self.agent, &self.supervisor] {
            discard_queued(phone);
        }
    }

    /// All three talk in their tones for [`TALK_MS`] at once; returns what
    /// each phone heard meanwhile (and a little after).
    pub async fn talk(&self) -> Heard {
        self.talk_with(&[Party::Citizen, Party::Agent, Party::Supervisor])
            .await
    }

    /// As [`Self::talk`], with only `talkers` talking.
    pub async fn talk_with(&self, talkers: &[Party]) -> Heard {
        let window = Duration::from_millis(u64::from(TALK_MS) + 500);
        let say = |party: Party| {
            let (phone, leg, codec) = match party {
                Party::Citizen => (&self.citizen, &self.citizen_leg, Codec::Pcmu),
                Party::Agent => (&self.agent, &self.agent_leg, Codec::Pcma),
                Party::Supervisor => (&self.supervisor, &self.supervisor_leg, Codec::Pcmu),
            };
            let voice = if talkers.contains(&party) {
                sine(tone_of(party), TALK_MS, TONE_AMPLITUDE)
            } else {
                Vec::new()
            };
            async move { phone.send_audio(leg.local_addr(), codec, &voice).await }
        };
        let (citizen, agent, supervisor, ..) = tokio::join!(
            listen(&self.citizen, Codec::Pcmu, window),
            listen(&self.agent, Codec::Pcma, window),
            listen(&self.supervisor, Codec::Pcmu, window),
            say(Party::Citizen),
            say(Party::Agent),
            say(Party::Supervisor),
        );
        Heard {
            citizen,
            agent,
            supervisor,
        }
    }
}

/// Drops every datagram already queued on a phone's socket.
pub fn discard_queued(phone: &Peer) {
    let mut buf = [0u8; 2048];
    while phone.socket.try_recv_from(&mut buf).is_ok() {}
}

/// The audio a phone receives for `window`, decoded (keys left out).
pub async fn listen(phone: &Peer, codec: Codec, window: Duration) -> Vec<i16> {
    let deadline = tokio::time::Instant::now() + window;
    let mut audio = Vec::new();
    while let Some(left) = deadline.checked_duration_since(tokio::time::Instant::now()) {
        match phone.recv(left).await {
            Some((header, payload)) if header.payload_type == codec.payload_type() => {
                audio.extend(payload.iter().map(|b| codec.decode(*b)));
            }
            Some(_) => {}
            None => break,
        }
    }
    audio
}

/// The amplitude of the `hz` component of a frame (Goertzel; exact for
/// tones with a whole number of cycles in the frame, as these have).
pub fn tone_amplitude(frame: &[i16], hz: f64) -> f64 {
    let coeff = 2.0 * (2.0 * std::f64::consts::PI * hz / 8000.0).cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for x in frame {
        let s = f64::from(*x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    2.0 * power.max(0.0).sqrt() / frame.len() as f64
}

/// The 20 ms frames of `audio` in which `party`'s tone is heard.
pub fn frames_with(audio: &[i16], party: Party) -> usize {
    audio
        .chunks_exact(160)
        .filter(|frame| tone_amplitude(frame, tone_of(party)) > HEARD_AMPLITUDE)
        .count()
}

/// Asserts that `listener` heard each of `heard` (in at least a quarter of
/// the talk's frames: late packets on a loaded machine cost some) and never
/// one frame of `not_heard`.
pub fn assert_hears(listener: &str, audio: &[i16], heard: &[Party], not_heard: &[Party]) {
    let talk_frames = TALK_MS as usize / 20;
    for party in heard {
        let n = frames_with(audio, *party);
        assert!(
            n >= talk_frames / 4,
            "{listener} heard the {party:?} in only {n} of {talk_frames} frames"
        );
    }
    for party in not_heard {
        let n = frames_with(audio, *party);
        assert_eq!(n, 0, "{listener} heard the {party:?} in {n} frames");
    }
}
