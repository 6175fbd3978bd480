//! A queued citizen presses 1 to be called back instead of waiting on the
//! line: the hotline confirms and hangs up, the entry keeps its place, and
//! when the agent becomes available their phone rings first (the pop says
//! it is a callback); once the agent answers, the citizen is dialled through
//! the outbound trunk (a SIPp UAS standing in for it), the two are bridged,
//! and the agent ends the call from the console. The callback is a call of
//! its own, linked to the original one.

mod support;

use std::time::Duration;

use serde_json::json;
use support::console::ConsoleClient;
use support::{
    agent_path_scripts, agent_phone, free_port, scenario, sipp_available, sipp_with_files,
    trunk_answering_one_call, Hotline,
};

#[test]
fn a_callback_keeps_the_callers_place_and_rings_the_agent_first() {
    if !sipp_available("a_callback_keeps_the_callers_place_and_rings_the_agent_first") {
        return;
    }
    let scripts = agent_path_scripts();
    let scripts_dir = scripts.path().display().to_string();
    let trunk_port = free_port();
    let outbound = format!("sip:{{number}}@127.0.0.1:{trunk_port}");
    let hotline = Hotline::start_with_args(
        &["--demo"],
        &[
            ("HOTLINE_IVR_SCRIPTS_DIR", &scripts_dir),
            ("HOTLINE_IVR_SCRIPT", "agent_path"),
            ("HOTLINE_CONSOLE_SECURE_COOKIES", "false"),
            ("HOTLINE_SIP_OUTBOUND_URI", &outbound),
        ],
    );
    let phone = agent_phone(&hotline, "agent1", "agent1-sip-pass");
    // The trunk: answers the callback and echoes the audio.
    let trunk = trunk_answering_one_call(trunk_port);

    // The agent is logged in but on a break: callers wait.
    let agent = ConsoleClient::login(hotline.http, "agent1", "agent1-demo-pass");
    let socket = agent.open_socket();
    assert_eq!(agent.post("/api/agent/login", json!({})).status, 200);
    let on_break = agent.post(
        "/api/agent/state",
        json!({ "state": "break", "reason": "meeting" }),
    );
    assert_eq!(on_break.status, 200, "{on_break:?}");

    let citizen = sipp_with_files(
        hotline.sip,
        &[
            "-sf",
            &scenario("citizen_asks_for_callback.xml"),
            "-s",
            "12345",
            "-m",
            "1",
        ],
        &[],
        Duration::from_secs(30),
    )
    .wait(Duration::from_secs(30));
    assert!(
        citizen.succeeded(),
        "the hotline confirms the callback and hangs up: {}\n{}",
        citizen.errors(),
        hotline.log()
    );
    let requested = hotline.wait_for_events("callback_requested", 1, Duration::from_secs(5));
    assert_eq!(requested.len(), 1, "{requested:?}");
    assert_eq!(requested[0]["event"]["number"], "13800138000");
    let original = requested[0]["call"].as_str().expect("call id").to_owned();
    assert!(
        hotline
            .wait_for_events("abandoned", 1, Duration::from_millis(500))
            .is_empty(),
        "asking for a callback is not an abandon"
    );

    // The agent comes back: the callback is offered to them first.
    assert_eq!(
        agent
            .post("/api/agent/state", json!({ "state": "available" }))
            .status,
        200
    );
    let (_, pop) = socket
        .wait_for("pop", Duration::from_secs(10))
        .unwrap_or_else(|| panic!("no pop: {:?}\n{}", socket.all(), hotline.log()));
    assert_eq!(pop["callback"], true, "{pop}");
    assert_eq!(pop["call"], original.as_str(), "{pop}");
    assert_eq!(pop["caller"], "13800138000", "{pop}");
    socket
        .wait_for("answered", Duration::from_secs(10))
        .unwrap_or_else(|| panic!("not answered: {:?}\n{}", socket.all(), hotline.log()));
    assert!(
        hotline.wait_for_log("callback: dialling the citizen", Duration::from_secs(5)),
        "{}",
        hotline.log()
    );

    // The citizen answers (the trunk), they talk, the agent hangs up.
    let placed = hotline.wait_for_events("callback_placed", 1, Duration::from_secs(5));
    let callback_call = placed[0]["event"]["callback_call"]
        .as_str()
        .expect("callback call id")
        .to_owned();
    let answered = hotline
        .events()
        .into_iter()
        .any(|e| e["call"] == callback_call.as_str() && e["kind"] == "answered");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut answered = answered;
    while !answered && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        answered = hotline
            .events()
            .into_iter()
            .any(|e| e["call"] == callback_call.as_str() && e["kind"] == "answered");
    }
    assert!(
        answered,
        "the citizen answered the callback:\n{}",
        hotline.log()
    );
    std::thread::sleep(Duration::from_secs(1));
    let hung_up = agent.post(&format!("/api/calls/{original}/hangup"), json!({}));
    assert_eq!(hung_up.status, 204, "{hung_up:?}");
    assert!(
        socket.wait_for_state("wrap_up", Duration::from_secs(10)),
        "{:?}",
        socket.all()
    );
    assert!(trunk.wait(Duration::from_secs(10)).succeeded());
    assert!(phone.wait(Duration::from_secs(10)).succeeded());

    let started: Vec<_> = hotline
        .events()
        .into_iter()
        .filter(|e| e["call"] == callback_call.as_str() && e["kind"] == "call_started")
        .collect();
    assert_eq!(started.len(), 1);
    assert_eq!(started[0]["event"]["linked_call"], original.as_str());
    assert_eq!(started[0]["event"]["called"], "13800138000");
    let agent_answered: Vec<_> = hotline
        .wait_for_events("agent_answered", 1, Duration::from_secs(2))
        .into_iter()
        .filter(|e| e["call"] == original.as_str())
        .collect();
    assert_eq!(
        agent_answered.len(),
        1,
        "the agent's answer belongs to the original call"
    );
}
