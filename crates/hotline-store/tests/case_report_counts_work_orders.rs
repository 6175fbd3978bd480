//! Today's case report reads work orders through their rows: the phase is
//! mapped onto the status, so an order closed (办结) by its deadline is on
//! time, one closed after it or still open past it is late, one not due yet
//! is pending; a merged duplicate is left out; a follow-up's score is the
//! satisfaction; an order resolved on the call has no deadline and no
//! department.

mod common;

use common::orders::*;
use common::*;
use hotline_orders::Command;
use hotline_store::{CaseRow, NewCitizen};
use hotline_types::{CaseRef, Timestamp};

async fn reply_and_close(desk: &Desk, s: &hotline_store::Store, order: &CaseRef, at_ms: i64) {
    desk.ok(s, at(at_ms - 2), &housing(), order, Command::Accept)
        .await;
    desk.ok(
        s,
        at(at_ms - 1),
        &housing(),
        order,
        Command::Reply {
            text: "done".into(),
        },
    )
    .await;
    desk.ok(s, at(at_ms), &housing(), order, Command::Close)
        .await;
}

#[tokio::test]
async fn case_report_counts_work_orders() {
    let desk = Desk::beijing();
    for ts in stores().await {
        let s = &ts.store;
        let label = ts.label;
        let citizen = s
            .create_citizen(
                &admin(0),
                &NewCitizen {
                    full_name: "Sun Li".into(),
                    ..NewCitizen::default()
                },
            )
            .await
            .unwrap();
        // Requests of Sunday T0 are due at T0 + 5 days 8 hours.
        let on_time = desk.dispatched(s, at(0), "request", Some(citizen)).await;
        reply_and_close(&desk, s, &on_time, DAY).await;
        desk.ok(
            s,
            at(2 * DAY),
            &agent(),
            &on_time,
            Command::RecordFollowUp {
                reporter: on_time.clone(),
                score: 5,
            },
        )
        .await;
        let closed_late = desk.dispatched(s, at(HOUR), "request", None).await;
        reply_and_close(&desk, s, &closed_late, 6 * DAY).await;
        let open_late = desk.dispatched(s, at(2 * HOUR), "request", None).await;
        let duplicate = desk.dispatched(s, at(2 * HOUR), "request", None).await;
        s.merge_orders(
            &desk_ctx("zhao.dispatch", at(3 * HOUR)),
            at(3 * HOUR),
            &dispatcher(),
            &duplicate,
            &open_late,
        )
        .await
        .unwrap();
        // A complaint takes 13 working days: not due yet.
        desk.dispatched(s, at(3 * HOUR), "complaint", None).await;
        // 直接办结 during the call.
        let on_call = desk.create(s, at(4 * HOUR), "consultation", None).await;
        desk.ok(
            s,
            at(4 * HOUR),
            &agent(),
            on_call.order.reference(),
            Command::ResolveOnCall {
                reply: "office hours are 9 to 5".into(),
            },
        )
        .await;
        assert_eq!(
            ts.row_column(on_call.order.reference(), "resolved_on_call")
                .await
                .as_deref(),
            Some("1")
        );
        assert_eq!(
            ts.row_column(&closed_late, "closed_on_time")
                .await
                .as_deref(),
            Some("0")
        );

        let now = Timestamp(T0 + 7 * DAY);
        let rows = s.case_report(at(0), at(DAY), now).await.unwrap();
        let row = |category: &str, department: &str| -> CaseRow {
            rows.iter()
                .find(|r| r.category == category && r.department == department)
                .unwrap_or_else(|| panic!("{label}: no row {category}/{department}: {rows:?}"))
                .clone()
        };
        assert_eq!(rows.len(), 3, "{label}: {rows:?}");
        let requests = row("request", "housing");
        assert_eq!(
            requests.opened, 3,
            "{label}: the merged duplicate is left out"
        );
        assert_eq!(requests.with_deadline, 3);
        assert_eq!(requests.on_time, 1, "{label}");
        assert_eq!(requests.late, 2, "{label}");
        assert_eq!(requests.pending, 0);
        assert_eq!(requests.open_now, 1);
        assert_eq!(requests.overdue_now, 1);
        assert_eq!(requests.satisfaction.count, 1);
        assert_eq!(requests.satisfaction.distribution, [0, 0, 0, 0, 1]);
        let complaints = row("complaint", "market_regulation");
        assert_eq!(
            (
                complaints.opened,
                complaints.pending,
                complaints.open_now,
                complaints.overdue_now
            ),
            (1, 1, 1, 0),
            "{label}"
        );
        let consultations = row("consultation", "unassigned");
        assert_eq!(
            (
                consultations.opened,
                consultations.with_deadline,
                consultations.open_now
            ),
            (1, 0, 0),
            "{label}"
        );
        ts.finish().await;
    }
}
