//! The SIP layer alone, answering every call: what `bench/sip/cps.sh`
//! measures as "SIP layer" calls per second (the same shape as the
//! Asterisk anchor: Answer, then the caller hangs up). No media, IVR or
//! store: the full hotline is measured separately by the same script.
//!
//!   cargo run --release -p hotline-sip --example answer_server -- 127.0.0.1:5092

use std::net::SocketAddr;
use std::time::Instant;

use hotline_sip::endpoint::EndpointConfig;
use hotline_sip::transport::{self, Command, TransportConfig};
use hotline_sip::{Codec, Direction, Endpoint, Event, LocalMedia};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listen: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:5092".into())
        .parse()?;
    let config = EndpointConfig {
        advertised: listen,
        max_calls: 100_000,
        trusted_sources: vec![listen.ip()],
        ..EndpointConfig::default()
    };
    let endpoint = Endpoint::new(config, rand::random(), Instant::now());
    let (sip, mut events, _tasks) = transport::start(
        TransportConfig {
            listen: vec![listen],
            ..TransportConfig::default()
        },
        endpoint,
    )
    .await?;
    eprintln!("answering every call to 12345 on {listen}");
    let rtp = SocketAddr::new(listen.ip(), 30_000);
    while let Some(event) = events.recv().await {
        if let Event::IncomingCall {
            call, remote_media, ..
        } = event
        {
            let media = remote_media.as_ref();
            sip.send(Command::Answer(
                call,
                LocalMedia {
                    rtp,
                    codecs: vec![media.map_or(Codec::Pcmu, |m| m.codec)],
                    telephone_event_pt: media.and_then(|m| m.telephone_event_pt),
                    direction: Direction::SendRecv,
                    session_id: 1,
                    version: 1,
                    crypto: None,
                },
            ))?;
        }
    }
    Ok(())
}
