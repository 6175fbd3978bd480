//! The checks RFC 3261 §8.2 asks of a UAS before it acts on a request, in
//! its order: a Request-URI scheme it does not serve gets 416, a request
//! that arrives twice by two paths 482, a Require it cannot meet 420 with
//! Unsupported, a body it cannot read 415 with Accept. None of them starts
//! a call.

mod support;

use support::*;

fn invite_from(phone: &mut Phone, uri: &str, extra: &[(&str, &str)], body: &str) -> Vec<u8> {
    phone.cseq += 1;
    let branch = phone.branch();
    let to = phone.to_uri.clone();
    phone.build("INVITE", uri, phone.cseq, &branch, &to, extra, body)
}

fn no_call_was_offered(h: &mut Harness) {
    assert!(
        !h.take_events()
            .iter()
            .any(|e| matches!(e, hotline_sip::Event::IncomingCall { .. })),
        "a refused request must not reach the controller"
    );
}

#[test]
fn a_tel_uri_gets_416() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "tel-uri");
    let bytes = invite_from(
        &mut phone,
        "tel:+86-12345",
        &[("Content-Type", "application/sdp")],
        &sipp_offer(6000),
    );
    h.deliver(phone.peer, &bytes);
    let refused = h.take_one();
    assert_eq!(refused.status(), Some(416), "{}", refused.text());
    assert!(refused.to_tag().is_some());
    no_call_was_offered(&mut h);
    // The final answer is a transaction like any other: the ACK ends it.
    h.deliver(
        phone.peer,
        &phone.ack_failure(
            &Request {
                branch: refused.branch(),
                cseq: phone.cseq,
                bytes: Vec::new(),
            },
            &refused,
        ),
    );
    assert!(h.take_sent().is_empty());
}

#[test]
fn the_same_invite_by_a_second_path_gets_482() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "forked");
    let first = phone.invite();
    h.deliver(phone.peer, &first.bytes);
    assert_eq!(h.take_statuses(), vec![100]);
    // An upstream proxy forked it: same Call-ID, From tag and CSeq, another branch.
    let branch = phone.branch();
    let to = phone.to_uri.clone();
    let target = phone.target.clone();
    let copy = phone.build(
        "INVITE",
        &target,
        first.cseq,
        &branch,
        &to,
        &[("Content-Type", "application/sdp")],
        &sipp_offer(6000),
    );
    h.deliver(phone.peer, &copy);
    assert_eq!(h.take_statuses(), vec![482]);
    // The first one goes on as one call.
    let offered = h
        .take_events()
        .into_iter()
        .filter(|e| matches!(e, hotline_sip::Event::IncomingCall { .. }))
        .count();
    assert_eq!(offered, 1);
    // A retransmission of the first (its own branch) is still absorbed.
    h.deliver(phone.peer, &first.bytes);
    assert_eq!(h.take_statuses(), vec![100]);
}

#[test]
fn a_required_extension_we_lack_gets_420_naming_it() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "require");
    let target = phone.target.clone();
    let bytes = invite_from(
        &mut phone,
        &target,
        &[
            ("Content-Type", "application/sdp"),
            ("Require", "100rel, foo"),
        ],
        &sipp_offer(6000),
    );
    h.deliver(phone.peer, &bytes);
    let refused = h.take_one();
    assert_eq!(refused.status(), Some(420));
    let unsupported = refused.header("Unsupported").unwrap_or_default();
    assert!(
        unsupported.contains("100rel") && unsupported.contains("foo"),
        "{unsupported}"
    );
    no_call_was_offered(&mut h);
    // Supported (not Require) is only information: the call goes on.
    let mut other = Phone::caller(CALLER_ADDR, "12345", "supported");
    let target = other.target.clone();
    let bytes = invite_from(
        &mut other,
        &target,
        &[("Content-Type", "application/sdp"), ("Supported", "100rel")],
        &sipp_offer(6000),
    );
    h.deliver(other.peer, &bytes);
    assert_eq!(h.take_statuses(), vec![100]);
}

#[test]
fn a_body_we_cannot_read_gets_415_with_accept() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "xml-body");
    let target = phone.target.clone();
    let bytes = invite_from(
        &mut phone,
        &target,
        &[("Content-Type", "application/xml")],
        "<offer/>",
    );
    h.deliver(phone.peer, &bytes);
    let refused = h.take_one();
    assert_eq!(refused.status(), Some(415));
    assert_eq!(refused.header("Accept").as_deref(), Some("application/sdp"));

    let mut zipped = Phone::caller(CALLER_ADDR, "12345", "gzip-body");
    let target = zipped.target.clone();
    let bytes = invite_from(
        &mut zipped,
        &target,
        &[
            ("Content-Type", "application/sdp"),
            ("Content-Encoding", "gzip"),
        ],
        &sipp_offer(6000),
    );
    h.deliver(zipped.peer, &bytes);
    let refused = h.take_one();
    assert_eq!(refused.status(), Some(415));
    assert_eq!(
        refused.header("Accept-Encoding").as_deref(),
        Some("identity")
    );
    no_call_was_offered(&mut h);

    // SDP with parameters on its type is SDP.
    let mut fine = Phone::caller(CALLER_ADDR, "12345", "sdp-params");
    let target = fine.target.clone();
    let bytes = invite_from(
        &mut fine,
        &target,
        &[("Content-Type", "Application/SDP; charset=utf-8")],
        &sipp_offer(6000),
    );
    h.deliver(fine.peer, &bytes);
    assert_eq!(h.take_statuses(), vec![100]);
}

#[test]
fn an_invite_whose_contact_is_no_sip_uri_gets_400() {
    // rsip reads `si :...` as a URI; a BYE to it would be unreadable.
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "bad-contact");
    let bytes = invite_from(
        &mut phone,
        "sip:12345@127.0.0.1:5060",
        &[("Content-Type", "application/sdp")],
        &sipp_offer(6000),
    );
    let text = String::from_utf8(bytes).expect("text");
    assert!(text.contains("Contact: <sip:"), "{text}");
    let bytes = text.replacen("Contact: <sip:", "Contact: <si :", 1);
    h.deliver(phone.peer, bytes.as_bytes());
    let refused = h.take_one();
    assert_eq!(refused.status(), Some(400), "{}", refused.text());
    assert!(refused.text().contains("the Contact is no SIP URI"));
    no_call_was_offered(&mut h);
}
