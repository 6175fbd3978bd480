//! Over TCP nothing is retransmitted and the wait states are zero
//! (§17.1.2.2, §17.2.2): transactions end as soon as they may.

mod support;

use std::time::Duration;

use hotline_sip::{ConnectionId, Transport};
use support::*;

#[test]
fn options_over_tcp_leaves_no_transaction() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "tcp-1").over(Transport::Tcp);
    phone.peer.connection = Some(ConnectionId(7));
    let branch = phone.branch();
    let bytes = phone.build(
        "OPTIONS",
        "sip:12345@127.0.0.1:5060",
        1,
        &branch,
        &phone.to_uri.clone(),
        &[],
        "",
    );
    h.deliver(phone.peer, &bytes);
    let ok = h.take_one();
    assert_eq!(ok.status(), Some(200));
    assert_eq!(
        ok.peer.connection,
        Some(ConnectionId(7)),
        "answered on the same connection"
    );
    h.advance(Duration::ZERO);
    assert_eq!(
        h.endpoint.active_transactions(),
        0,
        "timer J is zero on TCP"
    );
}

#[test]
fn a_call_over_tcp_sends_each_response_once() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "tcp-2").over(Transport::Tcp);
    let invite = phone.invite();
    h.deliver(phone.peer, &invite.bytes);
    let call = h.take_incoming_call();
    h.command(|e, now| e.call_answer(now, call, local_media(20000)));
    let sent = h.take_sent();
    assert_eq!(
        sent.iter().filter_map(Sent::status).collect::<Vec<_>>(),
        vec![100, 200]
    );
    let ok = &sent[1];
    assert!(ok.header("Contact").unwrap().contains("transport=tcp"));
    h.advance(Duration::from_secs(20));
    assert!(h.take_sent().is_empty(), "no 2xx retransmission over TCP");
    phone.learn(ok);
    h.deliver(phone.peer, &phone.ack_2xx(&invite));
    h.deliver(phone.peer, &phone.bye().bytes);
    assert_eq!(h.take_statuses(), vec![200]);
    h.run_until_idle(Duration::from_secs(120));
    assert_eq!(h.endpoint.active_calls(), 0);
    assert_eq!(h.endpoint.active_transactions(), 0);
}

#[test]
fn an_unacknowledged_200_over_tcp_still_ends_with_bye_after_64_t1() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "tcp-3").over(Transport::Tcp);
    h.deliver(phone.peer, &phone.invite().bytes);
    let call = h.take_incoming_call();
    h.command(|e, now| e.call_answer(now, call, local_media(20000)));
    h.take_sent();
    h.advance(Duration::from_secs(32));
    let bye = h.take_one();
    assert_eq!(bye.method(), Some(rsip::Method::Bye));
    assert!(bye.header("Via").unwrap().starts_with("SIP/2.0/TCP"));
    h.deliver(phone.peer, &phone.respond(&bye, 200, None, &[], ""));
    assert_eq!(ended_reason(&h.take_events(), call), Some("no_ack"));
}
