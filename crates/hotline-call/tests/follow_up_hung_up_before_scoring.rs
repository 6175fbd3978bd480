//! The reporter answers the follow-up call but hangs up before pressing a
//! score, or stays silent through the question and its retry, or their
//! line goes dead: the call ends without a score ("no score"), which the
//! follow-up list leaves to an agent.

mod support;

use std::time::Duration;

use hotline_call::call::{Input, MediaInput};
use hotline_call::follow_up::Outcome;
use hotline_sip::EndedBy;
use support::calls::{events, hangups, is_done};
use support::follow_up_sim::*;

#[test]
fn hanging_up_during_the_question_gives_no_score() {
    let (mut sim, _) = FollowUpSim::dial("13900139000", Some("zh"));
    let answered = sim.answer();
    sim.listen(answered);
    let out = sim.line_ends(EndedBy::Remote);
    assert!(is_done(&out), "{out:?}");
    assert!(hangups(&out).is_empty(), "the citizen hung up");
    assert!(!events(&out).contains(&"survey_answered"));
    assert_eq!(sim.call.outcome(), Some(Outcome::NoScore));
}

#[test]
fn a_silent_reporter_gives_no_score_and_hears_goodbye() {
    let (mut sim, _) = FollowUpSim::dial("13900139000", Some("en"));
    let answered = sim.answer();
    let mut out = sim.listen(answered);
    for _ in 0..10 {
        if is_done(&out) {
            break;
        }
        let next = sim.advance(Duration::from_secs(9));
        out = sim.listen(next);
    }
    assert!(is_done(&out), "{out:?}");
    assert_eq!(hangups(&out), [CITIZEN_LINE]);
    assert_eq!(sim.call.outcome(), Some(Outcome::NoScore));
}

#[test]
fn a_dead_line_is_hung_up_without_a_score() {
    let (mut sim, _) = FollowUpSim::dial("13900139000", Some("zh"));
    sim.answer();
    let citizen = sim.citizen();
    let out = sim.step(Input::Media(
        citizen,
        MediaInput::DeadMedia {
            silent_for: Duration::from_secs(30),
        },
    ));
    assert_eq!(hangups(&out), [CITIZEN_LINE]);
    assert!(is_done(&out));
    assert_eq!(sim.call.outcome(), Some(Outcome::NoScore));
}

#[test]
fn an_answered_call_at_its_maximum_length_gives_no_score() {
    let (mut sim, _) = FollowUpSim::dial("13900139000", Some("zh"));
    sim.answer();
    let mut out = Vec::new();
    for _ in 0..200 {
        out = sim.advance(Duration::from_secs(600));
        if is_done(&out) {
            break;
        }
    }
    assert!(is_done(&out), "cut at the limit: {out:?}");
    assert_eq!(hangups(&out), [CITIZEN_LINE]);
    assert_eq!(sim.call.outcome(), Some(Outcome::NoScore));
}
