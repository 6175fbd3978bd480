//! Calls put into a hotline's data folder at simulated dates, days before
//! now, each with its recording or voice message on disk, for the
//! retention scenarios.

use std::path::PathBuf;
use std::time::SystemTime;

use hotline_store::Store;
use hotline_types::{CallEvent, CallEventRecord, CallId, HangupSide, Timestamp};

use super::orders::DataDir;

pub const DAY_MS: i64 = 86_400_000;

pub fn now() -> Timestamp {
    Timestamp::from_system_time(SystemTime::now())
}

/// `<data_dir>/recordings`, made.
pub fn recordings_dir(data: &DataDir) -> PathBuf {
    let dir = PathBuf::from(data.env()[1].1).join("recordings");
    std::fs::create_dir_all(&dir).expect("recordings folder");
    dir
}

/// A call from `caller` answered by an agent `days_ago`, its conversation
/// recorded to a file in the recordings folder (written now).
pub async fn recorded_call(
    store: &Store,
    dir: &std::path::Path,
    caller: &str,
    days_ago: i64,
) -> (CallId, PathBuf) {
    let call = CallId::new();
    let file = dir.join(format!("{call}.wav"));
    std::fs::write(&file, b"RIFF....WAVE").expect("a recording");
    let start = now().0 - days_ago * DAY_MS;
    let event =
        |offset_ms: i64, event| CallEventRecord::new(call, Timestamp(start + offset_ms), event);
    let events = [
        event(
            0,
            CallEvent::CallStarted {
                caller: caller.into(),
                called: "12345".into(),
                sip_call_id: format!("{call}@citizen"),
                node: None,
                linked_call: None,
            },
        ),
        event(500, CallEvent::Answered),
        event(
            30_000,
            CallEvent::RecordingStarted {
                recording: file.display().to_string(),
            },
        ),
        event(
            90_000,
            CallEvent::Ended {
                side: HangupSide::Caller,
                cause: "bye".into(),
            },
        ),
    ];
    store
        .append_events(&events)
        .await
        .expect("the call's events");
    (call, file)
}

/// A voice message left `days_ago`, without a work order, on disk.
pub async fn voice_message(
    store: &Store,
    dir: &std::path::Path,
    days_ago: i64,
) -> (CallId, PathBuf) {
    let call = CallId::new();
    let file = dir.join(format!("{call}-message.wav"));
    std::fs::write(&file, b"RIFF....WAVE").expect("a voice message");
    let start = now().0 - days_ago * DAY_MS;
    let event =
        |offset_ms: i64, event| CallEventRecord::new(call, Timestamp(start + offset_ms), event);
    let events = [
        event(
            0,
            CallEvent::CallStarted {
                caller: "13900001111".into(),
                called: "12345".into(),
                sip_call_id: format!("{call}@citizen"),
                node: None,
                linked_call: None,
            },
        ),
        event(
            40_000,
            CallEvent::VoicemailRecorded {
                recording: file.display().to_string(),
                duration_ms: 30_000,
                case_ref: None,
            },
        ),
        event(
            41_000,
            CallEvent::Ended {
                side: HangupSide::Caller,
                cause: "bye".into(),
            },
        ),
    ];
    store
        .append_events(&events)
        .await
        .expect("the call's events");
    (call, file)
}
