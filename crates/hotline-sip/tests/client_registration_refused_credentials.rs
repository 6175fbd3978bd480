//! A wrong password is reported once per attempt, never looped on: the
//! challenge is answered once, the registrar's refusal becomes
//! ClientRegistrationFailed, and the next attempt waits for
//! `retry_after_failure` (so a misconfigured phone cannot hammer the
//! registrar into blocking its address).

mod support;

use std::time::Duration;

use hotline_sip::{EndpointConfig, Event, Registration};
use support::pair::{Pair, Side};

const PHONE: Side = Side::A;
const REGISTRAR: Side = Side::B;

#[test]
fn a_wrong_password_fails_and_is_retried_only_after_the_pause() {
    let mut pair = Pair::new(
        EndpointConfig::default(),
        "127.0.0.1:5070",
        EndpointConfig::default(),
        "127.0.0.1:5060",
    );
    pair.endpoint(REGISTRAR)
        .registrar_mut()
        .set_user("alice", "s3cret");
    let registrar = pair.peer_of(REGISTRAR);
    let registration = Registration {
        retry_after_failure: Some(Duration::from_secs(120)),
        ..Registration::new(registrar, "alice", "guess")
    };
    let id = pair.command(PHONE, |e, now| e.register(now, registration));
    pair.run_for(Duration::from_secs(1));

    let events = pair.take_events(PHONE);
    assert!(
        matches!(
            events.as_slice(),
            [Event::ClientRegistrationFailed { registration, status: 403, .. }] if *registration == id
        ),
        "{events:?}"
    );
    assert_eq!(pair.requests_sent(PHONE, rsip::Method::Register).len(), 2);
    assert!(!pair.endpoint(PHONE).is_registered(id));

    pair.run_for(Duration::from_secs(118));
    assert_eq!(
        pair.requests_sent(PHONE, rsip::Method::Register).len(),
        2,
        "nothing before the pause is over"
    );
    pair.run_for(Duration::from_secs(2));
    assert!(pair.requests_sent(PHONE, rsip::Method::Register).len() > 2);
    assert!(matches!(
        pair.take_events(PHONE).as_slice(),
        [Event::ClientRegistrationFailed { status: 403, .. }]
    ));

    // The password is fixed by re-registering: the old one is unregistered first.
    pair.command(PHONE, |e, now| e.unregister(now, id));
    pair.run_for(Duration::from_secs(40));
    let fixed = pair.command(PHONE, |e, now| {
        e.register(now, Registration::new(registrar, "alice", "s3cret"))
    });
    pair.run_for(Duration::from_secs(1));
    assert!(pair.endpoint(PHONE).is_registered(fixed));
}
