//! A BYE that arrives while a re-INVITE's 200 waits for its ACK ends the
//! call cleanly: the 200 stops being retransmitted and the late ACK is ignored.

mod support;

use std::time::Duration;

use hotline_sip::Event;
use support::*;

#[test]
fn bye_before_the_reinvite_ack_ends_the_call_and_stops_the_200() {
    let mut h = Harness::new();
    let (mut phone, _invite, call) = confirmed_call(&mut h, "bye-reinv-1");
    let reinvite = phone.reinvite(&offer_with_direction(6000, "sendonly"));
    h.deliver(phone.peer, &reinvite.bytes);
    let ok = h.take_one();
    assert_eq!(ok.status(), Some(200));
    assert_eq!(ok.cseq_method(), "INVITE");
    h.take_events();

    let bye = phone.bye();
    h.deliver(phone.peer, &bye.bytes);
    let sent = h.take_one();
    assert_eq!(
        (sent.status(), sent.cseq_method().as_str()),
        (Some(200), "BYE")
    );
    assert_eq!(ended_reason(&h.take_events(), call), Some("bye"));

    h.deliver(phone.peer, &phone.ack_2xx(&reinvite));
    assert!(h.take_events().is_empty());
    h.run_until_idle(Duration::from_secs(120));
    assert!(
        h.take_sent().is_empty(),
        "no 200 retransmission for an ended call"
    );
    assert_eq!(h.endpoint.active_calls(), 0);
    assert_eq!(h.endpoint.active_transactions(), 0);
}

#[test]
fn a_second_reinvite_while_one_is_pending_gets_491() {
    let mut h = Harness::new();
    let (mut phone, _invite, _call) = confirmed_call(&mut h, "bye-reinv-2");
    let first = phone.reinvite(&offer_with_direction(6000, "sendonly"));
    h.deliver(phone.peer, &first.bytes);
    h.take_sent();
    let second = phone.reinvite(&offer_with_direction(6000, "sendrecv"));
    h.deliver(phone.peer, &second.bytes);
    assert_eq!(h.take_statuses(), vec![491]);
}

#[test]
fn our_hangup_during_the_reinvite_waits_for_its_ack_then_sends_bye() {
    let mut h = Harness::new();
    let (mut phone, _invite, call) = confirmed_call(&mut h, "bye-reinv-3");
    let reinvite = phone.reinvite(&offer_with_direction(6000, "sendonly"));
    h.deliver(phone.peer, &reinvite.bytes);
    h.take_sent();
    h.take_events();
    h.command(|e, now| e.call_hangup(now, call));
    h.deliver(phone.peer, &phone.ack_2xx(&reinvite));
    let sent = h.take_sent();
    assert_eq!(
        sent.iter().map(|s| s.method()).collect::<Vec<_>>(),
        [Some(rsip::Method::Bye)]
    );
    assert!(
        !h.take_events()
            .iter()
            .any(|e| matches!(e, Event::CallConfirmed { .. })),
        "a re-INVITE's ACK does not confirm the call a second time"
    );
    h.deliver(phone.peer, &phone.respond(&sent[0], 200, None, &[], ""));
    assert_eq!(ended_reason(&h.take_events(), call), Some("local_hangup"));
}
