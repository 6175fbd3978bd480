//! A follow-up call that reaches nobody is recorded on the order
//! (`follow_up_attempted`) and the hotline calls that reporter again after
//! the retry spacing, up to the attempts allowed; then, or at once after a
//! refused number or an answer without a score, the reporter waits on the
//! agents' follow-up list (no next call). The log alone says all of it, so
//! a restart folds the same attempts back.

mod support;

use std::time::Duration;

use hotline_orders::{
    Command, FollowUpAttempt, FollowUpRetry, OrderChange, OrderError, Phase, WorkOrder,
};
use hotline_types::CaseRef;
use support::*;

const RETRY: FollowUpRetry = FollowUpRetry {
    after: Duration::from_secs(2 * 3600),
    attempts: 3,
};

fn attempt(reporter: &CaseRef, outcome: FollowUpAttempt) -> Command {
    Command::RecordFollowUpAttempt {
        reporter: reporter.clone(),
        outcome,
        retry: RETRY,
    }
}

fn closed_order(desk: &mut Desk) -> CaseRef {
    let order = desk.accepted(1, "request", &housing());
    desk.at("2026-11-05T16:00");
    desk.reply_and_close(&order, &housing());
    order
}

#[test]
fn unanswered_calls_are_retried_then_the_reporter_is_listed_for_agents() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = closed_order(&mut desk);
    let due = beijing("2026-11-06T00:00");
    let first = &desk.order(&order).follow_up_calls()[0];
    assert_eq!(
        (first.attempts, first.next_attempt_at),
        (0, Some(due)),
        "the first call is due with the follow-up"
    );
    assert_eq!(desk.order(&order).next_follow_up_call_at(), Some(due));

    desk.at("2026-11-06T09:00");
    let events = desk.ok(&order, &agent(), attempt(&order, FollowUpAttempt::NoAnswer));
    assert_eq!(
        events[0].change,
        OrderChange::FollowUpAttempted {
            reporter: order.clone(),
            outcome: FollowUpAttempt::NoAnswer,
            next_attempt_at: Some(beijing("2026-11-06T11:00")),
        }
    );
    desk.at("2026-11-06T11:00");
    desk.ok(&order, &agent(), attempt(&order, FollowUpAttempt::Failed));
    let second = &desk.order(&order).follow_up_calls()[0];
    assert_eq!(second.attempts, 2);
    assert_eq!(second.last_outcome, Some(FollowUpAttempt::Failed));
    assert_eq!(second.next_attempt_at, Some(beijing("2026-11-06T13:00")));

    // The third call is the last: the reporter is left to the agents.
    desk.at("2026-11-06T13:00");
    desk.ok(&order, &agent(), attempt(&order, FollowUpAttempt::NoAnswer));
    let listed = desk.order(&order);
    assert_eq!(listed.follow_up_calls()[0].attempts, 3);
    assert_eq!(listed.follow_up_calls()[0].next_attempt_at, None);
    assert_eq!(listed.next_follow_up_call_at(), None);
    assert_eq!(listed.phase(), Phase::Closed);
    assert_eq!(listed.reporters_to_call().len(), 1, "still awaited");

    // The log folds to the same order: attempts survive a restart.
    let refolded = WorkOrder::from_events(desk.log(&order)).expect("folds");
    assert_eq!(&refolded, desk.order(&order));

    // An agent from the list reaches the citizen and records the score.
    desk.at("2026-11-09T10:00");
    desk.ok(
        &order,
        &agent(),
        Command::RecordFollowUp {
            reporter: order.clone(),
            score: 5,
        },
    );
    assert_eq!(desk.order(&order).phase(), Phase::FollowedUp);
    assert!(desk.order(&order).follow_up_calls().is_empty());
}

#[test]
fn a_refused_number_or_an_answer_without_a_score_goes_to_the_list_at_once() {
    for outcome in [FollowUpAttempt::Refused, FollowUpAttempt::NoScore] {
        let mut desk = Desk::new("2026-11-02T09:00");
        let order = closed_order(&mut desk);
        desk.at("2026-11-06T09:00");
        desk.ok(&order, &agent(), attempt(&order, outcome));
        let call = &desk.order(&order).follow_up_calls()[0];
        assert_eq!(call.attempts, 1, "{outcome:?}");
        assert_eq!(call.next_attempt_at, None, "{outcome:?} is not retried");
    }
}

#[test]
fn only_an_awaited_reporter_of_a_closed_order_has_follow_up_calls() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let open = desk.accepted(2, "request", &housing());
    assert!(matches!(
        desk.run(&open, &agent(), attempt(&open, FollowUpAttempt::NoAnswer)),
        Err(OrderError::WrongPhase { .. })
    ));
    let order = closed_order(&mut desk);
    let stranger = reference(99);
    assert_eq!(
        desk.run(
            &order,
            &agent(),
            attempt(&stranger, FollowUpAttempt::NoAnswer)
        ),
        Err(OrderError::NotAwaitingFollowUp { reporter: stranger })
    );
    assert!(matches!(
        desk.run(
            &order,
            &housing(),
            attempt(&order, FollowUpAttempt::NoAnswer)
        ),
        Err(OrderError::RoleNotAllowed { .. })
    ));
}

#[test]
fn attempts_read_back_from_json() {
    let change = OrderChange::FollowUpAttempted {
        reporter: reference(1),
        outcome: FollowUpAttempt::NoScore,
        next_attempt_at: None,
    };
    let json = serde_json::to_string(&change).expect("serialises");
    assert!(json.contains(r#""kind":"follow_up_attempted""#), "{json}");
    assert!(json.contains(r#""outcome":"no_score""#), "{json}");
    let back: OrderChange = serde_json::from_str(&json).expect("reads back");
    assert_eq!(back, change);
}
