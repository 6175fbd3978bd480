//! Closing a leg reports its unfinished playback as stopped, ends its event
//! stream, and gives its port pair back to the pool for the next call.

use std::sync::Arc;
use std::time::Duration;

use hotline_media::{
    Codec, EngineConfig, LegParams, MediaEngine, MediaError, MediaEvent, PlaybackOutcome, Prompt,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ports_come_back_and_events_end() {
    // Room for exactly two legs.
    let engine = MediaEngine::start(EngineConfig {
        bind_ip: "127.0.0.1".parse().unwrap(),
        port_first: 32_200,
        port_last: 32_203,
        shards: 1,
    })
    .unwrap();
    let mut first = engine.allocate_leg().unwrap();
    let second = engine.allocate_leg().unwrap();
    assert_ne!(first.local_addr(), second.local_addr());
    assert!(matches!(
        engine.allocate_leg(),
        Err(MediaError::NoFreePort { .. })
    ));

    let sink = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    first
        .start(LegParams::new(
            sink.local_addr().unwrap(),
            Codec::Pcmu,
            None,
        ))
        .unwrap();
    let long = Arc::new(Prompt::from_samples("long", &vec![0i16; 80_000]));
    let id = first.play(vec![long], false).unwrap();
    first.close();
    assert!(matches!(
        first.play(vec![], false),
        Err(MediaError::LegClosed)
    ));
    let mut events = Vec::new();
    while let Ok(Some(e)) = tokio::time::timeout(Duration::from_secs(5), first.next_event()).await {
        events.push(e);
    }
    assert_eq!(
        events,
        vec![MediaEvent::PlaybackFinished {
            id,
            outcome: PlaybackOutcome::Stopped
        }],
        "then the stream ends"
    );

    // The port pair is free again once the clock thread has closed the sockets.
    let mut third = None;
    for _ in 0..100 {
        match engine.allocate_leg() {
            Ok(leg) => {
                third = Some(leg);
                break;
            }
            Err(MediaError::NoFreePort { .. }) => {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            Err(e) => panic!("{e}"),
        }
    }
    let third = third.expect("the closed leg's ports were reused");
    assert_eq!(third.local_addr(), first.local_addr());
    drop(second);
}

#[test]
fn a_bad_port_range_is_refused() {
    for (first, last) in [
        (0, 10),
        (20_001, 20_001),
        (20_000, 20_000),
        (65_530, 65_535),
    ] {
        let err = MediaEngine::start(EngineConfig {
            bind_ip: "127.0.0.1".parse().unwrap(),
            port_first: first,
            port_last: last,
            shards: 1,
        })
        .unwrap_err();
        assert!(
            matches!(err, MediaError::BadPortRange { .. }),
            "{first}..{last}: {err}"
        );
    }
}
