//! A caller's INVITE gets 100 Trying at once, then 180 Ringing and a 200 OK
//! with an SDP answer when the controller rings and answers; the ACK confirms
//! the call.

mod support;

use hotline_sip::{Codec, Event};
use support::*;

#[test]
fn invite_gets_100_then_180_then_200_with_sdp_and_ack_confirms() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "answer-1");
    let invite = phone.invite();
    h.deliver(phone.peer, &invite.bytes);

    let trying = h.take_one();
    assert_eq!(trying.status(), Some(100));
    assert_eq!(
        trying.peer, phone.peer,
        "responses go back where the INVITE came from"
    );
    assert_eq!(
        trying.to_tag(),
        None,
        "100 Trying carries no To tag (§8.2.6.2)"
    );
    assert_eq!(trying.branch(), invite.branch);
    assert!(
        trying.header("Via").unwrap().contains("rport=5061"),
        "rport filled in (RFC 3581): {:?}",
        trying.header("Via")
    );

    let events = h.take_events();
    let [Event::IncomingCall {
        call,
        caller,
        called,
        sip_call_id,
        remote_media,
        ..
    }] = events.as_slice()
    else {
        panic!("expected one IncomingCall, got {events:?}")
    };
    let call = *call;
    assert_eq!(caller, "sipp");
    assert_eq!(called, "12345");
    assert_eq!(sip_call_id, "answer-1");
    let media = remote_media.as_ref().expect("the caller offered");
    assert_eq!(media.codec, Codec::Pcmu);
    assert_eq!(media.remote_rtp, addr("127.0.0.1:6000"));
    assert_eq!(media.telephone_event_pt, Some(101));

    h.command(|e, now| e.call_ring(now, call));
    let ringing = h.take_one();
    assert_eq!(ringing.status(), Some(180));
    let tag = ringing
        .to_tag()
        .expect("180 establishes the early dialog with a tag");

    h.command(|e, now| e.call_answer(now, call, local_media(20000)));
    let ok = h.take_one();
    assert_eq!(ok.status(), Some(200));
    assert_eq!(
        ok.to_tag().as_deref(),
        Some(tag.as_str()),
        "same tag as the 180"
    );
    assert_eq!(
        ok.header("Content-Type").as_deref(),
        Some("application/sdp")
    );
    assert!(
        ok.header("Contact").is_some(),
        "a 2xx to INVITE carries Contact"
    );
    let answer = hotline_sip::sdp::negotiate(&ok.body(), &[Codec::Pcmu]).expect("an SDP answer");
    assert_eq!(answer.remote_rtp, addr("127.0.0.1:20000"));
    assert_eq!(answer.codec, Codec::Pcmu);

    phone.learn(&ok);
    let ack = phone.ack_2xx(&invite);
    h.deliver(phone.peer, &ack);
    assert_eq!(
        h.take_events(),
        vec![Event::CallConfirmed {
            call,
            remote_media: None
        }]
    );
    assert!(h.take_sent().is_empty(), "nothing answers an ACK");

    // Once confirmed, no 200 retransmission is left pending.
    h.advance(std::time::Duration::from_secs(10));
    assert!(
        h.take_sent().is_empty(),
        "the ACK stopped the 200 retransmissions"
    );
    assert_eq!(h.endpoint.active_calls(), 1);
}
