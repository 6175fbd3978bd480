//! Requests that parse but are invalid get the right 4xx when a response can
//! be routed (Via and CSeq present); bytes that are not SIP are dropped and
//! counted; nothing panics.

mod support;

use hotline_sip::wire::{parse_datagram, DEFAULT_MAX_MESSAGE_BYTES};
use support::*;

const LINES: [&str; 8] = [
    "Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-bad-1",
    "Max-Forwards: 70",
    "From: <sip:sipp@127.0.0.1:5061>;tag=bad",
    "To: <sip:12345@127.0.0.1:5060>",
    "Call-ID: bad-1",
    "CSeq: 1 OPTIONS",
    "Contact: <sip:sipp@127.0.0.1:5061>",
    "Content-Length: 0",
];

/// An OPTIONS with `drop` header lines removed and `replace` substituted.
fn options(drop: &[&str], replace: &[(&str, &str)]) -> Vec<u8> {
    let mut text = String::from("OPTIONS sip:12345@127.0.0.1:5060 SIP/2.0\r\n");
    for line in LINES {
        let name = line.split(':').next().unwrap();
        if drop.contains(&name) {
            continue;
        }
        match replace.iter().find(|(n, _)| *n == name) {
            Some((n, v)) => text.push_str(&format!("{n}: {v}\r\n")),
            None => text.push_str(&format!("{line}\r\n")),
        }
    }
    text.push_str("\r\n");
    text.into_bytes()
}

fn answer_to(bytes: &[u8]) -> (Vec<u16>, Harness) {
    let mut h = Harness::new();
    h.deliver(udp(CALLER_ADDR), bytes);
    let sent = h.take_sent();
    let statuses = sent.iter().filter_map(Sent::status).collect();
    (statuses, h)
}

#[test]
fn a_valid_options_is_the_baseline() {
    assert_eq!(answer_to(&options(&[], &[])).0, vec![200]);
}

#[test]
fn missing_mandatory_headers_get_400_when_routable() {
    for header in ["Call-ID", "From", "To"] {
        let (statuses, h) = answer_to(&options(&[header], &[]));
        assert_eq!(statuses, vec![400], "without {header}");
        assert_eq!(h.endpoint.counters().invalid_requests, 1);
        assert_eq!(h.endpoint.active_transactions(), 0, "no state for junk");
    }
}

#[test]
fn the_400_says_why_and_reaches_the_sender() {
    let mut h = Harness::new();
    h.deliver(udp(CALLER_ADDR), &options(&["Call-ID"], &[]));
    let response = h.take_one();
    assert_eq!(response.status(), Some(400));
    assert_eq!(response.peer, udp(CALLER_ADDR));
    let warning = response.header("Warning").unwrap();
    assert!(warning.contains("Call-ID"), "{warning}");
    assert_eq!(response.branch(), "z9hG4bK-bad-1");
}

#[test]
fn without_via_or_cseq_nothing_can_be_answered() {
    for header in ["Via", "CSeq"] {
        let (statuses, h) = answer_to(&options(&[header], &[]));
        assert!(statuses.is_empty(), "without {header}: {statuses:?}");
        assert_eq!(h.endpoint.counters().invalid_requests, 1);
    }
}

#[test]
fn cseq_problems_get_400() {
    for cseq in ["1 INVITE", "x OPTIONS", "OPTIONS", "99999999999 OPTIONS"] {
        let (statuses, _) = answer_to(&options(&[], &[("CSeq", cseq)]));
        assert_eq!(statuses, vec![400], "CSeq: {cseq}");
    }
}

#[test]
fn max_forwards_zero_gets_483_and_garbage_400() {
    let invite = String::from_utf8(options(&[], &[("Max-Forwards", "0"), ("CSeq", "1 INVITE")]))
        .unwrap()
        .replacen("OPTIONS sip:", "INVITE sip:", 1);
    assert_eq!(answer_to(invite.as_bytes()).0, vec![483]);
    assert_eq!(
        answer_to(&options(&[], &[("Max-Forwards", "lots")])).0,
        vec![400]
    );
    assert_eq!(
        answer_to(&options(&[], &[("Max-Forwards", "-1")])).0,
        vec![400]
    );
    // §11.2: OPTIONS with Max-Forwards 0 is answered by the recipient.
    assert_eq!(
        answer_to(&options(&[], &[("Max-Forwards", "0")])).0,
        vec![200]
    );
}

#[test]
fn an_invalid_ack_is_never_answered() {
    let ack = String::from_utf8(options(&["Call-ID"], &[("CSeq", "1 ACK")]))
        .unwrap()
        .replacen("OPTIONS sip:", "ACK sip:", 1);
    assert!(
        answer_to(ack.as_bytes()).0.is_empty(),
        "no response to an ACK (§17)"
    );
}

#[test]
fn garbage_bytes_are_dropped_and_counted() {
    let mut h = Harness::new();
    let inputs: [&[u8]; 8] = [
        b"",
        b"\x00\x01\x02\xff\xfe",
        b"hello",
        b"INVITE\r\n\r\n",
        b"INVITE sip:12345@127.0.0.1 SIP/2.0\r\nVia no colon\r\n\r\n",
        b"SIP/2.0 200\r\nContent-Length: 99\r\n\r\nshort",
        b"OPTIONS sip:x SIP/2.0\r\nContent-Length: -4\r\n\r\n",
        b"\xc3\x28 sip:x SIP/2.0\r\n\r\n",
    ];
    for bytes in inputs {
        h.deliver(udp(CALLER_ADDR), bytes);
    }
    assert!(h.take_sent().is_empty());
    assert!(h.take_events().is_empty());
    let counters = h.endpoint.counters().clone();
    assert!(
        counters.parse_failures + counters.invalid_requests >= inputs.len() as u64 - 1,
        "{counters:?}"
    );
    assert_eq!(h.endpoint.active_transactions(), 0);
}

#[test]
fn oversize_datagrams_are_refused_before_parsing() {
    let mut big = options(&[], &[]);
    big.extend(std::iter::repeat_n(b'x', DEFAULT_MAX_MESSAGE_BYTES));
    assert!(parse_datagram(&big, DEFAULT_MAX_MESSAGE_BYTES).is_err());
    let mut h = Harness::new();
    h.deliver(udp(CALLER_ADDR), &big);
    assert!(h.take_sent().is_empty());
    assert_eq!(h.endpoint.counters().parse_failures, 1);
}

#[test]
fn responses_to_nothing_we_sent_are_ignored() {
    let mut h = Harness::new();
    let stray = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKnope\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: stray\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    h.deliver(udp(CALLER_ADDR), stray);
    assert!(h.take_sent().is_empty());
    assert!(h.take_events().is_empty());
}
