//! Every department reads every order; only the handlers of the department
//! that handles it change it, and only they (and the hotline's staff) see
//! who the citizen is. The handling department accepts, replies and closes;
//! another department's handler is refused each step, reads the order with
//! its citizen masked, and nothing they tried is in the history.

mod common;

use axum::http::StatusCode;
use common::Harness;
use serde_json::{json, Value};

async fn order_for_housing(h: &Harness) -> (String, i64) {
    let citizen = h.citizen("Li Na", "+8613900000005").await;
    let supervisor = h.login("super1").await;
    let (status, created) = h
        .post(
            &supervisor,
            "/api/orders",
            json!({
                "citizen": citizen.0, "category": "request", "address": "东华门大街 8 号",
                "district": "东城区", "street": "东华门街道",
                "summary": "The stairwell light has been broken for a week"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["order"]["department"], "housing");
    let reference = created["order"]["reference"].as_str().unwrap().to_owned();
    (reference, citizen.0)
}

fn kinds(detail: &Value) -> Vec<String> {
    detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn another_departments_handler_reads_without_the_citizen_and_changes_nothing() {
    let h = Harness::new().await;
    let (reference, citizen) = order_for_housing(&h).await;
    let path = format!("/api/orders/{reference}");
    let commands = format!("{path}/commands");

    let water = h.login("handler_water").await;
    let (status, seen) = h.get(&water, &path).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["personal_masked"], true);
    assert_eq!(seen["order"]["citizen"], Value::Null);
    assert_eq!(seen["history"][0]["citizen"], Value::Null, "{seen}");
    assert!(seen["may"].as_array().unwrap().is_empty(), "{seen}");
    for body in [
        json!({"command": "accept"}),
        json!({"command": "return", "reason": "not ours"}),
        json!({"command": "add_note", "text": "looked at it"}),
    ] {
        let (status, refused) = h.post(&water, &commands, body).await;
        assert_eq!(status, StatusCode::CONFLICT, "{refused}");
        assert_eq!(refused["code"], "not_your_department", "{refused}");
    }

    let housing = h.login("handler_housing").await;
    let (_, own) = h.get(&housing, &path).await;
    assert_eq!(own["personal_masked"], false);
    assert!(own["order"]["citizen"].as_i64().is_some(), "{own}");
    for body in [
        json!({"command": "accept"}),
        json!({"command": "add_note", "text": "Electrician booked for Thursday"}),
        json!({"command": "reply", "text": "The light was replaced on Thursday."}),
        json!({"command": "close"}),
    ] {
        let (status, done) = h.post(&housing, &commands, body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}: {done}");
    }
    let (_, after) = h.get(&water, &path).await;
    assert_eq!(after["order"]["phase"], "closed");
    assert_eq!(
        kinds(&after),
        [
            "created",
            "dispatched",
            "accepted",
            "note_added",
            "replied",
            "closed",
            "follow_up_due"
        ]
    );
    assert!(after["history"]
        .as_array()
        .unwrap()
        .iter()
        .skip(2)
        .all(|e| e["by"] == "handler_housing"));

    // Each opening of the order is in the audit log, with who and why.
    let admin = h.login("admin1").await;
    let (status, audit) = h
        .get(&admin, &format!("/api/audit?citizen={citizen}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let views: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "view_work_order" && e["actor"] == "handler_water")
        .collect();
    assert_eq!(views.len(), 2, "{audit}");
    assert!(views[0]["reason"].as_str().unwrap().contains("water"));
}
