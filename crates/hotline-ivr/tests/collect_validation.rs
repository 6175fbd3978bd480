//! Entries checked against a pattern, ended by the terminator, by the
//! inter-digit pause or by reaching the maximum length.

mod common;

use common::*;
use hotline_ivr::*;
use hotline_types::CallEvent;

const SCRIPT: &str = r#"
[script]
name = "t"
start = "phone"
languages = ["zh", "en"]
default_language = "zh"

[[collect]]
id = "phone"
prompts = ["enter_case_ref"]
var = "callback_number"
min_len = 11
max_len = 11
pattern = "1[3-9][0-9]{9}"
timeout_ms = 8000
inter_digit_timeout_ms = 3000
retries = 1
invalid_prompt = "invalid_choice"
timeout_prompt = "no_input"
next = "code"
after_retries = "bye"

[[collect]]
id = "code"
prompts = ["enter_case_ref"]
var = "code"
min_len = 2
max_len = 6
terminator = ""
timeout_ms = 8000
inter_digit_timeout_ms = 2000
invalid_prompt = "invalid_choice"
timeout_prompt = "no_input"
next = "bye"
after_retries = "bye"

[[hangup]]
id = "bye"
"#;

#[test]
fn a_number_matching_the_pattern_is_kept_and_shown_in_the_record() {
    let mut call = Call::started(compile(SCRIPT), monday_10am());
    call.press("13912345678");
    assert_eq!(call.ivr.var("callback_number"), Some("13912345678"));
    assert!(call.events().contains(&CallEvent::DigitsCollected {
        node: "phone".into(),
        digits: "13912345678".into()
    }));
    assert_eq!(call.ivr.current_node(), Some("code"));
}

#[test]
fn a_number_not_matching_the_pattern_is_refused() {
    let mut call = Call::started(compile(SCRIPT), monday_10am());
    call.press("12912345678");
    assert_eq!(call.ivr.var("callback_number"), None);
    assert_eq!(call.ivr.current_node(), Some("phone"));
    assert!(call.events().contains(&CallEvent::MenuRetry {
        node: "phone".into(),
        reason: "invalid".into(),
        attempt: 1
    }));
}

#[test]
fn without_a_terminator_the_inter_digit_pause_ends_the_entry() {
    let mut call = Call::started(compile(SCRIPT), monday_10am());
    call.press("13912345678");
    call.press("4#2"); // # is an ordinary key here
    call.silence();
    assert_eq!(call.ivr.var("code"), Some("4#2"));
    assert_eq!(
        call.ivr.outcome(),
        Some(&Outcome::HungUp {
            reason: "ivr_hangup".into()
        })
    );
}

#[test]
fn a_too_short_entry_after_the_pause_is_refused() {
    let mut call = Call::started(compile(SCRIPT), monday_10am());
    call.press("13912345678");
    call.press("4");
    call.silence();
    assert_eq!(call.ivr.var("code"), None);
    assert!(call.events().contains(&CallEvent::MenuRetry {
        node: "code".into(),
        reason: "invalid".into(),
        attempt: 1
    }));
}
