//! `unregister` sends REGISTER with Expires: 0 (with credentials), the
//! registrar drops the binding, the endpoint reports ClientUnregistered and
//! sends nothing more: no refresh is left behind.

mod support;

use std::time::Duration;

use hotline_sip::{EndpointConfig, Event, Registration};
use support::pair::{Pair, Side};

const PHONE: Side = Side::A;
const REGISTRAR: Side = Side::B;

#[test]
fn unregistering_removes_the_binding_and_stops_refreshing() {
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
    let id = pair.command(PHONE, |e, now| {
        e.register(now, Registration::new(registrar, "alice", "s3cret"))
    });
    pair.run_for(Duration::from_secs(1));
    assert!(pair.endpoint(PHONE).is_registered(id));
    pair.take_events(PHONE);
    pair.take_events(REGISTRAR);

    pair.command(PHONE, |e, now| e.unregister(now, id));
    pair.run_for(Duration::from_secs(1));

    let last = pair
        .requests_sent(PHONE, rsip::Method::Register)
        .pop()
        .expect("an un-REGISTER");
    assert_eq!(last.header("Expires").as_deref(), Some("0"));
    assert!(last.header("Authorization").is_some());
    assert_eq!(
        pair.take_events(PHONE),
        vec![Event::ClientUnregistered { registration: id }]
    );
    assert_eq!(
        pair.take_events(REGISTRAR),
        vec![Event::Unregistered {
            user: "alice".into()
        }]
    );
    let now = pair.now;
    assert!(pair
        .endpoint(REGISTRAR)
        .registrar()
        .binding("alice", now)
        .is_none());
    assert!(!pair.endpoint(PHONE).is_registered(id));

    // Two hours later the phone has sent nothing more.
    let before = pair.log.len();
    pair.run_for(Duration::from_secs(7200));
    let after: Vec<_> = pair.log[before..]
        .iter()
        .filter(|(side, _)| *side == PHONE)
        .map(|(_, sent)| sent.text())
        .collect();
    assert!(after.is_empty(), "{after:?}");
}
