//! Past its limit the hotline sheds new calls with 503 and Retry-After
//! instead of collapsing; draining (set_accepting(false)) does the same.

mod support;

use hotline_sip::EndpointConfig;
use support::*;

#[test]
fn calls_beyond_max_calls_get_503_with_retry_after() {
    let config = EndpointConfig {
        max_calls: 2,
        ..Default::default()
    };
    let mut h = Harness::with_config(config);
    for n in 0..2 {
        let mut phone = Phone::caller(CALLER_ADDR, "12345", &format!("load-{n}"));
        h.deliver(phone.peer, &phone.invite().bytes);
        assert_eq!(h.take_statuses(), vec![100]);
    }
    let mut third = Phone::caller(CALLER_ADDR, "12345", "load-2");
    h.deliver(third.peer, &third.invite().bytes);
    let sent = h.take_one();
    assert_eq!(sent.status(), Some(503));
    assert_eq!(sent.header("Retry-After").as_deref(), Some("5"));
    assert_eq!(h.endpoint.counters().overload_rejections, 1);
    assert_eq!(h.endpoint.active_calls(), 2);
}

#[test]
fn draining_refuses_new_calls_but_keeps_live_ones() {
    let mut h = Harness::new();
    let (mut phone, _invite, call) = confirmed_call(&mut h, "drain-1");
    h.command(|e, _| e.set_accepting(false));
    let mut newcomer = Phone::caller(CALLER_ADDR, "12345", "drain-2");
    h.deliver(newcomer.peer, &newcomer.invite().bytes);
    assert_eq!(h.take_statuses(), vec![503]);
    // The live call still works and ends normally.
    h.deliver(phone.peer, &phone.bye().bytes);
    assert_eq!(h.take_statuses(), vec![200]);
    assert_eq!(ended_reason(&h.take_events(), call), Some("bye"));
    h.command(|e, _| e.set_accepting(true));
    let mut later = Phone::caller(CALLER_ADDR, "12345", "drain-3");
    h.deliver(later.peer, &later.invite().bytes);
    assert_eq!(h.take_statuses(), vec![100]);
}
