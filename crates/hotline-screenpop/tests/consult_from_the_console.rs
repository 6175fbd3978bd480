//! Attended transfer from the console: `POST /api/calls/{call}/consult`
//! names exactly one colleague, queue or configured destination of a call
//! offered to the agent; complete and return go to the binary as one
//! request each. A wrong body is a 422, someone else's call a 403.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

#[tokio::test]
async fn an_agent_consults_a_queue_then_completes() {
    let h = Harness::new().await;
    let agent = h.login("agent1").await;
    let call = offer("agent1", "+8613900000002");
    let id = call.call;
    h.console.offer(call).await.unwrap();

    let (status, body) = h
        .post(
            &agent,
            &format!("/api/calls/{id}/consult"),
            json!({ "queue": "transport" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["consulting"], "agent2");

    let (status, body) = h
        .post(
            &agent,
            &format!("/api/calls/{id}/consult"),
            json!({ "destination": "police" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["consulting"], "police");

    for end in ["complete", "return"] {
        let (status, body) = h
            .post(&agent, &format!("/api/calls/{id}/consult/{end}"), json!({}))
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{end}: {body}");
    }
}

#[tokio::test]
async fn a_consultation_names_exactly_one_configured_target() {
    let h = Harness::new().await;
    let agent = h.login("agent1").await;
    let call = offer("agent1", "+8613900000002");
    let id = call.call;
    h.console.offer(call).await.unwrap();
    let path = format!("/api/calls/{id}/consult");
    for (body, field) in [
        (json!({}), "body"),
        (json!({ "agent": "agent2", "queue": "housing" }), "body"),
        (json!({ "agent": "  " }), "body"),
        (json!({ "queue": "nowhere" }), "queue"),
        (json!({ "destination": "+8613800000000" }), "destination"),
    ] {
        let (status, answer) = h.post(&agent, &path, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert!(answer.to_string().contains(field), "{body}: {answer}");
    }
}

#[tokio::test]
async fn only_a_call_offered_to_you_can_be_consulted_about() {
    let h = Harness::new().await;
    let agent = h.login("agent2").await;
    let call = offer("agent1", "+8613900000002");
    let id = call.call;
    h.console.offer(call).await.unwrap();
    let (status, _) = h
        .post(
            &agent,
            &format!("/api/calls/{id}/consult"),
            json!({ "agent": "agent3" }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = h
        .post(
            &agent,
            &format!("/api/calls/{id}/consult/complete"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
