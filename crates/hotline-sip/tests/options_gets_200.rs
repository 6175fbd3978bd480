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

/// A draining node answers the edge's probes with 503 and Retry-After, so
/// Kamailio's dispatcher sends it no new calls; back to 200 once it takes
/// calls again.
#[test]
fn a_draining_node_answers_probes_with_503() {
    let mut h = Harness::new();
    // Each probe is a request of its own (Call-ID), as Kamailio sends them.
    let probe = |call: &str| {
        let phone = Phone::caller(CALLER_ADDR, "12345", call);
        let bytes = phone.build(
            "OPTIONS",
            "sip:127.0.0.1:5060",
            1,
            &format!("z9hG4bK-{call}"),
            &phone.to_uri,
            &[],
            "",
        );
        (phone.peer, bytes)
    };
    h.command(|e, _| e.set_accepting(false));
    let (peer, bytes) = probe("opt-4a");
    h.deliver(peer, &bytes);
    let busy = h.take_one();
    assert_eq!(busy.status(), Some(503), "{}", busy.text());
    assert!(busy.header("Retry-After").is_some(), "{}", busy.text());
    h.command(|e, _| e.set_accepting(true));
    let (peer, bytes) = probe("opt-4b");
    h.deliver(peer, &bytes);
    assert_eq!(h.take_one().status(), Some(200));
}
