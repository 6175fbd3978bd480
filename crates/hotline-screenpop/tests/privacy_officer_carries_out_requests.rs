//! The privacy officer's API: find a citizen under a request, read who saw
//! the record, export it as an archive, correct, restrict and erase it,
//! each with a receipt; an erasure takes the citizen out of the agents'
//! grants at once. Agents record consents on the citizen's word, audited
//! with the call. Nobody else reaches these routes. And least access: a
//! department's supervisor reads another department's citizen only with a
//! reason, audited as a cross-department read.

mod common;

use axum::http::{header, Method, StatusCode};
use common::{offer, Harness, SEARCH_REASON};
use serde_json::json;

#[tokio::test]
async fn privacy_officer_carries_out_requests() {
    let h = Harness::new().await;
    let citizen = h.citizen("Chen Jing", "+8613900000004").await;
    let agent = h.login("agent1").await;

    // The citizen calls; the agent records their consent on their word.
    let call = offer("agent1", "+8613900000004");
    let call_id = call.call;
    h.console.offer(call).await.unwrap();
    let (status, body) = h
        .post(
            &agent,
            &format!("/api/citizens/{citizen}/consents"),
            json!({ "purpose": "follow_up", "granted": false, "call": call_id }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = h
        .post(
            &agent,
            &format!("/api/citizens/{citizen}/consents"),
            json!({ "purpose": "marketing", "granted": true }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "purpose");
    let reason = SEARCH_REASON.replace(' ', "%20");
    let (status, _) = h
        .get(
            &agent,
            &format!("/api/citizens?q=chen%20jing&reason={reason}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Only the officer (and admins) reach the privacy API.
    let (status, _) = h
        .get(&agent, "/api/privacy/citizens?q=chen&request=DPR-1")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let officer = h.login("privacy1").await;
    let (status, _) = h.get(&officer, "/api/citizens/1").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the officer takes no calls");
    let (status, body) = h
        .get(&officer, "/api/privacy/citizens?q=chen&request=")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "request");

    let (status, found) = h
        .get(
            &officer,
            "/api/privacy/citizens?q=chen%20jing&request=DPR-1",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found[0]["citizen"]["id"], citizen.0);
    let (status, view) = h
        .get(
            &officer,
            &format!("/api/privacy/citizens/{citizen}?request=DPR-1"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let consent = &view["record"]["citizen"]["consents"][0];
    assert_eq!(consent["what"], "follow_up");
    assert_eq!(consent["granted"], 0);
    assert_eq!(consent["actor"], "agent1");
    assert_eq!(consent["via_call"], call_id.to_string());
    let log = view["access_log"].as_array().unwrap();
    assert!(
        log.iter().any(|e| e["actor"] == "agent1"
            && e["action"] == "record_consent"
            && e["via_call"] == call_id.to_string()),
        "who changed the consent, on which call: {log:#?}"
    );
    assert!(
        log.iter()
            .any(|e| e["actor"] == "agent1" && e["action"] == "search"),
        "who saw the record: {log:#?}"
    );

    // Access: the archive.
    let (status, headers, bytes) = h
        .send_raw(Harness::request(
            Method::GET,
            &format!("/api/privacy/citizens/{citizen}/export?request=DPR-1"),
            Some(&officer),
            None,
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/x-tar");
    let mut archive = tar::Archive::new(bytes.as_slice());
    let names: Vec<String> = archive
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect();
    assert_eq!(names, ["citizen.json"]);

    // Rectification and restriction, with receipts.
    let (status, receipt) = h
        .post(
            &officer,
            &format!("/api/privacy/citizens/{citizen}/rectify"),
            json!({ "request": "DPR-2", "full_name": "Chen Jingjing" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{receipt}");
    assert_eq!(receipt["kind"], "rectification");
    assert_eq!(receipt["details"]["fields_changed"], json!(["full_name"]));
    let (status, receipt) = h
        .post(
            &officer,
            &format!("/api/privacy/citizens/{citizen}/restrict"),
            json!({ "request": "DPR-3", "restricted": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{receipt}");
    let (_, record) = h.get(&agent, &format!("/api/citizens/{citizen}")).await;
    assert!(record["citizen"]["restricted_at_ms"].is_i64(), "{record}");

    // Erasure: the receipt, and the agent's grant is gone at once.
    let (status, receipt) = h
        .post(
            &officer,
            &format!("/api/privacy/citizens/{citizen}/erase"),
            json!({ "request": "DPR-4" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{receipt}");
    assert_eq!(receipt["kind"], "erasure");
    assert_eq!(receipt["officer"], "privacy1");
    assert_eq!(receipt["request_ref"], "DPR-4");
    assert_eq!(receipt["details"]["removed"]["phones"], 1);
    assert_eq!(receipt["details"]["screen_pops_forgotten"], 1);
    assert!(!receipt.to_string().contains("Chen"), "{receipt}");
    let (status, _) = h.get(&agent, &format!("/api/citizens/{citizen}")).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the search's grant is forgotten"
    );
    let (status, _) = h
        .get(
            &officer,
            &format!("/api/privacy/citizens/{citizen}?request=DPR-5"),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, receipts) = h
        .get(
            &officer,
            &format!("/api/privacy/receipts?citizen={citizen}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let kinds: Vec<&str> = receipts
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["erasure", "restriction", "rectification", "access"]);
}

#[tokio::test]
async fn supervisors_read_other_departments_only_with_a_reason() {
    let h = Harness::new().await;
    let citizen = h.citizen("Wu Lei", "+8613900000009").await;
    // Their business is with transport: a call of theirs waited there.
    h.store
        .append_events(&common::answered_call("transport", "agent2", 60_000, 5_000))
        .await
        .unwrap();
    let housing = h.login("super_housing").await;
    let (status, body) = h.get(&housing, &format!("/api/citizens/{citizen}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = h
        .get(
            &housing,
            &format!("/api/citizens/{citizen}?reason=complaint%20about%20both%20bureaus"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // A supervisor of the whole centre reads it as before.
    let whole = h.login("super1").await;
    let (status, _) = h.get(&whole, &format!("/api/citizens/{citizen}")).await;
    assert_eq!(status, StatusCode::OK);
    let officer = h.login("privacy1").await;
    let (_, view) = h
        .get(
            &officer,
            &format!("/api/privacy/citizens/{citizen}?request=DPR-9"),
        )
        .await;
    assert!(
        view["access_log"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["actor"] == "super_housing"
                && e["reason"] == "cross-department read: complaint about both bureaus"),
        "{view:#}"
    );
}

#[tokio::test]
async fn an_erasure_made_elsewhere_takes_the_agents_grants_too() {
    let h = Harness::new().await;
    let citizen = h.citizen("Zhou Min", "+8613900000007").await;
    let agent = h.login("agent1").await;
    let reason = SEARCH_REASON.replace(' ', "%20");
    let (status, _) = h
        .get(
            &agent,
            &format!("/api/citizens?q=zhou%20min&reason={reason}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // The first check only notes where the erasures stand.
    assert_eq!(h.console.forget_erased().await.unwrap(), 0);

    // `hotline privacy erase` (or another node) erases them in the store.
    let files = tempfile::tempdir().unwrap();
    let officer = hotline_store::AuditContext {
        actor: "privacy1".into(),
        access: hotline_store::Access::Administration,
        reason: "data-protection request DPR-8".into(),
        at: common::now(),
    };
    h.store
        .erase_citizen_everywhere(
            &officer,
            citizen,
            "DPR-8",
            &hotline_store::DataFiles::in_data_dir(files.path()),
        )
        .await
        .unwrap();
    // Still granted here: the record is gone, the grant not yet.
    let (status, _) = h.get(&agent, &format!("/api/citizens/{citizen}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    assert_eq!(h.console.forget_erased().await.unwrap(), 1);
    let (status, _) = h.get(&agent, &format!("/api/citizens/{citizen}")).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the search's grant is forgotten"
    );
    assert_eq!(h.console.forget_erased().await.unwrap(), 0, "once only");
}
