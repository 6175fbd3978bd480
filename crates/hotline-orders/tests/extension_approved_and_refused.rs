//! A handler asks for more working days; a supervisor approves (the
//! deadline moves on from the old one, counted in working days) or refuses
//! (the deadline stays). One request at a time.

mod support;

use hotline_orders::{Command, OrderChange, OrderError};
use support::*;

fn ask(days: u32) -> Command {
    Command::RequestExtension {
        working_days: days,
        reason: "需要现场勘查".into(),
    }
}

#[test]
fn an_approved_extension_moves_the_deadline_by_working_days() {
    // Monday 2026-11-02: a request for help is due at the end of Monday 9th.
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.accepted(1, "request", &housing());
    assert_eq!(
        desk.order(&order).deadline(),
        Some(beijing("2026-11-10T00:00"))
    );

    desk.at("2026-11-05T10:00").ok(&order, &housing(), ask(3));
    let pending = desk.order(&order).pending_extension().cloned().unwrap();
    assert_eq!(pending.working_days, 3);
    assert_eq!(pending.by, housing().user);

    let events = desk.ok(
        &order,
        &supervisor(),
        Command::DecideExtension { approve: true },
    );
    // Three working days after Monday 9th: 10, 11, 12 → end of Thursday 12th.
    assert_eq!(
        events[0].change,
        OrderChange::ExtensionDecided {
            approved: true,
            new_deadline: Some(beijing("2026-11-13T00:00"))
        }
    );
    let extended = desk.order(&order);
    assert_eq!(extended.deadline(), Some(beijing("2026-11-13T00:00")));
    assert_eq!(extended.pending_extension(), None);
    assert_eq!(extended.counters().extensions_requested, 1);
    assert_eq!(extended.counters().extensions_approved, 1);
}

#[test]
fn a_refused_extension_keeps_the_deadline() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.accepted(1, "request", &housing());
    desk.ok(&order, &housing(), ask(2));
    desk.ok(
        &order,
        &supervisor(),
        Command::DecideExtension { approve: false },
    );
    let refused = desk.order(&order);
    assert_eq!(refused.deadline(), Some(beijing("2026-11-10T00:00")));
    assert_eq!(refused.counters().extensions_refused, 1);
    assert_eq!(refused.counters().extensions_approved, 0);

    // Asking again is allowed once the first request is decided.
    desk.ok(&order, &housing(), ask(1));
    assert_eq!(desk.order(&order).counters().extensions_requested, 2);
}

#[test]
fn one_request_at_a_time_and_only_supervisors_decide() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.accepted(1, "request", &housing());
    assert_eq!(
        desk.run(
            &order,
            &supervisor(),
            Command::DecideExtension { approve: true }
        ),
        Err(OrderError::NoExtensionPending)
    );
    assert_eq!(
        desk.run(&order, &housing(), ask(0)),
        Err(OrderError::ZeroExtension)
    );
    desk.ok(&order, &housing(), ask(2));
    assert_eq!(
        desk.run(&order, &housing(), ask(2)),
        Err(OrderError::ExtensionPending)
    );
    for actor in [housing(), agent(), dispatcher()] {
        assert!(matches!(
            desk.run(&order, &actor, Command::DecideExtension { approve: true }),
            Err(OrderError::RoleNotAllowed { .. })
        ));
    }
    // The water authority cannot ask for time on a housing order.
    assert!(matches!(
        desk.run(&order, &water(), ask(1)),
        Err(OrderError::WrongPhase { .. } | OrderError::NotYourDepartment { .. })
    ));
}

#[test]
fn an_extension_before_acceptance_is_refused() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.create(1, "request", Some(1));
    desk.ok(&order, &agent(), Command::Dispatch);
    assert!(matches!(
        desk.run(&order, &housing(), ask(2)),
        Err(OrderError::WrongPhase {
            action: "request an extension",
            ..
        })
    ));
}
