//! The UAS core retransmits its 2xx at T1, 2·T1, 4·T1... capped at T2 until
//! the ACK arrives (§13.3.1.4): the "ACK lost" case recovers.

mod support;

use std::time::Duration;

use hotline_sip::Event;
use support::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn two_hundred_is_retransmitted_with_doubling_intervals_capped_at_t2_until_ack() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "okretx-1");
    let invite = phone.invite();
    h.deliver(phone.peer, &invite.bytes);
    let call = h.take_incoming_call();
    h.take_sent();
    h.command(|e, now| e.call_answer(now, call, local_media(20000)));
    let first = h.take_one();
    assert_eq!(first.status(), Some(200));
    phone.learn(&first);

    // The first ACK is lost; the phone only ACKs a later retransmission.
    h.advance(ms(12_000));
    let sent = h.take_sent();
    let times: Vec<Duration> = sent.iter().map(|s| s.at).collect();
    assert_eq!(
        times,
        [ms(500), ms(1500), ms(3500), ms(7500), ms(11_500)],
        "intervals 0.5, 1, 2, 4, 4 s"
    );
    assert!(
        sent.iter().all(|s| s.bytes == first.bytes),
        "the same 200 each time"
    );

    h.deliver(phone.peer, &phone.ack_2xx(&invite));
    assert!(matches!(
        h.take_events().as_slice(),
        [Event::CallConfirmed { .. }]
    ));
    h.advance(ms(60_000));
    assert!(
        h.take_sent().is_empty(),
        "the ACK stops the retransmissions"
    );
    assert!(h.take_events().is_empty(), "and the call stays up");
    assert_eq!(h.endpoint.active_calls(), 1);
}

#[test]
fn a_repeated_ack_changes_nothing() {
    let mut h = Harness::new();
    let (mut phone, invite, _call) = confirmed_call(&mut h, "okretx-2");
    let ack = phone.ack_2xx(&invite);
    h.deliver(phone.peer, &ack);
    assert!(h.take_events().is_empty());
    assert!(h.take_sent().is_empty());
}
