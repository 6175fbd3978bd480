//! A waiting caller who asks for a callback hangs up but keeps their place:
//! when their turn comes and an agent is free, the entry is offered like a
//! call, with the number to ring.

mod support;

use hotline_acd::{AcdError, Action, AgentState, CancelReason, QueueConfig};
use hotline_types::CallEvent;
use support::*;

fn busy_queue() -> Sim {
    let mut sim = Sim::new(vec![QueueConfig::new(queue("housing"), "Housing")]);
    sim.login("alice", &["housing"]);
    sim.enqueue(1, "housing");
    sim.answer(1, "alice");
    for n in 2..=4 {
        sim.enqueue(n, "housing");
        sim.advance_secs(1);
    }
    sim
}

#[test]
fn the_callback_is_offered_when_its_turn_comes() {
    let mut sim = busy_queue();
    sim.acd
        .request_callback(sim.now, call(2), "13800000002".into())
        .unwrap();
    assert_eq!(
        sim.drain(),
        vec![event(
            2,
            CallEvent::CallbackRequested {
                queue: Some(queue("housing")),
                number: "13800000002".into(),
            }
        )]
    );
    // The caller hangs up; the call task may still report it: ignored.
    assert_eq!(sim.acd.abandon(sim.now, call(2)), Ok(()));
    assert_eq!(sim.drain(), vec![]);
    assert_eq!(
        sim.acd.position(sim.now, call(2)).map(|p| p.position),
        Some(1)
    );

    sim.talk_ended(1);
    let actions = sim.wrap_up_done("alice", "resolved");
    assert_eq!(
        actions[2..],
        [
            event(
                2,
                CallEvent::Offered {
                    queue: queue("housing"),
                    agent: agent("alice"),
                }
            ),
            changed("alice", AgentState::Offered { call: call(2) }),
            Action::Offer {
                call: call(2),
                agent: agent("alice"),
                queue: queue("housing"),
                callback: Some("13800000002".into()),
            },
        ]
    );
    // The agent answers, the callback is placed, the conversation counts
    // its wait from the original queue entry.
    assert_eq!(
        sim.answer(2, "alice"),
        answered(2, "alice", "housing", 3_000)
    );
}

#[test]
fn a_callback_entry_hears_no_announcements_and_does_not_time_out() {
    let mut config = QueueConfig::new(queue("housing"), "Housing");
    config.max_wait = Some(secs(60));
    let mut sim = Sim::new(vec![config]);
    sim.login("alice", &["housing"]);
    sim.acd
        .set_break(sim.now, &agent("alice"), "meeting")
        .unwrap();
    sim.enqueue(1, "housing");
    sim.acd
        .request_callback(sim.now, call(1), "13800000001".into())
        .unwrap();
    sim.drain();

    assert_eq!(sim.acd.poll_timeout(), None);
    assert_eq!(sim.advance_secs(3600), vec![]);
    assert_eq!(
        sim.acd.position(sim.now, call(1)).map(|p| p.position),
        Some(1)
    );
}

#[test]
fn a_callback_asked_for_while_ringing_is_offered_again_as_a_callback() {
    let mut sim = Sim::new(vec![QueueConfig::new(queue("housing"), "Housing")]);
    sim.login("alice", &["housing"]);
    sim.enqueue(1, "housing"); // alice rings

    sim.acd
        .request_callback(sim.now, call(1), "13800000001".into())
        .unwrap();
    let actions = sim.drain();
    assert_eq!(
        actions[..3],
        [
            event(
                1,
                CallEvent::CallbackRequested {
                    queue: Some(queue("housing")),
                    number: "13800000001".into(),
                }
            ),
            cancel(1, "alice", CancelReason::CallerGone),
            changed("alice", AgentState::Available),
        ]
    );
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

#[test]
fn a_second_request_or_one_during_the_conversation_is_refused() {
    let mut sim = busy_queue();
    sim.acd
        .request_callback(sim.now, call(3), "1".into())
        .unwrap();
    assert_eq!(
        sim.acd.request_callback(sim.now, call(3), "2".into()),
        Err(AcdError::InvalidCallState {
            call: call(3),
            state: "callback",
            wanted: "waiting or offered",
        })
    );
    assert_eq!(
        sim.acd.request_callback(sim.now, call(1), "3".into()),
        Err(AcdError::InvalidCallState {
            call: call(1),
            state: "talking",
            wanted: "waiting or offered",
        })
    );
}
