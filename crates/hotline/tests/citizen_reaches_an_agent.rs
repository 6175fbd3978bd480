//! The whole path of issue 6 over loopback, with real peers:
//! - SIPp registers as the demo agent's phone (digest), then waits as a UAS
//!   that echoes RTP (`-rtp_echo`);
//! - the agent logs in to the console API and opens the WebSocket;
//! - SIPp calls as a known citizen, presses 1 (housing) by RFC 4733 and
//!   talks;
//! - the screen-pop arrives with the citizen, their open case and the IVR
//!   choice before the agent's phone rings; the call is bridged and RTP
//!   flows both ways; the citizen hangs up;
//! - the agent saves a case and a disposition; the call record and the
//!   citizen's history show agent, wait, disposition and case.

mod support;

use std::time::Duration;

use serde_json::json;
use support::console::ConsoleClient;
use support::{agent_path_scripts, agent_phone, sipp_available, Hotline};

/// The share of a signal's power at `freq` (Goertzel), over its loud part.
fn tone_share(samples: &[i16], freq: f64) -> f64 {
    let loud: Vec<f64> = samples
        .iter()
        .map(|&s| f64::from(s))
        .skip_while(|s| s.abs() < 500.0)
        .collect();
    if loud.is_empty() {
        return 0.0;
    }
    let w = std::f64::consts::TAU * freq / 8000.0;
    let (mut s1, mut s2) = (0.0, 0.0);
    for x in &loud {
        let s0 = x + 2.0 * w.cos() * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let tone = (s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2) * 2.0 / loud.len() as f64;
    let total: f64 = loud.iter().map(|x| x * x).sum();
    tone / total
}

#[test]
fn a_citizen_reaches_an_agent_who_sees_them_and_saves_a_case() {
    if !sipp_available("a_citizen_reaches_an_agent_who_sees_them_and_saves_a_case") {
        return;
    }
    let scripts = agent_path_scripts();
    let scripts_dir = scripts.path().display().to_string();
    let hotline = Hotline::start_with_args(
        &["--demo"],
        &[
            ("HOTLINE_IVR_SCRIPTS_DIR", &scripts_dir),
            ("HOTLINE_IVR_SCRIPT", "agent_path"),
            ("HOTLINE_CONSOLE_SECURE_COOKIES", "false"),
        ],
    );

    // The agent's phone registers, then waits for calls on the same port.
    let phone = agent_phone(&hotline, "agent1", "agent1-sip-pass");

    // The agent logs in to the console and starts taking calls.
    let agent = ConsoleClient::login(hotline.http, "agent1", "agent1-demo-pass");
    let socket = agent.open_socket();
    let started = agent.post("/api/agent/login", json!({}));
    assert_eq!(started.status, 200, "{started:?}");
    assert!(
        socket.wait_for_state("available", Duration::from_secs(5)),
        "{:?}",
        socket.all()
    );

    // The citizen calls and presses 1 (housing).
    let citizen = support::citizen_reaching_an_agent(&hotline);

    let (_, pop) = socket
        .wait_for("pop", Duration::from_secs(20))
        .unwrap_or_else(|| panic!("no screen-pop: {:?}\n{}", socket.all(), hotline.log()));
    assert_eq!(pop["caller"], "13800138000", "{pop}");
    assert_eq!(pop["queue"], "housing", "{pop}");
    assert_eq!(
        pop["citizens"][0]["citizen"]["full_name"], "Chen Jing",
        "{pop}"
    );
    assert!(
        pop["citizens"][0]["open_cases"]
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "the demo citizen's open case is shown: {pop}"
    );
    assert!(
        pop["ivr_path"]
            .as_array()
            .is_some_and(|p| p.iter().any(|n| n == "subject")),
        "{pop}"
    );
    assert!(
        pop["ivr_vars"].to_string().contains("subject"),
        "the key pressed at the menu is shown: {pop}"
    );
    let call = pop["call"].as_str().expect("the call id").to_owned();

    // The phone rang only after the pop was handed to the agent's socket
    // (the client reads it a moment later on its own thread).
    assert!(hotline.wait_for_log("ringing the agent's phone", Duration::from_secs(10)));
    let log = hotline.log();
    let popped = log.find("screen-pop handed to the agent's console");
    let rang = log.find("ringing the agent's phone");
    assert!(
        popped.is_some() && popped < rang,
        "the pop comes first: {popped:?} < {rang:?}"
    );

    let (_, answered) = socket
        .wait_for("answered", Duration::from_secs(10))
        .unwrap_or_else(|| panic!("not answered: {:?}\n{}", socket.all(), hotline.log()));
    assert_eq!(answered["call"], call.as_str());

    // The supervisors' wallboard has the queue with its agent on the call.
    let supervisor = ConsoleClient::login(hotline.http, "supervisor1", "supervisor1-demo-pass");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mut board = supervisor.get("/api/wallboard");
    while !board.body.to_string().contains("on_call") && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        board = supervisor.get("/api/wallboard");
    }
    assert_eq!(board.status, 200, "{board:?}");
    assert!(board.body.to_string().contains("housing"), "{}", board.body);

    // The agent opens a case for the citizen while they talk.
    let citizen_id = pop["citizens"][0]["citizen"]["id"].clone();
    let case = agent.post(
        "/api/cases",
        json!({
            "call": call,
            "citizen": citizen_id,
            "category": "complaint",
            "department": "Housing",
            "summary": "Broken lift at building 3 since Monday",
        }),
    );
    assert_eq!(case.status, 201, "{case:?}");
    let case_ref = case.body["case_ref"]
        .as_str()
        .expect("a case ref")
        .to_owned();

    // The citizen hangs up; the agent is in wrap-up, then sets a disposition.
    let citizen = citizen.wait(Duration::from_secs(40));
    assert!(citizen.succeeded(), "citizen: {}", citizen.errors());
    assert!(
        socket.wait_for_state("wrap_up", Duration::from_secs(10)),
        "{:?}",
        socket.all()
    );
    let wrapped = agent.post(
        &format!("/api/calls/{call}/wrap_up"),
        json!({ "disposition": "case_opened" }),
    );
    assert_eq!(wrapped.status, 200, "{wrapped:?}");
    let phone = phone.wait(Duration::from_secs(10));
    assert!(phone.succeeded(), "agent phone: {}", phone.errors());

    // RTP flowed both ways through the bridge: the phone echoed what the
    // hotline relayed from the citizen.
    assert!(hotline.wait_for_log("agent leg figures", Duration::from_secs(5)));
    let figures: serde_json::Value = hotline
        .log()
        .lines()
        .find(|l| l.contains("agent leg figures"))
        .and_then(|l| serde_json::from_str(l).ok())
        .expect("agent leg figures");
    let received = figures["fields"]["rtp_received"].as_u64().unwrap_or(0);
    let sent = figures["fields"]["rtp_sent"].as_u64().unwrap_or(0);
    assert!(
        received > 50 && sent > 50,
        "RTP both ways on the agent leg: {figures}"
    );

    // Operators see the queues and the ACD's decisions in /metrics.
    let metrics = hotline.metrics();
    for needle in [
        "hotline_queue_waiting{queue=\"housing\"}",
        "hotline_queue_agents{queue=\"housing\",state=\"wrap_up\"}",
        "hotline_acd_decisions_total{kind=\"agent_answered\"} 1",
        "hotline_console_sockets 1",
    ] {
        assert!(metrics.contains(needle), "{needle} in /metrics:\n{metrics}");
    }

    let (status, data) = hotline.stop_keeping_data();
    assert!(status.success());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let data_dir = data.path();
        let key = std::fs::read(data_dir.join("national_id.key")).expect("the key");
        let url = format!("sqlite://{}/hotline.db", data_dir.display());
        let store = hotline_store::Store::connect(&url, key)
            .await
            .expect("open the store");
        let call_id = hotline_types::CallId(call.parse().expect("a uuid"));
        let record = store
            .call_record(call_id)
            .await
            .expect("query")
            .expect("a call record");
        assert_eq!(record.queue.as_deref(), Some("housing"), "{record:?}");
        assert_eq!(record.agent.as_deref(), Some("agent1"), "{record:?}");
        assert_eq!(
            record.disposition.as_deref(),
            Some("case_opened"),
            "{record:?}"
        );
        assert_eq!(
            record.case_ref.as_deref(),
            Some(case_ref.as_str()),
            "{record:?}"
        );
        assert!(
            record.wait_ms.is_some() && record.talk_ms.is_some(),
            "{record:?}"
        );
        let audit =
            hotline_store::AuditContext::for_call("test", call_id, hotline_types::Timestamp(0));
        let history = store
            .citizen_by_phone(&audit, "13800138000")
            .await
            .expect("the citizen");
        let calls = &history[0].recent_calls;
        assert!(
            calls
                .iter()
                .any(|c| c.call_id == call && c.agent.as_deref() == Some("agent1")),
            "the citizen's history shows the call: {calls:?}"
        );
        // The conversation was recorded in stereo: the citizen's 440 Hz tone
        // on the left, what they heard (the agent's phone echoing it) on the right.
        let recording = record
            .recording
            .clone()
            .expect("a recording in the call record");
        let mut wav = hound::WavReader::open(&recording).expect("the recording is a WAV");
        let spec = wav.spec();
        assert_eq!((spec.channels, spec.sample_rate), (2, 8000), "{spec:?}");
        let samples: Vec<i16> = wav.samples::<i16>().map(|s| s.expect("sample")).collect();
        let left: Vec<i16> = samples.iter().step_by(2).copied().collect();
        let right: Vec<i16> = samples.iter().skip(1).step_by(2).copied().collect();
        assert!(
            left.len() > 8000 * 3,
            "seconds of conversation: {}",
            left.len()
        );
        for (side, channel) in [("citizen", &left), ("agent", &right)] {
            let share = tone_share(channel, 440.0);
            assert!(
                share > 0.5,
                "the {side} channel carries the 440 Hz voice: {share:.2}"
            );
        }
        // The agent's states went to the store: occupancy counts the call.
        let now = hotline_types::Timestamp::from_system_time(std::time::SystemTime::now());
        let quarter = 15 * 60 * 1000;
        let query = hotline_store::ReportQuery::new(
            hotline_types::Timestamp(now.as_millis() / quarter * quarter - 4 * quarter),
            hotline_types::Timestamp(now.as_millis() / quarter * quarter + quarter),
            hotline_store::Bucket::Whole,
            480,
        );
        let occupancy = store.occupancy(&query).await.expect("occupancy");
        let agent1 = occupancy
            .iter()
            .find(|r| r.agent == "agent1")
            .unwrap_or_else(|| panic!("agent1's states are stored: {occupancy:?}"));
        assert!(
            agent1.on_call_ms > 1_000 && agent1.available_ms > 0,
            "{agent1:?}"
        );
        assert!(
            history[0]
                .open_cases
                .iter()
                .any(|c| c.case_ref.to_string() == case_ref || c.case_ref.digits() == case_ref),
            "and the new case"
        );
    });
}
