//! A caller writing compact header forms, folded lines and bare LF (all
//! allowed by RFC 3261 §7.3) gets a normal call.

mod support;

use hotline_sip::Event;
use support::*;

#[test]
fn compact_folded_bare_lf_invite_is_answered() {
    let mut h = Harness::new();
    let sdp = sipp_offer(6000).replace("\r\n", "\n");
    let invite = format!(
        "INVITE sip:12345@127.0.0.1:5060 SIP/2.0\n\
v: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-compact-1;rport\n\
f: \"Li Wei\"\n <sip:liwei@127.0.0.1:5061>;tag=cf1\n\
t: <sip:12345@127.0.0.1:5060>\n\
i: compact-1\n\
CSeq: 1 INVITE\n\
m: <sip:liwei@127.0.0.1:5061>\n\
Max-Forwards: 70\n\
c: application/sdp\n\
l: {}\n\n{sdp}",
        sdp.len()
    );
    h.deliver(udp(CALLER_ADDR), invite.as_bytes());
    let trying = h.take_one();
    assert_eq!(trying.status(), Some(100));
    assert_eq!(trying.header("Call-ID").as_deref(), Some("compact-1"));
    assert!(trying.header("From").unwrap().contains("tag=cf1"));
    let events = h.take_events();
    let [Event::IncomingCall {
        call,
        caller,
        caller_display,
        remote_media,
        ..
    }] = events.as_slice()
    else {
        panic!("expected IncomingCall, got {events:?}")
    };
    assert_eq!(caller, "liwei");
    assert_eq!(caller_display.as_deref(), Some("Li Wei"));
    assert!(remote_media.is_some(), "the SDP after bare LFs was read");
    let call = *call;
    h.command(|e, now| e.call_answer(now, call, local_media(20000)));
    let ok = h.take_one();
    assert_eq!(ok.status(), Some(200));
    let tag = ok.to_tag().unwrap();

    let ack = format!(
        "ACK sip:hotline@127.0.0.1:5060 SIP/2.0\n\
v: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-compact-2\n\
f: <sip:liwei@127.0.0.1:5061>;tag=cf1\n\
t: <sip:12345@127.0.0.1:5060>;tag={tag}\n\
i: compact-1\n\
CSeq: 1 ACK\n\
l: 0\n\n"
    );
    h.deliver(udp(CALLER_ADDR), ack.as_bytes());
    assert!(matches!(
        h.take_events().as_slice(),
        [Event::CallConfirmed { .. }]
    ));

    let bye = format!(
        "BYE sip:hotline@127.0.0.1:5060 SIP/2.0\r\n\
v: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-compact-3\r\n\
f: <sip:liwei@127.0.0.1:5061>;tag=cf1\r\n\
t: <sip:12345@127.0.0.1:5060>\r\n\t;tag={tag}\r\n\
i: compact-1\r\n\
CSeq: 2 BYE\r\n\
l: 0\r\n\r\n"
    );
    h.deliver(udp(CALLER_ADDR), bye.as_bytes());
    assert_eq!(h.take_statuses(), vec![200]);
    assert!(matches!(
        h.take_events().as_slice(),
        [Event::CallEnded { reason: "bye", .. }]
    ));
}
