//! The OpenAPI document served at /api/openapi.json describes every route
//! the router serves, and serves every route it describes; it is the one
//! generated from the handlers' types, with every path parameter named,
//! every error status carrying the error body, and the request bodies'
//! constraints stated.

mod common;

use axum::http::{Method, StatusCode};
use common::{concrete, Harness};
use serde_json::Value;

/// The schema a `$ref` in the document points to.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.strip_prefix("#/components/schemas/").unwrap();
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

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
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc,
        h.console.openapi(),
        "the served document is the generated one"
    );

    let routes = h.console.routes();
    for route in &routes {
        let name = format!("{} {}", route.method, route.path);
        let op = &doc["paths"][route.path][route.method.as_str().to_lowercase()];
        assert!(op.is_object(), "{name} is not documented");
        assert!(op["summary"].is_string(), "{name}");
        let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
        assert_eq!(secured, route.roles.is_some(), "{name} security");

        // Every {segment} of the path is a documented path parameter, and
        // no other is.
        let segments: Vec<&str> = route
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        let params: Vec<&str> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "path")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(params, segments, "{name} path parameters");

        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses
                .keys()
                .any(|s| s.starts_with('2') || s == "101" || s == "303"),
            "{name} has no success answer"
        );
        if route.roles.is_some() {
            for status in ["401", "403"] {
                assert!(responses.contains_key(status), "{name} lacks {status}");
            }
            if route.method != Method::GET {
                assert!(
                    op["parameters"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|p| p["$ref"] == "#/components/parameters/CsrfToken"),
                    "{name} lacks the CSRF header"
                );
            }
        }
        if op["requestBody"]["content"]["application/json"].is_object() {
            assert!(
                responses.contains_key("400"),
                "{name}: a JSON body can be malformed"
            );
        }
        // Every error has a JSON body with its schema.
        for (status, answer) in responses {
            if status.as_str() >= "400" {
                let schema = &answer["content"]["application/json"]["schema"];
                assert!(schema.is_object(), "{name} {status} has no error body");
            }
        }
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

    // The WebSocket messages are described, one variant per event type.
    let events = doc["components"]["schemas"]["ConsoleEvent"]["oneOf"]
        .as_array()
        .unwrap();
    assert_eq!(events.len(), 9);
    // Browser audio's messages, both ways.
    assert!(doc["components"]["schemas"]["SoftphoneEvent"].is_object());
    assert!(doc["components"]["schemas"]["WallboardView"].is_object());

    // Every schema referenced is defined.
    let text = doc.to_string();
    for piece in text.split("\"#/components/schemas/").skip(1) {
        let name = piece.split('"').next().unwrap();
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "schema {name}"
        );
    }
}

#[tokio::test]
async fn request_bodies_state_their_constraints_from_the_types() {
    let h = Harness::new().await;
    let doc = h.console.openapi();
    if let Ok(out) = std::env::var("HOTLINE_OPENAPI_DUMP") {
        std::fs::write(out, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    }
    let body = |path: &str| {
        resolve(
            &doc,
            &doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"],
        )
        .clone()
    };
    // deny_unknown_fields: nothing but the fields named.
    let extend = body("/api/agent/wrap_up/extend");
    assert_eq!(extend["additionalProperties"], false);
    assert_eq!(extend["required"], serde_json::json!(["seconds"]));
    assert_eq!(extend["properties"]["seconds"]["minimum"], 1);
    assert_eq!(extend["properties"]["seconds"]["maximum"], 3600);
    // Lengths, and defaults that make a field optional.
    let password = body("/api/me/password");
    assert_eq!(password["properties"]["new"]["minLength"], 10);
    assert_eq!(password["properties"]["new"]["maxLength"], 1024);
    let state = body("/api/agent/state");
    assert_eq!(state["required"], serde_json::json!(["state"]));
    assert_eq!(
        state["properties"]["state"]["enum"],
        serde_json::json!(["available", "break", "logged_out"])
    );
    // An enum of the handler's type.
    let monitor = body("/api/supervisor/agents/{agent}/monitor");
    let mode = resolve(&doc, &monitor["properties"]["mode"]);
    let modes: Vec<&Value> = mode["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["const"])
        .collect();
    assert_eq!(modes, ["listen", "whisper", "barge", "stop"]);
    // A command is one of the tagged variants.
    let command = body("/api/orders/{reference}/commands");
    assert!(
        command["oneOf"].as_array().unwrap().len() >= 12,
        "{command}"
    );

    // The statuses a handler's type names.
    let statuses = |path: &str, method: &str| -> Vec<String> {
        doc["paths"][path][method]["responses"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(
        statuses("/api/login", "post"),
        ["200", "400", "401", "403", "429"]
    );
    assert_eq!(
        statuses("/api/cases/{case_ref}", "get"),
        ["200", "400", "401", "403", "404"]
    );
    assert_eq!(
        statuses("/api/callbacks/{id}/priority", "post"),
        ["204", "400", "401", "403", "404", "409", "503"]
    );
    // Reports answer JSON or CSV.
    let report = &doc["paths"]["/api/reports/queues"]["get"]["responses"]["200"]["content"];
    assert!(report["application/json"].is_object());
    assert!(report["text/csv; charset=utf-8"].is_object());
}
