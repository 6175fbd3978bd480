//! Over real UDP: two bridged legs relay audio both ways, re-stamped into
//! each leg's own continuous RTP stream (transcoded between μ-law and
//! A-law), pass keys through as RFC 4733, stop relaying on hold, and the
//! survivor hears `BridgeEnded` when the other leg closes.

mod common;

use std::time::Duration;

use common::*;
use hotline_media::dtmf::TelephoneEvent;
use hotline_media::rtp::RtpHeader;
use hotline_media::{Codec, LegParams, MediaEvent};

/// Receives for `window`, returning every RTP packet.
async fn capture(peer: &Peer, window: Duration) -> Vec<(RtpHeader, Vec<u8>)> {
    let deadline = tokio::time::Instant::now() + window;
    let mut got = Vec::new();
    while let Some(left) = deadline.checked_duration_since(tokio::time::Instant::now()) {
        match peer.recv(left).await {
            Some(p) => got.push(p),
            None => break,
        }
    }
    got
}

fn audio_of(packets: &[(RtpHeader, Vec<u8>)], codec: Codec) -> Vec<i16> {
    packets
        .iter()
        .filter(|(h, _)| h.payload_type == codec.payload_type())
        .flat_map(|(_, p)| p.iter().map(|b| codec.decode(*b)))
        .collect()
}

fn loud_frames(samples: &[i16]) -> usize {
    samples
        .chunks(160)
        .filter(|c| c.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / 160.0 > 1000.0 * 1000.0)
        .count()
}

fn frequency(samples: &[i16]) -> f64 {
    let loud: Vec<i16> = samples
        .chunks(160)
        .filter(|c| c.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / 160.0 > 1000.0 * 1000.0)
        .flatten()
        .copied()
        .collect();
    let crossings = loud.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
    crossings as f64 / 2.0 / (loud.len() as f64 / 8000.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_legs_bridged_hear_each_other() {
    let engine = engine(30_800);
    let citizen = Peer::bind().await;
    let agent = Peer::bind().await;
    agent
        .ssrc
        .store(0xA6E7, std::sync::atomic::Ordering::Relaxed);
    let mut leg_c = engine.allocate_leg().unwrap();
    let mut leg_a = engine.allocate_leg().unwrap();
    leg_c
        .start(LegParams::new(citizen.addr(), Codec::Pcmu, Some(101)))
        .unwrap();
    leg_a
        .start(LegParams::new(agent.addr(), Codec::Pcma, Some(100)))
        .unwrap();
    let bridge = engine.bridge(&leg_c, &leg_a).unwrap();
    let (to_c, to_a) = (leg_c.local_addr(), leg_a.local_addr());

    // Both talk at once for a second: the citizen at 500 Hz, the agent at 1 kHz.
    let c_voice = sine(500.0, 1000, 8000.0);
    let a_voice = sine(1000.0, 1000, 8000.0);
    let (heard_by_agent, heard_by_citizen, _, _) = tokio::join!(
        capture(&agent, Duration::from_millis(1500)),
        capture(&citizen, Duration::from_millis(1500)),
        citizen.send_audio(to_c, Codec::Pcmu, &c_voice),
        agent.send_audio(to_a, Codec::Pcma, &a_voice),
    );
    for (name, packets, codec, freq) in [
        ("agent", &heard_by_agent, Codec::Pcma, 500.0),
        ("citizen", &heard_by_citizen, Codec::Pcmu, 1000.0),
    ] {
        let audio = audio_of(packets, codec);
        let loud = loud_frames(&audio);
        assert!(loud >= 40, "{name} heard {loud} of 50 voice frames");
        let f = frequency(&audio);
        assert!((f - freq).abs() < 10.0, "{name} heard {f:.0} Hz");
        // One stream per leg: own SSRC, sequence without gaps, timestamps on the 160 grid.
        let first = &packets[0].0;
        for (i, (h, _)) in packets.iter().enumerate() {
            assert_eq!(h.ssrc, first.ssrc, "{name}");
            assert_eq!(h.sequence, first.sequence.wrapping_add(i as u16), "{name}");
            assert_eq!(
                h.timestamp,
                first.timestamp.wrapping_add(160 * i as u32),
                "{name}"
            );
        }
    }
    assert_ne!(
        heard_by_agent[0].0.ssrc,
        citizen.ssrc.load(std::sync::atomic::Ordering::Relaxed),
        "re-stamped, not forwarded"
    );

    // A key the citizen presses reaches the agent's phone as RFC 4733 on its type 100.
    for step in 1..=4u16 {
        let payload = TelephoneEvent {
            event: 7,
            end: step == 4,
            volume: 10,
            duration: step * 160,
        }
        .to_bytes();
        citizen.send(to_c, 101, step == 1, 99_000, &payload).await;
    }
    let events = wait_for_event(&mut leg_c, Duration::from_secs(5), |e| {
        matches!(e, MediaEvent::Dtmf { .. })
    })
    .await;
    assert!(matches!(
        events.last(),
        Some(MediaEvent::Dtmf { key: '7', .. })
    ));
    let agent_packets = capture(&agent, Duration::from_millis(400)).await;
    let keys: Vec<u8> = agent_packets
        .iter()
        .filter(|(h, _)| h.payload_type == 100)
        .map(|(_, p)| p[0])
        .collect();
    assert!(!keys.is_empty() && keys.iter().all(|k| *k == 7), "{keys:?}");
    let ends = agent_packets
        .iter()
        .filter(|(h, p)| h.payload_type == 100 && p[1] & 0x80 != 0)
        .count();
    assert_eq!(ends, 3);

    // On hold the agent no longer hears the citizen.
    bridge.hold(&leg_c, None).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let on_hold_voice = sine(500.0, 400, 8000.0);
    let (held, _) = tokio::join!(
        capture(&agent, Duration::from_millis(600)),
        citizen.send_audio(to_c, Codec::Pcmu, &on_hold_voice),
    );
    assert_eq!(
        loud_frames(&audio_of(&held, Codec::Pcma)),
        0,
        "nothing relayed on hold"
    );
    bridge.unhold(&leg_c).unwrap();

    // The agent hangs up: the citizen's leg learns the bridge is gone.
    leg_a.close();
    let events = wait_for_event(&mut leg_c, Duration::from_secs(5), |e| {
        matches!(e, MediaEvent::BridgeEnded)
    })
    .await;
    assert_eq!(events.last(), Some(&MediaEvent::BridgeEnded));
}
