//! An outgoing INVITE nobody answers: retransmitted per timer A (T1, then
//! doubling), then reported failed with 408 when timer B fires at 64·T1.
//! No CANCEL goes out for a request that never got a provisional (§9.1).

mod support;

use std::time::Duration;

use hotline_sip::{EndedBy, Event};
use support::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn silent_callee_gets_timer_a_retransmissions_then_408() {
    let mut h = Harness::new();
    let (call, invite) = h.place_call_to_phone();

    h.advance(ms(31_999));
    let sent = h.take_sent();
    let times: Vec<Duration> = sent.iter().map(|s| s.at).collect();
    assert_eq!(times, [500, 1500, 3500, 7500, 15_500, 31_500].map(ms));
    assert!(
        sent.iter().all(|s| s.bytes == invite.bytes),
        "only the INVITE again (no CANCEL before a provisional): {:?}",
        sent.iter().map(Sent::text).collect::<Vec<_>>()
    );
    assert!(h.take_events().is_empty());

    h.advance(ms(1));
    assert_eq!(
        h.take_events(),
        vec![
            Event::OutgoingFailed { call, status: 408 },
            Event::CallEnded {
                call,
                by: EndedBy::Remote,
                reason: "timeout"
            }
        ]
    );
    h.run_until_idle(Duration::from_secs(300));
    assert!(h.take_sent().is_empty());
    assert_eq!(h.endpoint.active_calls(), 0);
    assert_eq!(h.endpoint.active_transactions(), 0);
}

#[test]
fn ringing_past_the_ring_timeout_is_cancelled() {
    let mut h = Harness::new();
    let (call, invite) = h.place_call_to_phone();
    h.deliver(
        udp(PHONE_ADDR),
        &respond_to(&invite, 180, Some("ph"), &[], ""),
    );
    h.take_events();

    h.advance(ms(30_000));
    let cancel = h.take_one();
    assert_eq!(cancel.method(), Some(rsip::Method::Cancel));
    assert_eq!(
        cancel.branch(),
        invite.branch(),
        "CANCEL has the INVITE's branch (§9.1)"
    );
    assert_eq!(cancel.request_uri(), invite.request_uri());
    assert_eq!(cancel.header("CSeq").as_deref(), Some("1 CANCEL"));
    assert_eq!(
        cancel.header("To"),
        invite.header("To"),
        "To as in the INVITE, no tag"
    );
    assert_eq!(cancel.header("From"), invite.header("From"));
    assert_eq!(cancel.header("Call-ID"), invite.header("Call-ID"));

    h.deliver(
        udp(PHONE_ADDR),
        &respond_to(&cancel, 200, Some("ph"), &[], ""),
    );
    h.deliver(
        udp(PHONE_ADDR),
        &respond_to(&invite, 487, Some("ph"), &[], ""),
    );
    let ack = h.take_one();
    assert_eq!(ack.method(), Some(rsip::Method::Ack));
    assert_eq!(ack.branch(), invite.branch());
    assert_eq!(
        h.take_events(),
        vec![
            Event::OutgoingFailed { call, status: 487 },
            Event::CallEnded {
                call,
                by: EndedBy::Remote,
                reason: "cancel"
            }
        ]
    );
    h.run_until_idle(Duration::from_secs(300));
    assert_eq!(h.endpoint.active_transactions(), 0);
}

#[test]
fn a_cancelled_invite_that_never_gets_a_final_response_is_let_go() {
    // §9.1: without a final response 64·T1 after the CANCEL, the client
    // transaction is destroyed. Nothing may stay behind.
    let mut h = Harness::new();
    let (call, invite) = h.place_call_to_phone();
    h.deliver(
        udp(PHONE_ADDR),
        &respond_to(&invite, 180, Some("ph"), &[], ""),
    );
    h.command(|e, now| e.call_hangup(now, call));
    let cancel = h.take_one();
    h.deliver(
        udp(PHONE_ADDR),
        &respond_to(&cancel, 200, Some("ph"), &[], ""),
    );
    h.take_events();
    h.run_until_idle(Duration::from_secs(600));
    assert_eq!(ended_reason(&h.take_events(), call), Some("timeout"));
    assert_eq!(h.endpoint.active_calls(), 0);
    assert_eq!(h.endpoint.active_transactions(), 0);
    assert_eq!(h.endpoint.poll_timeout(), None);
}

#[test]
fn hangup_before_any_provisional_waits_for_one_to_cancel() {
    let mut h = Harness::new();
    let (call, invite) = h.place_call_to_phone();
    h.command(|e, now| e.call_hangup(now, call));
    assert!(
        h.take_sent().is_empty(),
        "no CANCEL before a provisional (§9.1)"
    );
    h.advance(ms(700));
    h.take_sent();
    h.deliver(udp(PHONE_ADDR), &respond_to(&invite, 100, None, &[], ""));
    let cancel = h.take_one();
    assert_eq!(cancel.method(), Some(rsip::Method::Cancel));
    h.deliver(udp(PHONE_ADDR), &respond_to(&cancel, 200, None, &[], ""));
    h.deliver(
        udp(PHONE_ADDR),
        &respond_to(&invite, 487, Some("ph"), &[], ""),
    );
    assert_eq!(ended_reason(&h.take_events(), call), Some("cancel"));
}
