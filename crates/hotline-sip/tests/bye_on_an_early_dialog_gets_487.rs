//! A caller sends BYE on the early dialog (after our 180, before any
//! answer): the BYE gets 200, the pending INVITE gets 487 (RFC 3261
//! §15.1.2), the call ends and no transaction is left behind.

mod support;

use std::time::Duration;

use support::*;

#[test]
fn the_pending_invite_is_answered_487_and_nothing_lingers() {
    let mut h = Harness::new();
    let mut phone = Phone::caller(CALLER_ADDR, "12345", "early-bye");
    let invite = phone.invite();
    h.deliver(phone.peer, &invite.bytes);
    let call = h.take_incoming_call();
    h.take_sent();
    h.command(|e, now| e.call_ring(now, call));
    let ringing = h.take_one();
    assert_eq!(ringing.status(), Some(180));
    phone.learn(&ringing);
    let bye = phone.in_dialog("BYE", &[], "");
    h.deliver(phone.peer, &bye.bytes);
    let sent = h.take_sent();
    let statuses: Vec<(u16, String)> = sent
        .iter()
        .filter_map(|s| Some((s.status()?, s.cseq_method())))
        .collect();
    assert!(statuses.contains(&(200, "BYE".into())), "{statuses:?}");
    assert!(statuses.contains(&(487, "INVITE".into())), "{statuses:?}");
    assert_eq!(ended_reason(&h.take_events(), call), Some("bye"));
    // The caller ACKs the 487; timers run out; nothing is left.
    let terminated = sent.iter().find(|s| s.status() == Some(487)).expect("487");
    h.deliver(phone.peer, &phone.ack_failure(&invite, terminated));
    h.advance(Duration::from_secs(64));
    assert_eq!(h.endpoint.active_calls(), 0);
    assert_eq!(h.endpoint.active_transactions(), 0);
}
