//! Over real UDP: a supervisor who whispers is heard by the agent (mixed
//! with the citizen) and never by the citizen, not even in the citizen's
//! call recording; the supervisor hears both.

mod common;
mod monitored_call;

use std::time::Duration;

use common::{temp_dir, wait_for_event};
use hotline_media::route::Party::{Agent, Citizen, Supervisor};
use hotline_media::{MediaEvent, MonitorMode, RecordMode, RecordOptions};
use monitored_call::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_hears_the_whisper_and_the_citizen_never_does() {
    let dir = temp_dir("whisper");
    let (mut call, bridge) = MonitoredCall::start(35_200).await;
    let monitor = call
        .engine
        .monitor(&bridge, &call.supervisor_leg, MonitorMode::Whisper)
        .unwrap();
    call.citizen_leg
        .record(RecordOptions {
            path: dir.join("call.wav"),
            mode: RecordMode::Stereo,
            max_duration: None,
            stop_keys: String::new(),
            stop_after_silence: None,
        })
        .unwrap();
    call.settle().await;

    let heard = call.talk().await;
    assert_hears("agent", &heard.agent, &[Citizen, Supervisor], &[Agent]);
    assert_hears("citizen", &heard.citizen, &[Agent], &[Citizen, Supervisor]);
    assert_hears(
        "supervisor",
        &heard.supervisor,
        &[Citizen, Agent],
        &[Supervisor],
    );

    // The recording: the citizen on the left, what the citizen heard on the right.
    call.citizen_leg.stop_recording().unwrap();
    let events = wait_for_event(&mut call.citizen_leg, Duration::from_secs(10), |e| {
        matches!(
            e,
            MediaEvent::RecordingFinished { .. } | MediaEvent::RecordingFailed { .. }
        )
    })
    .await;
    let Some(MediaEvent::RecordingFinished { path, .. }) = events.last() else {
        panic!("{events:?}");
    };
    let samples: Vec<i16> = hound::WavReader::open(path)
        .unwrap()
        .samples::<i16>()
        .map(Result::unwrap)
        .collect();
    let left: Vec<i16> = samples.iter().step_by(2).copied().collect();
    let right: Vec<i16> = samples.iter().skip(1).step_by(2).copied().collect();
    assert_hears(
        "the recording's citizen side",
        &left,
        &[Citizen],
        &[Agent, Supervisor],
    );
    assert_hears(
        "the recording's heard side",
        &right,
        &[Agent],
        &[Citizen, Supervisor],
    );
    monitor.end().unwrap();
    std::fs::remove_dir_all(dir).ok();
}
