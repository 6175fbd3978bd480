//! The hotline's follow-up calls are in the order's log: a call that
//! reached nobody moves that reporter's next call on (the order leaves the
//! calls due until then), the last one leaves the reporter to the agents'
//! follow-up list, and a reopened store reads the same lists back.

mod common;

use std::time::Duration;

use common::orders::*;
use common::*;
use hotline_orders::{Command, FollowUpAttempt, FollowUpRetry, Phase};
use hotline_store::{NewCitizen, Store};
use hotline_types::{CaseRef, CitizenId, Timestamp};

const RETRY: FollowUpRetry = FollowUpRetry {
    after: Duration::from_secs(2 * 3600),
    attempts: 2,
};

async fn citizen(s: &Store, name: &str) -> CitizenId {
    s.create_citizen(
        &admin(0),
        &NewCitizen {
            full_name: name.into(),
            phones: vec!["13800138000".into()],
            ..NewCitizen::default()
        },
    )
    .await
    .unwrap()
}

async fn closed(desk: &Desk, s: &Store, citizen: CitizenId) -> CaseRef {
    let order = desk.dispatched(s, at(0), "request", Some(citizen)).await;
    desk.ok(s, at(HOUR), &housing(), &order, Command::Accept)
        .await;
    desk.ok(
        s,
        at(2 * HOUR),
        &housing(),
        &order,
        Command::Reply {
            text: "repaired".into(),
        },
    )
    .await;
    desk.ok(s, at(3 * HOUR), &housing(), &order, Command::Close)
        .await;
    order
}

fn unanswered(reporter: &CaseRef) -> Command {
    Command::RecordFollowUpAttempt {
        reporter: reporter.clone(),
        outcome: FollowUpAttempt::NoAnswer,
        retry: RETRY,
    }
}

#[tokio::test]
async fn follow_up_calls_retried_then_listed_for_agents() {
    let desk = Desk::beijing();
    for ts in stores().await {
        let s = &ts.store;
        let label = ts.label;
        let zhang = citizen(s, "Zhang Wei").await;
        let order = closed(&desk, s, zhang).await;
        // Closed on Sunday: due at Monday 00:00 in Beijing.
        let due = Timestamp(T0 + 8 * HOUR);
        let list = s.follow_ups_due(due, 10).await.unwrap();
        assert_eq!(list.len(), 1, "{label}");
        assert_eq!(list[0].reporter, order);
        assert_eq!(list[0].citizen, zhang, "{label}: whom to call");
        assert!(s.follow_up_list(10).await.unwrap().is_empty());

        // Monday 09:00: nobody answers. Called again at 11:00, not before.
        let first = Timestamp(T0 + 17 * HOUR);
        desk.ok(s, first, &agent(), &order, unanswered(&order))
            .await;
        let retry_at = Timestamp(first.0 + 2 * HOUR);
        assert_eq!(
            ts.row_column(&order, "follow_up_next_call_at_ms")
                .await
                .as_deref(),
            Some(retry_at.0.to_string().as_str()),
            "{label}"
        );
        assert!(
            s.follow_ups_due(Timestamp(retry_at.0 - 1), 10)
                .await
                .unwrap()
                .is_empty(),
            "{label}: waits for the retry"
        );
        let again = s.follow_ups_due(retry_at, 10).await.unwrap();
        assert_eq!(again.len(), 1, "{label}");
        assert_eq!(again[0].attempts, 1);
        assert_eq!(again[0].last_outcome, Some(FollowUpAttempt::NoAnswer));
        assert_eq!(again[0].next_call_at, Some(retry_at));

        // The second and last call: left to the agents.
        desk.ok(s, retry_at, &agent(), &order, unanswered(&order))
            .await;
        assert!(s
            .follow_ups_due(Timestamp(T0 + 30 * DAY), 10)
            .await
            .unwrap()
            .is_empty());
        assert!(ts
            .row_column(&order, "follow_up_next_call_at_ms")
            .await
            .is_none());
        assert_eq!(
            ts.row_column(&order, "follow_ups_listed").await.as_deref(),
            Some("1")
        );

        // A restart reads the same list back from the store.
        let reopened = ts.reopen().await;
        let listed = reopened.follow_up_list(10).await.unwrap();
        assert_eq!(listed.len(), 1, "{label}");
        assert_eq!(
            (listed[0].reporter.clone(), listed[0].attempts),
            (order.clone(), 2)
        );
        assert_eq!(listed[0].next_call_at, None);

        // An agent from the list reaches the citizen.
        let done = desk
            .ok(
                &reopened,
                Timestamp(T0 + DAY),
                &agent(),
                &order,
                Command::RecordFollowUp {
                    reporter: order.clone(),
                    score: 4,
                },
            )
            .await;
        assert_eq!(done.order.phase(), Phase::FollowedUp);
        assert!(reopened.follow_up_list(10).await.unwrap().is_empty());
        assert_eq!(
            ts.row_column(&order, "follow_ups_listed").await.as_deref(),
            Some("0")
        );
        ts.finish().await;
    }
}

#[tokio::test]
async fn list_limits_are_checked() {
    let ts = sqlite_store().await;
    for limit in [0, 501] {
        assert!(ts.store.follow_up_list(limit).await.is_err());
        assert!(ts.store.follow_ups_due(at(0), limit).await.is_err());
    }
    ts.finish().await;
}
