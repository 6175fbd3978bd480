//! Longest-idle routing (the default): the call goes to the agent who has
//! been available longest since their login or their last call.

mod support;

use hotline_acd::{AgentState, QueueConfig};
use support::*;

fn housing() -> Sim {
    let mut sim = Sim::new(vec![QueueConfig::new(queue("housing"), "Housing")]);
    for name in ["alice", "bob", "carol"] {
        assert_eq!(
            sim.login(name, &["housing"]),
            vec![changed(name, AgentState::Available)]
        );
        sim.advance_secs(1);
    }
    sim
}

#[test]
fn the_call_goes_to_the_agent_idle_longest() {
    let mut sim = housing();
    sim.advance_secs(10);

    assert_eq!(
        sim.enqueue(1, "housing"),
        seq(vec![
            vec![queued(1, "housing")],
            offered(1, "alice", "housing")
        ])
    );
    assert_eq!(
        sim.enqueue(2, "housing"),
        seq(vec![
            vec![queued(2, "housing")],
            offered(2, "bob", "housing")
        ])
    );
}

#[test]
fn an_agent_back_from_a_call_goes_to_the_back_of_the_line() {
    let mut sim = housing();
    sim.enqueue(1, "housing");
    sim.handle_call(1, "alice", 5);
    assert_eq!(sim.state("alice"), Some(AgentState::Available));

    let mut order = Vec::new();
    for n in 2..=4 {
        order.extend(offers(&sim.enqueue(n, "housing")));
    }
    assert_eq!(
        order,
        vec![
            (call(2), agent("bob")),
            (call(3), agent("carol")),
            (call(4), agent("alice"))
        ]
    );
}

#[test]
fn a_break_ends_the_idle_time() {
    let mut sim = housing();
    sim.acd
        .set_break(sim.now, &agent("alice"), "lunch")
        .unwrap();
    sim.drain();
    sim.advance_secs(60);
    sim.acd.set_available(sim.now, &agent("alice")).unwrap();
    assert_eq!(sim.drain(), vec![changed("alice", AgentState::Available)]);

    let offered_to = offers(&sim.enqueue(1, "housing"));
    assert_eq!(offered_to, vec![(call(1), agent("bob"))]);
}
