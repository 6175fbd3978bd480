//! `call_reject` answers with the controller's failure status, and never
//! with something that is not a final failure (a 2xx would establish a
//! dialog the endpoint has already forgotten).

mod support;

use std::time::Duration;

use support::*;

fn reject_with(status: u16) -> Vec<u16> {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", &format!("reject-{status}"));
    let invite = phone.invite();
    h.deliver(phone.peer, &invite.bytes);
    let call = h.take_incoming_call();
    h.take_sent();
    h.command(|e, now| e.call_reject(now, call, status));
    assert_eq!(ended_reason(&h.take_events(), call), Some("rejected"));
    let sent = h.take_sent();
    let final_response = sent.last().expect("a final response").clone();
    h.deliver(phone.peer, &phone.ack_failure(&invite, &final_response));
    h.run_until_idle(Duration::from_secs(60));
    assert_eq!(h.endpoint.active_transactions(), 0);
    sent.iter().filter_map(Sent::status).collect()
}

#[test]
fn failure_statuses_are_sent_as_given() {
    assert_eq!(reject_with(486), vec![486]);
    assert_eq!(reject_with(603), vec![603]);
    assert_eq!(reject_with(302), vec![302]);
}

#[test]
fn non_failure_statuses_become_480() {
    assert_eq!(reject_with(200), vec![480]);
    assert_eq!(reject_with(180), vec![480]);
    assert_eq!(reject_with(0), vec![480]);
    assert_eq!(reject_with(999), vec![480]);
}
