//! A department's inbox, read from the projection alone, holds exactly the
//! orders that are with the department and classes each as the core's
//! `Inbox::classify` does (new, in progress, due soon, overdue), the
//! earliest deadline first, page by page; the overdue list holds the late
//! ones of one department or of all, the most overdue first.

mod common;

use std::collections::BTreeSet;

use common::orders::*;
use common::*;
use hotline_orders::{Command, DepartmentId, InboxStatus};
use hotline_store::{InboxCounts, InboxQuery, NewCase, OrderLine};
use hotline_types::{CaseRef, Timestamp};

#[tokio::test]
async fn department_inbox_classes_match_the_core() {
    let desk = Desk::beijing();
    let housing_dept: DepartmentId = "housing".into();
    for ts in stores().await {
        let s = &ts.store;
        let label = ts.label;
        let mut with_housing = Vec::new();
        // Dispatched ten days before Sunday T0 (a Thursday): long overdue,
        // at the water authority.
        let water_late = desk
            .dispatched(s, at(-10 * DAY), "water_outage", None)
            .await;
        // A week before: overdue, not accepted and accepted.
        let late_new = desk.dispatched(s, at(-7 * DAY), "request", None).await;
        with_housing.push(late_new.clone());
        let late_taken = desk.dispatched(s, at(-7 * DAY), "request", None).await;
        desk.ok(s, at(-7 * DAY), &housing(), &late_taken, Command::Accept)
            .await;
        with_housing.push(late_taken.clone());
        // Thursday before: due at the end of the next Thursday.
        let soon = desk.dispatched(s, at(-3 * DAY), "request", None).await;
        with_housing.push(soon.clone());
        // Sunday T0: new, in progress, replied.
        let fresh = desk.dispatched(s, at(0), "request", None).await;
        with_housing.push(fresh.clone());
        let taken = desk.dispatched(s, at(0), "request", None).await;
        desk.ok(s, at(HOUR), &housing(), &taken, Command::Accept)
            .await;
        with_housing.push(taken.clone());
        let replied = desk.dispatched(s, at(0), "request", None).await;
        desk.ok(s, at(HOUR), &housing(), &replied, Command::Accept)
            .await;
        desk.ok(
            s,
            at(2 * HOUR),
            &housing(),
            &replied,
            Command::Reply {
                text: "fixed".into(),
            },
        )
        .await;
        with_housing.push(replied.clone());
        // Not in the inbox: returned, closed, not dispatched, another
        // department's, a case without a log.
        let returned = desk.dispatched(s, at(0), "request", None).await;
        desk.ok(
            s,
            at(HOUR),
            &housing(),
            &returned,
            Command::Return {
                reason: "a water matter".into(),
            },
        )
        .await;
        let closed = desk.dispatched(s, at(-7 * DAY), "request", None).await;
        desk.ok(s, at(-7 * DAY), &housing(), &closed, Command::Accept)
            .await;
        desk.ok(
            s,
            at(-6 * DAY),
            &housing(),
            &closed,
            Command::Reply {
                text: "done".into(),
            },
        )
        .await;
        desk.ok(s, at(-6 * DAY), &housing(), &closed, Command::Close)
            .await;
        desk.create(s, at(0), "request", None).await;
        desk.dispatched(s, at(0), "water_outage", None).await;
        s.create_case(
            &admin(0),
            &NewCase {
                citizen: None,
                call: None,
                category: "request".into(),
                department: "housing".into(),
                summary: "a case without a log".into(),
            },
        )
        .await
        .unwrap();

        // Wednesday 2026-11-25, 18:00 in Beijing.
        let now = Timestamp(T0 + 3 * DAY + 2 * HOUR);
        let inbox = desk.inbox();
        let query = InboxQuery::new(housing_dept.clone(), now, &inbox, 100).unwrap();
        let page = s.department_inbox(&query).await.unwrap();
        assert!(page.next.is_none());
        let listed: BTreeSet<CaseRef> = page.orders.iter().map(|l| l.reference.clone()).collect();
        assert_eq!(
            listed,
            with_housing.iter().cloned().collect(),
            "{label}: exactly the orders with housing"
        );
        let reader = desk_ctx("chen.supervisor", now);
        for line in &page.orders {
            let order = s
                .work_order(&reader, &line.reference)
                .await
                .unwrap()
                .unwrap()
                .order;
            let core = inbox.classify(&order, &housing_dept, now).unwrap();
            assert_eq!(line.class, core, "{label}: {}", line.reference);
            assert_eq!(line.phase, order.phase());
            assert_eq!(line.deadline, order.deadline());
            assert_eq!(line.handler.as_ref(), order.handler());
        }
        let class_of = |reference: &CaseRef| -> InboxStatus {
            page.orders
                .iter()
                .find(|l| &l.reference == reference)
                .unwrap()
                .class
                .expect("an inbox line has a class")
        };
        assert_eq!(class_of(&late_new), InboxStatus::Overdue);
        assert_eq!(class_of(&late_taken), InboxStatus::Overdue);
        assert_eq!(class_of(&soon), InboxStatus::DueSoon);
        assert_eq!(class_of(&fresh), InboxStatus::New);
        assert_eq!(class_of(&taken), InboxStatus::InProgress);
        assert_eq!(class_of(&replied), InboxStatus::InProgress);
        let deadlines: Vec<_> = page.orders.iter().map(|l| l.deadline).collect();
        let mut sorted = deadlines.clone();
        sorted.sort();
        assert_eq!(deadlines, sorted, "{label}: earliest deadline first");

        // Page by page, the same lines in the same order.
        let mut paged: Vec<OrderLine> = Vec::new();
        let mut query = InboxQuery::new("housing".into(), now, &inbox, 2).unwrap();
        loop {
            let page = s.department_inbox(&query).await.unwrap();
            assert!(page.orders.len() <= 2);
            paged.extend(page.orders);
            match page.next {
                Some(next) => {
                    // A cursor survives a round trip through a URL.
                    query.after = Some(next.to_string().parse().unwrap());
                }
                None => break,
            }
        }
        assert_eq!(paged, page.orders, "{label}");

        // One class at a time, and the counts.
        let mut counts = InboxCounts::default();
        for class in [
            InboxStatus::New,
            InboxStatus::InProgress,
            InboxStatus::DueSoon,
            InboxStatus::Overdue,
        ] {
            let mut query = InboxQuery::new("housing".into(), now, &inbox, 100).unwrap();
            query.class = Some(class);
            let only = s.department_inbox(&query).await.unwrap().orders;
            let expected: Vec<_> = page
                .orders
                .iter()
                .filter(|l| l.class == Some(class))
                .cloned()
                .collect();
            assert_eq!(only, expected, "{label}: {class:?}");
            let n = only.len() as u64;
            match class {
                InboxStatus::New => counts.new = n,
                InboxStatus::InProgress => counts.in_progress = n,
                InboxStatus::DueSoon => counts.due_soon = n,
                InboxStatus::Overdue => counts.overdue = n,
            }
        }
        assert_eq!(
            s.department_inbox_counts(&"housing".into(), now, query.due_soon_until)
                .await
                .unwrap(),
            counts,
            "{label}"
        );
        assert_eq!(
            counts,
            InboxCounts {
                new: 1,
                in_progress: 2,
                due_soon: 1,
                overdue: 2
            }
        );

        // Overdue: everyone's, the most overdue first, then one department's.
        let overdue = s.overdue_orders(None, now, 100).await.unwrap();
        let refs: Vec<_> = overdue.iter().map(|l| l.reference.clone()).collect();
        assert_eq!(
            refs,
            [water_late, late_new.clone(), late_taken.clone()],
            "{label}"
        );
        assert!(overdue
            .iter()
            .all(|l| l.class == Some(InboxStatus::Overdue)));
        let housing_overdue = s
            .overdue_orders(Some(&"housing".into()), now, 1)
            .await
            .unwrap();
        assert_eq!(housing_overdue.len(), 1);
        assert_eq!(housing_overdue[0].reference, late_new, "{label}");

        // Nothing is late before the first deadline.
        assert!(s
            .overdue_orders(None, at(-10 * DAY), 10)
            .await
            .unwrap()
            .is_empty());
        assert!(s
            .department_inbox(&InboxQuery {
                limit: 0,
                ..query.clone()
            })
            .await
            .is_err());
        ts.finish().await;
    }
}
