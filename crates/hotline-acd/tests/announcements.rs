//! Waiting callers hear their position and estimated wait every
//! `announce_every`; ringing callers hear nothing. The estimate is position
//! × mean handle time of the last calls ÷ agents working the queue.

mod support;

use hotline_acd::{Action, QueueConfig};
use support::*;

fn announce(n: u128, position: u32, estimated_secs: Option<u64>) -> Action {
    Action::Announce {
        call: call(n),
        position,
        estimated_wait: estimated_secs.map(secs),
    }
}

#[test]
fn waiting_callers_hear_their_position_every_interval() {
    let mut sim = Sim::new(vec![QueueConfig::new(queue("housing"), "Housing")]);
    sim.login("alice", &["housing"]);
    sim.enqueue(1, "housing");
    sim.answer(1, "alice");
    sim.enqueue(2, "housing");
    sim.advance_secs(10);
    sim.enqueue(3, "housing");

    // No handle time is known yet: no estimate.
    assert_eq!(sim.advance_secs(20), vec![announce(2, 1, None)]);
    assert_eq!(sim.advance_secs(10), vec![announce(3, 2, None)]);
    assert_eq!(
        sim.advance_secs(30),
        vec![announce(2, 1, None), announce(3, 2, None)]
    );
}

#[test]
fn the_estimate_follows_recent_handle_times_and_staffing() {
    let mut sim = Sim::new(vec![QueueConfig::new(queue("housing"), "Housing")]);
    sim.login("alice", &["housing"]);
    sim.login("bob", &["housing"]);
    sim.enqueue(1, "housing"); // alice
    sim.enqueue(2, "housing"); // bob
    sim.answer(1, "alice");
    sim.answer(2, "bob");
    sim.advance_secs(100);
    sim.talk_ended(1);
    sim.wrap_up_done("alice", "resolved"); // handled in 100 s
    sim.advance_secs(100);
    sim.talk_ended(2);
    sim.wrap_up_done("bob", "resolved"); // handled in 200 s

    sim.enqueue(3, "housing");
    sim.enqueue(4, "housing");
    sim.answer(3, "alice");
    sim.answer(4, "bob");
    sim.enqueue(5, "housing");
    sim.enqueue(6, "housing");

    // Mean handle time 150 s, two agents: 75 s per place in line.
    let estimate = |sim: &Sim, n| {
        sim.acd
            .position(sim.now, call(n))
            .and_then(|p| p.estimated_wait)
    };
    assert_eq!(estimate(&sim, 5), Some(secs(75)));
    assert_eq!(estimate(&sim, 6), Some(secs(150)));
    assert_eq!(
        sim.advance_secs(30),
        vec![announce(5, 1, Some(75)), announce(6, 2, Some(150))]
    );
}

#[test]
fn a_ringing_caller_hears_nothing() {
    let mut config = QueueConfig::new(queue("housing"), "Housing");
    config.ring_timeout = secs(45);
    let mut sim = Sim::new(vec![config]);
    sim.login("alice", &["housing"]);
    sim.enqueue(1, "housing");
    assert_eq!(sim.advance_secs(44), vec![]);
}
