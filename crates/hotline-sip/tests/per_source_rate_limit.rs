//! One source address cannot flood the endpoint: a token bucket drops its
//! excess requests unanswered (so a scan costs it more than us), trusted
//! sources are exempt, and live server transactions per source are capped.

mod support;

use std::net::IpAddr;
use std::time::Duration;

use hotline_sip::EndpointConfig;
use support::*;

fn options(phone: &mut Phone) -> Vec<u8> {
    let branch = phone.branch();
    phone.build(
        "OPTIONS",
        "sip:12345@127.0.0.1:5060",
        1,
        &branch,
        &phone.to_uri.clone(),
        &[],
        "",
    )
}

fn config() -> EndpointConfig {
    EndpointConfig {
        requests_per_second_per_source: 5, // burst of 10
        trusted_sources: vec!["127.0.0.9".parse::<IpAddr>().unwrap()],
        ..Default::default()
    }
}

#[test]
fn excess_requests_from_one_source_are_dropped_and_the_bucket_refills() {
    let mut h = Harness::with_config(config());
    let mut flooder = Phone::caller(CALLER_ADDR, "12345", "flood");
    for _ in 0..15 {
        let bytes = options(&mut flooder);
        h.deliver(flooder.peer, &bytes);
    }
    assert_eq!(h.take_statuses().len(), 10, "the burst, then silence");
    assert_eq!(h.endpoint.counters().rate_limited, 5);

    // Another source is not affected.
    let mut other = Phone::caller("127.0.0.2:5061", "12345", "other");
    let bytes = options(&mut other);
    h.deliver(other.peer, &bytes);
    assert_eq!(h.take_statuses(), vec![200]);

    // One second later five more are allowed.
    h.advance(Duration::from_secs(1));
    for _ in 0..6 {
        let bytes = options(&mut flooder);
        h.deliver(flooder.peer, &bytes);
    }
    assert_eq!(h.take_statuses().len(), 5);
}

#[test]
fn retransmissions_are_not_charged() {
    let mut h = Harness::with_config(config());
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "retx");
    let bytes = options(&mut phone);
    for _ in 0..30 {
        h.deliver(phone.peer, &bytes);
    }
    assert_eq!(h.take_statuses().len(), 30, "answered from the transaction");
    assert_eq!(h.endpoint.counters().rate_limited, 0);
}

#[test]
fn trusted_sources_are_exempt() {
    let mut h = Harness::with_config(config());
    let mut trunk = Phone::caller("127.0.0.9:5060", "12345", "trunk");
    for _ in 0..50 {
        let bytes = options(&mut trunk);
        h.deliver(trunk.peer, &bytes);
    }
    assert_eq!(h.take_statuses().len(), 50);
}

#[test]
fn scanners_are_dropped_unanswered() {
    let mut h = Harness::new();
    let phone = Phone::caller(CALLER_ADDR, "12345", "scan");
    let bytes = phone.build(
        "OPTIONS",
        "sip:100@127.0.0.1:5060",
        1,
        "z9hG4bK-scan",
        &phone.to_uri,
        &[("User-Agent", "friendly-scanner")],
        "",
    );
    // The builder writes SIPp's User-Agent; keep only the scanner's.
    let text = String::from_utf8(bytes)
        .unwrap()
        .replace("User-Agent: SIPp/3.6.1\r\n", "");
    h.deliver(phone.peer, text.as_bytes());
    assert!(h.take_sent().is_empty());
    assert_eq!(h.endpoint.counters().scanner_drops, 1);
    assert_eq!(h.endpoint.active_transactions(), 0);
}

#[test]
fn live_transactions_per_source_are_capped_and_released() {
    let config = EndpointConfig {
        max_transactions_per_source: 3,
        ..Default::default()
    };
    let mut h = Harness::with_config(config);
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "cap");
    for _ in 0..5 {
        let bytes = options(&mut phone);
        h.deliver(phone.peer, &bytes);
    }
    assert_eq!(
        h.take_statuses().len(),
        3,
        "three live OPTIONS transactions, then drops"
    );
    // Timer J (64·T1) releases them.
    h.advance(Duration::from_secs(33));
    let bytes = options(&mut phone);
    h.deliver(phone.peer, &bytes);
    assert_eq!(h.take_statuses(), vec![200]);
}

#[test]
fn our_own_client_transactions_do_not_free_the_callers_quota() {
    // The cap counts the source's server transactions; a BYE we send to it
    // finishing must not give back a slot its live INVITE still holds.
    let config = EndpointConfig {
        max_transactions_per_source: 2,
        ..Default::default()
    };
    let mut h = Harness::with_config(config);
    let (phone, _invite, call) = confirmed_call(&mut h, "quota");
    h.command(|e, now| e.call_hangup(now, call));
    let bye = h.take_one();
    h.deliver(phone.peer, &phone.respond(&bye, 200, None, &[], ""));
    // Timer K (T4) ends our BYE transaction; the INVITE's (timer L) is still live.
    h.advance(Duration::from_secs(6));
    let mut prober = Phone::caller(CALLER_ADDR, "12345", "quota-2");
    for _ in 0..2 {
        let bytes = options(&mut prober);
        h.deliver(prober.peer, &bytes);
    }
    assert_eq!(
        h.take_statuses().len(),
        1,
        "one slot held by the INVITE transaction, one for an OPTIONS"
    );
}

#[test]
fn invalid_requests_are_rate_limited_too() {
    let mut h = Harness::with_config(config());
    for n in 0..15 {
        let text = format!("OPTIONS sip:12345@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-inv-{n}\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
        h.deliver(udp(CALLER_ADDR), text.as_bytes());
    }
    assert_eq!(
        h.take_statuses().len(),
        10,
        "400s are rate limited like any answer"
    );
}
