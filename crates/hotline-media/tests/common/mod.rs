//! Helpers shared by the media tests: signal generators and an RTP test peer.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU16, AtomicU32, Ordering};
use std::time::Duration;

use hotline_media::rtp::{self, RtpHeader};
use tokio::net::UdpSocket;

pub const RATE: f64 = 8000.0;

/// Deterministic white noise (xorshift), amplitude in -1..1 scaled by `level`.
pub struct Noise(u32);

impl Noise {
    pub fn new(seed: u32) -> Self {
        Self(seed.max(1))
    }
    pub fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        (self.0 as f64 / u32::MAX as f64) * 2.0 - 1.0
    }
}

/// The row and column frequencies of a key.
pub fn dtmf_freqs(key: char) -> (f64, f64) {
    let rows = [697.0, 770.0, 852.0, 941.0];
    let cols = [1209.0, 1336.0, 1477.0, 1633.0];
    let layout = ["123A", "456B", "789C", "*0#D"];
    for (r, line) in layout.iter().enumerate() {
        if let Some(c) = line.find(key) {
            return (rows[r], cols[c]);
        }
    }
    panic!("not a key: {key}");
}

/// A DTMF tone: `row_amp` and `col_amp` are linear amplitudes (of 32767).
pub fn dtmf_tone(key: char, ms: u32, row_amp: f64, col_amp: f64) -> Vec<f64> {
    let (fr, fc) = dtmf_freqs(key);
    let n = (ms as f64 * RATE / 1000.0) as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 / RATE;
            row_amp * (2.0 * std::f64::consts::PI * fr * t).sin()
                + col_amp * (2.0 * std::f64::consts::PI * fc * t).sin()
        })
        .collect()
}

pub fn silence(ms: u32) -> Vec<f64> {
    vec![0.0; (ms as f64 * RATE / 1000.0) as usize]
}

/// Adds noise of RMS `rms` and converts to i16.
pub fn with_noise(signal: &[f64], rms: f64, seed: u32) -> Vec<i16> {
    let mut noise = Noise::new(seed);
    // Uniform noise in -a..a has RMS a/sqrt(3).
    let a = rms * 3f64.sqrt();
    signal
        .iter()
        .map(|x| (x + a * noise.next()).round().clamp(-32768.0, 32767.0) as i16)
        .collect()
}

pub fn sine(freq: f64, ms: u32, amp: f64) -> Vec<i16> {
    let n = (ms as f64 * RATE / 1000.0) as usize;
    (0..n)
        .map(|i| (amp * (2.0 * std::f64::consts::PI * freq * i as f64 / RATE).sin()).round() as i16)
        .collect()
}

/// A fresh, empty directory under the system temp dir.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "hotline-media-{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The RMS difference between two signals relative to the first's RMS, in dB.
pub fn snr_db(reference: &[i16], received: &[i16]) -> f64 {
    let n = reference.len().min(received.len());
    let signal: f64 = reference[..n].iter().map(|s| f64::from(*s).powi(2)).sum();
    let error: f64 = reference[..n]
        .iter()
        .zip(&received[..n])
        .map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2))
        .sum();
    10.0 * (signal / error.max(1.0)).log10()
}

/// A phone on the other side of a leg: a UDP socket that speaks RTP.
pub struct Peer {
    pub socket: UdpSocket,
    /// Atomics so one task can send and receive at once through `&Peer`.
    pub ssrc: AtomicU32,
    pub seq: AtomicU16,
    pub ts: AtomicU32,
}

impl Peer {
    pub async fn bind() -> Self {
        Self {
            socket: UdpSocket::bind("127.0.0.1:0").await.unwrap(),
            ssrc: AtomicU32::new(0x5151_0001),
            seq: AtomicU16::new(100),
            ts: AtomicU32::new(8000),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.socket.local_addr().unwrap()
    }

    /// Sends one packet with the peer's running sequence number.
    pub async fn send(&self, to: SocketAddr, pt: u8, marker: bool, ts: u32, payload: &[u8]) {
        let mut buf = Vec::new();
        rtp::build(
            &RtpHeader {
                marker,
                payload_type: pt,
                sequence: self.seq.fetch_add(1, Ordering::Relaxed),
                timestamp: ts,
                ssrc: self.ssrc.load(Ordering::Relaxed),
            },
            payload,
            &mut buf,
        );
        self.socket.send_to(&buf, to).await.unwrap();
    }

    /// Sends audio as 20 ms G.711 packets paced in real time.
    pub async fn send_audio(&self, to: SocketAddr, codec: hotline_media::Codec, samples: &[i16]) {
        let mut interval = tokio::time::interval(Duration::from_millis(20));
        for chunk in samples.chunks(160) {
            interval.tick().await;
            let mut payload = Vec::new();
            codec.encode_into(chunk, &mut payload);
            let ts = self.ts.fetch_add(chunk.len() as u32, Ordering::Relaxed);
            self.send(to, codec.payload_type(), false, ts, &payload)
                .await;
        }
    }

    /// Receives one RTP packet (header, payload), or `None` after `wait`.
    pub async fn recv(&self, wait: Duration) -> Option<(RtpHeader, Vec<u8>)> {
        let mut buf = [0u8; 2048];
        loop {
            let (n, _) = tokio::time::timeout(wait, self.socket.recv_from(&mut buf))
                .await
                .ok()?
                .ok()?;
            // RTCP goes to the next port, so everything here should be RTP.
            if let Ok(p) = rtp::parse(&buf[..n]) {
                return Some((p.header, p.payload.to_vec()));
            }
        }
    }
}

/// Collects events from a leg until `pred` says stop, or panics after `wait`.
pub async fn wait_for_event<F>(
    leg: &mut hotline_media::Leg,
    wait: Duration,
    mut pred: F,
) -> Vec<hotline_media::MediaEvent>
where
    F: FnMut(&hotline_media::MediaEvent) -> bool,
{
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, leg.next_event()).await {
            Ok(Some(e)) => {
                let done = pred(&e);
                seen.push(e);
                if done {
                    return seen;
                }
            }
            Ok(None) => panic!("leg closed; events so far: {seen:?}"),
            Err(_) => panic!("no matching event within {wait:?}; events so far: {seen:?}"),
        }
    }
}

/// An engine on a port range of its own (tests run in parallel).
pub fn engine(first_port: u16) -> hotline_media::MediaEngine {
    hotline_media::MediaEngine::start(hotline_media::EngineConfig {
        bind_ip: "127.0.0.1".parse().unwrap(),
        port_first: first_port,
        port_last: first_port + 199,
        shards: 2,
    })
    .unwrap()
}
