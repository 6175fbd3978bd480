//! The database stops taking writes in the middle of a stream of events;
//! the writer keeps accepting, spools to disk, and once the database is
//! back every event is stored exactly once and every call record is right.

mod common;

use std::time::Duration;

use common::*;
use hotline_store::{EventWriter, EventWriterOptions};
use hotline_types::CallId;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writer_spools_while_the_database_is_down() {
    for ts in stores().await {
        let store = ts.impatient_store(Duration::from_millis(100)).await;
        let spool_dir = ts.dir.as_ref().unwrap().path().join("spool");
        let options = EventWriterOptions {
            max_batch: 50,
            retry_interval: Duration::from_millis(100),
            close_out_crashed_calls: None,
            ..EventWriterOptions::default()
        };
        let writer = EventWriter::spawn(store.clone(), &spool_dir, options);
        let mut calls = Vec::new();
        let mut submit_calls = |n: usize, start_ms: i64| {
            for i in 0..n {
                let call = CallId::new();
                calls.push(call);
                for e in answered_call(
                    call,
                    "+8613900000003",
                    "housing",
                    start_ms + i as i64,
                    12_000,
                ) {
                    assert!(writer.submit(e), "submit never refuses below capacity");
                }
            }
        };

        submit_calls(20, 0);
        writer.flush().await.unwrap();
        assert_eq!(writer.stats().pending_in_spool, 0, "{}", ts.label);

        let lock = ts.lock_writes().await;
        submit_calls(20, 100_000);
        writer.flush().await.unwrap();
        submit_calls(20, 200_000);
        writer.flush().await.unwrap();
        let stats = writer.stats();
        assert!(stats.pending_in_spool >= 240, "{}: {stats:?}", ts.label);
        assert!(spool_dir.join(hotline_store::SPOOL_FILE_NAME).exists());

        lock.release().await;
        submit_calls(20, 300_000);
        wait_until_spool_empty(&writer).await;
        let stats = writer.shutdown().await.unwrap();
        assert_eq!(stats.accepted, 80 * 12, "{}", ts.label);
        assert_eq!(stats.refused, 0);
        assert!(!spool_dir.join(hotline_store::SPOOL_FILE_NAME).exists());

        assert_eq!(
            ts.store.event_count().await.unwrap(),
            80 * 12,
            "{}",
            ts.label
        );
        for call in &calls {
            let r = ts.store.call_record(*call).await.unwrap().expect("record");
            assert_eq!(r.event_count, 12, "{}: each event applied once", ts.label);
            assert_eq!(r.talk_ms, Some(50_000));
            assert_eq!(r.hold_ms, 10_000);
        }
        store.close().await;
        ts.finish().await;
    }
}
