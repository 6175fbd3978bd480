//! We CANCEL an outgoing call but the phone's 200 OK crosses it: the 2xx is
//! ACKed and the call then ended with BYE (§9.1).

mod support;

use hotline_sip::{EndedBy, Event};
use support::*;

#[test]
fn a_200_after_our_cancel_is_acked_then_byed() {
    let mut h = Harness::new();
    let (call, invite) = h.place_call_to_phone();
    h.deliver(
        udp(PHONE_ADDR),
        &respond_to(&invite, 180, Some("ph"), &[], ""),
    );
    h.take_events();

    h.command(|e, now| e.call_hangup(now, call));
    let cancel = h.take_one();
    assert_eq!(cancel.method(), Some(rsip::Method::Cancel));

    // The phone answered before it saw the CANCEL.
    h.deliver(
        udp(PHONE_ADDR),
        &respond_to(
            &invite,
            200,
            Some("ph"),
            &[
                ("Contact", PHONE_CONTACT),
                ("Content-Type", "application/sdp"),
            ],
            &phone_answer(),
        ),
    );
    let sent = h.take_sent();
    let methods: Vec<_> = sent.iter().map(|s| s.method()).collect();
    assert_eq!(methods, [Some(rsip::Method::Ack), Some(rsip::Method::Bye)]);
    let bye = &sent[1];
    assert_eq!(bye.to_tag().as_deref(), Some("ph"));
    assert_eq!(bye.header("CSeq").as_deref(), Some("2 BYE"));
    assert!(
        !h.take_events()
            .iter()
            .any(|e| matches!(e, Event::OutgoingAnswered { .. })),
        "a call we cancelled is not reported answered"
    );

    // The CANCEL's own 200 (it found no pending INVITE any more) changes nothing.
    h.deliver(
        udp(PHONE_ADDR),
        &respond_to(&cancel, 200, Some("ph"), &[], ""),
    );
    assert!(h.take_events().is_empty());

    h.deliver(udp(PHONE_ADDR), &respond_to(bye, 200, None, &[], ""));
    assert_eq!(
        h.take_events(),
        vec![Event::CallEnded {
            call,
            by: EndedBy::Local,
            reason: "cancel"
        }]
    );
}
