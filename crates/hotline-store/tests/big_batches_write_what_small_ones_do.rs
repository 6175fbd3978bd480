//! A batch as big as the writer's (thousands of events, duplicates inside
//! it, part of it already stored) leaves the same call records, queue
//! segments and statistics as the same events written a few at a time,
//! in one transaction or split by call into several at once (what the
//! writer does on PostgreSQL). PostgreSQL writes a batch column by column
//! (one array per column), SQLite row by row in short statements; a column
//! bound in the wrong place, a row lost past a statement's width, or a
//! slot updated by two transactions from a stale read shows up here.

mod common;
mod golden_day;

use common::*;
use golden_day::*;
use hotline_store::{
    Bucket, EventWriter, EventWriterOptions, IvrGrouping, QueueGrouping, ReportQuery, Store,
};
use hotline_types::{CallEvent, CallEventRecord, CallId, Timestamp};

/// Copies of the golden day's calls.
const COPIES: i64 = 24;

/// The golden day's calls `COPIES` times, each copy under new call and
/// event ids and 7 minutes later than the one before (so copies share
/// 15-minute slots), with media-quality reports on every other copy.
/// Sorted by time, as the writer's batches come.
fn many_calls() -> (Vec<CallId>, Vec<CallEventRecord>) {
    let golden = golden_day();
    let mut ids = Vec::new();
    let mut events = Vec::new();
    for copy in 0..COPIES {
        let shift = copy * 7 * 60_000;
        for original in golden.calls.values() {
            let call = CallId::new();
            ids.push(call);
            let mine: Vec<&CallEventRecord> = golden
                .events
                .iter()
                .filter(|e| e.call_id == *original)
                .collect();
            for e in &mine {
                events.push(CallEventRecord::new(
                    call,
                    Timestamp(e.at.as_millis() + shift),
                    e.event.clone(),
                ));
            }
            if copy % 2 == 1 {
                let last = mine.iter().map(|e| e.at.as_millis()).max().unwrap_or(D0);
                events.push(CallEventRecord::new(
                    call,
                    Timestamp(last + shift),
                    CallEvent::MediaQuality {
                        leg: "caller".into(),
                        packets_lost: copy as u64,
                        jitter_ms: 1.5 + copy as f64 / 8.0,
                    },
                ));
            }
        }
    }
    events.sort_by_key(|e| e.at);
    (ids, events)
}

/// Everything stored about the calls, and the day's reports.
async fn contents(s: &Store, calls: &[CallId]) -> String {
    let mut out = String::new();
    for call in calls {
        let record = s.call_record(*call).await.unwrap();
        let segments = s.queue_segments(*call).await.unwrap();
        out.push_str(&format!("{record:?}\n{segments:?}\n"));
    }
    let q = ReportQuery::new(
        Timestamp(D0),
        Timestamp(D0 + 48 * HOUR),
        Bucket::Minutes15,
        SHANGHAI,
    );
    out.push_str(&format!(
        "{:?}\n{:?}\n{:?}\n",
        s.queue_report(&q, &QueueGrouping::Queue).await.unwrap(),
        s.agent_report(&q).await.unwrap(),
        s.ivr_report(&q, &IvrGrouping::FullPath).await.unwrap(),
    ));
    out
}

/// What the events written five at a time leave.
async fn written_in_small_batches(calls: &[CallId], events: &[CallEventRecord]) -> String {
    let small = sqlite_store().await;
    for batch in events.chunks(5) {
        let outcome = small.store.append_events(batch).await.unwrap();
        assert_eq!(outcome.inserted, batch.len());
    }
    let expected = contents(&small.store, calls).await;
    assert!(expected.contains("housing") && expected.contains("jitter"));
    small.finish().await;
    expected
}

#[tokio::test]
async fn big_batches_write_what_small_ones_do() {
    let (calls, events) = many_calls();
    assert!(events.len() > 2_000, "{} events", events.len());
    let expected = written_in_small_batches(&calls, &events).await;

    for ts in stores().await {
        let s = &ts.store;
        // The first third is stored already (a replay after a timeout).
        let third = events.len() / 3;
        let first = s.append_events(&events[..third]).await.unwrap();
        assert_eq!(first.inserted, third, "{}", ts.label);

        // Everything in one batch, with some events twice inside it.
        let mut batch = events.clone();
        batch.extend_from_slice(&events[third..third + 300]);
        batch.extend_from_slice(&events[..10]);
        let outcome = s.append_events(&batch).await.unwrap();
        assert_eq!(outcome.inserted, events.len() - third, "{}", ts.label);
        assert_eq!(
            outcome.duplicates,
            batch.len() - outcome.inserted,
            "{}",
            ts.label
        );
        assert_eq!(s.event_count().await.unwrap(), events.len() as i64);
        assert!(
            contents(s, &calls).await == expected,
            "{}: one big batch stored something else than small ones",
            ts.label
        );

        // And the whole batch again changes nothing.
        let again = s.append_events(&batch).await.unwrap();
        assert_eq!(again.inserted, 0, "{}", ts.label);
        assert_eq!(again.duplicates, batch.len());
        assert!(contents(s, &calls).await == expected, "{}", ts.label);
        ts.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_split_between_transactions_write_what_small_ones_do() {
    let (calls, events) = many_calls();
    let expected = written_in_small_batches(&calls, &events).await;
    for ts in stores().await {
        let s = &ts.store;
        // Split by hand, duplicates inside and a third stored already.
        let third = events.len() / 3;
        s.append_events_split(&events[..third], 3).await.unwrap();
        let mut batch = events.clone();
        batch.extend_from_slice(&events[third..third + 300]);
        let outcome = s.append_events_split(&batch, 3).await.unwrap();
        assert_eq!(outcome.inserted, events.len() - third, "{}", ts.label);
        assert_eq!(outcome.duplicates, batch.len() - outcome.inserted);
        assert!(
            contents(s, &calls).await == expected,
            "{}: split transactions stored something else than small ones",
            ts.label
        );
        let label = ts.label;
        ts.finish().await;

        // Through the writer, with its batches split in four.
        let ts = match label {
            "postgres" => pg_store(&pg_url().unwrap()).await,
            _ => sqlite_store().await,
        };
        let spool = ts.dir.as_ref().unwrap().path().join("spool");
        let writer = EventWriter::spawn(
            ts.store.clone(),
            &spool,
            EventWriterOptions {
                max_batch: 1_500,
                transactions_per_batch: 4,
                close_out_crashed_calls: None,
                ..EventWriterOptions::default()
            },
        );
        for e in events.iter().chain(&events[..100]) {
            assert!(writer.submit(e.clone()));
        }
        let stats = writer.shutdown().await.unwrap();
        assert_eq!(stats.written, events.len() as u64, "{}", ts.label);
        assert_eq!(stats.duplicates, 100, "{}", ts.label);
        assert!(
            contents(&ts.store, &calls).await == expected,
            "{}: the writer stored something else than small batches",
            ts.label
        );
        ts.finish().await;
    }
}
