//! Who sees which figures: a supervisor of a department sees that
//! department's queues, agents and cases (in every grouping, the totals
//! included) and is refused anything else; admins and supervisors without
//! a department see everything; an agent sees only their own figures, in
//! the reports and on the wallboard.

mod common;

use axum::http::StatusCode;
use common::{answered_call, Harness, T0};
use hotline_screenpop::{LiveAgent, LiveBoard, LiveQueue};
use hotline_store::{Access, AuditContext, NewCase};
use hotline_types::Timestamp;
use serde_json::Value;

const DAY: &str = "from=2026-11-22&to=2026-11-22";

fn keys(body: &Value, field: &str) -> Vec<String> {
    let mut keys: Vec<String> = body["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("rows in {body}"))
        .iter()
        .map(|r| r[field].as_str().unwrap().to_owned())
        .collect();
    keys.dedup();
    keys
}

fn live_queue(name: &str, department: &str) -> LiveQueue {
    LiveQueue {
        queue: name.into(),
        department: department.into(),
        waiting: 1,
        longest_wait_ms: 5_000,
        agents_logged_in: 1,
        available: 0,
        offered: 0,
        on_call: 1,
        wrap_up: 0,
        on_break: 0,
    }
}

fn live_agent(name: &str, queue: &str) -> LiveAgent {
    LiveAgent {
        agent: name.into(),
        state: "on_call".into(),
        reason: None,
        in_state_ms: 1_000,
        calls_answered: 1,
        queues: vec![queue.into()],
    }
}

#[tokio::test]
async fn each_role_sees_only_its_own_figures() {
    let h = Harness::new().await;
    let mut events = Vec::new();
    events.extend(answered_call("housing", "agent1", T0 - 3_600_000, 10_000));
    events.extend(answered_call("housing", "agent1", T0 - 1_800_000, 30_000));
    events.extend(answered_call("transport", "agent2", T0 - 1_200_000, 5_000));
    h.store.append_events(&events).await.unwrap();
    let ctx = AuditContext {
        actor: "test".into(),
        access: Access::Administration,
        reason: "test data".into(),
        at: Timestamp(T0),
    };
    for department in ["Housing Bureau", "Transport Bureau"] {
        h.store
            .create_case(
                &ctx,
                &NewCase {
                    citizen: None,
                    call: None,
                    category: "complaint".into(),
                    department: department.into(),
                    summary: "Noise at night".into(),
                },
            )
            .await
            .unwrap();
    }

    // A supervisor of the Housing Bureau.
    let housing = h.login("super_housing").await;
    let (status, body) = h.get(&housing, &format!("/api/reports/queues?{DAY}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(keys(&body, "key"), ["housing"]);
    let (status, _) = h
        .get(
            &housing,
            &format!("/api/reports/queues?{DAY}&queue=transport"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, body) = h
        .get(
            &housing,
            &format!("/api/reports/queues?{DAY}&group=department"),
        )
        .await;
    assert_eq!(keys(&body, "key"), ["Housing Bureau"]);
    let (_, body) = h
        .get(&housing, &format!("/api/reports/queues?{DAY}&group=total"))
        .await;
    assert_eq!(keys(&body, "key"), ["all"]);
    assert_eq!(body["rows"][0]["figures"]["offered"], 2, "housing's only");
    let (_, body) = h.get(&housing, &format!("/api/reports/waits?{DAY}")).await;
    assert_eq!(keys(&body, "key"), ["housing"]);
    let (_, body) = h.get(&housing, &format!("/api/reports/agents?{DAY}")).await;
    assert_eq!(keys(&body, "agent"), ["agent1"], "agent2 is transport's");
    let (status, _) = h
        .get(&housing, &format!("/api/reports/agents?{DAY}&agent=agent2"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, body) = h.get(&housing, &format!("/api/reports/cases?{DAY}")).await;
    assert_eq!(keys(&body, "department"), ["Housing Bureau"]);
    let (status, _) = h.get(&housing, &format!("/api/reports/ivr?{DAY}")).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the IVR is the whole centre's"
    );

    // Admins and the centre's supervisor see everything.
    for login in ["admin1", "super1"] {
        let everyone = h.login(login).await;
        let (_, body) = h
            .get(&everyone, &format!("/api/reports/queues?{DAY}"))
            .await;
        assert_eq!(keys(&body, "key"), ["housing", "transport"], "{login}");
        let (_, body) = h
            .get(&everyone, &format!("/api/reports/agents?{DAY}"))
            .await;
        assert_eq!(keys(&body, "agent"), ["agent1", "agent2"], "{login}");
        let (_, body) = h.get(&everyone, &format!("/api/reports/cases?{DAY}")).await;
        assert_eq!(
            keys(&body, "department"),
            ["Housing Bureau", "Transport Bureau"]
        );
        let (status, _) = h.get(&everyone, &format!("/api/reports/ivr?{DAY}")).await;
        assert_eq!(status, StatusCode::OK, "{login}");
    }

    // An agent: their own figures, nobody else's.
    let agent = h.login("agent1").await;
    let (status, body) = h.get(&agent, &format!("/api/reports/agents?{DAY}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(keys(&body, "agent"), ["agent1"]);
    assert_eq!(body["rows"][0]["figures"]["answered"], 2);
    let (status, _) = h
        .get(&agent, &format!("/api/reports/agents?{DAY}&agent=agent1"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h
        .get(&agent, &format!("/api/reports/agents?{DAY}&agent=agent2"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = h
        .get(
            &agent,
            &format!("/api/reports/occupancy?{DAY}&agent=agent2"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for report in ["queues", "waits", "ivr", "cases"] {
        let (status, _) = h.get(&agent, &format!("/api/reports/{report}?{DAY}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{report}");
    }

    h.console.publish_live(LiveBoard {
        at_ms: T0,
        queues: vec![
            live_queue("housing", "Housing Bureau"),
            live_queue("transport", "Transport Bureau"),
        ],
        agents: vec![
            live_agent("agent1", "housing"),
            live_agent("agent2", "transport"),
        ],
    });
    let (status, board) = h.get(&agent, "/api/wallboard").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(board["live"], true);
    assert_eq!(board["scope"], "self");
    assert_eq!(board["queues"].as_array().map(Vec::len), Some(0));
    assert_eq!(board["agents"].as_array().map(Vec::len), Some(1));
    assert_eq!(board["agents"][0]["agent"], "agent1");
    assert_eq!(board["agents"][0]["answered_today"], 2);
    let (_, board) = h.get(&housing, "/api/wallboard").await;
    assert_eq!(board["queues"].as_array().map(Vec::len), Some(1));
    assert_eq!(board["agents"][0]["agent"], "agent1");
    assert_eq!(board["agents"].as_array().map(Vec::len), Some(1));
    // Between calls an agent sees how many wait in each queue (a count,
    // no one's figures).
    let (status, waiting) = h.get(&agent, "/api/queues/waiting").await;
    assert_eq!(status, StatusCode::OK, "{waiting}");
    assert_eq!(waiting.as_array().map(Vec::len), Some(2), "{waiting}");
    assert_eq!(waiting[0]["queue"], "housing");
    assert!(waiting[0]["waiting"].as_u64().is_some(), "{waiting}");
}
