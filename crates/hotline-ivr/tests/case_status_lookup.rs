//! Case status self-service on the shipped hotline: a reference number is
//! checked before the store is asked; found, not found, an unexpected status
//! and a store that does not answer each get their documented path.

mod common;

use common::*;
use hotline_ivr::*;
use hotline_types::{CallEvent, CaseRef};

fn at_case_entry() -> Call {
    let set = ScriptSet::load(shipped_dir(), hotline_environment()).expect("loads");
    let mut call = Call::started(set.script("hotline").expect("hotline"), monday_10am());
    call.press("1"); // Mandarin
    call.prompts_end(); // welcome
    call.silence(); // the recording notice, agreed
    call.answer_lookup(LookupOutcome::NotFound); // unknown caller
    call.press("1"); // case status
    assert_eq!(call.ivr.current_node(), Some("case_enter"));
    call.clear();
    call
}

fn case() -> CaseRef {
    CaseRef::new(2026, 11, 20, 17).expect("valid")
}

#[test]
fn found_reads_back_number_status_and_department() {
    let mut call = at_case_entry();
    call.press(&format!("{}#", case().digits()));
    match call.last_command() {
        Some(Action::Lookup(req)) => {
            assert_eq!(req.kind, LookupKind::CaseStatus);
            assert_eq!(req.key, LookupKey::CaseRef(case()));
        }
        other => panic!("expected a lookup, got {other:?}"),
    }
    call.found(&[
        ("case_status", "in_progress"),
        ("case_department", "housing"),
    ]);
    call.prompts_end(); // "case number"
    assert!(call.commands().iter().any(|a| matches!(
        a,
        Action::Say { value: SayValue::CaseRef(r), language, .. } if *r == case() && &**language == "zh"
    )));
    call.prompts_end(); // the number
    call.prompts_end(); // status
    call.prompts_end(); // department
    assert_eq!(
        call.played(),
        [
            "zh/case_ref_is",
            "zh/case_status_is",
            "zh/status_in_progress",
            "zh/case_department_is",
            "zh/dept_housing",
            "zh/case_after_menu"
        ]
    );
    assert!(call.events().contains(&CallEvent::LookupDone {
        what: "case_status".into(),
        found: true
    }));
    assert_eq!(call.ivr.var("case_department"), Some("housing"));
}

#[test]
fn an_unexpected_status_plays_the_fallback_prompt_not_a_file_named_by_the_store() {
    let mut call = at_case_entry();
    call.press(&format!("{}#", case().digits()));
    call.found(&[
        ("case_status", "../../etc/passwd"),
        ("case_department", "mars"),
    ]);
    for _ in 0..4 {
        call.prompts_end();
    }
    let played = call.played();
    assert!(
        played.contains(&"zh/status_unknown".to_string()),
        "{played:?}"
    );
    assert!(played.contains(&"zh/dept_other".to_string()), "{played:?}");
}

#[test]
fn not_found_offers_to_enter_again() {
    let mut call = at_case_entry();
    call.press(&format!("{}#", case().digits()));
    call.answer_lookup(LookupOutcome::NotFound);
    assert_eq!(call.played(), ["zh/case_not_found"]);
    assert!(call.events().contains(&CallEvent::LookupDone {
        what: "case_status".into(),
        found: false
    }));
    call.press("1");
    assert_eq!(call.ivr.current_node(), Some("case_enter"));
}

#[test]
fn a_store_that_does_not_answer_sends_the_caller_to_an_agent() {
    let mut call = at_case_entry();
    call.press(&format!("{}#", case().digits()));
    call.silence(); // lookup timeout
    assert_eq!(call.played(), ["zh/service_unavailable"]);
    call.prompts_end();
    assert!(call
        .path()
        .ends_with(&["agent".into(), "connect_general".into()]));
}

#[test]
fn a_mistyped_reference_is_refused_before_the_store_is_asked() {
    let mut call = at_case_entry();
    let mut typo = case().digits().to_owned();
    typo.replace_range(3..4, if &typo[3..4] == "9" { "8" } else { "9" });
    call.press(&format!("{typo}#"));
    assert!(!call
        .commands()
        .iter()
        .any(|a| matches!(a, Action::Lookup(_))));
    assert_eq!(call.played(), ["zh/case_ref_invalid", "zh/enter_case_ref"]);
    // Twelve digits end the entry without the # key too.
    call.press(case().digits());
    assert!(matches!(call.last_command(), Some(Action::Lookup(_))));
}
