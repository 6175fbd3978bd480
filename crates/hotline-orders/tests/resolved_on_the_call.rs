//! 直接办结: the agent answers the citizen during the call and closes the
//! order without dispatching it; it counts as on time and, when the
//! category asks for it, is followed up like any other.

mod support;

use hotline_orders::{Command, InboxStatus, OrderChange, OrderError, OrderFigures, Phase};
use support::*;

#[test]
fn the_agent_replies_and_closes_during_the_call() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.create(1, "consultation", Some(5));
    let events = desk.ok(
        &order,
        &agent(),
        Command::ResolveOnCall {
            reply: "社保卡可在任一服务网点补办".into(),
        },
    );
    assert_eq!(
        events.iter().map(|e| e.change.clone()).collect::<Vec<_>>(),
        vec![
            OrderChange::Replied {
                text: "社保卡可在任一服务网点补办".into()
            },
            OrderChange::Closed {
                resolved_on_call: true
            },
        ],
        "consultations need no follow-up"
    );
    let closed = desk.order(&order);
    assert_eq!(closed.phase(), Phase::Closed);
    assert_eq!(closed.department(), None);
    assert_eq!(closed.closed_on_time(), Some(true));
    assert!(OrderFigures::of(closed).resolved_on_call);
    assert_eq!(
        desk.inbox()
            .classify(closed, &"government_services".into(), desk.now),
        Ok(None)
    );
}

#[test]
fn a_request_resolved_on_the_call_is_still_followed_up() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.create(1, "request", Some(5));
    desk.ok(
        &order,
        &agent(),
        Command::ResolveOnCall {
            reply: "已告知维修电话".into(),
        },
    );
    assert_eq!(
        desk.order(&order).follow_up_due(),
        Some(beijing("2026-11-03T00:00"))
    );
}

#[test]
fn only_a_new_order_can_be_resolved_on_the_call() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.create(1, "request", Some(5));
    assert_eq!(
        desk.run(
            &order,
            &agent(),
            Command::ResolveOnCall { reply: " ".into() }
        ),
        Err(OrderError::EmptyText { field: "reply" })
    );
    assert!(matches!(
        desk.run(
            &order,
            &housing(),
            Command::ResolveOnCall {
                reply: "好".into()
            }
        ),
        Err(OrderError::RoleNotAllowed { .. })
    ));
    desk.ok(&order, &agent(), Command::Dispatch);
    assert_eq!(
        desk.run(
            &order,
            &agent(),
            Command::ResolveOnCall {
                reply: "好".into()
            }
        ),
        Err(OrderError::WrongPhase {
            action: "resolve on the call",
            phase: Phase::Dispatched
        })
    );
    assert_eq!(
        desk.inbox()
            .classify(desk.order(&order), &"housing".into(), desk.now),
        Ok(Some(InboxStatus::New))
    );
}
