//! CANCEL of a ringing call: 200 to the CANCEL, 487 to the INVITE, the ACK
//! for the 487 absorbed by the INVITE transaction, the call ended (§9.2).

mod support;

use std::time::Duration;

use hotline_sip::{EndedBy, Event};
use support::*;

#[test]
fn cancel_gets_200_and_the_invite_gets_487() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "cancel-1");
    let invite = phone.invite();
    h.deliver(phone.peer, &invite.bytes);
    let call = h.take_incoming_call();
    h.command(|e, now| e.call_ring(now, call));
    h.take_sent();

    let cancel = phone.cancel(&invite);
    h.deliver(phone.peer, &cancel);
    let sent = h.take_sent();
    let pairs: Vec<(u16, String)> = sent
        .iter()
        .map(|s| (s.status().unwrap(), s.cseq_method()))
        .collect();
    assert_eq!(
        pairs,
        [(200, "CANCEL".to_owned()), (487, "INVITE".to_owned())]
    );
    assert!(sent.iter().all(|s| s.branch() == invite.branch));
    let terminated = &sent[1];
    assert!(terminated.to_tag().is_some(), "487 carries our tag");
    assert_eq!(
        h.take_events(),
        vec![Event::CallEnded {
            call,
            by: EndedBy::Remote,
            reason: "cancel"
        }]
    );

    // The CANCEL retransmitted gets the same 200.
    h.deliver(phone.peer, &cancel);
    let again = h.take_one();
    assert_eq!(again.bytes, sent[0].bytes);

    // The ACK for the 487 has the INVITE's branch and stays in the transaction.
    h.deliver(phone.peer, &phone.ack_failure(&invite, terminated));
    assert!(h.take_sent().is_empty());
    assert!(h.take_events().is_empty());
    h.run_until_idle(Duration::from_secs(120));
    assert!(
        h.take_sent().is_empty(),
        "no 487 retransmission after the ACK"
    );
    assert_eq!(h.endpoint.active_calls(), 0);
    assert_eq!(h.endpoint.active_transactions(), 0);
}

#[test]
fn the_487_is_retransmitted_per_timer_g_until_acked() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "cancel-2");
    let invite = phone.invite();
    h.deliver(phone.peer, &invite.bytes);
    h.take_incoming_call();
    h.deliver(phone.peer, &phone.cancel(&invite));
    let terminated = h.take_sent().pop().unwrap();
    assert_eq!(terminated.status(), Some(487));
    h.advance(Duration::from_millis(3_600));
    let times: Vec<Duration> = h.take_sent().iter().map(|s| s.at).collect();
    assert_eq!(
        times,
        [500, 1500, 3500].map(Duration::from_millis),
        "timer G doubles from T1"
    );
    h.deliver(phone.peer, &phone.ack_failure(&invite, &terminated));
    h.advance(Duration::from_secs(10));
    assert!(h.take_sent().is_empty());
}

#[test]
fn cancel_for_an_unknown_transaction_gets_481() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "cancel-3");
    let invite = phone.invite();
    h.deliver(phone.peer, &phone.cancel(&invite));
    assert_eq!(h.take_statuses(), vec![481]);
    assert!(h.take_events().is_empty());
}
