//! The binary publishes the ACD's live picture; every supervisor's
//! WebSocket receives it merged with today's figures from the store
//! (offered, answered, abandoned, both service levels and ASA per queue
//! since local midnight, calls each agent answered today), coloured by the
//! queue's targets, and filtered to the supervisor's department. Every new
//! picture is pushed again; a wallboard opened later gets the current one
//! at once.

mod common;

use std::time::Duration;

use common::{abandoned_call, answered_call, next_json_within, open_socket, Harness, T0};
use hotline_screenpop::{LiveAgent, LiveBoard, LiveQueue, QueueTarget, StatisticsConfig};
use serde_json::{json, Value};

const MIN: i64 = 60_000;

fn queue(name: &str, department: &str, waiting: u32, longest_wait_ms: u64) -> LiveQueue {
    LiveQueue {
        queue: name.into(),
        department: department.into(),
        waiting,
        longest_wait_ms,
        agents_logged_in: 2,
        available: 0,
        offered: 0,
        on_call: 1,
        wrap_up: 0,
        on_break: 1,
    }
}

fn agent(name: &str, state: &str, queues: &[&str]) -> LiveAgent {
    LiveAgent {
        agent: name.into(),
        state: state.into(),
        reason: (state == "break").then(|| "lunch".to_owned()),
        in_state_ms: 42_000,
        calls_answered: 7,
        queues: queues.iter().map(|q| (*q).to_owned()).collect(),
    }
}

fn board(at_ms: i64, housing_waiting: u32) -> LiveBoard {
    LiveBoard {
        at_ms,
        queues: vec![
            queue("housing", "Housing Bureau", housing_waiting, 70_000),
            queue("transport", "Transport Bureau", 0, 0),
        ],
        agents: vec![
            agent("agent1", "on_call", &["housing"]),
            agent("agent2", "available", &["transport"]),
            agent("agent3", "break", &["housing", "transport"]),
        ],
    }
}

fn close(value: &Value, expected: f64) -> bool {
    value.as_f64().is_some_and(|v| (v - expected).abs() < 1e-9)
}

fn names(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|x| x[field].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn supervisors_see_todays_figures_of_their_departments_live() {
    let stats = StatisticsConfig {
        queue_targets: vec![QueueTarget {
            queue: "housing".into(),
            service_level_secs: 30,
            service_level_target: 0.9,
            max_waiting: 10,
            max_wait_secs: 60,
        }],
        utc_offset_minutes: 480,
    };
    let h = Harness::with_statistics(common::config(), stats).await;

    // Today (local midnight is T0 - 16 h): housing answers after 10, 25
    // and 50 s, an abandon after 40 s and a short abandon after 2 s;
    // transport answers after 5 s. Yesterday's call does not count.
    let mut events = Vec::new();
    events.extend(answered_call("housing", "agent1", T0 - 120 * MIN, 10_000));
    events.extend(answered_call("housing", "agent1", T0 - 60 * MIN, 25_000));
    events.extend(answered_call("housing", "agent2", T0 - 50 * MIN, 50_000));
    events.extend(abandoned_call("housing", T0 - 40 * MIN, 40_000));
    events.extend(abandoned_call("housing", T0 - 30 * MIN, 2_000));
    events.extend(answered_call("transport", "agent2", T0 - 10 * MIN, 5_000));
    events.extend(answered_call(
        "housing",
        "agent1",
        T0 - 20 * 60 * MIN,
        1_000,
    ));
    h.store.append_events(&events).await.unwrap();

    let addr = h.serve().await;
    let housing_supervisor = h.login("super_housing").await;
    let centre_supervisor = h.login("super1").await;
    let mut housing_wall = open_socket(addr, &housing_supervisor, "/api/supervisor/ws").await;
    let mut centre_wall = open_socket(addr, &centre_supervisor, "/api/supervisor/ws").await;
    assert!(
        next_json_within(&mut housing_wall, Duration::from_millis(300))
            .await
            .is_none(),
        "nothing is shown before the call side publishes"
    );
    for _ in 0..100 {
        if h.console.supervisor_sockets() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    h.console.publish_live(board(T0 + 30 * MIN, 9));

    let view = next_json_within(&mut housing_wall, Duration::from_secs(5))
        .await
        .expect("the housing supervisor's wallboard");
    assert_eq!(view["type"], "wallboard");
    assert_eq!(view["live"], true);
    assert_eq!(view["at_ms"], T0 + 30 * MIN);
    assert_eq!(view["day_start_ms"], T0 - 16 * 60 * MIN);
    assert_eq!(view["scope"], json!(["housing bureau"]));
    assert_eq!(names(&view["queues"], "queue"), ["housing"]);
    assert_eq!(names(&view["agents"], "agent"), ["agent1", "agent3"]);

    let housing = &view["queues"][0];
    assert_eq!(housing["department"], "Housing Bureau");
    assert_eq!(housing["waiting"], 9);
    assert_eq!(housing["longest_wait_ms"], 70_000);
    assert_eq!(housing["on_break"], 1);
    let today = &housing["today"];
    assert_eq!(today["offered"], 5, "{today}");
    assert_eq!(today["answered"], 3);
    assert_eq!(today["answered_within_threshold"], 2, "T is 30 s here");
    assert_eq!(today["abandoned"], 1);
    assert_eq!(today["short_abandoned"], 1);
    assert!(close(&today["service_level"], 2.0 / 3.0), "{today}");
    assert!(close(&today["service_level_strict"], 2.0 / 4.0), "{today}");
    assert!(close(&today["asa_ms"], 85_000.0 / 3.0), "{today}");
    assert!(close(&today["abandonment_rate"], 1.0 / 5.0), "{today}");
    assert_eq!(housing["target"]["max_wait_secs"], 60);
    assert_eq!(
        housing["levels"],
        json!({ "waiting": "warn", "longest_wait": "alert", "service_level": "alert" })
    );
    let agent1 = &view["agents"][0];
    assert_eq!(agent1["state"], "on_call");
    assert_eq!(agent1["in_state_ms"], 42_000);
    assert_eq!(
        agent1["answered_today"], 2,
        "yesterday's call is not today's"
    );
    assert!(close(&agent1["aht_today_ms"], 90_000.0));
    assert_eq!(view["agents"][1]["reason"], "lunch");
    assert_eq!(view["agents"][1]["answered_today"], 0);

    let view = next_json_within(&mut centre_wall, Duration::from_secs(5))
        .await
        .expect("the centre supervisor's wallboard");
    assert_eq!(view["scope"], "all");
    assert_eq!(names(&view["queues"], "queue"), ["housing", "transport"]);
    assert_eq!(
        names(&view["agents"], "agent"),
        ["agent1", "agent2", "agent3"]
    );
    let transport = &view["queues"][1];
    assert_eq!(transport["today"]["offered"], 1);
    assert!(close(&transport["today"]["service_level"], 1.0));
    assert_eq!(transport["target"]["service_level_secs"], 20, "the default");
    assert_eq!(
        transport["levels"],
        json!({ "waiting": "ok", "longest_wait": "ok", "service_level": "ok" })
    );
    assert_eq!(view["agents"][1]["answered_today"], 2);

    // The next second's picture is pushed too.
    h.console.publish_live(board(T0 + 30 * MIN + 1_000, 0));
    for wall in [&mut housing_wall, &mut centre_wall] {
        let view = next_json_within(wall, Duration::from_secs(5))
            .await
            .expect("the next picture");
        assert_eq!(view["at_ms"], T0 + 30 * MIN + 1_000);
        assert_eq!(view["queues"][0]["waiting"], 0);
        assert_eq!(view["queues"][0]["levels"]["waiting"], "ok");
        assert_eq!(view["queues"][0]["today"]["answered"], 3);
    }

    // A wallboard opened now shows the current picture at once.
    let mut late_wall = open_socket(addr, &housing_supervisor, "/api/supervisor/ws").await;
    let view = next_json_within(&mut late_wall, Duration::from_secs(5))
        .await
        .expect("the current picture on open");
    assert_eq!(view["at_ms"], T0 + 30 * MIN + 1_000);
    assert_eq!(names(&view["queues"], "queue"), ["housing"]);
}
