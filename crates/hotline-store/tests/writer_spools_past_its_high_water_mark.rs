//! A burst faster than the database: the writer's channel passes its
//! high-water mark, the backlog goes to the spool in large appends instead
//! of filling the channel, so nothing is refused; once the burst is over
//! the spool is replayed and every event is in the database exactly once.

mod common;

use std::time::Duration;

use common::*;
use hotline_store::{EventWriter, EventWriterOptions};
use hotline_types::CallId;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writer_spools_past_its_high_water_mark() {
    for ts in stores().await {
        let spool_dir = ts.dir.as_ref().unwrap().path().join("spool");
        // Small transactions make the database the slow side on purpose.
        let options = EventWriterOptions {
            channel_capacity: 4_096,
            high_water: 1_024,
            max_batch: 16,
            retry_interval: Duration::from_millis(50),
            close_out_crashed_calls: None,
            ..EventWriterOptions::default()
        };
        let writer = EventWriter::spawn(ts.store.clone(), &spool_dir, options);
        let mut submitted = 0;
        let mut refused = 0;
        // 1,000 calls of 12 events = 12,000 events, in bursts of 1,200
        // every 20 ms: 60,000 events/s, a busy hotline's worst minute.
        for burst in 0..10 {
            for i in 0..100 {
                let call = CallId::new();
                for e in answered_call(
                    call,
                    "+8613900000009",
                    "housing",
                    i64::from(burst * 100 + i) * 1_000,
                    9_000,
                ) {
                    submitted += 1;
                    if !writer.submit(e) {
                        refused += 1;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let flushed = writer.flush().await.expect("durable");
        assert_eq!(refused, 0, "{}: nothing refused: {flushed:?}", ts.label);
        assert!(
            flushed.spooled_for_backlog > 0,
            "{}: the backlog went to the spool: {flushed:?}",
            ts.label
        );
        wait_until_spool_empty(&writer).await;
        let stats = writer.shutdown().await.expect("durable");
        assert_eq!(stats.accepted, submitted, "{}", ts.label);
        assert_eq!(
            ts.store.event_count().await.unwrap(),
            i64::try_from(submitted).unwrap(),
            "{}: every event once: {stats:?}",
            ts.label
        );
        ts.finish().await;
    }
}
