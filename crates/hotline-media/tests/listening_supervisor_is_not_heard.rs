//! Over real UDP: a supervisor who listens to a bridged call hears both the
//! citizen and the agent, mixed; neither of them hears the supervisor, and
//! the citizen and the agent still hear each other.

mod common;
mod monitored_call;

use hotline_media::route::Party::{Agent, Citizen, Supervisor};
use hotline_media::MonitorMode;
use monitored_call::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supervisor_hears_both_and_is_heard_by_nobody() {
    let (call, bridge) = MonitoredCall::start(35_000).await;
    let monitor = call
        .engine
        .monitor(&bridge, &call.supervisor_leg, MonitorMode::Listen)
        .unwrap();
    assert_eq!(monitor.mode(), MonitorMode::Listen);
    call.settle().await;

    let heard = call.talk().await;
    assert_hears(
        "supervisor",
        &heard.supervisor,
        &[Citizen, Agent],
        &[Supervisor],
    );
    assert_hears("citizen", &heard.citizen, &[Agent], &[Citizen, Supervisor]);
    assert_hears("agent", &heard.agent, &[Citizen], &[Agent, Supervisor]);
    monitor.end().unwrap();
}
