//! [`BrowserPeer`]: the browser's end of a WebRTC leg, made of the same
//! stack, for tests and benchmarks. Like a browser it is a full ICE agent
//! (controlling against the leg's ICE-lite), the DTLS client, and works in
//! linear PCM: 20 ms frames of 160 samples at 8 kHz in and out, encoded as
//! PCMU or Opus as negotiated, and keys as RFC 4733 events.
//!
//! Sans-IO like the leg: the caller moves datagrams and time.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use hotline_media::g711::{ulaw_encode, Codec};
use rtc::peer_connection::state::RTCPeerConnectionState;
use rtc::peer_connection::transport::RTCDtlsRole;

use crate::error::WebRtcError;
use crate::leg::AudioCodec;
use crate::peer::{CodecSpec, Peer, PeerSetup, EVENT_48K, EVENT_8K, OPUS, PCMU};
use crate::sdp;
use crate::transcode::{PcmOpus, FRAME_SAMPLES, MAX_OPUS_PACKET};

/// What a browser peer offers, or accepts, in its order of preference.
#[derive(Debug, Clone)]
pub struct BrowserConfig {
    /// Chromium's order is Opus first, then PCMU.
    pub codecs: Vec<AudioCodec>,
}

impl Default for BrowserConfig {
    fn default() -> Self {
        BrowserConfig {
            codecs: vec![AudioCodec::Opus, AudioCodec::Pcmu],
        }
    }
}

/// One 20 ms frame (or an event) the peer received.
#[derive(Debug, Clone)]
pub struct ReceivedFrame {
    /// The payload type it came under.
    pub payload_type: u8,
    /// Its sequence number and timestamp, as sent.
    pub sequence: u16,
    /// The RTP timestamp, in the codec's clock.
    pub timestamp: u32,
    /// The sender's SSRC.
    pub ssrc: u32,
    /// The payload as it arrived (after SRTP).
    pub payload: Vec<u8>,
    /// The decoded audio at 8 kHz; empty for an event.
    pub pcm: Vec<i16>,
}

#[derive(Debug, Clone, Copy)]
struct Settled {
    codec: AudioCodec,
    audio_pt: u8,
    event_pt: Option<u8>,
    /// RTP clock units per 8 kHz sample: 1 for PCMU, 6 for Opus.
    scale: u32,
}

/// A browser stand-in. See the module doc.
#[derive(Debug)]
pub struct BrowserPeer {
    config: BrowserConfig,
    local: SocketAddr,
    ssrc: u32,
    peer: Option<Peer>,
    settled: Option<Settled>,
    opus: Option<PcmOpus>,
    sequence: u16,
    timestamp: u32,
    received: VecDeque<ReceivedFrame>,
    encoded: Box<[u8; MAX_OPUS_PACKET]>,
    sent: u64,
}

impl BrowserPeer {
    /// A peer at `local` (advertised as its host candidate). Its peer
    /// connection is made with the first offer or answer.
    pub fn new(
        config: BrowserConfig,
        local: SocketAddr,
        _now: Instant,
    ) -> Result<Self, WebRtcError> {
        if config.codecs.is_empty() {
            return Err(WebRtcError::NoCommonCodec {
                offered: "nothing".to_owned(),
            });
        }
        Ok(BrowserPeer {
            config,
            local,
            ssrc: rand::random(),
            peer: None,
            settled: None,
            opus: None,
            sequence: rand::random(),
            timestamp: rand::random(),
            received: VecDeque::new(),
            encoded: Box::new([0; MAX_OPUS_PACKET]),
            sent: 0,
        })
    }

    /// Makes the peer connection, registering the telephone-event of the
    /// clock rate of `lead` only: `rtc` 0.21 answers an offer with both
    /// telephone-event rates with one of them twice and without the other.
    fn make_peer(&mut self, now: Instant, lead: AudioCodec) -> Result<&mut Peer, WebRtcError> {
        let mut codecs: Vec<CodecSpec> = self
            .config
            .codecs
            .iter()
            .map(|codec| match codec {
                AudioCodec::Pcmu => PCMU,
                AudioCodec::Opus => OPUS,
            })
            .collect();
        codecs.push(match lead {
            AudioCodec::Pcmu => EVENT_8K,
            AudioCodec::Opus => EVENT_48K,
        });
        let peer = Peer::new(PeerSetup {
            ice_lite: false,
            answering_dtls_role: RTCDtlsRole::Client,
            codecs: &codecs,
            ssrc: self.ssrc,
            candidates: &[self.local],
            now,
        })?;
        Ok(self.peer.insert(peer))
    }

    fn peer_mut(&mut self) -> Result<&mut Peer, WebRtcError> {
        self.peer.as_mut().ok_or(WebRtcError::WrongState {
            call: "BrowserPeer",
            reason: "no offer or answer made yet".to_owned(),
        })
    }

    /// Answers the leg's offer (or, once connected, its renegotiation).
    pub fn answer(&mut self, now: Instant, offer_sdp: &str) -> Result<String, WebRtcError> {
        let answer = match self.peer.as_mut() {
            Some(peer) => peer.answer(now, offer_sdp)?,
            None => {
                // Like a browser, follow the offerer's order among ours.
                let offered = sdp::audio_codecs(offer_sdp)?;
                let lead = offered
                    .iter()
                    .find_map(|map| match (map.name.as_str(), map.clock_rate) {
                        ("pcmu", 8000) if self.config.codecs.contains(&AudioCodec::Pcmu) => {
                            Some(AudioCodec::Pcmu)
                        }
                        ("opus", 48000) if self.config.codecs.contains(&AudioCodec::Opus) => {
                            Some(AudioCodec::Opus)
                        }
                        _ => None,
                    })
                    .ok_or_else(|| WebRtcError::NoCommonCodec {
                        offered: sdp::describe(&offered),
                    })?;
                self.make_peer(now, lead)?.answer(now, offer_sdp)?
            }
        };
        self.settle(&answer)?;
        Ok(answer)
    }

    /// Offers to the leg (the browser calls in).
    pub fn offer(&mut self, now: Instant) -> Result<String, WebRtcError> {
        match self.peer.as_mut() {
            Some(peer) => peer.create_offer(now),
            None => {
                let lead = self.config.codecs[0];
                self.make_peer(now, lead)?.create_offer(now)
            }
        }
    }

    /// What `pc.restartIce()` and a new offer give: new ICE credentials,
    /// the same DTLS session.
    pub fn restart_ice(&mut self, now: Instant) -> Result<String, WebRtcError> {
        self.peer_mut()?.create_restart_offer(now)
    }

    /// The leg's answer to our offer.
    pub fn accept_answer(&mut self, now: Instant, answer_sdp: &str) -> Result<(), WebRtcError> {
        self.peer_mut()?.accept_answer(now, answer_sdp)?;
        self.settle(answer_sdp)
    }

    fn settle(&mut self, answer_sdp: &str) -> Result<(), WebRtcError> {
        let codecs = sdp::audio_codecs(answer_sdp)?;
        let (codec, audio_pt) = codecs
            .iter()
            .find_map(|map| match (map.name.as_str(), map.clock_rate) {
                ("pcmu", 8000) => Some((AudioCodec::Pcmu, map.payload_type)),
                ("opus", 48000) => Some((AudioCodec::Opus, map.payload_type)),
                _ => None,
            })
            .ok_or_else(|| WebRtcError::NoCommonCodec {
                offered: sdp::describe(&codecs),
            })?;
        let (scale, event_rate) = match codec {
            AudioCodec::Pcmu => (1, 8000),
            AudioCodec::Opus => (6, 48000),
        };
        let event_pt = codecs
            .iter()
            .find(|map| map.name == "telephone-event" && map.clock_rate == event_rate)
            .map(|map| map.payload_type);
        if codec == AudioCodec::Opus && self.opus.is_none() {
            self.opus = Some(PcmOpus::new()?);
        }
        self.settled = Some(Settled {
            codec,
            audio_pt,
            event_pt,
            scale,
        });
        Ok(())
    }

    /// The codec the answer settled on.
    pub fn codec(&self) -> Option<AudioCodec> {
        self.settled.map(|settled| settled.codec)
    }

    /// Whether media flows (ICE and DTLS done).
    pub fn is_connected(&self) -> bool {
        self.connection_state() == RTCPeerConnectionState::Connected
    }

    /// The stack's own connection state.
    pub fn connection_state(&self) -> RTCPeerConnectionState {
        self.peer
            .as_ref()
            .map_or(RTCPeerConnectionState::New, Peer::state)
    }

    /// A datagram arrived from `from`.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        if let Some(peer) = self.peer.as_mut() {
            peer.handle_datagram(now, from, datagram);
        }
        self.take_received();
    }

    /// Timers (ICE checks, DTLS retransmissions, RTCP reports).
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(peer) = self.peer.as_mut() {
            peer.handle_timeout(now);
        }
        self.take_received();
    }

    /// The next timer's deadline.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        self.peer.as_mut().and_then(Peer::poll_timeout)
    }

    /// Hands each datagram to send to `send`.
    pub fn poll_transmit(&mut self, send: &mut dyn FnMut(SocketAddr, &[u8])) {
        if let Some(peer) = self.peer.as_mut() {
            peer.poll_transmit(send);
        }
    }

    /// Sends 20 ms of audio; `false` if nothing went out (not connected).
    pub fn send_audio(&mut self, now: Instant, pcm: &[i16; FRAME_SAMPLES]) -> bool {
        let Some(settled) = self.settled else {
            return false;
        };
        let payload = match settled.codec {
            AudioCodec::Pcmu => {
                let mut ulaw = [0u8; FRAME_SAMPLES];
                for (byte, sample) in ulaw.iter_mut().zip(pcm) {
                    *byte = ulaw_encode(*sample);
                }
                Bytes::copy_from_slice(&ulaw)
            }
            AudioCodec::Opus => {
                let Some(len) = self
                    .opus
                    .as_mut()
                    .and_then(|opus| opus.encode(pcm, &mut self.encoded[..]))
                else {
                    return false;
                };
                Bytes::copy_from_slice(&self.encoded[..len])
            }
        };
        let sent = self.write(now, false, settled.audio_pt, self.timestamp, payload);
        self.timestamp = self
            .timestamp
            .wrapping_add(FRAME_SAMPLES as u32 * settled.scale);
        sent
    }

    /// Presses key `event` (RFC 4733: 0-9, 10 for `*`, 11 for `#`) for
    /// `frames` × 20 ms, sending every packet of it at once (as a browser
    /// would over that time), the end packet three times.
    pub fn send_dtmf(&mut self, now: Instant, event: u8, frames: u16) -> bool {
        let Some(settled) = self.settled else {
            return false;
        };
        let Some(pt) = settled.event_pt else {
            return false;
        };
        let step = FRAME_SAMPLES as u32 * settled.scale;
        let start = self.timestamp;
        let mut all_sent = true;
        for frame in 1..=u32::from(frames) {
            let end = frame == u32::from(frames);
            let duration = (frame * step).min(u32::from(u16::MAX)) as u16;
            let repeats = if end { 3 } else { 1 };
            for _ in 0..repeats {
                let flags = if end { 0x80 } else { 0 } | 10;
                let [high, low] = duration.to_be_bytes();
                let payload = Bytes::copy_from_slice(&[event, flags, high, low]);
                all_sent &= self.write(now, frame == 1, pt, start, payload);
            }
        }
        self.timestamp = start.wrapping_add(u32::from(frames) * step);
        all_sent
    }

    fn write(
        &mut self,
        now: Instant,
        marker: bool,
        pt: u8,
        timestamp: u32,
        payload: Bytes,
    ) -> bool {
        if !self.is_connected() {
            return false;
        }
        let sequence = self.sequence;
        let sent = self
            .peer
            .as_mut()
            .is_some_and(|peer| peer.write_rtp(now, marker, pt, sequence, timestamp, payload));
        if sent {
            self.sequence = self.sequence.wrapping_add(1);
            self.sent += 1;
        }
        sent
    }

    /// The next frame received, decoded.
    pub fn poll_audio(&mut self) -> Option<ReceivedFrame> {
        self.received.pop_front()
    }

    /// RTP packets sent so far.
    pub fn packets_sent(&self) -> u64 {
        self.sent
    }

    /// SRTP packets dropped (failed authentication and the like).
    pub fn srtp_errors(&self) -> u64 {
        self.peer
            .as_ref()
            .map_or(0, |peer| peer.counters.srtp_dropped)
    }

    fn take_received(&mut self) {
        let Some(peer) = self.peer.as_mut() else {
            return;
        };
        while let Some(packet) = peer.received.pop_front() {
            let pt = packet.header.payload_type;
            let mut pcm = Vec::new();
            if let Some(settled) = self.settled {
                if pt == settled.audio_pt {
                    match settled.codec {
                        AudioCodec::Pcmu => {
                            Codec::Pcmu.decode_into(&packet.payload, &mut pcm);
                        }
                        AudioCodec::Opus => {
                            pcm.resize(960, 0);
                            let samples = self
                                .opus
                                .as_mut()
                                .and_then(|opus| opus.decode(&packet.payload, &mut pcm))
                                .unwrap_or(0);
                            pcm.truncate(samples);
                        }
                    }
                }
            }
            self.received.push_back(ReceivedFrame {
                payload_type: pt,
                sequence: packet.header.sequence_number,
                timestamp: packet.header.timestamp,
                ssrc: packet.header.ssrc,
                payload: packet.payload.to_vec(),
                pcm,
            });
            if self.received.len() > 500 {
                self.received.pop_front();
            }
        }
    }

    /// Says goodbye (DTLS close_notify), taken by the next poll_transmit.
    pub fn close(&mut self) {
        if let Some(peer) = self.peer.as_mut() {
            peer.close();
        }
    }
}
