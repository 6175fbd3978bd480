//! Wrong keys get an explanation and the menu again; too many go to the
//! script's after-retries node. Keys that no phone sends are ignored.

mod common;

use common::*;
use hotline_ivr::*;
use hotline_types::CallEvent;

const SCRIPT: &str = r#"
[script]
name = "t"
start = "main"
languages = ["zh", "en"]
default_language = "en"

[[menu]]
id = "main"
prompts = ["main_menu"]
keys = { "1" = "one", "0" = "agent" }
timeout_ms = 5000
retries = 1
invalid_prompt = "invalid_choice"
timeout_prompt = "no_input"
after_retries = "agent"

[[queue]]
id = "agent"
queue = "general"
overflow = "one"

[[hangup]]
id = "one"
"#;

#[test]
fn an_invalid_key_is_explained_and_the_menu_repeats() {
    let mut call = Call::started(compile(SCRIPT), monday_10am());
    call.press("7");
    assert_eq!(
        call.played(),
        ["en/main_menu", "en/invalid_choice", "en/main_menu"]
    );
    let events = call.events();
    let wrong = events
        .iter()
        .position(|e| {
            *e == CallEvent::DigitsCollected {
                node: "main".into(),
                digits: "7".into(),
            }
        })
        .expect("the wrong key is in the call record");
    assert_eq!(
        events[wrong + 1],
        CallEvent::MenuRetry {
            node: "main".into(),
            reason: "invalid".into(),
            attempt: 1
        }
    );
    call.press("1");
    assert_eq!(call.path(), ["main", "one"]);
}

#[test]
fn too_many_invalid_keys_go_to_after_retries() {
    let mut call = Call::started(compile(SCRIPT), monday_10am());
    call.press("7");
    call.press("#");
    assert_eq!(call.path(), ["main", "agent"]);
}

#[test]
fn an_invalid_key_during_the_prompt_stops_it_and_retries() {
    let mut call = Call::started(compile(SCRIPT), monday_10am());
    call.barge("5");
    let commands = call.commands();
    assert!(matches!(commands[0], Action::Play { .. }));
    assert!(matches!(commands[2], Action::StopPlayback { .. }));
    assert_eq!(
        call.played(),
        ["en/main_menu", "en/invalid_choice", "en/main_menu"]
    );
}

#[test]
fn characters_that_are_not_dtmf_are_ignored() {
    let mut call = Call::started(compile(SCRIPT), monday_10am());
    call.prompts_end();
    call.input(Input::Digit('a'));
    call.input(Input::Digit('\u{1F600}'));
    assert_eq!(call.path(), ["main"]);
    assert!(!call
        .events()
        .iter()
        .any(|e| matches!(e, CallEvent::MenuRetry { .. })));
}
