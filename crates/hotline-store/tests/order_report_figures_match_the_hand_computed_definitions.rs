//! The official work-order figures of seven orders worked from Monday 28
//! September 2026 across the Mid-Autumn weekend and the National Day
//! holiday (1–7 October; Saturday 10 October is a make-up workday), worked
//! out by hand from the definitions in docs/statistics.md ("Work orders"),
//! on SQLite and PostgreSQL. Beijing time throughout.
//!
//! Deadlines (N working days: the end of the Nth working day after the day
//! of acceptance; working days here: 28, 29, 30 Sep, 8, 9, 10, 12, 13...):
//!
//! | order | accepted | category → department | deadline |
//! |---|---|---|---|
//! | A | Mon 28 Sep 09:00 | request → housing, 5 | end of Sat 10 Oct (11 Oct 00:00) |
//! | B | Mon 28 Sep 11:00 | request → housing, 5 | 11 Oct 00:00; returned Tue 09:00, re-dispatched to water 10:00: end of Mon 12 Oct (13 Oct 00:00); +3 approved Wed 30 Sep 10:00: 16 Oct 00:00 |
//! | C | Wed 30 Sep 20:00 | water_outage → water, 5 | end of Tue 13 Oct (14 Oct 00:00); +2 refused; closed 14 Oct 09:00: late, 325 h |
//! | D | Sat 3 Oct 10:00 | consultation, resolved on the call | none |
//! | E | Thu 1 Oct 10:00 | complaint → market_regulation, 13 | 24 Oct 00:00 |
//! | F | Fri 2 Oct 10:00 | request → housing, 5 | 14 Oct 00:00, never worked |
//! | G | Sun 4 Oct 12:00 | request → housing, 5 | 14 Oct 00:00; merged into F Sun 13:00 |
//!
//! A closes Tue 29 Sep 16:00 (on time, 31 h after acceptance); its
//! follow-up is due at the start of the next working day (Wed 30 Sep) and
//! made on Thu 8 Oct (score 5). C's follow-up is due Thu 15 Oct 00:00 and
//! made at 10:00 (score 2: reopened to water, due 23 Oct 00:00).
//! D, E are in 西城区; the others in 东城区/景山街道.

mod common;
mod order_report_support;

use common::*;
use hotline_store::{OrderBucket, OrderFigures, OrderGrouping, OrderReportQuery, OrderReportRow};
use order_report_support::*;

fn query(grouping: OrderGrouping, bucket: OrderBucket) -> OrderReportQuery {
    OrderReportQuery {
        from: hotline_types::Timestamp(day("2026-09-28")),
        to: hotline_types::Timestamp(day("2026-10-19")),
        bucket,
        utc_offset_minutes: 480,
        grouping,
        only: None,
        now: local("2026-10-20T12:00"),
    }
}

fn fig<'a>(rows: &'a [OrderReportRow], key: &str, start: &str, label: &str) -> &'a OrderFigures {
    let start_ms = day(start);
    &rows
        .iter()
        .find(|r| r.key == key && r.bucket_start_ms == start_ms)
        .unwrap_or_else(|| panic!("{label}: no row {key} from {start}: {rows:#?}"))
        .figures
}

#[tokio::test]
async fn order_report_figures_match_the_hand_computed_definitions() {
    let desk = china_desk();
    for ts in stores().await {
        let s = &ts.store;
        let label = ts.label;
        let orders = national_day_fortnight(&desk, s).await;
        // The deadlines of the table above, as the core decided them.
        let deadline = |o: &hotline_types::CaseRef| {
            let o = o.clone();
            async move {
                s.work_order(&admin(0), &o)
                    .await
                    .unwrap()
                    .unwrap()
                    .order
                    .deadline()
                    .map(|d| d.as_millis())
            }
        };
        assert_eq!(
            deadline(&orders.b).await,
            Some(day("2026-10-16")),
            "{label}"
        );
        assert_eq!(
            deadline(&orders.c).await,
            Some(day("2026-10-23")),
            "{label}: reopened"
        );
        assert_eq!(
            deadline(&orders.e).await,
            Some(day("2026-10-24")),
            "{label}"
        );
        assert_eq!(
            deadline(&orders.f).await,
            Some(day("2026-10-14")),
            "{label}"
        );
        assert_eq!(
            deadline(&orders.g).await,
            Some(day("2026-10-14")),
            "{label}"
        );
        assert_eq!(deadline(&orders.d).await, None, "{label}");
        assert_eq!(
            deadline(&orders.a).await,
            Some(day("2026-10-11")),
            "{label}"
        );

        // Per department and day.
        let rows = s
            .order_report(&query(OrderGrouping::Department, OrderBucket::Day))
            .await
            .unwrap();
        let f = |key: &str, start: &str| fig(&rows, key, start, label).clone();
        // unassigned: 6 days with acceptances; housing: 28, 29, 30 Sep, 2,
        // 4, 8 Oct and F overdue from 14 to 18 Oct (11 Oct nets to nothing:
        // A closed and B returned before their deadline); water: 29, 30
        // Sep, 8, 14, 15 Oct and B overdue from 16 to 18 Oct (13 Oct nets
        // to nothing: the extension moved B's deadline); market_regulation:
        // 1 Oct.
        assert_eq!(rows.len(), 6 + 11 + 8 + 1, "{label}: {rows:#?}");

        let mon = f("unassigned", "2026-09-28");
        assert_eq!((mon.accepted, mon.dispatched), (2, 0), "{label}");
        let sat = f("unassigned", "2026-10-03");
        assert_eq!((sat.accepted, sat.resolved_on_call), (1, 1), "{label}");
        assert_eq!(sat.resolved_on_call_rate, Some(1.0));

        let h = f("housing", "2026-09-28");
        assert_eq!(h.dispatched, 2, "{label}");
        assert_eq!(h.became_overdue, Some(0));
        assert_eq!(h.overdue_at_end, Some(0));
        let h = f("housing", "2026-09-29");
        assert_eq!(
            (h.returned, h.closed, h.closed_on_time, h.closed_late),
            (1, 1, 1, 0),
            "{label}"
        );
        assert_eq!(h.on_time_rate, Some(1.0));
        assert_eq!(
            h.return_rate, None,
            "{label}: nothing dispatched to housing that day"
        );
        assert_eq!(h.time_to_close.count, 1);
        assert_eq!(h.time_to_close.mean_hours, Some(31.0), "{label}");
        assert_eq!(h.time_to_close.median_hours, Some(31.0));
        // A's follow-up fell due on Wednesday and counts there, though it
        // was made on the 8th; its score counts on the 8th.
        let h = f("housing", "2026-09-30");
        assert_eq!(
            (h.follow_ups_due, h.followed_up, h.scored),
            (1, 1, 0),
            "{label}"
        );
        assert_eq!(h.follow_up_rate, Some(1.0));
        let h = f("housing", "2026-10-08");
        assert_eq!(
            (h.scored, h.satisfied, h.follow_ups_due),
            (1, 1, 0),
            "{label}"
        );
        assert_eq!(h.mean_score, Some(5.0));
        assert_eq!(h.satisfaction_rate, Some(1.0));
        let h = f("housing", "2026-10-04");
        assert_eq!((h.dispatched, h.merged), (1, 1), "{label}");
        // F's deadline passed at the start of the 14th; G's was taken back
        // by the merge.
        let h = f("housing", "2026-10-14");
        assert_eq!(
            (h.became_overdue, h.overdue_at_end),
            (Some(1), Some(1)),
            "{label}"
        );
        for later in ["2026-10-15", "2026-10-16", "2026-10-17", "2026-10-18"] {
            let h = f("housing", later);
            assert_eq!(
                (h.became_overdue, h.overdue_at_end),
                (Some(0), Some(1)),
                "{label} {later}"
            );
            assert_eq!(h.dispatched + h.closed + h.accepted, 0);
        }

        let w = f("water", "2026-09-29");
        assert_eq!((w.dispatched, w.redispatched), (1, 1), "{label}");
        let w = f("water", "2026-09-30");
        assert_eq!(
            (w.dispatched, w.extensions_requested, w.extensions_approved),
            (1, 1, 1),
            "{label}"
        );
        assert_eq!(w.extension_request_rate, Some(1.0));
        assert_eq!(w.extension_approval_rate, Some(1.0));
        let w = f("water", "2026-10-08");
        assert_eq!(
            (w.extensions_requested, w.extensions_refused),
            (1, 1),
            "{label}"
        );
        assert_eq!(w.extension_approval_rate, Some(0.0));
        assert_eq!(w.extension_request_rate, None);
        // C: overdue from 00:00, closed at 09:00: late, and no longer open.
        let w = f("water", "2026-10-14");
        assert_eq!(
            (w.closed, w.closed_on_time, w.closed_late),
            (1, 0, 1),
            "{label}"
        );
        assert_eq!(w.on_time_rate, Some(0.0));
        assert_eq!(
            (w.became_overdue, w.overdue_at_end),
            (Some(1), Some(0)),
            "{label}"
        );
        assert_eq!(w.time_to_close.mean_hours, Some(325.0), "{label}");
        let w = f("water", "2026-10-15");
        assert_eq!(
            (
                w.follow_ups_due,
                w.followed_up,
                w.scored,
                w.satisfied,
                w.reopened
            ),
            (1, 1, 1, 0, 1),
            "{label}"
        );
        assert_eq!(w.satisfaction_rate, Some(0.0));
        assert_eq!(w.mean_score, Some(2.0));
        assert_eq!(
            w.reopen_rate, None,
            "{label}: nothing closed by water that day"
        );
        let w = f("water", "2026-10-16");
        assert_eq!(
            (w.became_overdue, w.overdue_at_end),
            (Some(1), Some(1)),
            "{label}: B"
        );
        let m = f("market_regulation", "2026-10-01");
        assert_eq!((m.dispatched, m.overdue_at_end), (1, Some(0)), "{label}");

        // Per department and week (Monday to Sunday).
        let rows = s
            .order_report(&query(OrderGrouping::Department, OrderBucket::Week))
            .await
            .unwrap();
        let f = |key: &str, start: &str| fig(&rows, key, start, label).clone();
        let u = f("unassigned", "2026-09-28");
        assert_eq!((u.accepted, u.resolved_on_call), (7, 1), "{label}");
        assert_eq!(u.resolved_on_call_rate, Some(1.0 / 7.0));
        let h = f("housing", "2026-09-28");
        assert_eq!(
            (
                h.dispatched,
                h.returned,
                h.closed,
                h.merged,
                h.follow_ups_due,
                h.followed_up
            ),
            (4, 1, 1, 1, 1, 1),
            "{label}"
        );
        assert_eq!(h.return_rate, Some(0.25));
        let h = f("housing", "2026-10-05");
        assert_eq!((h.scored, h.overdue_at_end), (1, Some(0)), "{label}");
        let h = f("housing", "2026-10-12");
        assert_eq!(
            (h.became_overdue, h.overdue_at_end),
            (Some(1), Some(1)),
            "{label}"
        );
        let w = f("water", "2026-09-28");
        assert_eq!(
            (
                w.dispatched,
                w.redispatched,
                w.extensions_requested,
                w.extensions_approved
            ),
            (2, 1, 1, 1),
            "{label}"
        );
        assert_eq!(w.extension_request_rate, Some(0.5));
        let w = f("water", "2026-10-12");
        assert_eq!((w.closed, w.closed_late, w.reopened), (1, 1, 1), "{label}");
        assert_eq!(w.reopen_rate, Some(1.0));
        assert_eq!(
            (w.became_overdue, w.overdue_at_end),
            (Some(2), Some(1)),
            "{label}: C and B; B left"
        );
        assert_eq!(rows.len(), 1 + 3 + 3 + 1, "{label}: {rows:#?}");

        // Per district, the whole interval.
        let rows = s
            .order_report(&query(OrderGrouping::District, OrderBucket::Whole))
            .await
            .unwrap();
        let f = |key: &str| fig(&rows, key, "2026-09-28", label).clone();
        assert_eq!(rows.len(), 2, "{label}: {rows:#?}");
        let east = f("东城区");
        assert_eq!(
            (
                east.accepted,
                east.dispatched,
                east.redispatched,
                east.returned,
                east.merged
            ),
            (5, 6, 1, 1, 1),
            "{label}"
        );
        assert_eq!(
            (east.closed, east.closed_on_time, east.closed_late),
            (2, 1, 1)
        );
        assert_eq!(east.on_time_rate, Some(0.5));
        assert_eq!(east.time_to_close.count, 2);
        assert_eq!(east.time_to_close.mean_hours, Some(178.0), "{label}");
        assert_eq!(
            east.time_to_close.median_hours,
            Some(31.0),
            "{label}: the lower middle"
        );
        assert_eq!(east.time_to_close.p90_hours, Some(325.0));
        assert_eq!(
            (
                east.extensions_requested,
                east.extensions_approved,
                east.extensions_refused
            ),
            (2, 1, 1)
        );
        assert_eq!(east.extension_request_rate, Some(2.0 / 6.0));
        assert_eq!(east.extension_approval_rate, Some(0.5));
        assert_eq!((east.follow_ups_due, east.followed_up), (2, 2));
        assert_eq!((east.scored, east.satisfied), (2, 1));
        assert_eq!(east.mean_score, Some(3.5));
        assert_eq!(east.satisfaction_rate, Some(0.5));
        assert_eq!(east.reopen_rate, Some(0.5));
        assert_eq!(
            (east.became_overdue, east.overdue_at_end),
            (Some(3), Some(2)),
            "{label}: F, C, B; C left"
        );
        let west = f("西城区");
        assert_eq!(
            (
                west.accepted,
                west.resolved_on_call,
                west.dispatched,
                west.closed
            ),
            (2, 1, 1, 0),
            "{label}"
        );
        assert_eq!(west.resolved_on_call_rate, Some(0.5));
        assert_eq!(west.reopen_rate, Some(0.0));
        assert_eq!(west.on_time_rate, None);

        // Per street and per category: the same events under other keys.
        let rows = s
            .order_report(&query(OrderGrouping::Street, OrderBucket::Whole))
            .await
            .unwrap();
        let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "东城区/景山街道",
                "西城区/新街口街道",
                "西城区/西长安街街道"
            ],
            "{label}"
        );
        assert_eq!(
            fig(&rows, "西城区/新街口街道", "2026-09-28", label).resolved_on_call,
            1
        );
        let rows = s
            .order_report(&query(OrderGrouping::Category, OrderBucket::Whole))
            .await
            .unwrap();
        let request = fig(&rows, "request", "2026-09-28", label);
        assert_eq!(
            (
                request.accepted,
                request.dispatched,
                request.closed,
                request.merged
            ),
            (4, 5, 1, 1),
            "{label}"
        );
        assert_eq!(
            request.overdue_at_end,
            Some(2),
            "{label}: F at housing, B at water"
        );
        let outage = fig(&rows, "water_outage", "2026-09-28", label);
        assert_eq!((outage.closed_late, outage.reopened), (1, 1), "{label}");

        // Per month, one department: September, then October to the 18th.
        let mut q = query(OrderGrouping::Department, OrderBucket::Month);
        q.only = Some("water".into());
        let rows = s.order_report(&q).await.unwrap();
        assert_eq!(rows.len(), 2, "{label}: {rows:#?}");
        let sep = fig(&rows, "water", "2026-09-01", label);
        assert_eq!(
            (sep.dispatched, sep.extensions_approved, sep.closed),
            (2, 1, 0),
            "{label}"
        );
        assert_eq!(sep.overdue_at_end, Some(0));
        let oct = fig(&rows, "water", "2026-10-01", label);
        assert_eq!(
            (
                oct.dispatched,
                oct.extensions_refused,
                oct.closed,
                oct.reopened
            ),
            (0, 1, 1, 1),
            "{label}"
        );
        assert_eq!(
            (oct.became_overdue, oct.overdue_at_end),
            (Some(2), Some(1)),
            "{label}"
        );

        // Whole months come from the month rows: September and October in
        // full, asked on 2 November. C was reopened to water due 23 Oct
        // 00:00 and is still open: overdue again at the end of October,
        // with B; E (due 24 Oct) at market_regulation.
        let mut q = query(OrderGrouping::Department, OrderBucket::Month);
        q.from = hotline_types::Timestamp(day("2026-09-01"));
        q.to = hotline_types::Timestamp(day("2026-11-01"));
        q.now = local("2026-11-02T00:00");
        let rows = s.order_report(&q).await.unwrap();
        let oct = fig(&rows, "water", "2026-10-01", label);
        assert_eq!(
            (oct.closed, oct.reopened, oct.time_to_close.count),
            (1, 1, 1),
            "{label}"
        );
        assert_eq!(
            (oct.became_overdue, oct.overdue_at_end),
            (Some(3), Some(2)),
            "{label}"
        );
        let sep = fig(&rows, "water", "2026-09-01", label);
        assert_eq!(
            (sep.dispatched, sep.overdue_at_end),
            (2, Some(0)),
            "{label}"
        );
        let m = fig(&rows, "market_regulation", "2026-10-01", label);
        assert_eq!(
            (m.became_overdue, m.overdue_at_end),
            (Some(1), Some(1)),
            "{label}"
        );
        let h = fig(&rows, "housing", "2026-10-01", label);
        assert_eq!((h.scored, h.overdue_at_end), (1, Some(1)), "{label}: F");
        q.grouping = OrderGrouping::District;
        q.bucket = OrderBucket::Whole;
        let rows = s.order_report(&q).await.unwrap();
        let east = fig(&rows, "东城区", "2026-09-01", label);
        assert_eq!(
            (east.accepted, east.closed, east.scored),
            (5, 2, 2),
            "{label}"
        );
        assert_eq!(east.time_to_close.median_hours, Some(31.0), "{label}");
        assert_eq!(east.time_to_close.p90_hours, Some(325.0), "{label}");
        assert_eq!(
            (east.became_overdue, east.overdue_at_end),
            (Some(4), Some(3)),
            "{label}: F, C, B, C again; C left once"
        );
        ts.finish().await;
    }
}
