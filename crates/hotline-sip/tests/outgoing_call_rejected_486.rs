//! An agent's phone rejects our INVITE: the ACK for the non-2xx final uses
//! the INVITE's branch and the response's To tag (§17.1.1.3), and a
//! retransmitted 486 is ACKed again by the transaction.

mod support;

use std::time::Duration;

use hotline_sip::{EndedBy, Event};
use support::*;

#[test]
fn busy_here_is_acked_in_the_transaction_and_reacked() {
    let mut h = Harness::new();
    let (call, invite) = h.place_call_to_phone();

    h.deliver(udp(PHONE_ADDR), &respond_to(&invite, 100, None, &[], ""));
    let busy = respond_to(&invite, 486, Some("busy-tag"), &[], "");
    h.deliver(udp(PHONE_ADDR), &busy);
    let ack = h.take_one();
    assert_eq!(ack.method(), Some(rsip::Method::Ack));
    assert_eq!(ack.branch(), invite.branch(), "same branch as the INVITE");
    assert_eq!(ack.request_uri(), invite.request_uri(), "same Request-URI");
    assert_eq!(
        ack.to_tag().as_deref(),
        Some("busy-tag"),
        "To from the response"
    );
    assert_eq!(ack.header("CSeq").as_deref(), Some("1 ACK"));
    assert_eq!(ack.header("From"), invite.header("From"));
    assert_eq!(
        h.take_events(),
        vec![
            Event::OutgoingFailed { call, status: 486 },
            Event::CallEnded {
                call,
                by: EndedBy::Remote,
                reason: "rejected"
            }
        ]
    );

    h.advance(Duration::from_millis(500));
    h.deliver(udp(PHONE_ADDR), &busy);
    assert_eq!(h.take_one().bytes, ack.bytes, "the same ACK again");
    assert!(h.take_events().is_empty());

    // Timer D (32 s on UDP) ends the transaction.
    h.run_until_idle(Duration::from_secs(60));
    assert_eq!(h.endpoint.active_transactions(), 0);
    assert!(
        h.take_sent().is_empty(),
        "no INVITE retransmission after the final"
    );
}
