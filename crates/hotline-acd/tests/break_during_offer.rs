//! An agent who goes on break while their phone rings neither loses the
//! call nor gets stuck: the offer is withdrawn, the call goes back to the
//! head of its queue and to the next agent at once, and a late answer from
//! the first phone is refused.

mod support;

use hotline_acd::{AcdError, AgentState, CancelReason, PendingChange, QueueConfig};
use support::*;

fn two_agents() -> Sim {
    let mut sim = Sim::new(vec![QueueConfig::new(queue("housing"), "Housing")]);
    sim.login("alice", &["housing"]);
    sim.advance_secs(1);
    sim.login("bob", &["housing"]);
    sim
}

#[test]
fn the_offer_is_withdrawn_and_the_call_goes_to_the_next_agent_at_once() {
    let mut sim = two_agents();
    sim.enqueue(1, "housing"); // alice rings
    sim.advance_secs(3);

    sim.acd
        .set_break(sim.now, &agent("alice"), "coffee")
        .unwrap();
    assert_eq!(
        sim.drain(),
        seq(vec![
            vec![
                cancel(1, "alice", CancelReason::AgentBreak),
                on_break("alice", "coffee")
            ],
            offered(1, "bob", "housing"),
        ])
    );
}

#[test]
fn the_answer_that_crosses_the_break_is_stale() {
    let mut sim = two_agents();
    sim.enqueue(1, "housing");
    sim.acd
        .set_break(sim.now, &agent("alice"), "coffee")
        .unwrap();
    sim.drain();

    assert_eq!(
        sim.acd.offer_answered(sim.now, call(1), &agent("alice")),
        Err(AcdError::StaleOffer {
            call: call(1),
            agent: agent("alice"),
        })
    );
    assert_eq!(
        sim.acd.offer_failed(sim.now, call(1), &agent("alice")),
        Err(AcdError::StaleOffer {
            call: call(1),
            agent: agent("alice"),
        })
    );
    assert_eq!(sim.drain(), vec![]);
    assert_eq!(
        sim.state("bob"),
        Some(AgentState::Offered { call: call(1) })
    );
    // bob's answer is the one that counts.
    assert_eq!(sim.answer(1, "bob"), answered(1, "bob", "housing", 0));
}

#[test]
fn with_nobody_else_free_the_call_waits_at_the_head() {
    let mut sim = two_agents();
    sim.acd
        .set_break(sim.now, &agent("bob"), "training")
        .unwrap();
    sim.drain();
    sim.enqueue(1, "housing"); // alice rings
    sim.advance_secs(5);
    sim.enqueue(2, "housing"); // waits
    sim.acd
        .set_break(sim.now, &agent("alice"), "coffee")
        .unwrap();
    sim.drain();

    assert_eq!(
        sim.acd.position(sim.now, call(1)).map(|p| p.position),
        Some(1)
    );
    sim.acd.set_available(sim.now, &agent("bob")).unwrap();
    assert_eq!(offers(&sim.drain()), vec![(call(1), agent("bob"))]);
}

#[test]
fn a_break_asked_for_during_a_call_starts_when_wrap_up_ends() {
    let mut sim = two_agents();
    sim.enqueue(1, "housing");
    sim.answer(1, "alice");
    sim.acd
        .set_break(sim.now, &agent("alice"), "lunch")
        .unwrap();
    assert_eq!(sim.drain(), vec![]);
    assert_eq!(
        sim.acd.agent_snapshots(sim.now)[0].pending,
        Some(PendingChange::Break {
            reason: "lunch".into()
        })
    );

    sim.talk_ended(1);
    let actions = sim.wrap_up_done("alice", "resolved");
    assert_eq!(actions.last(), Some(&on_break("alice", "lunch")));
    // The next caller goes to bob, not to alice.
    assert_eq!(
        offers(&sim.enqueue(2, "housing")),
        vec![(call(2), agent("bob"))]
    );
}
