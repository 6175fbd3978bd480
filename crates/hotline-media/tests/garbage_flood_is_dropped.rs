//! Over real UDP: a flood of garbage on a leg's port (malformed packets and
//! RTP from a stranger) is dropped and counted while the prompt keeps
//! reaching the caller on time and complete.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use hotline_media::{Codec, LegParams, MediaEvent, Prompt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_does_not_stall_the_prompt() {
    let engine = engine(31_800);
    let peer = Peer::bind().await;
    let mut leg = engine.allocate_leg().unwrap();
    let prompt = Arc::new(Prompt::from_samples("tone", &sine(700.0, 2000, 6000.0)));
    leg.play(vec![Arc::clone(&prompt)], false).unwrap();
    leg.start(LegParams::new(peer.addr(), Codec::Pcmu, None))
        .unwrap();
    let to = leg.local_addr();
    // The caller's first packet latches the leg.
    peer.send(to, 0, true, 0, &[0xFF; 160]).await;

    let flood = tokio::spawn(async move {
        let attacker = Peer::bind().await;
        let mut sent = 0u32;
        for round in 0..100u32 {
            for i in 0..200u32 {
                let junk: Vec<u8> = (0..(i % 64 + 1))
                    .map(|b| (b * 31 + i + round) as u8)
                    .collect();
                let _ = attacker.socket.send_to(&junk, to).await;
                sent += 1;
            }
            let valid = Peer::bind().await; // RTP from a stranger
            valid.send(to, 0, false, 0, &[0x7F; 160]).await;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        sent
    });

    let mut payload = Vec::new();
    while payload.len() < prompt.len_samples() {
        let (_, p) = peer
            .recv(Duration::from_secs(2))
            .await
            .expect("the prompt stalled under the flood");
        payload.extend(p);
    }
    assert_eq!(
        &payload[..prompt.len_samples()],
        prompt.encoded(Codec::Pcmu)
    );
    let sent = flood.await.unwrap();
    wait_for_event(&mut leg, Duration::from_secs(5), |e| {
        matches!(e, MediaEvent::PlaybackFinished { .. })
    })
    .await;
    let stats = leg.stats().await.unwrap();
    let c = stats.counters;
    assert!(c.malformed_dropped > 1000, "{c:?} of {sent} sent");
    assert!(c.unexpected_source_dropped > 10, "{c:?}");
    assert_eq!(
        c.rtp_received, 1,
        "only the caller's packet counts as media"
    );
}
