//! The WebRTC leg, sans-IO: an agent's browser is a softphone, and this
//! crate is the server end of its peer connection, bridged to the media
//! engine's plain G.711 legs.
//!
//! It owns the leg's WebRTC session (webrtc-rs's sans-IO `rtc` stack):
//! ICE-lite on the leg's own socket address, DTLS-SRTP as the DTLS server,
//! the SDP offer/answer of one audio section (PCMU, Opus, telephone-event),
//! the restarts a browser needs (an ICE restart after a network blip, a
//! whole new peer connection after a page refresh), and the translation
//! between what the browser sends and what the engine's leg core speaks:
//! PCMU RTP (payload type 0) and RFC 4733 events (payload type 101) at
//! 8 kHz. PCMU from the browser is passed through byte for byte; Opus is
//! transcoded with libopus.
//!
//! The I/O contract is the media engine's [`hotline_media::MediaTransport`]:
//! datagrams come in through `handle_datagram(now, ..)`, timers through
//! `handle_timeout(now)`, datagrams to send go out through
//! `poll_transmit`, and the core's packets in and out through `send_rtp`
//! and `poll_rtp`. This crate never opens a socket and never reads the
//! clock (every `now` is the caller's); it knows nothing of SIP, the call
//! core or the store. The hotline's signalling task carries the SDP to and
//! from the browser and calls [`WebRtcLeg::accept_answer`],
//! [`WebRtcLeg::renegotiate`] and [`WebRtcLeg::reconnect`] on its clone of
//! a [`SharedWebRtcLeg`], while the engine's shard thread drives the other.
//!
//! [`client::BrowserPeer`] is the other end, made of the same stack: a
//! full-ICE, DTLS-client peer that stands in for a browser in tests and
//! benchmarks.

pub mod client;
mod error;
mod leg;
mod peer;
mod rtp;
mod sdp;
mod transcode;

pub use error::WebRtcError;
pub use leg::{AudioCodec, SharedWebRtcLeg, WebRtcConfig, WebRtcLeg, WebRtcStats};
