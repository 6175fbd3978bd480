//! Overflow rules: a maximum wait or a full queue moves callers to another
//! queue, to voicemail or to a callback offer; with nobody logged in, the
//! configured target applies at once; overflow loops end in the IVR's
//! fallback branch.

mod support;

use hotline_acd::{Action, AgentState, Overflow, QueueConfig};
use hotline_types::CallEvent;
use support::*;

fn overflowed(n: u128, from: &str, to: &str, reason: &str) -> Action {
    event(
        n,
        CallEvent::Overflowed {
            from: queue(from),
            to: to.into(),
            reason: reason.into(),
        },
    )
}

fn to_ivr(n: u128, to: Overflow, reason: &str) -> Action {
    Action::Overflow {
        call: call(n),
        to,
        reason: reason.into(),
    }
}

#[test]
fn a_caller_past_max_wait_moves_to_the_overflow_queue() {
    let mut housing = QueueConfig::new(queue("housing"), "Housing");
    housing.max_wait = Some(secs(120));
    housing.overflow = Overflow::Queue(queue("general"));
    housing.announce_every = None;
    let mut sim = Sim::new(vec![housing, QueueConfig::new(queue("general"), "General")]);
    sim.login("alice", &["housing"]);
    sim.acd
        .set_break(sim.now, &agent("alice"), "meeting")
        .unwrap();
    sim.login("bob", &["general"]);
    sim.drain();
    sim.enqueue(1, "housing");

    assert_eq!(sim.advance_secs(119), vec![]);
    assert_eq!(
        sim.advance_secs(1),
        seq(vec![
            vec![
                overflowed(1, "housing", "general", "max_wait"),
                queued(1, "general"),
            ],
            offered(1, "bob", "general"),
        ])
    );
    // Its wait in the new queue starts at the overflow.
    sim.advance_secs(2);
    assert_eq!(sim.answer(1, "bob"), answered(1, "bob", "general", 2_000));
}

#[test]
fn a_full_queue_sends_new_callers_on_at_once() {
    let mut config = QueueConfig::new(queue("housing"), "Housing");
    config.max_waiting = Some(2);
    config.overflow = Overflow::Callback;
    let mut sim = Sim::new(vec![config]);
    sim.login("alice", &["housing"]);
    sim.acd
        .set_break(sim.now, &agent("alice"), "meeting")
        .unwrap();
    sim.drain();
    sim.enqueue(1, "housing");
    sim.enqueue(2, "housing");

    assert_eq!(
        sim.enqueue(3, "housing"),
        vec![
            queued(3, "housing"),
            overflowed(3, "housing", "callback", "queue_full"),
            to_ivr(3, Overflow::Callback, "queue_full"),
        ]
    );
    assert_eq!(sim.acd.position(sim.now, call(3)), None);
}

#[test]
fn with_nobody_logged_in_the_fallback_applies_at_once() {
    let mut sim = Sim::new(vec![QueueConfig::new(queue("housing"), "Housing")]);
    assert_eq!(
        sim.enqueue(1, "housing"),
        vec![
            queued(1, "housing"),
            overflowed(1, "housing", "fallback", "no_agents"),
            to_ivr(1, Overflow::Fallback, "no_agents"),
        ]
    );
}

#[test]
fn an_overflow_loop_ends_in_the_ivr_fallback() {
    let mut a = QueueConfig::new(queue("a"), "A");
    a.no_agents = Overflow::Queue(queue("b"));
    let mut b = QueueConfig::new(queue("b"), "B");
    b.no_agents = Overflow::Queue(queue("a"));
    let mut sim = Sim::new(vec![a, b]);

    assert_eq!(
        sim.enqueue(1, "a"),
        vec![
            queued(1, "a"),
            overflowed(1, "a", "b", "no_agents"),
            queued(1, "b"),
            overflowed(1, "b", "fallback", "no_agents"),
            to_ivr(1, Overflow::Fallback, "no_agents"),
        ]
    );
}

#[test]
fn a_caller_ringing_when_max_wait_passes_is_not_pulled_away() {
    let mut config = QueueConfig::new(queue("housing"), "Housing");
    config.max_wait = Some(secs(10));
    config.overflow = Overflow::Voicemail;
    let mut sim = Sim::new(vec![config]);
    sim.login("alice", &["housing"]);
    sim.enqueue(1, "housing");

    // Past max_wait while ringing: nothing happens until the phone answers.
    sim.advance_secs(15);
    assert_eq!(
        sim.state("alice"),
        Some(AgentState::Offered { call: call(1) })
    );
    assert_eq!(
        sim.answer(1, "alice"),
        answered(1, "alice", "housing", 15_000)
    );
}

#[test]
fn a_caller_returned_past_max_wait_overflows_if_nobody_is_free() {
    let mut config = QueueConfig::new(queue("housing"), "Housing");
    config.max_wait = Some(secs(10));
    config.overflow = Overflow::Voicemail;
    let mut sim = Sim::new(vec![config]);
    sim.login("alice", &["housing"]);
    sim.enqueue(1, "housing");

    assert_eq!(
        sim.advance_secs(20),
        vec![
            event(
                1,
                CallEvent::RingNoAnswer {
                    queue: queue("housing"),
                    agent: agent("alice"),
                    ring_ms: 20_000,
                }
            ),
            cancel(1, "alice", hotline_acd::CancelReason::RingTimeout),
            on_break("alice", "ring_no_answer"),
            overflowed(1, "housing", "voicemail", "max_wait"),
            to_ivr(1, Overflow::Voicemail, "max_wait"),
        ]
    );
}
