//! An order's log is JSON the store can keep (flat, `kind` in snake case),
//! reads back to the same events, and a broken history is an error.

mod support;

use hotline_orders::{Command, OrderChange, OrderError, OrderEvent, WorkOrder};
use support::*;

#[test]
fn a_whole_life_round_trips_through_json() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.accepted(1, "request", &housing());
    desk.ok(
        &order,
        &housing(),
        Command::AddNote {
            text: "已联系物业".into(),
        },
    );
    desk.reply_and_close(&order, &housing());
    desk.ok(
        &order,
        &agent(),
        Command::RecordFollowUp {
            reporter: order.clone(),
            score: 5,
        },
    );
    let log = desk.log(&order).to_vec();
    let json = serde_json::to_string(&log).unwrap();
    let back: Vec<OrderEvent> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, log);
    assert_eq!(&WorkOrder::from_events(&back).unwrap(), desk.order(&order));

    let kinds: Vec<&str> = log.iter().map(|e| e.change.kind()).collect();
    assert_eq!(
        kinds,
        [
            "created",
            "dispatched",
            "accepted",
            "note_added",
            "replied",
            "closed",
            "follow_up_due",
            "follow_up_recorded"
        ]
    );
    let first: serde_json::Value = serde_json::to_value(&log[1]).unwrap();
    assert_eq!(first["kind"], "dispatched");
    assert_eq!(first["department"], "housing");
    assert_eq!(first["by"], "li.agent");
    let created: serde_json::Value = serde_json::to_value(&log[0]).unwrap();
    assert_eq!(created["channel"], "call");
    assert_eq!(created["reference"], order.digits());
}

#[test]
fn a_broken_history_does_not_fold() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.accepted(1, "request", &housing());
    let log = desk.log(&order).to_vec();

    assert_eq!(WorkOrder::from_events(&[]), Err(OrderError::EmptyHistory));
    assert_eq!(
        WorkOrder::from_events(&log[1..]),
        Err(OrderError::NotCreatedFirst { kind: "dispatched" })
    );
    let twice = [log[0].clone(), log[0].clone()];
    assert_eq!(
        WorkOrder::from_events(&twice),
        Err(OrderError::CreatedTwice {
            reference: order.clone()
        })
    );
    // Accepted before it was dispatched.
    let skipped = [log[0].clone(), log[2].clone()];
    assert!(matches!(
        WorkOrder::from_events(&skipped),
        Err(OrderError::WrongPhase {
            action: "accepted",
            ..
        })
    ));
    // An approved extension without its new deadline.
    let mut bad = log.clone();
    bad.push(OrderEvent {
        at: beijing("2026-11-03T09:00"),
        by: housing().user,
        change: OrderChange::ExtensionRequested {
            working_days: 1,
            reason: "r".into(),
        },
    });
    bad.push(OrderEvent {
        at: beijing("2026-11-03T10:00"),
        by: supervisor().user,
        change: OrderChange::ExtensionDecided {
            approved: true,
            new_deadline: None,
        },
    });
    assert!(matches!(
        WorkOrder::from_events(&bad),
        Err(OrderError::Inconsistent {
            kind: "extension_decided",
            ..
        })
    ));
}

#[test]
fn a_failed_apply_leaves_the_order_unchanged() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.create(1, "request", Some(1));
    let mut folded = desk.order(&order).clone();
    let before = folded.clone();
    let close = OrderEvent {
        at: desk.now,
        by: housing().user,
        change: OrderChange::Closed {
            resolved_on_call: false,
        },
    };
    assert!(folded.apply(&close).is_err());
    assert_eq!(folded, before);
}

#[test]
fn an_actor_reads_back_from_its_session_json() {
    let handler: hotline_orders::Actor = serde_json::from_str(
        r#"{"user": "wang.housing", "role": "handler", "departments": ["housing"]}"#,
    )
    .unwrap();
    assert_eq!(handler, housing());
    for actor in [agent(), dispatcher(), supervisor(), water()] {
        let json = serde_json::to_string(&actor).unwrap();
        assert_eq!(
            serde_json::from_str::<hotline_orders::Actor>(&json).unwrap(),
            actor
        );
    }
    assert!(
        serde_json::from_str::<hotline_orders::Actor>(r#"{"user": "x", "role": "mayor"}"#).is_err()
    );
}
