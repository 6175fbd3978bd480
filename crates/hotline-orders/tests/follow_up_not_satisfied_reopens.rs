//! 重办: an unsatisfied evaluation reopens the order with its department,
//! with a fresh deadline; reopens are counted, and the next close is
//! followed up again.

mod support;

use hotline_orders::{Command, InboxStatus, OrderChange, Phase};
use support::*;

#[test]
fn an_unsatisfied_citizen_reopens_the_order() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.accepted(1, "request", &housing());
    desk.at("2026-11-04T15:00");
    desk.reply_and_close(&order, &housing());

    let events = desk.at("2026-11-05T10:00").ok(
        &order,
        &agent(),
        Command::RecordFollowUp {
            reporter: order.clone(),
            score: 2,
        },
    );
    // Five working days from Thursday 5th: 6, 9, 10, 11, 12.
    assert_eq!(
        events.iter().map(|e| e.change.clone()).collect::<Vec<_>>(),
        vec![
            OrderChange::FollowUpRecorded {
                reporter: order.clone(),
                score: 2,
                satisfied: false
            },
            OrderChange::Reopened {
                department: "housing".into(),
                deadline: beijing("2026-11-13T00:00")
            },
        ]
    );
    let reopened = desk.order(&order);
    assert_eq!(reopened.phase(), Phase::Reopened);
    assert_eq!(reopened.department(), Some(&"housing".into()));
    assert_eq!(reopened.counters().reopens, 1);
    assert_eq!(reopened.closed_on_time(), None, "no longer closed");
    assert_eq!(reopened.handler(), None);
    assert_eq!(
        desk.inbox().classify(reopened, &"housing".into(), desk.now),
        Ok(Some(InboxStatus::New))
    );

    // The department takes it on again, closes, and is followed up again.
    desk.at("2026-11-06T09:00")
        .ok(&order, &housing(), Command::Accept);
    desk.reply_and_close(&order, &housing());
    assert_eq!(
        desk.order(&order).follow_up_due(),
        Some(beijing("2026-11-09T00:00"))
    );
    desk.at("2026-11-09T09:30").ok(
        &order,
        &agent(),
        Command::RecordFollowUp {
            reporter: order.clone(),
            score: 5,
        },
    );
    let done = desk.order(&order);
    assert_eq!(done.phase(), Phase::FollowedUp);
    assert_eq!(done.counters().reopens, 1);
    assert_eq!(done.counters().follow_ups, 2);
    assert_eq!(
        done.follow_ups()
            .iter()
            .map(|f| f.score)
            .collect::<Vec<_>>(),
        vec![2, 5]
    );
}

#[test]
fn three_is_below_the_default_threshold() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.accepted(1, "request", &housing());
    desk.reply_and_close(&order, &housing());
    desk.ok(
        &order,
        &agent(),
        Command::RecordFollowUp {
            reporter: order.clone(),
            score: 3,
        },
    );
    assert_eq!(desk.order(&order).phase(), Phase::Reopened);
}

#[test]
fn an_order_resolved_on_the_call_reopens_with_the_categorys_department() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.create(1, "request", Some(1));
    desk.ok(
        &order,
        &agent(),
        Command::ResolveOnCall {
            reply: "请联系物业维修".into(),
        },
    );
    desk.at("2026-11-03T09:00").ok(
        &order,
        &agent(),
        Command::RecordFollowUp {
            reporter: order.clone(),
            score: 1,
        },
    );
    let reopened = desk.order(&order);
    assert_eq!(reopened.phase(), Phase::Reopened);
    // Nobody handled it before: the catalogue's department does now.
    assert_eq!(reopened.department(), Some(&"housing".into()));
    assert_eq!(
        reopened.deadline(),
        Some(beijing("2026-11-11T00:00")),
        "5 working days from Tuesday 3rd"
    );
    desk.ok(&order, &housing(), Command::Accept);
    desk.reply_and_close(&order, &housing());
    let closure = desk.order(&order).closure().unwrap();
    assert!(!closure.resolved_on_call);
}
