//! The seam between a leg's socket and its core for legs whose datagrams
//! are not plain RTP: a WebRTC leg (ICE, DTLS-SRTP, Opus) is a
//! [`MediaTransport`] attached to an ordinary engine leg.
//!
//! The leg's core ([`crate::core::LegCore`]) stays what it is for every
//! leg: it plays, mixes, hears keys, records and bridges RTP packets in
//! G.711 with RFC 4733 events. A transport sits between it and the socket:
//! every datagram that arrives goes to the transport, which hands the core
//! the plain RTP packets it recovered (decrypted, transcoded to the core's
//! codec); every RTP packet the core sends goes to the transport, which
//! sends what it makes of it. So the bridge, the call core and the
//! recording do not know which kind of leg they have.
//!
//! While a transport is attached the core's peer is the transport: the
//! engine starts the core with [`TRANSPORT_PEER`] as its remote address,
//! trusting it, without SRTP of its own (the transport protects), with
//! RTCP muxed; the core's own RTCP is not sent (the transport's stack
//! reports for itself).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Instant;

/// The address the core of a leg with a transport sees its peer at: the
/// transport delivers every packet from it and takes every packet sent to
/// it. Never a real address (TEST-NET-1, RFC 5737, port 9 "discard").
pub const TRANSPORT_PEER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 9);

/// Where a transport is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportState {
    /// Still connecting (ICE checks, DTLS handshake): nothing flows yet.
    Connecting,
    /// Media flows.
    Connected,
    /// Connectivity was lost for now (ICE disconnected): may come back.
    Disconnected,
    /// Over for good (failed or closed): nothing more flows.
    Closed,
}

/// A leg's transport, sans-IO: driven by the engine's shard on its clock.
///
/// Every method is called from the shard thread that owns the leg, on each
/// 20 ms tick: first `handle_datagram` for what arrived, then
/// `poll_rtp` (to the core), then `send_rtp` for the core's packet of the
/// tick, `handle_timeout`, and `poll_transmit` (to the socket).
pub trait MediaTransport: Send {
    /// A datagram arrived on the leg's socket from `from`.
    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]);

    /// Hands each plain RTP packet recovered since the last call to
    /// `deliver`, in the codec the core was started with (and RFC 4733
    /// events under the payload type it was given).
    fn poll_rtp(&mut self, deliver: &mut dyn FnMut(&[u8]));

    /// The core sends this plain RTP packet (its codec, its header).
    fn send_rtp(&mut self, now: Instant, packet: &[u8]);

    /// Timers: called on every tick (20 ms is fine for ICE consent checks
    /// and DTLS retransmissions).
    fn handle_timeout(&mut self, now: Instant);

    /// Hands each datagram to send since the last call to `send`.
    fn poll_transmit(&mut self, send: &mut dyn FnMut(SocketAddr, &[u8]));

    /// Where the transport is.
    fn state(&self) -> TransportState;

    /// The leg closes: say goodbye (DTLS close_notify) if there is anyone
    /// to say it to; what that sends is taken by one last `poll_transmit`.
    fn close(&mut self, now: Instant);
}
