//! Over real UDP: a supervisor moves between listening, whispering and
//! barging in on one call, and each change takes hold at once: the
//! citizen hears the supervisor only while barged in, and stops the moment
//! the supervisor steps back to a whisper.

mod common;
mod monitored_call;

use hotline_media::route::Party::{Agent, Citizen, Supervisor};
use hotline_media::MonitorMode;
use monitored_call::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_mode_change_applies_to_the_running_call() {
    let (call, bridge) = MonitoredCall::start(35_600).await;
    let monitor = call
        .engine
        .monitor(&bridge, &call.supervisor_leg, MonitorMode::Listen)
        .unwrap();
    call.settle().await;
    let heard = call.talk().await;
    assert_hears("agent (listen)", &heard.agent, &[Citizen], &[Supervisor]);
    assert_hears("citizen (listen)", &heard.citizen, &[Agent], &[Supervisor]);

    monitor.set_mode(MonitorMode::Whisper).unwrap();
    assert_eq!(monitor.mode(), MonitorMode::Whisper);
    call.settle().await;
    let heard = call.talk().await;
    assert_hears("agent (whisper)", &heard.agent, &[Citizen, Supervisor], &[]);
    assert_hears("citizen (whisper)", &heard.citizen, &[Agent], &[Supervisor]);

    monitor.set_mode(MonitorMode::Barge).unwrap();
    call.settle().await;
    let heard = call.talk().await;
    assert_hears("agent (barge)", &heard.agent, &[Citizen, Supervisor], &[]);
    assert_hears("citizen (barge)", &heard.citizen, &[Agent, Supervisor], &[]);

    // Back to a whisper: the citizen no longer hears the supervisor.
    monitor.set_mode(MonitorMode::Whisper).unwrap();
    call.settle().await;
    let heard = call.talk().await;
    assert_hears(
        "agent (whisper again)",
        &heard.agent,
        &[Citizen, Supervisor],
        &[],
    );
    assert_hears(
        "citizen (whisper again)",
        &heard.citizen,
        &[Agent],
        &[Supervisor],
    );

    // And to listening: the agent no longer hears the supervisor either.
    monitor.set_mode(MonitorMode::Listen).unwrap();
    assert_eq!(monitor.mode(), MonitorMode::Listen);
    call.settle().await;
    let heard = call.talk().await;
    assert_hears(
        "agent (listen again)",
        &heard.agent,
        &[Citizen],
        &[Supervisor],
    );
    assert_hears(
        "citizen (listen again)",
        &heard.citizen,
        &[Agent],
        &[Supervisor],
    );
    assert_hears(
        "supervisor (listen again)",
        &heard.supervisor,
        &[Citizen, Agent],
        &[],
    );
    monitor.end().unwrap();
}
