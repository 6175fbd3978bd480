//! Ring-all over SIP: a call offered to every free agent of the queue
//! rings every one of their phones at once; the first to answer takes it
//! and the others' phones get CANCEL (their INVITE 487), with no
//! ring-no-answer and no break for agents whose phone rang for nothing.

mod support;

use std::time::Duration;

use serde_json::json;
use support::console::ConsoleClient;
use support::{agent_path_scripts, agent_phone_running, scenario, sipp_available, Hotline};

const CONFIG: &str = r#"
[[queues]]
name = "housing"
department = "Housing"
strategy = "ring_all"
ring_timeout_secs = 20

[[queues]]
name = "transport"
department = "Transport"
"#;

#[test]
fn ring_all_rings_every_phone_and_the_first_answer_wins() {
    if !sipp_available("ring_all_rings_every_phone_and_the_first_answer_wins") {
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
    // agent1's phone rings and is never picked up; agent6's is picked up
    // after a second's ring (a phone answering within a millisecond could
    // beat agent1's ring, which waits for agent1's screen-pop).
    let rings_out = scenario("agent_phone_rings_out.xml");
    let ringing_phone =
        agent_phone_running(&hotline, "agent1", "agent1-sip-pass", &["-sf", &rings_out]);
    let answers = scenario("agent_phone_answers_after_a_ring.xml");
    let answering_phone = agent_phone_running(
        &hotline,
        "agent6",
        "agent6-sip-pass",
        &["-sf", &answers, "-rtp_echo"],
    );
    let first = ConsoleClient::login(hotline.http, "agent1", "agent1-demo-pass");
    let first_socket = first.open_socket();
    assert_eq!(first.post("/api/agent/login", json!({})).status, 200);
    let second = ConsoleClient::login(hotline.http, "agent6", "agent6-demo-pass");
    assert_eq!(second.post("/api/agent/login", json!({})).status, 200);

    let citizen = support::citizen_reaching_an_agent(&hotline);
    // Both phones ring: agent6 answers after a second, agent1's is cancelled well
    // before the 20 s ring timeout.
    let ringing_phone = ringing_phone.wait(Duration::from_secs(15));
    assert!(
        ringing_phone.succeeded(),
        "agent1's phone rang and was cancelled: {}\n{}",
        ringing_phone.errors(),
        hotline.log()
    );
    let answered = hotline.wait_for_events("agent_answered", 1, Duration::from_secs(5));
    assert_eq!(answered.len(), 1, "{}", hotline.log());
    assert_eq!(answered[0]["event"]["agent"], "agent6");
    let mut offered: Vec<_> = hotline
        .events()
        .into_iter()
        .filter(|e| e["kind"] == "offered")
        .map(|e| e["event"]["agent"].as_str().unwrap_or_default().to_owned())
        .collect();
    offered.sort();
    assert_eq!(offered, ["agent1", "agent6"], "offered to both at once");
    assert!(
        hotline
            .wait_for_events("ring_no_answer", 1, Duration::from_millis(500))
            .is_empty(),
        "a phone cancelled because another answered is no ring-no-answer:\n{}",
        hotline.log()
    );
    assert!(
        !first_socket.wait_for_state("break", Duration::from_millis(500)),
        "agent1 is not put on a break: {:?}",
        first_socket.all()
    );
    assert!(citizen.wait(Duration::from_secs(40)).succeeded());
    assert!(answering_phone.wait(Duration::from_secs(10)).succeeded());
}
