//! Ring-all: every qualifying available agent rings at once; the first to
//! answer takes the call and the others stop ringing and are free again.
//! A callback entry rings one agent (the citizen is dialled after it).

mod support;

use hotline_acd::{AcdError, AgentState, CancelReason, QueueConfig, Strategy};
use support::*;

fn emergency() -> Sim {
    let mut config = QueueConfig::new(queue("water"), "Water outages");
    config.strategy = Strategy::RingAll;
    let mut sim = Sim::new(vec![config]);
    for name in ["alice", "bob", "carol"] {
        sim.login(name, &["water"]);
    }
    sim
}

#[test]
fn every_available_agent_rings_and_the_first_answer_wins() {
    let mut sim = emergency();
    sim.advance_secs(5);

    assert_eq!(
        sim.enqueue(1, "water"),
        seq(vec![
            vec![queued(1, "water")],
            offered(1, "alice", "water"),
            offered(1, "bob", "water"),
            offered(1, "carol", "water"),
        ])
    );

    sim.advance_secs(3);
    assert_eq!(
        sim.answer(1, "bob"),
        seq(vec![
            answered(1, "bob", "water", 3_000),
            vec![
                cancel(1, "alice", CancelReason::AnsweredElsewhere),
                changed("alice", AgentState::Available),
                cancel(1, "carol", CancelReason::AnsweredElsewhere),
                changed("carol", AgentState::Available),
            ],
        ])
    );
}

#[test]
fn a_late_answer_from_another_phone_is_refused() {
    let mut sim = emergency();
    sim.enqueue(1, "water");
    sim.answer(1, "carol");

    let late = sim.acd.offer_answered(sim.now, call(1), &agent("alice"));
    assert_eq!(
        late,
        Err(AcdError::StaleOffer {
            call: call(1),
            agent: agent("alice"),
        })
    );
    assert_eq!(sim.drain(), vec![]);
    assert_eq!(sim.state("alice"), Some(AgentState::Available));
    assert_eq!(
        sim.state("carol"),
        Some(AgentState::OnCall { call: call(1) })
    );
}

#[test]
fn the_agents_freed_by_the_answer_ring_for_the_next_caller() {
    let mut sim = emergency();
    sim.enqueue(1, "water");
    // Everyone is ringing for call 1: call 2 waits.
    assert_eq!(sim.enqueue(2, "water"), vec![queued(2, "water")]);

    assert_eq!(
        sim.answer(1, "alice"),
        seq(vec![
            answered(1, "alice", "water", 0),
            vec![
                cancel(1, "bob", CancelReason::AnsweredElsewhere),
                changed("bob", AgentState::Available),
                cancel(1, "carol", CancelReason::AnsweredElsewhere),
                changed("carol", AgentState::Available),
            ],
            offered(2, "bob", "water"),
            offered(2, "carol", "water"),
        ])
    );
}

#[test]
fn one_phone_ringing_out_leaves_the_others_ringing() {
    let mut sim = emergency();
    sim.enqueue(1, "water");
    sim.acd
        .offer_failed(sim.now, call(1), &agent("bob"))
        .unwrap();
    let actions = sim.drain();
    assert_eq!(
        actions,
        vec![
            event(
                1,
                hotline_types::CallEvent::RingNoAnswer {
                    queue: queue("water"),
                    agent: agent("bob"),
                    ring_ms: 0,
                }
            ),
            on_break("bob", "ring_no_answer"),
        ]
    );
    assert_eq!(
        sim.state("alice"),
        Some(AgentState::Offered { call: call(1) })
    );
    assert_eq!(
        sim.acd.position(sim.now, call(1)).map(|p| p.position),
        Some(1)
    );
}

#[test]
fn agents_freed_together_take_one_caller_each_from_their_other_queue() {
    let mut water = QueueConfig::new(queue("water"), "Water outages");
    water.strategy = Strategy::RingAll;
    let mut sim = Sim::new(vec![water, QueueConfig::new(queue("housing"), "Housing")]);
    for name in ["alice", "bob", "carol"] {
        sim.login(name, &["water", "housing"]);
    }
    sim.enqueue(1, "water"); // all three ring
    sim.enqueue(2, "housing");
    sim.enqueue(3, "housing");

    // bob and carol are freed at once; both would take call 2, but each
    // must end up with a caller.
    let actions = sim.answer(1, "alice");
    assert_eq!(
        offers(&actions),
        vec![(call(2), agent("bob")), (call(3), agent("carol"))]
    );
}

#[test]
fn a_callback_rings_one_agent_and_leaves_the_others_for_live_callers() {
    let mut sim = emergency();
    let request = hotline_acd::EnqueueRequest {
        queue: queue("water"),
        priority: 0,
        skills: Vec::new(),
    };
    sim.acd
        .enqueue_callback(sim.now, call(1), request, "13800000001".into())
        .unwrap();
    let actions = sim.drain();
    assert_eq!(
        offers(&actions),
        vec![(call(1), agent("alice"))],
        "the longest idle agent alone: {actions:?}"
    );
    assert_eq!(sim.state("bob"), Some(AgentState::Available));
    assert_eq!(sim.state("carol"), Some(AgentState::Available));

    // A live caller arriving meanwhile rings the two agents left.
    let actions = sim.enqueue(2, "water");
    assert_eq!(
        offers(&actions),
        vec![(call(2), agent("bob")), (call(2), agent("carol"))],
        "{actions:?}"
    );
    sim.acd.check_invariants().unwrap();
}
