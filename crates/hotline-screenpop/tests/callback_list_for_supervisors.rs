//! The callback list in the console: supervisors see the callbacks of
//! their departments' queues (all without a department), may cancel or
//! reprioritise those and no others; numbers are shown masked; agents
//! may not see it; bad input is named.

mod common;

use axum::http::StatusCode;
use common::Harness;
use hotline_store::{CallbackKind, NewCallback};
use hotline_types::{CallId, QueueId, Timestamp};
use serde_json::{json, Value};

fn request(number: &str, queue: &str) -> NewCallback {
    let now = hotline_types::Timestamp::from_system_time(std::time::SystemTime::now());
    NewCallback {
        call: CallId::new(),
        number: number.into(),
        queue: QueueId::from(queue),
        kind: CallbackKind::AfterHours,
        language: "zh".into(),
        priority: 0,
        requested_at: now,
        expires_at: Timestamp(now.as_millis() + 3_600_000),
        node: None,
    }
}

fn numbers(list: &Value) -> Vec<String> {
    let mut n: Vec<String> = list
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| c["number"].as_str().unwrap_or_default().to_owned())
        .collect();
    n.sort();
    n
}

#[tokio::test]
async fn supervisors_work_the_callbacks_of_their_departments() {
    let h = Harness::new().await;
    let housing = h
        .store
        .add_callback(&request("13800000001", "housing"))
        .await
        .unwrap();
    let transport = h
        .store
        .add_callback(&request("13800000002", "transport"))
        .await
        .unwrap();

    let all = h.login("super1").await;
    let (status, list) = h.get(&all, "/api/callbacks").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        numbers(&list),
        ["138****0001", "138****0002"],
        "masked, and in scope"
    );

    let housing_only = h.login("super_housing").await;
    let (status, list) = h.get(&housing_only, "/api/callbacks").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(numbers(&list), ["138****0001"], "{list}");
    let (status, _) = h
        .post(
            &housing_only,
            &format!("/api/callbacks/{}/cancel", housing.id),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Another department's callback is as if it did not exist.
    let (status, _) = h
        .post(
            &housing_only,
            &format!("/api/callbacks/{}/cancel", transport.id),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = h
        .post(
            &all,
            &format!("/api/callbacks/{}/priority", transport.id),
            json!({ "priority": 9 }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Bad input is named, not a panic.
    let (status, _) = h
        .post(
            &all,
            &format!("/api/callbacks/{}/priority", transport.id),
            json!({ "priority": 300 }),
        )
        .await;
    assert!(status.is_client_error(), "{status}");
    let (status, _) = h
        .post(&all, "/api/callbacks/not-a-uuid/cancel", json!({}))
        .await;
    assert!(status.is_client_error(), "{status}");
    let (status, _) = h
        .post(
            &all,
            &format!("/api/callbacks/{}/cancel", hotline_types::CallbackId::new()),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let agent = h.login("agent1").await;
    let (status, _) = h.get(&agent, "/api/callbacks").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
