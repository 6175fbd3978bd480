//! A CANCEL that arrives after our 200 OK changes nothing (§9.2): the CANCEL
//! gets 200, the call is not ended, and the caller's ACK then BYE work.

mod support;

use hotline_sip::{EndedBy, Event};
use support::*;

#[test]
fn cancel_after_the_200_gets_200_and_the_call_goes_on() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "cross-1");
    let invite = phone.invite();
    h.deliver(phone.peer, &invite.bytes);
    let call = h.take_incoming_call();
    h.command(|e, now| e.call_answer(now, call, local_media(20000)));
    let ok = h.take_sent().pop().unwrap();
    assert_eq!(ok.status(), Some(200));

    // The caller hung up before it saw our 200.
    h.deliver(phone.peer, &phone.cancel(&invite));
    let sent = h.take_sent();
    assert_eq!(sent.len(), 1, "no 487 after a 2xx: {sent:?}");
    assert_eq!(sent[0].status(), Some(200));
    assert_eq!(sent[0].cseq_method(), "CANCEL");
    assert!(h.take_events().is_empty(), "the call is not ended");

    // Then it sees the 200: ACK, then BYE (§9.1).
    phone.learn(&ok);
    h.deliver(phone.peer, &phone.ack_2xx(&invite));
    assert_eq!(
        h.take_events(),
        vec![Event::CallConfirmed {
            call,
            remote_media: None
        }]
    );
    let bye = phone.bye();
    h.deliver(phone.peer, &bye.bytes);
    let response = h.take_one();
    assert_eq!(response.status(), Some(200));
    assert_eq!(response.cseq_method(), "BYE");
    assert_eq!(
        h.take_events(),
        vec![Event::CallEnded {
            call,
            by: EndedBy::Remote,
            reason: "bye"
        }]
    );
}
