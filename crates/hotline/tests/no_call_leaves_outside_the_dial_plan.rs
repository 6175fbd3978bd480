//! Toll fraud: whatever arrives, the hotline dials no number outside the
//! configured dial plan. A waiting caller whose caller ID is an
//! international number presses 1 for a callback: it is refused and
//! recorded, and they stay in the queue. An agent's phone REFERs the call to
//! a number instead of a queue: refused and recorded. The outbound trunk
//! (a socket that counts what reaches it) receives nothing either way.
//! (An IVR script can only name configured destinations: that is checked
//! when scripts load; a callback node is checked by the IVR itself, see
//! hotline-ivr's `a_number_outside_the_dial_plan_is_not_called_back`.)

mod support;

use std::time::Duration;

use serde_json::json;
use support::console::ConsoleClient;
use support::trunk::Trunk;
use support::{
    agent_path_scripts, agent_phone_running, scenario, sipp_available, sipp_with_files, voice_ulaw,
    Hotline,
};

fn start(trunk: &Trunk, scripts_dir: &str) -> Hotline {
    Hotline::start_with_args(
        &["--demo"],
        &[
            ("HOTLINE_IVR_SCRIPTS_DIR", scripts_dir),
            ("HOTLINE_IVR_SCRIPT", "agent_path"),
            ("HOTLINE_CONSOLE_SECURE_COOKIES", "false"),
            ("HOTLINE_SIP_OUTBOUND_URI", &trunk.outbound_uri()),
        ],
    )
}

#[test]
fn a_callback_to_an_international_caller_id_is_refused() {
    if !sipp_available("a_callback_to_an_international_caller_id_is_refused") {
        return;
    }
    let trunk = Trunk::new();
    let scripts = agent_path_scripts();
    let hotline = start(&trunk, &scripts.path().display().to_string());
    // The agent is logged in but on a break: the caller waits in the queue.
    let (_phone, _agent) = support::agent1_on_a_break(&hotline);
    let caller = sipp_with_files(
        hotline.sip,
        &[
            "-sf",
            &scenario("caller_outside_dial_plan_asks_for_callback.xml"),
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
        caller.succeeded(),
        "the caller is still waiting, not hung up on: {}\n{}",
        caller.errors(),
        hotline.log()
    );
    let refused = hotline.wait_for_events("dial_refused", 1, Duration::from_secs(5));
    assert_eq!(refused.len(), 1, "{}", hotline.log());
    assert_eq!(refused[0]["event"]["number"], "0019005551234");
    assert_eq!(refused[0]["event"]["purpose"], "callback");
    assert_eq!(refused[0]["event"]["reason"], "outside_dial_plan");
    assert!(hotline
        .wait_for_events("callback_requested", 1, Duration::from_millis(300))
        .is_empty());
    // Hanging up while waiting is an abandon, as for any waiting caller.
    assert_eq!(
        hotline
            .wait_for_events("abandoned", 1, Duration::from_secs(5))
            .len(),
        1
    );
    assert!(!trunk.received_anything(), "nothing reached the trunk");
}

#[test]
fn a_refer_to_a_number_is_refused() {
    if !sipp_available("a_refer_to_a_number_is_refused") {
        return;
    }
    let trunk = Trunk::new();
    let scripts = agent_path_scripts();
    let hotline = start(&trunk, &scripts.path().display().to_string());
    // The agent's phone answers, then asks for a transfer to a premium number.
    let refers = std::fs::read_to_string(scenario("agent_phone_refers.xml"))
        .expect("the REFER scenario")
        .replace(
            "Refer-To: <sip:transport@[remote_ip]:[remote_port]>",
            &format!("Refer-To: <sip:0019005551234@127.0.0.1:{}>", trunk.port),
        );
    let dir = tempfile::tempdir().expect("temp dir");
    let refers_path = dir.path().join("refers_to_a_number.xml");
    std::fs::write(&refers_path, refers).expect("write the scenario");
    let phone = agent_phone_running(
        &hotline,
        "agent1",
        "agent1-sip-pass",
        &["-sf", &refers_path.display().to_string()],
    );
    let agent = ConsoleClient::login(hotline.http, "agent1", "agent1-demo-pass");
    assert_eq!(agent.post("/api/agent/login", json!({})).status, 200);
    let citizen = sipp_with_files(
        hotline.sip,
        &[
            "-sf",
            &scenario("citizen_reaches_agent.xml"),
            "-s",
            "12345",
            "-m",
            "1",
        ],
        &[("voice.ul", &voice_ulaw(8))],
        Duration::from_secs(40),
    );
    let refused = hotline.wait_for_events("dial_refused", 1, Duration::from_secs(30));
    assert_eq!(refused.len(), 1, "{}", hotline.log());
    assert_eq!(refused[0]["event"]["number"], "0019005551234");
    assert_eq!(refused[0]["event"]["purpose"], "transfer");
    assert_eq!(refused[0]["event"]["reason"], "not_a_queue");
    // The citizen stays with the agent until they hang up; no transfer.
    assert!(
        citizen.wait(Duration::from_secs(40)).succeeded(),
        "{}",
        hotline.log()
    );
    let _ = phone.wait(Duration::from_secs(10));
    assert!(hotline
        .wait_for_events("transferred", 1, Duration::from_millis(300))
        .is_empty());
    assert!(!trunk.received_anything(), "nothing reached the trunk");
}
