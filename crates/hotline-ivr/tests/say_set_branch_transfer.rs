//! The smaller node kinds as a caller meets them: values spoken in the
//! caller's language, variables set from other variables, branches on them,
//! and a transfer to a destination named in the configuration.

mod common;

use common::*;
use hotline_ivr::*;
use hotline_types::CallEvent;

const SCRIPT: &str = r#"
[script]
name = "t"
start = "lang"
languages = ["zh", "en"]
default_language = "zh"

[[set_language]]
id = "lang"
language = "en"
next = "remember"

[[set]]
id = "remember"
var = "greeting"
value = "caller {caller} in {language}"
next = "count"

[[say]]
id = "count"
format = "number"
value = "1234"
next = "date"

[[say]]
id = "date"
format = "date"
value = "2026-10-01"
next = "digits"

[[say]]
id = "digits"
format = "digits"
var = "caller"
next = "reply"

[[say]]
id = "reply"
format = "text"
value = "  The road was repaired on Monday.  "
next = "blank"

[[say]]
id = "blank"
format = "text"
value = "   "
next = "nothing"

[[say]]
id = "nothing"
format = "case_ref"
var = "unset_variable"
next = "route"

[[branch]]
id = "route"
otherwise = "bye"
[[branch.when]]
var = "unset_variable"
is_set = true
next = "bye"
[[branch.when]]
var = "language"
one_of = ["fr", "de"]
next = "bye"
[[branch.when]]
var = "language"
not_equals = "zh"
next = "out"

[[transfer]]
id = "out"
destination = "emergency_110"

[[hangup]]
id = "bye"
"#;

#[test]
fn values_are_said_in_the_callers_language_and_the_call_is_transferred_by_name() {
    let mut call = Call::started(compile(SCRIPT), monday_10am());
    call.prompts_end();
    call.prompts_end();
    call.prompts_end();
    call.prompts_end();
    let said: Vec<(SayValue, String)> = call
        .commands()
        .into_iter()
        .filter_map(|a| match a {
            Action::Say {
                value, language, ..
            } => Some((value.clone(), language.to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(
        said,
        [
            (SayValue::Number(1234), "en".into()),
            (
                SayValue::Date {
                    year: 2026,
                    month: 10,
                    day: 1
                },
                "en".into()
            ),
            (SayValue::Digits("13800138000".into()), "en".into()),
            (
                SayValue::Text("The road was repaired on Monday.".into()),
                "en".into()
            ),
        ],
        "the text is trimmed; blank text and the unset case reference are skipped"
    );
    assert!(call.events().contains(&CallEvent::VariableSet {
        name: "greeting".into(),
        value: "caller 13800138000 in en".into()
    }));
    assert!(call.events().contains(&CallEvent::Transferred {
        to: "emergency_110".into(),
        kind: "external".into(),
        by: None
    }));
    assert_eq!(
        call.last_command(),
        Some(&Action::Transfer {
            destination: "emergency_110".into()
        })
    );
    assert_eq!(
        call.ivr.outcome(),
        Some(&Outcome::Transferred {
            destination: "emergency_110".into()
        })
    );
    assert_eq!(
        call.path(),
        [
            "lang", "remember", "count", "date", "digits", "reply", "blank", "nothing", "route",
            "out"
        ]
    );
}
