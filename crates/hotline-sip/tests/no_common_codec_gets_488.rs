//! An offer with no codec we carry (PCMU/PCMA) is refused with 488 and a
//! Warning, before any call is created.

mod support;

use support::*;

#[test]
fn g729_only_offer_gets_488() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "codec-1");
    let body = "v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 18 101\r\na=rtpmap:18 G729/8000\r\na=rtpmap:101 telephone-event/8000\r\n";
    h.deliver(phone.peer, &phone.invite_with_body(body).bytes);
    let sent = h.take_one();
    assert_eq!(sent.status(), Some(488));
    assert!(
        sent.header("Warning").unwrap().starts_with("304 "),
        "{:?}",
        sent.header("Warning")
    );
    assert!(h.take_events().is_empty());
    assert_eq!(h.endpoint.active_calls(), 0);
}

#[test]
fn pcma_only_is_accepted_when_configured() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "codec-2");
    let body = sipp_offer(6000)
        .replace("RTP/AVP 0 101", "RTP/AVP 8")
        .replace("a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000");
    h.deliver(phone.peer, &phone.invite_with_body(&body).bytes);
    assert_eq!(h.take_statuses(), vec![100]);
    h.take_incoming_call();
}

#[test]
fn unparseable_sdp_gets_488_and_a_late_offer_is_a_call() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "codec-3");
    h.deliver(phone.peer, &phone.invite_with_body("this is not sdp").bytes);
    assert_eq!(h.take_statuses(), vec![488]);

    // No body at all is a late offer (we offer in the 200, they answer in the ACK).
    let mut late = Phone::caller(CALLER_ADDR, "12345", "codec-4");
    let invite = late.invite_with_body("");
    h.deliver(late.peer, &invite.bytes);
    let events = h.take_events();
    assert!(matches!(
        events.as_slice(),
        [hotline_sip::Event::IncomingCall {
            remote_media: None,
            ..
        }]
    ));
}
