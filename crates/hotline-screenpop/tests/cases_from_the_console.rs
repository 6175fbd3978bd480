//! An agent opens a case during a call: the reference comes back (grouped
//! for reading aloud), the binary is asked to link it to the call, and the
//! citizen's record shows it among their open cases.

mod common;

use axum::http::StatusCode;
use common::{offer, Harness};
use hotline_types::CaseRef;
use serde_json::json;

#[tokio::test]
async fn a_case_opened_during_a_call_is_linked_and_shows_in_the_citizens_record() {
    let h = Harness::new().await;
    let citizen = h.citizen("Zhang Wei", "+8613900000003").await;
    let agent = h.login("agent1").await;
    let call = offer("agent1", "+8613900000003");
    let call_id = call.call;
    h.console.offer(call).await.unwrap();

    let (status, case) = h
        .post(
            &agent,
            "/api/cases",
            json!({
                "call": call_id, "citizen": citizen.0, "category": "complaint",
                "department": "Housing Bureau", "summary": "Noise from a building site at night"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let digits = case["case_ref"].as_str().unwrap();
    let case_ref = CaseRef::parse(digits).unwrap();
    assert_eq!(case["case_ref_display"], case_ref.to_string());
    let display = case["case_ref_display"].as_str().unwrap();
    assert_eq!(display.len(), 14);
    assert_eq!(display.matches('-').count(), 2);
    assert_eq!(case["status"], "accepted");

    let links = h.case_links_after(1).await;
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].call, call_id);
    assert_eq!(links[0].case_ref, case_ref);
    assert_eq!(links[0].agent, "agent1".into());

    let (status, record) = h.get(&agent, &format!("/api/citizens/{citizen}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(record["open_cases"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["case_ref"] == digits));

    let (status, _) = h
        .post(
            &agent,
            &format!("/api/cases/{display}/notes"),
            json!({ "text": "Caller will send photos" }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, detail) = h.get(&agent, &format!("/api/cases/{digits}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["call_id"], call_id.to_string());
    assert_eq!(detail["notes"][0]["body"], "Caller will send photos");
    assert_eq!(detail["notes"][0]["author"], "agent1");

    let (status, moved) = h
        .post(
            &agent,
            &format!("/api/cases/{digits}/status"),
            json!({ "status": "dispatched" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(moved["status"], "dispatched");
    let (status, refused) = h
        .post(
            &agent,
            &format!("/api/cases/{digits}/status"),
            json!({ "status": "closed" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");

    // Someone with no call about this citizen may not open the case.
    let other = h.login("agent2").await;
    let (status, _) = h.get(&other, &format!("/api/cases/{digits}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn bad_case_fields_are_named_and_unknown_calls_refused() {
    let h = Harness::new().await;
    let agent = h.login("agent1").await;
    let (status, body) = h
        .post(
            &agent,
            "/api/cases",
            json!({ "category": "gossip", "department": "Housing Bureau" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "category");
    let (status, body) = h
        .post(
            &agent,
            "/api/cases",
            json!({ "category": "complaint", "department": "Nowhere" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "department");
    let (status, body) = h
        .post(
            &agent,
            "/api/cases",
            json!({ "category": "complaint", "department": "Housing Bureau", "summary": "x".repeat(5000) }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "summary");
    assert!(!body["error"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .contains("insert"));
    let (status, _) = h
        .post(
            &agent,
            "/api/cases",
            json!({ "call": hotline_types::CallId::new(), "category": "complaint", "department": "Housing Bureau" }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(h.case_links_after(0).await.is_empty());
}
