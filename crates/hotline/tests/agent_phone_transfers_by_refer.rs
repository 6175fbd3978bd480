//! An agent transfers from the phone itself: after answering, the phone
//! sends REFER to the transport queue (a phone's transfer key). The hotline
//! accepts it (202), releases the phone, and queues the citizen for
//! transport, where the other department's agent answers.

mod support;

use std::time::Duration;

use serde_json::json;
use support::console::ConsoleClient;
use support::{
    agent_path_scripts, agent_phone, agent_phone_running, scenario, sipp_available, Hotline,
};

#[test]
fn a_refer_from_the_agents_phone_transfers_to_a_queue() {
    if !sipp_available("a_refer_from_the_agents_phone_transfers_to_a_queue") {
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
    let refer_scenario = scenario("agent_phone_refers.xml");
    let housing_phone = agent_phone_running(
        &hotline,
        "agent1",
        "agent1-sip-pass",
        &["-sf", &refer_scenario],
    );
    let transport_phone = agent_phone(&hotline, "agent2", "agent2-sip-pass");
    for (login, password) in [
        ("agent1", "agent1-demo-pass"),
        ("agent2", "agent2-demo-pass"),
    ] {
        let agent = ConsoleClient::login(hotline.http, login, password);
        assert_eq!(agent.post("/api/agent/login", json!({})).status, 200);
    }

    let citizen = support::citizen_reaching_an_agent(&hotline);
    let housing_phone = housing_phone.wait(Duration::from_secs(20));
    assert!(
        housing_phone.succeeded(),
        "the phone's REFER is accepted and the phone released: {}\n{}",
        housing_phone.errors(),
        hotline.log()
    );
    let transferred = hotline.wait_for_events("transferred", 1, Duration::from_secs(5));
    assert_eq!(transferred.len(), 1, "{}", hotline.log());
    assert_eq!(transferred[0]["event"]["to"], "transport");
    assert_eq!(transferred[0]["event"]["by"], "agent1");
    let answered = hotline.wait_for_events("agent_answered", 2, Duration::from_secs(10));
    assert_eq!(answered.len(), 2, "{}", hotline.log());
    assert_eq!(answered[1]["event"]["agent"], "agent2");
    assert_eq!(answered[1]["event"]["queue"], "transport");
    assert!(citizen.wait(Duration::from_secs(40)).succeeded());
    assert!(transport_phone.wait(Duration::from_secs(10)).succeeded());
}
