//! Seeding fills an empty store with citizens, calls with daily peaks and
//! cases whose references parse; screen-pop and statistics work on it.

mod common;

use common::*;
use hotline_store::{seed, SeedOptions, StatsOptions};
use hotline_types::{CallId, Timestamp};

#[tokio::test]
async fn seed_generates_a_consistent_store() {
    for ts in stores().await {
        let mut options = SeedOptions::new(500, 5_000, 7, Timestamp(T0));
        options.days = 14;
        let report = seed(&ts.store, &options).await.unwrap();
        assert_eq!(report.citizens, 500, "{}", ts.label);
        assert_eq!(report.calls, 5_000);
        assert!(report.cases > 0);

        let hours: Vec<i64> = ts
            .raw_strings("SELECT CAST(started_at_ms AS TEXT) FROM calls")
            .await
            .into_iter()
            .flatten()
            .map(|s| s.parse::<i64>().unwrap() % 86_400_000 / 3_600_000)
            .collect();
        assert_eq!(hours.len(), 5_000);
        let at_ten = hours.iter().filter(|h| **h == 10).count();
        let at_three = hours.iter().filter(|h| **h == 3).count();
        assert!(
            at_ten > 10 * at_three,
            "{}: a daily peak: {at_ten} vs {at_three}",
            ts.label
        );

        // The most frequent caller has a screen-pop with 20 calls.
        let found = ts
            .store
            .citizen_by_phone(
                &agent_on_call(CallId::new(), 0),
                &hotline_store::seed_phone(1),
            )
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "{}", ts.label);
        assert_eq!(found[0].recent_calls.len(), 20);

        let stats = ts
            .store
            .statistics(&StatsOptions::per_queue(
                Timestamp(T0 - 14 * 86_400_000),
                Timestamp(T0),
            ))
            .await
            .unwrap();
        let offered: i64 = stats.iter().map(|r| r.offered).sum();
        assert!(
            offered > 3_000 && offered < 4_200,
            "{}: {offered}",
            ts.label
        );

        // Case references parse and new ones continue the day's sequence.
        let refs = ts.raw_strings("SELECT case_ref FROM cases").await;
        assert!(refs
            .iter()
            .flatten()
            .all(|r| hotline_types::CaseRef::parse(r).is_ok()));
        // A second seed is refused.
        assert!(seed(&ts.store, &options).await.is_err());
        ts.finish().await;
    }
}
