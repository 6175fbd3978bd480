//! The hotline calls an agent's phone (UAC): provisional responses are
//! reported, the 2xx is ACKed with its To tag and to its Contact, and a
//! retransmitted 2xx is ACKed again without a second answer event.

mod support;

use std::time::Duration;

use hotline_sip::{Codec, EndedBy, Event};
use support::*;

#[test]
fn outgoing_invite_is_acked_and_reacked() {
    let mut h = Harness::new();
    let (call, invite) = h.place_call_to_phone();
    assert_eq!(invite.method(), Some(rsip::Method::Invite));
    assert_eq!(invite.peer, udp(PHONE_ADDR));
    assert_eq!(invite.request_uri(), "sip:agent1@127.0.0.1:5090");
    assert_eq!(invite.header("CSeq").as_deref(), Some("1 INVITE"));
    assert!(invite.branch().starts_with("z9hG4bK"));
    assert!(invite
        .header("From")
        .unwrap()
        .starts_with("\"Hotline\" <sip:12345@"));
    assert!(negotiate_ok(&invite.body()));

    let phone = Phone::caller(PHONE_ADDR, "agent1", "unused");
    h.deliver(phone.peer, &respond_to(&invite, 100, None, &[], ""));
    h.deliver(
        phone.peer,
        &respond_to(&invite, 180, Some("phone-tag"), &[], ""),
    );
    assert_eq!(
        h.take_events(),
        vec![Event::OutgoingProgress { call, status: 180 }]
    );
    assert!(
        h.take_sent().is_empty(),
        "no retransmission after a provisional"
    );
    h.advance(Duration::from_secs(2));
    assert!(
        h.take_sent().is_empty(),
        "timer A stops at the first provisional"
    );

    let ok = respond_to(
        &invite,
        200,
        Some("phone-tag"),
        &[
            ("Contact", PHONE_CONTACT),
            ("Content-Type", "application/sdp"),
        ],
        &phone_answer(),
    );
    h.deliver(phone.peer, &ok);
    let ack = h.take_one();
    assert_eq!(ack.method(), Some(rsip::Method::Ack));
    // URI parameters compare case-insensitively (§19.1.4); rsip prints UDP.
    assert_eq!(
        ack.request_uri().to_ascii_lowercase(),
        "sip:agent1@127.0.0.1:5090;transport=udp;ob",
        "the 2xx ACK goes to the Contact (§13.2.2.4)"
    );
    assert_eq!(ack.to_tag().as_deref(), Some("phone-tag"));
    assert_eq!(ack.header("CSeq").as_deref(), Some("1 ACK"));
    assert_ne!(
        ack.branch(),
        invite.branch(),
        "a 2xx ACK is its own transaction"
    );
    assert_eq!(ack.header("Call-ID"), invite.header("Call-ID"));
    assert_eq!(ack.header("From"), invite.header("From"));
    let events = h.take_events();
    let [Event::OutgoingAnswered {
        call: c,
        remote_media: Some(media),
    }] = events.as_slice()
    else {
        panic!("expected OutgoingAnswered with media, got {events:?}")
    };
    assert_eq!(*c, call);
    assert_eq!(media.codec, Codec::Pcmu);
    assert_eq!(media.remote_rtp, addr("127.0.0.1:7000"));

    // The phone did not get our ACK and sends the 200 again.
    h.advance(Duration::from_millis(500));
    h.deliver(phone.peer, &ok);
    assert_eq!(h.take_one().bytes, ack.bytes, "the same ACK again");
    assert!(h.take_events().is_empty(), "answered once");

    // Long after the INVITE transaction is gone a retransmission still gets its ACK.
    h.advance(Duration::from_secs(40));
    h.deliver(phone.peer, &ok);
    assert_eq!(h.take_one().bytes, ack.bytes);

    // The agent hangs up: their BYE uses our From tag as To tag.
    let mut agent = Phone::caller(PHONE_ADDR, "12345", &invite.header("Call-ID").unwrap());
    agent.user = "agent1".into();
    agent.from_tag = "phone-tag".into();
    agent.to_tag = invite
        .header("From")
        .and_then(|f| hotline_sip::msg::header_param(&f, "tag").map(str::to_owned));
    agent.cseq = 10;
    agent.target = "sip:hotline@127.0.0.1:5060".into();
    h.deliver(agent.peer, &agent.bye().bytes);
    assert_eq!(h.take_statuses(), vec![200]);
    assert_eq!(
        h.take_events(),
        vec![Event::CallEnded {
            call,
            by: EndedBy::Remote,
            reason: "bye"
        }]
    );
}

#[test]
fn our_bye_on_an_outgoing_call_uses_the_dialog() {
    let mut h = Harness::new();
    let (call, invite) = h.place_call_to_phone();
    h.deliver(
        udp(PHONE_ADDR),
        &respond_to(
            &invite,
            200,
            Some("phone-tag"),
            &[
                ("Contact", PHONE_CONTACT),
                ("Content-Type", "application/sdp"),
            ],
            &phone_answer(),
        ),
    );
    h.take_sent();
    h.take_events();
    h.command(|e, now| e.call_hangup(now, call));
    let bye = h.take_one();
    assert_eq!(bye.method(), Some(rsip::Method::Bye));
    assert_eq!(
        bye.request_uri().to_ascii_lowercase(),
        "sip:agent1@127.0.0.1:5090;transport=udp;ob"
    );
    assert_eq!(bye.to_tag().as_deref(), Some("phone-tag"));
    assert_eq!(bye.header("CSeq").as_deref(), Some("2 BYE"));
    h.deliver(udp(PHONE_ADDR), &respond_to(&bye, 200, None, &[], ""));
    assert_eq!(ended_reason(&h.take_events(), call), Some("local_hangup"));
}

fn negotiate_ok(body: &[u8]) -> bool {
    hotline_sip::sdp::negotiate(body, &[Codec::Pcmu]).is_ok()
}
