//! After a close, the follow-up call (回访) is due at the start of the next
//! working day; the follow-up caller's list shows the order from then until
//! every reporter was called. A satisfied evaluation ends it (followed up,
//! the score on the row); an unsatisfied one reopens it (重办) with its
//! department, and it leaves the list for the inbox.

mod common;

use common::orders::*;
use common::*;
use hotline_orders::{Command, InboxStatus, Phase};
use hotline_store::{InboxQuery, NewCitizen, Store};
use hotline_types::{CaseRef, CitizenId, Timestamp};

async fn citizen(s: &Store, name: &str) -> CitizenId {
    s.create_citizen(
        &admin(0),
        &NewCitizen {
            full_name: name.into(),
            ..NewCitizen::default()
        },
    )
    .await
    .unwrap()
}

async fn closed(desk: &Desk, s: &Store, citizen: Option<CitizenId>) -> CaseRef {
    let order = desk.dispatched(s, at(0), "request", citizen).await;
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

#[tokio::test]
async fn follow_ups_come_due_after_the_close() {
    let desk = Desk::beijing();
    for ts in stores().await {
        let s = &ts.store;
        let label = ts.label;
        let pleased = closed(&desk, s, Some(citizen(s, "Zhang Wei").await)).await;
        let unhappy = closed(&desk, s, Some(citizen(s, "Liu Yang").await)).await;
        // Nobody to call back: no follow-up.
        let anonymous = closed(&desk, s, None).await;
        assert!(ts
            .row_column(&anonymous, "follow_up_due_at_ms")
            .await
            .is_none());

        // Closed on Sunday: due at Monday 00:00 in Beijing, 16:00 UTC.
        let due = Timestamp(T0 + 8 * HOUR);
        assert!(s
            .follow_ups_due(Timestamp(due.0 - 1), 10)
            .await
            .unwrap()
            .is_empty());
        let list = s.follow_ups_due(due, 10).await.unwrap();
        let refs: Vec<_> = list.iter().map(|f| f.order.clone()).collect();
        assert_eq!(refs, [pleased.clone(), unhappy.clone()], "{label}");
        assert!(list.iter().all(|f| f.due_at == due
            && f.next_call_at == Some(due)
            && f.attempts == 0
            && f.reporter == f.order));
        assert_eq!(
            list[0].department.as_ref().map(|d| d.as_str()),
            Some("housing")
        );
        assert_eq!(s.follow_ups_due(due, 1).await.unwrap().len(), 1);

        // 回访: satisfied.
        let later = Timestamp(T0 + DAY);
        let done = desk
            .ok(
                s,
                later,
                &agent(),
                &pleased,
                Command::RecordFollowUp {
                    reporter: pleased.clone(),
                    score: 5,
                },
            )
            .await;
        assert_eq!(done.order.phase(), Phase::FollowedUp);
        assert_eq!(
            ts.row_column(&pleased, "phase").await.as_deref(),
            Some("followed_up")
        );
        assert_eq!(
            ts.row_column(&pleased, "status").await.as_deref(),
            Some("closed")
        );
        assert_eq!(
            ts.row_column(&pleased, "satisfaction").await.as_deref(),
            Some("5")
        );
        assert_eq!(
            ts.row_column(&pleased, "follow_ups").await.as_deref(),
            Some("1")
        );
        assert_eq!(
            ts.row_column(&pleased, "follow_ups_awaited")
                .await
                .as_deref(),
            Some("0")
        );

        // 回访: not satisfied, so 重办 with housing and a new deadline.
        let reopened = desk
            .ok(
                s,
                later,
                &agent(),
                &unhappy,
                Command::RecordFollowUp {
                    reporter: unhappy.clone(),
                    score: 2,
                },
            )
            .await;
        assert_eq!(reopened.order.phase(), Phase::Reopened);
        assert_eq!(
            ts.row_column(&unhappy, "status").await.as_deref(),
            Some("reopened")
        );
        assert_eq!(
            ts.row_column(&unhappy, "satisfaction").await.as_deref(),
            Some("2")
        );
        assert_eq!(
            ts.row_column(&unhappy, "reopens").await.as_deref(),
            Some("1")
        );
        assert!(ts.row_column(&unhappy, "closed_at_ms").await.is_none());
        assert!(ts.row_column(&unhappy, "closed_on_time").await.is_none());
        assert!(ts
            .row_column(&unhappy, "follow_up_due_at_ms")
            .await
            .is_none());
        assert_eq!(
            ts.row_column(&unhappy, "deadline_at_ms").await,
            reopened.order.deadline().map(|d| d.as_millis().to_string())
        );

        assert!(
            s.follow_ups_due(Timestamp(T0 + 30 * DAY), 10)
                .await
                .unwrap()
                .is_empty(),
            "{label}: nothing left to call"
        );
        let query = InboxQuery::new("housing".into(), later, &desk.inbox(), 10).unwrap();
        let inbox = s.department_inbox(&query).await.unwrap().orders;
        assert_eq!(inbox.len(), 1, "{label}");
        assert_eq!(inbox[0].reference, unhappy);
        assert_eq!(
            inbox[0].class,
            Some(InboxStatus::New),
            "{label}: reopened, not taken on yet"
        );
        assert_eq!(inbox[0].reopens, 1);
        ts.finish().await;
    }
}
