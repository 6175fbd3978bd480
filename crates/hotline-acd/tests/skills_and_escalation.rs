//! Skills-based routing and escalation: the call goes to the qualifying
//! agent with the highest levels in the skills it needs; as the wait grows
//! the queue's escalation steps lower the level needed, drop the skills
//! altogether, or raise the caller's priority.

mod support;

use hotline_acd::{AgentState, EscalationStep, QueueConfig, Strategy};
use support::*;

fn foreign_affairs(escalation: Vec<EscalationStep>) -> Sim {
    let mut config = QueueConfig::new(queue("foreign"), "Foreign residents");
    config.strategy = Strategy::Skills;
    config.escalation = escalation;
    config.announce_every = None;
    Sim::new(vec![config])
}

#[test]
fn the_highest_skill_levels_win_and_unskilled_calls_go_to_the_longest_idle() {
    let mut sim = foreign_affairs(vec![]);
    sim.login_skilled("alice", &["foreign"], &[("mandarin", 3)]);
    sim.login_skilled("bob", &["foreign"], &[("mandarin", 8), ("tax", 5)]);
    sim.login_skilled("carol", &["foreign"], &[]);
    sim.login_skilled("dave", &["foreign"], &[("mandarin", 8), ("tax", 2)]);

    // bob: 8 + 5 = 13, dave: 8 + 2 = 10; alice and carol lack "tax".
    assert_eq!(
        sim.enqueue_with(1, "foreign", 0, &["mandarin", "tax"]),
        seq(vec![
            vec![queued_with(1, "foreign", 0, &["mandarin", "tax"])],
            offered(1, "bob", "foreign"),
        ])
    );
    // dave (8) beats alice (3); bob is busy.
    assert_eq!(
        offers(&sim.enqueue_with(2, "foreign", 0, &["mandarin"])),
        vec![(call(2), agent("dave"))]
    );
    // No skills needed: longest idle (alice logged in first).
    assert_eq!(
        offers(&sim.enqueue(3, "foreign")),
        vec![(call(3), agent("alice"))]
    );
    // Nobody left who speaks Mandarin: the call waits for one.
    assert_eq!(
        sim.enqueue_with(4, "foreign", 0, &["mandarin"]),
        vec![queued_with(4, "foreign", 0, &["mandarin"])]
    );
    assert_eq!(sim.state("carol"), Some(AgentState::Available));
}

#[test]
fn escalation_lowers_the_level_then_drops_the_skills() {
    let mut sim = foreign_affairs(vec![
        EscalationStep {
            after: secs(0),
            min_level: Some(7),
            ..Default::default()
        },
        EscalationStep {
            after: secs(60),
            min_level: Some(3),
            ..Default::default()
        },
        EscalationStep {
            after: secs(120),
            drop_skills: true,
            ..Default::default()
        },
    ]);
    sim.login_skilled("alice", &["foreign"], &[("mandarin", 3)]);
    sim.login_skilled("carol", &["foreign"], &[]);

    // Experts only at first (level 7): nobody qualifies.
    assert_eq!(
        sim.enqueue_with(1, "foreign", 0, &["mandarin"]),
        vec![queued_with(1, "foreign", 0, &["mandarin"])]
    );
    assert_eq!(sim.advance_secs(59), vec![]);
    // At one minute, level 3 will do: alice.
    assert_eq!(sim.advance_secs(1), offered(1, "alice", "foreign"));

    sim.acd
        .offer_failed(sim.now, call(1), &agent("alice"))
        .unwrap();
    sim.drain();
    assert_eq!(sim.advance_secs(59), vec![]);
    // At two minutes, anyone: carol.
    assert_eq!(sim.advance_secs(1), offered(1, "carol", "foreign"));
}

#[test]
fn escalation_raises_a_long_waiting_caller_past_newer_priority_callers() {
    let mut config = QueueConfig::new(queue("housing"), "Housing");
    config.announce_every = None;
    config.escalation = vec![EscalationStep {
        after: secs(30),
        raise_priority: 5,
        ..Default::default()
    }];
    let mut sim = Sim::new(vec![config]);
    sim.login("alice", &["housing"]);
    sim.acd
        .set_break(sim.now, &agent("alice"), "meeting")
        .unwrap();
    sim.drain();

    sim.enqueue_with(1, "housing", 0, &[]);
    sim.advance_secs(10);
    sim.enqueue_with(2, "housing", 3, &[]);
    let place = |sim: &Sim, n| sim.acd.position(sim.now, call(n)).map(|p| p.position);
    assert_eq!((place(&sim, 1), place(&sim, 2)), (Some(2), Some(1)));

    sim.advance_secs(20); // call 1 has waited 30 s: priority 0 + 5 > 3
    assert_eq!((place(&sim, 1), place(&sim, 2)), (Some(1), Some(2)));

    sim.acd.set_available(sim.now, &agent("alice")).unwrap();
    assert_eq!(
        sim.drain(),
        seq(vec![
            vec![changed("alice", AgentState::Available)],
            offered(1, "alice", "housing"),
        ])
    );
}
