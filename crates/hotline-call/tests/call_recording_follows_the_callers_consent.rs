//! The recording notice in the IVR, honoured by the call: a caller who
//! presses the decline key is never recorded talking to the agent (with
//! `record_calls` on), and the choice is a `consent_recorded` event and a
//! variable on the agent's screen-pop. Silence after the notice, or any
//! other key, is agreement: the conversation is recorded. A voice message
//! the caller chooses to leave after declining is still recorded: leaving
//! one is their own act.

mod support;

use std::time::Duration;

use hotline_call::call::{Input, WaitingCall};
use hotline_call::call::{LegRef, MediaInput, MediaOp, Order, Output, PlayTag, ToAcd};
use hotline_media::RecordMode;
use hotline_types::CallEvent;
use support::calls::*;

/// The notice first, then 1: the housing queue, 2: a voice message.
const SCRIPT: &str = r#"
[script]
name = "consent_path"
start = "recording_notice"
languages = ["zh", "en"]
default_language = "zh"

[[consent]]
id = "recording_notice"
purpose = "recording"
prompts = ["recording_notice"]
decline_key = "9"
timeout_ms = 3000
next = "subject"

[[menu]]
id = "subject"
prompts = ["report_menu"]
keys = { "1" = "queue_housing", "2" = "leave_message" }
timeout_ms = 8000
invalid_prompt = "invalid_choice"
timeout_prompt = "no_input"
after_retries = "goodbye"

[[queue]]
id = "queue_housing"
queue = "housing"
overflow = "goodbye"

[[voicemail]]
id = "leave_message"
prompts = ["leave_message"]
next = "goodbye"

[[hangup]]
id = "goodbye"
"#;

fn recording_config() -> hotline_call::call::Config {
    hotline_call::call::Config {
        record_calls: Some(RecordMode::Stereo),
        ..config()
    }
}

/// The tag and barge-in of the playback of `prompt` a step started.
fn playback_of(out: &[Output], prompt: &str) -> Option<(PlayTag, bool)> {
    media_ops(out, LegRef::Caller)
        .into_iter()
        .find_map(|op| match op {
            MediaOp::Play {
                tag,
                files,
                barge_in,
            } if files.iter().any(|f| f.ends_with(format!("{prompt}.wav"))) => {
                Some((tag, barge_in))
            }
            _ => None,
        })
}

/// The recordings a step started on the citizen's leg: (file, mode).
fn recordings(out: &[Output]) -> Vec<(String, RecordMode)> {
    media_ops(out, LegRef::Caller)
        .into_iter()
        .filter_map(|op| match op {
            MediaOp::Record { options, .. } => {
                Some((options.path.display().to_string(), options.mode))
            }
            _ => None,
        })
        .collect()
}

fn consents(out: &[Output]) -> Vec<(String, bool, String)> {
    call_events(out)
        .into_iter()
        .filter_map(|e| match e {
            CallEvent::ConsentRecorded {
                purpose,
                granted,
                channel,
            } => Some((purpose, granted, channel)),
            _ => None,
        })
        .collect()
}

fn key(sim: &mut CallSim, k: char) -> Vec<Output> {
    sim.step(Input::Media(LegRef::Caller, MediaInput::Dtmf(k)))
}

/// Queued for housing (key 1), alice's phone rings, answers and the ACD
/// connects her: what the connection asked for.
fn talk_to_alice(sim: &mut CallSim) -> (WaitingCall, Vec<Output>) {
    let out = key(sim, '1');
    let info = acd(&out)
        .into_iter()
        .find_map(|a| match a {
            ToAcd::Enqueue { info, .. } => Some(info),
            _ => None,
        })
        .unwrap_or_else(|| panic!("key 1 queues the caller: {out:?}"));
    sim.ring("alice", 6001);
    sim.phone_answers("alice");
    let out = sim.order(Order::Connect {
        agent: agent("alice"),
    });
    assert!(
        out.iter().any(|o| matches!(o, Output::Bridge(_))),
        "connected: {out:?}"
    );
    (info, out)
}

#[test]
fn a_caller_who_presses_9_is_not_recorded() {
    let (mut sim, out) = CallSim::answered_on(SCRIPT, recording_config());
    let (_, barge_in) = playback_of(&out, "recording_notice").expect("the notice plays");
    assert!(
        !barge_in,
        "no key cuts the notice short in the media engine"
    );

    // The caller objects while the notice still plays.
    let out = key(&mut sim, '9');
    assert!(
        media_ops(&out, LegRef::Caller)
            .iter()
            .any(|op| matches!(op, MediaOp::StopPlayback)),
        "the notice stops: {out:?}"
    );
    assert_eq!(
        consents(&out),
        [("recording".into(), false, "phone_ivr".into())]
    );
    assert!(playback_of(&out, "report_menu").is_some(), "{out:?}");

    let (info, out) = talk_to_alice(&mut sim);
    assert!(
        info.ivr_vars
            .contains(&("consent_recording".into(), "declined".into())),
        "the agent's screen-pop shows the choice: {:?}",
        info.ivr_vars
    );
    assert_eq!(recordings(&out), [], "no conversation recording: {out:?}");
    assert!(!events(&out).contains(&"recording_started"));

    // Nor when she puts the citizen on hold and back, or later.
    sim.call.hold(true).expect("hold");
    sim.call.hold(false).expect("resume");
    let out = sim.advance(Duration::from_secs(60));
    assert_eq!(recordings(&out), []);
}

#[test]
fn silence_after_the_notice_agrees_and_the_conversation_is_recorded() {
    let (mut sim, out) = CallSim::answered_on(SCRIPT, recording_config());
    let (notice, _) = playback_of(&out, "recording_notice").expect("the notice plays");
    // Another key is no answer: the notice goes on, nothing is decided.
    let out = key(&mut sim, '1');
    assert!(
        !media_ops(&out, LegRef::Caller)
            .iter()
            .any(|op| matches!(op, MediaOp::StopPlayback)),
        "{out:?}"
    );
    assert_eq!(consents(&out), []);
    let out = sim.step(Input::Media(
        LegRef::Caller,
        MediaInput::PlaybackFinished(notice),
    ));
    assert_eq!(consents(&out), [], "the caller still has time to object");
    let out = sim.advance(Duration::from_millis(2_900));
    assert_eq!(consents(&out), []);
    let out = sim.advance(Duration::from_millis(200));
    assert_eq!(
        consents(&out),
        [("recording".into(), true, "phone_ivr".into())]
    );
    // The key pressed during the notice did not count for the menu either.
    assert!(playback_of(&out, "report_menu").is_some(), "{out:?}");

    let (info, out) = talk_to_alice(&mut sim);
    assert!(info
        .ivr_vars
        .contains(&("consent_recording".into(), "granted".into())));
    let recorded = recordings(&out);
    assert_eq!(recorded.len(), 1, "{out:?}");
    assert!(recorded[0].0.ends_with("-conversation.wav"), "{recorded:?}");
    assert_eq!(recorded[0].1, RecordMode::Stereo);
}

#[test]
fn a_voice_message_is_kept_after_declining() {
    let (mut sim, _) = CallSim::answered_on(SCRIPT, recording_config());
    let out = key(&mut sim, '9');
    assert_eq!(consents(&out).len(), 1);
    let out = key(&mut sim, '2');
    let (prompt, _) = playback_of(&out, "leave_message").expect("the message prompt");
    let out = sim.step(Input::Media(
        LegRef::Caller,
        MediaInput::PlaybackFinished(prompt),
    ));
    let recorded = recordings(&out);
    assert_eq!(recorded.len(), 1, "the caller's own message: {out:?}");
    assert_eq!(recorded[0].1, RecordMode::CallerOnly);
    assert!(!recorded[0].0.ends_with("-conversation.wav"));
}
