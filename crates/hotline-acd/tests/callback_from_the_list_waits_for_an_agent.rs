//! A callback from the callback list (asked for after hours) enters the
//! queue with no caller on the line: it is not counted as a new queued
//! call, does not overflow when no agent is logged in, and is offered to
//! the first agent who becomes free, in priority order with live callers.

mod support;

use hotline_acd::{AcdError, Action, AgentState, EnqueueRequest, QueueConfig};
use hotline_types::CallEvent;
use support::*;

fn request(priority: u8) -> EnqueueRequest {
    EnqueueRequest {
        queue: queue("general"),
        priority,
        skills: Vec::new(),
    }
}

#[test]
fn it_waits_for_the_first_agent_and_is_offered_as_a_callback() {
    let mut config = QueueConfig::new(queue("general"), "General");
    config.max_wait = Some(secs(60));
    let mut sim = Sim::new(vec![config]);
    // Nobody is logged in: a live call would overflow at once (no_agents).
    sim.acd
        .enqueue_callback(sim.now, call(1), request(0), "13800000001".into())
        .unwrap();
    assert_eq!(sim.drain(), vec![], "no Queued event, no overflow");
    // Long past max_wait: still waiting, no announcements.
    assert_eq!(sim.advance_secs(600), vec![]);
    assert_eq!(
        sim.acd.position(sim.now, call(1)).map(|p| p.position),
        Some(1)
    );

    let actions = sim.login("alice", &["general"]);
    assert!(actions.contains(&Action::Offer {
        call: call(1),
        agent: agent("alice"),
        queue: queue("general"),
        callback: Some("13800000001".into()),
    }));
    assert!(actions.contains(&event(
        1,
        CallEvent::Offered {
            queue: queue("general"),
            agent: agent("alice"),
        }
    )));
    assert_eq!(
        sim.state("alice"),
        Some(AgentState::Offered { call: call(1) })
    );
}

#[test]
fn it_takes_its_turn_by_priority_among_live_callers() {
    let mut sim = Sim::new(vec![QueueConfig::new(queue("general"), "General")]);
    sim.login("alice", &["general"]);
    sim.enqueue(1, "general");
    sim.answer(1, "alice");
    sim.enqueue(2, "general");
    sim.advance_secs(1);
    sim.acd
        .enqueue_callback(sim.now, call(3), request(5), "13800000003".into())
        .unwrap();
    sim.drain();
    sim.talk_ended(1);
    let actions = sim.wrap_up_done("alice", "resolved");
    assert!(
        actions.contains(&Action::Offer {
            call: call(3),
            agent: agent("alice"),
            queue: queue("general"),
            callback: Some("13800000003".into()),
        }),
        "the higher-priority callback goes before the live caller: {actions:?}"
    );
}

#[test]
fn unknown_queues_and_repeated_ids_are_errors() {
    let mut sim = Sim::new(vec![QueueConfig::new(queue("general"), "General")]);
    let mut bad = request(0);
    bad.queue = queue("nowhere");
    assert_eq!(
        sim.acd.enqueue_callback(sim.now, call(1), bad, "1".into()),
        Err(AcdError::UnknownQueue(queue("nowhere")))
    );
    sim.acd
        .enqueue_callback(sim.now, call(1), request(0), "1".into())
        .unwrap();
    assert!(matches!(
        sim.acd
            .enqueue_callback(sim.now, call(1), request(0), "1".into()),
        Err(AcdError::AlreadyQueued { .. })
    ));
    sim.acd.check_invariants().unwrap();
}
