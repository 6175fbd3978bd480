//! A caller hangs up while waiting or while an agent's phone rings: the
//! abandon is recorded with the wait and the place in line, and an agent
//! who was ringing is free again without losing their place.

mod support;

use hotline_acd::{AcdError, AgentState, CancelReason, QueueConfig};
use hotline_types::CallEvent;
use support::*;

fn abandoned(n: u128, wait_ms: u64, position: u32) -> hotline_acd::Action {
    event(
        n,
        CallEvent::Abandoned {
            queue: queue("housing"),
            wait_ms,
            position,
        },
    )
}

#[test]
fn a_waiting_caller_hangs_up() {
    let mut sim = Sim::new(vec![QueueConfig::new(queue("housing"), "Housing")]);
    sim.login("alice", &["housing"]);
    sim.enqueue(1, "housing");
    sim.answer(1, "alice");
    for n in 2..=4 {
        sim.enqueue(n, "housing");
        sim.advance_secs(1);
    }
    sim.advance_secs(7);

    sim.acd.abandon(sim.now, call(3)).unwrap();
    assert_eq!(sim.drain(), vec![abandoned(3, 9_000, 2)]);
    assert_eq!(
        sim.acd.position(sim.now, call(4)).map(|p| p.position),
        Some(2)
    );
    assert_eq!(
        sim.acd.abandon(sim.now, call(3)),
        Err(AcdError::UnknownCall(call(3)))
    );
}

#[test]
fn a_caller_who_hangs_up_while_ringing_frees_the_agent_in_their_place() {
    let mut sim = Sim::new(vec![QueueConfig::new(queue("housing"), "Housing")]);
    sim.login("alice", &["housing"]);
    sim.advance_secs(1);
    sim.login("bob", &["housing"]);
    sim.enqueue(1, "housing"); // alice, idle longest
    sim.advance_secs(4);

    sim.acd.abandon(sim.now, call(1)).unwrap();
    assert_eq!(
        sim.drain(),
        vec![
            abandoned(1, 4_000, 1),
            cancel(1, "alice", CancelReason::CallerGone),
            changed("alice", AgentState::Available),
        ]
    );
    // The answer that crosses the hang-up is stale.
    assert_eq!(
        sim.acd.offer_answered(sim.now, call(1), &agent("alice")),
        Err(AcdError::StaleOffer {
            call: call(1),
            agent: agent("alice"),
        })
    );
    // alice is still the longest idle.
    assert_eq!(
        offers(&sim.enqueue(2, "housing")),
        vec![(call(2), agent("alice"))]
    );
}

#[test]
fn hanging_up_during_the_conversation_is_not_an_abandon() {
    let mut sim = Sim::new(vec![QueueConfig::new(queue("housing"), "Housing")]);
    sim.login("alice", &["housing"]);
    sim.enqueue(1, "housing");
    sim.answer(1, "alice");
    assert_eq!(
        sim.acd.abandon(sim.now, call(1)),
        Err(AcdError::InvalidCallState {
            call: call(1),
            state: "talking",
            wanted: "waiting or offered",
        })
    );
}
