//! What registration is for: once the phone endpoint is registered, the
//! registrar side calls it at its binding (as the hotline rings an agent's
//! phone) and the phone sees the call for its own user, answers, and both
//! sides hold a confirmed call.

mod support;

use std::time::Duration;

use hotline_sip::{EndpointConfig, Event, OutgoingCall, Registration};
use support::local_media;
use support::pair::{Pair, Side};

const PHONE: Side = Side::A;
const HOTLINE: Side = Side::B;

#[test]
fn the_hotline_reaches_the_registered_contact() {
    let phone = EndpointConfig {
        numbers: vec!["agent7".into()],
        ..EndpointConfig::default()
    };
    let mut pair = Pair::new(
        phone,
        "127.0.0.1:5070",
        EndpointConfig::default(),
        "127.0.0.1:5060",
    );
    pair.endpoint(HOTLINE)
        .registrar_mut()
        .set_user("agent7", "agent7-sip-pass");
    let registrar = pair.peer_of(HOTLINE);
    pair.command(PHONE, |e, now| {
        e.register(
            now,
            Registration::new(registrar, "agent7", "agent7-sip-pass"),
        )
    });
    pair.run_for(Duration::from_secs(1));
    pair.take_events(PHONE);

    let now = pair.now;
    let binding = pair
        .endpoint(HOTLINE)
        .registrar()
        .binding("agent7", now)
        .cloned()
        .expect("registered");
    let placed = pair.command(HOTLINE, |e, now| {
        e.call_place(
            now,
            OutgoingCall {
                target: binding.contact.clone(),
                peer: hotline_sip::Peer {
                    transport: binding.transport,
                    addr: binding.source,
                    connection: None,
                },
                from_user: "13800138000".into(),
                from_display: None,
                local_media: local_media(30000),
            },
        )
    });
    pair.run_for(Duration::from_millis(100));
    let incoming = pair
        .take_events(PHONE)
        .into_iter()
        .find_map(|e| match e {
            Event::IncomingCall {
                call,
                called,
                caller,
                ..
            } => Some((call, called, caller)),
            _ => None,
        })
        .expect("the phone is called");
    assert_eq!(incoming.1, "agent7");
    assert_eq!(incoming.2, "13800138000");
    pair.command(PHONE, |e, now| {
        e.call_answer(now, incoming.0, local_media(7000))
    });
    pair.run_for(Duration::from_millis(100));
    assert!(pair
        .take_events(HOTLINE)
        .iter()
        .any(|e| matches!(e, Event::OutgoingAnswered { call, .. } if *call == placed)));
    assert!(pair
        .take_events(PHONE)
        .iter()
        .any(|e| matches!(e, Event::CallConfirmed { call, .. } if *call == incoming.0)));
}
