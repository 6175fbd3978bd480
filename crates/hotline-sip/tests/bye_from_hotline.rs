//! The hotline hangs up: our BYE is retransmitted per timer E until the
//! phone answers, and the call ends at the 200 (or at timer F without one).

mod support;

use std::time::Duration;

use hotline_sip::{EndedBy, Event};
use support::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn our_bye_is_retransmitted_until_the_200_ends_the_call() {
    let mut h = Harness::new();
    let (phone, _invite, call) = confirmed_call(&mut h, "bye-hotline-1");
    let start = h.elapsed();
    h.command(|e, now| e.call_hangup(now, call));
    let bye = h.take_one();
    assert_eq!(bye.method(), Some(rsip::Method::Bye));
    assert_eq!(bye.request_uri(), "sip:sipp@127.0.0.1:5061");
    assert_eq!(bye.header("CSeq").as_deref(), Some("1 BYE"));
    assert!(bye.branch().starts_with("z9hG4bK"));
    assert!(
        h.take_events().is_empty(),
        "the call ends when the BYE completes"
    );

    h.advance(ms(8_000));
    let gaps: Vec<Duration> = h.take_sent().iter().map(|s| s.at - start).collect();
    assert_eq!(
        gaps,
        [ms(500), ms(1500), ms(3500), ms(7500)],
        "timer E doubles"
    );

    h.deliver(phone.peer, &phone.respond(&bye, 200, None, &[], ""));
    assert_eq!(
        h.take_events(),
        vec![Event::CallEnded {
            call,
            by: EndedBy::Local,
            reason: "local_hangup"
        }]
    );
    h.run_until_idle(Duration::from_secs(120));
    assert!(h.take_sent().is_empty(), "no retransmission after the 200");
    assert_eq!(h.endpoint.active_transactions(), 0);
}

#[test]
fn timer_e_caps_at_t2_and_timer_f_ends_the_call() {
    let mut h = Harness::new();
    let (_phone, _invite, call) = confirmed_call(&mut h, "bye-hotline-2");
    let start = h.elapsed();
    h.command(|e, now| e.call_hangup(now, call));
    h.take_sent();
    h.advance(ms(31_999));
    let sent = h.take_sent();
    let times: Vec<Duration> = sent.iter().map(|s| s.at - start).collect();
    assert_eq!(
        times,
        [500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500].map(ms)
    );
    assert!(h.take_events().is_empty());
    h.advance(ms(1));
    assert_eq!(
        h.take_events(),
        vec![Event::CallEnded {
            call,
            by: EndedBy::Local,
            reason: "bye_timeout"
        }]
    );
}

#[test]
fn hangup_before_the_ack_sends_bye_once_the_ack_arrives() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "bye-hotline-3");
    let invite = phone.invite();
    h.deliver(phone.peer, &invite.bytes);
    let call = h.take_incoming_call();
    h.command(|e, now| e.call_answer(now, call, local_media(20000)));
    let ok = h.take_sent().pop().unwrap();
    phone.learn(&ok);
    h.command(|e, now| e.call_hangup(now, call));
    assert!(h.take_sent().is_empty(), "no BYE before the ACK (§15)");
    h.deliver(phone.peer, &phone.ack_2xx(&invite));
    let sent = h.take_sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method(), Some(rsip::Method::Bye));
    h.deliver(phone.peer, &phone.respond(&sent[0], 200, None, &[], ""));
    assert_eq!(ended_reason(&h.take_events(), call), Some("local_hangup"));
}

#[test]
fn hangup_of_an_unanswered_call_rejects_it_with_480() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "bye-hotline-4");
    let invite = phone.invite();
    h.deliver(phone.peer, &invite.bytes);
    let call = h.take_incoming_call();
    h.take_sent();
    h.command(|e, now| e.call_hangup(now, call));
    assert_eq!(h.take_statuses(), vec![480]);
    assert_eq!(ended_reason(&h.take_events(), call), Some("rejected"));
}
