//! Three requests closed by housing on the same day are timed together:
//! their times to close (acceptance to close, calendar hours) are kept in
//! one day row and read back as three, with the nearest-rank median and
//! 90th percentile; one closed after its deadline makes the on-time rate
//! 2/3, and its overdue days carry on until the close. On SQLite and
//! PostgreSQL.

mod common;
mod order_report_support;

use common::orders::*;
use common::*;
use hotline_orders::Command;
use hotline_store::{OrderBucket, OrderGrouping, OrderReportQuery};
use hotline_types::Timestamp;
use order_report_support::*;

#[tokio::test]
async fn order_report_times_closes_of_one_day_together() {
    let desk = china_desk();
    let here = || order_report_support::location("东城区", "景山街道");
    for ts in stores().await {
        let s = &ts.store;
        let label = ts.label;
        // Accepted Friday 9 Oct 09:00 (5 working days: due at the end of
        // Thursday 15 Oct), Saturday 10 Oct 09:00, a make-up workday (due at
        // the end of Friday 16 Oct), and Tuesday 6 Oct, in the holiday, at
        // 12:00 (due at the end of Tuesday 13 Oct); all closed Thursday 15
        // Oct at 13:00: after 148, 124 and 217 hours.
        let mut orders = Vec::new();
        for accepted in ["2026-10-09T09:00", "2026-10-10T09:00", "2026-10-06T12:00"] {
            orders
                .push(take_and_dispatch(&desk, s, local(accepted), "request", None, here()).await);
        }
        for order in &orders {
            desk.ok(
                s,
                local("2026-10-15T10:00"),
                &housing(),
                order,
                Command::Accept,
            )
            .await;
            desk.ok(s, local("2026-10-15T12:00"), &housing(), order, reply())
                .await;
            desk.ok(
                s,
                local("2026-10-15T13:00"),
                &housing(),
                order,
                Command::Close,
            )
            .await;
        }
        let rows = s
            .order_report(&OrderReportQuery {
                from: Timestamp(day("2026-10-14")),
                to: Timestamp(day("2026-10-16")),
                bucket: OrderBucket::Day,
                utc_offset_minutes: 480,
                grouping: OrderGrouping::Department,
                only: Some("housing".into()),
                now: local("2026-10-16T09:00"),
            })
            .await
            .unwrap();
        assert_eq!(rows.len(), 2, "{label}: {rows:#?}");
        // The one accepted in the holiday was overdue from the start of the
        // 14th, still open at its end.
        let f = &rows[0].figures;
        assert_eq!(rows[0].bucket_start_ms, day("2026-10-14"));
        assert_eq!(
            (f.became_overdue, f.overdue_at_end, f.closed),
            (Some(1), Some(1), 0),
            "{label}"
        );
        let f = &rows[1].figures;
        assert_eq!(
            (f.closed, f.closed_on_time, f.closed_late),
            (3, 2, 1),
            "{label}"
        );
        assert_eq!(f.on_time_rate, Some(2.0 / 3.0));
        // It left at 13:00 on the 15th: nothing overdue at the end.
        assert_eq!(
            (f.became_overdue, f.overdue_at_end),
            (Some(0), Some(0)),
            "{label}"
        );
        let t = &f.time_to_close;
        assert_eq!(t.count, 3, "{label}: every close kept in the one day row");
        assert_eq!(t.mean_hours, Some(163.0), "{label}");
        assert_eq!(t.median_hours, Some(148.0), "{label}");
        assert_eq!(t.p90_hours, Some(217.0), "{label}");
        ts.finish().await;
    }
}
