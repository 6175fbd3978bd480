//! A caller who asks to be called back keeps their place after hanging up:
//! the desk keeps the entry (and its screen-pop data) with nobody serving
//! it, and when an agent is free it starts a callback task in the caller's
//! place, pops the agent first, and ignores the caller's own call saying
//! goodbye late. Without an outbound trunk no task is started.

mod support;

use std::time::Duration;

use hotline_acd::Strategy;
use hotline_call::desk::{Input, Output, Wanted};
use support::desk_sim::*;

fn asked_for_a_callback(can_call_back: bool) -> DeskSim {
    let mut sim = DeskSim::new(
        vec![housing(Strategy::LongestIdle, Duration::ZERO)],
        can_call_back,
    );
    sim.agent_ready("alice");
    sim.set_state(
        "alice",
        Wanted::Break {
            reason: "lunch".into(),
        },
    );
    sim.enqueue(1, "13800000001");
    sim.advance(Duration::from_secs(20));
    sim.input(Input::RequestCallback {
        call: call(1),
        number: "13800000001".into(),
    });
    let out = sim.input(Input::CallGone {
        call: call(1),
        callback: false,
    });
    assert!(
        out.iter()
            .any(|o| matches!(o, Output::Detach { call: c } if *c == call(1))),
        "the caller's task no longer takes orders: {out:?}"
    );
    sim
}

#[test]
fn the_callback_task_takes_the_place_of_the_caller_when_an_agent_is_free() {
    let mut sim = asked_for_a_callback(true);
    sim.advance(Duration::from_secs(40));
    let out = sim.set_state("alice", Wanted::Available);
    let start = out
        .iter()
        .position(|o| matches!(o, Output::StartCallback { .. }))
        .expect("a callback task is started");
    let Output::StartCallback {
        call: c,
        number,
        language,
    } = &out[start]
    else {
        unreachable!()
    };
    assert_eq!(
        (*c, number.as_str(), language.as_deref()),
        (call(1), "13800000001", Some("zh"))
    );
    let (seq, pop) = pops(&out).remove(0);
    assert!(pop.callback);
    assert_eq!(
        pop.ivr_path,
        ["welcome", "department"],
        "the screen-pop data was kept"
    );
    assert!(pop.waited >= Duration::from_secs(60));
    // The caller's call ending late does not unseat the callback task.
    let out = sim.input(Input::CallGone {
        call: call(1),
        callback: false,
    });
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(
        orders(&sim.ring_ready(seq, &pop)),
        [(call(1), "RingAgent".to_owned())]
    );

    // A failed ring is offered again without a second callback task.
    let out = sim.input(Input::OfferFailed {
        call: call(1),
        agent: agent("alice"),
    });
    assert!(!out
        .iter()
        .any(|o| matches!(o, Output::StartCallback { .. })));
}

#[test]
fn without_a_trunk_no_callback_task_is_started() {
    let mut sim = asked_for_a_callback(false);
    let out = sim.set_state("alice", Wanted::Available);
    assert!(
        !out.iter()
            .any(|o| matches!(o, Output::StartCallback { .. })),
        "{out:?}"
    );
    // The agent is still popped (the entry is offered), but nobody serves
    // the call, so no phone is ordered to ring.
    let (seq, pop) = pops(&out).remove(0);
    assert!(orders(&sim.ring_ready(seq, &pop)).is_empty());
}
