//! A caller who presses nothing hears why, gets the menu again, and after
//! the last retry goes where the script says. Timers run only once the
//! prompt has ended.

mod common;

use std::time::Duration;

use common::*;
use hotline_ivr::*;
use hotline_types::CallEvent;

const SCRIPT: &str = r#"
[script]
name = "t"
start = "main"
languages = ["zh", "en"]
default_language = "zh"

[[menu]]
id = "main"
prompts = ["main_menu"]
keys = { "1" = "one", "12" = "twelve" }
timeout_ms = 5000
inter_digit_timeout_ms = 2000
retries = 2
invalid_prompt = "invalid_choice"
timeout_prompt = "no_input"
after_retries = "agent"

[[queue]]
id = "agent"
queue = "general"
overflow = "bye"

[[hangup]]
id = "one"
reason = "one"

[[hangup]]
id = "twelve"
reason = "twelve"

[[hangup]]
id = "bye"
"#;

#[test]
fn no_timer_runs_while_the_menu_prompt_plays() {
    let mut call = Call::started(compile(SCRIPT), monday_10am());
    assert_eq!(call.ivr.poll_timeout(), None);
    call.prompts_end();
    assert_eq!(
        call.ivr.poll_timeout(),
        Some(call.now + Duration::from_millis(5000))
    );
}

#[test]
fn silence_retries_twice_then_goes_to_after_retries() {
    let mut call = Call::started(compile(SCRIPT), monday_10am());
    call.silence();
    call.silence();
    call.silence();
    let retries: Vec<(String, u32)> = call
        .events()
        .into_iter()
        .filter_map(|e| match e {
            CallEvent::MenuRetry {
                reason, attempt, ..
            } => Some((reason, attempt)),
            _ => None,
        })
        .collect();
    assert_eq!(
        retries,
        [
            ("timeout".into(), 1),
            ("timeout".into(), 2),
            ("timeout".into(), 3)
        ]
    );
    assert_eq!(
        call.played(),
        [
            "zh/main_menu",
            "zh/no_input",
            "zh/main_menu",
            "zh/no_input",
            "zh/main_menu"
        ]
    );
    assert_eq!(call.path(), ["main", "agent"]);
    assert!(matches!(
        call.last_command(),
        Some(Action::Enqueue { queue, .. }) if queue.as_str() == "general"
    ));
}

#[test]
fn a_key_that_begins_a_longer_key_waits_for_the_inter_digit_timeout() {
    let mut call = Call::started(compile(SCRIPT), monday_10am());
    call.press("1");
    assert_eq!(call.path(), ["main"], "1 could still become 12");
    let waited_from = call.now;
    call.silence();
    assert_eq!(call.now - waited_from, Duration::from_millis(2000));
    assert_eq!(call.path(), ["main", "one"]);
    assert_eq!(
        call.ivr.outcome(),
        Some(&Outcome::HungUp {
            reason: "one".into()
        })
    );
}

#[test]
fn the_longer_key_is_chosen_as_soon_as_it_is_complete() {
    let mut call = Call::started(compile(SCRIPT), monday_10am());
    call.press("12");
    assert_eq!(call.path(), ["main", "twelve"]);
    assert!(call.events().contains(&CallEvent::DigitsCollected {
        node: "main".into(),
        digits: "12".into()
    }));
}

#[test]
fn a_key_delivered_after_the_deadline_comes_after_the_timeout() {
    let mut call = Call::started(compile(SCRIPT), monday_10am());
    call.prompts_end();
    // The controller was late: the key arrives 6 s after the prompt ended.
    call.advance(6000);
    call.input(Input::Digit('1'));
    let retry_at = call
        .events()
        .iter()
        .position(|e| matches!(e, CallEvent::MenuRetry { .. }))
        .expect("the timeout retry happened first");
    assert!(retry_at > 0);
    // The key then barged into the repeated menu prompt.
    assert!(call
        .commands()
        .iter()
        .any(|a| matches!(a, Action::StopPlayback { .. })));
}

#[test]
fn a_spurious_early_timeout_is_ignored() {
    let mut call = Call::started(compile(SCRIPT), monday_10am());
    call.prompts_end();
    call.advance(100);
    call.input(Input::Timeout);
    assert!(!call
        .events()
        .iter()
        .any(|e| matches!(e, CallEvent::MenuRetry { .. })));
}

#[test]
fn a_wrong_second_key_retries_and_no_old_timer_fires_during_the_retry_prompt() {
    let mut call = Call::started(compile(SCRIPT), monday_10am());
    call.press("1");
    call.barge("5"); // "15" is no key
    assert_eq!(call.ivr.poll_timeout(), None, "the retry prompt is playing");
    call.advance(10_000);
    call.input(Input::Timeout);
    let retries = call
        .events()
        .iter()
        .filter(|e| matches!(e, CallEvent::MenuRetry { .. }))
        .count();
    assert_eq!(retries, 1);
    assert!(call.events().contains(&CallEvent::DigitsCollected {
        node: "main".into(),
        digits: "15".into()
    }));
}
