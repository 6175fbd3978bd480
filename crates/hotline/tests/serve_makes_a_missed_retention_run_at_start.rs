//! `serve` runs retention by itself: a hotline that never ran it (or was
//! stopped at its time of day) makes the run at start, deletes the old
//! recording and keeps the new one, logs the figures and shows them in
//! `/metrics`; started again the same day, it waits for `run_at` instead
//! of running twice. Needs nothing external.

mod support;

use std::time::Duration;

use support::orders::DataDir;
use support::retention::*;
use support::Hotline;

#[test]
fn serve_makes_a_missed_retention_run_at_start() {
    let data = DataDir::new();
    let dir = recordings_dir(&data);
    let ((old, old_file), (_, new_file)) = data.with_store(async |store| {
        (
            recorded_call(store, &dir, "13800002000", 120).await,
            recorded_call(store, &dir, "13800002001", 5).await,
        )
    });

    let hotline = Hotline::start(&data.env());
    assert!(
        hotline.wait_for_log("retention run done", Duration::from_secs(20)),
        "{}",
        hotline.log()
    );
    let line = hotline
        .log()
        .lines()
        .find(|l| l.contains("retention run done"))
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON log line"))
        .expect("the run's line");
    assert_eq!(line["fields"]["recordings_deleted"], 1, "{line}");
    assert_eq!(line["fields"]["files_missing"], 0, "{line}");
    assert!(
        !old_file.exists(),
        "the recording of 120 days ago is deleted"
    );
    assert!(new_file.exists(), "the one of 5 days ago stays");
    let metrics = hotline.metrics();
    for figure in [
        "hotline_retention_runs_total{outcome=\"completed\"} 1",
        "hotline_retention_recordings_deleted_total 1",
        "hotline_retention_last_run_timestamp_seconds ",
    ] {
        assert!(metrics.contains(figure), "{figure} in:\n{metrics}");
    }
    let (status, _) = hotline.stop_keeping_data();
    assert!(status.success(), "{status:?}");
    let retention_json = std::path::Path::new(data.env()[1].1).join("retention.json");
    assert!(retention_json.exists(), "the run is recorded");

    // The same day again: the next run is at run_at, not now.
    let hotline = Hotline::start(&data.env());
    assert!(
        hotline.wait_for_log("retention: the daily job", Duration::from_secs(5)),
        "{}",
        hotline.log()
    );
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        !hotline.log().contains("retention run done"),
        "{}",
        hotline.log()
    );
    assert!(
        hotline
            .metrics()
            .contains("hotline_retention_runs_total{outcome=\"completed\"} 0"),
        "{}",
        hotline.metrics()
    );
    let (status, _) = hotline.stop_keeping_data();
    assert!(status.success(), "{status:?}");

    data.with_store(async |store| {
        let record = store.call_record(old).await.unwrap().unwrap();
        assert_eq!(record.recording, None, "the store forgot it too");
    });
}
