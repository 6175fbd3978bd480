//! The desk pops the citizen on the agent's console before the phone rings,
//! and rings it only if that offer still stands when the pop is done: an
//! offer withdrawn meanwhile (the caller hung up, the agent went on break,
//! ring-all answered elsewhere) rings no phone, and a stale pop of an
//! earlier offer to the same agent rings nothing either.

mod support;

use std::time::Duration;

use hotline_acd::Strategy;
use hotline_call::desk::{Input, Notice, Output, Wanted};
use support::desk_sim::*;

#[test]
fn the_phone_rings_after_the_pop_with_what_the_ivr_learned() {
    let mut sim = DeskSim::new(vec![housing(Strategy::LongestIdle, Duration::ZERO)], false);
    sim.agent_ready("alice");
    sim.advance(Duration::from_secs(2));
    let out = sim.enqueue(1, "13800000001");
    let popped = pops(&out);
    assert_eq!(popped.len(), 1, "{out:?}");
    let (seq, pop) = &popped[0];
    assert_eq!(pop.agent, agent("alice"));
    assert_eq!(pop.caller, "13800000001");
    assert_eq!(pop.ivr_path, ["welcome", "department"]);
    assert!(!pop.callback && pop.consulted_by.is_none());
    assert!(
        orders(&out).is_empty(),
        "no phone rings before the pop: {out:?}"
    );

    let out = sim.ring_ready(*seq, pop);
    assert_eq!(orders(&out), [(call(1), "RingAgent".to_owned())]);
}

#[test]
fn a_caller_gone_during_the_pop_rings_no_phone() {
    let mut sim = DeskSim::new(vec![housing(Strategy::LongestIdle, Duration::ZERO)], false);
    sim.agent_ready("alice");
    let (seq, pop) = pops(&sim.enqueue(1, "13800000001")).remove(0);
    let out = sim.input(Input::Abandon { call: call(1) });
    assert!(
        out.iter().any(|o| matches!(
            o,
            Output::Console { notice: Notice::Ended { call: c, .. }, .. } if *c == call(1)
        )),
        "the console hears the offer ended: {out:?}"
    );
    let out = sim.ring_ready(seq, &pop);
    assert!(orders(&out).is_empty(), "{out:?}");
}

#[test]
fn a_break_during_the_pop_rings_no_phone_and_a_stale_pop_rings_nothing_later() {
    let mut sim = DeskSim::new(vec![housing(Strategy::LongestIdle, Duration::ZERO)], false);
    sim.agent_ready("alice");
    let (first_seq, first_pop) = pops(&sim.enqueue(1, "13800000001")).remove(0);
    sim.set_state(
        "alice",
        Wanted::Break {
            reason: "coffee".into(),
        },
    );
    assert!(orders(&sim.ring_ready(first_seq, &first_pop)).is_empty());

    // Back from the break: the same call is offered to her again, a new offer.
    let (seq, pop) = pops(&sim.set_state("alice", Wanted::Available)).remove(0);
    assert!(seq > first_seq);
    assert!(
        orders(&sim.ring_ready(first_seq, &first_pop)).is_empty(),
        "the old pop is stale"
    );
    assert_eq!(
        orders(&sim.ring_ready(seq, &pop)),
        [(call(1), "RingAgent".to_owned())]
    );
    // A second answer to the same pop rings nothing more.
    assert!(orders(&sim.ring_ready(seq, &pop)).is_empty());
}

#[test]
fn ring_all_pops_every_free_agent_and_the_first_answer_cancels_the_others() {
    let mut sim = DeskSim::new(vec![housing(Strategy::RingAll, Duration::ZERO)], false);
    for name in ["alice", "bob", "carol"] {
        sim.agent_ready(name);
    }
    let popped = pops(&sim.enqueue(1, "13800000001"));
    let mut agents: Vec<_> = popped.iter().map(|(_, p)| p.agent.to_string()).collect();
    agents.sort();
    assert_eq!(agents, ["alice", "bob", "carol"]);
    for (seq, pop) in &popped {
        assert_eq!(
            orders(&sim.ring_ready(*seq, pop)),
            [(call(1), "RingAgent".to_owned())]
        );
    }
    let out = sim.input(Input::OfferAnswered {
        call: call(1),
        agent: agent("bob"),
    });
    let mut got = orders(&out);
    got.sort();
    assert_eq!(
        got,
        [
            (call(1), "CancelOffer".to_owned()),
            (call(1), "CancelOffer".to_owned()),
            (call(1), "Connect".to_owned()),
        ]
    );
    assert!(out.iter().any(|o| matches!(
        o,
        Output::Console { agent: a, notice: Notice::Answered { .. } } if *a == agent("bob")
    )));
}
