//! The public-service case figures: of the cases opened in an interval,
//! those with a deadline done on time, late, or still pending; open and
//! overdue cases now; merged duplicates left out.

mod common;
mod golden_day;

use std::time::Duration;

use common::*;
use golden_day::*;
use hotline_store::{Access, AuditContext, CaseRow, CaseStatus, NewCase, Store, SurveyFigures};
use hotline_types::{CaseRef, Timestamp};

const DAY: i64 = 24 * HOUR;

fn ctx(at_ms: i64) -> AuditContext {
    AuditContext {
        actor: "admin".into(),
        access: Access::Administration,
        reason: "test".into(),
        at: Timestamp(at_ms),
    }
}

async fn open(s: &Store, category: &str, department: &str, at_ms: i64) -> CaseRef {
    s.create_case(
        &ctx(at_ms),
        &NewCase {
            citizen: None,
            call: None,
            category: category.into(),
            department: department.into(),
            summary: "golden case".into(),
        },
    )
    .await
    .unwrap()
    .case_ref
}

async fn go(s: &Store, case: &CaseRef, steps: &[(CaseStatus, i64)]) {
    for (status, at) in steps {
        s.transition_case(&ctx(*at), case, *status).await.unwrap();
    }
}

#[tokio::test]
async fn case_on_time_rates_follow_deadlines() {
    use CaseStatus::*;
    for ts in stores().await {
        let s = &ts.store;
        s.set_category_deadline("repair_request", Duration::from_secs(7 * 86_400))
            .await
            .unwrap();
        s.set_category_deadline("permit", Duration::from_secs(30 * 86_400))
            .await
            .unwrap();
        // Opened on the day [D0, D0 + 1 day):
        // K1 resolved after 2 days: on time (deadline 7 days).
        let k1 = open(s, "repair_request", "construction", D0 + 9 * HOUR).await;
        go(s, &k1, &[(Resolved, D0 + 2 * DAY)]).await;
        // K2 resolved after 8 days (late), then closed.
        let k2 = open(s, "repair_request", "construction", D0 + 10 * HOUR).await;
        go(s, &k2, &[(Resolved, D0 + 8 * DAY), (Closed, D0 + 9 * DAY)]).await;
        // K3 still in progress, past its deadline now: late and overdue.
        let k3 = open(s, "repair_request", "construction", D0 + 11 * HOUR).await;
        go(s, &k3, &[(Dispatched, D0 + DAY), (InProgress, D0 + DAY)]).await;
        // K4 a permit (30 days): open, not due yet: pending.
        let _k4 = open(s, "permit", "construction", D0 + 12 * HOUR).await;
        // K5 information has no deadline.
        let k5 = open(s, "information", "transport", D0 + 12 * HOUR).await;
        go(s, &k5, &[(Resolved, D0 + 13 * HOUR)]).await;
        // K6 a duplicate merged into K1: left out everywhere.
        let k6 = open(s, "repair_request", "construction", D0 + 13 * HOUR).await;
        s.merge_cases(&ctx(D0 + 14 * HOUR), &k6, &k1).await.unwrap();
        // K8 resolved in time, reopened after its deadline: open, late.
        let k8 = open(s, "repair_request", "construction", D0 + 13 * HOUR).await;
        go(s, &k8, &[(Resolved, D0 + DAY), (Reopened, D0 + 9 * DAY)]).await;
        // K7 opened five days before the day, dispatched, overdue now.
        let k7 = open(s, "repair_request", "construction", D0 - 5 * DAY).await;
        go(s, &k7, &[(Dispatched, D0 - 4 * DAY)]).await;
        s.set_case_satisfaction(&k1, 5).await.unwrap();
        s.set_case_satisfaction(&k2, 3).await.unwrap();

        let now = Timestamp(D0 + 10 * DAY);
        let rows = s
            .case_report(Timestamp(D0), Timestamp(D0 + DAY), now)
            .await
            .unwrap();
        let empty = SurveyFigures {
            count: 0,
            mean: None,
            distribution: [0; 5],
        };
        assert_eq!(
            rows,
            vec![
                CaseRow {
                    category: "information".into(),
                    department: "transport".into(),
                    opened: 1,
                    with_deadline: 0,
                    on_time: 0,
                    late: 0,
                    pending: 0,
                    on_time_rate: None,
                    open_now: 0,
                    overdue_now: 0,
                    satisfaction: empty.clone(),
                },
                CaseRow {
                    category: "permit".into(),
                    department: "construction".into(),
                    opened: 1,
                    with_deadline: 1,
                    on_time: 0,
                    late: 0,
                    pending: 1,
                    on_time_rate: None,
                    open_now: 1,
                    overdue_now: 0,
                    satisfaction: empty,
                },
                // K1, K2, K3, K8 opened (K6 merged); K1 on time; K2, K3, K8
                // late: 1 / 4. Open now: K3, K7, K8, all overdue.
                CaseRow {
                    category: "repair_request".into(),
                    department: "construction".into(),
                    opened: 4,
                    with_deadline: 4,
                    on_time: 1,
                    late: 3,
                    pending: 0,
                    on_time_rate: Some(0.25),
                    open_now: 3,
                    overdue_now: 3,
                    satisfaction: SurveyFigures {
                        count: 2,
                        mean: Some(4.0),
                        distribution: [0, 0, 1, 0, 1],
                    },
                },
            ],
            "{}",
            ts.label
        );
        ts.finish().await;
    }
}
