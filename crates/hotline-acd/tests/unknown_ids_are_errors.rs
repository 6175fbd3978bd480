//! Inputs naming an agent, a queue or a call the ACD does not know, or
//! arriving in the wrong state, are refused with an error and change
//! nothing.

mod support;

use hotline_acd::{AcdError, AgentProfile, AgentState, EnqueueRequest, QueueConfig};
use support::*;

#[test]
fn unknown_ids_are_refused() {
    let mut sim = Sim::new(vec![QueueConfig::new(queue("housing"), "Housing")]);
    let now = sim.now;
    let ghost = agent("ghost");
    let unknown_agent = Err(AcdError::UnknownAgent(ghost.clone()));
    assert_eq!(sim.acd.set_available(now, &ghost), unknown_agent);
    assert_eq!(sim.acd.set_break(now, &ghost, "x"), unknown_agent);
    assert_eq!(sim.acd.logout(now, &ghost), unknown_agent);
    assert_eq!(sim.acd.wrap_up_done(now, &ghost, "x"), unknown_agent);
    assert_eq!(sim.acd.extend_wrap_up(now, &ghost, secs(1)), unknown_agent);
    assert_eq!(sim.acd.offer_answered(now, call(1), &ghost), unknown_agent);
    assert_eq!(sim.acd.offer_failed(now, call(1), &ghost), unknown_agent);

    let unknown_call = Err(AcdError::UnknownCall(call(1)));
    assert_eq!(sim.acd.abandon(now, call(1)), unknown_call);
    assert_eq!(sim.acd.talk_ended(now, call(1)), unknown_call);
    assert_eq!(
        sim.acd.request_callback(now, call(1), "1".into()),
        unknown_call
    );
    assert_eq!(
        sim.acd.transfer(now, call(1), queue("housing"), None),
        unknown_call
    );

    let nowhere = EnqueueRequest {
        queue: queue("nowhere"),
        priority: 0,
        skills: vec![],
    };
    assert_eq!(
        sim.acd.enqueue(now, call(1), nowhere),
        Err(AcdError::UnknownQueue(queue("nowhere")))
    );
    let profile = AgentProfile {
        queues: vec![queue("housing"), queue("nowhere")],
        skills: vec![],
    };
    assert_eq!(
        sim.acd.login(now, agent("alice"), profile),
        Err(AcdError::UnknownQueue(queue("nowhere")))
    );
    assert_eq!(sim.state("alice"), None);
    assert_eq!(sim.drain(), vec![]);
    assert_eq!(sim.acd.poll_timeout(), None);
}

#[test]
fn inputs_in_the_wrong_state_are_refused() {
    let mut sim = Sim::new(vec![QueueConfig::new(queue("housing"), "Housing")]);
    sim.login("alice", &["housing"]);
    let now = sim.now;

    let again = AgentProfile {
        queues: vec![queue("housing")],
        skills: vec![],
    };
    assert_eq!(
        sim.acd.login(now, agent("alice"), again),
        Err(AcdError::InvalidState {
            agent: agent("alice"),
            state: "available",
            wanted: "logged_out",
        })
    );
    sim.enqueue(1, "housing");
    let twice = EnqueueRequest {
        queue: queue("housing"),
        priority: 0,
        skills: vec![],
    };
    assert_eq!(
        sim.acd.enqueue(now, call(1), twice),
        Err(AcdError::AlreadyQueued {
            call: call(1),
            queue: queue("housing"),
        })
    );
    assert_eq!(
        sim.acd.talk_ended(now, call(1)),
        Err(AcdError::InvalidCallState {
            call: call(1),
            state: "offered",
            wanted: "talking",
        })
    );
    assert_eq!(
        sim.acd.extend_wrap_up(now, &agent("alice"), secs(5)),
        Err(AcdError::InvalidState {
            agent: agent("alice"),
            state: "offered",
            wanted: "wrap_up",
        })
    );
    sim.acd.logout(now, &agent("alice")).unwrap();
    sim.drain();
    assert_eq!(
        sim.acd.logout(now, &agent("alice")),
        Err(AcdError::InvalidState {
            agent: agent("alice"),
            state: "logged_out",
            wanted: "logged_in",
        })
    );
    assert_eq!(sim.drain(), vec![]);
    assert_eq!(sim.state("alice"), Some(AgentState::LoggedOut));
}
