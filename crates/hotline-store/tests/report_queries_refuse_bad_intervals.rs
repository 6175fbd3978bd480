//! Report queries with an interval the slots cannot answer exactly, a time
//! zone offset that is not a whole quarter hour, or negative thresholds
//! are refused with a message that says what to use.

mod common;

use common::*;
use hotline_store::{Bucket, QueueGrouping, ReportQuery, Thresholds};
use hotline_types::Timestamp;

#[tokio::test]
async fn report_queries_refuse_bad_intervals() {
    for ts in stores().await {
        let s = &ts.store;
        let day = ReportQuery::new(Timestamp(T0), Timestamp(T0 + 86_400_000), Bucket::Hour, 480);
        assert!(s.queue_report(&day, &QueueGrouping::Queue).await.is_ok());

        let off_quarter = ReportQuery {
            from: Timestamp(T0 + 60_000),
            ..day.clone()
        };
        let err = s
            .queue_report(&off_quarter, &QueueGrouping::Queue)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("quarter hour"), "{err}");
        // Occupancy reads the state history itself: any minute will do.
        assert!(s.occupancy(&off_quarter).await.is_ok());

        let backwards = ReportQuery {
            to: Timestamp(T0),
            ..day.clone()
        };
        let err = s.agent_report(&backwards).await.unwrap_err();
        assert!(err.to_string().contains("not after its start"), "{err}");

        let nepal_ok = ReportQuery {
            utc_offset_minutes: 345,
            ..day.clone()
        };
        assert!(s
            .ivr_report(&nepal_ok, &hotline_store::IvrGrouping::Total)
            .await
            .is_ok());
        let odd = ReportQuery {
            utc_offset_minutes: 7,
            ..day.clone()
        };
        let err = s
            .ivr_report(&odd, &hotline_store::IvrGrouping::Total)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("multiple of 15"), "{err}");

        let mut negative = day.clone();
        negative.queue_thresholds.insert(
            "housing".into(),
            Thresholds {
                service_level_ms: -1,
                short_abandon_ms: 5_000,
            },
        );
        let err = s
            .queue_report(&negative, &QueueGrouping::Total)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("negative"), "{err}");
        ts.finish().await;
    }
}
