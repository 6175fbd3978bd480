//! Requests for a dialog we do not have get 481 (§12.2.2), and the call
//! they claim to belong to is not touched.

mod support;

use support::*;

#[test]
fn bye_for_an_unknown_dialog_gets_481() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "ghost-1");
    phone.to_tag = Some("not-ours".into());
    phone.cseq = 1;
    h.deliver(phone.peer, &phone.bye().bytes);
    assert_eq!(h.take_statuses(), vec![481]);
    assert!(h.take_events().is_empty());
}

#[test]
fn a_wrong_tag_does_not_end_a_live_call() {
    let mut h = Harness::new();
    let (phone, _invite, _call) = confirmed_call(&mut h, "ghost-2");
    let mut forged = phone.clone();
    forged.to_tag = Some("guess".into());
    h.deliver(forged.peer, &forged.bye().bytes);
    assert_eq!(h.take_statuses(), vec![481]);
    assert!(h.take_events().is_empty());
    assert_eq!(h.endpoint.active_calls(), 1);
}

#[test]
fn in_dialog_info_refer_and_reinvite_without_dialog_get_481() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "ghost-3");
    phone.to_tag = Some("nope".into());
    for method in ["INFO", "REFER", "NOTIFY", "UPDATE"] {
        h.deliver(phone.peer, &phone.in_dialog(method, &[], "").bytes);
        assert_eq!(h.take_statuses(), vec![481], "{method}");
    }
    h.deliver(phone.peer, &phone.reinvite(&sipp_offer(6000)).bytes);
    assert_eq!(h.take_statuses(), vec![481]);
}

#[test]
fn bye_without_to_tag_gets_481() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "ghost-4");
    h.deliver(phone.peer, &phone.bye().bytes);
    assert_eq!(h.take_statuses(), vec![481]);
}
