//! A peer that sends 30 ms (or 10 ms) packets is heard in full: a bridged
//! leg re-packetises the relayed audio into its own 20 ms stream without
//! losing or reordering a byte.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use hotline_media::core::{ComfortNoise, LegCore, Outbox, TICK};
use hotline_media::rtp::{self, RtpHeader};
use hotline_media::{Codec, LegParams};

#[test]
fn thirty_ms_frames_come_out_as_twenty_ms_packets() {
    let t0 = Instant::now();
    let caller: SocketAddr = "127.0.0.1:40400".parse().unwrap();
    let agent: SocketAddr = "127.0.0.1:40402".parse().unwrap();
    let noise = Arc::new(ComfortNoise::new());
    let mut from_caller = LegCore::new(1, 0, 0, Arc::clone(&noise));
    let mut to_agent = LegCore::new(2, 0, 0, noise);
    from_caller.start(t0, LegParams::new(caller, Codec::Pcmu, None));
    to_agent.start(t0, LegParams::new(agent, Codec::Pcmu, None));
    from_caller.set_bridged(true);
    to_agent.set_bridged(true);

    // 600 ms of a ramp, as 20 packets of 30 ms.
    let audio: Vec<u8> = (0..4800u32).map(|i| (i % 251) as u8).collect();
    let mut out = Outbox::new();
    let mut relayed = Vec::new();
    for (n, chunk) in audio.chunks(240).enumerate() {
        let mut datagram = Vec::new();
        let header = RtpHeader {
            marker: false,
            payload_type: 0,
            sequence: n as u16,
            timestamp: 240 * n as u32,
            ssrc: 9,
        };
        rtp::build(&header, chunk, &mut datagram);
        from_caller.handle_rtp(t0, caller, &datagram);
        while let Some(frame) = from_caller.poll_bridge_frame() {
            to_agent.push_bridge_frame(frame);
        }
        // Two 30 ms packets arrive per three 20 ms ticks.
        let ticks = if n % 2 == 0 { 1 } else { 2 };
        for _ in 0..ticks {
            to_agent.tick(t0 + TICK, 0, &mut out);
            for (_, to, bytes) in out.iter() {
                assert_eq!(to, agent);
                let p = rtp::parse(bytes).unwrap();
                assert_eq!(p.payload.len(), 160);
                relayed.push(p.payload.to_vec());
            }
            out.clear();
        }
    }
    let relayed: Vec<u8> = relayed.into_iter().flatten().collect();
    // The first tick may be comfort noise while the first 30 ms frame was
    // below one packet; after that the ramp comes through intact.
    let start = relayed
        .windows(160)
        .position(|w| w == &audio[..160])
        .expect("the audio was relayed");
    let tail = &relayed[start..];
    let n = tail.len().min(audio.len());
    assert!(n >= 4480, "only {n} of 4800 bytes relayed");
    assert_eq!(&tail[..n], &audio[..n]);
    assert_eq!(from_caller.stats().counters.rtp_received, 20);
}
