//! Nobody picks up the follow-up call (the trunk gives up, or the phone is
//! busy): no script runs and the outcome is "no answer", which the
//! follow-up list calls again later. A leg that could not even be placed
//! is "failed".

mod support;

use hotline_call::call::Input;
use hotline_call::follow_up::Outcome;
use hotline_sip::EndedBy;
use support::calls::{events, hangups, is_done, placed_leg};
use support::follow_up_sim::*;

#[test]
fn an_unanswered_follow_up_is_no_answer() {
    let (mut sim, _) = FollowUpSim::dial("13900139000", Some("zh"));
    let out = sim.line_ends(EndedBy::Remote);
    assert!(is_done(&out), "{out:?}");
    assert!(hangups(&out).is_empty(), "the line has already ended");
    assert_eq!(events(&out), ["ended"]);
    assert_eq!(sim.call.outcome(), Some(Outcome::NoAnswer));
    assert!(files(&out, sim.citizen()).is_empty(), "nothing was played");
}

#[test]
fn a_leg_that_cannot_be_placed_is_a_failed_attempt() {
    let (mut sim, out) = FollowUpSim::dial_unplaced("13900139000", Some("zh"));
    let leg = placed_leg(&out).expect("the citizen is dialled");
    let out = sim.step(Input::Placed { leg, placed: None });
    assert!(is_done(&out), "{out:?}");
    assert_eq!(sim.call.outcome(), Some(Outcome::Failed));
}

#[test]
fn ringing_to_the_maximum_call_length_is_no_answer() {
    let (mut sim, _) = FollowUpSim::dial("13900139000", Some("zh"));
    let out = sim.advance(std::time::Duration::from_secs(24 * 3600));
    assert!(is_done(&out), "{out:?}");
    assert_eq!(
        hangups(&out),
        [CITIZEN_LINE],
        "the ringing line is cancelled"
    );
    assert_eq!(sim.call.outcome(), Some(Outcome::NoAnswer));
}

#[test]
fn shutting_down_while_it_rings_is_no_attempt() {
    let (mut sim, _) = FollowUpSim::dial("13900139000", Some("zh"));
    let out = sim.step(Input::Terminate);
    assert_eq!(
        hangups(&out),
        [CITIZEN_LINE],
        "the ringing line is cancelled"
    );
    assert_eq!(sim.call.outcome(), Some(Outcome::Interrupted));
}
