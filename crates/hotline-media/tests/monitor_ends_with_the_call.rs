//! Over real UDP: a monitored call that ends (its bridge ended, or one of
//! its legs hung up) ends the monitor with it, safely: the supervisor's leg
//! gets `MonitorEnded` and hears nothing more of the call, the monitor's
//! handle can still be changed and ended (doing nothing), and no route is
//! left behind.

mod common;
mod monitored_call;

use std::time::Duration;

use common::wait_for_event;
use hotline_media::route::Party::{Agent, Citizen, Supervisor};
use hotline_media::{MediaEvent, MonitorMode};
use monitored_call::*;

const ALL: [hotline_media::route::Party; 3] = [Citizen, Agent, Supervisor];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ending_the_bridge_ends_its_monitor() {
    let (mut call, bridge) = MonitoredCall::start(36_600).await;
    let monitor = call
        .engine
        .monitor(&bridge, &call.supervisor_leg, MonitorMode::Barge)
        .unwrap();
    call.settle().await;
    bridge.end().unwrap();
    wait_for_event(&mut call.supervisor_leg, Duration::from_secs(5), |e| {
        *e == MediaEvent::MonitorEnded
    })
    .await;
    monitor.set_mode(MonitorMode::Whisper).unwrap();

    // Nobody hears anybody: the bridge and the monitor are both gone.
    call.settle().await;
    let heard = call.talk().await;
    assert_hears("citizen", &heard.citizen, &[], &ALL);
    assert_hears("agent", &heard.agent, &[], &ALL);
    assert_hears("supervisor", &heard.supervisor, &[], &ALL);
    monitor.end().unwrap();

    // The legs are free for a new bridge and a new monitor.
    let bridge = call
        .engine
        .bridge(&call.citizen_leg, &call.agent_leg)
        .unwrap();
    let monitor = call
        .engine
        .monitor(&bridge, &call.supervisor_leg, MonitorMode::Listen)
        .unwrap();
    call.settle().await;
    let heard = call.talk().await;
    assert_hears(
        "supervisor (new call)",
        &heard.supervisor,
        &[Citizen, Agent],
        &[],
    );
    assert_hears(
        "citizen (new call)",
        &heard.citizen,
        &[Agent],
        &[Supervisor],
    );
    monitor.end().unwrap();
    bridge.end().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leg_hanging_up_ends_the_monitor() {
    let (mut call, bridge) = MonitoredCall::start(36_800).await;
    let monitor = call
        .engine
        .monitor(&bridge, &call.supervisor_leg, MonitorMode::Whisper)
        .unwrap();
    call.settle().await;
    call.agent_leg.close();
    wait_for_event(&mut call.supervisor_leg, Duration::from_secs(5), |e| {
        *e == MediaEvent::MonitorEnded
    })
    .await;
    wait_for_event(&mut call.citizen_leg, Duration::from_secs(5), |e| {
        *e == MediaEvent::BridgeEnded
    })
    .await;

    call.settle().await;
    let heard = call.talk_with(&[Citizen, Supervisor]).await;
    assert_hears("citizen", &heard.citizen, &[], &ALL);
    assert_hears("supervisor", &heard.supervisor, &[], &ALL);
    monitor.end().unwrap();
    // A monitor of the bridge that is gone is refused on the shards, and
    // the supervisor's leg says so.
    let stale = call
        .engine
        .monitor(&bridge, &call.supervisor_leg, MonitorMode::Barge)
        .unwrap();
    wait_for_event(&mut call.supervisor_leg, Duration::from_secs(5), |e| {
        *e == MediaEvent::MonitorEnded
    })
    .await;
    stale.end().unwrap();
}
