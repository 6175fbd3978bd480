//! REGISTER with digest authentication through the endpoint: a 401 offering
//! SHA-256 and MD5, success with either, 403 for a wrong password, replays
//! refused, a user blocked from one address after repeated failures (REGISTER
//! only, trusted sources never), un-REGISTER.

mod support;

use std::time::Duration;

use hotline_sip::Event;
use md5::Md5;
use sha2::{Digest, Sha256};
use support::*;

fn hash(algorithm: &str, input: &str) -> String {
    match algorithm {
        "MD5" => hex::encode(Md5::digest(input.as_bytes())),
        _ => hex::encode(Sha256::digest(input.as_bytes())),
    }
}

fn param(header: &str, name: &str) -> String {
    header
        .split(',')
        .find_map(|p| {
            let p = p.trim().trim_start_matches("Digest ").trim();
            let (k, v) = p.split_once('=')?;
            (k.trim() == name).then(|| v.trim().trim_matches('"').to_owned())
        })
        .unwrap_or_default()
}

/// An agent's phone (user alice) registering from PHONE_ADDR.
struct Agent {
    phone: Phone,
    n: u32,
}

impl Agent {
    fn new() -> Self {
        let mut phone = Phone::caller(PHONE_ADDR, "alice", "reg-1");
        phone.user = "alice".into();
        phone.target = "sip:127.0.0.1:5060".into();
        phone.to_uri = "<sip:alice@127.0.0.1:5060>".into();
        Self { phone, n: 0 }
    }

    fn register(&mut self, auth: Option<String>, expires: &str) -> Vec<u8> {
        self.n += 1;
        let branch = self.phone.branch();
        let mut extra = vec![("Expires", expires.to_owned())];
        if let Some(a) = auth {
            extra.push(("Authorization", a));
        }
        let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.phone.build(
            "REGISTER",
            "sip:127.0.0.1:5060",
            self.n,
            &branch,
            &self.phone.to_uri,
            &extra,
            "",
        )
    }
}

fn authorization(challenge: &str, algorithm: &str, password: &str, nc: u32) -> String {
    let nonce = param(challenge, "nonce");
    let realm = param(challenge, "realm");
    let uri = "sip:127.0.0.1:5060";
    let nc = format!("{nc:08x}");
    let ha1 = hash(algorithm, &format!("alice:{realm}:{password}"));
    let ha2 = hash(algorithm, &format!("REGISTER:{uri}"));
    let response = hash(algorithm, &format!("{ha1}:{nonce}:{nc}:c0ffee:auth:{ha2}"));
    format!("Digest username=\"alice\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", response=\"{response}\", algorithm={algorithm}, qop=auth, nc={nc}, cnonce=\"c0ffee\"")
}

fn harness() -> Harness {
    let mut h = Harness::new();
    h.endpoint.registrar_mut().set_user("alice", "s3cret");
    h
}

fn challenge(h: &mut Harness, agent: &mut Agent) -> Vec<String> {
    h.deliver(agent.phone.peer, &agent.register(None, "300"));
    let sent = h.take_one();
    assert_eq!(sent.status(), Some(401));
    sent.headers_named("WWW-Authenticate")
}

#[test]
fn challenge_offers_sha256_and_md5_and_both_succeed() {
    for algorithm in ["SHA-256", "MD5"] {
        let mut h = harness();
        let mut agent = Agent::new();
        let challenges = challenge(&mut h, &mut agent);
        assert_eq!(challenges.len(), 2, "{challenges:?}");
        assert_eq!(param(&challenges[0], "algorithm"), "SHA-256");
        assert_eq!(param(&challenges[1], "algorithm"), "MD5");
        let chosen = challenges
            .iter()
            .find(|c| param(c, "algorithm") == algorithm)
            .unwrap();
        let auth = authorization(chosen, algorithm, "s3cret", 1);
        h.deliver(agent.phone.peer, &agent.register(Some(auth), "300"));
        let ok = h.take_one();
        assert_eq!(ok.status(), Some(200), "{algorithm}");
        assert!(ok.header("Contact").unwrap().contains("expires=300"));
        let events = h.take_events();
        assert!(
            matches!(events.as_slice(), [Event::Registered { user, expires, .. }] if user == "alice" && *expires == Duration::from_secs(300)),
            "{events:?}"
        );
        assert!(h.endpoint.registrar().binding("alice", h.now).is_some());
    }
}

#[test]
fn wrong_password_gets_403_and_replay_is_refused() {
    let mut h = harness();
    let mut agent = Agent::new();
    let challenges = challenge(&mut h, &mut agent);
    let wrong = authorization(&challenges[1], "MD5", "guess", 1);
    h.deliver(agent.phone.peer, &agent.register(Some(wrong), "300"));
    assert_eq!(h.take_statuses(), vec![403]);
    assert!(
        matches!(h.take_events().as_slice(), [Event::AuthFailed { user, .. }] if user == "alice")
    );
    assert_eq!(h.endpoint.counters().auth_failures, 1);

    let good = authorization(&challenges[1], "MD5", "s3cret", 2);
    h.deliver(agent.phone.peer, &agent.register(Some(good.clone()), "300"));
    assert_eq!(h.take_statuses(), vec![200]);
    // An eavesdropper replays the same Authorization in a new request.
    h.deliver(agent.phone.peer, &agent.register(Some(good), "300"));
    assert_eq!(h.take_statuses(), vec![403]);
}

#[test]
fn repeated_failures_block_that_user_from_that_address_for_register_only() {
    let mut h = harness();
    let mut agent = Agent::new();
    let challenges = challenge(&mut h, &mut agent);
    for nc in 1..=5 {
        let wrong = authorization(&challenges[0], "SHA-256", "guess", nc);
        h.deliver(agent.phone.peer, &agent.register(Some(wrong), "300"));
        assert_eq!(h.take_statuses(), vec![403]);
    }
    // Blocked: even the right password is refused now.
    let good = authorization(&challenges[0], "SHA-256", "s3cret", 6);
    h.deliver(agent.phone.peer, &agent.register(Some(good), "300"));
    assert_eq!(h.take_statuses(), vec![403]);
    assert!(h.endpoint.registrar().binding("alice", h.now).is_none());
    // Calls from that address are not: a spoofed REGISTER flood must not
    // take a trunk's (or a NAT's) calls down.
    let mut caller = Phone::caller(PHONE_ADDR, "12345", "call-from-blocked-address");
    h.deliver(caller.peer, &caller.invite().bytes);
    assert_eq!(h.take_statuses(), vec![100]);
    // Nor OPTIONS pings.
    let mut pinger = Phone::caller(PHONE_ADDR, "12345", "ping-from-blocked-address");
    let branch = pinger.branch();
    let to = pinger.to_uri.clone();
    let options = pinger.build(
        "OPTIONS",
        "sip:12345@127.0.0.1:5060",
        1,
        &branch,
        &to,
        &[],
        "",
    );
    h.deliver(pinger.peer, &options);
    assert_eq!(h.take_statuses(), vec![200]);
}

#[test]
fn a_trusted_source_is_never_blocked() {
    let mut h = Harness::with_config(hotline_sip::EndpointConfig {
        trusted_sources: vec![addr(PHONE_ADDR).ip()],
        ..hotline_sip::EndpointConfig::default()
    });
    h.endpoint.registrar_mut().set_user("alice", "s3cret");
    let mut agent = Agent::new();
    let challenges = challenge(&mut h, &mut agent);
    for nc in 1..=12 {
        let wrong = authorization(&challenges[0], "SHA-256", "guess", nc);
        h.deliver(agent.phone.peer, &agent.register(Some(wrong), "300"));
        assert_eq!(h.take_statuses(), vec![403]);
    }
    let good = authorization(&challenges[0], "SHA-256", "s3cret", 13);
    h.deliver(agent.phone.peer, &agent.register(Some(good), "300"));
    assert_eq!(h.take_statuses(), vec![200]);
}

#[test]
fn unregister_removes_the_binding() {
    let mut h = harness();
    let mut agent = Agent::new();
    let challenges = challenge(&mut h, &mut agent);
    let auth = authorization(&challenges[0], "SHA-256", "s3cret", 1);
    h.deliver(agent.phone.peer, &agent.register(Some(auth), "300"));
    assert_eq!(h.take_statuses(), vec![200]);
    h.take_events();
    let auth = authorization(&challenges[0], "SHA-256", "s3cret", 2);
    h.deliver(agent.phone.peer, &agent.register(Some(auth), "0"));
    assert_eq!(h.take_statuses(), vec![200]);
    assert_eq!(
        h.take_events(),
        vec![Event::Unregistered {
            user: "alice".into()
        }]
    );
    assert!(h.endpoint.registrar().binding("alice", h.now).is_none());
}

/// Phones that reboot together are challenged in the same second: each
/// challenge has a nonce of its own, so each phone's first nonce-count (1)
/// is accepted (found when two SIPp phones registered back to back).
#[test]
fn challenges_in_the_same_second_get_their_own_nonces() {
    let mut h = harness();
    let mut first = Agent::new();
    let mut second = Agent::new();
    second.phone.call_id = "reg-2".into();
    let first_challenges = challenge(&mut h, &mut first);
    let second_challenges = challenge(&mut h, &mut second);
    assert_ne!(
        param(&first_challenges[1], "nonce"),
        param(&second_challenges[1], "nonce")
    );
    for (agent, challenges) in [
        (&mut first, &first_challenges),
        (&mut second, &second_challenges),
    ] {
        let auth = authorization(&challenges[1], "MD5", "s3cret", 1);
        h.deliver(agent.phone.peer, &agent.register(Some(auth), "300"));
        assert_eq!(h.take_statuses(), vec![200]);
    }
}
