//! DTMF sent in SIP INFO (application/dtmf-relay and application/dtmf) is
//! answered 200 and reported as InfoDtmf events.

mod support;

use hotline_sip::Event;
use support::*;

#[test]
fn dtmf_relay_and_dtmf_bodies_become_events() {
    let mut h = Harness::new();
    let (mut phone, _invite, call) = confirmed_call(&mut h, "info-1");
    let info = phone.in_dialog(
        "INFO",
        &[("Content-Type", "application/dtmf-relay")],
        "Signal=5\r\nDuration=250\r\n",
    );
    h.deliver(phone.peer, &info.bytes);
    assert_eq!(h.take_statuses(), vec![200]);
    assert_eq!(
        h.take_events(),
        vec![Event::InfoDtmf {
            call,
            digit: '5',
            duration_ms: 250
        }]
    );
    let info = phone.in_dialog("INFO", &[("Content-Type", "application/dtmf")], "#");
    h.deliver(phone.peer, &info.bytes);
    assert_eq!(h.take_statuses(), vec![200]);
    assert_eq!(
        h.take_events(),
        vec![Event::InfoDtmf {
            call,
            digit: '#',
            duration_ms: 160
        }]
    );
    // Other INFO bodies are accepted and ignored.
    let info = phone.in_dialog(
        "INFO",
        &[("Content-Type", "application/media_control+xml")],
        "<x/>",
    );
    h.deliver(phone.peer, &info.bytes);
    assert_eq!(h.take_statuses(), vec![200]);
    assert!(h.take_events().is_empty());
}

#[test]
fn a_retransmitted_info_is_one_digit() {
    let mut h = Harness::new();
    let (mut phone, _invite, _call) = confirmed_call(&mut h, "info-2");
    let info = phone.in_dialog(
        "INFO",
        &[("Content-Type", "application/dtmf-relay")],
        "Signal=1\r\nDuration=100\r\n",
    );
    h.deliver(phone.peer, &info.bytes);
    h.deliver(phone.peer, &info.bytes);
    assert_eq!(h.take_statuses(), vec![200, 200]);
    assert_eq!(h.take_events().len(), 1);
}

#[test]
fn an_info_before_the_ack_does_not_lose_the_ack() {
    // The ACK carries the INVITE's CSeq (§13.2.2.4), lower than an INFO's
    // the caller may have sent first; the call must still be confirmed.
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "info-3");
    let invite = phone.invite();
    h.deliver(phone.peer, &invite.bytes);
    let call = h.take_incoming_call();
    h.command(|e, now| e.call_answer(now, call, local_media(20000)));
    let ok = h.take_sent().pop().unwrap();
    phone.learn(&ok);
    let info = phone.in_dialog("INFO", &[("Content-Type", "application/dtmf")], "3");
    h.deliver(phone.peer, &info.bytes);
    assert_eq!(h.take_statuses(), vec![200]);
    h.take_events();
    h.deliver(phone.peer, &phone.ack_2xx(&invite));
    assert!(
        h.take_events()
            .iter()
            .any(|e| matches!(e, Event::CallConfirmed { .. })),
        "the ACK confirms the call"
    );
}
