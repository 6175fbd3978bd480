//! Calls only ever go to numbers the configuration names (no open relay):
//! anything else gets 404 and no call is created.

mod support;

use std::time::Duration;

use support::*;

#[test]
fn a_number_we_do_not_serve_gets_404() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "0015551234567", "unknown-1");
    let invite = phone.invite();
    h.deliver(phone.peer, &invite.bytes);
    let sent = h.take_sent();
    assert_eq!(
        sent.iter().filter_map(Sent::status).collect::<Vec<_>>(),
        vec![404]
    );
    assert!(
        sent[0].to_tag().is_some(),
        "a final response carries a To tag"
    );
    assert!(h.take_events().is_empty());
    assert_eq!(h.endpoint.active_calls(), 0);
    // From an untrusted address over UDP the 404 is sent once, with no
    // transaction (spoofed_sources_are_not_amplified.rs); the ACK is absorbed.
    h.advance(Duration::from_millis(500));
    assert!(h.take_statuses().is_empty());
    h.deliver(phone.peer, &phone.ack_failure(&invite, &sent[0]));
    h.run_until_idle(Duration::from_secs(60));
    assert!(h.take_sent().is_empty());
    assert_eq!(h.endpoint.active_transactions(), 0);
}

#[test]
fn from_a_trunk_the_404_is_retransmitted_until_acked() {
    let config = hotline_sip::EndpointConfig {
        trusted_sources: vec![addr(CALLER_ADDR).ip()],
        ..Default::default()
    };
    let mut h = Harness::with_config(config);
    let mut phone = Phone::caller(CALLER_ADDR, "0015551234567", "unknown-3");
    let invite = phone.invite();
    h.deliver(phone.peer, &invite.bytes);
    let sent = h.take_sent();
    assert_eq!(h_statuses(&sent), vec![404]);
    h.advance(Duration::from_millis(500));
    assert_eq!(h.take_statuses(), vec![404]);
    h.deliver(phone.peer, &phone.ack_failure(&invite, &sent[0]));
    h.run_until_idle(Duration::from_secs(60));
    assert!(h.take_sent().is_empty());
    assert_eq!(h.endpoint.active_transactions(), 0);
}

fn h_statuses(sent: &[Sent]) -> Vec<u16> {
    sent.iter().filter_map(Sent::status).collect()
}

#[test]
fn every_configured_number_answers() {
    let config = hotline_sip::EndpointConfig {
        numbers: vec!["12345".into(), "311".into()],
        ..Default::default()
    };
    let mut h = Harness::with_config(config);
    for (n, number) in ["12345", "311"].into_iter().enumerate() {
        let mut phone = Phone::caller(CALLER_ADDR, number, &format!("known-{n}"));
        h.deliver(phone.peer, &phone.invite().bytes);
        assert_eq!(h.take_statuses(), vec![100]);
        h.take_incoming_call();
    }
}

#[test]
fn a_request_uri_without_a_user_gets_404() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "unknown-2");
    phone.target = "sip:127.0.0.1:5060".into();
    h.deliver(phone.peer, &phone.invite().bytes);
    assert_eq!(h.take_statuses(), vec![404]);
}
