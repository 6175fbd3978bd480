//! The report routes give exactly the store's figures, as JSON and as CSV:
//! queues (per queue, department, in total), agents, occupancy, IVR paths
//! and cases, for a date range in local days and a bucket; and the
//! waiting-time distribution adds up to the answered and abandoned
//! entries, each in its band.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::{header, Method, StatusCode};
use common::{abandoned_call, answered_call, ivr_only_call, now, Browser, Harness, T0};
use hotline_store::{
    Access, AgentStateRecord, AuditContext, Bucket, CaseStatus, IvrGrouping, NewCase,
    QueueGrouping, ReportQuery,
};
use hotline_types::Timestamp;
use serde_json::{json, Value};

const MIN: i64 = 60_000;
const DAY: i64 = 1_440 * MIN;
/// Local midnight (UTC+8) starting 2026-11-21.
const NOV_21: i64 = T0 - 16 * 60 * MIN - DAY;

async fn get_text(h: &Harness, browser: &Browser, path: &str) -> (StatusCode, String, String) {
    let response = {
        use tower::ServiceExt;
        let req = Harness::request(Method::GET, path, Some(browser), None);
        h.router.clone().oneshot(req).await.unwrap()
    };
    let status = response.status();
    let disposition = response
        .headers()
        .get(header::CONTENT_DISPOSITION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(
        !status.is_success()
            || response.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/csv"),
        "CSV answers are text/csv"
    );
    let bytes = axum::body::to_bytes(response.into_body(), 16 << 20)
        .await
        .unwrap();
    (
        status,
        disposition,
        String::from_utf8(bytes.to_vec()).unwrap(),
    )
}

/// CSV text (with its byte-order mark) as one map per line.
fn parse_csv(text: &str) -> Vec<BTreeMap<String, String>> {
    let text = text.strip_prefix('\u{feff}').expect("a byte-order mark");
    let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    lines
        .map(|line| {
            // The test data has no quoted fields.
            header
                .iter()
                .zip(line.split(','))
                .map(|(k, v)| ((*k).to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

fn number(cell: &str) -> Value {
    if cell.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(cell).expect("a number")
    }
}

#[tokio::test]
async fn every_report_gives_the_stores_figures_as_json_and_csv() {
    let h = Harness::new().await;
    let mut events = Vec::new();
    // 21 November: two housing calls, one abandon.
    events.extend(answered_call(
        "housing",
        "agent1",
        NOV_21 + 9 * 60 * MIN,
        12_000,
    ));
    events.extend(answered_call(
        "housing",
        "agent2",
        NOV_21 + 9 * 60 * MIN + 20 * MIN,
        45_000,
    ));
    events.extend(abandoned_call("housing", NOV_21 + 10 * 60 * MIN, 70_000));
    // 22 November: housing and transport, a short abandon, an IVR-only call.
    events.extend(answered_call(
        "housing",
        "agent1",
        NOV_21 + DAY + 8 * 60 * MIN,
        3_000,
    ));
    events.extend(answered_call(
        "transport",
        "agent2",
        NOV_21 + DAY + 8 * 60 * MIN + 5 * MIN,
        400_000,
    ));
    events.extend(abandoned_call(
        "transport",
        NOV_21 + DAY + 9 * 60 * MIN,
        2_000,
    ));
    events.extend(abandoned_call(
        "transport",
        NOV_21 + DAY + 9 * 60 * MIN + MIN,
        8_000,
    ));
    events.extend(ivr_only_call(NOV_21 + DAY + 11 * 60 * MIN));
    // Outside the range (23 November).
    events.extend(answered_call(
        "housing",
        "agent1",
        NOV_21 + 2 * DAY + 60 * MIN,
        1_000,
    ));
    h.store.append_events(&events).await.unwrap();

    let states = [
        ("available", 9 * 60),
        ("on_call", 9 * 60 + 10),
        ("wrap_up", 9 * 60 + 40),
        ("break", 10 * 60),
    ]
    .map(|(state, minute)| AgentStateRecord {
        agent: "agent1".into(),
        state: state.into(),
        reason: (state == "break").then(|| "lunch".to_owned()),
        call: None,
        at: Timestamp(NOV_21 + minute * MIN),
    });
    h.store.append_agent_states(&states).await.unwrap();

    h.store
        .set_category_deadline("complaint", Duration::from_secs(2 * 86_400))
        .await
        .unwrap();
    let ctx = |at: i64| AuditContext {
        actor: "test".into(),
        access: Access::Administration,
        reason: "test data".into(),
        at: Timestamp(at),
    };
    let mut opened = Vec::new();
    for (category, department) in [
        ("complaint", "Housing Bureau"),
        ("complaint", "Housing Bureau"),
        ("repair_request", "Transport Bureau"),
    ] {
        let case = h
            .store
            .create_case(
                &ctx(T0 - 60 * MIN),
                &NewCase {
                    citizen: None,
                    call: None,
                    category: category.into(),
                    department: department.into(),
                    summary: "Street light out".into(),
                },
            )
            .await
            .unwrap();
        opened.push(case.case_ref);
    }
    // One complaint is resolved within its deadline, with a score of 4.
    h.store
        .transition_case(&ctx(T0), &opened[0], CaseStatus::Resolved)
        .await
        .unwrap();
    h.store.set_case_satisfaction(&opened[0], 4).await.unwrap();

    let supervisor = h.login("super1").await;
    let range = "from=2026-11-21&to=2026-11-22";
    let mut query = ReportQuery::new(
        Timestamp(NOV_21),
        Timestamp(NOV_21 + 2 * DAY),
        Bucket::Hour,
        480,
    );

    // Queues, per queue and hour.
    let (status, body) = h
        .get(
            &supervisor,
            &format!("/api/reports/queues?{range}&bucket=hour"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["from_ms"], NOV_21);
    assert_eq!(body["to_ms"], NOV_21 + 2 * DAY);
    let store_rows = h
        .store
        .queue_report(&query, &QueueGrouping::Queue)
        .await
        .unwrap();
    assert_eq!(store_rows.len(), 5, "{store_rows:#?}");
    assert_eq!(body["rows"], serde_json::to_value(&store_rows).unwrap());

    let (status, disposition, text) = get_text(
        &h,
        &supervisor,
        &format!("/api/reports/queues?{range}&bucket=hour&format=csv"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        disposition,
        "attachment; filename=\"hotline-queues-20261121-20261122.csv\""
    );
    let lines = parse_csv(&text);
    assert_eq!(lines.len(), store_rows.len());
    for (line, row) in lines.iter().zip(&store_rows) {
        let figures = serde_json::to_value(&row.figures).unwrap();
        assert_eq!(line["key"], row.key);
        assert_eq!(number(&line["bucket_start_ms"]), json!(row.bucket_start_ms));
        for field in [
            "offered",
            "answered",
            "abandoned",
            "short_abandoned",
            "service_level",
            "service_level_strict",
            "asa_ms",
            "aht_ms",
            "abandonment_rate",
            "max_queued_ms",
        ] {
            assert_eq!(
                number(&line[field]).as_f64(),
                figures[field].as_f64(),
                "{field} of {line:?}"
            );
        }
    }
    assert_eq!(lines[0]["bucket_start"], "2026-11-21 09:00");

    // Per department and in total, over the whole range.
    query.bucket = Bucket::Whole;
    let (_, body) = h
        .get(
            &supervisor,
            &format!("/api/reports/queues?{range}&bucket=whole&group=department"),
        )
        .await;
    let departments = BTreeMap::from([
        ("housing".to_owned(), "Housing Bureau".to_owned()),
        ("transport".to_owned(), "Transport Bureau".to_owned()),
    ]);
    let store_rows = h
        .store
        .queue_report(&query, &QueueGrouping::Department(departments))
        .await
        .unwrap();
    assert_eq!(body["rows"], serde_json::to_value(&store_rows).unwrap());
    let (_, body) = h
        .get(
            &supervisor,
            &format!("/api/reports/queues?{range}&bucket=whole&group=total"),
        )
        .await;
    let total = h
        .store
        .queue_report(&query, &QueueGrouping::Total)
        .await
        .unwrap();
    assert_eq!(body["rows"], serde_json::to_value(&total).unwrap());
    assert_eq!(body["rows"][0]["figures"]["offered"], 7);

    // Waiting times in bands: housing answered after 12, 45 and 3 s and
    // abandoned after 70 s; transport answered after 400 s, abandoned
    // after 2 and 8 s.
    let (_, body) = h
        .get(&supervisor, &format!("/api/reports/waits?{range}"))
        .await;
    let bands = |key: &str| -> Vec<(Value, i64, i64)> {
        let row = body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == key)
            .unwrap_or_else(|| panic!("{key} in {body}"));
        row["bands"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["answered"] != 0 || b["abandoned"] != 0)
            .map(|b| {
                (
                    b["up_to_secs"].clone(),
                    b["answered"].as_i64().unwrap(),
                    b["abandoned"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(
        bands("housing"),
        [
            (json!(5), 1, 0),
            (json!(20), 1, 0),
            (json!(60), 1, 0),
            (json!(120), 0, 1)
        ]
    );
    assert_eq!(
        bands("transport"),
        [(json!(5), 0, 1), (json!(10), 0, 1), (Value::Null, 1, 0)]
    );

    // Agents and occupancy.
    query.bucket = Bucket::Day;
    let (_, body) = h
        .get(&supervisor, &format!("/api/reports/agents?{range}"))
        .await;
    let agents = h.store.agent_report(&query).await.unwrap();
    assert_eq!(agents.len(), 4, "both agents, both days: {agents:?}");
    assert_eq!(body["rows"], serde_json::to_value(&agents).unwrap());
    let (_, body) = h
        .get(
            &supervisor,
            &format!("/api/reports/occupancy?{range}&bucket=hour"),
        )
        .await;
    query.bucket = Bucket::Hour;
    let occupancy = h.store.occupancy(&query).await.unwrap();
    assert!(!occupancy.is_empty());
    assert_eq!(body["rows"], serde_json::to_value(&occupancy).unwrap());
    let (_, _, text) = get_text(
        &h,
        &supervisor,
        &format!("/api/reports/occupancy?{range}&bucket=hour&format=csv"),
    )
    .await;
    let lines = parse_csv(&text);
    assert_eq!(lines.len(), occupancy.len());
    assert_eq!(
        number(&lines[0]["on_call_ms"]),
        json!(occupancy[0].on_call_ms)
    );
    assert_eq!(
        number(&lines[0]["occupancy"]).as_f64(),
        occupancy[0].occupancy
    );

    // IVR paths.
    query.bucket = Bucket::Day;
    let (_, body) = h
        .get(&supervisor, &format!("/api/reports/ivr?{range}"))
        .await;
    let ivr = h
        .store
        .ivr_report(&query, &IvrGrouping::FullPath)
        .await
        .unwrap();
    assert!(!ivr.is_empty());
    assert_eq!(body["rows"], serde_json::to_value(&ivr).unwrap());

    // Cases, as of now (the complaint still open is overdue by now).
    let cases_now = h
        .store
        .case_report(Timestamp(NOV_21), Timestamp(NOV_21 + 2 * DAY), now())
        .await
        .unwrap();
    let (_, body) = h
        .get(&supervisor, &format!("/api/reports/cases?{range}"))
        .await;
    assert_eq!(body["rows"], serde_json::to_value(&cases_now).unwrap());
    let (_, body) = h
        .get(
            &supervisor,
            &format!("/api/reports/cases?{range}&group=department"),
        )
        .await;
    let housing = &body["rows"][0];
    assert_eq!(housing["department"], "Housing Bureau");
    assert_eq!(housing["category"], "all");
    assert_eq!(housing["opened"], 2);
    assert_eq!(housing["with_deadline"], 2);
    assert_eq!(housing["on_time"], 1);
    assert_eq!(housing["satisfaction"]["count"], 1);
    assert_eq!(housing["satisfaction"]["mean"], 4.0);
    assert_eq!(housing["open_now"], 1);
    assert_eq!(body["rows"][1]["department"], "Transport Bureau");
    let (_, _, text) = get_text(
        &h,
        &supervisor,
        &format!("/api/reports/cases?{range}&format=csv"),
    )
    .await;
    let lines = parse_csv(&text);
    assert_eq!(lines.len(), cases_now.len());
    assert_eq!(lines[0]["category"], cases_now[0].category);
    assert_eq!(number(&lines[0]["opened"]), json!(cases_now[0].opened));
    assert_eq!(
        number(&lines[0]["overdue_now"]),
        json!(cases_now[0].overdue_now)
    );
}
