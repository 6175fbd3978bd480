//! A retransmitted INVITE is absorbed by its server transaction: the caller
//! gets the last provisional response again and the controller sees the call
//! only once (§17.2.1).

mod support;

use std::time::Duration;

use hotline_sip::Event;
use support::*;

#[test]
fn retransmitted_invite_gets_the_last_provisional_and_no_second_call() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "retx-1");
    let invite = phone.invite();
    h.deliver(phone.peer, &invite.bytes);
    let trying = h.take_one();
    assert_eq!(trying.status(), Some(100));
    let call = h.take_incoming_call();

    // SIPp retransmits after T1 if it saw nothing (say the 100 was lost).
    h.advance(Duration::from_millis(500));
    h.deliver(phone.peer, &invite.bytes);
    let again = h.take_one();
    assert_eq!(again.bytes, trying.bytes, "the same 100 Trying again");

    h.command(|e, now| e.call_ring(now, call));
    let ringing = h.take_one();
    assert_eq!(ringing.status(), Some(180));

    h.advance(Duration::from_millis(1000));
    h.deliver(phone.peer, &invite.bytes);
    let again = h.take_one();
    assert_eq!(again.status(), Some(180), "the last provisional is resent");
    assert_eq!(again.bytes, ringing.bytes);

    assert!(
        h.take_events().is_empty(),
        "no second IncomingCall for a retransmission"
    );
    assert_eq!(h.endpoint.active_calls(), 1);
    assert_eq!(h.endpoint.counters().calls_started, 1);
}

#[test]
fn retransmitted_invite_after_the_200_is_absorbed_rfc6026() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "retx-2");
    let invite = phone.invite();
    h.deliver(phone.peer, &invite.bytes);
    let call = h.take_incoming_call();
    h.command(|e, now| e.call_answer(now, call, local_media(20000)));
    h.take_sent();

    // In the Accepted state the transaction absorbs the INVITE (RFC 6026 §7.1);
    // the 200 keeps coming from the core's own timer.
    h.advance(Duration::from_millis(100));
    h.deliver(phone.peer, &invite.bytes);
    assert!(h.take_sent().is_empty());
    assert!(h.take_events().is_empty());
    h.advance(Duration::from_millis(400));
    assert_eq!(h.take_statuses(), vec![200]);
}

#[test]
fn an_invite_with_a_new_branch_and_the_same_call_id_is_a_new_request() {
    // A distinct transaction (new branch) is not a retransmission, even for
    // the same Call-ID: it must not be answered with the old responses.
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "retx-3");
    let invite = phone.invite();
    h.deliver(phone.peer, &invite.bytes);
    h.take_sent();
    let first = h.take_incoming_call();
    let other = Phone::caller("127.0.0.1:5071", "12345", "retx-3-other")
        .invite_with_body(&sipp_offer(6002));
    h.deliver(udp("127.0.0.1:5071"), &other.bytes);
    let events = h.take_events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::IncomingCall { call, .. } if *call != first)),
        "{events:?}"
    );
}
