//! The work-order figures kept as events are appended are exactly those
//! recomputed from the logs (Store::rebuild_order_report), and a rebuild
//! at another offset moves the local days: in UTC days A's close (Tuesday
//! 16:00 in Beijing, 08:00 UTC) stays on Tuesday, but its follow-up, due at
//! Wednesday 00:00 in Beijing, falls due on Tuesday (16:00 UTC); the report
//! must then be asked in UTC.

mod common;
mod order_report_support;

use common::*;
use hotline_store::{OrderBucket, OrderGrouping, OrderReportQuery};
use hotline_types::Timestamp;
use order_report_support::*;

fn query(grouping: OrderGrouping, offset: i32) -> OrderReportQuery {
    let shift = i64::from(480 - offset) * 60_000;
    OrderReportQuery {
        from: Timestamp(day("2026-09-28") + shift),
        to: Timestamp(day("2026-10-19") + shift),
        bucket: OrderBucket::Day,
        utc_offset_minutes: offset,
        grouping,
        only: None,
        now: local("2026-10-20T12:00"),
    }
}

#[tokio::test]
async fn order_report_rebuilt_from_the_logs_matches() {
    let desk = china_desk();
    for ts in stores().await {
        let s = &ts.store;
        let label = ts.label;
        national_day_fortnight(&desk, s).await;
        let mut kept = Vec::new();
        for grouping in OrderGrouping::ALL {
            kept.push(s.order_report(&query(grouping, 480)).await.unwrap());
        }
        assert_eq!(s.rebuild_order_report(480).await.unwrap(), 7, "{label}");
        for (grouping, before) in OrderGrouping::ALL.into_iter().zip(&kept) {
            let rebuilt = s.order_report(&query(grouping, 480)).await.unwrap();
            assert_eq!(&rebuilt, before, "{label}: {grouping}");
        }

        assert_eq!(s.rebuild_order_report(0).await.unwrap(), 7);
        assert_eq!(s.order_report_offset().await.unwrap(), 0);
        assert!(s
            .order_report(&query(OrderGrouping::Department, 480))
            .await
            .is_err());
        let utc = s
            .order_report(&query(OrderGrouping::District, 0))
            .await
            .unwrap();
        let on = |date: &str| {
            let start = day(date) + 8 * 3_600_000;
            utc.iter()
                .find(|r| r.key == "东城区" && r.bucket_start_ms == start)
                .map(|r| r.figures.clone())
                .unwrap_or_default()
        };
        assert_eq!(
            (on("2026-09-29").closed, on("2026-09-30").accepted),
            (1, 1),
            "{label}"
        );
        assert_eq!(
            on("2026-09-28").accepted,
            2,
            "{label}: A and B, Monday morning in both zones"
        );
        ts.finish().await;
    }
}
