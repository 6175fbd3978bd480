//! An INVITE over UDP from an untrusted address may carry a forged source:
//! whatever the hotline sends back lands on the forger's victim. So a
//! rejection goes out once, statelessly (§8.2.7), not from a transaction
//! that repeats it until an ACK that never comes; such an address may have
//! only `max_unconfirmed_calls_per_source` calls that no ACK has confirmed;
//! and a call whose 2xx is never ACKed ends without a BYE. Trunks in
//! `trusted_sources` keep the full RFC 3261 behaviour.

mod support;

use std::time::Duration;

use hotline_sip::{EndedBy, EndpointConfig, Event};
use support::*;

const TRUNK: &str = "127.0.0.9:5060";

fn config() -> EndpointConfig {
    EndpointConfig {
        max_calls_per_source: 3,
        max_unconfirmed_calls_per_source: 2,
        trusted_sources: vec![addr(TRUNK).ip()],
        ..Default::default()
    }
}

fn bytes_of(sent: &[Sent]) -> usize {
    sent.iter().map(|s| s.bytes.len()).sum()
}

#[test]
fn a_rejection_to_an_untrusted_address_is_sent_once() {
    let mut h = Harness::with_config(config());
    // A number that is not ours: 404, once, however long nobody ACKs.
    let mut stranger = Phone::caller(CALLER_ADDR, "99999", "spoof-404");
    let invite = stranger.invite();
    h.deliver(stranger.peer, &invite.bytes);
    let sent = h.take_sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].status(), Some(404));
    assert!(
        bytes_of(&sent) <= invite.bytes.len(),
        "the answer is no larger than the request"
    );
    h.run_until_idle(Duration::from_secs(60));
    assert!(h.take_sent().is_empty(), "no retransmission of the 404");
    assert_eq!(h.endpoint.active_transactions(), 0, "no state kept");
    // A retransmitted INVITE is simply answered again, once.
    h.deliver(stranger.peer, &invite.bytes);
    assert_eq!(h.take_statuses(), vec![404]);
    // Its ACK finds nothing and is absorbed.
    h.deliver(stranger.peer, &stranger.ack_failure(&invite, &sent[0]));
    assert!(h.take_sent().is_empty());

    // The same from a trunk is a transaction: repeated until the ACK (§17.2.1).
    let mut trunk = Phone::caller(TRUNK, "99999", "trunk-404");
    h.deliver(trunk.peer, &trunk.invite().bytes);
    assert_eq!(h.take_statuses(), vec![404]);
    h.advance(Duration::from_secs(4));
    assert!(
        h.take_statuses().iter().filter(|&&s| s == 404).count() >= 2,
        "a trusted source gets the 404 retransmitted"
    );
}

#[test]
fn an_address_that_never_acks_gets_only_a_few_calls_and_no_bye() {
    let mut h = Harness::with_config(config());
    let mut calls = Vec::new();
    for n in 0..2 {
        let mut phone = Phone::caller(CALLER_ADDR, "12345", &format!("noack-{n}"));
        let invite = phone.invite();
        h.deliver(phone.peer, &invite.bytes);
        calls.push(h.take_incoming_call());
    }
    for &call in &calls {
        h.command(|e, now| e.call_answer(now, call, local_media(20000)));
    }
    // A third INVITE while two are unconfirmed: a stateless 503, even
    // though max_calls_per_source (3) would allow it.
    let mut third = Phone::caller(CALLER_ADDR, "12345", "noack-2");
    let invite = third.invite();
    h.deliver(third.peer, &invite.bytes);
    let refused: Vec<_> = h
        .take_sent()
        .into_iter()
        .filter(|s| s.header("Call-ID").as_deref() == Some("noack-2"))
        .collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].status(), Some(503));
    assert!(refused[0].header("Retry-After").is_some());
    assert!(
        h.take_events().is_empty(),
        "the controller never hears of it"
    );

    // 64·T1 later the two calls end, with no BYE sent to the address.
    h.advance(Duration::from_secs(33));
    let after = h.take_sent();
    assert!(
        after.iter().all(|s| s.method() != Some(rsip::Method::Bye)),
        "no BYE to an address that never answered"
    );
    let ended: Vec<_> = h
        .take_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::CallEnded { call, by, reason } => Some((call, by, reason)),
            _ => None,
        })
        .collect();
    assert_eq!(
        ended,
        calls
            .iter()
            .map(|&c| (c, EndedBy::Local, "no_ack"))
            .collect::<Vec<_>>()
    );
    h.run_until_idle(Duration::from_secs(120));
    assert!(h.take_sent().is_empty());
    assert_eq!(h.endpoint.active_calls(), 0);
    assert_eq!(h.endpoint.active_transactions(), 0);
    // The place is free again.
    let mut again = Phone::caller(CALLER_ADDR, "12345", "noack-3");
    h.deliver(again.peer, &again.invite().bytes);
    assert_eq!(h.take_statuses(), vec![100]);
}

#[test]
fn an_ack_confirms_the_address_and_frees_its_place() {
    let mut h = Harness::with_config(config());
    let mut first = Phone::caller(CALLER_ADDR, "12345", "real-1");
    let invite = first.invite();
    h.deliver(first.peer, &invite.bytes);
    let call = h.take_incoming_call();
    h.command(|e, now| e.call_answer(now, call, local_media(20000)));
    let ok = h.take_sent().pop().unwrap();
    first.learn(&ok);
    h.deliver(first.peer, &first.ack_2xx(&invite));
    assert!(h
        .take_events()
        .iter()
        .any(|e| matches!(e, Event::CallConfirmed { .. })));
    // One confirmed call does not count against the unconfirmed limit:
    // two more may be set up, up to max_calls_per_source (3).
    for n in 2..4 {
        let mut phone = Phone::caller(CALLER_ADDR, "12345", &format!("real-{n}"));
        h.deliver(phone.peer, &phone.invite().bytes);
        assert_eq!(h.take_statuses(), vec![100], "call {n}");
    }
}
