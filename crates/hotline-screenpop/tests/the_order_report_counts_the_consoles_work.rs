//! The official work-order figures through the console: an order taken
//! down, dispatched by the catalogue and closed by its department today is
//! in today's report of that department (dispatched, closed on time, time
//! to close), in JSON and CSV; a department's supervisor may read the
//! department grouping only.

mod common;

use axum::http::{header, Method, StatusCode};
use common::Harness;
use serde_json::json;

#[tokio::test]
async fn an_order_closed_today_is_in_todays_department_report() {
    let h = Harness::new().await;
    let agent = h.login("agent1").await;
    let (status, created) = h
        .post(
            &agent,
            "/api/orders",
            json!({
                "category": "request", "address": "景山后街 2 号", "district": "东城区",
                "street": "景山街道", "summary": "A broken handrail on the stairs"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let reference = created["order"]["reference"].as_str().unwrap().to_owned();
    let handler = h.login("handler_housing").await;
    for body in [
        json!({"command": "accept"}),
        json!({"command": "reply", "text": "Repaired."}),
        json!({"command": "close"}),
    ] {
        let (status, answer) = h
            .post(&handler, &format!("/api/orders/{reference}/commands"), body)
            .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }

    let supervisor = h.login("super1").await;
    let (status, report) = h.get(&supervisor, "/api/reports/orders").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["group"], "department");
    assert_eq!(report["bucket"], "day");
    let rows = report["rows"].as_array().unwrap();
    let housing = rows
        .iter()
        .find(|r| r["key"] == "housing")
        .unwrap_or_else(|| panic!("{report}"));
    let f = &housing["figures"];
    assert_eq!(f["dispatched"], 1, "{f}");
    assert_eq!(f["closed"], 1, "{f}");
    assert_eq!(f["closed_on_time"], 1, "{f}");
    assert_eq!(f["on_time_rate"], 1.0, "{f}");
    assert_eq!(f["time_to_close"]["count"], 1, "{f}");
    // Taken down at the hotline, before any department.
    let intake: i64 = rows
        .iter()
        .map(|r| r["figures"]["accepted"].as_i64().unwrap())
        .sum();
    assert_eq!(intake, 1, "{report}");

    let (status, headers, _) = h
        .send(Harness::request(
            Method::GET,
            "/api/reports/orders?group=category&format=csv",
            Some(&supervisor),
            None,
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));

    let department_supervisor = h.login("super_housing").await;
    let (status, _) = h
        .get(&department_supervisor, "/api/reports/orders?group=district")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, bad) = h.get(&supervisor, "/api/reports/orders?bucket=hour").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
}
