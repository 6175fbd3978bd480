//! With the shipped callback script (`ivr_scripts/callback.toml`), a
//! citizen who answers a callback first hears who is calling, in the
//! language they chose, while the agent waits on the line; the script's
//! `[[queue]]` node puts them through to that agent (no queueing), and when
//! the agent hangs up the script goes on: the survey, then goodbye. If the
//! agent leaves before the citizen is put through, the citizen is told and
//! the promise is tried again.

mod support;

use hotline_call::call::{BridgeOp, Input, LegRef, MediaInput, MediaOp, Output, ToAcd};
use hotline_call::callbacks::Outcome;
use hotline_call::outbound::CallbackPhase;
use hotline_sip::{EndedBy, Event};
use support::callbacks_sim::*;
use support::calls::{acd, call_events, events, hangups, is_done, media, media_ops};

/// The files of every playback started on `leg`, and their tags.
fn plays(out: &[Output], leg: LegRef) -> Vec<(hotline_call::call::PlayTag, Vec<String>)> {
    media_ops(out, leg)
        .into_iter()
        .filter_map(|op| match op {
            MediaOp::Play { tag, files, .. } => {
                Some((tag, files.iter().map(|f| f.display().to_string()).collect()))
            }
            _ => None,
        })
        .collect()
}

fn bridged(out: &[Output]) -> bool {
    out.iter()
        .any(|o| matches!(o, Output::Bridge(BridgeOp::Connect(..))))
}

/// The citizen answers a scripted callback: the intro plays.
fn citizen_answers(language: Option<&str>) -> (CallbackSim, Vec<Output>) {
    let (sim, _) = CallbackSim::scripted("13900139000", language);
    let (mut sim, _) = sim.agent_connected();
    let out = sim.step(Input::Sip(Event::OutgoingAnswered {
        call: CITIZEN_LINE,
        remote_media: Some(media(40_000)),
    }));
    (sim, out)
}

/// Every playback in `out` on the citizen's leg ends; what follows.
fn playbacks_end(sim: &mut CallbackSim, out: &[Output]) -> Vec<Output> {
    let citizen = sim.citizen();
    let mut next = Vec::new();
    for (tag, _) in plays(out, citizen) {
        next.extend(sim.step(Input::Media(citizen, MediaInput::PlaybackFinished(tag))));
    }
    next
}

#[test]
fn the_citizen_hears_who_calls_then_talks_to_the_agent_then_rates_the_call() {
    let (mut sim, out) = citizen_answers(Some("en"));
    let citizen = sim.citizen();
    assert_eq!(events(&out)[0], "answered", "{out:?}");
    let intro = plays(&out, citizen);
    assert_eq!(intro.len(), 1, "{out:?}");
    assert!(
        intro[0]
            .1
            .iter()
            .any(|f| f.ends_with("en/callback_intro.wav")),
        "the intro, in the citizen's language: {intro:?}"
    );
    assert!(!bridged(&out), "the agent waits until the intro is over");
    assert!(acd(&out).is_empty(), "{out:?}");
    assert_eq!(sim.callback.phase(), CallbackPhase::Greeting);

    let out = playbacks_end(&mut sim, &out);
    assert!(bridged(&out), "put through to the agent: {out:?}");
    assert_eq!(sim.callback.phase(), CallbackPhase::Talking { held: false });
    assert!(acd(&out).is_empty(), "no queueing: {out:?}");

    // The agent hangs up: the agent wraps up, the citizen gets the survey.
    let out = sim.step(Input::Sip(Event::CallEnded {
        call: AGENT_PHONE,
        by: EndedBy::Remote,
        reason: "bye",
    }));
    assert!(
        out.iter()
            .any(|o| matches!(o, Output::Bridge(BridgeOp::End))),
        "{out:?}"
    );
    assert_eq!(acd(&out), [ToAcd::TalkEnded]);
    assert!(hangups(&out).is_empty(), "the citizen stays: {out:?}");
    assert!(!is_done(&out));
    assert_eq!(sim.callback.phase(), CallbackPhase::AfterAgent);
    let survey = plays(&out, citizen);
    assert!(
        survey
            .iter()
            .flat_map(|(_, f)| f)
            .any(|f| f.ends_with("en/survey.wav")),
        "{survey:?}"
    );

    let mut out = sim.step(Input::Media(citizen, MediaInput::Dtmf('5')));
    assert!(
        call_events(&out)
            .iter()
            .any(|e| matches!(e, hotline_types::CallEvent::SurveyAnswered { score: 5 })),
        "{out:?}"
    );
    for _ in 0..4 {
        if is_done(&out) {
            break;
        }
        out = playbacks_end(&mut sim, &out);
    }
    assert_eq!(
        hangups(&out),
        [CITIZEN_LINE],
        "goodbye after the thanks: {out:?}"
    );
    assert_eq!(
        acd(&out),
        [ToAcd::CallGone],
        "TalkEnded was sent once: {out:?}"
    );
    assert_eq!(outcome(&out), Some(Outcome::Talked));
    assert!(is_done(&out));
}

#[test]
fn without_a_language_the_script_speaks_its_default() {
    let (sim, out) = citizen_answers(None);
    let intro = plays(&out, sim.citizen());
    assert!(
        intro[0]
            .1
            .iter()
            .any(|f| f.ends_with("zh/callback_intro.wav")),
        "{intro:?}"
    );
}

#[test]
fn an_agent_who_leaves_during_the_intro_means_the_callback_is_tried_again() {
    let (mut sim, out) = citizen_answers(Some("zh"));
    let left = sim.step(Input::Sip(Event::CallEnded {
        call: AGENT_PHONE,
        by: EndedBy::Remote,
        reason: "bye",
    }));
    assert_eq!(acd(&left), [ToAcd::TalkEnded]);
    assert!(!is_done(&left), "the citizen hears the intro out: {left:?}");

    let mut out = playbacks_end(&mut sim, &out);
    assert!(!bridged(&out), "{out:?}");
    let sorry = plays(&out, sim.citizen());
    assert!(
        sorry
            .iter()
            .flat_map(|(_, f)| f)
            .any(|f| f.ends_with("zh/service_unavailable.wav")),
        "the citizen is told: {sorry:?}"
    );
    for _ in 0..4 {
        if is_done(&out) {
            break;
        }
        out = playbacks_end(&mut sim, &out);
    }
    assert_eq!(hangups(&out), [CITIZEN_LINE]);
    assert_eq!(acd(&out), [ToAcd::CallGone], "{out:?}");
    assert_eq!(outcome(&out), Some(Outcome::Failed), "tried again later");
}

#[test]
fn a_citizen_who_hangs_up_during_the_intro_was_reached() {
    let (mut sim, _) = citizen_answers(Some("zh"));
    let out = sim.citizen_line_ends();
    assert_eq!(hangups(&out), [AGENT_PHONE]);
    assert_eq!(acd(&out), [ToAcd::TalkEnded, ToAcd::CallGone]);
    assert_eq!(outcome(&out), Some(Outcome::Talked));
    assert!(is_done(&out));
}

#[test]
fn the_console_hanging_up_the_agent_leaves_the_citizen_the_survey() {
    let (mut sim, out) = citizen_answers(Some("en"));
    playbacks_end(&mut sim, &out);
    use hotline_call::call::CallCore;
    let now = sim.now;
    sim.callback.hang_up_agent(now).expect("talking");
    let out = sim.drain();
    assert_eq!(hangups(&out), [AGENT_PHONE]);
    assert_eq!(acd(&out), [ToAcd::TalkEnded]);
    assert_eq!(sim.callback.phase(), CallbackPhase::AfterAgent);
    assert!(!is_done(&out));
}

#[test]
fn a_silent_survey_times_out_and_the_call_still_ends() {
    let (mut sim, out) = citizen_answers(Some("en"));
    playbacks_end(&mut sim, &out);
    let out = sim.step(Input::Sip(Event::CallEnded {
        call: AGENT_PHONE,
        by: EndedBy::Remote,
        reason: "bye",
    }));
    let mut out = playbacks_end(&mut sim, &out);
    for _ in 0..20 {
        if is_done(&out) {
            break;
        }
        let mut next = sim.advance(std::time::Duration::from_secs(9));
        let ended = playbacks_end(&mut sim, &next);
        next.extend(ended);
        out = next;
    }
    assert!(is_done(&out), "{out:?}");
    assert_eq!(outcome(&out), Some(Outcome::Talked));
}

#[test]
fn a_key_sent_by_sip_info_goes_through_the_citizens_leg() {
    let (mut sim, out) = citizen_answers(Some("en"));
    playbacks_end(&mut sim, &out);
    let citizen = sim.citizen();
    let out = sim.step(Input::Sip(Event::InfoDtmf {
        call: CITIZEN_LINE,
        digit: '5',
        duration_ms: 160,
    }));
    assert!(
        media_ops(&out, citizen)
            .iter()
            .any(|op| matches!(op, MediaOp::InfoDtmf(key) if key.key == '5')),
        "reported and barged-in like an RTP key: {out:?}"
    );
}
