//! Round robin: calls go to the agents in turn (login order), wherever the
//! last call went, not to whoever has been idle longest.

mod support;

use hotline_acd::{QueueConfig, Strategy};
use support::*;

fn taxes() -> Sim {
    let mut config = QueueConfig::new(queue("taxes"), "Taxes");
    config.strategy = Strategy::RoundRobin;
    let mut sim = Sim::new(vec![config]);
    for name in ["alice", "bob", "carol"] {
        sim.login(name, &["taxes"]);
    }
    sim
}

#[test]
fn calls_go_round_the_agents_in_login_order() {
    let mut sim = taxes();
    let mut order = Vec::new();
    for n in 1..=3 {
        let actions = sim.enqueue(n, "taxes");
        order.extend(offers(&actions));
        sim.handle_call(n, order.last().map(|(_, a)| a.as_str()).unwrap_or(""), 1);
    }
    // alice is free again (and idle longest), but the turn is alice's only
    // after carol.
    for n in 4..=5 {
        order.extend(offers(&sim.enqueue(n, "taxes")));
    }
    assert_eq!(
        order,
        vec![
            (call(1), agent("alice")),
            (call(2), agent("bob")),
            (call(3), agent("carol")),
            (call(4), agent("alice")),
            (call(5), agent("bob")),
        ]
    );
}

#[test]
fn a_busy_agent_is_skipped_and_the_turn_moves_on() {
    let mut sim = taxes();
    sim.enqueue(1, "taxes"); // alice
    sim.answer(1, "alice");
    sim.enqueue(2, "taxes"); // bob
    sim.answer(2, "bob");
    sim.talk_ended(1);
    sim.wrap_up_done("alice", "resolved");

    // After bob comes carol, then alice again (bob is still talking).
    assert_eq!(
        offers(&sim.enqueue(3, "taxes")),
        vec![(call(3), agent("carol"))]
    );
    assert_eq!(
        offers(&sim.enqueue(4, "taxes")),
        vec![(call(4), agent("alice"))]
    );
}
