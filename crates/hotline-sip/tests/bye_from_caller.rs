//! The caller hangs up: BYE gets 200 and ends the call; a retransmitted BYE
//! is absorbed by its transaction and gets the same 200.

mod support;

use std::time::Duration;

use hotline_sip::{EndedBy, Event};
use support::*;

#[test]
fn bye_gets_200_and_its_retransmission_the_same_200() {
    let mut h = Harness::new();
    let (mut phone, _invite, call) = confirmed_call(&mut h, "bye-caller-1");
    let bye = phone.bye();
    h.deliver(phone.peer, &bye.bytes);
    let ok = h.take_one();
    assert_eq!(ok.status(), Some(200));
    assert_eq!(ok.cseq_method(), "BYE");
    assert_eq!(ok.branch(), bye.branch);
    assert_eq!(
        h.take_events(),
        vec![Event::CallEnded {
            call,
            by: EndedBy::Remote,
            reason: "bye"
        }]
    );

    h.advance(Duration::from_millis(500));
    h.deliver(phone.peer, &bye.bytes);
    assert_eq!(
        h.take_one().bytes,
        ok.bytes,
        "the same 200, from the transaction"
    );
    assert!(h.take_events().is_empty(), "the call ends once");

    // Timer J lets the transaction go; nothing is left behind.
    h.run_until_idle(Duration::from_secs(60));
    assert_eq!(h.endpoint.active_calls(), 0);
    assert_eq!(h.endpoint.active_transactions(), 0);
}

#[test]
fn bye_with_an_older_cseq_is_refused_and_the_call_stays() {
    let mut h = Harness::new();
    let (mut phone, _invite, _call) = confirmed_call(&mut h, "bye-caller-2");
    // §12.2.2: a CSeq lower than the last one seen is out of order: 500.
    phone.cseq = 0;
    let stale = phone.bye();
    h.deliver(phone.peer, &stale.bytes);
    assert_eq!(h.take_statuses(), vec![500]);
    assert!(h.take_events().is_empty());
    assert_eq!(h.endpoint.active_calls(), 1);
}
