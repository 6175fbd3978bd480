//! Occupancy comes from the agent state history the binary appends: time
//! on calls and in wrap-up over that plus available (and ringing) time;
//! breaks and logged-out time are in neither. An agent's state at the
//! start of the interval is their last change before it.

mod common;
mod golden_day;

use common::*;
use golden_day::*;
use hotline_store::{AgentStateRecord, Bucket, OccupancyRow, ReportQuery};
use hotline_types::{CallId, Timestamp};

fn state(agent: &str, state: &str, at: Timestamp) -> AgentStateRecord {
    AgentStateRecord {
        agent: agent.into(),
        state: state.into(),
        reason: (state == "break").then(|| "lunch".into()),
        call: matches!(state, "offered" | "on_call" | "wrap_up").then(CallId::new),
        at,
    }
}

fn row(agent: &str, bucket: i64, times: [i64; 5], occupancy: Option<f64>) -> OccupancyRow {
    let [on_call_ms, wrap_up_ms, available_ms, offered_ms, break_ms] = times;
    OccupancyRow {
        agent: agent.into(),
        bucket_start_ms: bucket,
        on_call_ms,
        wrap_up_ms,
        available_ms,
        offered_ms,
        break_ms,
        occupancy,
    }
}

#[tokio::test]
async fn occupancy_follows_the_agent_state_history() {
    let history = vec![
        state("alice", "available", hms(8, 55, 0)),
        state("bob", "logged_out", hms(8, 0, 0)),
        state("alice", "offered", hms(9, 0, 38)),
        state("alice", "on_call", hms(9, 0, 40)),
        state("alice", "wrap_up", hms(9, 3, 40)),
        state("alice", "available", hms(9, 4, 10)),
        state("alice", "break", hms(9, 30, 0)),
        state("bob", "available", hms(9, 30, 0)),
        state("bob", "break", hms(9, 45, 0)),
        state("bob", "available", hms(9, 50, 0)),
        state("alice", "available", hms(10, 0, 0)),
        // Offered and answered in the same millisecond: the order given
        // decides, and the offer lasts 0 ms.
        state("alice", "offered", hms(10, 0, 35)),
        state("alice", "on_call", hms(10, 0, 35)),
        state("alice", "wrap_up", hms(10, 2, 35)),
        state("alice", "available", hms(10, 3, 15)),
        state("alice", "logged_out", hms(10, 30, 0)),
        state("dave", "available", hms(11, 30, 0)),
        state("bob", "logged_out", hms(11, 30, 0)),
    ];
    for ts in stores().await {
        let s = &ts.store;
        s.append_agent_states(&history[..7]).await.unwrap();
        s.append_agent_states(&history[7..]).await.unwrap();
        // A retried batch changes nothing.
        s.append_agent_states(&history[3..9]).await.unwrap();

        let nine = hms(9, 0, 0).as_millis();
        let ten = hms(10, 0, 0).as_millis();
        let whole = ReportQuery::new(hms(9, 0, 0), hms(11, 0, 0), Bucket::Whole, SHANGHAI);
        let rows = s.occupancy(&whole).await.unwrap();
        assert_eq!(
            rows,
            vec![
                // alice, 09:00-10:30: on call 180 + 120 s; wrap-up 30 + 40 s;
                // available 38 s (09:00:00-09:00:38) + 1550 s (09:04:10-
                // 09:30) + 35 s (10:00-10:00:35) + 1605 s (10:03:15-10:30);
                // ringing 2 s; lunch 1800 s; logged out after 10:30.
                // Occupancy (300 + 70) / (300 + 70 + 3228 + 2).
                row(
                    "alice",
                    nine,
                    [300_000, 70_000, 3_228_000, 2_000, 1_800_000],
                    Some(370.0 / 3_600.0)
                ),
                // bob: logged out until 09:30; available 15 min + 70 min
                // (09:50-11:00), break 5 min; no call: occupancy 0.
                row("bob", nine, [0, 0, 5_100_000, 0, 300_000], Some(0.0)),
            ],
            "{}",
            ts.label
        );

        // By hour: 09h holds the first call and the lunch, 10h the second
        // call; each row adds up to the time logged in.
        let hourly = s
            .occupancy(&ReportQuery {
                bucket: Bucket::Hour,
                ..whole.clone()
            })
            .await
            .unwrap();
        let alice: Vec<&OccupancyRow> = hourly.iter().filter(|r| r.agent == "alice").collect();
        assert_eq!(
            alice,
            vec![
                &row(
                    "alice",
                    nine,
                    [180_000, 30_000, 1_588_000, 2_000, 1_800_000],
                    Some(210.0 / 1_800.0)
                ),
                &row(
                    "alice",
                    ten,
                    [120_000, 40_000, 1_640_000, 0, 0],
                    Some(160.0 / 1_800.0)
                ),
            ],
            "{}",
            ts.label
        );

        // "So far": any end time, here 09:02:10 (alice on call 90 s).
        let so_far = s
            .occupancy(&ReportQuery::new(
                hms(9, 0, 0),
                hms(9, 2, 10),
                Bucket::Whole,
                SHANGHAI,
            ))
            .await
            .unwrap();
        assert_eq!(
            so_far,
            vec![row(
                "alice",
                nine,
                [90_000, 0, 38_000, 2_000, 0],
                Some(90.0 / 130.0)
            )]
        );

        // Unknown states are refused, naming the ones that exist.
        let err = s
            .append_agent_states(&[state("alice", "lunch", hms(12, 0, 0))])
            .await
            .unwrap_err();
        assert!(err.to_string().contains("wrap_up"), "{err}");
        ts.finish().await;
    }
}
