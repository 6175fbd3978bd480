//! A reload of the queues (`Desk::configure`) while calls are live: the
//! talking call goes on and its agent's wrap-up follows the new setting;
//! a caller waiting in a queue the new configuration drops goes to the
//! IVR's fallback (`queue_removed`), not into silence; a new queue takes
//! calls at once.

mod support;

use std::time::Duration;

use hotline_acd::{AcdConfig, Overflow, QueueConfig, Strategy};
use hotline_call::desk::{Input, Notice, Output};
use hotline_types::QueueId;
use support::desk_sim::*;

/// alice logs in and answers caller 1 of housing.
fn alice_talks_to_caller_1(sim: &mut DeskSim) {
    sim.agent_ready("alice");
    let (seq, pop) = pops(&sim.enqueue(1, "13800000001")).remove(0);
    sim.ring_ready(seq, &pop);
    sim.input(Input::OfferAnswered {
        call: call(1),
        agent: agent("alice"),
    });
}

#[test]
fn a_reload_keeps_the_talking_call_and_moves_the_waiting_one_on() {
    let mut sim = DeskSim::new(
        vec![
            housing(Strategy::LongestIdle, Duration::from_secs(30)),
            QueueConfig::new(QueueId::from("transport"), "Transport"),
        ],
        false,
    );
    alice_talks_to_caller_1(&mut sim);
    // A second housing caller waits: alice is talking.
    let out = sim.enqueue(2, "13800000002");
    assert!(pops(&out).is_empty(), "{out:?}");

    // The reload drops transport, keeps housing with 10 s of wrap-up,
    // and adds water.
    let (now, wall) = (sim.now, sim.wall());
    let mut water = QueueConfig::new(QueueId::from("water"), "Water");
    water.strategy = Strategy::LongestIdle;
    sim.desk.configure(
        now,
        wall,
        AcdConfig {
            queues: vec![
                housing(Strategy::LongestIdle, Duration::from_secs(10)),
                water,
            ],
        },
    );
    let out = sim.outputs();
    assert!(
        orders(&out).iter().all(|(c, _)| *c != call(1)),
        "nothing is ordered of the talking call: {out:?}"
    );
    assert!(
        orders(&out).is_empty(),
        "the housing caller keeps waiting: {out:?}"
    );
    let queues: Vec<String> = sim
        .desk
        .acd()
        .queue_snapshots(now)
        .iter()
        .map(|q| q.queue.to_string())
        .collect();
    assert_eq!(queues, ["housing", "water"]);

    // The talk ends: wrap-up is the new 10 s, then the waiting caller is
    // offered to alice.
    sim.advance(Duration::from_secs(5));
    let out = sim.input(Input::TalkEnded { call: call(1) });
    let ended = sim.wall();
    let until = out.iter().find_map(|o| match o {
        Output::Console {
            notice: Notice::WrapUp { until, .. },
            ..
        } => Some(*until),
        _ => None,
    });
    assert_eq!(
        until.map(|u| u.as_millis() - ended.as_millis()),
        Some(10_000)
    );
    let out = sim.advance(Duration::from_secs(11));
    let offered = pops(&out);
    assert_eq!(offered.len(), 1, "{out:?}");
    assert_eq!(offered[0].1.call, call(2));
}

#[test]
fn a_caller_of_a_removed_queue_goes_to_the_fallback() {
    let mut sim = DeskSim::new(vec![housing(Strategy::LongestIdle, Duration::ZERO)], false);
    // alice talks to caller 1; caller 2 waits.
    alice_talks_to_caller_1(&mut sim);
    sim.enqueue(2, "13800000002");
    let (now, wall) = (sim.now, sim.wall());
    sim.desk.configure(
        now,
        wall,
        AcdConfig {
            queues: vec![QueueConfig::new(QueueId::from("transport"), "Transport")],
        },
    );
    let out = sim.outputs();
    assert!(orders(&out).iter().all(|(c, _)| *c != call(1)), "{out:?}");
    let moved = out.iter().any(|o| {
        matches!(o, Output::Order { call: c, order } if *c == call(2)
            && format!("{order:?}").contains(&format!("{:?}", Overflow::Fallback))
            && format!("{order:?}").contains("queue_removed"))
    });
    assert!(moved, "{out:?}");
}
