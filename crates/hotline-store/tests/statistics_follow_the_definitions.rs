//! Queue and agent statistics follow ARCHITECTURE.md's definitions: IVR
//! hang-ups are not abandons, short abandons are apart, both service
//! levels, ASA, AHT, abandonment rate, max wait, buckets.

mod common;

use std::time::Duration;

use common::*;
use hotline_store::{StatsGrouping, StatsOptions};
use hotline_types::{CallEvent, CallId, HangupSide, Timestamp};

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[tokio::test]
async fn statistics_follow_the_definitions() {
    for ts in stores().await {
        let s = &ts.store;
        let mut events = Vec::new();
        for (i, wait) in [5_000u64, 15_000, 40_000].into_iter().enumerate() {
            events.extend(answered_call(
                CallId::new(),
                "+8613900001000",
                "housing",
                i as i64 * 60_000,
                wait,
            ));
        }
        for (i, wait) in [3_000u64, 10_000, 60_000].into_iter().enumerate() {
            events.extend(abandoned_call(
                CallId::new(),
                "+8613900001001",
                "housing",
                600_000 + i as i64 * 60_000,
                wait,
            ));
        }
        // Hung up in the IVR: never queued, so never an abandon.
        let ivr_only = CallId::new();
        events.push(rec(
            ivr_only,
            900_000,
            CallEvent::CallStarted {
                caller: "+8613900001002".into(),
                called: "12345".into(),
                sip_call_id: "x@test".into(),
                node: None,
                linked_call: None,
            },
        ));
        events.push(rec(
            ivr_only,
            920_000,
            CallEvent::Ended {
                side: HangupSide::Caller,
                cause: "bye".into(),
            },
        ));
        // Another queue, and one call in the second half hour.
        events.extend(answered_call(
            CallId::new(),
            "+8613900001003",
            "water",
            0,
            0,
        ));
        events.extend(answered_call(
            CallId::new(),
            "+8613900001003",
            "housing",
            2_000_000,
            25_000,
        ));
        // Outside the interval.
        events.extend(answered_call(
            CallId::new(),
            "+8613900001003",
            "housing",
            4_000_000,
            1_000,
        ));
        s.append_events(&events).await.unwrap();

        let mut options = StatsOptions::per_queue(Timestamp(T0), Timestamp(T0 + 1_800_000));
        let rows = s.statistics(&options).await.unwrap();
        assert_eq!(rows.len(), 2, "{}: {rows:?}", ts.label);
        let housing = &rows[0];
        assert_eq!(housing.key, "housing");
        assert_eq!(housing.bucket_start_ms, T0);
        assert_eq!(housing.offered, 6, "{}", ts.label);
        assert_eq!(housing.answered, 3);
        assert_eq!(housing.abandoned, 2);
        assert_eq!(housing.short_abandoned, 1);
        assert_eq!(housing.answered_within_threshold, 2);
        assert_eq!(housing.abandoned_within_threshold, 1);
        assert!(close(housing.service_level, 2.0 / 3.0), "{housing:?}");
        assert!(close(housing.service_level_strict, 3.0 / 5.0));
        assert!(close(housing.asa_ms, 20_000.0));
        // Talk 50 s + hold 10 s + wrap-up 30 s.
        assert!(close(housing.aht_ms, 90_000.0));
        assert!(close(housing.abandonment_rate, 2.0 / 6.0));
        assert_eq!(housing.max_wait_ms, Some(60_000));
        assert_eq!(rows[1].key, "water");
        assert_eq!(rows[1].offered, 1);

        // Thresholds are parameters.
        options.service_level_threshold = Duration::from_secs(60);
        options.short_abandon_threshold = Duration::from_secs(1);
        let rows = s.statistics(&options).await.unwrap();
        assert_eq!(rows[0].answered_within_threshold, 3);
        assert_eq!(rows[0].abandoned, 3);
        assert_eq!(rows[0].short_abandoned, 0);

        // Half-hour buckets over an hour.
        let buckets = s
            .statistics(&StatsOptions {
                bucket: Some(Duration::from_secs(1_800)),
                ..StatsOptions::per_queue(Timestamp(T0), Timestamp(T0 + 3_600_000))
            })
            .await
            .unwrap();
        let housing: Vec<_> = buckets.iter().filter(|r| r.key == "housing").collect();
        assert_eq!(housing.len(), 2, "{}: {buckets:?}", ts.label);
        assert_eq!(housing[1].bucket_start_ms, T0 + 1_800_000);
        assert_eq!(housing[1].offered, 1);

        // Per agent: only the calls agents took.
        let agents = s
            .statistics(&StatsOptions {
                grouping: StatsGrouping::Agent,
                ..StatsOptions::per_queue(Timestamp(T0), Timestamp(T0 + 1_800_000))
            })
            .await
            .unwrap();
        assert_eq!(agents.len(), 1);
        assert_eq!(agents[0].key, "alice");
        assert_eq!(agents[0].answered, 4);

        assert!(s
            .statistics(&StatsOptions::per_queue(Timestamp(T0), Timestamp(T0)))
            .await
            .is_err());
        ts.finish().await;
    }
}
