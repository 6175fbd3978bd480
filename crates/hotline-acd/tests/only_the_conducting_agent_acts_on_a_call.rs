//! Holding, transferring, consulting or hanging up a call is for the agent
//! who conducts it: not a colleague they consult (who is on the line too),
//! not an agent whose phone is only ringing with it, not one who never
//! logged in. A completed consultation hands the call, and that right, to
//! the colleague.

mod support;

use hotline_acd::{AcdError, ConsultTarget, QueueConfig};
use support::*;

/// alice talks with call 1 and consults bob, who has answered.
fn alice_consults_bob() -> Sim {
    let mut sim = Sim::new(vec![QueueConfig::new(queue("housing"), "Housing")]);
    sim.login("alice", &["housing"]);
    sim.login("bob", &["housing"]);
    sim.enqueue(1, "housing");
    sim.answer(1, "alice");
    sim.acd
        .consult(sim.now, call(1), ConsultTarget::Agent(agent("bob")))
        .expect("consult");
    sim.acd
        .consult_answered(sim.now, call(1))
        .expect("answered");
    sim.drain();
    sim
}

#[test]
fn the_agent_conducts_the_call_the_consulted_colleague_does_not() {
    let sim = alice_consults_bob();
    assert_eq!(sim.acd.check_conducts(&agent("alice"), call(1)), Ok(()));
    assert_eq!(sim.acd.conducted_call(&agent("alice")), Some(call(1)));
    assert_eq!(
        sim.acd.check_conducts(&agent("bob"), call(1)),
        Err(AcdError::Consulted {
            agent: agent("bob"),
            call: call(1)
        })
    );
    assert_eq!(sim.acd.conducted_call(&agent("bob")), None);
}

#[test]
fn completing_the_consultation_hands_the_call_over() {
    let mut sim = alice_consults_bob();
    sim.acd
        .complete_consult(sim.now, call(1))
        .expect("complete");
    sim.drain();
    assert_eq!(sim.acd.check_conducts(&agent("bob"), call(1)), Ok(()));
    assert_eq!(
        sim.acd.check_conducts(&agent("alice"), call(1)),
        Err(AcdError::NotOnThisCall {
            agent: agent("alice"),
            call: call(1),
            state: "wrap_up"
        })
    );
}

#[test]
fn a_ringing_phone_another_call_or_no_login_conduct_nothing() {
    let mut sim = Sim::new(vec![QueueConfig::new(queue("housing"), "Housing")]);
    sim.login("alice", &["housing"]);
    sim.enqueue(1, "housing");
    sim.drain();
    assert_eq!(
        sim.acd.check_conducts(&agent("alice"), call(1)),
        Err(AcdError::NotOnThisCall {
            agent: agent("alice"),
            call: call(1),
            state: "offered"
        })
    );
    sim.acd
        .offer_answered(sim.now, call(1), &agent("alice"))
        .expect("answer");
    sim.drain();
    assert_eq!(
        sim.acd.check_conducts(&agent("alice"), call(2)),
        Err(AcdError::NotOnThisCall {
            agent: agent("alice"),
            call: call(2),
            state: "on_call"
        })
    );
    assert_eq!(
        sim.acd.check_conducts(&agent("nobody"), call(1)),
        Err(AcdError::UnknownAgent(agent("nobody")))
    );
    assert_eq!(sim.acd.conducted_call(&agent("nobody")), None);
}
