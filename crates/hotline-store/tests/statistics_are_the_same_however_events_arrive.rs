//! The golden day's statistics are the same whether its events arrive in
//! one batch or in many small ones interleaved across calls, with batches
//! replayed (the writer retrying after a failure), and after rebuilding
//! every statistics table from the event log.

mod common;
mod golden_day;

use common::*;
use golden_day::*;
use hotline_store::{
    Bucket, IvrGrouping, QueueGrouping, ReportQuery, StatsGrouping, StatsOptions, Store,
};
use hotline_types::Timestamp;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Everything the reports say about the day, in 15-minute buckets.
async fn figures(s: &Store) -> String {
    let q = ReportQuery::new(
        Timestamp(D0),
        Timestamp(D0 + 24 * HOUR),
        Bucket::Minutes15,
        SHANGHAI,
    );
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}",
        s.queue_report(&q, &QueueGrouping::Queue).await.unwrap(),
        s.agent_report(&q).await.unwrap(),
        s.ivr_report(&q, &IvrGrouping::FullPath).await.unwrap(),
        s.statistics(&StatsOptions {
            bucket: Some(std::time::Duration::from_secs(900)),
            grouping: StatsGrouping::Queue,
            ..StatsOptions::per_queue(Timestamp(D0), Timestamp(D0 + 24 * HOUR))
        })
        .await
        .unwrap(),
    )
}

#[tokio::test]
async fn statistics_are_the_same_however_events_arrive() {
    let golden = golden_day();
    let mut by_time = golden.events.clone();
    // The writer's batches mix calls in time order (stable: a call's
    // events of the same millisecond keep their order).
    by_time.sort_by_key(|e| e.at);
    for ts in stores().await {
        let one_batch = sqlite_store().await;
        one_batch.store.append_events(&golden.events).await.unwrap();
        let expected = figures(&one_batch.store).await;
        assert!(expected.contains("housing"));

        let s = &ts.store;
        let mut rng = StdRng::seed_from_u64(7);
        let mut rest = by_time.as_slice();
        let mut replayed = 0;
        while !rest.is_empty() {
            let n = rng.gen_range(1..=6).min(rest.len());
            let (batch, tail) = rest.split_at(n);
            let outcome = s.append_events(batch).await.unwrap();
            assert_eq!(outcome.inserted, n);
            if rng.gen_bool(0.3) {
                let again = s.append_events(batch).await.unwrap();
                assert_eq!(again.duplicates, n);
                replayed += 1;
            }
            rest = tail;
        }
        assert!(replayed > 0);
        assert_eq!(figures(s).await, expected, "{}: in small batches", ts.label);

        let report = s.rebuild_statistics().await.unwrap();
        assert_eq!(report.events, golden.events.len() as u64);
        assert_eq!(report.calls, golden.calls.len() as u64);
        // C1-C5, C7, C8, C17 once; C6 and C14 twice.
        assert_eq!(report.segments, 12);
        assert_eq!(report.unreadable_events, 0);
        assert_eq!(figures(s).await, expected, "{}: rebuilt", ts.label);
        one_batch.finish().await;
        ts.finish().await;
    }
}
