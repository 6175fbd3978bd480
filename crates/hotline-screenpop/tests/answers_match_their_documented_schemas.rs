//! Real answers of a few routes, successes and errors, validate against
//! the schema the OpenAPI document gives for their status: the document
//! generated from the handlers' types describes what they send.

mod common;

use axum::http::{Method, StatusCode};
use common::Harness;
use serde_json::{json, Value};

/// The errors of `body` against the document's schema for `status` of
/// `method path` (its `$ref`s resolved in the document's components).
fn mismatches(
    doc: &Value,
    method: &str,
    path: &str,
    status: StatusCode,
    body: &Value,
) -> Vec<String> {
    let answer = &doc["paths"][path][method]["responses"][status.as_str()];
    assert!(
        answer.is_object(),
        "{method} {path} does not document {status}"
    );
    let mut schema = answer["content"]["application/json"]["schema"].clone();
    assert!(
        schema.is_object(),
        "{method} {path} {status} has no JSON schema"
    );
    schema["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    schema["components"] = doc["components"].clone();
    let validator = jsonschema::validator_for(&schema).expect("the document's schema compiles");
    validator
        .iter_errors(body)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

#[tokio::test]
async fn answers_of_real_routes_validate_against_their_documented_schemas() {
    let h = Harness::new().await;
    let doc = h.console.openapi();
    let agent = h.login("agent1").await;
    let supervisor = h.login("super1").await;
    let admin = h.login("admin1").await;

    let mut checked = 0;
    let mut check = |method: &str, path: &str, status: StatusCode, body: &Value| {
        let errors = mismatches(&doc, method, path, status, body);
        assert!(
            errors.is_empty(),
            "{method} {path} {status}: {errors:?}\n{body}"
        );
        checked += 1;
    };

    let (status, me) = h.get(&agent, "/api/me").await;
    assert_eq!(status, StatusCode::OK);
    check("get", "/api/me", status, &me);

    let (status, config) = h.get(&agent, "/api/config").await;
    assert_eq!(status, StatusCode::OK);
    check("get", "/api/config", status, &config);

    let (status, users) = h.get(&admin, "/api/admin/users").await;
    assert_eq!(status, StatusCode::OK);
    check("get", "/api/admin/users", status, &users);

    let (status, board) = h.get(&supervisor, "/api/wallboard").await;
    assert_eq!(status, StatusCode::OK);
    check("get", "/api/wallboard", status, &board);

    let (status, report) = h.get(&supervisor, "/api/reports/queues").await;
    assert_eq!(status, StatusCode::OK);
    check("get", "/api/reports/queues", status, &report);

    let (status, catalogue) = h.get(&agent, "/api/orders/catalogue").await;
    assert_eq!(status, StatusCode::OK);
    check("get", "/api/orders/catalogue", status, &catalogue);

    let (status, created) = h
        .post(
            &agent,
            "/api/citizens",
            json!({ "full_name": "Wang Fang", "phone": "13800138000" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    check("post", "/api/citizens", status, &created);

    // Errors carry the documented error body.
    let unknown = hotline_types::CaseRef::new(2026, 11, 22, 17).unwrap();
    let (status, missing) = h
        .get(&supervisor, &format!("/api/cases/{}", unknown.digits()))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    check("get", "/api/cases/{case_ref}", status, &missing);

    let (status, invalid) = h
        .post(&agent, "/api/agent/wrap_up/extend", json!({ "seconds": 0 }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{invalid}");
    check("post", "/api/agent/wrap_up/extend", status, &invalid);

    let (status, _, malformed) = h
        .send(Harness::request(
            Method::POST,
            "/api/login",
            None,
            Some(json!({ "login": "agent1", "password": "x", "remember": true })),
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{malformed}");
    check("post", "/api/login", status, &malformed);
    assert_eq!(checked, 10);

    // And a body the types would not send does not pass: the check can fail.
    let mut broken = me.clone();
    broken.as_object_mut().unwrap().remove("user");
    assert!(!mismatches(&doc, "get", "/api/me", StatusCode::OK, &broken).is_empty());
    // Answers are described as they serialize: a field always written,
    // `null` or not, is required.
    let mut broken = me.clone();
    broken["user"].as_object_mut().unwrap().remove("department");
    assert!(!mismatches(&doc, "get", "/api/me", StatusCode::OK, &broken).is_empty());
    let mut broken = created.clone();
    broken["citizen"]["id"] = json!("not a number");
    assert!(!mismatches(&doc, "post", "/api/citizens", StatusCode::CREATED, &broken).is_empty());
}
