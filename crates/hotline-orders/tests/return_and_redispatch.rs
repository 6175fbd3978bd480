//! 退单: a department returns an order that is not theirs; a dispatcher
//! sends it to the right one, which gets the category's full time. Both
//! are counted.

mod support;

use hotline_orders::{Command, OrderError, Phase};
use support::*;

#[test]
fn a_returned_order_is_redispatched_to_the_right_department() {
    let mut desk = Desk::new("2026-11-02T09:00");
    // Filed as a request for help (housing), but it is a water leak.
    let order = desk.accepted(1, "request", &housing());
    desk.at("2026-11-03T14:00").ok(
        &order,
        &housing(),
        Command::Return {
            reason: "属于供水管网问题".into(),
        },
    );
    let returned = desk.order(&order);
    assert_eq!(returned.phase(), Phase::Returned);
    assert_eq!(returned.department(), None);
    assert_eq!(returned.deadline(), None);
    assert_eq!(returned.counters().returns, 1);

    // Not the agent's, not the handler's: the dispatcher's job.
    for actor in [agent(), housing(), supervisor()] {
        assert!(matches!(
            desk.run(
                &order,
                &actor,
                Command::Redispatch {
                    department: "water".into()
                }
            ),
            Err(OrderError::RoleNotAllowed { .. })
        ));
    }
    assert_eq!(
        desk.run(
            &order,
            &dispatcher(),
            Command::Redispatch {
                department: "fire".into()
            }
        ),
        Err(OrderError::UnknownDepartment {
            department: "fire".into()
        })
    );

    desk.at("2026-11-04T09:00").ok(
        &order,
        &dispatcher(),
        Command::Redispatch {
            department: "water".into(),
        },
    );
    let redispatched = desk.order(&order);
    assert_eq!(redispatched.phase(), Phase::Dispatched);
    assert_eq!(redispatched.department(), Some(&"water".into()));
    // Five working days from Wednesday 4th: 5, 6, 9, 10, 11.
    assert_eq!(redispatched.deadline(), Some(beijing("2026-11-12T00:00")));
    assert_eq!(redispatched.counters().redispatches, 1);

    // Housing has no say any more; water does.
    assert!(matches!(
        desk.run(&order, &housing(), Command::Accept),
        Err(OrderError::NotYourDepartment { .. })
    ));
    desk.ok(&order, &water(), Command::Accept);
    assert_eq!(desk.order(&order).handler(), Some(&water().user));
}

#[test]
fn returns_are_counted_every_time() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.create(1, "request", Some(1));
    desk.ok(&order, &agent(), Command::Dispatch);
    // Returned before anyone accepted it, back to housing, returned again.
    for _ in 0..2 {
        desk.ok(
            &order,
            &housing(),
            Command::Return {
                reason: "不属于本单位职责".into(),
            },
        );
        desk.ok(
            &order,
            &dispatcher(),
            Command::Redispatch {
                department: "housing".into(),
            },
        );
    }
    let counters = desk.order(&order).counters();
    assert_eq!((counters.returns, counters.redispatches), (2, 2));
    assert_eq!(
        desk.run(&order, &housing(), Command::Return { reason: " ".into() }),
        Err(OrderError::EmptyText { field: "reason" })
    );
}

#[test]
fn a_replied_order_cannot_be_returned() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.accepted(1, "request", &housing());
    desk.ok(
        &order,
        &housing(),
        Command::Reply {
            text: "已维修".into(),
        },
    );
    assert_eq!(
        desk.run(
            &order,
            &housing(),
            Command::Return {
                reason: "错派".into()
            }
        ),
        Err(OrderError::WrongPhase {
            action: "return",
            phase: Phase::Replied
        })
    );
}
