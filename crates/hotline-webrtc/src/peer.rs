//! One `rtc` peer connection with one sendrecv audio track, driven
//! sans-IO: the part the server leg and the client peer share.
//!
//! `rtc` swallows the errors of a bad datagram (it logs them and goes on),
//! so what was dropped is told here by what came out: an SRTP packet in
//! that yields no RTP packet did not authenticate (or was replayed, or came
//! before the keys). Datagrams that are none of STUN, DTLS or (S)RTP by
//! RFC 7983's first byte never reach the stack.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use rtc::interceptor::Registry;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::interceptor_registry::configure_rtcp_reports;
use rtc::peer_connection::configuration::media_engine::{
    MediaEngine, MIME_TYPE_OPUS, MIME_TYPE_PCMU, MIME_TYPE_TELEPHONE_EVENT,
};
use rtc::peer_connection::configuration::setting_engine::SettingEngineBuilder;
use rtc::peer_connection::configuration::RTCConfigurationBuilder;
use rtc::peer_connection::event::RTCPeerConnectionEvent;
use rtc::peer_connection::message::RTCMessage;
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::peer_connection::state::RTCPeerConnectionState;
use rtc::peer_connection::transport::{
    CandidateConfig, CandidateHostConfig, RTCDtlsRole, RTCIceCandidate,
};
use rtc::peer_connection::{RTCPeerConnection, RTCPeerConnectionBuilder};
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters, RTCRtpEncodingParameters,
    RtpCodecKind,
};
use rtc::rtp_transceiver::RTCRtpSenderId;
use rtc::sansio::Protocol;
use rtc::shared::{TaggedBytesMut, TransportContext, TransportProtocol};

use crate::error::WebRtcError;

/// A codec as the media engine registers it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CodecSpec {
    mime_type: &'static str,
    clock_rate: u32,
    channels: u16,
    fmtp: &'static str,
    payload_type: u8,
}

pub(crate) const PCMU: CodecSpec = CodecSpec {
    mime_type: MIME_TYPE_PCMU,
    clock_rate: 8000,
    channels: 0,
    fmtp: "",
    payload_type: 0,
};
pub(crate) const OPUS: CodecSpec = CodecSpec {
    mime_type: MIME_TYPE_OPUS,
    clock_rate: 48000,
    channels: 2,
    fmtp: "minptime=10;useinbandfec=1",
    payload_type: 111,
};
pub(crate) const EVENT_8K: CodecSpec = CodecSpec {
    mime_type: MIME_TYPE_TELEPHONE_EVENT,
    clock_rate: 8000,
    channels: 0,
    fmtp: "0-16",
    payload_type: 101,
};
pub(crate) const EVENT_48K: CodecSpec = CodecSpec {
    mime_type: MIME_TYPE_TELEPHONE_EVENT,
    clock_rate: 48000,
    channels: 0,
    fmtp: "0-16",
    payload_type: 110,
};

impl CodecSpec {
    pub(crate) fn is_opus(&self) -> bool {
        self.mime_type == MIME_TYPE_OPUS
    }

    fn rtp_codec(&self) -> RTCRtpCodec {
        RTCRtpCodec {
            mime_type: self.mime_type.to_owned(),
            clock_rate: self.clock_rate,
            channels: self.channels,
            sdp_fmtp_line: self.fmtp.to_owned(),
            rtcp_feedback: vec![],
        }
    }
}

/// How a peer connection is set up: which side of ICE and DTLS it plays
/// and what it offers.
#[derive(Debug)]
pub(crate) struct PeerSetup<'a> {
    pub(crate) ice_lite: bool,
    /// The DTLS role when answering (as offerer the answer decides).
    pub(crate) answering_dtls_role: RTCDtlsRole,
    /// Registered in this order, which is the order of the offer's `m=` line.
    pub(crate) codecs: &'a [CodecSpec],
    pub(crate) ssrc: u32,
    /// The host candidates to advertise; the first of each family is where
    /// datagrams are said to arrive.
    pub(crate) candidates: &'a [SocketAddr],
    pub(crate) now: Instant,
}

/// What the stack's handling of datagrams came to.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct PeerCounters {
    /// Datagrams that were none of STUN, DTLS or (S)RTP, or too short to be.
    pub(crate) garbage: u64,
    /// SRTP packets that yielded no RTP packet: failed authentication,
    /// replays, cut short, or before the keys were there.
    pub(crate) srtp_dropped: u64,
    /// RTP packets the stack would not send (not connected, not negotiated).
    pub(crate) send_failed: u64,
}

pub(crate) struct Peer {
    pc: RTCPeerConnection,
    sender: RTCRtpSenderId,
    ssrc: u32,
    candidates: Vec<SocketAddr>,
    state: RTCPeerConnectionState,
    pub(crate) received: VecDeque<rtc::rtp::Packet>,
    pub(crate) counters: PeerCounters,
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer")
            .field("ssrc", &self.ssrc)
            .field("state", &self.state)
            .field("counters", &self.counters)
            .finish_non_exhaustive()
    }
}

/// The shortest SRTP packet: a 12-byte header and the 10-byte tag of
/// AES_CM_128_HMAC_SHA1_80 (AEAD profiles' tags are longer still).
const MIN_SRTP: usize = 12 + 10;

impl Peer {
    pub(crate) fn new(setup: PeerSetup<'_>) -> Result<Self, WebRtcError> {
        let mut media_engine = MediaEngine::default();
        for codec in setup.codecs {
            media_engine
                .register_codec(
                    RTCRtpCodecParameters {
                        rtp_codec: codec.rtp_codec(),
                        payload_type: codec.payload_type,
                    },
                    RtpCodecKind::Audio,
                )
                .map_err(WebRtcError::stack)?;
        }
        // Sender and receiver reports only: NACK, TWCC and the simulcast
        // extensions of the default set are for video and cost per packet.
        let registry = configure_rtcp_reports(Registry::new());
        let setting_engine = SettingEngineBuilder::new()
            .with_lite(setup.ice_lite)
            .with_answering_dtls_role(setup.answering_dtls_role)
            .build();
        let mut pc = RTCPeerConnectionBuilder::new()
            .with_configuration(RTCConfigurationBuilder::new().build())
            .with_setting_engine(setting_engine)
            .with_media_engine(media_engine)
            .with_interceptor_registry(registry)
            .build(setup.now)
            .map_err(WebRtcError::stack)?;
        let track = MediaStreamTrack::new(
            format!("hotline-{:08x}", setup.ssrc),
            format!("audio-{:08x}", setup.ssrc),
            "audio".to_owned(),
            RtpCodecKind::Audio,
            vec![RTCRtpEncodingParameters {
                rtp_coding_parameters: RTCRtpCodingParameters {
                    ssrc: Some(setup.ssrc),
                    ..Default::default()
                },
                active: true,
                // No codec here: one would become the transceiver's only
                // codec preference and hide the others (and
                // telephone-event) from the SDP.
                ..Default::default()
            }],
        );
        let sender = pc.add_track(track).map_err(WebRtcError::stack)?;
        let mut peer = Peer {
            pc,
            sender,
            ssrc: setup.ssrc,
            candidates: setup.candidates.to_vec(),
            state: RTCPeerConnectionState::New,
            received: VecDeque::new(),
            counters: PeerCounters::default(),
        };
        peer.add_candidates()?;
        Ok(peer)
    }

    /// Host candidates go in before any description so that each lists
    /// them (no trickling: the leg's address is known from the start).
    fn add_candidates(&mut self) -> Result<(), WebRtcError> {
        for address in &self.candidates {
            let candidate = CandidateHostConfig {
                base_config: CandidateConfig {
                    network: "udp".to_owned(),
                    address: address.ip().to_string(),
                    port: address.port(),
                    component: 1,
                    ..Default::default()
                },
                ..Default::default()
            }
            .new_candidate_host()
            .map_err(WebRtcError::stack)?;
            let init = RTCIceCandidate::from(&candidate)
                .to_json()
                .map_err(WebRtcError::stack)?;
            self.pc
                .add_local_candidate(init)
                .map_err(WebRtcError::stack)?;
        }
        Ok(())
    }

    pub(crate) fn create_offer(&mut self, now: Instant) -> Result<String, WebRtcError> {
        let offer = self.pc.create_offer(None).map_err(WebRtcError::stack)?;
        self.pc
            .set_local_description(now, offer)
            .map_err(WebRtcError::stack)?;
        self.local_sdp()
    }

    /// Like [`Peer::create_offer`], with new ICE credentials.
    pub(crate) fn create_restart_offer(&mut self, now: Instant) -> Result<String, WebRtcError> {
        self.pc.restart_ice();
        self.create_offer(now)
    }

    pub(crate) fn accept_answer(&mut self, now: Instant, sdp: &str) -> Result<(), WebRtcError> {
        let answer = RTCSessionDescription::answer(sdp.to_owned()).map_err(WebRtcError::bad_sdp)?;
        self.pc
            .set_remote_description(now, answer)
            .map_err(WebRtcError::bad_sdp)?;
        self.drain(now);
        Ok(())
    }

    pub(crate) fn answer(&mut self, now: Instant, offer_sdp: &str) -> Result<String, WebRtcError> {
        let offer =
            RTCSessionDescription::offer(offer_sdp.to_owned()).map_err(WebRtcError::bad_sdp)?;
        self.pc
            .set_remote_description(now, offer)
            .map_err(WebRtcError::bad_sdp)?;
        let answer = self.pc.create_answer(None).map_err(WebRtcError::stack)?;
        self.pc
            .set_local_description(now, answer)
            .map_err(WebRtcError::stack)?;
        self.drain(now);
        self.local_sdp()
    }

    fn local_sdp(&self) -> Result<String, WebRtcError> {
        self.pc
            .local_description()
            .map(|description| description.sdp)
            .ok_or_else(|| WebRtcError::stack("no local description after setting it"))
    }

    pub(crate) fn state(&self) -> RTCPeerConnectionState {
        self.state
    }

    /// Where the stack is told a datagram from `from` arrived: the
    /// advertised candidate of its family (a public address stands for the
    /// socket behind a 1:1 NAT).
    fn local_for(&self, from: SocketAddr) -> SocketAddr {
        self.candidates
            .iter()
            .copied()
            .find(|candidate| candidate.is_ipv4() == from.is_ipv4())
            .or_else(|| self.candidates.first().copied())
            .unwrap_or(from)
    }

    pub(crate) fn handle_datagram(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        let kind = classify(datagram);
        if kind == Datagram::Garbage {
            self.counters.garbage += 1;
            return;
        }
        if kind == Datagram::Rtp && datagram.len() < MIN_SRTP {
            self.counters.srtp_dropped += 1;
            return;
        }
        let before = self.received.len();
        let transport = TransportContext {
            local_addr: self.local_for(from),
            peer_addr: from,
            transport_protocol: TransportProtocol::UDP,
            ecn: None,
        };
        // `handle_read` reports nothing of a bad datagram; see the module doc.
        let _ = self.pc.handle_read(TaggedBytesMut {
            now,
            transport,
            message: BytesMut::from(datagram),
        });
        self.drain(now);
        if kind == Datagram::Rtp && self.received.len() == before {
            self.counters.srtp_dropped += 1;
        }
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        // A handler may schedule a new deadline that is already due (a
        // retransmission after a state change): run them out, a few rounds.
        for _ in 0..4 {
            match self.pc.poll_timeout() {
                Some(due) if due <= now => {
                    let _ = self.pc.handle_timeout(now);
                }
                _ => break,
            }
        }
        self.drain(now);
    }

    pub(crate) fn poll_timeout(&mut self) -> Option<Instant> {
        self.pc.poll_timeout()
    }

    pub(crate) fn poll_transmit(&mut self, send: &mut dyn FnMut(SocketAddr, &[u8])) {
        while let Some(datagram) = self.pc.poll_write() {
            send(datagram.transport.peer_addr, &datagram.message);
        }
    }

    /// Sends one RTP packet on the track; `false` if the stack refused it.
    pub(crate) fn write_rtp(
        &mut self,
        now: Instant,
        marker: bool,
        payload_type: u8,
        sequence_number: u16,
        timestamp: u32,
        payload: Bytes,
    ) -> bool {
        let packet = rtc::rtp::Packet {
            header: rtc::rtp::header::Header {
                version: 2,
                marker,
                payload_type,
                sequence_number,
                timestamp,
                ssrc: self.ssrc,
                ..Default::default()
            },
            payload,
        };
        let sent = match self.pc.rtp_sender(self.sender) {
            Some(mut sender) => sender.write_rtp(now, packet).is_ok(),
            None => false,
        };
        if !sent {
            self.counters.send_failed += 1;
        }
        sent
    }

    /// Takes what the stack produced: media into `received`, state changes.
    fn drain(&mut self, _now: Instant) {
        while let Some(message) = self.pc.poll_read() {
            if let RTCMessage::RtpPacket(_, packet) = message.message {
                self.received.push_back(packet);
            }
        }
        while let Some(event) = self.pc.poll_event() {
            if let RTCPeerConnectionEvent::OnConnectionStateChangeEvent(state) = event {
                self.state = state;
            }
        }
    }

    pub(crate) fn close(&mut self) {
        let _ = self.pc.close();
        self.state = RTCPeerConnectionState::Closed;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Datagram {
    Stun,
    Dtls,
    Rtp,
    Rtcp,
    Garbage,
}

/// RFC 7983's demultiplexing by the first byte, with the least each kind
/// must have to be worth parsing.
fn classify(datagram: &[u8]) -> Datagram {
    const STUN_MAGIC: [u8; 4] = [0x21, 0x12, 0xa4, 0x42];
    match datagram.first() {
        Some(0..=3) if datagram.len() >= 20 && datagram[4..8] == STUN_MAGIC => Datagram::Stun,
        Some(20..=63) if datagram.len() >= 13 => Datagram::Dtls,
        Some(128..=191) if datagram.len() >= 2 && (192..=223).contains(&datagram[1]) => {
            if datagram.len() >= 8 {
                Datagram::Rtcp
            } else {
                Datagram::Garbage
            }
        }
        Some(128..=191) => Datagram::Rtp,
        _ => Datagram::Garbage,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datagrams_are_told_apart_by_their_first_byte() {
        let mut stun = vec![0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42];
        stun.resize(20, 0);
        assert_eq!(classify(&stun), Datagram::Stun);
        assert_eq!(classify(&[0, 1, 0, 0]), Datagram::Garbage);
        assert_eq!(classify(&[22; 13]), Datagram::Dtls);
        assert_eq!(classify(&[0x80, 0, 1, 2]), Datagram::Rtp);
        assert_eq!(classify(&[0x80, 200, 0, 1, 0, 0, 0, 0]), Datagram::Rtcp);
        assert_eq!(classify(&[]), Datagram::Garbage);
        assert_eq!(classify(&[0xff, 0xff]), Datagram::Garbage);
    }
}
