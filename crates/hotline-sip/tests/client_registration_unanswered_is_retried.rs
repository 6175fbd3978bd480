//! A registrar that never answers: the REGISTER is retransmitted (timer E)
//! until timer F ends it after 64·T1 (32 s), the failure is reported as 408,
//! and the endpoint tries again after `retry_after_failure`; once the
//! registrar answers again, the phone is registered.

mod support;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use hotline_sip::{EndpointConfig, Event, Registration};
use support::pair::{Pair, Side};

const PHONE: Side = Side::A;
const REGISTRAR: Side = Side::B;

#[test]
fn no_answer_is_a_408_then_a_retry_succeeds() {
    let mut pair = Pair::new(
        EndpointConfig::default(),
        "127.0.0.1:5070",
        EndpointConfig::default(),
        "127.0.0.1:5060",
    );
    pair.endpoint(REGISTRAR)
        .registrar_mut()
        .set_user("alice", "s3cret");
    let network_down = Rc::new(Cell::new(true));
    let down = network_down.clone();
    pair.lose_when(move |_, _| down.get());
    let registrar = pair.peer_of(REGISTRAR);
    let registration = Registration {
        retry_after_failure: Some(Duration::from_secs(60)),
        ..Registration::new(registrar, "alice", "s3cret")
    };
    let id = pair.command(PHONE, |e, now| e.register(now, registration));

    pair.run_for(Duration::from_secs(31));
    assert!(pair.take_events(PHONE).is_empty());
    let sent = pair.requests_sent(PHONE, rsip::Method::Register);
    assert!(sent.len() > 5, "retransmitted: {}", sent.len());
    assert!(
        sent.iter().all(|r| r.branch() == sent[0].branch()),
        "retransmissions of one request"
    );
    pair.run_for(Duration::from_secs(2));
    assert_eq!(
        pair.take_events(PHONE),
        vec![Event::ClientRegistrationFailed {
            registration: id,
            status: 408,
            reason: "no answer from the registrar"
        }]
    );

    network_down.set(false);
    pair.run_for(Duration::from_secs(61));
    assert!(matches!(
        pair.take_events(PHONE).as_slice(),
        [Event::ClientRegistered { registration, .. }] if *registration == id
    ));
    assert!(pair.endpoint(PHONE).is_registered(id));
}
