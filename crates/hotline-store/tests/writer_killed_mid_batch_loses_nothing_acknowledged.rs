//! The process dies (its runtime is dropped) while the writer is busy and
//! the database is unavailable. A new writer on the same spool directory
//! writes every acknowledged event exactly once and closes the calls the
//! dead process left open.

mod common;

use std::time::Duration;

use common::*;
use hotline_store::{EventWriter, EventWriterOptions};
use hotline_types::{CallEventRecord, CallId};

fn options() -> EventWriterOptions {
    EventWriterOptions {
        max_batch: 40,
        retry_interval: Duration::from_millis(100),
        ..EventWriterOptions::default()
    }
}

#[test]
fn writer_killed_mid_batch_loses_nothing_acknowledged() {
    let setup = tokio::runtime::Runtime::new().unwrap();
    let stores = setup.block_on(stores());
    for ts in stores {
        let spool_dir = ts.dir.as_ref().unwrap().path().join("spool");

        // The first life of the process.
        let first = tokio::runtime::Runtime::new().unwrap();
        let (acknowledged, open_call): (Vec<CallEventRecord>, CallId) = first.block_on(async {
            let store = ts.impatient_store(Duration::from_millis(50)).await;
            let writer = EventWriter::spawn(store, &spool_dir, options());
            let mut acknowledged = Vec::new();
            // Some events reach the database.
            for i in 0..10 {
                acknowledged.extend(answered_call(
                    CallId::new(),
                    "+8613900000004",
                    "water",
                    i,
                    5_000,
                ));
            }
            // A call that is still going when the process dies.
            let open_call = CallId::new();
            let mut open = answered_call(open_call, "+8613900000004", "water", 50_000, 5_000);
            open.truncate(7);
            acknowledged.extend(open);
            for e in &acknowledged {
                assert!(writer.submit(e.clone()));
            }
            writer.flush().await.unwrap();
            // Then the database stops taking writes; more events are
            // acknowledged from the spool.
            let lock = ts.lock_writes().await;
            let mut spooled = Vec::new();
            for i in 0..10 {
                spooled.extend(answered_call(
                    CallId::new(),
                    "+8613900000004",
                    "water",
                    100_000 + i,
                    5_000,
                ));
            }
            for e in &spooled {
                assert!(writer.submit(e.clone()));
            }
            writer.flush().await.unwrap();
            assert!(writer.stats().pending_in_spool > 0, "{}", ts.label);
            acknowledged.extend(spooled);
            // Events the process never saw acknowledged, in flight at the crash.
            for i in 0..20 {
                for e in answered_call(CallId::new(), "+8613900000004", "water", 200_000 + i, 5_000)
                {
                    writer.submit(e);
                }
            }
            tokio::task::yield_now().await;
            lock.release().await;
            (acknowledged, open_call)
        });
        // The crash: every task of the first life stops wherever it was.
        drop(first);

        // The second life.
        let second = tokio::runtime::Runtime::new().unwrap();
        second.block_on(async {
            let store = ts.reopen().await;
            let writer = EventWriter::spawn(store.clone(), &spool_dir, options());
            wait_until_spool_empty(&writer).await;
            writer.shutdown().await.unwrap();

            for e in &acknowledged {
                let stored = store.call_events(e.call_id).await.unwrap();
                let n = stored.iter().filter(|s| s.id == e.id).count();
                assert_eq!(
                    n,
                    1,
                    "{}: acknowledged event {:?} stored {n} times",
                    ts.label,
                    e.event.kind()
                );
            }
            // Nothing is applied twice: each call's record counts its
            // stored events.
            for e in &acknowledged {
                let r = store.call_record(e.call_id).await.unwrap().unwrap();
                let stored = store.call_events(e.call_id).await.unwrap();
                assert_eq!(r.event_count, stored.len() as i64, "{}", ts.label);
            }
            let open = store.call_record(open_call).await.unwrap().unwrap();
            assert_eq!(
                open.hangup_cause.as_deref(),
                Some("crashed_process"),
                "{}",
                ts.label
            );
            assert_eq!(open.hangup_side.as_deref(), Some("system"));
            store.close().await;
        });
        drop(second);
        setup.block_on(ts.finish());
    }
}
