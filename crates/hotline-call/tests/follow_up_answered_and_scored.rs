//! The reporter of a closed order answers the follow-up call: they hear
//! the hotline following up on their request number (said digit by digit),
//! that the department replied and its reply (spoken), and the
//! satisfaction question, in their language; key 4 is the score, the
//! thanks play, and the hotline hangs up. The score is the call's outcome.
//! An order with no reply on record goes from "replied" to the question.

mod support;

use hotline_call::call::{LegRef, MediaInput, MediaOp, Output};
use hotline_call::follow_up::{FollowUpPhase, FollowUpRequest, Outcome};
use hotline_types::CallEvent;
use support::calls::{call_events, events, hangups, is_done, media_ops};
use support::follow_up_sim::*;

#[test]
fn the_reporter_hears_the_reference_and_rates_the_handling() {
    let (mut sim, out) = FollowUpSim::dial("13900139000", Some("en"));
    assert_eq!(
        events(&out),
        ["call_started", "case_linked", "dialled"],
        "{out:?}"
    );
    assert!(call_events(&out).contains(&CallEvent::CaseLinked {
        case_ref: case_ref()
    }));
    assert!(
        out.iter().any(|o| matches!(o, Output::Place(p)
            if p.target == "sip:13900139000@127.0.0.1:5090" && p.from_user == "12345")),
        "dialled through the trunk, from the hotline's number: {out:?}"
    );
    assert_eq!(sim.call.phase(), FollowUpPhase::Dialling);

    let answered = sim.answer();
    let citizen = sim.citizen();
    assert!(
        media_ops(&answered, citizen)
            .iter()
            .any(|op| matches!(op, MediaOp::Start(_))),
        "{answered:?}"
    );
    assert_eq!(sim.call.phase(), FollowUpPhase::Asking);
    let heard = sim.listen(answered);
    let played = files(&heard, citizen);
    let at = |name: &str| {
        played
            .iter()
            .position(|f| f.ends_with(name))
            .unwrap_or_else(|| panic!("{name} not played: {played:?}"))
    };
    let (intro, replied, reply_is, reply, survey) = (
        at("en/follow_up_intro.wav"),
        at("en/follow_up_replied.wav"),
        at("en/case_reply_is.wav"),
        at(&format!("speak en: {REPLY}")),
        at("en/follow_up_survey.wav"),
    );
    let said: String = played[intro + 1..replied]
        .iter()
        .filter_map(|f| f.strip_suffix(".wav")?.rsplit_once("/say/digit-"))
        .map(|(_, digit)| digit)
        .collect();
    assert_eq!(
        said,
        case_ref().digits(),
        "the reference, digit by digit: {played:?}"
    );
    assert!(
        intro < replied && replied < reply_is && reply_is + 1 == reply && reply < survey,
        "{played:?}"
    );
    assert!(!is_done(&heard), "waits for the score");

    let scored = sim.step(hotline_call::call::Input::Media(
        citizen,
        MediaInput::Dtmf('4'),
    ));
    assert!(
        call_events(&scored).contains(&CallEvent::SurveyAnswered { score: 4 }),
        "{scored:?}"
    );
    let end = sim.listen(scored);
    assert!(files(&end, citizen)
        .iter()
        .any(|f| f.ends_with("en/follow_up_thanks.wav")));
    assert_eq!(hangups(&end), [CITIZEN_LINE], "{end:?}");
    assert!(is_done(&end));
    assert_eq!(sim.call.outcome(), Some(Outcome::Scored(4)));
    assert!(media_ops(&end, citizen)
        .iter()
        .any(|op| matches!(op, MediaOp::Close { .. })));
    assert!(!end
        .iter()
        .any(|o| matches!(o, Output::Media(LegRef::Caller, _))));
}

#[test]
fn without_a_known_language_the_script_speaks_its_default() {
    let (mut sim, _) = FollowUpSim::dial("13900139000", None);
    let answered = sim.answer();
    let played = files(&answered, sim.citizen());
    assert!(
        played.iter().any(|f| f.ends_with("zh/follow_up_intro.wav")),
        "{played:?}"
    );
}

#[test]
fn without_a_reply_on_record_the_question_follows_the_announcement() {
    let (mut sim, _) = FollowUpSim::dial_with(FollowUpRequest {
        reply: None,
        ..request("13900139000", Some("zh"))
    });
    let answered = sim.answer();
    let heard = sim.listen(answered);
    let played = files(&heard, sim.citizen());
    let replied = played
        .iter()
        .position(|f| f.ends_with("zh/follow_up_replied.wav"))
        .expect("the announcement");
    assert!(
        played[replied + 1].ends_with("zh/follow_up_survey.wav"),
        "nothing is spoken for a reply that is not there: {played:?}"
    );
}
