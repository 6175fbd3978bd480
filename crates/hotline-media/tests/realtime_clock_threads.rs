//! Clock threads can run under SCHED_FIFO; where the system refuses, the
//! engine still works at normal priority and says so in its stats.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use hotline_media::{Codec, EngineConfig, LegParams, MediaEngine, MediaEvent, Prompt};

fn realtime_allowed() -> bool {
    std::process::Command::new("chrt")
        .args(["-f", "10", "true"])
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_threads_take_the_realtime_priority_asked_for() {
    let engine = MediaEngine::start_with_priority(
        EngineConfig {
            bind_ip: "127.0.0.1".parse().unwrap(),
            port_first: 32_300,
            port_last: 32_399,
            shards: 2,
        },
        Some(10),
    )
    .unwrap();
    let peer = Peer::bind().await;
    let mut leg = engine.allocate_leg().unwrap();
    leg.play(
        vec![Arc::new(Prompt::from_samples(
            "beep",
            &sine(800.0, 200, 6000.0),
        ))],
        false,
    )
    .unwrap();
    leg.start(LegParams::new(peer.addr(), Codec::Pcmu, None))
        .unwrap();
    wait_for_event(&mut leg, Duration::from_secs(5), |e| {
        matches!(e, MediaEvent::PlaybackFinished { .. })
    })
    .await;
    assert!(
        peer.recv(Duration::from_secs(2)).await.is_some(),
        "the leg plays either way"
    );
    let raised = engine.stats().realtime_clock_threads;
    if realtime_allowed() {
        assert_eq!(raised, 2);
    } else {
        assert_eq!(raised, 0);
    }
}
