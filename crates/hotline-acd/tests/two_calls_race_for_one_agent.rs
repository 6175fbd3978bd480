//! Two callers, one free agent: the agent rings for exactly one call (the
//! one first in line), and the other waits for the next free agent.

mod support;

use hotline_acd::{AgentState, QueueConfig};
use support::*;

#[test]
fn one_agent_rings_for_one_call_at_a_time() {
    let mut sim = Sim::new(vec![QueueConfig::new(queue("housing"), "Housing")]);
    sim.login("alice", &["housing"]);

    assert_eq!(
        sim.enqueue(1, "housing"),
        seq(vec![
            vec![queued(1, "housing")],
            offered(1, "alice", "housing")
        ])
    );
    assert_eq!(sim.enqueue(2, "housing"), vec![queued(2, "housing")]);
    assert_eq!(
        sim.state("alice"),
        Some(AgentState::Offered { call: call(1) })
    );

    // The next free agent takes call 2.
    let actions = sim.login("bob", &["housing"]);
    assert_eq!(offers(&actions), vec![(call(2), agent("bob"))]);
}

#[test]
fn an_agent_of_two_queues_takes_the_best_caller_across_them() {
    let mut sim = Sim::new(vec![
        QueueConfig::new(queue("housing"), "Housing"),
        QueueConfig::new(queue("taxes"), "Taxes"),
    ]);
    sim.login("alice", &["housing", "taxes"]);
    sim.acd
        .set_break(sim.now, &agent("alice"), "meeting")
        .unwrap();
    sim.drain();

    sim.enqueue(1, "housing");
    sim.advance_secs(1);
    sim.enqueue(2, "taxes");
    sim.advance_secs(1);
    sim.enqueue_with(3, "housing", 2, &[]);

    // Priority first (call 3), then the longest wait (call 1, then call 2):
    // each offer comes as alice finishes the call before.
    sim.acd.set_available(sim.now, &agent("alice")).unwrap();
    let mut actions = sim.drain();
    let mut order = Vec::new();
    for n in [3, 1, 2] {
        order.extend(offers(&actions));
        actions = sim.handle_call(n, "alice", 1);
    }
    assert_eq!(
        order,
        vec![
            (call(3), agent("alice")),
            (call(1), agent("alice")),
            (call(2), agent("alice"))
        ]
    );
}

#[test]
fn two_agents_freed_at_once_take_the_two_calls_in_their_order() {
    let mut config = QueueConfig::new(queue("housing"), "Housing");
    config.rna_not_ready = false;
    let mut sim = Sim::new(vec![config]);
    sim.login("alice", &["housing"]);
    sim.advance_secs(1);
    sim.login("bob", &["housing"]);
    sim.enqueue(1, "housing"); // alice
    sim.enqueue(2, "housing"); // bob
    sim.enqueue(3, "housing"); // waits
    sim.enqueue(4, "housing"); // waits

    // Both phones ring out at the same instant: both calls go back to the
    // head, and the two agents (back at the end of the idle line) take them
    // again, first call first.
    let actions = sim.advance_secs(20);
    assert_eq!(
        offers(&actions),
        vec![(call(1), agent("alice")), (call(2), agent("bob"))]
    );
    assert_eq!(
        sim.acd.position(sim.now, call(3)).map(|p| p.position),
        Some(3)
    );
}
