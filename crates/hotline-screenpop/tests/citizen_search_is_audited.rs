//! An agent finds a citizen by name, phone or national ID only with a
//! reason; the search and each record shown are in the audit log, and the
//! results stay open to that agent for a while. An unknown caller gets a
//! record through the quick form, which joins the call's pop.

mod common;

use axum::http::StatusCode;
use common::{offer, Harness, SEARCH_REASON};
use serde_json::json;

#[tokio::test]
async fn a_search_needs_a_reason_and_leaves_a_trace() {
    let h = Harness::new().await;
    let citizen = h.citizen("Chen Jing", "+8613900000004").await;
    let agent = h.login("agent1").await;

    let (status, body) = h.get(&agent, "/api/citizens?q=chen").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "reason");

    // A reason of one's own is not one of the configured ones.
    let (status, body) = h
        .get(&agent, "/api/citizens?q=chen%20j&reason=just%20curious")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "reason");
    let reason = SEARCH_REASON.replace(' ', "%20");
    // Too short to search with.
    let (status, body) = h
        .get(&agent, &format!("/api/citizens?q=che&reason={reason}"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "search");

    let (status, found) = h
        .get(&agent, &format!("/api/citizens?q=chen%20j&reason={reason}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found[0]["citizen"]["id"], citizen.0);
    let (status, found) = h
        .get(
            &agent,
            &format!("/api/citizens?q=%2B86%20139%200000%200004&reason={reason}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found.as_array().unwrap().len(), 1);

    let (status, _) = h.get(&agent, &format!("/api/citizens/{citizen}")).await;
    assert_eq!(status, StatusCode::OK, "granted by the search");

    let admin = h.login("admin1").await;
    let (_, trail) = h
        .get(&admin, &format!("/api/audit?citizen={citizen}"))
        .await;
    let searches: Vec<_> = trail
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] == "agent1")
        .collect();
    assert_eq!(searches.len(), 3, "two search hits and one view: {trail:#}");
    assert!(searches.iter().all(|e| e["via_search"].is_string()));
    // The terms are kept masked with a keyed hash, never in clear.
    let terms: Vec<&str> = searches
        .iter()
        .filter_map(|e| e["via_search"].as_str())
        .collect();
    assert!(terms.iter().any(|t| t.starts_with("c***** #")), "{terms:?}");
    assert!(
        terms.iter().any(|t| t.starts_with("+86*******0004 #")),
        "{terms:?}"
    );
    assert!(
        !trail.to_string().contains("13900000004") && !trail.to_string().contains("chen j"),
        "{trail:#}"
    );
    assert!(searches.iter().any(|e| e["reason"] == SEARCH_REASON));
}

#[tokio::test]
async fn searches_are_limited_per_agent() {
    let h = Harness::new().await;
    h.citizen("Chen Jing", "+8613900000004").await;
    let agent = h.login("agent1").await;
    let reason = SEARCH_REASON.replace(' ', "%20");
    // Ten a minute by default; the eleventh waits.
    for _ in 0..10 {
        let (status, _) = h
            .get(&agent, &format!("/api/citizens?q=chen&reason={reason}"))
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, body) = h
        .get(&agent, &format!("/api/citizens?q=chen&reason={reason}"))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    // Another agent still searches.
    let other = h.login("agent2").await;
    let (status, _) = h
        .get(&other, &format!("/api/citizens?q=chen&reason={reason}"))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_quick_form_records_an_unknown_caller_for_the_call() {
    let h = Harness::new().await;
    let agent = h.login("agent1").await;
    let call = offer("agent1", "+8613900000005");
    let call_id = call.call;
    h.console.offer(call).await.unwrap();
    let (_, pop) = h
        .get(&agent, &format!("/api/calls/{call_id}/citizens"))
        .await;
    assert_eq!(pop["citizens"], json!([]));

    let (status, record) = h
        .post(
            &agent,
            "/api/citizens",
            json!({ "full_name": "Zhao Min", "phone": "+8613900000005", "preferred_language": "zh", "call": call_id }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{record}");
    let id = record["citizen"]["id"].as_i64().unwrap();
    let (_, pop) = h
        .get(&agent, &format!("/api/calls/{call_id}/citizens"))
        .await;
    assert_eq!(pop["citizens"][0]["citizen"]["id"], id);

    let (status, body) = h
        .post(
            &agent,
            "/api/citizens",
            json!({ "full_name": "X", "phone": "12ab" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "phone number");
}
