//! A logged-in agent's console WebSocket receives its state on open, then
//! the screen-pop of a call offered to them with the citizen matched by the
//! caller's number, their open cases and what the caller entered in the
//! IVR; later updates follow on the same socket.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::StatusCode;
use common::{next_json, offer, open_socket, Harness};
use hotline_screenpop::ConsoleEvent;
use hotline_store::{AuditContext, NewCase};
use serde_json::json;

#[tokio::test]
async fn the_pop_arrives_with_the_citizen_open_cases_and_ivr_values() {
    let h = Harness::new().await;
    let citizen = h.citizen("Li Lei", "+8613900000002").await;
    let case = h
        .store
        .create_case(
            &AuditContext::for_call("earlier", hotline_types::CallId::new(), common::now()),
            &NewCase {
                citizen: Some(citizen),
                call: None,
                category: "repair_request".into(),
                department: "Housing Bureau".into(),
                summary: "Broken heating in the stairwell".into(),
            },
        )
        .await
        .unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = h.router.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });

    let agent = h.login("agent1").await;
    let (status, _) = h.post(&agent, "/api/agent/login", json!({})).await;
    assert_eq!(status, StatusCode::OK);

    let mut socket = open_socket(addr, &agent, "/api/agent/ws").await;

    let state = next_json(&mut socket).await;
    assert_eq!(state["type"], "state");
    assert_eq!(state["state"], "available");
    assert_eq!(h.console.open_sockets(), 1);

    let call = offer("agent1", "+8613900000002");
    let call_id = call.call;
    assert!(
        h.console.offer(call).await.unwrap(),
        "handed to the open socket"
    );

    let pop = next_json(&mut socket).await;
    assert_eq!(pop["type"], "pop");
    assert_eq!(pop["call"], call_id.to_string());
    assert_eq!(pop["queue"], "housing");
    assert_eq!(pop["department"], "Housing Bureau");
    assert_eq!(pop["caller"], "+8613900000002");
    assert_eq!(pop["waited_ms"], 42_000);
    assert_eq!(pop["lookup_failed"], false);
    assert_eq!(
        pop["ivr_path"],
        json!(["welcome", "language", "main", "department"])
    );
    assert_eq!(
        pop["ivr_vars"],
        json!([["language", "zh"], ["department", "2"]])
    );
    let citizens = pop["citizens"].as_array().unwrap();
    assert_eq!(citizens.len(), 1);
    assert_eq!(citizens[0]["citizen"]["id"], citizen.0);
    assert_eq!(citizens[0]["citizen"]["full_name"], "Li Lei");
    assert_eq!(
        citizens[0]["open_cases"][0]["case_ref"],
        case.case_ref.digits()
    );

    h.console
        .push(&"agent1".into(), ConsoleEvent::Answered { call: call_id });
    let answered = next_json(&mut socket).await;
    assert_eq!(
        answered,
        json!({ "type": "answered", "call": call_id.to_string() })
    );

    // Another agent's pushes do not reach this socket.
    h.console.push(
        &"agent2".into(),
        ConsoleEvent::Notice {
            message: "not yours".into(),
        },
    );
    h.console.push(
        &"agent1".into(),
        ConsoleEvent::Notice {
            message: "yours".into(),
        },
    );
    assert_eq!(next_json(&mut socket).await["message"], "yours");

    // An unknown caller pops with nobody matched and the lookup fine.
    let unknown = offer("agent1", "anonymous");
    assert!(h.console.offer(unknown).await.unwrap());
    let pop = next_json(&mut socket).await;
    assert_eq!(pop["citizens"], json!([]));
    assert_eq!(pop["lookup_failed"], false);

    socket.close(None).await.unwrap();
    for _ in 0..50 {
        if h.console.open_sockets() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(h.console.open_sockets(), 0);
}

#[tokio::test]
async fn a_websocket_without_a_session_is_refused() {
    let h = Harness::new().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = h.router.clone();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    let err = tokio_tungstenite::connect_async(format!("ws://{addr}/api/agent/ws"))
        .await
        .unwrap_err();
    match err {
        tokio_tungstenite::tungstenite::Error::Http(response) => {
            assert_eq!(response.status(), 401)
        }
        other => panic!("expected an HTTP refusal, got {other}"),
    }
}
