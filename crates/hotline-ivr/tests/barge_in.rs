//! A caller who knows the menu can press ahead: keys stop a barge-in prompt
//! and count in the next menu. Prompts without barge-in play to the end.

mod common;

use common::*;
use hotline_ivr::*;

const SCRIPT: &str = r#"
[script]
name = "t"
start = "notice"
languages = ["zh", "en"]
default_language = "zh"

[[play]]
id = "notice"
prompts = ["after_hours"]
barge_in = false
next = "welcome"

[[play]]
id = "welcome"
prompts = ["welcome"]
barge_in = true
next = "main"

[[menu]]
id = "main"
prompts = ["main_menu"]
keys = { "1" = "one", "2" = "two" }
timeout_ms = 5000
retries = 1
invalid_prompt = "invalid_choice"
timeout_prompt = "no_input"
after_retries = "one"

[[hangup]]
id = "one"
reason = "one"

[[hangup]]
id = "two"
reason = "two"
"#;

#[test]
fn keys_during_a_prompt_without_barge_in_are_ignored() {
    let mut call = Call::started(compile(SCRIPT), monday_10am());
    call.barge("2");
    assert_eq!(call.path(), ["notice"]);
    assert!(!call
        .commands()
        .iter()
        .any(|a| matches!(a, Action::StopPlayback { .. })));
}

#[test]
fn a_key_during_a_barge_in_prompt_stops_it_and_chooses_in_the_next_menu() {
    let mut call = Call::started(compile(SCRIPT), monday_10am());
    call.prompts_end(); // the notice
    assert_eq!(call.path(), ["notice", "welcome"]);
    call.barge("2");
    assert_eq!(call.path(), ["notice", "welcome", "main", "two"]);
    let stopped = call
        .commands()
        .iter()
        .filter(|a| matches!(a, Action::StopPlayback { .. }))
        .count();
    // The welcome stopped; the menu prompt was stopped by the typed-ahead key.
    assert_eq!(stopped, 2);
    assert_eq!(
        call.ivr.outcome(),
        Some(&Outcome::HungUp {
            reason: "two".into()
        })
    );
}

#[test]
fn a_late_prompt_finished_of_a_stopped_prompt_is_ignored() {
    let mut call = Call::started(compile(SCRIPT), monday_10am());
    call.prompts_end();
    let welcome = call
        .commands()
        .iter()
        .rev()
        .find_map(|a| match a {
            Action::Play { id, .. } => Some(*id),
            _ => None,
        })
        .expect("welcome plays");
    call.barge("7"); // invalid in the menu: retry prompt plays
    let before = call.log.len();
    call.input(Input::PromptFinished(welcome));
    assert_eq!(call.log.len(), before, "nothing happens");
    assert_eq!(call.ivr.current_node(), Some("main"));
}
