//! An agent takes a work order down during a call: it gets a reference, is
//! linked to the call, and is dispatched at once to the department the
//! catalogue names for its category, with that category's deadline. The
//! agent sees it among the orders they took, the department in its inbox,
//! and its history shows who did what.

mod common;

use axum::http::StatusCode;
use common::{offer, Harness};
use hotline_types::CaseRef;
use serde_json::json;

#[tokio::test]
async fn an_order_taken_on_a_call_is_dispatched_to_the_catalogues_department() {
    let h = Harness::new().await;
    let citizen = h.citizen("Zhang Wei", "+8613900000003").await;
    let agent = h.login("agent1").await;
    let call = offer("agent1", "+8613900000003");
    let call_id = call.call;
    h.console.offer(call).await.unwrap();

    let (status, created) = h
        .post(
            &agent,
            "/api/orders",
            json!({
                "call": call_id, "citizen": citizen.0, "category": "water_outage",
                "address": "景山前街 4 号", "district": "东城区", "street": "景山街道",
                "summary": "No water since this morning in the whole building"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let order = &created["order"];
    let reference = CaseRef::parse(order["reference"].as_str().unwrap()).unwrap();
    assert_eq!(created["reference_display"], reference.to_string());
    assert_eq!(order["phase"], "dispatched");
    assert_eq!(order["department"], "water");
    assert_eq!(order["channel"], "call");
    assert_eq!(order["created_by"], "agent1");
    assert!(order["deadline"].as_i64().is_some(), "{order}");
    assert_eq!(created["personal_masked"], false);
    assert_eq!(order["citizen"], citizen.0);

    let links = h.case_links_after(1).await;
    assert_eq!(links.len(), 1);
    assert_eq!((links[0].call, &links[0].case_ref), (call_id, &reference));

    // The agent's own work between calls.
    let (status, mine) = h.get(&agent, "/api/orders/mine").await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine[0]["reference"], reference.digits());
    assert_eq!(mine[0]["class"], "new");

    // The water department's inbox has it, the housing one does not.
    let handler = h.login("handler_water").await;
    let (status, inbox) = h.get(&handler, "/api/orders/inbox").await;
    assert_eq!(status, StatusCode::OK, "{inbox}");
    assert_eq!(inbox["orders"].as_array().unwrap().len(), 1);
    assert_eq!(inbox["orders"][0]["reference"], reference.digits());
    let (_, housing) = h
        .get(&handler, "/api/orders/inbox?department=housing")
        .await;
    assert!(
        housing["orders"].as_array().unwrap().is_empty(),
        "{housing}"
    );
    let (status, counts) = h.get(&handler, "/api/orders/counts").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        counts["new"].as_u64().unwrap() + counts["due_soon"].as_u64().unwrap(),
        1
    );

    // The history, in order, with who did what.
    let (status, detail) = h
        .get(&handler, &format!("/api/orders/{}", reference.digits()))
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    let kinds: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "dispatched"], "{detail}");
    assert_eq!(detail["history"][0]["by"], "agent1");
    // What the handler may do now is what the core allows: accept, note,
    // return; not close or reply before accepting.
    let may: Vec<&str> = detail["may"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(
        may.contains(&"accept") && may.contains(&"return"),
        "{may:?}"
    );
    assert!(
        !may.contains(&"close") && !may.contains(&"dispatch") && !may.contains(&"merge"),
        "{may:?}"
    );
}

#[tokio::test]
async fn an_order_with_an_unknown_category_or_street_is_refused_and_not_kept() {
    let h = Harness::new().await;
    let agent = h.login("agent1").await;
    for (body, named) in [
        (
            json!({"category": "no_such", "address": "东华门大街 1 号", "district": "东城区", "street": "景山街道", "summary": "x"}),
            "no_such",
        ),
        (
            json!({"category": "request", "address": "东华门大街 1 号", "district": "东城区", "street": "新街口街道", "summary": "x"}),
            "新街口街道",
        ),
    ] {
        let (status, refused) = h.post(&agent, "/api/orders", body).await;
        assert_eq!(status, StatusCode::CONFLICT, "{refused}");
        assert!(
            refused["error"].as_str().unwrap().contains(named),
            "{refused}"
        );
        assert!(
            refused["code"].as_str().unwrap().starts_with("unknown_"),
            "{refused}"
        );
    }
    let (_, mine) = h.get(&agent, "/api/orders/mine").await;
    assert!(mine.as_array().unwrap().is_empty(), "{mine}");
    // A handler cannot take orders down.
    let handler = h.login("handler_water").await;
    let (status, _) = h
        .post(&handler, "/api/orders", json!({"category": "request", "address": "东华门大街 1 号", "district": "东城区", "street": "景山街道", "summary": "x"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
