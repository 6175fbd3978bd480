//! The in-memory harness: a [`WebRtcLeg`] and a [`BrowserPeer`] on
//! simulated time, datagrams moved between them by hand.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hotline_media::{MediaTransport, TransportState};
use hotline_webrtc::client::{BrowserConfig, BrowserPeer, ReceivedFrame};
use hotline_webrtc::{WebRtcConfig, WebRtcError, WebRtcLeg};

pub const TICK: Duration = Duration::from_millis(20);

pub fn leg_addr() -> SocketAddr {
    "10.1.2.3:40000".parse().unwrap()
}

pub fn browser_addr() -> SocketAddr {
    "10.9.8.7:50000".parse().unwrap()
}

type Tamper = Box<dyn FnMut(&mut Vec<u8>)>;

pub struct Pair {
    pub now: Instant,
    pub leg: WebRtcLeg,
    pub browser: BrowserPeer,
    pub browser_addr: SocketAddr,
    /// What the leg handed the core, in order.
    pub to_core: Vec<Vec<u8>>,
    /// What the browser received, in order.
    pub to_browser: Vec<ReceivedFrame>,
    /// Applied to every datagram from the browser to the leg.
    pub tamper_to_leg: Option<Tamper>,
}

impl Pair {
    /// The leg offers, the browser answers.
    pub fn leg_offers(config: WebRtcConfig, browser: BrowserConfig) -> Result<Pair, WebRtcError> {
        let now = Instant::now();
        let (mut leg, offer) = WebRtcLeg::offer(config, leg_addr(), now)?;
        let mut peer = BrowserPeer::new(browser, browser_addr(), now)?;
        let answer = peer.answer(now, &offer)?;
        leg.accept_answer(now, &answer)?;
        Ok(Pair::new(now, leg, peer))
    }

    /// The browser offers, the leg answers.
    pub fn browser_offers(
        config: WebRtcConfig,
        browser: BrowserConfig,
    ) -> Result<Pair, WebRtcError> {
        let now = Instant::now();
        let mut peer = BrowserPeer::new(browser, browser_addr(), now)?;
        let offer = peer.offer(now)?;
        let (leg, answer) = WebRtcLeg::answer(config, leg_addr(), now, &offer)?;
        peer.accept_answer(now, &answer)?;
        Ok(Pair::new(now, leg, peer))
    }

    pub fn new(now: Instant, leg: WebRtcLeg, browser: BrowserPeer) -> Pair {
        Pair {
            now,
            leg,
            browser,
            browser_addr: browser_addr(),
            to_core: Vec::new(),
            to_browser: Vec::new(),
            tamper_to_leg: None,
        }
    }

    /// Moves every pending datagram, both ways, until none is left.
    pub fn exchange(&mut self) {
        for _ in 0..50 {
            let mut moved = 0;
            let mut to_browser = Vec::new();
            self.leg
                .poll_transmit(&mut |to, datagram| to_browser.push((to, datagram.to_vec())));
            for (_to, datagram) in to_browser {
                moved += 1;
                self.browser
                    .handle_datagram(self.now, leg_addr(), &datagram);
            }
            let mut to_leg = Vec::new();
            self.browser
                .poll_transmit(&mut |_to, datagram| to_leg.push(datagram.to_vec()));
            for mut datagram in to_leg {
                moved += 1;
                if let Some(tamper) = self.tamper_to_leg.as_mut() {
                    tamper(&mut datagram);
                }
                self.leg
                    .handle_datagram(self.now, self.browser_addr, &datagram);
            }
            if moved == 0 {
                break;
            }
        }
        let to_core = &mut self.to_core;
        self.leg
            .poll_rtp(&mut |packet| to_core.push(packet.to_vec()));
        while let Some(frame) = self.browser.poll_audio() {
            self.to_browser.push(frame);
        }
    }

    /// One 20 ms tick as the engine's shard runs it.
    pub fn tick(&mut self) {
        self.now += TICK;
        MediaTransport::handle_timeout(&mut self.leg, self.now);
        self.browser.handle_timeout(self.now);
        self.exchange();
    }

    /// Ticks until `done` holds, for at most `limit` of simulated time.
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&mut Pair) -> bool) -> bool {
        let end = self.now + limit;
        self.exchange();
        while self.now < end {
            if done(self) {
                return true;
            }
            self.tick();
        }
        done(self)
    }

    pub fn connect(&mut self) {
        let connected = self.run_until(Duration::from_secs(10), |pair| {
            pair.leg.state() == TransportState::Connected && pair.browser.is_connected()
        });
        assert!(
            connected,
            "not connected: leg {:?}, browser {:?}",
            self.leg.state(),
            self.browser.connection_state()
        );
    }
}

/// 20 ms of a sine tone at 8 kHz, frame `index` of a continuous tone.
pub fn tone(frequency: f64, index: usize) -> [i16; 160] {
    let mut frame = [0i16; 160];
    for (n, sample) in frame.iter_mut().enumerate() {
        let t = (index * 160 + n) as f64 / 8000.0;
        *sample = (8000.0 * (2.0 * std::f64::consts::PI * frequency * t).sin()) as i16;
    }
    frame
}

/// A core PCMU packet: header and 160 μ-law bytes.
pub fn core_packet(sequence: u16, timestamp: u32, ssrc: u32, pt: u8, payload: &[u8]) -> Vec<u8> {
    let mut packet = vec![0x80, pt];
    packet.extend_from_slice(&sequence.to_be_bytes());
    packet.extend_from_slice(&timestamp.to_be_bytes());
    packet.extend_from_slice(&ssrc.to_be_bytes());
    packet.extend_from_slice(payload);
    packet
}

pub fn ulaw(pcm: &[i16]) -> Vec<u8> {
    pcm.iter()
        .map(|s| hotline_media::g711::ulaw_encode(*s))
        .collect()
}

pub fn unulaw(payload: &[u8]) -> Vec<i16> {
    let mut pcm = Vec::new();
    hotline_media::g711::Codec::Pcmu.decode_into(payload, &mut pcm);
    pcm
}

/// The power of `frequency` in `samples` relative to their total power
/// (Goertzel): near 1 for a pure tone of that frequency.
pub fn tone_share(samples: &[i16], frequency: f64) -> f64 {
    let n = samples.len() as f64;
    let coefficient = 2.0 * (2.0 * std::f64::consts::PI * frequency / 8000.0).cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    let mut energy = 0.0;
    for sample in samples {
        let x = f64::from(*sample);
        energy += x * x;
        let s = x + coefficient * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    let power = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
    if energy == 0.0 {
        0.0
    } else {
        2.0 * power / (n * energy)
    }
}

/// The frequency by zero crossings.
pub fn zero_crossing_frequency(samples: &[i16]) -> f64 {
    let crossings = samples
        .windows(2)
        .filter(|pair| (pair[0] < 0) != (pair[1] < 0))
        .count();
    crossings as f64 / 2.0 / (samples.len() as f64 / 8000.0)
}

/// The payload of a plain RTP packet with a 12-byte header.
pub fn payload(packet: &[u8]) -> &[u8] {
    &packet[12..]
}

pub fn payload_type(packet: &[u8]) -> u8 {
    packet[1] & 0x7f
}

pub fn sequence(packet: &[u8]) -> u16 {
    u16::from_be_bytes([packet[2], packet[3]])
}

pub fn timestamp(packet: &[u8]) -> u32 {
    u32::from_be_bytes([packet[4], packet[5], packet[6], packet[7]])
}

/// `frames` ticks of talk from frame `first` on: the core sends a 440 Hz
/// PCMU frame, the browser 1 kHz, each tick.
pub fn talk(pair: &mut Pair, first: usize, frames: usize) {
    for index in first..first + frames {
        let packet = core_packet(
            index as u16,
            160 * index as u32,
            0xc0de,
            0,
            &ulaw(&tone(440.0, index)),
        );
        pair.leg.send_rtp(pair.now, &packet);
        pair.browser.send_audio(pair.now, &tone(1000.0, index));
        pair.tick();
    }
}
