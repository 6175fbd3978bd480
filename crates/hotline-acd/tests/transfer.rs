//! Blind transfer to another queue: the call is queued again there (its
//! wait starts anew), the first agent goes to wrap-up, and the transfer is
//! recorded with who made it.

mod support;

use hotline_acd::{AcdError, AgentState, QueueConfig};
use hotline_types::CallEvent;
use support::*;

fn two_departments() -> Sim {
    let mut sim = Sim::new(vec![
        QueueConfig::new(queue("housing"), "Housing"),
        QueueConfig::new(queue("taxes"), "Taxes"),
    ]);
    sim.login("alice", &["housing"]);
    sim.login("bob", &["taxes"]);
    sim.enqueue(1, "housing");
    sim.advance_secs(5);
    sim.answer(1, "alice");
    sim.advance_secs(60);
    sim
}

#[test]
fn the_call_is_queued_in_the_new_queue_and_the_agent_wraps_up() {
    let mut sim = two_departments();
    sim.acd
        .transfer(sim.now, call(1), queue("taxes"), Some(agent("alice")))
        .unwrap();
    assert_eq!(
        sim.drain(),
        seq(vec![
            vec![
                event(
                    1,
                    CallEvent::Transferred {
                        to: "taxes".into(),
                        kind: "queue".into(),
                        by: Some(agent("alice")),
                    }
                ),
                changed("alice", AgentState::WrapUp { call: call(1) }),
                queued(1, "taxes"),
            ],
            offered(1, "bob", "taxes"),
        ])
    );
    sim.advance_secs(4);
    assert_eq!(sim.answer(1, "bob"), answered(1, "bob", "taxes", 4_000));
    // alice's wrap-up belongs to the same call.
    let done = sim.wrap_up_done("alice", "transferred");
    assert_eq!(
        done[0],
        event(
            1,
            CallEvent::WrapUpDone {
                agent: agent("alice"),
                disposition: "transferred".into(),
                wrap_ms: 4_000,
            }
        )
    );
}

#[test]
fn a_transfer_to_an_unknown_queue_changes_nothing() {
    let mut sim = two_departments();
    assert_eq!(
        sim.acd.transfer(sim.now, call(1), queue("nowhere"), None),
        Err(AcdError::UnknownQueue(queue("nowhere")))
    );
    assert_eq!(sim.drain(), vec![]);
    assert_eq!(
        sim.state("alice"),
        Some(AgentState::OnCall { call: call(1) })
    );
}

#[test]
fn only_a_talking_call_can_be_transferred() {
    let mut sim = two_departments();
    sim.acd
        .set_break(sim.now, &agent("bob"), "meeting")
        .unwrap();
    sim.enqueue(2, "housing"); // waits: alice is talking
    sim.drain();
    assert_eq!(
        sim.acd.transfer(sim.now, call(2), queue("taxes"), None),
        Err(AcdError::InvalidCallState {
            call: call(2),
            state: "waiting",
            wanted: "talking",
        })
    );
    assert_eq!(
        sim.acd.transfer(sim.now, call(9), queue("taxes"), None),
        Err(AcdError::UnknownCall(call(9)))
    );
}
