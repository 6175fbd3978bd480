//! One address cannot fill the hotline: its live calls are capped, and
//! untrusted sources together never take the capacity kept for the trunks.
//! A call that ends gives its place back.

mod support;

use std::net::IpAddr;

use hotline_sip::EndpointConfig;
use support::*;

const TRUNK: &str = "127.0.0.9:5060";

fn config() -> EndpointConfig {
    EndpointConfig {
        max_calls: 6,
        max_calls_per_source: 2,
        reserved_for_trusted: 2,
        trusted_sources: vec![addr(TRUNK).ip()],
        ..Default::default()
    }
}

/// Sends an INVITE from `at` and returns the hotline's first answer.
fn call_from(h: &mut Harness, at: &str, call_id: &str) -> (Phone, u16) {
    let mut phone = Phone::caller(at, "12345", call_id);
    h.deliver(phone.peer, &phone.invite().bytes);
    let status = h.take_statuses().first().copied().unwrap_or(0);
    (phone, status)
}

#[test]
fn one_address_holds_at_most_its_share_and_gets_it_back() {
    let mut h = Harness::with_config(config());
    assert_eq!(call_from(&mut h, CALLER_ADDR, "a1").1, 100);
    assert_eq!(call_from(&mut h, CALLER_ADDR, "a2").1, 100);
    // Third call from the same address: 503 with Retry-After.
    let mut third = Phone::caller(CALLER_ADDR, "12345", "a3");
    h.deliver(third.peer, &third.invite().bytes);
    let refused = h.take_one();
    assert_eq!(refused.status(), Some(503));
    assert!(refused.header("Retry-After").is_some());
    assert_eq!(h.endpoint.counters().source_call_limit_rejections, 1);
    // Another port of the same host is the same source.
    assert_eq!(call_from(&mut h, "127.0.0.1:7000", "a4").1, 503);
    // Another address is not limited by this one.
    assert_eq!(call_from(&mut h, "127.0.0.2:5061", "b1").1, 100);

    // One of the first calls ends (the caller CANCELs): the place is free.
    let events = h.take_events();
    let first = events
        .iter()
        .find_map(|e| match e {
            hotline_sip::Event::IncomingCall {
                call, sip_call_id, ..
            } if sip_call_id == "a1" => Some(*call),
            _ => None,
        })
        .expect("a1 was offered");
    h.command(|ep, now| ep.call_reject(now, first, 486));
    h.take_sent();
    assert_eq!(call_from(&mut h, CALLER_ADDR, "a5").1, 100);
}

#[test]
fn strangers_cannot_take_the_capacity_kept_for_trunks() {
    let mut h = Harness::with_config(config());
    // max_calls 6, 2 kept back: four untrusted calls at most, in all.
    for (n, at) in ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]
        .iter()
        .enumerate()
    {
        let (_, status) = call_from(&mut h, &format!("{at}:5061"), &format!("s{n}"));
        assert_eq!(status, 100, "stranger {n}");
    }
    assert_eq!(call_from(&mut h, "127.0.0.6:5061", "s5").1, 503);
    // The trunk still gets through, past the per-source cap too.
    assert_eq!(call_from(&mut h, TRUNK, "t1").1, 100);
    assert_eq!(call_from(&mut h, TRUNK, "t2").1, 100);
    // And max_calls still holds for everyone.
    assert_eq!(call_from(&mut h, TRUNK, "t3").1, 503);
}

#[test]
fn without_trusted_sources_nothing_is_kept_back() {
    let mut h = Harness::with_config(EndpointConfig {
        trusted_sources: Vec::<IpAddr>::new(),
        ..config()
    });
    for n in 0..6 {
        let at = format!("127.0.0.{}:5061", n + 2);
        assert_eq!(call_from(&mut h, &at, &format!("c{n}")).1, 100, "call {n}");
    }
    assert_eq!(call_from(&mut h, "127.0.0.20:5061", "c6").1, 503);
}
