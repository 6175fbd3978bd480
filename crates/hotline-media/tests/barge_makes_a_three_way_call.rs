//! Over real UDP: a supervisor who barges in makes a three-way call: each
//! party hears the other two mixed, and nobody hears themselves.

mod common;
mod monitored_call;

use hotline_media::route::Party::{Agent, Citizen, Supervisor};
use hotline_media::MonitorMode;
use monitored_call::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everyone_hears_the_other_two() {
    let (call, bridge) = MonitoredCall::start(35_400).await;
    let monitor = call
        .engine
        .monitor(&bridge, &call.supervisor_leg, MonitorMode::Barge)
        .unwrap();
    call.settle().await;

    let heard = call.talk().await;
    assert_hears("citizen", &heard.citizen, &[Agent, Supervisor], &[Citizen]);
    assert_hears("agent", &heard.agent, &[Citizen, Supervisor], &[Agent]);
    assert_hears(
        "supervisor",
        &heard.supervisor,
        &[Citizen, Agent],
        &[Supervisor],
    );

    // One talker alone comes through to both others, and not back.
    let heard = call.talk_with(&[Supervisor]).await;
    assert_hears("citizen", &heard.citizen, &[Supervisor], &[Citizen, Agent]);
    assert_hears("agent", &heard.agent, &[Supervisor], &[Citizen, Agent]);
    assert_hears(
        "supervisor",
        &heard.supervisor,
        &[],
        &[Citizen, Agent, Supervisor],
    );
    monitor.end().unwrap();
}
