//! An offer cancelled while its phone's leg is still being placed: the leg
//! is hung up as soon as the driver reports it placed, and the ACD hears
//! nothing more of it; one that could not be placed is a failed offer.

mod support;

use hotline_call::call::{Input, LegRef, MediaOp, Order, Placement, ToAcd};
use hotline_sip::CallHandle;
use support::calls::*;

#[test]
fn a_leg_placed_after_its_offer_was_cancelled_is_hung_up() {
    let mut sim = CallSim::queued();
    let out = sim.order(Order::RingAgent {
        agent: agent("alice"),
        binding: binding("alice", 6001),
    });
    let leg = placed_leg(&out).expect("alice's leg is being placed");

    let out = sim.order(Order::CancelOffer {
        agent: agent("alice"),
    });
    assert!(hangups(&out).is_empty(), "no handle to hang up yet");
    assert!(
        matches!(
            media_ops(&out, LegRef::Placed(leg))[..],
            [MediaOp::Close { report: None }]
        ),
        "{out:?}"
    );

    let out = sim.step(Input::Placed {
        leg,
        placed: Some(Placement {
            handle: CallHandle(77),
            offered: None,
        }),
    });
    assert_eq!(hangups(&out), [CallHandle(77)]);
    assert!(acd(&out).is_empty(), "the ACD cancelled it: {out:?}");
}

#[test]
fn a_leg_that_cannot_be_placed_is_a_failed_offer() {
    let mut sim = CallSim::queued();
    let out = sim.order(Order::RingAgent {
        agent: agent("alice"),
        binding: binding("alice", 6001),
    });
    let leg = placed_leg(&out).expect("alice's leg is being placed");
    let out = sim.step(Input::Placed { leg, placed: None });
    assert_eq!(
        acd(&out),
        [ToAcd::OfferFailed {
            agent: agent("alice")
        }]
    );

    // The ACD may offer the call to alice again later.
    let out = sim.ring("alice", 6001);
    assert!(placed_leg(&out).is_some(), "{out:?}");
}

#[test]
fn a_cancel_for_a_phone_that_is_not_ringing_changes_nothing() {
    let mut sim = CallSim::queued();
    let out = sim.order(Order::CancelOffer {
        agent: agent("alice"),
    });
    assert!(out.is_empty(), "{out:?}");
}
