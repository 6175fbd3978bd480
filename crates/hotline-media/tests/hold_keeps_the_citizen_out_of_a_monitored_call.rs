//! Over real UDP: holding a monitored call takes the citizen out of it both
//! ways (the citizen hears the music and nothing else, nobody hears the
//! citizen), while the agent and a whispering supervisor keep hearing each
//! other; unholding brings the whispered call back.

mod common;
mod monitored_call;

use std::sync::Arc;

use common::sine;
use hotline_media::route::Party::{Agent, Citizen, Supervisor};
use hotline_media::{MonitorMode, Prompt};
use monitored_call::*;

const MUSIC_HZ: f64 = 2500.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_held_citizen_hears_only_music() {
    let (call, bridge) = MonitoredCall::start(37_000).await;
    let monitor = call
        .engine
        .monitor(&bridge, &call.supervisor_leg, MonitorMode::Whisper)
        .unwrap();
    let music = Arc::new(Prompt::from_samples(
        "music",
        &sine(MUSIC_HZ, 1000, TONE_AMPLITUDE),
    ));
    bridge.hold(&call.citizen_leg, Some(music)).unwrap();
    call.settle().await;

    let heard = call.talk().await;
    assert_hears(
        "held citizen",
        &heard.citizen,
        &[],
        &[Citizen, Agent, Supervisor],
    );
    let music_frames = heard
        .citizen
        .chunks_exact(160)
        .filter(|f| tone_amplitude(f, MUSIC_HZ) > 1500.0)
        .count();
    assert!(
        music_frames >= TALK_MS as usize / 20 / 2,
        "music in {music_frames} frames"
    );
    assert_hears("agent", &heard.agent, &[Supervisor], &[Citizen, Agent]);
    assert_hears(
        "supervisor",
        &heard.supervisor,
        &[Agent],
        &[Citizen, Supervisor],
    );
    for (who, audio) in [("agent", &heard.agent), ("supervisor", &heard.supervisor)] {
        assert!(
            audio
                .chunks_exact(160)
                .all(|f| tone_amplitude(f, MUSIC_HZ) < 1500.0),
            "the {who} heard the music"
        );
    }

    bridge.unhold(&call.citizen_leg).unwrap();
    call.settle().await;
    let heard = call.talk().await;
    assert_hears("citizen", &heard.citizen, &[Agent], &[Citizen, Supervisor]);
    assert_hears("agent", &heard.agent, &[Citizen, Supervisor], &[Agent]);
    assert_hears(
        "supervisor",
        &heard.supervisor,
        &[Citizen, Agent],
        &[Supervisor],
    );
    monitor.end().unwrap();
}
