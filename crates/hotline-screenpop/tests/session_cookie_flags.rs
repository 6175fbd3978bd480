//! The session cookie is HttpOnly, SameSite=Strict, Secure (unless
//! configured off) and random; a wrong password and an unknown user get the
//! same answer; logout and idle expiry end the session.

mod common;

use std::time::Duration;

use axum::http::{header, StatusCode};
use common::{config, Harness, PASSWORD};
use hotline_screenpop::{ConsoleConfig, SESSION_COOKIE};
use serde_json::json;

#[tokio::test]
async fn the_session_cookie_is_http_only_strict_secure_and_random() {
    let h = Harness::new().await;
    let (status, headers, body) = h.try_login("agent1", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let cookie = headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    let attributes: Vec<&str> = cookie.split("; ").collect();
    let (name, value) = attributes[0].split_once('=').unwrap();
    assert_eq!(name, SESSION_COOKIE);
    assert_eq!(value.len(), 64, "256 bits in hex");
    assert!(value.chars().all(|c| c.is_ascii_hexdigit()));
    for flag in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(attributes.contains(&flag), "{flag} in {cookie}");
    }
    assert_eq!(body["user"]["login"], "agent1");
    assert_eq!(body["user"]["role"], "agent");
    let csrf = body["csrf_token"].as_str().unwrap();
    assert_eq!(csrf.len(), 64);
    assert_ne!(csrf, value);

    let (_, again, _) = h.try_login("agent1", PASSWORD).await;
    let second = again.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert_ne!(second, cookie, "every login gets a fresh id");
}

#[tokio::test]
async fn plain_http_development_drops_only_the_secure_flag() {
    let h = Harness::with_config(ConsoleConfig {
        secure_cookies: false,
        ..config()
    })
    .await;
    let (_, headers, _) = h.try_login("agent1", PASSWORD).await;
    let cookie = headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(!cookie.contains("Secure"));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
}

#[tokio::test]
async fn unknown_user_and_wrong_password_look_the_same() {
    let h = Harness::new().await;
    let (s1, h1, b1) = h.try_login("agent1", "not the password").await;
    let (s2, h2, b2) = h.try_login("nobody", "not the password").await;
    assert_eq!(s1, StatusCode::UNAUTHORIZED);
    assert_eq!((s1, &b1), (s2, &b2));
    assert!(h1.get(header::SET_COOKIE).is_none() && h2.get(header::SET_COOKIE).is_none());
}

#[tokio::test]
async fn logout_ends_the_session_and_clears_the_cookie() {
    let h = Harness::new().await;
    let agent = h.login("agent1").await;
    let (status, me) = h.get(&agent, "/api/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["csrf_token"], agent.csrf.as_str());

    let (status, headers, _) = h
        .send(Harness::request(
            axum::http::Method::POST,
            "/api/logout",
            Some(&agent),
            Some(json!({})),
        ))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let cleared = headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(cleared.contains("Max-Age=0"));
    let (status, _) = h.get(&agent, "/api/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_idle_session_expires() {
    let h = Harness::with_config(ConsoleConfig {
        session_idle: Duration::from_millis(300),
        ..config()
    })
    .await;
    let agent = h.login("agent1").await;
    let (status, _) = h.get(&agent, "/api/me").await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (status, _) = h.get(&agent, "/api/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
