//! The endpoint registers itself with a registrar (here: another endpoint
//! running the hotline's own registrar) and answers its digest challenge:
//! the first REGISTER is challenged with 401, the second carries an
//! Authorization with qop=auth, nc and cnonce for the algorithm the registrar
//! prefers, and the binding is made. MD5 and SHA-256 both work.

mod support;

use std::time::Duration;

use hotline_sip::registrar::{Algorithm, RegistrarConfig};
use hotline_sip::{EndpointConfig, Event, Registration};
use support::pair::{Pair, Side};

const PHONE: Side = Side::A;
const REGISTRAR: Side = Side::B;

fn pair(algorithms: Vec<Algorithm>) -> Pair {
    let registrar = EndpointConfig {
        registrar: RegistrarConfig {
            algorithms,
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
    pair
}

fn authorization(pair: &Pair) -> Vec<Option<String>> {
    pair.requests_sent(PHONE, rsip::Method::Register)
        .iter()
        .map(|r| r.header("Authorization"))
        .collect()
}

#[test]
fn a_challenged_register_is_answered_with_the_preferred_algorithm() {
    for (offered, expected) in [
        (vec![Algorithm::Sha256, Algorithm::Md5], "SHA-256"),
        (vec![Algorithm::Md5, Algorithm::Sha256], "MD5"),
        (vec![Algorithm::Md5], "MD5"),
    ] {
        let mut pair = pair(offered);
        let registrar = pair.peer_of(REGISTRAR);
        let id = pair.command(PHONE, |e, now| {
            e.register(now, Registration::new(registrar, "alice", "s3cret"))
        });
        pair.run_for(Duration::from_secs(1));

        let sent = authorization(&pair);
        assert_eq!(sent.len(), 2, "one challenge, one answer: {sent:?}");
        assert!(
            sent[0].is_none(),
            "the first REGISTER carries no credentials"
        );
        let answer = sent[1].clone().unwrap_or_default();
        assert!(
            answer.contains(&format!("algorithm={expected}")),
            "{answer}"
        );
        assert!(answer.contains("qop=auth"), "{answer}");
        assert!(answer.contains("nc=00000001"), "{answer}");
        assert!(answer.contains("cnonce="), "{answer}");
        assert!(answer.contains("username=\"alice\""), "{answer}");

        assert_eq!(
            pair.take_events(PHONE),
            vec![Event::ClientRegistered {
                registration: id,
                expires: Duration::from_secs(3600)
            }]
        );
        assert!(pair.endpoint(PHONE).is_registered(id));
        let now = pair.now;
        let binding = pair
            .endpoint(REGISTRAR)
            .registrar()
            .binding("alice", now)
            .cloned()
            .expect("the registrar holds a binding");
        assert_eq!(binding.contact, "sip:alice@127.0.0.1:5070");
        assert!(matches!(
            pair.take_events(REGISTRAR).as_slice(),
            [Event::Registered { user, .. }] if user == "alice"
        ));
    }
}
