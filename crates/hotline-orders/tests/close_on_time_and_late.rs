//! The on-time figure: an order closed at or before its deadline is on
//! time, one closed after it is late. Supervisors urge late orders.

mod support;

use hotline_orders::{Command, OrderError, OrderFigures, Phase};
use support::*;

#[test]
fn closed_before_the_deadline_is_on_time() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.accepted(1, "request", &housing());
    desk.at("2026-11-09T23:59");
    desk.reply_and_close(&order, &housing());
    let closed = desk.order(&order);
    assert_eq!(closed.phase(), Phase::Closed);
    assert_eq!(closed.closed_on_time(), Some(true));
    assert_eq!(closed.reply(), Some("已处理完毕"));
}

#[test]
fn closed_exactly_at_the_deadline_is_still_on_time() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.accepted(1, "request", &housing());
    desk.at("2026-11-10T00:00");
    desk.reply_and_close(&order, &housing());
    assert_eq!(desk.order(&order).closed_on_time(), Some(true));
}

#[test]
fn closed_after_the_deadline_is_late_even_if_replied_in_time() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.accepted(1, "request", &housing());
    desk.at("2026-11-09T17:00").ok(
        &order,
        &housing(),
        Command::Reply {
            text: "已维修".into(),
        },
    );
    desk.at("2026-11-10T08:30")
        .ok(&order, &housing(), Command::Close);
    let late = desk.order(&order);
    assert_eq!(late.closed_on_time(), Some(false));
    assert_eq!(
        OrderFigures::of(late),
        OrderFigures {
            category: "request".into(),
            department: Some("housing".into()),
            closed_on_time: Some(false),
            resolved_on_call: false,
            counters: late.counters(),
        }
    );
}

#[test]
fn an_open_order_has_no_on_time_figure_and_can_be_urged() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.accepted(1, "request", &housing());
    assert_eq!(desk.order(&order).closed_on_time(), None);
    desk.at("2026-11-11T09:00").ok(
        &order,
        &supervisor(),
        Command::Urge {
            note: "已超期，请尽快办理".into(),
        },
    );
    desk.ok(
        &order,
        &supervisor(),
        Command::Urge {
            note: "第二次督办".into(),
        },
    );
    assert_eq!(desk.order(&order).counters().urges, 2);
    assert!(matches!(
        desk.run(&order, &housing(), Command::Urge { note: "x".into() }),
        Err(OrderError::RoleNotAllowed { .. })
    ));
    desk.reply_and_close(&order, &housing());
    assert_eq!(
        desk.run(
            &order,
            &supervisor(),
            Command::Urge {
                note: "迟了".into()
            }
        ),
        Err(OrderError::WrongPhase {
            action: "urge",
            phase: Phase::Closed
        })
    );
}

#[test]
fn close_needs_a_reply_first() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.accepted(1, "request", &housing());
    assert_eq!(
        desk.run(&order, &housing(), Command::Close),
        Err(OrderError::WrongPhase {
            action: "close",
            phase: Phase::InProgress
        })
    );
    assert_eq!(
        desk.run(&order, &housing(), Command::Reply { text: "".into() }),
        Err(OrderError::EmptyText { field: "reply" })
    );
}
