//! A waiting caller presses the key to leave a voice message instead of
//! waiting: the call leaves the queue for the IVR (an overflow by the
//! caller's choice, not an abandon), the ones behind move up, and an agent
//! whose phone was ringing for it is free again in their place.

mod support;

use hotline_acd::{AcdError, Action, AgentState, CancelReason, Overflow, QueueConfig};
use hotline_types::CallEvent;
use support::*;

fn left(n: u128) -> Vec<Action> {
    vec![
        event(
            n,
            CallEvent::Overflowed {
                from: queue("housing"),
                to: Overflow::Voicemail.label(),
                reason: "caller_choice".into(),
            },
        ),
        Action::Overflow {
            call: call(n),
            to: Overflow::Voicemail,
            reason: "caller_choice".into(),
        },
    ]
}

#[test]
fn a_waiting_caller_leaves_for_voicemail() {
    let mut sim = Sim::new(vec![QueueConfig::new(queue("housing"), "Housing")]);
    sim.login("alice", &["housing"]);
    sim.enqueue(1, "housing");
    sim.answer(1, "alice");
    sim.enqueue(2, "housing");
    sim.enqueue(3, "housing");
    sim.advance_secs(5);

    sim.acd
        .leave(sim.now, call(2), Overflow::Voicemail, "caller_choice")
        .unwrap();
    assert_eq!(sim.drain(), left(2));
    assert_eq!(
        sim.acd.position(sim.now, call(3)).map(|p| p.position),
        Some(1)
    );
    assert_eq!(
        sim.acd
            .leave(sim.now, call(2), Overflow::Voicemail, "caller_choice"),
        Err(AcdError::UnknownCall(call(2)))
    );
}

#[test]
fn leaving_while_an_agent_rings_frees_the_agent() {
    let mut sim = Sim::new(vec![QueueConfig::new(queue("housing"), "Housing")]);
    sim.login("alice", &["housing"]);
    sim.enqueue(1, "housing"); // alice's phone rings
    sim.advance_secs(2);

    sim.acd
        .leave(sim.now, call(1), Overflow::Voicemail, "caller_choice")
        .unwrap();
    assert_eq!(
        sim.drain(),
        seq(vec![
            vec![
                cancel(1, "alice", CancelReason::CallerGone),
                changed("alice", AgentState::Available),
            ],
            left(1),
        ])
    );
    // alice takes the next caller at once.
    assert_eq!(
        offers(&sim.enqueue(2, "housing")),
        vec![(call(2), agent("alice"))]
    );
}

#[test]
fn a_talking_call_cannot_leave() {
    let mut sim = Sim::new(vec![QueueConfig::new(queue("housing"), "Housing")]);
    sim.login("alice", &["housing"]);
    sim.enqueue(1, "housing");
    sim.answer(1, "alice");
    assert!(matches!(
        sim.acd
            .leave(sim.now, call(1), Overflow::Voicemail, "caller_choice"),
        Err(AcdError::InvalidCallState { .. })
    ));
}
