//! Attended transfer from the console, with real phones: agent1 (housing)
//! consults the transport queue while the citizen holds; agent2's console
//! pops the call (consulted by agent1) and their phone rings and answers;
//! agent1 takes the citizen back (agent2's phone is hung up), consults
//! again and completes: agent1's phone is released and wraps up, agent2
//! talks with the citizen until the citizen hangs up. The call record has
//! both consultations, the hold around each, and the attended transfer.

mod support;

use std::time::Duration;

use serde_json::json;
use support::console::ConsoleClient;
use support::{
    agent_path_scripts, agent_phone, agent_phone_running, scenario, sipp_available,
    sipp_with_files, voice_ulaw, Hotline,
};

#[test]
fn an_agent_consults_a_colleague_returns_then_puts_the_citizen_through() {
    if !sipp_available("an_agent_consults_a_colleague_returns_then_puts_the_citizen_through") {
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
    // agent1 serves housing, agent2 transport.
    let housing_phone = agent_phone(&hotline, "agent1", "agent1-sip-pass");
    // agent2's phone answers both consultations.
    let transport_phone = agent_phone_running(
        &hotline,
        "agent2",
        "agent2-sip-pass",
        &["-sn", "uas", "-rtp_echo", "-m", "2"],
    );
    let housing = ConsoleClient::login(hotline.http, "agent1", "agent1-demo-pass");
    let transport = ConsoleClient::login(hotline.http, "agent2", "agent2-demo-pass");
    let housing_socket = housing.open_socket();
    let transport_socket = transport.open_socket();
    assert_eq!(housing.post("/api/agent/login", json!({})).status, 200);
    assert_eq!(transport.post("/api/agent/login", json!({})).status, 200);

    let citizen = sipp_with_files(
        hotline.sip,
        &[
            "-sf",
            &scenario("citizen_talks_through_a_transfer.xml"),
            "-s",
            "12345",
            "-m",
            "1",
        ],
        &[("voice.ul", &voice_ulaw(28))],
        Duration::from_secs(60),
    );
    let (_, pop) = housing_socket
        .wait_for("pop", Duration::from_secs(20))
        .unwrap_or_else(|| panic!("no pop for agent1:\n{}", hotline.log()));
    let call = pop["call"].as_str().expect("call id").to_owned();
    housing_socket
        .wait_for("answered", Duration::from_secs(10))
        .expect("agent1 answered");

    // First consultation: agent1 takes the citizen back.
    let consult = |body| housing.post(&format!("/api/calls/{call}/consult"), body);
    let asked = consult(json!({ "queue": "transport" }));
    assert_eq!(asked.status, 200, "consult: {asked:?}");
    assert_eq!(asked.body["consulting"], "agent2");
    let (_, consult_pop) = transport_socket
        .wait_for("pop", Duration::from_secs(10))
        .unwrap_or_else(|| panic!("no consult pop for agent2:\n{}", hotline.log()));
    assert_eq!(consult_pop["call"], call.as_str());
    assert_eq!(consult_pop["consulted_by"], "agent1");
    assert!(
        transport_socket.wait_for_state("on_call", Duration::from_secs(10)),
        "agent2's phone answered the consultation: {:?}",
        transport_socket.all()
    );
    let refused = transport.post(&format!("/api/calls/{call}/consult/complete"), json!({}));
    assert_eq!(refused.status, 409, "only agent1 completes: {refused:?}");
    let back = housing.post(&format!("/api/calls/{call}/consult/return"), json!({}));
    assert_eq!(back.status, 204, "return: {back:?}");
    let (_, ended) = housing_socket
        .wait_for("consult_ended", Duration::from_secs(10))
        .expect("agent1 hears the consultation ended");
    assert_eq!(ended["outcome"], "returned");
    // Available once at login, again when the consultation ended.
    assert!(
        transport_socket.wait_for_state_times("available", 2, Duration::from_secs(10)),
        "agent2 is free again: {:?}",
        transport_socket.all()
    );

    // Second consultation, completed.
    let asked = consult(json!({ "agent": "agent2" }));
    assert_eq!(asked.status, 200, "consult again: {asked:?}");
    assert!(
        transport_socket.wait_for_state_times("on_call", 2, Duration::from_secs(10)),
        "agent2 answered again: {:?}",
        transport_socket.all()
    );
    let done = housing.post(&format!("/api/calls/{call}/consult/complete"), json!({}));
    assert_eq!(done.status, 204, "complete: {done:?}");
    assert!(
        housing_socket.wait_for_state("wrap_up", Duration::from_secs(5)),
        "agent1 wraps up after the transfer: {:?}",
        housing_socket.all()
    );

    let citizen = citizen.wait(Duration::from_secs(60));
    assert!(citizen.succeeded(), "citizen: {}", citizen.errors());
    assert!(
        transport_socket.wait_for_state("wrap_up", Duration::from_secs(10)),
        "agent2 talked with the citizen until they hung up: {:?}",
        transport_socket.all()
    );
    drop(housing_phone);
    drop(transport_phone);

    let events: Vec<_> = hotline
        .events()
        .into_iter()
        .filter(|e| e["call"] == call.as_str())
        .collect();
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["kind"].as_str()).collect();
    let consults: Vec<_> = events
        .iter()
        .filter(|e| e["kind"] == "consult_ended")
        .map(|e| {
            e["event"]["outcome"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(consults, ["returned", "completed"], "{kinds:?}");
    assert_eq!(
        kinds.iter().filter(|k| **k == "consult_started").count(),
        2,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "hold_started").count(),
        2,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "hold_ended").count(),
        2,
        "{kinds:?}"
    );
    let transferred = events
        .iter()
        .find(|e| e["kind"] == "transferred")
        .expect("transferred");
    assert_eq!(transferred["event"]["to"], "agent2");
    assert_eq!(transferred["event"]["kind"], "attended");
    assert_eq!(transferred["event"]["by"], "agent1");
}
