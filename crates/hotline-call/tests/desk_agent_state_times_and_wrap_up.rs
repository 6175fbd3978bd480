//! Every agent state change reaches the store and the console with the
//! wall-clock time it happened, the console hears how long wrap-up lasts
//! (the call's queue's wrap-up), and the agent's status carries when they
//! entered their state.

mod support;

use std::time::Duration;

use hotline_acd::{AgentState, Strategy};
use hotline_call::desk::{Input, Notice, Output};
use hotline_types::Timestamp;
use support::desk_sim::*;

#[test]
fn wrap_up_lasts_as_the_queue_says_and_each_change_is_timed() {
    let mut sim = DeskSim::new(
        vec![housing(Strategy::LongestIdle, Duration::from_secs(45))],
        false,
    );
    sim.agent_ready("alice");
    sim.advance(Duration::from_secs(10));
    let (seq, pop) = pops(&sim.enqueue(1, "13800000001")).remove(0);
    sim.ring_ready(seq, &pop);
    sim.advance(Duration::from_secs(3));
    sim.input(Input::OfferAnswered {
        call: call(1),
        agent: agent("alice"),
    });
    let talk_started = sim.wall();
    assert_eq!(
        sim.desk.agent(&agent("alice"), sim.wall()),
        Some((AgentState::OnCall { call: call(1) }, talk_started))
    );

    sim.advance(Duration::from_secs(60));
    let out = sim.input(Input::TalkEnded { call: call(1) });
    let ended = sim.wall();
    assert!(
        out.iter().any(|o| matches!(
            o,
            Output::AgentChanged { state: AgentState::WrapUp { .. }, at, .. } if *at == ended
        )),
        "{out:?}"
    );
    let until = out.iter().find_map(|o| match o {
        Output::Console {
            notice: Notice::WrapUp { until, .. },
            ..
        } => Some(*until),
        _ => None,
    });
    assert_eq!(until, Some(Timestamp(ended.as_millis() + 45_000)));

    // Wrap-up ends by itself when the queue's time is up.
    let out = sim.advance(Duration::from_secs(46));
    assert!(
        out.iter().any(|o| matches!(
            o,
            Output::AgentChanged {
                state: AgentState::Available,
                ..
            }
        )),
        "{out:?}"
    );
}

#[test]
fn every_call_event_is_stamped_with_the_wall_clock() {
    let mut sim = DeskSim::new(vec![housing(Strategy::LongestIdle, Duration::ZERO)], false);
    sim.agent_ready("alice");
    sim.advance(Duration::from_secs(7));
    let out = sim.enqueue(1, "13800000001");
    let at = sim.wall();
    let events: Vec<_> = out
        .iter()
        .filter_map(|o| match o {
            Output::Event(record) => Some(record),
            _ => None,
        })
        .collect();
    assert!(
        !events.is_empty(),
        "queued and offered are recorded: {out:?}"
    );
    assert!(events.iter().all(|r| r.call_id == call(1) && r.at == at));
}
