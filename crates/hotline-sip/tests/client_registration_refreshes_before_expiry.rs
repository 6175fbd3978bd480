//! A registration is refreshed before the binding expires, for as long as
//! it lives: the registrar grants 120 s, the endpoint sends the refresh
//! with the nonce it already has (next nonce-count) well before the end,
//! and when the registrar's nonce grows stale (after 300 s) the stale
//! challenge is answered at once. Checked every second for twenty minutes
//! of simulated time: the binding never lapses, even with a refresh lost.

mod support;

use std::time::Duration;

use hotline_sip::registrar::RegistrarConfig;
use hotline_sip::{EndpointConfig, Event, Registration};
use support::pair::{Pair, Side};

const PHONE: Side = Side::A;
const REGISTRAR: Side = Side::B;

#[test]
fn the_binding_never_lapses_while_registered() {
    let registrar = EndpointConfig {
        registrar: RegistrarConfig {
            max_expires: Duration::from_secs(120),
            ..RegistrarConfig::default()
        },
        ..EndpointConfig::default()
    };
    let mut pair = Pair::new(
        EndpointConfig::default(),
        "127.0.0.1:5070",
        registrar,
        "127.0.0.1:5060",
    );
    pair.endpoint(REGISTRAR)
        .registrar_mut()
        .set_user("alice", "s3cret");
    // The first transmission of the fourth REGISTER is lost on the way.
    let mut registers = 0;
    pair.lose_when(move |side, sent| {
        if side == PHONE && sent.method() == Some(rsip::Method::Register) {
            registers += 1;
            return registers == 4;
        }
        false
    });
    let registrar = pair.peer_of(REGISTRAR);
    let id = pair.command(PHONE, |e, now| {
        e.register(now, Registration::new(registrar, "alice", "s3cret"))
    });
    pair.run_for(Duration::from_secs(1));
    for second in 1..1200 {
        let now = pair.now;
        assert!(
            pair.endpoint(REGISTRAR)
                .registrar()
                .binding("alice", now)
                .is_some(),
            "the binding lapsed at {second} s"
        );
        assert!(pair.endpoint(PHONE).is_registered(id));
        pair.run_for(Duration::from_secs(1));
    }

    let events = pair.take_events(PHONE);
    assert!(
        events.iter().all(|e| matches!(
            e,
            Event::ClientRegistered { registration, expires }
                if *registration == id && *expires == Duration::from_secs(120)
        )),
        "{events:?}"
    );
    // One registration, then a refresh every 80 s (120 s less a 40 s
    // margin) timed from the previous answer: 14 within twenty minutes.
    assert_eq!(events.len(), 1 + 14, "{events:?}");

    let authorizations: Vec<String> = pair
        .requests_sent(PHONE, rsip::Method::Register)
        .iter()
        .filter_map(|r| r.header("Authorization"))
        .collect();
    assert!(
        authorizations.iter().any(|a| a.contains("nc=00000002")),
        "refreshes reuse the nonce with the next count: {authorizations:?}"
    );
    let stale = pair
        .log
        .iter()
        .filter(|(side, sent)| {
            *side == REGISTRAR
                && sent.status() == Some(401)
                && sent
                    .header("WWW-Authenticate")
                    .is_some_and(|c| c.contains("stale=true"))
        })
        .count();
    assert!(
        stale >= 1,
        "the nonce went stale at least once and was renewed"
    );
}
