//! Ring-all over one call: every phone the ACD offers the call to rings at
//! once; the first to answer takes the call, and the others' phones are
//! cancelled when the ACD says so, without a failed offer (no break for a
//! ring that was answered elsewhere).

mod support;

use hotline_call::call::{LegRef, MediaOp, Order, Output, Phase, ToAcd};
use hotline_sip::EndedBy;
use support::calls::*;

#[test]
fn every_phone_rings_and_the_first_answer_wins() {
    let mut sim = CallSim::queued();
    for (name, port) in [("alice", 6001), ("bob", 6002), ("carol", 6003)] {
        let out = sim.ring(name, port);
        assert!(placed_leg(&out).is_some(), "{name}'s phone rings: {out:?}");
        assert!(acd(&out).is_empty(), "no failed offer: {out:?}");
    }
    assert_eq!(sim.call.phase(), Phase::Waiting);

    let out = sim.phone_answers("bob");
    assert_eq!(
        acd(&out),
        [ToAcd::OfferAnswered {
            agent: agent("bob")
        }]
    );
    let bob = LegRef::Placed(sim.legs["bob"]);
    assert!(
        matches!(media_ops(&out, bob)[..], [MediaOp::Start(_)]),
        "bob's media starts: {out:?}"
    );

    // The ACD cancels the others' offers (answered elsewhere) and connects bob.
    let out = sim.order(Order::CancelOffer {
        agent: agent("alice"),
    });
    assert_eq!(hangups(&out), [sim.handles["alice"]]);
    assert!(acd(&out).is_empty(), "a cancelled phone is no failed offer");
    let out = sim.order(Order::CancelOffer {
        agent: agent("carol"),
    });
    assert_eq!(hangups(&out), [sim.handles["carol"]]);
    let out = sim.order(Order::Connect {
        agent: agent("bob"),
    });
    assert!(
        out.iter().any(|o| matches!(o, Output::Bridge(_))),
        "{out:?}"
    );
    assert_eq!(sim.call.phase(), Phase::Talking { held: false });

    // The cancelled phones' dialogs end (487): old news, nothing follows.
    assert!(sim.phone_ends("alice", EndedBy::Local).is_empty());
    assert!(sim.phone_ends("carol", EndedBy::Local).is_empty());
}

#[test]
fn a_second_answer_waits_for_the_acd_to_drop_it() {
    let mut sim = CallSim::queued();
    sim.ring("alice", 6001);
    sim.ring("bob", 6002);
    sim.phone_answers("alice");
    // Both phones were picked up within a moment of each other.
    let out = sim.phone_answers("bob");
    assert_eq!(
        acd(&out),
        [ToAcd::OfferAnswered {
            agent: agent("bob")
        }]
    );
    assert!(hangups(&out).is_empty(), "the ACD decides, not the call");

    let out = sim.order(Order::DropAgent {
        agent: agent("bob"),
    });
    assert_eq!(hangups(&out), [sim.handles["bob"]]);
    let bob = LegRef::Placed(sim.legs["bob"]);
    assert!(
        matches!(
            media_ops(&out, bob)[..],
            [MediaOp::Close {
                report: Some("agent")
            }]
        ),
        "an answered leg's figures are recorded: {out:?}"
    );
    let out = sim.order(Order::Connect {
        agent: agent("alice"),
    });
    assert!(
        out.iter().any(|o| matches!(o, Output::Bridge(_))),
        "{out:?}"
    );
}

#[test]
fn the_same_agent_is_never_rung_twice() {
    let mut sim = CallSim::queued();
    sim.ring("alice", 6001);
    let out = sim.order(Order::RingAgent {
        agent: agent("alice"),
        binding: binding("alice", 6001),
    });
    assert!(placed_leg(&out).is_none());
    assert_eq!(
        acd(&out),
        [ToAcd::OfferFailed {
            agent: agent("alice")
        }]
    );
}
