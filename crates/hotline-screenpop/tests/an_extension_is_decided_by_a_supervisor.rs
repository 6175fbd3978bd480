//! A handler asks for more time (延期) with a reason; the order shows the
//! pending request and only a supervisor may decide it: one refusal, then,
//! asked again, an approval that moves the deadline on by the working days
//! asked for. A supervisor's urge (督办) is recorded on the order. The
//! handler's own attempt to approve is refused by the core.

mod common;

use axum::http::StatusCode;
use common::Harness;
use serde_json::json;

#[tokio::test]
async fn a_supervisor_refuses_then_approves_an_extension_and_urges() {
    let h = Harness::new().await;
    let agent = h.login("agent1").await;
    let (status, created) = h
        .post(
            &agent,
            "/api/orders",
            json!({
                "category": "water_outage", "address": "西长安街 1 号", "district": "西城区",
                "street": "西长安街街道", "summary": "Low pressure on every floor above the third"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let reference = created["order"]["reference"].as_str().unwrap().to_owned();
    let first_deadline = created["order"]["deadline"].as_i64().unwrap();
    let commands = format!("/api/orders/{reference}/commands");
    let water = h.login("handler_water").await;
    let supervisor = h.login("super1").await;

    let ask = json!({"command": "request_extension", "working_days": 3, "reason": "A pump must be ordered"});
    let (status, _) = h
        .post(&water, &commands, json!({"command": "accept"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, asked) = h.post(&water, &commands, ask.clone()).await;
    assert_eq!(status, StatusCode::OK, "{asked}");
    assert_eq!(asked["order"]["pending_extension"]["working_days"], 3);
    assert!(asked["may"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m != "decide_extension"));
    let (status, refused) = h
        .post(
            &water,
            &commands,
            json!({"command": "decide_extension", "approve": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["code"], "role_not_allowed");

    let (_, seen) = h
        .get(&supervisor, &format!("/api/orders/{reference}"))
        .await;
    assert!(
        seen["may"]
            .as_array()
            .unwrap()
            .contains(&json!("decide_extension")),
        "{seen}"
    );
    let (status, no) = h
        .post(
            &supervisor,
            &commands,
            json!({"command": "decide_extension", "approve": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{no}");
    assert_eq!(
        no["order"]["deadline"], first_deadline,
        "a refusal keeps the deadline"
    );
    assert_eq!(no["order"]["pending_extension"], serde_json::Value::Null);

    let (status, _) = h.post(&water, &commands, ask).await;
    assert_eq!(status, StatusCode::OK);
    let (status, yes) = h
        .post(
            &supervisor,
            &commands,
            json!({"command": "decide_extension", "approve": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{yes}");
    let new_deadline = yes["order"]["deadline"].as_i64().unwrap();
    assert!(new_deadline >= first_deadline + 3 * 86_400_000, "{yes}");

    let (status, urged) = h
        .post(
            &supervisor,
            &commands,
            json!({"command": "urge", "note": "Residents on the 6th floor have no water at all"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{urged}");
    let counters = &urged["order"]["counters"];
    assert_eq!(counters["extensions_requested"], 2, "{counters}");
    assert_eq!(counters["extensions_approved"], 1);
    assert_eq!(counters["extensions_refused"], 1);
    assert_eq!(counters["urges"], 1);
    let (_, detail) = h.get(&water, &format!("/api/orders/{reference}")).await;
    let kinds: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "created",
            "dispatched",
            "accepted",
            "extension_requested",
            "extension_decided",
            "extension_requested",
            "extension_decided",
            "urged"
        ]
    );
}
