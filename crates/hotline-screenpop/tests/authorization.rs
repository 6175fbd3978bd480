//! Every route needs a session; agents are kept off supervisor and admin
//! routes; an agent sees a citizen only once a call of theirs concerns
//! them, and every view is in the audit log.

mod common;

use axum::http::StatusCode;
use common::{concrete, offer, Harness};
use hotline_store::Role;
use serde_json::json;

#[tokio::test]
async fn every_route_without_a_session_is_refused_with_401() {
    let h = Harness::new().await;
    let gated: Vec<_> = h
        .console
        .routes()
        .into_iter()
        .filter(|r| r.roles.is_some())
        .collect();
    assert!(gated.len() >= 20, "the whole API is gated");
    for route in gated {
        let path = concrete(route.path);
        let (status, _, body) = h
            .send(Harness::request(
                route.method.clone(),
                &path,
                None,
                Some(json!({})),
            ))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{} {path}", route.method);
        assert!(
            body["error"].is_string(),
            "{} {path}: JSON error",
            route.method
        );
    }
}

#[tokio::test]
async fn only_the_public_routes_need_no_session() {
    let h = Harness::new().await;
    let mut public: Vec<String> = h
        .console
        .routes()
        .into_iter()
        .filter(|r| r.roles.is_none())
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    public.sort();
    assert_eq!(
        public,
        [
            "GET /",
            "GET /admin",
            "GET /admin/",
            "GET /admin/admin.js",
            "GET /api/openapi.json",
            "GET /callbacks",
            "GET /callbacks/",
            "GET /callbacks/callbacks.js",
            "GET /console",
            "GET /console/",
            "GET /console/console.css",
            "GET /console/console.js",
            "GET /console/softphone.js",
            "GET /departments",
            "GET /departments/",
            "GET /departments/departments.js",
            // Open311: each checks its client's api_key instead.
            "GET /open311/v2/requests.json",
            "GET /open311/v2/requests/{request}",
            "GET /open311/v2/services.json",
            "GET /open311/v2/services/{service}",
            "GET /orders",
            "GET /orders/",
            "GET /orders/orders.js",
            "GET /privacy",
            "GET /privacy/",
            "GET /privacy/privacy.js",
            "GET /reports",
            "GET /reports/",
            "GET /reports/reports.js",
            "GET /ui/charts.js",
            "GET /ui/common.js",
            "GET /ui/pages.css",
            "GET /ui/texts.js",
            "GET /wallboard",
            "GET /wallboard/",
            "GET /wallboard/wallboard.js",
            "POST /api/login",
            "POST /open311/v2/requests.json",
        ]
    );
}

#[tokio::test]
async fn an_agent_gets_403_on_supervisor_and_admin_routes() {
    let h = Harness::new().await;
    let agent = h.login("agent1").await;
    let higher: Vec<_> = h
        .console
        .routes()
        .into_iter()
        .filter(|r| r.roles.is_some_and(|roles| !roles.contains(&Role::Agent)))
        .collect();
    assert!(higher.iter().any(|r| r.path == "/api/audit"));
    assert!(higher.iter().any(|r| r.path == "/api/admin/users"));
    assert!(higher.iter().any(|r| r.path == "/api/admin/phones/{login}"));
    assert!(higher.iter().any(|r| r.path == "/api/supervisor/ws"));
    assert!(higher.iter().any(|r| r.path == "/api/reports/queues"));
    assert!(higher.iter().any(|r| r.path == "/api/reports/cases"));
    for route in higher {
        let path = concrete(route.path);
        let (status, _, _) = h
            .send(Harness::request(
                route.method.clone(),
                &path,
                Some(&agent),
                None,
            ))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{} {path}", route.method);
    }
    // And an admin is no call taker.
    let admin = h.login("admin1").await;
    let (status, _) = h.post(&admin, "/api/agent/login", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_privacy_officer_reaches_only_the_privacy_routes() {
    let h = Harness::new().await;
    let officer = h.login("privacy1").await;
    let others: Vec<_> = h
        .console
        .routes()
        .into_iter()
        .filter(|r| r.roles.is_some_and(|roles| !roles.contains(&Role::Privacy)))
        .collect();
    assert!(others.iter().any(|r| r.path == "/api/citizens/{id}"));
    assert!(others.iter().any(|r| r.path == "/api/orders/{reference}"));
    assert!(others.iter().any(|r| r.path == "/api/reports/queues"));
    for route in others {
        let path = concrete(route.path);
        let (status, _, _) = h
            .send(Harness::request(
                route.method.clone(),
                &path,
                Some(&officer),
                None,
            ))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{} {path}", route.method);
    }
    let privacy: Vec<_> = h
        .console
        .routes()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/privacy/"))
        .collect();
    assert!(privacy.len() >= 6);
    assert!(privacy
        .iter()
        .all(|r| r.roles == Some(&[Role::Privacy, Role::Admin][..])));
}

#[tokio::test]
async fn an_agent_sees_a_citizen_only_through_a_call_offered_to_them_and_every_view_is_audited() {
    let h = Harness::new().await;
    let citizen = h.citizen("Wang Fang", "+8613900000001").await;
    let agent1 = h.login("agent1").await;
    let agent2 = h.login("agent2").await;
    let record = format!("/api/citizens/{citizen}");

    let (status, body) = h.get(&agent1, &record).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    let call = offer("agent1", "+86 139 0000 0001");
    let call_id = call.call;
    let pushed = h.console.offer(call).await.unwrap();
    assert!(!pushed, "agent1 has no console open");

    let (status, body) = h.get(&agent1, &record).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["citizen"]["full_name"], "Wang Fang");
    let (status, pop) = h
        .get(&agent1, &format!("/api/calls/{call_id}/citizens"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(pop["citizens"][0]["citizen"]["id"], citizen.0);

    // The other agent still may not, neither the record nor the call.
    let (status, _) = h.get(&agent2, &record).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = h
        .get(&agent2, &format!("/api/calls/{call_id}/citizens"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = h
        .post(
            &agent2,
            &format!("/api/calls/{call_id}/hold"),
            json!({ "on": true }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A supervisor may, with a reason.
    let supervisor = h.login("super1").await;
    let (status, _) = h
        .get(&supervisor, &format!("{record}?reason=quality%20review"))
        .await;
    assert_eq!(status, StatusCode::OK);

    let admin = h.login("admin1").await;
    let (status, trail) = h
        .get(&admin, &format!("/api/audit?citizen={citizen}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let entries = trail.as_array().unwrap();
    let by = |actor: &str| {
        entries
            .iter()
            .filter(|e| e["actor"] == actor && e["action"] == "view")
            .collect::<Vec<_>>()
    };
    // The pop, the record, the pop again: three views, each for the call.
    let agent1_views = by("agent1");
    assert_eq!(agent1_views.len(), 3, "{trail:#}");
    assert!(agent1_views
        .iter()
        .all(|e| e["via_call"] == call_id.to_string()));
    assert!(by("agent2").is_empty(), "refused reads show no data");
    let supervisor_views = by("super1");
    assert_eq!(supervisor_views.len(), 1);
    assert_eq!(supervisor_views[0]["reason"], "quality review");
}
