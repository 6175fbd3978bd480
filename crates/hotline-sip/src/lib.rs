//! The SIP signaling layer of Hotline, on rsip.
//!
//! Layers, from the wire up:
//! - [`wire`]: framing (UDP datagrams, TCP by Content-Length) and the
//!   normalisation that works around rsip 0.4's known gaps;
//! - [`msg`]: the mandatory fields, checked once, and response builders;
//! - [`transaction`]: RFC 3261 §17 state machines with the RFC 6026 states;
//! - [`sdp`]: offer/answer for PCMU, PCMA and telephone-event, RTP or SRTP (SDES);
//! - [`registrar`]: digest-authenticated REGISTER and bindings;
//! - [`registration`]: our own REGISTER to a registrar (client side);
//! - [`endpoint`]: the sans-IO user agent that ties them together;
//! - [`tls`]: the TLS identity (certificate reloaded on change);
//! - [`transport`]: the thin tokio driver (UDP, TCP and TLS sockets, timers).
//!
//! Everything but [`transport`] is sans-IO: time is an input, output is
//! returned, nothing reads the clock. This crate knows nothing of media, the
//! IVR, queues or the store; the call controller in the binary wires those.

pub mod endpoint;
pub mod msg;
pub mod registrar;
pub mod registration;
pub mod sdp;
pub mod tls;
pub mod transaction;
pub mod transport;
pub mod wire;

pub use endpoint::{
    CallHandle, ConnectionId, Counters, EndedBy, Endpoint, EndpointConfig, Event, OutgoingCall,
    Output, Peer, Transmit, Transport,
};
pub use registration::{Registration, RegistrationId};
pub use sdp::{
    Codec, CryptoSuite, Direction, LocalMedia, NegotiatedMedia, SdesCrypto, SdesKey, SrtpPolicy,
    TransportProfile,
};
