//! A callback asked for at night is not placed at night: it is handed to
//! the ACD when the office opens, and every step is written down.

mod support;

use hotline_call::{Input, Outcome, Output, Policy};
use hotline_store::CallbackStatus;
use hotline_types::QueueId;
use support::*;

#[test]
fn a_night_request_is_placed_when_the_office_opens() {
    // 23:00 Monday night.
    let mut sim = Sim::new(Policy::default(), MONDAY_MIDNIGHT - HOUR);
    let out = sim.input(Input::Added(pending(1, sim.now.as_millis(), 0)));
    assert!(enqueued(&out).is_empty(), "closed: nothing placed");
    // All night: nothing.
    let out = sim.advance_to(MONDAY_MIDNIGHT + 8 * HOUR - MINUTE);
    assert!(enqueued(&out).is_empty(), "{out:?}");
    // 08:00 (within the closed-office recheck of a minute): placed.
    let out = sim.advance_to(MONDAY_MIDNIGHT + 8 * HOUR + MINUTE);
    assert_eq!(enqueued(&out), vec![call(1)]);
    assert!(out.contains(&Output::Enqueue {
        id: id(1),
        call: call(1),
        queue: QueueId::from("general"),
        number: "13800000001".into(),
        language: "zh".into(),
        priority: 0,
    }));
    assert_eq!(statuses(&out, id(1)), vec![CallbackStatus::Placing]);
    // The agent talked with the citizen: done, out of the list.
    let out = sim.input(Input::Outcome {
        call: call(1),
        outcome: Outcome::Talked,
    });
    assert_eq!(statuses(&out, id(1)), vec![CallbackStatus::Done]);
    assert_eq!(sim.scheduler.open_count(), 0);
    assert_eq!(sim.scheduler.poll_timeout(sim.now), None);
}

#[test]
fn a_restart_resumes_the_list_and_retries_an_interrupted_attempt() {
    // Loaded at 09:00: one callback was being placed when the hotline stopped.
    let mut sim = Sim::new(Policy::default(), MONDAY_MIDNIGHT + 9 * HOUR);
    let mut interrupted = pending(1, MONDAY_MIDNIGHT - HOUR, 0);
    interrupted.status = CallbackStatus::Placing;
    interrupted.attempts = 1;
    let waiting = pending(2, MONDAY_MIDNIGHT - 2 * HOUR, 0);
    let out = sim.input(Input::Loaded(vec![interrupted, waiting]));
    // Oldest request first; both placed at once (the office is open).
    assert_eq!(enqueued(&out), vec![call(2), call(1)]);
    assert_eq!(
        statuses(&out, id(1)),
        vec![CallbackStatus::Pending, CallbackStatus::Placing]
    );
    let attempts = out
        .iter()
        .rev()
        .find_map(|o| match o {
            Output::Persist { id: i, update } if *i == id(1) => Some(update.attempts),
            _ => None,
        })
        .unwrap();
    assert_eq!(attempts, 2, "the interrupted attempt counted once");
}

#[test]
fn priority_then_age_decides_and_the_acd_gets_a_few_at_a_time() {
    let policy = Policy {
        max_in_acd: 2,
        ..Policy::default()
    };
    let mut sim = Sim::new(policy, MONDAY_MIDNIGHT + 2 * HOUR);
    for (n, priority) in [(1, 0), (2, 0), (3, 5)] {
        let at = MONDAY_MIDNIGHT + n as i64 * MINUTE;
        sim.input(Input::Added(pending(n, at, priority)));
    }
    let out = sim.advance_to(MONDAY_MIDNIGHT + 8 * HOUR + MINUTE);
    assert_eq!(enqueued(&out), vec![call(3), call(1)]);
    assert_eq!(sim.scheduler.in_acd_count(), 2);
    // One ends: the next goes in.
    let out = sim.input(Input::Outcome {
        call: call(3),
        outcome: Outcome::Talked,
    });
    assert_eq!(enqueued(&out), vec![call(2)]);
}
