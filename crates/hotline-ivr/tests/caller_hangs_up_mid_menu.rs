//! A caller who hangs up in the middle of a menu: the IVR stops at once,
//! asks for nothing more, and the call record's last node says where.

mod common;

use common::*;
use hotline_ivr::*;
use hotline_types::CallEvent;

#[test]
fn hang_up_in_the_main_menu_records_the_main_menu_as_last_node() {
    let set = ScriptSet::load(shipped_dir(), hotline_environment()).expect("loads");
    let mut call = Call::started(set.script("hotline").expect("hotline"), monday_10am());
    call.press("2"); // English
    call.prompts_end(); // welcome
    call.silence(); // the recording notice, agreed
    call.found(&[("citizen_id", "42")]);
    assert_eq!(call.ivr.current_node(), Some("main_menu"));
    call.advance(2000);
    call.input(Input::Hangup);

    assert_eq!(
        call.ivr.outcome(),
        Some(&Outcome::CallerHungUp {
            node: Some("main_menu".into())
        })
    );
    let last_node = call.events().into_iter().rev().find_map(|e| match e {
        CallEvent::IvrNodeEntered { node, .. } => Some(node),
        _ => None,
    });
    assert_eq!(last_node.as_deref(), Some("main_menu"));
    assert_eq!(call.ivr.poll_timeout(), None, "no timer left running");

    // Whatever arrives afterwards changes nothing.
    let before = call.log.len();
    call.input(Input::Digit('1'));
    call.input(Input::Timeout);
    call.input(Input::Start);
    assert_eq!(call.log.len(), before);
}

#[test]
fn hang_up_while_waiting_for_the_store_records_the_lookup_node() {
    let set = ScriptSet::load(shipped_dir(), hotline_environment()).expect("loads");
    let mut call = Call::started(set.script("hotline").expect("hotline"), monday_10am());
    call.press("1");
    call.prompts_end();
    call.silence(); // the recording notice, agreed
    assert_eq!(call.ivr.current_node(), Some("identify_caller"));
    call.input(Input::Hangup);
    assert_eq!(
        call.ivr.outcome(),
        Some(&Outcome::CallerHungUp {
            node: Some("identify_caller".into())
        })
    );
}
