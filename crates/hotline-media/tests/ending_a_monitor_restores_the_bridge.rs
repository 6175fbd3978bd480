//! Over real UDP: when a monitor ends (by `Monitor::end`, by dropping its
//! handle, or by the supervisor hanging up) the call goes on as a plain
//! two-way bridge: the citizen and the agent hear each other and nothing
//! of the supervisor, who hears nothing of them.

mod common;
mod monitored_call;

use hotline_media::route::Party::{Agent, Citizen, Supervisor};
use hotline_media::MonitorMode;
use monitored_call::*;

async fn assert_plain_bridge(call: &MonitoredCall, supervisor_heard: bool) {
    call.settle().await;
    let heard = call.talk().await;
    assert_hears("citizen", &heard.citizen, &[Agent], &[Citizen, Supervisor]);
    assert_hears("agent", &heard.agent, &[Citizen], &[Agent, Supervisor]);
    if supervisor_heard {
        assert_hears(
            "supervisor",
            &heard.supervisor,
            &[],
            &[Citizen, Agent, Supervisor],
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ending_the_monitor_leaves_the_two_way_bridge() {
    let (call, bridge) = MonitoredCall::start(35_800).await;
    let monitor = call
        .engine
        .monitor(&bridge, &call.supervisor_leg, MonitorMode::Barge)
        .unwrap();
    call.settle().await;
    let heard = call.talk().await;
    assert_hears("citizen (barge)", &heard.citizen, &[Agent, Supervisor], &[]);

    monitor.end().unwrap();
    assert_plain_bridge(&call, true).await;

    // The same bridge can be monitored again afterwards.
    let again = call
        .engine
        .monitor(&bridge, &call.supervisor_leg, MonitorMode::Whisper)
        .unwrap();
    call.settle().await;
    let heard = call.talk().await;
    assert_hears("agent (whisper)", &heard.agent, &[Citizen, Supervisor], &[]);
    again.end().unwrap();
    bridge.end().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_handle_ends_the_monitor() {
    let (call, bridge) = MonitoredCall::start(36_000).await;
    let monitor = call
        .engine
        .monitor(&bridge, &call.supervisor_leg, MonitorMode::Barge)
        .unwrap();
    call.settle().await;
    drop(monitor);
    assert_plain_bridge(&call, true).await;
    bridge.end().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supervisor_hanging_up_leaves_the_call_as_it_was() {
    let (mut call, bridge) = MonitoredCall::start(36_200).await;
    let monitor = call
        .engine
        .monitor(&bridge, &call.supervisor_leg, MonitorMode::Barge)
        .unwrap();
    call.settle().await;
    call.supervisor_leg.close();
    assert_plain_bridge(&call, false).await;
    // The handle outlives the supervisor's leg harmlessly.
    monitor.set_mode(MonitorMode::Listen).unwrap();
    monitor.end().unwrap();
    assert!(
        call.citizen_leg.try_event().is_none(),
        "no event for the call's legs"
    );
    bridge.end().unwrap();
}
