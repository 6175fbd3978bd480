//! Ring-no-answer: the phone rings for the queue's ring timeout, the offer
//! is withdrawn, the agent is set not ready, and the call goes back to the
//! head of the queue and is routed again at once.

mod support;

use hotline_acd::{Action, AgentState, CancelReason, QueueConfig};
use hotline_types::CallEvent;
use support::*;

fn housing(rna_not_ready: bool) -> Sim {
    let mut config = QueueConfig::new(queue("housing"), "Housing");
    config.rna_not_ready = rna_not_ready;
    Sim::new(vec![config])
}

fn ring_no_answer(n: u128, name: &str, ring_ms: u64) -> Action {
    event(
        n,
        CallEvent::RingNoAnswer {
            queue: queue("housing"),
            agent: agent(name),
            ring_ms,
        },
    )
}

#[test]
fn the_offer_times_out_and_the_next_agent_gets_the_call() {
    let mut sim = housing(true);
    sim.login("alice", &["housing"]);
    sim.advance_secs(1);
    sim.login("bob", &["housing"]);
    sim.enqueue(1, "housing");
    assert_eq!(sim.acd.poll_timeout(), Some(sim.now + secs(20)));

    assert_eq!(
        sim.advance_secs(20),
        seq(vec![
            vec![
                ring_no_answer(1, "alice", 20_000),
                cancel(1, "alice", CancelReason::RingTimeout),
                on_break("alice", "ring_no_answer"),
            ],
            offered(1, "bob", "housing"),
        ])
    );
    // The wait counts from the queue entry, not from the second offer.
    assert_eq!(sim.answer(1, "bob"), answered(1, "bob", "housing", 20_000));
}

#[test]
fn the_returned_call_is_served_before_later_callers() {
    let mut sim = housing(true);
    sim.login("alice", &["housing"]);
    sim.enqueue(1, "housing");
    sim.advance_secs(5);
    sim.enqueue(2, "housing");
    sim.advance_secs(15); // alice's phone rings out; nobody else is there

    assert_eq!(
        sim.acd.position(sim.now, call(1)).map(|p| p.position),
        Some(1)
    );
    assert_eq!(
        sim.acd.position(sim.now, call(2)).map(|p| p.position),
        Some(2)
    );
    let actions = sim.login("bob", &["housing"]);
    assert_eq!(offers(&actions), vec![(call(1), agent("bob"))]);
}

#[test]
fn without_rna_not_ready_the_agent_stays_available_and_rings_again() {
    let mut sim = housing(false);
    sim.login("alice", &["housing"]);
    sim.enqueue(1, "housing");
    assert_eq!(
        sim.advance_secs(20),
        seq(vec![
            vec![
                ring_no_answer(1, "alice", 20_000),
                cancel(1, "alice", CancelReason::RingTimeout),
                changed("alice", AgentState::Available),
            ],
            offered(1, "alice", "housing"),
        ])
    );
}

#[test]
fn a_rejected_offer_is_a_ring_no_answer_without_a_cancel() {
    let mut sim = housing(true);
    sim.login("alice", &["housing"]);
    sim.enqueue(1, "housing");
    sim.advance_secs(2);
    sim.acd
        .offer_failed(sim.now, call(1), &agent("alice"))
        .unwrap();
    assert_eq!(
        sim.drain(),
        vec![
            ring_no_answer(1, "alice", 2_000),
            on_break("alice", "ring_no_answer")
        ]
    );
    // No ring timer is left behind for alice; only the caller's announcement.
    assert_eq!(sim.acd.poll_timeout(), Some(sim.now + secs(30)));
}
