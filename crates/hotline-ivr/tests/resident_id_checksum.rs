//! Entering an 18-character resident ID: `*` stands for X, the GB 11643
//! check character is verified, and the number never appears unmasked in
//! the call's events.

mod common;

use common::*;
use hotline_ivr::*;
use hotline_types::CallEvent;

const SCRIPT: &str = r#"
[script]
name = "t"
start = "enter_id"
languages = ["zh", "en"]
default_language = "zh"

[[collect]]
id = "enter_id"
prompts = ["enter_case_ref"]
var = "resident_id"
min_len = 18
max_len = 18
validate = "resident_id"
timeout_ms = 10000
retries = 1
invalid_prompt = "invalid_choice"
timeout_prompt = "no_input"
next = "find"
after_retries = "agent"

[[lookup]]
id = "find"
what = "citizen_by_id"
key_var = "resident_id"
found = "agent"
not_found = "agent"

[[queue]]
id = "agent"
queue = "general"
overflow = "bye"

[[hangup]]
id = "bye"
"#;

#[test]
fn a_valid_id_with_star_for_x_is_looked_up_and_masked_in_events() {
    let mut call = Call::started(compile(SCRIPT), monday_10am());
    call.press("11010519491231002*");
    match call.last_command() {
        Some(Action::Lookup(req)) => {
            assert_eq!(req.key, LookupKey::ResidentId("11010519491231002X".into()));
        }
        other => panic!("expected a lookup, got {other:?}"),
    }
    assert!(call.events().contains(&CallEvent::DigitsCollected {
        node: "enter_id".into(),
        digits: "**************002X".into()
    }));
    for e in call.events() {
        let text = format!("{e:?}");
        assert!(!text.contains("110105194912"), "unmasked ID in {text}");
    }
}

#[test]
fn a_wrong_check_character_is_refused_and_still_masked() {
    let mut call = Call::started(compile(SCRIPT), monday_10am());
    call.press("110105194912310021");
    assert!(call.events().contains(&CallEvent::MenuRetry {
        node: "enter_id".into(),
        reason: "invalid".into(),
        attempt: 1
    }));
    for e in call.events() {
        assert!(!format!("{e:?}").contains("110105194912"));
    }
    assert!(!call
        .commands()
        .iter()
        .any(|a| matches!(a, Action::Lookup(_))));
}

#[test]
fn a_short_entry_ended_with_hash_is_refused() {
    let mut call = Call::started(compile(SCRIPT), monday_10am());
    call.press("1101051949#");
    assert_eq!(
        call.played(),
        [
            "zh/enter_case_ref",
            "zh/invalid_choice",
            "zh/enter_case_ref"
        ]
    );
}

#[test]
fn the_checksum_agrees_with_the_standard() {
    // Built from the algorithm's definition for a few birth dates.
    for first17 in [
        "11010519491231002",
        "44030419900307123",
        "31011519851111004",
    ] {
        let check = resident_id_check_char(first17).expect("17 digits");
        let id = format!("{first17}{check}");
        assert_eq!(check_resident_id(&id).as_deref(), Ok(id.as_str()));
        // Any other check character is refused.
        for other in "0123456789X".chars().filter(|c| *c != check) {
            assert_eq!(
                check_resident_id(&format!("{first17}{other}")),
                Err(ResidentIdError::CheckCharacter)
            );
        }
    }
}

#[test]
fn an_id_number_returned_by_the_store_is_masked_in_events() {
    let mut call = Call::started(compile(SCRIPT), monday_10am());
    call.press("11010519491231002*");
    call.found(&[
        ("citizen_resident_id", "11010519491231002X"),
        ("citizen_name", "Li"),
    ]);
    assert_eq!(
        call.ivr.var("citizen_resident_id"),
        Some("11010519491231002X")
    );
    assert!(call.events().contains(&CallEvent::VariableSet {
        name: "citizen_resident_id".into(),
        value: "**************002X".into()
    }));
    for e in call.events() {
        assert!(!format!("{e:?}").contains("110105194912"));
    }
}
