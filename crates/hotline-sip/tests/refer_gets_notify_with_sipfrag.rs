//! RFC 3515: a REFER in a confirmed dialog gets 202 and a `ReferReceived`
//! event; the controller then reports the transfer's progress with NOTIFYs
//! in the same dialog (`Event: refer`, a `message/sipfrag` body, the last
//! one `Subscription-State: terminated`). A NOTIFY's answer does not touch
//! the call, and no NOTIFY goes out on a call that is not confirmed.

mod support;

use std::time::Duration;

use hotline_sip::Event;
use support::*;

#[test]
fn a_refer_is_reported_with_notifies() {
    let mut h = Harness::new();
    let (mut phone, _, call) = confirmed_call(&mut h, "refer-1");
    let refer = phone.in_dialog("REFER", &[("Refer-To", "<sip:transport@127.0.0.1>")], "");
    h.deliver(phone.peer, &refer.bytes);
    assert_eq!(h.take_statuses(), vec![202]);
    assert!(h.take_events().iter().any(|e| matches!(
        e,
        Event::ReferReceived { call: c, refer_to } if *c == call && refer_to == "sip:transport@127.0.0.1"
    )));

    h.command(|e, now| e.call_notify_refer(now, call, "100 Trying", false));
    let trying = h.take_one();
    assert_eq!(trying.method(), Some(rsip::Method::Notify));
    assert_eq!(trying.header("Event").as_deref(), Some("refer"));
    assert_eq!(
        trying.header("Subscription-State").as_deref(),
        Some("active;expires=60")
    );
    assert_eq!(
        trying.header("Content-Type").as_deref(),
        Some("message/sipfrag;version=2.0")
    );
    assert_eq!(trying.body(), b"SIP/2.0 100 Trying\r\n");
    assert_eq!(trying.header("Call-ID").as_deref(), Some("refer-1"));
    assert!(trying.header("Contact").is_some());
    h.deliver(phone.peer, &phone.respond(&trying, 200, None, &[], ""));

    h.command(|e, now| e.call_notify_refer(now, call, "200 OK", true));
    let done = h.take_one();
    assert_eq!(done.body(), b"SIP/2.0 200 OK\r\n");
    assert!(done
        .header("Subscription-State")
        .is_some_and(|s| s.starts_with("terminated")));
    let cseq = |s: &Sent| s.header("CSeq").unwrap_or_default();
    assert_ne!(cseq(&trying), cseq(&done), "each NOTIFY has its own CSeq");
    // The phone rejects the last NOTIFY: the call is not affected.
    h.deliver(phone.peer, &phone.respond(&done, 481, None, &[], ""));
    h.advance(Duration::from_secs(40));
    assert!(h.take_events().is_empty());
    assert_eq!(h.endpoint.active_calls(), 1);
}

#[test]
fn no_notify_on_a_call_that_is_not_confirmed() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "refer-2");
    h.deliver(phone.peer, &phone.invite().bytes);
    let call = h.take_incoming_call();
    h.take_sent();
    h.command(|e, now| e.call_notify_refer(now, call, "100 Trying", false));
    assert!(h.take_sent().is_empty());
}
