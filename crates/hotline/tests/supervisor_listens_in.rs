//! A supervisor joins a conversation from the wallboard's API with real
//! phones: agent1 (housing) talks with a SIPp citizen; supervisor1 asks to
//! listen, their own SIPp phone rings and answers and the call's log has
//! `monitor_started` (listen); a change to whisper is logged again; stop
//! hangs their phone up (`monitor_ended`) while citizen and agent talk on.
//! Every step is in the call's audit trail. Refused: an agent not talking,
//! an agent not on the supervisor's wallboard, an agent asking.
//! (The mixing itself, who hears whom, is proven in hotline-media's
//! tests over real UDP.)

mod support;

use std::time::Duration;

use serde_json::json;
use support::console::ConsoleClient;
use support::{
    agent_path_scripts, agent_phone, scenario, sipp_available, sipp_with_files, voice_ulaw, Hotline,
};

#[test]
fn a_supervisor_listens_whispers_then_leaves_and_each_step_is_audited() {
    if !sipp_available("a_supervisor_listens_whispers_then_leaves_and_each_step_is_audited") {
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
            ("HOTLINE_CONSOLE_ADMIN_PASSWORD", "admin-test-pass"),
        ],
    );
    let agent_phone_1 = agent_phone(&hotline, "agent1", "agent1-sip-pass");
    let agent = ConsoleClient::login(hotline.http, "agent1", "agent1-demo-pass");
    let agent_socket = agent.open_socket();
    assert_eq!(agent.post("/api/agent/login", json!({})).status, 200);
    let supervisor = ConsoleClient::login(hotline.http, "supervisor1", "supervisor1-demo-pass");
    let monitor = |who: &ConsoleClient, agent: &str, mode: &str| {
        who.post(
            &format!("/api/supervisor/agents/{agent}/monitor"),
            json!({ "mode": mode }),
        )
    };

    let idle = monitor(&supervisor, "agent1", "listen");
    assert_eq!(idle.status, 409, "agent1 is not talking: {idle:?}");
    assert_eq!(idle.body["code"], "not_talking", "{idle:?}");
    assert_eq!(idle.body["agent"], "agent1", "{idle:?}");
    let nobody = monitor(&supervisor, "agent9", "listen");
    assert_eq!(nobody.status, 404, "{nobody:?}");
    let bad = monitor(&supervisor, "agent1", "shout");
    assert_eq!(bad.status, 400, "not a mode: {bad:?}");

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
    agent_socket
        .wait_for("answered", Duration::from_secs(20))
        .unwrap_or_else(|| panic!("agent1 never answered:\n{}", hotline.log()));
    let (_, pop) = agent_socket
        .wait_for("pop", Duration::from_secs(1))
        .expect("pop");
    let call = pop["call"].as_str().expect("call id").to_owned();

    let unregistered = monitor(&supervisor, "agent1", "listen");
    assert_eq!(
        unregistered.status, 409,
        "the supervisor's phone is not registered yet: {unregistered:?}"
    );
    assert_eq!(unregistered.body["code"], "phone_not_registered");
    assert_eq!(unregistered.body["sip_user"], "supervisor1");
    let supervisor_phone = agent_phone(&hotline, "supervisor1", "supervisor1-sip-pass");
    let by_agent = monitor(&agent, "agent1", "listen");
    assert_eq!(by_agent.status, 403, "agents do not monitor: {by_agent:?}");

    let listen = monitor(&supervisor, "agent1", "listen");
    assert_eq!(listen.status, 200, "listen: {listen:?}");
    assert_eq!(listen.body["call"], call.as_str());
    let started = hotline.wait_for_events("monitor_started", 1, Duration::from_secs(10));
    assert_eq!(
        started.len(),
        1,
        "the supervisor's phone answered:\n{}",
        hotline.log()
    );
    assert_eq!(started[0]["event"]["mode"], "listen");
    assert_eq!(started[0]["event"]["supervisor"], "supervisor1");

    let whisper = monitor(&supervisor, "agent1", "whisper");
    assert_eq!(whisper.status, 200, "whisper: {whisper:?}");
    let started = hotline.wait_for_events("monitor_started", 2, Duration::from_secs(10));
    assert_eq!(started.len(), 2);
    assert_eq!(started[1]["event"]["mode"], "whisper");

    let stop = monitor(&supervisor, "agent1", "stop");
    assert_eq!(stop.status, 200, "stop: {stop:?}");
    let ended = hotline.wait_for_events("monitor_ended", 1, Duration::from_secs(10));
    assert_eq!(ended.len(), 1);
    let phone = supervisor_phone.wait(Duration::from_secs(10));
    assert!(
        phone.succeeded(),
        "the supervisor's phone was called and hung up: {}",
        phone.errors()
    );
    let again = monitor(&supervisor, "agent1", "stop");
    assert_eq!(again.status, 409, "not on the call any more: {again:?}");
    assert_eq!(again.body["code"], "not_monitored", "{again:?}");

    // Citizen and agent talked on until the citizen hung up.
    let citizen = citizen.wait(Duration::from_secs(60));
    assert!(citizen.succeeded(), "citizen: {}", citizen.errors());
    drop(agent_phone_1);
    let kinds: Vec<String> = hotline
        .events()
        .into_iter()
        .filter(|e| e["call"] == call.as_str())
        .filter_map(|e| e["kind"].as_str().map(str::to_owned))
        .collect();
    let at = |kind: &str| kinds.iter().position(|k| k == kind);
    assert!(at("monitor_ended") < at("ended"), "{kinds:?}");
    assert!(
        !kinds.iter().any(|k| k == "hold_started"),
        "the citizen never held: {kinds:?}"
    );

    let admin = ConsoleClient::login(hotline.http, "admin", "admin-test-pass");
    let trail = admin.get(&format!("/api/audit?call={call}"));
    assert_eq!(trail.status, 200, "{trail:?}");
    let mut actions: Vec<&str> = trail
        .body
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["actor"] == "supervisor1")
        .filter_map(|e| e["action"].as_str())
        .collect();
    actions.reverse();
    assert_eq!(
        actions,
        ["monitor_listen", "monitor_whisper", "monitor_end"],
        "{:?}",
        trail.body
    );
}
