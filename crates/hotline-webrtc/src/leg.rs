//! The server end of an agent's browser call: [`WebRtcLeg`] and its
//! lockable handle [`SharedWebRtcLeg`].

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use bytes::Bytes;
use hotline_media::{MediaTransport, TransportState};
use rtc::peer_connection::state::RTCPeerConnectionState;
use rtc::peer_connection::transport::RTCDtlsRole;

use crate::error::WebRtcError;
use crate::peer::{CodecSpec, Peer, PeerSetup, EVENT_48K, EVENT_8K, OPUS, PCMU};
use crate::rtp::{self, TimestampMap};
use crate::sdp::{self, RtpMap};
use crate::transcode::{OpusTranscoder, FRAME_SAMPLES, MAX_OPUS_PACKET};

/// The core's payload types: PCMU (RFC 3551) and telephone-event as the
/// engine starts a transport's core.
const CORE_PCMU: u8 = 0;
const CORE_EVENT: u8 = 101;
/// How long ICE and DTLS may take once the answer is in. `rtc` 0.21 does
/// not fail a peer connection whose DTLS handshake cannot complete (a
/// fingerprint mismatch leaves it connecting for ever), so the leg gives
/// up by itself.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);
/// 20 ms in Opus's 48 kHz RTP clock.
const OPUS_FRAME: u32 = 960;

/// An audio codec the leg can speak with a browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AudioCodec {
    /// G.711 μ-law, passed through to the core byte for byte.
    #[default]
    Pcmu,
    /// Opus, transcoded to and from the core's μ-law.
    Opus,
}

/// How a leg is set up.
#[derive(Debug, Clone, Default)]
pub struct WebRtcConfig {
    /// The addresses browsers reach the server at when it sits behind a
    /// 1:1 NAT: advertised (with the leg's port) instead of the socket's.
    pub public_ips: Vec<IpAddr>,
    /// The codec to pick when the browser has both. PCMU by default: no
    /// transcoding, and the citizen's leg is G.711 anyway.
    pub prefer: AudioCodec,
}

/// What a leg has done, for metrics and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebRtcStats {
    /// RTP packets from the browser handed to the core (audio and events).
    pub packets_in: u64,
    /// RTP packets of the core sent to the browser.
    pub packets_out: u64,
    /// Opus frames decoded or encoded.
    pub transcoded_frames: u64,
    /// Datagrams that were not STUN, DTLS or (S)RTP at all.
    pub garbage_datagrams: u64,
    /// SRTP packets that did not authenticate or decrypt (or came before
    /// the keys, or were cut short) and were dropped.
    pub srtp_errors: u64,
    /// Decrypted RTP of a payload type the leg does not take, or an Opus
    /// frame that would not decode.
    pub unusable_packets: u64,
    /// Core packets not sent: not connected yet, nothing negotiated, a
    /// payload type other than PCMU and telephone-event, or refused by the
    /// stack.
    pub packets_not_sent: u64,
    /// Peer connections the leg has had (1 + reconnects).
    pub sessions: u64,
    /// Peer connections that did not connect in time (ICE or DTLS failed).
    pub connect_failures: u64,
}

/// The payload types both sides settled on, read from the answer.
#[derive(Debug, Clone, Copy)]
struct Negotiated {
    codec: AudioCodec,
    pcmu: Option<u8>,
    opus: Option<u8>,
    event_8k: Option<u8>,
    event_48k: Option<u8>,
}

impl Negotiated {
    /// The codec the browser sends first in `answer`: a browser sends with
    /// the first codec of the answer, and so does the leg.
    fn from_answer(answer: &[RtpMap]) -> Result<Self, WebRtcError> {
        let find = |name: &str, rate: u32| {
            answer
                .iter()
                .find(|map| map.name == name && map.clock_rate == rate)
                .map(|map| map.payload_type)
        };
        let codec = answer
            .iter()
            .find_map(|map| match (map.name.as_str(), map.clock_rate) {
                ("pcmu", 8000) => Some(AudioCodec::Pcmu),
                ("opus", 48000) => Some(AudioCodec::Opus),
                _ => None,
            })
            .ok_or_else(|| WebRtcError::NoCommonCodec {
                offered: sdp::describe(answer),
            })?;
        Ok(Negotiated {
            codec,
            pcmu: find("pcmu", 8000),
            opus: find("opus", 48000),
            event_8k: find("telephone-event", 8000),
            event_48k: find("telephone-event", 48000),
        })
    }
}

/// Where the leg's signalling is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signalling {
    /// Our offer is out; the browser's answer is awaited.
    AwaitingAnswer,
    /// Offer and answer done.
    Stable,
}

/// Reused packet buffers for the core: no allocation per packet once warm.
#[derive(Debug, Default)]
struct PacketQueue {
    ready: VecDeque<Vec<u8>>,
    spare: Vec<Vec<u8>>,
}

impl PacketQueue {
    fn buffer(&mut self) -> Vec<u8> {
        self.spare
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(12 + 480))
    }

    fn push(&mut self, packet: Vec<u8>) {
        // A core that stopped polling must not make the leg grow for ever:
        // half a second of audio is more than one tick ever holds.
        if self.ready.len() >= 25 {
            if let Some(oldest) = self.ready.pop_front() {
                self.spare.push(oldest);
            }
        }
        self.ready.push_back(packet);
    }

    fn drain(&mut self, deliver: &mut dyn FnMut(&[u8])) {
        while let Some(packet) = self.ready.pop_front() {
            deliver(&packet);
            self.spare.push(packet);
        }
    }
}

/// The server end of one browser's WebRTC session, sans-IO.
///
/// Made with [`WebRtcLeg::offer`] (the server rings the browser) or
/// [`WebRtcLeg::answer`] (the browser called in); driven as a
/// [`MediaTransport`] by the engine's shard thread.
#[derive(Debug)]
pub struct WebRtcLeg {
    config: WebRtcConfig,
    candidates: Vec<SocketAddr>,
    /// `None` once closed.
    peer: Option<Peer>,
    signalling: Signalling,
    negotiated: Option<Negotiated>,
    opus: Option<OpusTranscoder>,
    /// Toward the browser: one SSRC for the leg's life, sequence numbers
    /// and timestamps continuous across reconnects.
    out_ssrc: u32,
    out_sequence: u16,
    out_timestamps: TimestampMap,
    /// Toward the core: one stream whatever the browser's SSRCs.
    in_ssrc: u32,
    in_sequence: u16,
    in_timestamps: TimestampMap,
    to_core: PacketQueue,
    opus_out: Box<[u8; MAX_OPUS_PACKET]>,
    stats: WebRtcStats,
    /// Counters of peer connections replaced by a reconnect.
    retired: crate::peer::PeerCounters,
    /// close() was called: the next poll_transmit lets go of everything.
    closing: bool,
    /// Until when the current peer connection may take to connect.
    connect_deadline: Option<Instant>,
    /// The current peer connection did not connect in time.
    failed: bool,
}

impl WebRtcLeg {
    /// A leg that offers to the browser: the offer lists PCMU and Opus in
    /// the configured order of preference, then telephone-event. Hand the
    /// browser's answer to [`WebRtcLeg::accept_answer`].
    pub fn offer(
        config: WebRtcConfig,
        local: SocketAddr,
        now: Instant,
    ) -> Result<(WebRtcLeg, String), WebRtcError> {
        let mut leg = WebRtcLeg::new(config, local);
        let codecs = leg.offer_codecs();
        let mut peer = leg.new_peer(&codecs, now)?;
        let offer = peer.create_offer(now)?;
        leg.peer = Some(peer);
        Ok((leg, offer))
    }

    /// A leg that answers the browser's offer, picking the preferred codec
    /// if the browser has it and the other one if not.
    pub fn answer(
        config: WebRtcConfig,
        local: SocketAddr,
        now: Instant,
        offer_sdp: &str,
    ) -> Result<(WebRtcLeg, String), WebRtcError> {
        let mut leg = WebRtcLeg::new(config, local);
        let offered = sdp::audio_codecs(offer_sdp)?;
        let has = |name: &str, rate: u32| {
            offered
                .iter()
                .any(|map| map.name == name && map.clock_rate == rate)
        };
        let (pcmu, opus) = (has("pcmu", 8000), has("opus", 48000));
        let chosen = match (leg.config.prefer, pcmu, opus) {
            (AudioCodec::Pcmu, true, _) | (AudioCodec::Opus, true, false) => PCMU,
            (_, _, true) => OPUS,
            _ => {
                return Err(WebRtcError::NoCommonCodec {
                    offered: sdp::describe(&offered),
                })
            }
        };
        // Only the chosen codec is registered, so the answer has no other
        // for the browser to pick; and only its telephone-event, as `rtc`
        // 0.21 answers an offer of both rates with one of them twice.
        let event = if chosen.is_opus() {
            EVENT_48K
        } else {
            EVENT_8K
        };
        let mut peer = leg.new_peer(&[chosen, event], now)?;
        let answer = peer.answer(now, offer_sdp)?;
        leg.settle(&answer)?;
        leg.peer = Some(peer);
        leg.signalling = Signalling::Stable;
        leg.connect_deadline = Some(now + CONNECT_TIMEOUT);
        Ok((leg, answer))
    }

    fn new(config: WebRtcConfig, local: SocketAddr) -> Self {
        let candidates = if config.public_ips.is_empty() {
            vec![local]
        } else {
            config
                .public_ips
                .iter()
                .map(|ip| SocketAddr::new(*ip, local.port()))
                .collect()
        };
        WebRtcLeg {
            config,
            candidates,
            peer: None,
            signalling: Signalling::AwaitingAnswer,
            negotiated: None,
            opus: None,
            out_ssrc: rand::random(),
            out_sequence: rand::random(),
            out_timestamps: TimestampMap::new(rand::random()),
            in_ssrc: rand::random(),
            in_sequence: rand::random(),
            in_timestamps: TimestampMap::new(rand::random()),
            to_core: PacketQueue::default(),
            opus_out: Box::new([0; MAX_OPUS_PACKET]),
            stats: WebRtcStats::default(),
            retired: Default::default(),
            closing: false,
            connect_deadline: None,
            failed: false,
        }
    }

    fn offer_codecs(&self) -> [CodecSpec; 4] {
        match self.config.prefer {
            AudioCodec::Pcmu => [PCMU, OPUS, EVENT_8K, EVENT_48K],
            AudioCodec::Opus => [OPUS, PCMU, EVENT_48K, EVENT_8K],
        }
    }

    fn new_peer(&mut self, codecs: &[CodecSpec], now: Instant) -> Result<Peer, WebRtcError> {
        self.stats.sessions += 1;
        Peer::new(PeerSetup {
            ice_lite: true,
            answering_dtls_role: RTCDtlsRole::Server,
            codecs,
            ssrc: self.out_ssrc,
            candidates: &self.candidates,
            now,
        })
    }

    /// Reads the codec from the answer and readies the transcoder.
    fn settle(&mut self, answer_sdp: &str) -> Result<(), WebRtcError> {
        let negotiated = Negotiated::from_answer(&sdp::audio_codecs(answer_sdp)?)?;
        if negotiated.opus.is_some() && self.opus.is_none() {
            self.opus = Some(OpusTranscoder::new()?);
        }
        self.negotiated = Some(negotiated);
        Ok(())
    }

    fn peer_mut(&mut self, call: &'static str) -> Result<&mut Peer, WebRtcError> {
        self.peer.as_mut().ok_or(WebRtcError::WrongState {
            call,
            reason: "the leg is closed".to_owned(),
        })
    }

    /// The browser's answer to our offer (the first or a reconnect's).
    pub fn accept_answer(&mut self, now: Instant, sdp: &str) -> Result<(), WebRtcError> {
        if self.signalling != Signalling::AwaitingAnswer {
            return Err(WebRtcError::WrongState {
                call: "accept_answer",
                reason: "no offer of ours is outstanding".to_owned(),
            });
        }
        // The codec check first: an answer without one must not half-apply.
        let negotiated = Negotiated::from_answer(&sdp::audio_codecs(sdp)?)?;
        self.peer_mut("accept_answer")?.accept_answer(now, sdp)?;
        if negotiated.opus.is_some() && self.opus.is_none() {
            self.opus = Some(OpusTranscoder::new()?);
        }
        self.negotiated = Some(negotiated);
        self.signalling = Signalling::Stable;
        self.connect_deadline = Some(now + CONNECT_TIMEOUT);
        Ok(())
    }

    /// A new offer from the same browser peer connection, such as the ICE
    /// restart `pc.restartIce()` makes after a network change: answered on
    /// the same peer connection, keeping its DTLS session and SRTP keys.
    pub fn renegotiate(&mut self, now: Instant, offer_sdp: &str) -> Result<String, WebRtcError> {
        if self.signalling != Signalling::Stable {
            return Err(WebRtcError::WrongState {
                call: "renegotiate",
                reason: "our own offer is still awaiting its answer".to_owned(),
            });
        }
        sdp::audio_codecs(offer_sdp)?;
        let answer = self.peer_mut("renegotiate")?.answer(now, offer_sdp)?;
        self.settle(&answer)?;
        Ok(answer)
    }

    /// The browser lost its peer connection (a page refresh): a fresh one
    /// replaces ours (new ICE credentials, new DTLS session); its offer is
    /// returned, for [`WebRtcLeg::accept_answer`]. The stream toward the
    /// browser keeps its SSRC, sequence numbers and timestamps.
    pub fn reconnect(&mut self, now: Instant) -> Result<String, WebRtcError> {
        if self.closing {
            return Err(WebRtcError::WrongState {
                call: "reconnect",
                reason: "the leg is closed".to_owned(),
            });
        }
        let old = self.peer_mut("reconnect")?;
        old.close();
        let old_counters = old.counters;
        let codecs = self.offer_codecs();
        let mut peer = self.new_peer(&codecs, now)?;
        let offer = peer.create_offer(now)?;
        self.retired.garbage += old_counters.garbage;
        self.retired.srtp_dropped += old_counters.srtp_dropped;
        self.retired.send_failed += old_counters.send_failed;
        self.peer = Some(peer);
        self.negotiated = None;
        self.signalling = Signalling::AwaitingAnswer;
        self.failed = false;
        self.connect_deadline = None;
        self.in_timestamps.restart(FRAME_SAMPLES as u32);
        Ok(offer)
    }

    /// The codec negotiated with the browser, once an answer is in.
    pub fn codec(&self) -> Option<AudioCodec> {
        self.negotiated.map(|negotiated| negotiated.codec)
    }

    /// Where the leg is.
    pub fn state(&self) -> TransportState {
        let Some(peer) = &self.peer else {
            return TransportState::Closed;
        };
        if self.closing || self.failed {
            return TransportState::Closed;
        }
        if self.signalling == Signalling::AwaitingAnswer {
            return TransportState::Connecting;
        }
        match peer.state() {
            RTCPeerConnectionState::Connected => TransportState::Connected,
            RTCPeerConnectionState::Disconnected => TransportState::Disconnected,
            RTCPeerConnectionState::Failed | RTCPeerConnectionState::Closed => {
                TransportState::Closed
            }
            _ => TransportState::Connecting,
        }
    }

    /// What the leg has done so far.
    pub fn stats(&self) -> WebRtcStats {
        let mut stats = self.stats;
        let mut counters = self.retired;
        if let Some(peer) = &self.peer {
            counters.garbage += peer.counters.garbage;
            counters.srtp_dropped += peer.counters.srtp_dropped;
        }
        stats.garbage_datagrams = counters.garbage;
        stats.srtp_errors = counters.srtp_dropped;
        stats
    }

    /// The deadline of the stack's next timer, for drivers that sleep
    /// until it rather than tick.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        self.peer.as_mut().and_then(Peer::poll_timeout)
    }

    /// Turns what the browser sent into the core's PCMU and events.
    fn take_received(&mut self) {
        let Some(peer) = self.peer.as_mut() else {
            return;
        };
        let Some(negotiated) = self.negotiated else {
            peer.received.clear();
            return;
        };
        while let Some(packet) = peer.received.pop_front() {
            let header = &packet.header;
            let pt = Some(header.payload_type);
            let mut out = self.to_core.buffer();
            let delivered = if pt == negotiated.pcmu {
                let timestamp = self
                    .in_timestamps
                    .map(header.ssrc, header.timestamp, 1, 1, 160);
                rtp::write_header(
                    &mut out,
                    header.marker,
                    CORE_PCMU,
                    self.in_sequence,
                    timestamp,
                    self.in_ssrc,
                );
                out.extend_from_slice(&packet.payload);
                true
            } else if pt == negotiated.opus {
                let mut ulaw = std::mem::take(&mut out);
                let decoded = self
                    .opus
                    .as_mut()
                    .is_some_and(|opus| opus.opus_to_ulaw(&packet.payload, &mut ulaw));
                if decoded {
                    self.stats.transcoded_frames += 1;
                    let timestamp =
                        self.in_timestamps
                            .map(header.ssrc, header.timestamp, 1, 6, 160);
                    let mut framed = self.to_core.buffer();
                    rtp::write_header(
                        &mut framed,
                        header.marker,
                        CORE_PCMU,
                        self.in_sequence,
                        timestamp,
                        self.in_ssrc,
                    );
                    framed.extend_from_slice(&ulaw);
                    self.to_core.spare.push(ulaw);
                    out = framed;
                } else {
                    out = ulaw;
                }
                decoded
            } else if pt == negotiated.event_8k || pt == negotiated.event_48k {
                let divide = if pt == negotiated.event_8k { 1 } else { 6 };
                let mut event = [0; 4];
                match rtp::scale_event(&packet.payload, 1, divide, &mut event) {
                    Some(()) => {
                        let timestamp =
                            self.in_timestamps
                                .map(header.ssrc, header.timestamp, 1, divide, 160);
                        rtp::write_header(
                            &mut out,
                            header.marker,
                            CORE_EVENT,
                            self.in_sequence,
                            timestamp,
                            self.in_ssrc,
                        );
                        out.extend_from_slice(&event);
                        true
                    }
                    None => false,
                }
            } else {
                false
            };
            if delivered {
                self.in_sequence = self.in_sequence.wrapping_add(1);
                self.stats.packets_in += 1;
                self.to_core.push(out);
            } else {
                self.stats.unusable_packets += 1;
                self.to_core.spare.push(out);
            }
        }
    }

    /// One core packet toward the browser; `false` if it was not sent.
    fn send_core_packet(&mut self, now: Instant, packet: &[u8]) -> bool {
        let (Some(negotiated), Some(plain)) = (self.negotiated, rtp::parse(packet)) else {
            return false;
        };
        if self.state() != TransportState::Connected {
            return false;
        }
        let payload = &packet[plain.payload_start..plain.payload_end];
        let opus = negotiated.codec == AudioCodec::Opus;
        let (payload_type, bytes, multiply, frame) = match (plain.payload_type, opus) {
            (CORE_PCMU, false) => match negotiated.pcmu {
                Some(pt) => (pt, Bytes::copy_from_slice(payload), 1, FRAME_SAMPLES as u32),
                None => return false,
            },
            (CORE_PCMU, true) => {
                let (Some(pt), Some(transcoder)) = (negotiated.opus, self.opus.as_mut()) else {
                    return false;
                };
                let Some(len) = transcoder.ulaw_to_opus(payload, &mut self.opus_out[..]) else {
                    return false;
                };
                self.stats.transcoded_frames += 1;
                (
                    pt,
                    Bytes::copy_from_slice(&self.opus_out[..len]),
                    6,
                    OPUS_FRAME,
                )
            }
            (CORE_EVENT, false) => match negotiated.event_8k {
                Some(pt) => (pt, Bytes::copy_from_slice(payload), 1, FRAME_SAMPLES as u32),
                None => return false,
            },
            (CORE_EVENT, true) => {
                let Some(pt) = negotiated.event_48k else {
                    return false;
                };
                let mut event = [0; 4];
                if rtp::scale_event(payload, 6, 1, &mut event).is_none() {
                    return false;
                }
                (pt, Bytes::copy_from_slice(&event), 6, OPUS_FRAME)
            }
            _ => return false,
        };
        let timestamp = self
            .out_timestamps
            .map(plain.ssrc, plain.timestamp, multiply, 1, frame);
        let sequence = self.out_sequence;
        let Some(peer) = self.peer.as_mut() else {
            return false;
        };
        if !peer.write_rtp(now, plain.marker, payload_type, sequence, timestamp, bytes) {
            return false;
        }
        self.out_sequence = sequence.wrapping_add(1);
        true
    }

    /// The sequence number the next packet toward the browser will carry.
    pub fn next_outbound_sequence(&self) -> u16 {
        self.out_sequence
    }

    /// The SSRC of the stream toward the browser, the same for the leg's life.
    pub fn outbound_ssrc(&self) -> u32 {
        self.out_ssrc
    }
}

impl MediaTransport for WebRtcLeg {
    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        if let Some(peer) = self.peer.as_mut() {
            peer.handle_datagram(now, from, datagram);
            self.take_received();
        }
    }

    fn poll_rtp(&mut self, deliver: &mut dyn FnMut(&[u8])) {
        self.to_core.drain(deliver);
    }

    fn send_rtp(&mut self, now: Instant, packet: &[u8]) {
        if self.send_core_packet(now, packet) {
            self.stats.packets_out += 1;
        } else {
            self.stats.packets_not_sent += 1;
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        if let Some(peer) = self.peer.as_mut() {
            peer.handle_timeout(now);
            if peer.state() == RTCPeerConnectionState::Connected {
                self.connect_deadline = None;
            } else if self
                .connect_deadline
                .is_some_and(|deadline| now >= deadline)
            {
                self.connect_deadline = None;
                self.failed = true;
                self.stats.connect_failures += 1;
            }
            self.take_received();
        }
    }

    fn poll_transmit(&mut self, send: &mut dyn FnMut(SocketAddr, &[u8])) {
        if let Some(peer) = self.peer.as_mut() {
            peer.poll_transmit(send);
            if self.closing {
                // What close() said has gone out; nothing of the session is kept.
                self.retire_peer();
            }
        }
    }

    fn state(&self) -> TransportState {
        WebRtcLeg::state(self)
    }

    fn close(&mut self, _now: Instant) {
        if let Some(peer) = self.peer.as_mut() {
            peer.close();
            self.closing = true;
        }
    }
}

impl WebRtcLeg {
    fn retire_peer(&mut self) {
        if let Some(peer) = self.peer.take() {
            self.retired.garbage += peer.counters.garbage;
            self.retired.srtp_dropped += peer.counters.srtp_dropped;
            self.retired.send_failed += peer.counters.send_failed;
        }
        self.opus = None;
        self.negotiated = None;
        self.to_core = PacketQueue::default();
    }

    /// Whether close() has let go of the peer connection and codec state.
    pub fn is_released(&self) -> bool {
        self.peer.is_none() && self.opus.is_none()
    }
}

/// A [`WebRtcLeg`] shared between the engine's shard thread (which drives
/// it as a [`MediaTransport`]) and the signalling task (which hands it the
/// browser's SDP).
///
/// The shard never waits for the signalling task: applying an SDP (and,
/// for Opus, building the codec) takes milliseconds, and a shard that
/// blocked on it would hold back every other leg it serves. While the
/// signalling side holds the leg, the shard parks what arrives (up to
/// [`MAX_PARKED`] datagrams, handed to the leg at its next turn), skips
/// the leg's timers and sends for that tick (one 20 ms frame toward the
/// browser is not sent), and reads the state it last saw.
#[derive(Debug, Clone)]
pub struct SharedWebRtcLeg(Arc<SharedInner>);

#[derive(Debug)]
struct SharedInner {
    leg: Mutex<WebRtcLeg>,
    parked: Mutex<Vec<(Instant, SocketAddr, Vec<u8>)>>,
    /// The state the shard last read, for the ticks it cannot lock.
    state: std::sync::atomic::AtomicU8,
}

/// Datagrams kept for a leg the signalling side holds (a tick's worth and
/// more: a packet per 20 ms, DTLS flights of a few).
const MAX_PARKED: usize = 64;

fn state_code(state: TransportState) -> u8 {
    match state {
        TransportState::Connecting => 0,
        TransportState::Connected => 1,
        TransportState::Disconnected => 2,
        TransportState::Closed => 3,
    }
}

fn state_of(code: u8) -> TransportState {
    match code {
        0 => TransportState::Connecting,
        1 => TransportState::Connected,
        2 => TransportState::Disconnected,
        _ => TransportState::Closed,
    }
}

impl SharedWebRtcLeg {
    /// Shares `leg`.
    pub fn new(leg: WebRtcLeg) -> Self {
        let state = state_code(leg.state());
        SharedWebRtcLeg(Arc::new(SharedInner {
            leg: Mutex::new(leg),
            parked: Mutex::new(Vec::new()),
            state: std::sync::atomic::AtomicU8::new(state),
        }))
    }

    /// The leg, locked. A panic elsewhere while holding it leaves a leg
    /// whose state is still consistent call by call, so poisoning is
    /// ignored rather than spread.
    pub fn lock(&self) -> MutexGuard<'_, WebRtcLeg> {
        self.0.leg.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The leg if nobody holds it now (the shard's way in), with what was
    /// parked for it handed over first.
    fn try_lock(&self) -> Option<MutexGuard<'_, WebRtcLeg>> {
        let mut leg = match self.0.leg.try_lock() {
            Ok(leg) => leg,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return None,
        };
        let parked =
            std::mem::take(&mut *self.0.parked.lock().unwrap_or_else(PoisonError::into_inner));
        for (at, from, datagram) in parked {
            leg.handle_datagram(at, from, &datagram);
        }
        Some(leg)
    }

    /// See [`WebRtcLeg::accept_answer`].
    pub fn accept_answer(&self, now: Instant, sdp: &str) -> Result<(), WebRtcError> {
        self.lock().accept_answer(now, sdp)
    }

    /// See [`WebRtcLeg::renegotiate`].
    pub fn renegotiate(&self, now: Instant, offer_sdp: &str) -> Result<String, WebRtcError> {
        self.lock().renegotiate(now, offer_sdp)
    }

    /// See [`WebRtcLeg::reconnect`].
    pub fn reconnect(&self, now: Instant) -> Result<String, WebRtcError> {
        self.lock().reconnect(now)
    }

    /// See [`WebRtcLeg::codec`].
    pub fn codec(&self) -> Option<AudioCodec> {
        self.lock().codec()
    }

    /// See [`WebRtcLeg::stats`].
    pub fn stats(&self) -> WebRtcStats {
        self.lock().stats()
    }
}

impl MediaTransport for SharedWebRtcLeg {
    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        match self.try_lock() {
            Some(mut leg) => leg.handle_datagram(now, from, datagram),
            None => {
                let mut parked = self.0.parked.lock().unwrap_or_else(PoisonError::into_inner);
                if parked.len() < MAX_PARKED {
                    parked.push((now, from, datagram.to_vec()));
                }
            }
        }
    }

    fn poll_rtp(&mut self, deliver: &mut dyn FnMut(&[u8])) {
        if let Some(mut leg) = self.try_lock() {
            leg.poll_rtp(deliver);
        }
    }

    fn send_rtp(&mut self, now: Instant, packet: &[u8]) {
        if let Some(mut leg) = self.try_lock() {
            leg.send_rtp(now, packet);
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        if let Some(mut leg) = self.try_lock() {
            MediaTransport::handle_timeout(&mut *leg, now);
        }
    }

    fn poll_transmit(&mut self, send: &mut dyn FnMut(SocketAddr, &[u8])) {
        if let Some(mut leg) = self.try_lock() {
            leg.poll_transmit(send);
            let state = state_code(leg.state());
            self.0
                .state
                .store(state, std::sync::atomic::Ordering::Relaxed);
        }
    }

    fn state(&self) -> TransportState {
        match self.try_lock() {
            Some(leg) => leg.state(),
            None => state_of(self.0.state.load(std::sync::atomic::Ordering::Relaxed)),
        }
    }

    fn close(&mut self, now: Instant) {
        // The leg is going: waiting for the signalling side is right here.
        let mut leg = self.lock();
        let parked =
            std::mem::take(&mut *self.0.parked.lock().unwrap_or_else(PoisonError::into_inner));
        drop(parked);
        MediaTransport::close(&mut *leg, now);
    }
}
