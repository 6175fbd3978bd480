//! Every call's events reach the SQLite store, even when the hotline is
//! stopped right after the calls: the record shows caller, number, answer
//! and end, and the event log holds each step exactly once.

mod support;

use std::time::Duration;

use hotline_types::CallId;
use support::{sipp, sipp_available, Hotline};

#[test]
fn call_records_are_in_the_store_after_shutdown() {
    if !sipp_available("call_records_are_in_the_store_after_shutdown") {
        return;
    }
    let hotline = Hotline::start(&[]);
    let run = sipp(
        hotline.sip,
        &[
            "-sn", "uac", "-s", "12345", "-m", "4", "-r", "20", "-d", "100",
        ],
        Duration::from_secs(20),
    );
    assert!(run.succeeded(), "{}", run.errors());
    let ended = hotline.wait_for_events("ended", 4, Duration::from_secs(5));
    let call_ids: Vec<CallId> = ended
        .iter()
        .map(|e| {
            CallId(
                e["call"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .expect("a call id"),
            )
        })
        .collect();
    // Stop at once: the writer must flush what it holds before the exit.
    let (status, data) = hotline.stop_keeping_data();
    let data_dir = data.path().to_path_buf();
    assert!(status.success());

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let key =
            std::fs::read(data_dir.join("national_id.key")).expect("the key the hotline created");
        let url = format!("sqlite://{}/hotline.db", data_dir.display());
        let store = hotline_store::Store::connect(&url, key)
            .await
            .expect("open the store");
        for call_id in call_ids {
            let record = store
                .call_record(call_id)
                .await
                .expect("query")
                .expect("a call record");
            assert_eq!(record.called.as_deref(), Some("12345"));
            assert_eq!(record.caller.as_deref(), Some("sipp"));
            assert!(
                record.answered_at_ms.is_some() && record.ended_at_ms.is_some(),
                "{record:?}"
            );
            let kinds: Vec<&str> = store
                .call_events(call_id)
                .await
                .expect("events")
                .iter()
                .map(|e| e.event.kind())
                .collect();
            assert_eq!(kinds.first(), Some(&"call_started"), "{kinds:?}");
            assert_eq!(kinds.last(), Some(&"ended"), "{kinds:?}");
            assert!(
                kinds.contains(&"answered") && kinds.contains(&"ivr_node_entered"),
                "{kinds:?}"
            );
            let mut ids: Vec<_> = store
                .call_events(call_id)
                .await
                .expect("events")
                .iter()
                .map(|e| e.id)
                .collect();
            let total = ids.len();
            ids.dedup();
            assert_eq!(ids.len(), total, "each event exactly once");
        }
    });
}
