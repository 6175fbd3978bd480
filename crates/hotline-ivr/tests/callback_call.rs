//! The hotline calls a citizen back: the script of the outgoing call speaks
//! the language of the original request, puts the citizen through to the
//! agent who waits on the line, and is sorry if that agent has gone.

mod common;

use common::*;
use hotline_ivr::*;
use hotline_types::QueueId;

fn callback_call(language: &str) -> Call {
    let script = ScriptSet::load(shipped_dir(), hotline_environment())
        .expect("loads")
        .script("callback")
        .expect("the callback script");
    let info = CallInfo {
        caller: "12345".into(),
        called: "13800138000".into(),
        answered_at: monday_10am(),
    };
    let ivr =
        Ivr::new(script, info).with_vars([("language", language), ("case_ref", "261120000173")]);
    let mut call = Call::from_ivr(ivr);
    call.input(Input::Start);
    call
}

#[test]
fn the_citizen_hears_the_request_language_then_is_put_through() {
    let mut call = callback_call("en");
    assert_eq!(call.played(), ["en/callback_intro"]);
    assert_eq!(call.ivr.current_node(), Some("intro"));
    call.prompts_end();
    assert_eq!(
        call.last_command(),
        Some(&Action::Enqueue {
            queue: QueueId::from("general"),
            priority: 0,
            skills: vec![]
        })
    );
    assert_eq!(call.ivr.var("case_ref"), Some("261120000173"));
}

#[test]
fn an_unknown_preset_language_keeps_the_default() {
    let call = callback_call("fr");
    assert_eq!(call.played(), ["zh/callback_intro"]);
    assert_eq!(call.ivr.var("language"), Some("zh"));
}

#[test]
fn the_citizen_hears_an_apology_when_the_agent_has_gone() {
    let mut call = callback_call("zh");
    call.prompts_end();
    call.input(Input::QueueResult(QueueOutcome::Overflow {
        reason: "agent_gone".into(),
    }));
    call.prompts_end();
    assert_eq!(
        call.ivr.outcome(),
        Some(&Outcome::HungUp {
            reason: "callback_no_agent".into()
        })
    );
}
