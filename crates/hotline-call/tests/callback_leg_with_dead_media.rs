//! The callback's legs have a call's limits: a citizen's line with no RTP
//! is hung up, and so is a callback that reaches the maximum call length;
//! the agent goes to wrap-up and the attempt counts as talked once the
//! citizen had answered.

mod support;

use std::time::Duration;

use hotline_call::call::{Input, LegRef, MediaInput, ToAcd};
use hotline_call::callbacks::Outcome;
use hotline_types::{CallEvent, HangupSide};
use support::callbacks_sim::*;
use support::calls::{acd, call_events, hangups, is_done};

#[test]
fn a_silent_citizen_line_is_hung_up() {
    let (mut sim, _) = CallbackSim::talking("13900139000");
    let citizen = sim.citizen();
    let out = sim.step(Input::Media(
        citizen,
        MediaInput::DeadMedia {
            silent_for: Duration::from_secs(30),
        },
    ));
    let mut ended = hangups(&out);
    ended.sort();
    assert_eq!(ended, [AGENT_PHONE, CITIZEN_LINE]);
    assert_eq!(acd(&out), [ToAcd::TalkEnded, ToAcd::CallGone]);
    assert_eq!(outcome(&out), Some(Outcome::Talked));
    assert!(matches!(
        call_events(&out).last(),
        Some(CallEvent::Ended { side: HangupSide::System, cause }) if cause == "dead_media"
    ));
    assert!(is_done(&out));
}

#[test]
fn a_silent_agent_phone_ends_the_callback() {
    let (mut sim, _) = CallbackSim::talking("13900139000");
    let agent = LegRef::Placed(sim.agent_leg.expect("agent leg"));
    let out = sim.step(Input::Media(
        agent,
        MediaInput::DeadMedia {
            silent_for: Duration::from_secs(30),
        },
    ));
    assert!(matches!(
        call_events(&out).last(),
        Some(CallEvent::Ended { cause, .. }) if cause == "agent_dead_media"
    ));
}

#[test]
fn the_maximum_length_ends_the_callback() {
    let (mut sim, _) = CallbackSim::talking("13900139000");
    assert!(sim.advance(Duration::from_secs(3599)).is_empty());
    let out = sim.advance(Duration::from_secs(2));
    assert!(matches!(
        call_events(&out).last(),
        Some(CallEvent::Ended { cause, .. }) if cause == "max_duration"
    ));
    assert_eq!(acd(&out), [ToAcd::TalkEnded, ToAcd::CallGone]);
}
