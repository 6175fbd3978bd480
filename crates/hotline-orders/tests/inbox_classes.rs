//! A department's inbox at a given moment: new, in progress, due soon
//! (the deadline within one working day) and overdue; other departments'
//! orders and finished ones are not in it.

mod support;

use hotline_orders::{Command, Inbox, InboxStatus};
use support::*;

#[test]
fn an_order_moves_through_the_inbox_as_time_passes() {
    // Monday 2 November; a request for help is due at the end of Monday 9th.
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.create(1, "request", Some(1));
    desk.ok(&order, &agent(), Command::Dispatch);
    let housing_dept = "housing".into();
    let class = |desk: &Desk, at: &str| {
        desk.inbox()
            .classify(desk.order(&order), &housing_dept, beijing(at))
            .unwrap()
    };
    assert_eq!(class(&desk, "2026-11-02T09:00"), Some(InboxStatus::New));

    desk.ok(&order, &housing(), Command::Accept);
    assert_eq!(
        class(&desk, "2026-11-02T10:00"),
        Some(InboxStatus::InProgress)
    );
    // Thursday: the deadline is two working days away (Friday, Monday).
    assert_eq!(
        class(&desk, "2026-11-05T10:00"),
        Some(InboxStatus::InProgress)
    );
    // Friday: Monday is the next working day, the last one.
    assert_eq!(class(&desk, "2026-11-06T10:00"), Some(InboxStatus::DueSoon));
    assert_eq!(class(&desk, "2026-11-08T10:00"), Some(InboxStatus::DueSoon));
    assert_eq!(class(&desk, "2026-11-09T23:59"), Some(InboxStatus::DueSoon));
    assert_eq!(
        class(&desk, "2026-11-10T00:00"),
        Some(InboxStatus::DueSoon),
        "the deadline itself"
    );
    assert_eq!(class(&desk, "2026-11-10T00:01"), Some(InboxStatus::Overdue));

    // Another department's inbox does not hold it.
    assert_eq!(
        desk.inbox().classify(
            desk.order(&order),
            &"water".into(),
            beijing("2026-11-10T00:01")
        ),
        Ok(None)
    );

    desk.at("2026-11-10T09:00");
    desk.reply_and_close(&order, &housing());
    assert_eq!(
        class(&desk, "2026-11-10T09:00"),
        None,
        "closed orders leave the inbox"
    );
}

#[test]
fn a_wider_window_flags_orders_earlier() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.accepted(1, "request", &housing());
    let wide = Inbox {
        calendar: &desk.calendar,
        due_soon_working_days: 3,
    };
    assert_eq!(
        wide.classify(
            desk.order(&order),
            &"housing".into(),
            beijing("2026-11-04T10:00")
        ),
        Ok(Some(InboxStatus::DueSoon))
    );
    assert_eq!(
        desk.inbox().classify(
            desk.order(&order),
            &"housing".into(),
            beijing("2026-11-04T10:00")
        ),
        Ok(Some(InboxStatus::InProgress))
    );
}

#[test]
fn an_overdue_order_not_yet_accepted_shows_as_overdue() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.create(1, "request", Some(1));
    desk.ok(&order, &agent(), Command::Dispatch);
    assert_eq!(
        desk.inbox().classify(
            desk.order(&order),
            &"housing".into(),
            beijing("2026-11-12T09:00")
        ),
        Ok(Some(InboxStatus::Overdue))
    );
    // A returned order is with the dispatchers, in nobody's inbox.
    desk.ok(
        &order,
        &housing(),
        Command::Return {
            reason: "错派".into(),
        },
    );
    assert_eq!(
        desk.inbox().classify(
            desk.order(&order),
            &"housing".into(),
            beijing("2026-11-12T09:00")
        ),
        Ok(None)
    );
}
