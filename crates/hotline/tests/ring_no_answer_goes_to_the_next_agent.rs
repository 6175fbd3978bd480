//! Ring-no-answer over SIP: the first agent's phone rings and is never
//! picked up; after the queue's ring timeout the hotline cancels it (CANCEL,
//! 487 acknowledged), records the ring-no-answer, sets that agent not ready,
//! and offers the call to the next agent of the queue, who answers.

mod support;

use std::time::Duration;

use serde_json::json;
use support::console::ConsoleClient;
use support::{
    agent_path_scripts, agent_phone, agent_phone_running, scenario, sipp_available, Hotline,
};

const CONFIG: &str = r#"
[[queues]]
name = "housing"
department = "Housing"
strategy = "longest_idle"
ring_timeout_secs = 2

[[queues]]
name = "transport"
department = "Transport"
"#;

#[test]
fn ring_no_answer_goes_to_the_next_agent() {
    if !sipp_available("ring_no_answer_goes_to_the_next_agent") {
        return;
    }
    let scripts = agent_path_scripts();
    let scripts_dir = scripts.path().display().to_string();
    let config_dir = tempfile::tempdir().expect("temp dir");
    let config = config_dir.path().join("hotline.toml");
    std::fs::write(&config, CONFIG).expect("write the configuration");
    let config = config.display().to_string();
    // agent1 and agent6 both serve housing (demo departments go round).
    let hotline = Hotline::start_with_args(
        &["--demo", "--demo-agents", "6"],
        &[
            ("HOTLINE_CONFIG", &config),
            ("HOTLINE_IVR_SCRIPTS_DIR", &scripts_dir),
            ("HOTLINE_IVR_SCRIPT", "agent_path"),
            ("HOTLINE_CONSOLE_SECURE_COOKIES", "false"),
        ],
    );
    let rings_out = scenario("agent_phone_rings_out.xml");
    let silent_phone =
        agent_phone_running(&hotline, "agent1", "agent1-sip-pass", &["-sf", &rings_out]);
    let answering_phone = agent_phone(&hotline, "agent6", "agent6-sip-pass");
    // agent1 logs in first, so is the longest idle: their phone rings first.
    let first = ConsoleClient::login(hotline.http, "agent1", "agent1-demo-pass");
    let first_socket = first.open_socket();
    assert_eq!(first.post("/api/agent/login", json!({})).status, 200);
    std::thread::sleep(Duration::from_millis(200));
    let second = ConsoleClient::login(hotline.http, "agent6", "agent6-demo-pass");
    assert_eq!(second.post("/api/agent/login", json!({})).status, 200);

    let citizen = support::citizen_reaching_an_agent(&hotline);
    let silent_phone = silent_phone.wait(Duration::from_secs(20));
    assert!(
        silent_phone.succeeded(),
        "the ringing phone is cancelled: {}\n{}",
        silent_phone.errors(),
        hotline.log()
    );
    let rna = hotline.wait_for_events("ring_no_answer", 1, Duration::from_secs(5));
    assert_eq!(rna.len(), 1, "{}", hotline.log());
    assert_eq!(rna[0]["event"]["agent"], "agent1");
    let ring_ms = rna[0]["event"]["ring_ms"].as_u64().unwrap_or(0);
    assert!(
        (2_000..3_000).contains(&ring_ms),
        "rang for the timeout: {ring_ms}"
    );
    assert!(
        first_socket.wait_for_state("break", Duration::from_secs(5)),
        "agent1 is set not ready: {:?}",
        first_socket.all()
    );
    let answered = hotline.wait_for_events("agent_answered", 1, Duration::from_secs(10));
    assert_eq!(answered.len(), 1, "{}", hotline.log());
    assert_eq!(answered[0]["event"]["agent"], "agent6");
    let offered: Vec<_> = hotline
        .events()
        .into_iter()
        .filter(|e| e["kind"] == "offered")
        .map(|e| e["event"]["agent"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(offered, ["agent1", "agent6"]);
    assert!(citizen.wait(Duration::from_secs(40)).succeeded());
    assert!(answering_phone.wait(Duration::from_secs(10)).succeeded());
}
