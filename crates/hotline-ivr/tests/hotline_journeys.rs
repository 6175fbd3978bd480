//! Whole journeys through the shipped hotline, as a citizen would make them:
//! reach a department's queue in English and rate the call afterwards;
//! object to the recording at the notice and reach an agent all the same; leave
//! a message after hours and hear its case number; ask for a callback; get
//! the options when every agent is busy; browse information and go back.

mod common;

use common::*;
use hotline_ivr::*;
use hotline_types::{CallEvent, CaseRef, QueueId};

fn hotline() -> std::sync::Arc<CompiledScript> {
    ScriptSet::load(shipped_dir(), hotline_environment())
        .expect("loads")
        .script("hotline")
        .expect("hotline")
}

/// Language chosen, welcome heard, recording notice heard and agreed to
/// (no key), caller looked up (unknown).
fn answered(at: hotline_types::Timestamp, language_key: &str, caller: &str) -> Call {
    let mut call = Call::new(hotline(), caller, at);
    call.input(Input::Start);
    call.press(language_key);
    call.prompts_end();
    call.silence();
    if caller.is_empty() {
        // Nothing to look up for a hidden number: no question to the store.
        assert!(!call
            .commands()
            .iter()
            .any(|a| matches!(a, Action::Lookup(_))));
    } else {
        call.answer_lookup(LookupOutcome::NotFound);
    }
    call
}

#[test]
fn english_caller_reaches_transport_then_rates_the_call() {
    let mut call = answered(monday_10am(), "2", "13800138000");
    call.press("2"); // report a problem
    call.press("2"); // transport
    call.prompts_end(); // "connecting"
    assert_eq!(
        call.last_command(),
        Some(&Action::Enqueue {
            queue: QueueId::from("transport"),
            priority: 0,
            skills: vec!["lang_en".into()],
        })
    );
    assert!(call.events().contains(&CallEvent::LanguageSelected {
        language: "en".into()
    }));
    // The agent talks to the caller, then hangs up: the survey follows.
    call.input(Input::QueueResult(QueueOutcome::AgentFinished));
    call.press("4");
    assert!(call
        .events()
        .contains(&CallEvent::SurveyAnswered { score: 4 }));
    call.prompts_end(); // thanks
    assert_eq!(
        call.ivr.outcome(),
        Some(&Outcome::HungUp {
            reason: "survey_done".into()
        })
    );
    assert_eq!(
        call.last_command(),
        Some(&Action::Hangup {
            reason: "survey_done".into()
        })
    );
}

#[test]
fn a_caller_who_objects_to_the_recording_reaches_an_agent_all_the_same() {
    let mut call = Call::new(hotline(), "13800138000", monday_10am());
    call.input(Input::Start);
    call.press("2");
    call.prompts_end(); // welcome
    assert_eq!(call.ivr.current_node(), Some("recording_notice"));
    assert_eq!(
        call.played().last().map(String::as_str),
        Some("en/recording_notice")
    );
    call.barge("9");
    assert!(call.events().contains(&CallEvent::ConsentRecorded {
        purpose: "recording".into(),
        granted: false,
        channel: "phone_ivr".into(),
    }));
    assert!(call.commands().contains(&&Action::Consent {
        purpose: hotline_types::ConsentPurpose::Recording,
        granted: false,
    }));
    call.answer_lookup(LookupOutcome::NotFound);
    assert_eq!(call.ivr.current_node(), Some("main_menu"));
    call.press("0");
    call.prompts_end(); // "connecting"
    assert!(matches!(
        call.last_command(),
        Some(Action::Enqueue { queue, .. }) if queue.as_str() == "general"
    ));
    assert_eq!(call.ivr.var("consent_recording"), Some("declined"));
}

#[test]
fn a_survey_key_out_of_range_is_asked_again() {
    let mut call = answered(monday_10am(), "1", "13800138000");
    call.press("0"); // agent
    call.prompts_end();
    call.input(Input::QueueResult(QueueOutcome::AgentFinished));
    call.press("9");
    call.press("1");
    assert!(call
        .events()
        .contains(&CallEvent::SurveyAnswered { score: 1 }));
    assert!(call.played().contains(&"zh/survey_invalid".to_string()));
}

#[test]
fn after_hours_message_opens_a_case_and_reads_its_number_back() {
    // Tuesday 22:30 in Shanghai: closed.
    let mut call = answered(shanghai(2026, 11, 24, 22, 30), "1", "13800138000");
    call.prompts_end(); // after-hours notice
    call.press("2"); // leave a message
    call.prompts_end(); // instructions
    assert!(matches!(
        call.last_command(),
        Some(Action::Record {
            max_ms: 120_000,
            beep: true,
            ..
        })
    ));
    let case = CaseRef::new(2026, 11, 24, 311).expect("valid");
    call.recorded(45_000, Some(case.clone()));
    assert!(call.events().contains(&CallEvent::VoicemailRecorded {
        recording: "rec/1.wav".into(),
        duration_ms: 45_000,
        case_ref: Some(case.clone()),
    }));
    assert!(call.events().contains(&CallEvent::CaseLinked {
        case_ref: case.clone()
    }));
    call.prompts_end(); // "registered as case number"
    assert!(call.commands().iter().any(|a| matches!(
        a,
        Action::Say { value: SayValue::CaseRef(r), .. } if *r == case
    )));
    call.prompts_end(); // the number
    call.prompts_end(); // goodbye
    assert_eq!(
        call.ivr.outcome(),
        Some(&Outcome::HungUp {
            reason: "ivr_hangup".into()
        })
    );
}

#[test]
fn a_silent_message_is_not_a_case() {
    let mut call = answered(shanghai(2026, 11, 24, 22, 30), "1", "13800138000");
    call.prompts_end();
    call.press("2");
    call.recorded(800, None);
    assert!(!call
        .events()
        .iter()
        .any(|e| matches!(e, CallEvent::VoicemailRecorded { .. })));
    assert!(call.played().contains(&"zh/message_empty".to_string()));
}

#[test]
fn callback_request_after_hours() {
    let mut call = answered(shanghai(2026, 11, 24, 22, 30), "1", "13800138000");
    call.prompts_end();
    call.press("3");
    assert!(call.events().contains(&CallEvent::CallbackRequested {
        queue: Some(QueueId::from("general")),
        number: "13800138000".into()
    }));
    assert!(call.commands().contains(&&Action::RequestCallback {
        number: "13800138000".into(),
        queue: Some(QueueId::from("general"))
    }));
    call.prompts_end();
    assert_eq!(
        call.ivr.outcome(),
        Some(&Outcome::HungUp {
            reason: "callback_requested".into()
        })
    );
}

#[test]
fn an_anonymous_caller_cannot_get_a_callback_and_hears_why() {
    let mut call = answered(shanghai(2026, 11, 24, 22, 30), "1", "");
    call.prompts_end();
    call.press("3");
    assert!(!call
        .commands()
        .iter()
        .any(|a| matches!(a, Action::RequestCallback { .. })));
    call.prompts_end();
    let played = call.played();
    assert_eq!(
        &played[played.len() - 2..],
        ["zh/callback_no_number", "zh/after_hours_menu"]
    );
}

#[test]
fn when_every_agent_is_busy_the_caller_chooses_what_next() {
    let mut call = answered(monday_10am(), "1", "13800138000");
    call.press("2");
    call.press("1"); // housing
    call.prompts_end();
    call.input(Input::QueueResult(QueueOutcome::Overflow {
        reason: "max_wait".into(),
    }));
    assert_eq!(call.ivr.current_node(), Some("queue_busy"));
    call.press("3"); // keep waiting: general queue
    assert!(matches!(
        call.last_command(),
        Some(Action::Enqueue { queue, .. }) if queue.as_str() == "general"
    ));
}

#[test]
fn information_is_a_sub_menu_and_9_goes_back() {
    let mut call = answered(monday_10am(), "1", "13800138000");
    call.press("3");
    call.press("1"); // opening hours
    call.prompts_end();
    call.press("9"); // back
    assert_eq!(call.ivr.current_node(), Some("main_menu"));
    // After hours, the same sub-menu goes back to the after-hours menu.
    let mut late = answered(shanghai(2026, 11, 24, 22, 30), "1", "13800138000");
    late.prompts_end();
    late.press("4");
    late.press("9");
    assert_eq!(late.ivr.current_node(), Some("after_hours_menu"));
}

#[test]
fn pressing_nothing_at_the_language_menu_gives_mandarin() {
    let mut call = Call::new(hotline(), "13800138000", monday_10am());
    call.input(Input::Start);
    call.silence();
    call.silence();
    assert_eq!(call.ivr.language(), "zh");
    assert_eq!(call.ivr.current_node(), Some("welcome"));
}

#[test]
fn a_number_outside_the_dial_plan_is_not_called_back() {
    let ivr = Ivr::new(
        hotline(),
        CallInfo {
            caller: "0019005551234".into(),
            called: "12345".into(),
            answered_at: shanghai(2026, 11, 24, 22, 30),
        },
    )
    .with_callback_numbers(CallbackNumbers::new(|n| n.starts_with("1")));
    let mut call = Call::from_ivr(ivr);
    call.input(Input::Start);
    call.press("1");
    call.prompts_end();
    call.silence();
    call.answer_lookup(LookupOutcome::NotFound);
    call.prompts_end();
    call.press("3");
    assert!(!call
        .commands()
        .iter()
        .any(|a| matches!(a, Action::RequestCallback { .. })));
    assert!(!call
        .events()
        .iter()
        .any(|e| matches!(e, CallEvent::CallbackRequested { .. })));
    assert!(call.events().contains(&CallEvent::DialRefused {
        number: "0019005551234".into(),
        purpose: "callback".into(),
        reason: "outside_dial_plan".into(),
    }));
    assert_eq!(call.ivr.var("callback"), Some("refused"));
}
