//! Hold and unhold by re-INVITE: sendonly is answered recvonly and reported
//! as a hold; sendrecv again is answered sendrecv (RFC 3264 §8.4).

mod support;

use std::time::Duration;

use hotline_sip::sdp::negotiate;
use hotline_sip::{Codec, Direction, Event};
use support::*;

fn sdp_attr(body: &[u8], name: &str) -> bool {
    String::from_utf8_lossy(body)
        .lines()
        .any(|l| l.trim() == format!("a={name}"))
}

fn sdp_version(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .lines()
        .find(|l| l.starts_with("o="))
        .and_then(|l| l.split_whitespace().nth(2).map(str::to_owned))
        .unwrap_or_default()
}

#[test]
fn hold_is_answered_recvonly_and_unhold_sendrecv() {
    let mut h = Harness::new();
    let (mut phone, _invite, call) = confirmed_call(&mut h, "hold-1");

    let hold = phone.reinvite(&offer_with_direction(6002, "sendonly"));
    h.deliver(phone.peer, &hold.bytes);
    let ok = h.take_one();
    assert_eq!(ok.status(), Some(200));
    assert!(sdp_attr(&ok.body(), "recvonly"), "{}", ok.text());
    assert_eq!(sdp_version(&ok.body()), "2", "o= version goes up");
    let answer = negotiate(&ok.body(), &[Codec::Pcmu]).unwrap();
    assert_eq!(answer.remote_rtp, addr("127.0.0.1:20000"), "our port stays");
    let events = h.take_events();
    let [Event::RemoteMediaChanged { call: c, media }] = events.as_slice() else {
        panic!("expected RemoteMediaChanged, got {events:?}")
    };
    assert_eq!(*c, call);
    assert_eq!(media.remote_direction, Direction::SendOnly);
    assert!(media.remote_direction.is_hold());
    assert_eq!(media.remote_rtp, addr("127.0.0.1:6002"));

    phone.learn(&ok);
    h.deliver(phone.peer, &phone.ack_2xx(&hold));
    assert!(h.take_events().is_empty(), "no second CallConfirmed");
    h.advance(Duration::from_secs(5));
    assert!(h.take_sent().is_empty(), "the ACK stopped the 200");

    let unhold = phone.reinvite(&offer_with_direction(6002, "sendrecv"));
    h.deliver(phone.peer, &unhold.bytes);
    let ok = h.take_one();
    assert!(sdp_attr(&ok.body(), "sendrecv"), "{}", ok.text());
    assert_eq!(sdp_version(&ok.body()), "3");
    let events = h.take_events();
    let [Event::RemoteMediaChanged { media, .. }] = events.as_slice() else {
        panic!("expected RemoteMediaChanged, got {events:?}")
    };
    assert!(!media.remote_direction.is_hold());
    h.deliver(phone.peer, &phone.ack_2xx(&unhold));
    assert!(h.take_events().is_empty());
    assert_eq!(h.endpoint.active_calls(), 1);
}

#[test]
fn old_style_hold_with_zero_address_is_a_hold() {
    let mut h = Harness::new();
    let (mut phone, _invite, _call) = confirmed_call(&mut h, "hold-2");
    let body = sipp_offer(6000).replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0");
    h.deliver(phone.peer, &phone.reinvite(&body).bytes);
    let ok = h.take_one();
    assert!(sdp_attr(&ok.body(), "recvonly"), "{}", ok.text());
    assert!(h.take_events().iter().any(|e| matches!(
        e,
        Event::RemoteMediaChanged { media, .. } if media.remote_direction.is_hold()
    )));
}

#[test]
fn an_unacknowledged_reinvite_200_keeps_the_dialog() {
    let mut h = Harness::new();
    let (mut phone, _invite, _call) = confirmed_call(&mut h, "hold-3");
    h.deliver(
        phone.peer,
        &phone
            .reinvite(&offer_with_direction(6000, "sendonly"))
            .bytes,
    );
    h.take_sent();
    h.take_events();
    h.advance(Duration::from_secs(40));
    let sent = h.take_sent();
    assert!(
        sent.iter().all(|s| s.status() == Some(200)),
        "the re-INVITE's 200 goes unanswered but no BYE follows: {:?}",
        sent.iter().map(Sent::text).collect::<Vec<_>>()
    );
    assert!(h.take_events().is_empty());
    assert_eq!(h.endpoint.active_calls(), 1);
    // And the call still works.
    h.deliver(phone.peer, &phone.bye().bytes);
    assert_eq!(h.take_statuses(), vec![200]);
}
