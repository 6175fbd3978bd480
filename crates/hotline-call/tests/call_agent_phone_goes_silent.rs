//! Dead media: an agent's phone that stops sending RTP is hung up and the
//! citizen goes on to the survey; a caller who goes silent is hung up, and
//! the hotline's own hang-up ends the call when the SIP layer confirms it.

mod support;

use std::time::Duration;

use hotline_call::call::{Input, LegRef, MediaInput, Phase, ToAcd};
use hotline_sip::{EndedBy, Event};
use support::calls::*;

#[test]
fn a_silent_phone_is_hung_up_and_the_survey_follows() {
    let mut sim = CallSim::talking("alice");
    let leg = LegRef::Placed(sim.legs["alice"]);
    let out = sim.step(Input::Media(
        leg,
        MediaInput::DeadMedia {
            silent_for: Duration::from_secs(30),
        },
    ));
    assert_eq!(hangups(&out), [sim.handles["alice"]]);
    assert_eq!(acd(&out), [ToAcd::TalkEnded]);
    assert_eq!(sim.call.phase(), Phase::Ivr);
    assert!(
        events(&out).contains(&"ivr_node_entered"),
        "the survey starts: {:?}",
        events(&out)
    );
}

#[test]
fn a_silent_caller_is_hung_up() {
    let mut sim = CallSim::talking("alice");
    let out = sim.step(Input::Media(
        LegRef::Caller,
        MediaInput::DeadMedia {
            silent_for: Duration::from_secs(30),
        },
    ));
    let mut ended = hangups(&out);
    ended.sort();
    assert_eq!(ended, [CALLER, sim.handles["alice"]]);
    assert_eq!(acd(&out), [ToAcd::TalkEnded]);
    assert_eq!(sim.call.phase(), Phase::HangingUp);

    let out = sim.step(Input::Sip(Event::CallEnded {
        call: CALLER,
        by: EndedBy::Local,
        reason: "bye",
    }));
    assert_eq!(acd(&out), [ToAcd::CallGone]);
    let ended = call_events(&out);
    assert!(
        matches!(
            ended.last(),
            Some(hotline_types::CallEvent::Ended {
                side: hotline_types::HangupSide::System,
                ..
            })
        ),
        "{ended:?}"
    );
    assert!(is_done(&out));
}

#[test]
fn the_maximum_call_length_hangs_up() {
    let mut sim = CallSim::queued();
    sim.advance(Duration::from_secs(3599));
    assert_eq!(sim.call.phase(), Phase::Waiting);
    let out = sim.advance(Duration::from_secs(2));
    assert!(hangups(&out).contains(&CALLER), "{out:?}");
    assert_eq!(acd(&out), [ToAcd::Abandon]);
}
