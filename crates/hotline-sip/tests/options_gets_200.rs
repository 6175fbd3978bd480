//! OPTIONS (a keep-alive or capability probe) gets 200 with Allow, inside a
//! dialog as well as outside.

mod support;

use support::*;

#[test]
fn out_of_dialog_options_gets_200_with_allow() {
    let mut h = Harness::new();
    let phone = Phone::caller(CALLER_ADDR, "12345", "opt-1");
    let bytes = phone.build(
        "OPTIONS",
        "sip:12345@127.0.0.1:5060",
        1,
        "z9hG4bK-opt-1",
        &phone.to_uri,
        &[("Accept", "application/sdp")],
        "",
    );
    h.deliver(phone.peer, &bytes);
    let ok = h.take_one();
    assert_eq!(ok.status(), Some(200));
    let allow = ok.header("Allow").unwrap();
    for method in ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS"] {
        assert!(allow.contains(method), "{allow}");
    }
    assert!(ok.to_tag().is_some());
    assert!(h.take_events().is_empty());
    // Retransmission: the same 200.
    h.deliver(phone.peer, &bytes);
    assert_eq!(h.take_one().bytes, ok.bytes);
}

#[test]
fn in_dialog_options_gets_200() {
    let mut h = Harness::new();
    let (mut phone, _invite, _call) = confirmed_call(&mut h, "opt-2");
    h.deliver(phone.peer, &phone.in_dialog("OPTIONS", &[], "").bytes);
    assert_eq!(h.take_statuses(), vec![200]);
    assert_eq!(h.endpoint.active_calls(), 1);
}

#[test]
fn unknown_methods_get_405_or_501_never_silence() {
    let mut h = Harness::new();
    let phone = Phone::caller(CALLER_ADDR, "12345", "opt-3");
    let bytes = phone.build(
        "MESSAGE",
        "sip:12345@127.0.0.1:5060",
        1,
        "z9hG4bK-opt-3",
        &phone.to_uri,
        &[],
        "",
    );
    h.deliver(phone.peer, &bytes);
    let sent = h.take_one();
    assert!(matches!(sent.status(), Some(405 | 501)), "{}", sent.text());
    assert!(sent.header("Allow").is_some());
}
