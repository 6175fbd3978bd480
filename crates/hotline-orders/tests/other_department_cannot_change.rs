//! Every department may read every order; only the handling department
//! changes it. A handler of two departments works both.

mod support;

use hotline_orders::{Actor, Command, OrderError};
use support::*;

fn not_yours(actor: &Actor) -> OrderError {
    OrderError::NotYourDepartment {
        user: actor.user.clone(),
        department: "housing".into(),
    }
}

#[test]
fn a_water_handler_cannot_touch_a_housing_order() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.create(1, "request", Some(1));
    desk.ok(&order, &agent(), Command::Dispatch);
    assert_eq!(
        desk.run(&order, &water(), Command::Accept),
        Err(not_yours(&water()))
    );

    desk.ok(&order, &housing(), Command::Accept);
    let length = desk.log(&order).len();
    for command in [
        Command::AddNote {
            text: "看一下".into(),
        },
        Command::RequestExtension {
            working_days: 2,
            reason: "忙".into(),
        },
        Command::Return {
            reason: "不是我们的".into(),
        },
        Command::Reply {
            text: "已修好".into(),
        },
    ] {
        assert_eq!(
            desk.run(&order, &water(), command),
            Err(not_yours(&water()))
        );
    }
    desk.ok(
        &order,
        &housing(),
        Command::Reply {
            text: "已修好".into(),
        },
    );
    assert_eq!(
        desk.run(&order, &water(), Command::Close),
        Err(not_yours(&water()))
    );
    assert_eq!(
        desk.log(&order).len(),
        length + 1,
        "only housing's reply was appended"
    );

    // Reading is open to all: the water handler sees the same order.
    let seen = desk.order(&order);
    assert_eq!(seen.department(), Some(&"housing".into()));
    assert_eq!(seen.reply(), Some("已修好"));
}

#[test]
fn a_handler_of_two_departments_works_both() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let both = Actor::handler("he.both", &["water", "housing"]);
    let order = desk.accepted(1, "request", &both);
    desk.ok(
        &order,
        &both,
        Command::AddNote {
            text: "已联系物业".into(),
        },
    );
    assert_eq!(desk.order(&order).notes()[0].by, both.user);
    assert_eq!(desk.order(&order).handler(), Some(&both.user));
}

#[test]
fn agents_and_supervisors_do_not_handle() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.create(1, "request", Some(1));
    desk.ok(&order, &agent(), Command::Dispatch);
    for actor in [agent(), dispatcher(), supervisor()] {
        assert!(matches!(
            desk.run(&order, &actor, Command::Accept),
            Err(OrderError::RoleNotAllowed {
                action: "accept",
                ..
            })
        ));
    }
}
