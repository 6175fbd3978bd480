//! Behind a record-routing proxy (Kamailio in front of several nodes): the
//! hotline echoes the INVITE's Record-Route in its dialog-creating
//! responses and sends Route headers on its own requests in the dialog, in
//! the order RFC 3261 §12.1 gives (UAS: as received; UAC: the 2xx's,
//! reversed), so the proxies stay on the path of the BYE.

mod support;

use support::*;

const EDGE: &str = "<sip:127.0.0.50;lr;ftag=abc>";
const CORE: &str = "<sip:127.0.0.51:5070;lr>";

#[test]
fn an_answered_call_keeps_the_proxies_on_its_bye() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "record-routed");
    phone.cseq += 1;
    let branch = phone.branch();
    let to = phone.to_uri.clone();
    let target = phone.target.clone();
    // Two proxies record-routed: one header with two values, written as
    // the nearer proxy (EDGE) added itself on top.
    let invite = phone.build(
        "INVITE",
        &target,
        phone.cseq,
        &branch,
        &to,
        &[
            ("Record-Route", &format!("{EDGE}, {CORE}")),
            ("Content-Type", "application/sdp"),
        ],
        &sipp_offer(6000),
    );
    h.deliver(phone.peer, &invite);
    let call = h.take_incoming_call();
    h.take_sent();
    h.command(|e, now| e.call_ring(now, call));
    let ringing = h.take_one();
    assert_eq!(ringing.status(), Some(180));
    assert_eq!(ringing.headers_named("Record-Route"), vec![EDGE, CORE]);
    h.command(|e, now| e.call_answer(now, call, local_media(20000)));
    let ok = h
        .take_sent()
        .into_iter()
        .find(|s| s.status() == Some(200))
        .expect("a 200 OK");
    assert_eq!(
        ok.headers_named("Record-Route"),
        vec![EDGE, CORE],
        "the 2xx echoes every Record-Route, in order"
    );
    phone.learn(&ok);
    let request = Request {
        branch: branch.clone(),
        cseq: phone.cseq,
        bytes: invite.clone(),
    };
    h.deliver(phone.peer, &phone.ack_2xx(&request));
    h.take_events();
    h.command(|e, now| e.call_hangup(now, call));
    let bye = h.take_one();
    assert_eq!(bye.method(), Some(rsip::Method::Bye));
    assert_eq!(
        bye.headers_named("Route"),
        vec![EDGE, CORE],
        "the UAS's route set is the Record-Route as received"
    );
    assert_eq!(bye.request_uri(), "sip:sipp@127.0.0.1:5061");
}

#[test]
fn a_placed_call_routes_its_ack_and_bye_through_the_proxies() {
    let mut h = Harness::new();
    let (call, invite) = h.place_call_to_phone();
    let phone = Phone::caller(PHONE_ADDR, "agent1", "unused");
    // The 2xx comes back with the proxies' Record-Route as the UAS wrote it:
    // the proxy nearest the phone (CORE) first, the one nearest us last.
    let ok = respond_to(
        &invite,
        200,
        Some("phone-tag"),
        &[
            ("Record-Route", CORE),
            ("Record-Route", EDGE),
            ("Contact", PHONE_CONTACT),
            ("Content-Type", "application/sdp"),
        ],
        &phone_answer(),
    );
    h.deliver(phone.peer, &ok);
    let ack = h.take_one();
    assert_eq!(ack.method(), Some(rsip::Method::Ack));
    assert_eq!(
        ack.headers_named("Route"),
        vec![EDGE, CORE],
        "the UAC's route set is the 2xx's Record-Route reversed"
    );
    h.take_events();
    h.command(|e, now| e.call_hangup(now, call));
    let bye = h.take_one();
    assert_eq!(bye.method(), Some(rsip::Method::Bye));
    assert_eq!(bye.headers_named("Route"), vec![EDGE, CORE]);
    assert_eq!(
        bye.request_uri().to_ascii_lowercase(),
        "sip:agent1@127.0.0.1:5090;transport=udp;ob",
        "the Request-URI stays the remote target (loose routing)"
    );
}

#[test]
fn without_record_route_nothing_is_added() {
    let mut h = Harness::new();
    let (_phone, _invite, call) = confirmed_call(&mut h, "no-proxy");
    h.command(|e, now| e.call_hangup(now, call));
    let bye = h.take_one();
    assert!(bye.headers_named("Route").is_empty());
}
