//! Attended transfer: while the citizen holds, the agent consults a
//! colleague (named, or the next agent of a queue) or a configured
//! destination, then completes the transfer or takes the citizen back.
//! The consulted agent is offered the call, is on it once they answer, and
//! on completion becomes its agent while the first agent wraps up.

mod support;

use hotline_acd::{
    AcdError, Action, AgentState, CancelReason, ConsultOutcome, ConsultTarget, Consultee,
    QueueConfig,
};
use hotline_types::CallEvent;
use support::*;

/// alice (housing) talks with call 1; bob (taxes) and carol (taxes) are free.
fn alice_talking() -> Sim {
    let mut sim = Sim::new(vec![
        QueueConfig::new(queue("housing"), "Housing"),
        QueueConfig::new(queue("taxes"), "Taxes"),
    ]);
    sim.login("alice", &["housing"]);
    sim.login("bob", &["taxes"]);
    sim.login("carol", &["taxes"]);
    sim.enqueue(1, "housing");
    sim.answer(1, "alice");
    sim.advance_secs(30);
    sim.drain();
    sim
}

fn consult(sim: &mut Sim, target: ConsultTarget) -> Vec<Action> {
    sim.acd.consult(sim.now, call(1), target).expect("consult");
    sim.drain()
}

fn consult_started(to: &str, kind: &str) -> Action {
    event(
        1,
        CallEvent::ConsultStarted {
            to: to.into(),
            kind: kind.into(),
            by: agent("alice"),
        },
    )
}

fn consult_ended(outcome: ConsultOutcome) -> Action {
    event(
        1,
        CallEvent::ConsultEnded {
            outcome: outcome.name().into(),
        },
    )
}

#[test]
fn a_named_colleague_is_offered_the_call_then_takes_it_over() {
    let mut sim = alice_talking();
    assert_eq!(
        consult(&mut sim, ConsultTarget::Agent(agent("carol"))),
        vec![
            changed("carol", AgentState::Offered { call: call(1) }),
            consult_started("carol", "agent"),
            Action::Consult {
                call: call(1),
                by: agent("alice"),
                consultee: Consultee::Agent {
                    agent: agent("carol"),
                    queue: queue("housing"),
                },
            },
        ]
    );
    sim.advance_secs(3);
    sim.acd.consult_answered(sim.now, call(1)).unwrap();
    assert_eq!(
        sim.drain(),
        vec![changed("carol", AgentState::OnCall { call: call(1) })]
    );
    sim.advance_secs(20);
    sim.acd.complete_consult(sim.now, call(1)).unwrap();
    assert_eq!(
        sim.drain(),
        vec![
            event(
                1,
                CallEvent::Transferred {
                    to: "carol".into(),
                    kind: "attended".into(),
                    by: Some(agent("alice")),
                }
            ),
            consult_ended(ConsultOutcome::Completed),
            Action::ConsultEnded {
                call: call(1),
                outcome: ConsultOutcome::Completed,
            },
            changed("alice", AgentState::WrapUp { call: call(1) }),
        ]
    );
    // carol now has the call: its end puts her in wrap-up.
    let ended = sim.talk_ended(1);
    assert_eq!(
        ended,
        vec![changed("carol", AgentState::WrapUp { call: call(1) })]
    );
    assert_eq!(sim.acd.agent_snapshots(sim.now)[2].calls_answered, 1);
}

#[test]
fn a_queue_is_consulted_through_its_next_agent() {
    let mut sim = alice_talking();
    let actions = consult(&mut sim, ConsultTarget::Queue(queue("taxes")));
    // bob logged in before carol: idle longer, first in line.
    assert!(actions.contains(&Action::Consult {
        call: call(1),
        by: agent("alice"),
        consultee: Consultee::Agent {
            agent: agent("bob"),
            queue: queue("taxes"),
        },
    }));
    assert_eq!(
        sim.state("bob"),
        Some(AgentState::Offered { call: call(1) })
    );
}

#[test]
fn returning_to_the_citizen_frees_the_colleague_in_their_place() {
    let mut sim = alice_talking();
    consult(&mut sim, ConsultTarget::Agent(agent("bob")));
    sim.acd.return_from_consult(sim.now, call(1)).unwrap();
    assert_eq!(
        sim.drain(),
        vec![
            consult_ended(ConsultOutcome::Returned),
            cancel(1, "bob", CancelReason::Withdrawn),
            Action::ConsultEnded {
                call: call(1),
                outcome: ConsultOutcome::Returned,
            },
            changed("bob", AgentState::Available),
        ]
    );
    assert_eq!(
        sim.state("alice"),
        Some(AgentState::OnCall { call: call(1) })
    );
    // bob kept his place ahead of carol: the next taxes call is his.
    sim.enqueue(2, "taxes");
    assert_eq!(
        sim.state("bob"),
        Some(AgentState::Offered { call: call(2) })
    );
}

#[test]
fn a_colleague_who_does_not_answer_rings_out_without_a_break() {
    let mut sim = alice_talking();
    consult(&mut sim, ConsultTarget::Agent(agent("bob")));
    let actions = sim.advance_secs(60);
    assert_eq!(
        actions,
        vec![
            consult_ended(ConsultOutcome::NoAnswer),
            cancel(1, "bob", CancelReason::RingTimeout),
            Action::ConsultEnded {
                call: call(1),
                outcome: ConsultOutcome::NoAnswer,
            },
            changed("bob", AgentState::Available),
        ]
    );
}

#[test]
fn a_colleague_who_hangs_up_ends_the_consultation() {
    let mut sim = alice_talking();
    consult(&mut sim, ConsultTarget::Agent(agent("bob")));
    sim.acd.consult_answered(sim.now, call(1)).unwrap();
    sim.drain();
    sim.acd.consult_gone(sim.now, call(1)).unwrap();
    // The call reported the leg gone: no order back to it.
    assert_eq!(
        sim.drain(),
        vec![
            consult_ended(ConsultOutcome::HungUp),
            changed("bob", AgentState::Available),
        ]
    );
    assert_eq!(
        sim.acd.complete_consult(sim.now, call(1)),
        Err(AcdError::InvalidCallState {
            call: call(1),
            state: "talking",
            wanted: "consulting",
        })
    );
}

#[test]
fn the_citizen_hanging_up_frees_both_agents() {
    let mut sim = alice_talking();
    consult(&mut sim, ConsultTarget::Agent(agent("bob")));
    assert_eq!(
        sim.talk_ended(1),
        vec![
            consult_ended(ConsultOutcome::CallerGone),
            cancel(1, "bob", CancelReason::CallerGone),
            changed("bob", AgentState::Available),
            changed("alice", AgentState::WrapUp { call: call(1) }),
        ]
    );
}

#[test]
fn a_colleague_going_on_break_while_ringing_fails_the_consultation() {
    let mut sim = alice_talking();
    consult(&mut sim, ConsultTarget::Agent(agent("bob")));
    sim.acd.set_break(sim.now, &agent("bob"), "lunch").unwrap();
    assert_eq!(
        sim.drain(),
        vec![
            consult_ended(ConsultOutcome::Failed),
            cancel(1, "bob", CancelReason::AgentBreak),
            Action::ConsultEnded {
                call: call(1),
                outcome: ConsultOutcome::Failed,
            },
            on_break("bob", "lunch"),
        ]
    );
}

#[test]
fn a_destination_is_consulted_outside_the_acd_and_the_call_leaves_it() {
    let mut sim = alice_talking();
    assert_eq!(
        consult(&mut sim, ConsultTarget::Destination("police".into())),
        vec![
            consult_started("police", "destination"),
            Action::Consult {
                call: call(1),
                by: agent("alice"),
                consultee: Consultee::Destination("police".into()),
            },
        ]
    );
    assert!(
        sim.acd.complete_consult(sim.now, call(1)).is_err(),
        "not before the destination answers"
    );
    sim.acd.consult_answered(sim.now, call(1)).unwrap();
    sim.acd.complete_consult(sim.now, call(1)).unwrap();
    let actions = sim.drain();
    assert!(actions.contains(&changed("alice", AgentState::WrapUp { call: call(1) })));
    assert_eq!(
        sim.acd.talk_ended(sim.now, call(1)),
        Err(AcdError::UnknownCall(call(1)))
    );
}

#[test]
fn only_a_free_colleague_on_a_talking_call_can_be_consulted() {
    let mut sim = alice_talking();
    sim.acd.set_break(sim.now, &agent("bob"), "lunch").unwrap();
    sim.acd
        .set_break(sim.now, &agent("carol"), "lunch")
        .unwrap();
    sim.drain();
    assert_eq!(
        sim.acd
            .consult(sim.now, call(1), ConsultTarget::Agent(agent("bob"))),
        Err(AcdError::InvalidState {
            agent: agent("bob"),
            state: "break",
            wanted: "available",
        })
    );
    assert_eq!(
        sim.acd
            .consult(sim.now, call(1), ConsultTarget::Queue(queue("taxes"))),
        Err(AcdError::NoAgentAvailable(queue("taxes")))
    );
    assert_eq!(
        sim.acd
            .consult(sim.now, call(9), ConsultTarget::Queue(queue("taxes"))),
        Err(AcdError::UnknownCall(call(9)))
    );
    sim.acd
        .consult(
            sim.now,
            call(1),
            ConsultTarget::Destination("police".into()),
        )
        .unwrap();
    sim.drain();
    assert!(
        sim.acd
            .transfer(sim.now, call(1), queue("taxes"), None)
            .is_err(),
        "no blind transfer in the middle of a consultation"
    );
    assert_eq!(sim.drain(), vec![]);
}
