//! Fewest calls: the call goes to the agent who answered the fewest calls
//! since login; among equals, to the one idle longest.

mod support;

use hotline_acd::{QueueConfig, Strategy};
use support::*;

#[test]
fn the_agent_with_fewest_answered_calls_gets_the_next_one() {
    let mut config = QueueConfig::new(queue("permits"), "Permits");
    config.strategy = Strategy::FewestCalls;
    let mut sim = Sim::new(vec![config]);
    sim.login("alice", &["permits"]);
    sim.login("bob", &["permits"]);

    // alice (idle longest) takes two calls, bob one.
    sim.enqueue(1, "permits"); // alice: 0 calls each, alice idle longest
    sim.handle_call(1, "alice", 10);
    sim.enqueue(2, "permits"); // bob: 0 calls
    sim.handle_call(2, "bob", 10);
    sim.enqueue(3, "permits"); // alice: 1 call each, alice idle longer
    sim.handle_call(3, "alice", 10);

    // carol logs in last: idle shortest, but no calls yet.
    sim.login("carol", &["permits"]);
    assert_eq!(
        sim.enqueue(4, "permits"),
        seq(vec![
            vec![queued(4, "permits")],
            offered(4, "carol", "permits")
        ])
    );
    sim.handle_call(4, "carol", 10);

    // bob and carol have one call each; bob has been idle longer.
    assert_eq!(
        offers(&sim.enqueue(5, "permits")),
        vec![(call(5), agent("bob"))]
    );
    // Then carol (1 call) before alice (2 calls).
    assert_eq!(
        offers(&sim.enqueue(6, "permits")),
        vec![(call(6), agent("carol"))]
    );
    assert_eq!(
        offers(&sim.enqueue(7, "permits")),
        vec![(call(7), agent("alice"))]
    );
}

#[test]
fn the_count_restarts_at_login() {
    let mut config = QueueConfig::new(queue("permits"), "Permits");
    config.strategy = Strategy::FewestCalls;
    let mut sim = Sim::new(vec![config]);
    sim.login("alice", &["permits"]);
    sim.login("bob", &["permits"]);
    sim.enqueue(1, "permits");
    sim.handle_call(1, "alice", 10);
    sim.enqueue(2, "permits");
    sim.handle_call(2, "bob", 10);
    sim.enqueue(3, "permits");
    sim.handle_call(3, "alice", 10);

    sim.acd.logout(sim.now, &agent("alice")).unwrap();
    sim.drain();
    sim.login("alice", &["permits"]);
    assert_eq!(
        offers(&sim.enqueue(4, "permits")),
        vec![(call(4), agent("alice"))]
    );
}
