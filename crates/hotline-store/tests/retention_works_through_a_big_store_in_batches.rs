//! A first run over a store with more old calls than one batch (some
//! starting in the same millisecond, across a batch boundary) forgets every
//! one of them, a dry run over it counts each once, and another run finds
//! nothing left.

mod common;

use common::retention::{job, DAY};
use common::*;
use hotline_store::{RetentionCutoffs, RetentionMode, RETENTION_BATCH};
use hotline_types::{CallEvent, CallEventRecord, CallId, HangupSide, Timestamp};

#[tokio::test]
async fn retention_works_through_a_big_store_in_batches() {
    let calls = 2 * RETENTION_BATCH + 137;
    for ts in stores().await {
        let s = &ts.store;
        let label = ts.label;
        let mut events = Vec::new();
        let mut ids = Vec::new();
        for i in 0..calls {
            let call = CallId::new();
            ids.push(call);
            // Ten calls a millisecond: batches end in the middle of a tie.
            let start = -400 * DAY + (i / 10) as i64;
            events.push(rec(
                call,
                start,
                CallEvent::CallStarted {
                    caller: format!("+86139{i:08}"),
                    called: "12345".into(),
                    sip_call_id: format!("{call}@test"),
                    node: None,
                    linked_call: None,
                },
            ));
            events.push(CallEventRecord::new(
                call,
                at(start + 1),
                CallEvent::RecordingStarted {
                    recording: format!("rec/{call}.wav"),
                },
            ));
            events.push(rec(
                call,
                start + 2,
                CallEvent::Ended {
                    side: HangupSide::Caller,
                    cause: "bye".into(),
                },
            ));
        }
        for chunk in events.chunks(3_000) {
            s.append_events(chunk).await.unwrap();
        }
        let now = at(0);
        let policy = RetentionCutoffs {
            recordings: Some(Timestamp(now.0 - 90 * DAY)),
            call_personal: Some(Timestamp(now.0 - 365 * DAY)),
            ..RetentionCutoffs::default()
        };

        let counted = s
            .apply_retention(&job(now), &policy, RetentionMode::DryRun)
            .await
            .unwrap();
        assert_eq!(counted.recordings.forgotten, calls as u64, "{label}");
        assert_eq!(counted.calls.calls, calls as u64, "{label}");

        let report = s
            .apply_retention(&job(now), &policy, RetentionMode::Apply)
            .await
            .unwrap();
        assert_eq!(report.recordings.forgotten, calls as u64, "{label}");
        let mut files: Vec<String> = ids.iter().map(|c| format!("rec/{c}.wav")).collect();
        files.sort();
        assert_eq!(report.recordings.files, files, "{label}");
        assert_eq!(report.calls.calls, calls as u64, "{label}");
        // call_started and recording_started of each.
        assert_eq!(report.calls.events, 2 * calls as u64, "{label}");
        let left = ts
            .raw_strings(
                "SELECT call_id FROM calls WHERE caller IS NOT NULL OR recording IS NOT NULL",
            )
            .await;
        assert!(left.is_empty(), "{label}: {} calls left", left.len());

        let again = s
            .apply_retention(&job(now), &policy, RetentionMode::Apply)
            .await
            .unwrap();
        assert_eq!(
            (again.recordings.forgotten, again.calls.calls),
            (0, 0),
            "{label}"
        );
        ts.finish().await;
    }
}
