//! An agent puts the citizen on hold, resumes, then transfers the call
//! blind to another department's queue from the console: their own phone is
//! released, the other department's agent gets the pop for the same call
//! and answers, and the call record links it all (two queue entries, the
//! transfer by the first agent, the second agent's answer).

mod support;

use std::time::Duration;

use serde_json::json;
use support::console::ConsoleClient;
use support::{agent_path_scripts, agent_phone, sipp_available, Hotline};

#[test]
fn an_agent_holds_then_transfers_to_another_department() {
    if !sipp_available("an_agent_holds_then_transfers_to_another_department") {
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
    let transport_phone = agent_phone(&hotline, "agent2", "agent2-sip-pass");
    let housing = ConsoleClient::login(hotline.http, "agent1", "agent1-demo-pass");
    let transport = ConsoleClient::login(hotline.http, "agent2", "agent2-demo-pass");
    let housing_socket = housing.open_socket();
    let transport_socket = transport.open_socket();
    assert_eq!(housing.post("/api/agent/login", json!({})).status, 200);
    assert_eq!(transport.post("/api/agent/login", json!({})).status, 200);

    let citizen = support::citizen_reaching_an_agent(&hotline);
    let (_, pop) = housing_socket
        .wait_for("pop", Duration::from_secs(20))
        .unwrap_or_else(|| panic!("no pop for agent1:\n{}", hotline.log()));
    let call = pop["call"].as_str().expect("call id").to_owned();
    housing_socket
        .wait_for("answered", Duration::from_secs(10))
        .expect("agent1 answered");

    for on in [true, false] {
        let held = housing.post(&format!("/api/calls/{call}/hold"), json!({ "on": on }));
        assert!(held.status / 100 == 2, "hold {on}: {held:?}");
    }
    let moved = housing.post(
        &format!("/api/calls/{call}/transfer"),
        json!({ "queue": "transport" }),
    );
    assert!(moved.status / 100 == 2, "transfer: {moved:?}");
    assert!(
        housing_socket.wait_for_state("wrap_up", Duration::from_secs(5)),
        "agent1 wraps up after the transfer: {:?}",
        housing_socket.all()
    );
    assert!(
        housing_phone.wait(Duration::from_secs(10)).succeeded(),
        "agent1's phone was released"
    );

    let (_, second_pop) = transport_socket
        .wait_for("pop", Duration::from_secs(10))
        .unwrap_or_else(|| panic!("no pop for agent2:\n{}", hotline.log()));
    assert_eq!(second_pop["call"], call.as_str());
    assert_eq!(second_pop["queue"], "transport");
    assert_eq!(second_pop["caller"], "13800138000");
    transport_socket
        .wait_for("answered", Duration::from_secs(10))
        .expect("agent2 answered");

    let citizen = citizen.wait(Duration::from_secs(40));
    assert!(citizen.succeeded(), "citizen: {}", citizen.errors());
    assert!(transport_phone.wait(Duration::from_secs(10)).succeeded());

    let events: Vec<_> = hotline
        .events()
        .into_iter()
        .filter(|e| e["call"] == call.as_str())
        .collect();
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["kind"].as_str()).collect();
    let position = |kind: &str| kinds.iter().position(|k| *k == kind);
    assert!(
        position("hold_started") < position("hold_ended")
            && position("hold_ended") < position("transferred"),
        "{kinds:?}"
    );
    let transferred = &events[position("transferred").expect("transferred")]["event"];
    assert_eq!(transferred["to"], "transport");
    assert_eq!(transferred["kind"], "queue");
    assert_eq!(transferred["by"], "agent1");
    let answered: Vec<_> = events
        .iter()
        .filter(|e| e["kind"] == "agent_answered")
        .map(|e| e["event"]["agent"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(answered, ["agent1", "agent2"]);
    assert_eq!(kinds.iter().filter(|k| **k == "queued").count(), 2);
}
