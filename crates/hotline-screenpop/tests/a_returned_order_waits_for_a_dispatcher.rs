//! A department returns an order that is not theirs (退单) with a reason:
//! it leaves their inbox and waits at the hotline, where a dispatcher
//! re-dispatches it to the right department; the return is counted.

mod common;

use axum::http::StatusCode;
use common::Harness;
use serde_json::json;

#[tokio::test]
async fn a_returned_order_is_re_dispatched_by_a_dispatcher() {
    let h = Harness::new().await;
    let agent = h.login("agent1").await;
    let (status, created) = h
        .post(
            &agent,
            "/api/orders",
            json!({
                "category": "request", "address": "景山后街 2 号", "district": "东城区",
                "street": "景山街道", "summary": "A burst pipe floods the courtyard"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let reference = created["order"]["reference"].as_str().unwrap().to_owned();
    let commands = format!("/api/orders/{reference}/commands");

    let housing = h.login("handler_housing").await;
    let (status, returned) = h
        .post(
            &housing,
            &commands,
            json!({"command": "return", "reason": "A water main: the water authority's"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{returned}");
    assert_eq!(returned["order"]["phase"], "returned");
    let (_, inbox) = h.get(&housing, "/api/orders/inbox").await;
    assert!(inbox["orders"].as_array().unwrap().is_empty(), "{inbox}");

    let dispatcher = h.login("dispatcher1").await;
    let (status, waiting) = h.get(&dispatcher, "/api/orders/awaiting_dispatch").await;
    assert_eq!(status, StatusCode::OK, "{waiting}");
    assert_eq!(waiting[0]["reference"], reference.as_str());
    assert_eq!(waiting[0]["returns"], 1);
    assert_eq!(waiting[0]["class"], serde_json::Value::Null);
    let (_, detail) = h
        .get(&dispatcher, &format!("/api/orders/{reference}"))
        .await;
    assert!(
        detail["may"]
            .as_array()
            .unwrap()
            .contains(&json!("redispatch")),
        "{detail}"
    );
    // A returned order may also be merged as a duplicate (并单).
    assert!(
        detail["may"].as_array().unwrap().contains(&json!("merge")),
        "{detail}"
    );

    // An agent may not re-dispatch; the dispatcher may.
    let body = json!({"command": "redispatch", "department": "water"});
    let (status, refused) = h.post(&agent, &commands, body.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["code"], "role_not_allowed");
    let (status, moved) = h.post(&dispatcher, &commands, body).await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["order"]["department"], "water");

    let water = h.login("handler_water").await;
    let (_, inbox) = h.get(&water, "/api/orders/inbox").await;
    assert_eq!(inbox["orders"][0]["reference"], reference.as_str());
    let (_, waiting) = h.get(&dispatcher, "/api/orders/awaiting_dispatch").await;
    assert!(waiting.as_array().unwrap().is_empty(), "{waiting}");
}
