//! A 200 OK that is never acknowledged: after 64·T1 the UAS gives up,
//! sends BYE (§13.3.1.4) and the call ends with reason `no_ack`. (From a
//! trusted source: an untrusted one over UDP gets no BYE, see
//! `spoofed_sources_are_not_amplified.rs`.)

mod support;

use std::time::Duration;

use hotline_sip::{EndedBy, EndpointConfig, Event};
use support::*;

fn trusting_the_caller() -> Harness {
    Harness::with_config(EndpointConfig {
        trusted_sources: vec![addr(CALLER_ADDR).ip()],
        ..Default::default()
    })
}

#[test]
fn without_ack_the_call_is_ended_with_bye_after_64_t1() {
    let mut h = trusting_the_caller();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "noack-1");
    let invite = phone.invite();
    h.deliver(phone.peer, &invite.bytes);
    let call = h.take_incoming_call();
    h.command(|e, now| e.call_answer(now, call, local_media(20000)));
    h.take_sent();

    h.advance(Duration::from_millis(31_999));
    assert!(h.take_sent().iter().all(|s| s.status() == Some(200)));
    assert!(h.take_events().is_empty(), "still waiting for the ACK");

    h.advance(Duration::from_millis(1));
    let bye = h.take_one();
    assert_eq!(bye.method(), Some(rsip::Method::Bye));
    assert_eq!(bye.at, Duration::from_secs(32), "64·T1");
    assert_eq!(bye.peer, phone.peer);
    assert_eq!(
        bye.request_uri(),
        "sip:sipp@127.0.0.1:5061",
        "addressed to the caller's Contact"
    );
    assert_eq!(bye.header("CSeq").as_deref(), Some("1 BYE"));
    assert_eq!(bye.header("Call-ID").as_deref(), Some("noack-1"));
    // From carries our tag, To the caller's.
    let from = bye.header("From").unwrap();
    assert!(from.contains("tag="), "{from}");
    assert!(bye.header("To").unwrap().contains("tag=noack-1-tag"));

    h.deliver(phone.peer, &phone.respond(&bye, 200, None, &[], ""));
    assert_eq!(
        h.take_events(),
        vec![Event::CallEnded {
            call,
            by: EndedBy::Local,
            reason: "no_ack"
        }]
    );
    h.run_until_idle(Duration::from_secs(120));
    assert!(h.take_sent().is_empty(), "no 200 or BYE after the end");
    assert_eq!(h.endpoint.active_calls(), 0);
    assert_eq!(h.endpoint.active_transactions(), 0);
}

#[test]
fn a_late_ack_after_the_bye_is_ignored() {
    let mut h = trusting_the_caller();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "noack-2");
    let invite = phone.invite();
    h.deliver(phone.peer, &invite.bytes);
    let call = h.take_incoming_call();
    h.command(|e, now| e.call_answer(now, call, local_media(20000)));
    let ok = h.take_sent().pop().unwrap();
    phone.learn(&ok);
    h.advance(Duration::from_secs(32));
    let bye = h.take_sent().pop().unwrap();
    assert_eq!(bye.method(), Some(rsip::Method::Bye));
    h.deliver(phone.peer, &phone.ack_2xx(&invite));
    assert!(
        h.take_events().is_empty(),
        "no CallConfirmed once the BYE is out"
    );
    // The BYE goes unanswered: timer F ends the call anyway.
    h.advance(Duration::from_secs(32));
    assert_eq!(ended_reason(&h.take_events(), call), Some("bye_timeout"));
}
