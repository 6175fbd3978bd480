//! A supervisor cannot monitor a bridge with one of the bridge's own legs:
//! `MediaEngine::monitor` refuses with `SupervisorInBridge`, and the bridge
//! is left as it was.

mod common;

use common::{engine, Peer};
use hotline_media::{Codec, LegParams, MediaError, MonitorMode};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leg_of_the_bridge_cannot_supervise_it() {
    let engine = engine(36_400);
    let phone = Peer::bind().await;
    let citizen = engine.allocate_leg().unwrap();
    let agent = engine.allocate_leg().unwrap();
    for leg in [&citizen, &agent] {
        leg.start(LegParams::new(phone.addr(), Codec::Pcmu, None))
            .unwrap();
    }
    let bridge = engine.bridge(&citizen, &agent).unwrap();
    assert_eq!(
        (bridge.citizen(), bridge.agent()),
        (citizen.id(), agent.id())
    );

    for (leg, mode) in [
        (&citizen, MonitorMode::Listen),
        (&agent, MonitorMode::Barge),
    ] {
        let refused = engine.monitor(&bridge, leg, mode).unwrap_err();
        match &refused {
            MediaError::SupervisorInBridge { leg: id } => assert_eq!(*id, leg.id()),
            other => panic!("{other:?}"),
        }
        assert!(
            refused.to_string().contains("a leg of its own"),
            "{refused}"
        );
    }
    bridge.end().unwrap();
}
