//! The citizen gives up while agents' phones ring: the phones are
//! cancelled, the ACD hears an abandon, the IVR records where the caller
//! left, the caller leg's figures are recorded before `ended`, and the call
//! is over.

mod support;

use hotline_call::call::{LegRef, MediaOp, Phase, ToAcd};
use support::calls::*;

#[test]
fn both_phones_are_cancelled_and_the_acd_hears_an_abandon() {
    let mut sim = CallSim::queued();
    sim.ring("alice", 6001);
    sim.ring("bob", 6002);

    let out = sim.caller_hangs_up();
    let mut cancelled = hangups(&out);
    cancelled.sort();
    let mut expected = vec![sim.handles["alice"], sim.handles["bob"]];
    expected.sort();
    assert_eq!(cancelled, expected);
    assert_eq!(acd(&out), [ToAcd::Abandon, ToAcd::CallGone]);
    assert!(
        matches!(
            media_ops(&out, LegRef::Caller)[..],
            [MediaOp::Close {
                report: Some("caller")
            }]
        ),
        "{out:?}"
    );
    assert_eq!(events(&out).last(), Some(&"ended"));
    assert!(is_done(&out));
    assert_eq!(sim.call.phase(), Phase::Over);

    // Late news from the phones changes nothing.
    assert!(sim.phone_answers("alice").is_empty());
}

#[test]
fn a_caller_who_hangs_up_while_talking_ends_the_conversation() {
    let mut sim = CallSim::talking("alice");
    let out = sim.caller_hangs_up();
    assert_eq!(hangups(&out), [sim.handles["alice"]]);
    assert_eq!(acd(&out), [ToAcd::TalkEnded, ToAcd::CallGone]);
    assert!(is_done(&out));
}

#[test]
fn a_caller_who_hangs_up_before_the_answer_is_recorded() {
    let mut config = config();
    config.answer_after = std::time::Duration::from_secs(2);
    let (mut sim, out) = CallSim::arriving(config);
    assert_eq!(events(&out), ["call_started"]);
    assert!(matches!(sim.call.phase(), Phase::Answering { .. }));
    let out = sim.caller_hangs_up();
    assert_eq!(events(&out), ["ended"]);
    assert!(is_done(&out));
    // The answer timer is gone with the call.
    assert!(sim.call.poll_timeout().is_none());
}
