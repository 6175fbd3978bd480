//! An attempt that reaches nobody is retried after `retry_after`, up to
//! `max_attempts`; a refused number is never retried; a callback past its
//! window expires; a supervisor may cancel or reprioritise one.

mod support;

use std::time::Duration;

use hotline_call::{Input, Outcome, Output, Policy};
use hotline_store::CallbackStatus;
use support::*;

fn at_ten() -> Sim {
    Sim::new(Policy::default(), MONDAY_MIDNIGHT + 10 * HOUR)
}

#[test]
fn no_answer_is_retried_three_times_then_failed() {
    let mut sim = at_ten();
    let mut out = sim.input(Input::Added(pending(1, sim.now.as_millis(), 0)));
    for attempt in 1..=3 {
        assert_eq!(enqueued(&out), vec![call(1)], "attempt {attempt}");
        out = sim.input(Input::Outcome {
            call: call(1),
            outcome: Outcome::NoAnswer,
        });
        if attempt < 3 {
            assert_eq!(statuses(&out, id(1)), vec![CallbackStatus::Pending]);
            // Not before 15 minutes.
            let early = sim.advance(Duration::from_secs(14 * 60));
            assert!(enqueued(&early).is_empty(), "{early:?}");
            out = sim.advance(Duration::from_secs(60));
        }
    }
    assert_eq!(statuses(&out, id(1)), vec![CallbackStatus::Failed]);
    assert_eq!(sim.scheduler.open_count(), 0);
}

#[test]
fn a_refused_number_is_not_tried_again() {
    let mut sim = at_ten();
    sim.input(Input::Added(pending(1, sim.now.as_millis(), 0)));
    let out = sim.input(Input::Outcome {
        call: call(1),
        outcome: Outcome::Refused,
    });
    assert_eq!(statuses(&out, id(1)), vec![CallbackStatus::Failed]);
    let Output::Persist { update, .. } = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(update.outcome.as_deref(), Some("refused"));
}

#[test]
fn a_callback_past_its_window_expires_unplaced() {
    // Asked for on Monday 21:00; a week of holidays would keep it closed,
    // here the window is shorter than the night.
    let mut sim = Sim::new(Policy::default(), MONDAY_MIDNIGHT - 3 * HOUR);
    let mut short = pending(1, sim.now.as_millis(), 0);
    short.expires_at = hotline_types::Timestamp(MONDAY_MIDNIGHT + 2 * HOUR);
    sim.input(Input::Added(short));
    let out = sim.advance_to(MONDAY_MIDNIGHT + 9 * HOUR);
    assert!(enqueued(&out).is_empty());
    assert_eq!(statuses(&out, id(1)), vec![CallbackStatus::Expired]);
    assert_eq!(sim.scheduler.poll_timeout(sim.now), None);
}

#[test]
fn a_supervisor_cancels_a_queued_callback_and_raises_another() {
    let mut sim = Sim::new(
        Policy {
            max_in_acd: 1,
            ..Policy::default()
        },
        MONDAY_MIDNIGHT + 7 * HOUR,
    );
    sim.input(Input::Added(pending(1, MONDAY_MIDNIGHT, 0)));
    sim.input(Input::Added(pending(2, MONDAY_MIDNIGHT + MINUTE, 0)));
    sim.input(Input::Added(pending(3, MONDAY_MIDNIGHT + 2 * MINUTE, 0)));
    let out = sim.input(Input::Reprioritise {
        id: id(3),
        priority: 9,
        by: "supervisor1".into(),
    });
    let Output::Persist { update, .. } = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(update.priority, 9);
    assert_eq!(update.by.as_deref(), Some("supervisor1"));
    let out = sim.advance_to(MONDAY_MIDNIGHT + 8 * HOUR + MINUTE);
    assert_eq!(enqueued(&out), vec![call(3)], "the raised one goes first");
    // Cancelled while in the ACD: withdrawn, and the next takes its place.
    let out = sim.input(Input::Cancel {
        id: id(3),
        by: "supervisor1".into(),
    });
    assert!(out.contains(&Output::Withdraw { call: call(3) }));
    assert_eq!(statuses(&out, id(3)), vec![CallbackStatus::Cancelled]);
    assert_eq!(enqueued(&out), vec![call(1)]);
    // A late outcome for the cancelled entry changes nothing.
    let out = sim.input(Input::Outcome {
        call: call(3),
        outcome: Outcome::Talked,
    });
    assert!(statuses(&out, id(3)).is_empty());
}

#[test]
fn an_in_queue_request_is_already_in_the_acd() {
    let mut sim = at_ten();
    let out = sim.input(Input::AddedInAcd(pending(1, sim.now.as_millis(), 0)));
    assert!(enqueued(&out).is_empty(), "it keeps its place in the ACD");
    assert_eq!(statuses(&out, id(1)), vec![CallbackStatus::Placing]);
    let out = sim.input(Input::Outcome {
        call: call(1),
        outcome: Outcome::Interrupted,
    });
    // Shut down before it was kept: pending again, the attempt not counted.
    let Output::Persist { update, .. } = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(update.status, CallbackStatus::Pending);
    assert_eq!(update.attempts, 0);
}
