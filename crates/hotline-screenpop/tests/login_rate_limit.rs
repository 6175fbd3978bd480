//! Login attempts are limited per source address and per login: past the
//! limit the answer is 429 with Retry-After, even for the right password.

mod common;

use axum::http::{header, Method, StatusCode};
use common::{config, Harness, PASSWORD};
use hotline_screenpop::ConsoleConfig;
use serde_json::json;

async fn harness() -> Harness {
    Harness::with_config(ConsoleConfig {
        login_attempts_per_minute: 5,
        ..config()
    })
    .await
}

async fn attempt(
    h: &Harness,
    login: &str,
    password: &str,
    peer: &str,
) -> (StatusCode, Option<String>) {
    attempt_forwarded(h, login, password, peer, None).await
}

/// An attempt whose request carries `X-Forwarded-For: forwarded_for`.
async fn attempt_forwarded(
    h: &Harness,
    login: &str,
    password: &str,
    peer: &str,
    forwarded_for: Option<&str>,
) -> (StatusCode, Option<String>) {
    let mut req = Harness::request(
        Method::POST,
        "/api/login",
        None,
        Some(json!({ "login": login, "password": password })),
    );
    if let Some(hops) = forwarded_for {
        req.headers_mut()
            .insert("x-forwarded-for", hops.parse().unwrap());
    }
    let (status, headers, _) = h.send_from(req, peer).await;
    let retry = headers
        .get(header::RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_owned());
    (status, retry)
}

#[tokio::test]
async fn one_address_guessing_many_logins_is_slowed_down() {
    let h = harness().await;
    let peer = "10.1.1.1:5000";
    for i in 0..5 {
        let (status, _) = attempt(&h, &format!("guess{i}"), "wrong password", peer).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, retry) = attempt(&h, "agent1", PASSWORD, peer).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = retry.expect("Retry-After").parse().unwrap();
    assert!((1..=12).contains(&retry), "about 60/5 s: {retry}");

    // Another address is not affected.
    let (status, _) = attempt(&h, "agent1", PASSWORD, "10.2.2.2:5000").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn one_login_guessed_from_many_addresses_is_slowed_down() {
    let h = harness().await;
    for i in 0..5 {
        let (status, _) =
            attempt(&h, "agent1", "wrong password", &format!("10.0.0.{i}:5000")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, retry) = attempt(&h, "Agent1", PASSWORD, "10.0.0.99:5000").await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "logins are counted case-blind"
    );
    assert!(retry.is_some());
    // Other users keep logging in from there.
    let (status, _) = attempt(&h, "agent2", PASSWORD, "10.0.0.99:5000").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_is_counted_on_its_own() {
    let h = Harness::with_config(ConsoleConfig {
        login_attempts_per_minute: 5,
        trusted_proxies: vec!["10.9.9.9".parse().unwrap()],
        ..config()
    })
    .await;
    let proxy = "10.9.9.9:443";
    for i in 0..5 {
        let (status, _) = attempt_forwarded(
            &h,
            &format!("guess{i}"),
            "wrong",
            proxy,
            Some("198.51.100.7"),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _) = attempt_forwarded(&h, "agent1", PASSWORD, proxy, Some("198.51.100.7")).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the guessing client is slowed down"
    );
    // Another citizen's desk behind the same proxy is not.
    let (status, _) = attempt_forwarded(&h, "agent1", PASSWORD, proxy, Some("198.51.100.8")).await;
    assert_eq!(status, StatusCode::OK);
    // The guesser cannot get round it by writing a header of its own: the
    // proxy appends the address it saw, and only that hop counts.
    let (status, _) = attempt_forwarded(
        &h,
        "agent2",
        PASSWORD,
        proxy,
        Some("203.0.113.1, 198.51.100.7"),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn an_untrusted_peer_cannot_pick_its_address() {
    // No trusted proxies (the default): X-Forwarded-For is ignored, so a
    // guesser that writes a new address each time is still one address.
    let h = harness().await;
    let peer = "10.1.1.1:5000";
    for i in 0..5 {
        let forged = format!("198.51.100.{i}");
        let (status, _) =
            attempt_forwarded(&h, &format!("guess{i}"), "wrong", peer, Some(&forged)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _) = attempt_forwarded(&h, "agent1", PASSWORD, peer, Some("198.51.100.200")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}
