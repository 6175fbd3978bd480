//! Reloading the queue configuration keeps agents and callers: new rules
//! apply at once, and callers of a queue that disappeared go to the IVR's
//! fallback.

mod support;

use hotline_acd::{AcdConfig, AcdError, Action, Overflow, QueueConfig, Strategy};
use hotline_types::CallEvent;
use support::*;

fn housing_and_taxes() -> (QueueConfig, QueueConfig) {
    (
        QueueConfig::new(queue("housing"), "Housing"),
        QueueConfig::new(queue("taxes"), "Taxes"),
    )
}

#[test]
fn callers_of_a_removed_queue_go_to_the_fallback() {
    let (housing, taxes) = housing_and_taxes();
    let mut sim = Sim::new(vec![housing.clone(), taxes]);
    sim.login("alice", &["housing", "taxes"]);
    sim.enqueue(1, "housing");
    sim.answer(1, "alice");
    sim.enqueue(2, "taxes");

    sim.acd.configure(
        sim.now,
        AcdConfig {
            queues: vec![housing],
        },
    );
    assert_eq!(
        sim.drain(),
        vec![
            event(
                2,
                CallEvent::Overflowed {
                    from: queue("taxes"),
                    to: "fallback".into(),
                    reason: "queue_removed".into(),
                }
            ),
            Action::Overflow {
                call: call(2),
                to: Overflow::Fallback,
                reason: "queue_removed".into(),
            },
        ]
    );
    assert_eq!(
        sim.acd.enqueue(
            sim.now,
            call(3),
            hotline_acd::EnqueueRequest {
                queue: queue("taxes"),
                priority: 0,
                skills: vec![],
            }
        ),
        Err(AcdError::UnknownQueue(queue("taxes")))
    );
    // The talking call of the kept queue goes on as before.
    sim.talk_ended(1);
    let snapshots = sim.acd.queue_snapshots(sim.now);
    assert_eq!(snapshots.len(), 1);
    assert_eq!(snapshots[0].wrap_up, 1);
}

#[test]
fn a_new_strategy_applies_to_the_next_call() {
    let (housing, _) = housing_and_taxes();
    let mut sim = Sim::new(vec![housing.clone()]);
    for name in ["alice", "bob", "carol"] {
        sim.login(name, &["housing"]);
    }
    sim.enqueue(1, "housing"); // alice (longest idle)
    sim.handle_call(1, "alice", 1);

    let mut round_robin = housing;
    round_robin.strategy = Strategy::RoundRobin;
    sim.acd.configure(
        sim.now,
        AcdConfig {
            queues: vec![round_robin],
        },
    );
    assert_eq!(sim.drain(), vec![]);
    // Round robin starts from the first agent; longest idle would pick bob.
    assert_eq!(
        offers(&sim.enqueue(2, "housing")),
        vec![(call(2), agent("alice"))]
    );
    assert_eq!(
        offers(&sim.enqueue(3, "housing")),
        vec![(call(3), agent("bob"))]
    );
}

#[test]
fn a_shorter_max_wait_applies_to_callers_already_waiting() {
    let (housing, _) = housing_and_taxes();
    let mut sim = Sim::new(vec![housing.clone()]);
    sim.login("alice", &["housing"]);
    sim.acd
        .set_break(sim.now, &agent("alice"), "meeting")
        .unwrap();
    sim.enqueue(1, "housing");
    sim.drain();
    sim.advance_secs(100);

    let mut strict = housing;
    strict.max_wait = Some(secs(60));
    strict.overflow = Overflow::Voicemail;
    sim.acd.configure(
        sim.now,
        AcdConfig {
            queues: vec![strict],
        },
    );
    assert_eq!(sim.drain(), vec![]);
    let actions = sim.advance(std::time::Duration::ZERO);
    assert_eq!(
        actions.last(),
        Some(&Action::Overflow {
            call: call(1),
            to: Overflow::Voicemail,
            reason: "max_wait".into(),
        })
    );
}

#[test]
fn check_lists_every_mistake() {
    let mut a = QueueConfig::new(queue("a"), "A");
    a.overflow = Overflow::Queue(queue("missing"));
    a.ring_timeout = secs(0);
    let mut b = QueueConfig::new(queue("b"), "B");
    b.no_agents = Overflow::Queue(queue("b"));
    let duplicate = QueueConfig::new(queue("a"), "A again");
    let config = AcdConfig {
        queues: vec![a, b, duplicate],
    };
    let problems: Vec<String> = config
        .check()
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        problems,
        vec![
            "queue a: overflow names the unknown queue \"missing\"",
            "queue a: ring_timeout is zero: every offer would time out at once",
            "queue b: no_agents sends callers back to the same queue",
            "queue a: the queue is configured twice",
        ]
    );
    let (housing, taxes) = housing_and_taxes();
    assert_eq!(
        AcdConfig {
            queues: vec![housing, taxes]
        }
        .check(),
        Ok(())
    );
}
