//! The last agent of a queue logs out while callers wait: the callers are
//! not left waiting for nobody; they get the queue's `no_agents` overflow
//! (callback entries keep their place for when agents return).

mod support;

use hotline_acd::{Action, AgentState, CancelReason, Overflow, QueueConfig};
use hotline_types::CallEvent;
use support::*;

fn housing() -> Sim {
    let mut config = QueueConfig::new(queue("housing"), "Housing");
    config.no_agents = Overflow::Voicemail;
    Sim::new(vec![config])
}

fn to_voicemail(n: u128) -> Vec<Action> {
    vec![
        event(
            n,
            CallEvent::Overflowed {
                from: queue("housing"),
                to: "voicemail".into(),
                reason: "no_agents".into(),
            },
        ),
        Action::Overflow {
            call: call(n),
            to: Overflow::Voicemail,
            reason: "no_agents".into(),
        },
    ]
}

#[test]
fn the_logout_waits_for_the_call_then_the_waiting_callers_overflow() {
    let mut sim = housing();
    sim.login("alice", &["housing"]);
    sim.enqueue(1, "housing");
    sim.answer(1, "alice");
    sim.enqueue(2, "housing");
    sim.enqueue(3, "housing");

    sim.acd.logout(sim.now, &agent("alice")).unwrap();
    assert_eq!(sim.drain(), vec![]);
    assert_eq!(
        sim.state("alice"),
        Some(AgentState::OnCall { call: call(1) })
    );

    sim.talk_ended(1);
    let actions = sim.wrap_up_done("alice", "resolved");
    assert_eq!(
        actions,
        seq(vec![
            vec![
                event(
                    1,
                    CallEvent::WrapUpDone {
                        agent: agent("alice"),
                        disposition: "resolved".into(),
                        wrap_ms: 0,
                    }
                ),
                changed("alice", AgentState::LoggedOut),
            ],
            to_voicemail(2),
            to_voicemail(3),
        ])
    );
    assert_eq!(sim.acd.position(sim.now, call(2)), None);
}

#[test]
fn a_logout_during_an_offer_sends_the_ringing_caller_on_too() {
    let mut sim = housing();
    sim.login("alice", &["housing"]);
    sim.enqueue(1, "housing");

    sim.acd.logout(sim.now, &agent("alice")).unwrap();
    assert_eq!(
        sim.drain(),
        seq(vec![
            vec![
                cancel(1, "alice", CancelReason::AgentLogout),
                changed("alice", AgentState::LoggedOut),
            ],
            to_voicemail(1),
        ])
    );
}

#[test]
fn callers_stay_while_another_agent_is_logged_in_even_on_break() {
    let mut sim = housing();
    sim.login("alice", &["housing"]);
    sim.login("bob", &["housing"]);
    sim.acd
        .set_break(sim.now, &agent("bob"), "training")
        .unwrap();
    sim.enqueue(1, "housing");
    sim.answer(1, "alice");
    sim.enqueue(2, "housing");
    sim.drain();

    sim.acd.logout(sim.now, &agent("alice")).unwrap();
    sim.talk_ended(1);
    sim.wrap_up_done("alice", "resolved");
    assert_eq!(
        sim.acd.position(sim.now, call(2)).map(|p| p.position),
        Some(1)
    );

    sim.acd.set_available(sim.now, &agent("bob")).unwrap();
    assert_eq!(offers(&sim.drain()), vec![(call(2), agent("bob"))]);
}

#[test]
fn a_callback_entry_waits_for_agents_to_come_back() {
    let mut sim = housing();
    sim.login("alice", &["housing"]);
    sim.acd
        .set_break(sim.now, &agent("alice"), "meeting")
        .unwrap();
    sim.enqueue(1, "housing");
    sim.acd
        .request_callback(sim.now, call(1), "13800000001".into())
        .unwrap();
    sim.drain();

    sim.acd.logout(sim.now, &agent("alice")).unwrap();
    assert_eq!(sim.drain(), vec![changed("alice", AgentState::LoggedOut)]);

    let actions = sim.login("alice", &["housing"]);
    assert_eq!(
        actions.last(),
        Some(&Action::Offer {
            call: call(1),
            agent: agent("alice"),
            queue: queue("housing"),
            callback: Some("13800000001".into()),
        })
    );
}
