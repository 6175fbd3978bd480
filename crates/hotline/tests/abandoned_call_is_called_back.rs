//! Missed calls called back: with `callback_abandoned` on the housing
//! queue, a citizen who gives up waiting (every agent on a break) is on
//! the callback list as `abandoned`; when the agent comes back their phone
//! rings first, then the trunk dials the citizen, and the attempt is
//! recorded as talked.

mod support;

use std::time::Duration;

use serde_json::json;
use support::console::ConsoleClient;
use support::{
    agent1_on_a_break, agent_path_scripts, free_port, sipp_available, trunk_answering_one_call,
    Hotline,
};

const CONFIG: &str = r#"
[[queues]]
name = "housing"
department = "Housing"
callback_abandoned = true

[[queues]]
name = "transport"
department = "Transport"
"#;

#[test]
fn a_citizen_who_gives_up_waiting_is_called_back() {
    if !sipp_available("a_citizen_who_gives_up_waiting_is_called_back") {
        return;
    }
    let scripts = agent_path_scripts();
    let scripts_dir = scripts.path().display().to_string();
    let config_dir = tempfile::tempdir().expect("temp dir");
    let config = config_dir.path().join("hotline.toml");
    std::fs::write(&config, CONFIG).expect("write the configuration");
    let config = config.display().to_string();
    let trunk_port = free_port();
    let outbound = format!("sip:{{number}}@127.0.0.1:{trunk_port}");
    let hotline = Hotline::start_with_args(
        &["--demo"],
        &[
            ("HOTLINE_CONFIG", &config),
            ("HOTLINE_IVR_SCRIPTS_DIR", &scripts_dir),
            ("HOTLINE_IVR_SCRIPT", "agent_path"),
            ("HOTLINE_CONSOLE_SECURE_COOKIES", "false"),
            ("HOTLINE_SIP_OUTBOUND_URI", &outbound),
        ],
    );
    let (phone, agent) = agent1_on_a_break(&hotline);
    let socket = agent.open_socket();
    let trunk = trunk_answering_one_call(trunk_port);

    // The citizen queues for housing, waits 9 s and hangs up.
    let citizen = support::citizen_reaching_an_agent(&hotline).wait(Duration::from_secs(40));
    assert!(citizen.succeeded(), "{}", citizen.errors());
    let abandoned = hotline.wait_for_events("abandoned", 1, Duration::from_secs(5));
    assert_eq!(abandoned.len(), 1, "{}", hotline.log());
    let original = abandoned[0]["call"].as_str().expect("call id").to_owned();
    assert!(
        hotline.wait_for_log("callback on the list", Duration::from_secs(5)),
        "{}",
        hotline.log()
    );
    let supervisor = ConsoleClient::login(hotline.http, "supervisor1", "supervisor1-demo-pass");
    let listed = supervisor.get("/api/callbacks").body;
    let entry = listed
        .as_array()
        .and_then(|all| all.iter().find(|c| c["call"] == original.as_str()))
        .cloned()
        .unwrap_or_else(|| panic!("on the list: {listed}"));
    assert_eq!(entry["kind"], "abandoned", "{entry}");
    assert_eq!(entry["number"], "138****8000", "masked: {entry}");

    // The agent comes back: their phone rings first, then the trunk dials
    // the citizen, who answers.
    assert_eq!(
        agent
            .post("/api/agent/state", json!({ "state": "available" }))
            .status,
        200
    );
    let (_, pop) = socket
        .wait_for("pop", Duration::from_secs(15))
        .unwrap_or_else(|| panic!("no pop: {:?}\n{}", socket.all(), hotline.log()));
    assert_eq!(pop["callback"], true, "{pop}");
    assert_eq!(pop["call"], original.as_str(), "{pop}");
    let placed = hotline.wait_for_events("callback_placed", 1, Duration::from_secs(10));
    assert_eq!(placed.len(), 1, "{}", hotline.log());
    assert!(
        hotline.wait_for_log("callback: dialling the citizen", Duration::from_secs(10)),
        "{}",
        hotline.log()
    );
    std::thread::sleep(Duration::from_secs(2));
    let hung_up = agent.post(&format!("/api/calls/{original}/hangup"), json!({}));
    assert_eq!(hung_up.status, 204, "{hung_up:?}");
    assert!(trunk.wait(Duration::from_secs(10)).succeeded());
    assert!(phone.wait(Duration::from_secs(10)).succeeded());
    // The list records the promise kept.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let listed = supervisor.get("/api/callbacks").body;
        let status = listed
            .as_array()
            .and_then(|all| all.iter().find(|c| c["call"] == original.as_str()))
            .map(|c| c["status"].clone());
        if status.as_ref().is_some_and(|s| s == "done") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the callback is done: {listed}\n{}",
            hotline.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
