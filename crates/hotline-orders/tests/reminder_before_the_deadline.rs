//! 临期提醒: once an order's deadline falls within the due-soon window, the
//! hotline reminds the department, once per deadline. An approved
//! extension brings a new deadline and, when that one is near, a new
//! reminder; an overdue order is not reminded (it is on the overdue list).

mod support;

use hotline_orders::{Actor, Command, OrderChange, OrderError, OrderEvent, Phase, WorkOrder};
use support::*;

/// The hotline's own agent, as the reminder driver acts.
fn hotline() -> Actor {
    Actor::agent("hotline")
}

fn remind() -> Command {
    Command::Remind {
        within_working_days: 1,
    }
}

#[test]
fn reminded_once_when_the_deadline_is_within_a_working_day() {
    // Monday 2026-11-02: a request for help is due at the end of Monday 9th.
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.accepted(1, "request", &housing());
    let deadline = beijing("2026-11-10T00:00");
    assert_eq!(desk.order(&order).deadline(), Some(deadline));

    // Thursday 5th: the window ends with Friday 6th; not near yet.
    assert!(matches!(
        desk.at("2026-11-05T10:00")
            .run(&order, &hotline(), remind()),
        Err(OrderError::NoReminderDue { .. })
    ));

    // Friday 6th: the next working day is Monday 9th, the last day.
    let events = desk.at("2026-11-06T10:00").ok(&order, &hotline(), remind());
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].change, OrderChange::Reminded { deadline });
    assert_eq!(events[0].change.kind(), "reminded");
    assert_eq!(events[0].by, hotline().user);
    let reminded = desk.order(&order);
    assert!(reminded.reminded());
    assert_eq!(reminded.phase(), Phase::InProgress);
    assert_eq!(reminded.deadline(), Some(deadline));

    // Once per deadline, however often the driver looks.
    let again = desk
        .at("2026-11-09T08:00")
        .run(&order, &hotline(), remind());
    assert!(
        matches!(again, Err(OrderError::NoReminderDue { reason }) if reason.contains("already")),
        "{again:?}"
    );
}

#[test]
fn an_approved_extension_brings_a_new_reminder() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.accepted(1, "request", &housing());
    desk.at("2026-11-06T10:00").ok(&order, &hotline(), remind());
    desk.ok(
        &order,
        &housing(),
        Command::RequestExtension {
            working_days: 3,
            reason: "需要现场勘查".into(),
        },
    );
    desk.ok(
        &order,
        &supervisor(),
        Command::DecideExtension { approve: true },
    );
    let extended = desk.order(&order);
    assert_eq!(extended.deadline(), Some(beijing("2026-11-13T00:00")));
    assert!(!extended.reminded(), "the new deadline is not reminded yet");

    assert!(matches!(
        desk.run(&order, &hotline(), remind()),
        Err(OrderError::NoReminderDue { .. })
    ));
    // Wednesday 11th: the window ends with Thursday 12th, the last day.
    let events = desk.at("2026-11-11T10:00").ok(&order, &hotline(), remind());
    assert_eq!(
        events[0].change,
        OrderChange::Reminded {
            deadline: beijing("2026-11-13T00:00")
        }
    );
    assert!(desk.order(&order).reminded());
}

#[test]
fn an_overdue_order_is_not_reminded() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.accepted(1, "request", &housing());
    let late = desk
        .at("2026-11-10T09:00")
        .run(&order, &hotline(), remind());
    assert!(
        matches!(late, Err(OrderError::NoReminderDue { reason }) if reason.contains("overdue")),
        "{late:?}"
    );
    assert!(!desk.order(&order).reminded());
}

#[test]
fn a_wider_window_reminds_earlier() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.accepted(1, "request", &housing());
    // Wednesday 4th with three working days: Thursday, Friday, Monday.
    desk.at("2026-11-04T10:00").ok(
        &order,
        &hotline(),
        Command::Remind {
            within_working_days: 3,
        },
    );
    assert!(desk.order(&order).reminded());
}

#[test]
fn only_the_hotline_reminds_and_only_orders_with_a_department() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.accepted(1, "request", &housing());
    desk.at("2026-11-06T10:00");
    for actor in [housing(), supervisor(), dispatcher()] {
        assert!(matches!(
            desk.run(&order, &actor, remind()),
            Err(OrderError::RoleNotAllowed { .. })
        ));
    }

    // Not dispatched yet: nobody to remind.
    let waiting = desk.create(2, "request", Some(2));
    assert!(matches!(
        desk.run(&waiting, &hotline(), remind()),
        Err(OrderError::WrongPhase { .. })
    ));

    // Replied: still with the department until it closes.
    desk.ok(
        &order,
        &housing(),
        Command::Reply {
            text: "已安排维修".into(),
        },
    );
    desk.ok(&order, &hotline(), remind());
    desk.ok(&order, &housing(), Command::Close);
    assert!(matches!(
        desk.run(&order, &hotline(), remind()),
        Err(OrderError::WrongPhase { .. })
    ));
}

#[test]
fn a_reminder_of_another_deadline_does_not_fold() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.accepted(1, "request", &housing());
    let mut folded: WorkOrder = desk.order(&order).clone();
    let wrong = OrderEvent {
        at: beijing("2026-11-06T10:00"),
        by: hotline().user,
        change: OrderChange::Reminded {
            deadline: beijing("2026-11-11T00:00"),
        },
    };
    assert!(matches!(
        folded.apply(&wrong),
        Err(OrderError::Inconsistent { .. })
    ));
    assert_eq!(
        &folded,
        desk.order(&order),
        "a refused event changes nothing"
    );
}
