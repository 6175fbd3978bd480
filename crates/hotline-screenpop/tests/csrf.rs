//! State-changing requests need the session's CSRF token and, when the
//! browser says where it comes from, the console's own Origin.

mod common;

use axum::http::{header, Method, StatusCode};
use common::{Browser, Harness, HOST};
use serde_json::json;

fn available(
    browser: &Browser,
    token: Option<&str>,
    origin: Option<&str>,
) -> axum::http::Request<axum::body::Body> {
    let mut b = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/agent/state")
        .header(header::HOST, HOST)
        .header(header::COOKIE, &browser.cookie)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        b = b.header("x-csrf-token", t);
    }
    if let Some(o) = origin {
        b = b.header(header::ORIGIN, o);
    }
    b.body(json!({ "state": "available" }).to_string().into())
        .unwrap()
}

#[tokio::test]
async fn a_change_without_the_right_token_is_refused() {
    let h = Harness::new().await;
    let agent = h.login("agent1").await;
    let (status, _) = h.post(&agent, "/api/agent/login", json!({})).await;
    assert_eq!(status, StatusCode::OK);

    let (status, _, body) = h.send(available(&agent, None, None)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _, _) = h
        .send(available(&agent, Some("0".repeat(64).as_str()), None))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Another session's token is no good either.
    let other = h.login("agent2").await;
    let (status, _, _) = h.send(available(&agent, Some(&other.csrf), None)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, _, body) = h.send(available(&agent, Some(&agent.csrf), None)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "available");
}

#[tokio::test]
async fn a_change_from_another_origin_is_refused_even_with_the_token() {
    let h = Harness::new().await;
    let agent = h.login("agent1").await;
    h.post(&agent, "/api/agent/login", json!({})).await;

    let evil = available(&agent, Some(&agent.csrf), Some("https://evil.example"));
    let (status, _, body) = h.send(evil).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    let own = available(&agent, Some(&agent.csrf), Some(&format!("https://{HOST}")));
    let (status, _, _) = h.send(own).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_websocket_from_another_origin_is_refused() {
    let h = Harness::new().await;
    let agent = h.login("agent1").await;
    let upgrade = axum::http::Request::builder()
        .uri("/api/agent/ws")
        .header(header::HOST, HOST)
        .header(header::COOKIE, &agent.cookie)
        .header(header::ORIGIN, "https://evil.example")
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, "websocket")
        .header(header::SEC_WEBSOCKET_VERSION, "13")
        .header(header::SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZSBub25jZQ==")
        .body(axum::body::Body::empty())
        .unwrap();
    let (status, _, _) = h.send(upgrade).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_login_posted_from_another_origin_is_refused() {
    let h = Harness::new().await;
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/login")
        .header(header::HOST, HOST)
        .header(header::ORIGIN, "https://evil.example")
        .header(header::CONTENT_TYPE, "application/json")
        .body(
            json!({ "login": "agent1", "password": common::PASSWORD })
                .to_string()
                .into(),
        )
        .unwrap();
    let (status, headers, _) = h.send(req).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(headers.get(header::SET_COOKIE).is_none());
}
