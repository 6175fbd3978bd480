//! Browser audio's signalling rides on the agent's own console socket:
//! what the page says (`hello`, its SDP answer, picking up) reaches the
//! binary with the socket it came on, the binary's answer reaches that one
//! socket only, what is not a softphone message is ignored, an SDP larger
//! than the other messages' limit is taken, and the socket's end is told.

mod common;

use std::time::Duration;

use common::{next_json, open_socket, Harness};
use futures_util::SinkExt;
use hotline_screenpop::{
    AudioMode, ConsoleEvent, SoftphoneEvent, SoftphoneMessage, SoftphoneSignal,
};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

/// The signals the stand-in binary has seen, once there are `n`.
async fn signals(h: &Harness, n: usize) -> Vec<SoftphoneSignal> {
    for _ in 0..250 {
        if h.softphone.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    h.softphone.lock().unwrap().clone()
}

#[tokio::test]
async fn the_page_and_the_binary_talk_on_the_agents_socket() {
    let h = Harness::new().await;
    let addr = h.serve().await;
    let agent = h.login("agent1").await;
    let mut first = open_socket(addr, &agent, "/api/agent/ws").await;
    let mut second = open_socket(addr, &agent, "/api/agent/ws").await;
    assert_eq!(next_json(&mut first).await["type"], "state");
    assert_eq!(next_json(&mut second).await["type"], "state");

    first
        .send(Message::Text(
            r#"{"type":"hello","audio":"browser"}"#.into(),
        ))
        .await
        .unwrap();
    // Not a softphone message: ignored, the socket stays open.
    first
        .send(Message::Text("{\"type\":\"dance\"}".into()))
        .await
        .unwrap();
    // An SDP answer of Chromium's size (over the 4 KiB other sockets take).
    let sdp = format!("v=0\r\n{}", "a=candidate:x\r\n".repeat(600));
    let answer = json!({ "type": "answer", "leg": 7, "sdp": sdp }).to_string();
    assert!(answer.len() > 8 * 1024);
    first.send(Message::Text(answer.into())).await.unwrap();
    first
        .send(Message::Text(r#"{"type":"accept","leg":7}"#.into()))
        .await
        .unwrap();

    let seen = signals(&h, 3).await;
    let socket = match &seen[0] {
        SoftphoneSignal::Message {
            agent,
            socket,
            message: SoftphoneMessage::Hello { audio },
        } => {
            assert_eq!(agent.as_str(), "agent1");
            assert_eq!(*audio, AudioMode::Browser);
            *socket
        }
        other => panic!("hello first, got {other:?}"),
    };
    assert!(
        matches!(&seen[1], SoftphoneSignal::Message { socket: s, message: SoftphoneMessage::Answer { leg: 7, sdp: got }, .. } if *s == socket && *got == sdp),
        "{:?}",
        seen[1]
    );
    assert!(matches!(
        &seen[2],
        SoftphoneSignal::Message {
            message: SoftphoneMessage::Accept { leg: 7 },
            ..
        }
    ));

    // The binary's answer goes to the socket that spoke, not the other.
    assert!(h.console.push_socket(
        &"agent1".into(),
        socket,
        ConsoleEvent::Softphone(SoftphoneEvent::Line)
    ));
    assert_eq!(
        next_json(&mut first).await,
        json!({ "type": "softphone", "kind": "line" })
    );
    h.console.push(
        &"agent1".into(),
        ConsoleEvent::Notice {
            message: "to both".into(),
        },
    );
    assert_eq!(next_json(&mut second).await["message"], "to both");
    assert_eq!(next_json(&mut first).await["message"], "to both");
    assert!(!h.console.push_socket(
        &"agent2".into(),
        socket,
        ConsoleEvent::Softphone(SoftphoneEvent::Line)
    ));

    first.close(None).await.unwrap();
    let seen = signals(&h, 4).await;
    assert!(
        matches!(&seen[3], SoftphoneSignal::Closed { agent, socket: s } if agent.as_str() == "agent1" && *s == socket),
        "{:?}",
        seen.get(3)
    );
}
