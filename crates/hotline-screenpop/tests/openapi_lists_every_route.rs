//! The OpenAPI document served at /api/openapi.json describes every route
//! the router serves, and serves every route it describes.

mod common;

use axum::http::{Method, StatusCode};
use common::{concrete, Harness};

#[tokio::test]
async fn every_route_is_in_the_document_and_every_documented_route_is_served() {
    let h = Harness::new().await;
    let (status, _, doc) = h
        .send(Harness::request(
            Method::GET,
            "/api/openapi.json",
            None,
            None,
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));

    let routes = h.console.routes();
    for route in &routes {
        let op = &doc["paths"][route.path][route.method.as_str().to_lowercase()];
        assert!(
            op.is_object(),
            "{} {} is not documented",
            route.method,
            route.path
        );
        assert!(op["summary"].is_string());
        let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
        assert_eq!(
            secured,
            route.roles.is_some(),
            "{} {} security",
            route.method,
            route.path
        );
    }

    let paths = doc["paths"].as_object().unwrap();
    for (path, ops) in paths {
        for method in ops.as_object().unwrap().keys() {
            let served = routes
                .iter()
                .any(|r| r.path == path && r.method.as_str().eq_ignore_ascii_case(method));
            assert!(served, "{method} {path} is documented but not routed");
            let req = Harness::request(
                method.to_uppercase().parse().unwrap(),
                &concrete(path),
                None,
                None,
            );
            let (status, _, _) = h.send(req).await;
            assert_ne!(status, StatusCode::NOT_FOUND, "{method} {path}");
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        }
    }

    // Every schema referenced is defined.
    let text = doc.to_string();
    for piece in text.split("\"#/components/schemas/").skip(1) {
        let name = piece.split('"').next().unwrap();
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "schema {name}"
        );
    }
    // The WebSocket messages are described.
    let events = doc["components"]["schemas"]["ConsoleEvent"]["oneOf"]
        .as_array()
        .unwrap();
    assert_eq!(events.len(), 7);
}
