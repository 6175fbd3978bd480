//! The `[[consent]]` node: a notice the caller may object to with one key.
//! The key declines during the notice (which stops) or in the time after
//! it; silence is agreement. Other keys are ignored: they neither stop the
//! notice nor count for the next menu. Each choice is a `consent_recorded` event, the
//! variable `consent_<purpose>` and an `Action::Consent` for the call.
//! A key that stopped the barge-in welcome counts as pressed during the
//! notice (over RTP it is reported once the notice plays).
//! A notice the checker cannot honour is refused with its line.

mod common;

use common::*;
use hotline_ivr::*;
use hotline_types::{CallEvent, ConsentPurpose};

const SCRIPT: &str = r#"
[script]
name = "t"
start = "welcome"
languages = ["zh", "en"]
default_language = "zh"

[[play]]
id = "welcome"
prompts = ["welcome"]
barge_in = true
next = "recording_notice"

[[consent]]
id = "recording_notice"
purpose = "recording"
prompts = ["recording_notice"]
decline_key = "9"
timeout_ms = 3000
next = "main"

[[menu]]
id = "main"
prompts = ["main_menu"]
keys = { "0" = "agent", "1" = "agent" }
timeout_ms = 5000
invalid_prompt = "invalid_choice"
timeout_prompt = "no_input"
after_retries = "agent"

[[queue]]
id = "agent"
queue = "general"
overflow = "bye"

[[hangup]]
id = "bye"
"#;

/// Started, the welcome heard: the notice plays.
fn at_the_notice() -> Call {
    let mut call = Call::started(compile(SCRIPT), monday_10am());
    call.prompts_end();
    assert_eq!(call.ivr.current_node(), Some("recording_notice"));
    assert_eq!(
        call.played().last().map(String::as_str),
        Some("zh/recording_notice")
    );
    call
}

fn consents(call: &Call) -> Vec<(String, bool, String)> {
    call.events()
        .into_iter()
        .filter_map(|e| match e {
            CallEvent::ConsentRecorded {
                purpose,
                granted,
                channel,
            } => Some((purpose, granted, channel)),
            _ => None,
        })
        .collect()
}

fn consent_actions(call: &Call) -> Vec<&Action> {
    call.commands()
        .into_iter()
        .filter(|a| matches!(a, Action::Consent { .. }))
        .collect()
}

#[test]
fn the_notice_plays_without_barge_in() {
    let call = at_the_notice();
    let notice = call.commands().into_iter().rev().find_map(|a| match a {
        Action::Play {
            prompts, barge_in, ..
        } => Some((prompts[0].name.to_string(), *barge_in)),
        _ => None,
    });
    assert_eq!(notice, Some(("recording_notice".into(), false)));
}

#[test]
fn the_decline_key_during_the_notice_declines_at_once() {
    let mut call = at_the_notice();
    call.clear();
    call.barge("9");
    assert!(
        matches!(call.commands().first(), Some(Action::StopPlayback { .. })),
        "the notice stops: {:?}",
        call.commands()
    );
    assert_eq!(
        consents(&call),
        [("recording".into(), false, "phone_ivr".into())]
    );
    assert_eq!(
        consent_actions(&call),
        [&Action::Consent {
            purpose: ConsentPurpose::Recording,
            granted: false
        }]
    );
    assert!(call.events().contains(&CallEvent::VariableSet {
        name: "consent_recording".into(),
        value: "declined".into()
    }));
    assert_eq!(call.ivr.var("consent_recording"), Some("declined"));
    assert_eq!(call.path().last().map(String::as_str), Some("main"));
}

#[test]
fn the_decline_key_after_the_notice_counts_until_the_time_is_up() {
    let mut call = at_the_notice();
    call.prompts_end();
    let deadline = call.ivr.poll_timeout().expect("the time to object");
    assert_eq!(deadline - call.now, std::time::Duration::from_millis(3000));
    call.advance(2_500);
    call.input(Input::Digit('9'));
    assert_eq!(
        consents(&call),
        [("recording".into(), false, "phone_ivr".into())]
    );
    assert!(
        !call
            .commands()
            .iter()
            .any(|a| matches!(a, Action::StopPlayback { .. })),
        "nothing to stop once the notice ended"
    );
    assert_eq!(call.ivr.current_node(), Some("main"));
}

#[test]
fn silence_after_the_notice_is_agreement() {
    let mut call = at_the_notice();
    call.silence();
    assert_eq!(
        consents(&call),
        [("recording".into(), true, "phone_ivr".into())]
    );
    assert_eq!(
        consent_actions(&call),
        [&Action::Consent {
            purpose: ConsentPurpose::Recording,
            granted: true
        }]
    );
    assert_eq!(call.ivr.var("consent_recording"), Some("granted"));
    assert_eq!(call.ivr.current_node(), Some("main"));
}

#[test]
fn other_keys_are_ignored() {
    let mut call = at_the_notice();
    call.clear();
    call.barge("1#*");
    assert!(
        call.commands().is_empty(),
        "no stop, no decision: {:?}",
        call.log
    );
    call.prompts_end();
    call.advance(1_000);
    call.input(Input::Digit('0'));
    assert!(consents(&call).is_empty());
    assert_eq!(call.ivr.current_node(), Some("recording_notice"));
    call.silence();
    assert_eq!(
        consents(&call),
        [("recording".into(), true, "phone_ivr".into())]
    );
    // None of them was kept for the menu: it waits for a key.
    assert_eq!(call.ivr.current_node(), Some("main"));
    assert!(!call
        .commands()
        .iter()
        .any(|a| matches!(a, Action::Enqueue { .. })));
}

#[test]
fn a_key_that_stops_the_welcome_lands_in_the_notice() {
    // Any key but 9 stops the welcome (a barge-in prompt) and is ignored:
    // the notice plays in full and the menu after it waits for a key.
    let mut call = Call::started(compile(SCRIPT), monday_10am());
    call.barge("0");
    assert_eq!(call.ivr.current_node(), Some("recording_notice"));
    call.silence();
    assert_eq!(
        consents(&call),
        [("recording".into(), true, "phone_ivr".into())]
    );
    assert_eq!(call.ivr.current_node(), Some("main"));
    assert!(!call
        .commands()
        .iter()
        .any(|a| matches!(a, Action::Enqueue { .. })));

    // 9 during the welcome declines, as it would over RTP, where the key is
    // reported once it ends and the notice already plays.
    let mut call = Call::started(compile(SCRIPT), monday_10am());
    call.barge("9");
    assert_eq!(
        consents(&call),
        [("recording".into(), false, "phone_ivr".into())]
    );
    assert!(call.played().contains(&"zh/recording_notice".to_string()));
    assert!(matches!(
        call.commands().last(),
        Some(Action::CollectDigits { .. })
    ));
    assert_eq!(call.ivr.current_node(), Some("main"));
}

#[test]
fn keys_typed_ahead_after_the_decline_key_count_for_the_next_menu() {
    // Two barge-in prompts before the notice: 9 stops the first, 0 the
    // second; 9 declines at the notice and 0 chooses in the menu.
    let text = SCRIPT.replace(
        "barge_in = true\nnext = \"recording_notice\"",
        "barge_in = true\nnext = \"intro\"\n\n[[play]]\nid = \"intro\"\nprompts = [\"info_hours\"]\nbarge_in = true\nnext = \"recording_notice\"",
    );
    assert_ne!(text, SCRIPT);
    let mut call = Call::started(compile(&text), monday_10am());
    call.barge("90");
    assert_eq!(
        consents(&call),
        [("recording".into(), false, "phone_ivr".into())]
    );
    assert!(call.events().contains(&CallEvent::DigitsCollected {
        node: "main".into(),
        digits: "0".into()
    }));
    assert_eq!(call.ivr.current_node(), Some("agent"));
}

#[test]
fn a_caller_who_hangs_up_during_the_notice_chose_nothing() {
    let mut call = at_the_notice();
    call.input(Input::Hangup);
    assert!(consents(&call).is_empty());
    assert_eq!(
        call.ivr.outcome(),
        Some(&Outcome::CallerHungUp {
            node: Some("recording_notice".into())
        })
    );
}

#[test]
fn every_purpose_sets_its_own_variable() {
    for purpose in ConsentPurpose::ALL {
        let text = SCRIPT.replace(
            "purpose = \"recording\"",
            &format!("purpose = \"{purpose}\""),
        );
        let mut call = Call::started(compile(&text), monday_10am());
        call.prompts_end();
        call.barge("9");
        assert_eq!(
            call.ivr.var(&format!("consent_{purpose}")),
            Some("declined"),
            "{purpose}"
        );
        assert!(consent_actions(&call).contains(&&Action::Consent {
            purpose,
            granted: false
        }));
    }
}

fn refused(replace: &str, with: &str) -> Vec<Problem> {
    let text = SCRIPT.replace(replace, with);
    assert_ne!(text, SCRIPT, "{replace:?} is in the script");
    let (script, problems) = try_compile(&text);
    assert!(script.is_none(), "accepted:\n{text}");
    problems
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .collect()
}

#[test]
fn a_notice_that_cannot_be_honoured_is_refused() {
    let line_of =
        |needle: &str| SCRIPT.lines().position(|l| l.contains(needle)).unwrap() as u32 + 1;

    let problems = refused("purpose = \"recording\"", "purpose = \"marketing\"");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].message.contains("purpose \"marketing\""),
        "{}",
        problems[0]
    );
    assert!(problems[0].fix.contains("follow_up"), "{}", problems[0]);
    assert_eq!(problems[0].line, line_of("purpose = "));

    for key in ["99", "", "a", "+"] {
        let problems = refused("decline_key = \"9\"", &format!("decline_key = \"{key}\""));
        assert!(
            problems[0]
                .message
                .contains("is not one key a phone can send"),
            "{key:?}: {problems:?}"
        );
        assert_eq!(problems[0].line, line_of("decline_key"));
    }

    let problems = refused("prompts = [\"recording_notice\"]", "prompts = []");
    assert!(
        problems[0].message.contains("has no prompts"),
        "{problems:?}"
    );

    let problems = refused("timeout_ms = 3000", "timeout_ms = 0");
    assert!(
        problems[0].message.contains("timeout_ms is 0"),
        "{problems:?}"
    );

    let problems = refused("next = \"main\"\n\n[[menu]]", "next = \"mian\"\n\n[[menu]]");
    assert!(
        problems[0].fix.contains("did you mean \"main\""),
        "{problems:?}"
    );

    let problems = refused(
        "decline_key = \"9\"\n",
        "decline_key = \"9\"\nbarge_in = true\n",
    );
    assert!(
        problems[0].message.contains("unknown field `barge_in`"),
        "{problems:?}"
    );
}

#[test]
fn a_notice_without_a_time_to_object_is_warned_about() {
    let (script, problems) = try_compile(&SCRIPT.replace("timeout_ms = 3000\n", ""));
    let script = script.expect("a warning, not an error");
    assert!(
        problems.iter().any(
            |p| p.severity == Severity::Warning && p.message.contains("no timeout_ms; 3000 ms")
        ),
        "{problems:?}"
    );
    let mut call = Call::started(std::sync::Arc::new(script), monday_10am());
    call.prompts_end();
    call.prompts_end();
    let deadline = call.ivr.poll_timeout().expect("the time to object");
    assert_eq!(deadline - call.now, std::time::Duration::from_millis(3000));
}
