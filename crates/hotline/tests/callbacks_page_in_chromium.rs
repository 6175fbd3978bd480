//! The callback list in real Chromium (Debian's `chromium`, driven by
//! `playwright-core` from tests/browser): a queued citizen presses 1 to be
//! called back while the only agent is on break; the demo supervisor opens
//! /callbacks/, finds the promise among the open ones, raises its priority
//! and cancels it, and the store agrees. Skipped loudly when SIPp,
//! Chromium or playwright-core is missing, required in CI
//! (`HOTLINE_REQUIRE_CHROMIUM=1`).

mod support;

use std::time::Duration;

use support::console::ConsoleClient;
use support::{
    agent1_on_a_break, agent_path_scripts, chromium_available, free_port, scenario, sipp_available,
    sipp_with_files, step_json, Hotline,
};

#[test]
fn a_supervisor_reprioritises_and_cancels_a_callback_in_the_browser() {
    let test = "a_supervisor_reprioritises_and_cancels_a_callback_in_the_browser";
    if !sipp_available(test) || !chromium_available(test) {
        return;
    }
    let scripts = agent_path_scripts();
    let scripts_dir = scripts.path().display().to_string();
    // A trunk is configured (callbacks are offered); nothing is dialled.
    let outbound = format!("sip:{{number}}@127.0.0.1:{}", free_port());
    let hotline = Hotline::start_with_args(
        &["--demo"],
        &[
            ("HOTLINE_IVR_SCRIPTS_DIR", &scripts_dir),
            ("HOTLINE_IVR_SCRIPT", "agent_path"),
            ("HOTLINE_CONSOLE_SECURE_COOKIES", "false"),
            ("HOTLINE_SIP_OUTBOUND_URI", &outbound),
        ],
    );
    let (_phone, _agent) = agent1_on_a_break(&hotline);
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
    assert!(citizen.succeeded(), "{}", citizen.errors());
    assert!(
        hotline.wait_for_log("callback on the list", Duration::from_secs(5)),
        "{}",
        hotline.log()
    );

    let mut browser = support::BrowserScript::start(
        "callbacks.mjs",
        &[
            ("HOTLINE_URL", &format!("http://{}", hotline.http)),
            ("SUPERVISOR_LOGIN", "supervisor1"),
            ("SUPERVISOR_PASSWORD", "supervisor1-demo-pass"),
            ("NUMBER", "138****8000"),
        ],
    );
    let mut next = |what: &str| browser.step(what, &hotline);
    let listed = step_json(&next("LISTED"), "LISTED");
    assert_eq!(listed["nav"], true, "{listed}");
    let cells: Vec<String> = serde_json::from_value(listed["cells"].clone()).expect("cells");
    assert_eq!(cells[1], "138****8000", "masked: {listed}");
    assert_eq!(cells[2], "housing", "{listed}");
    assert_eq!(cells[3], "Kept their place", "{listed}");
    // An in-queue request is in the ACD at once, keeping its place.
    assert!(
        cells[4] == "Being placed" || cells[4] == "Waiting",
        "{listed}"
    );

    let priority = step_json(&next("PRIORITY"), "PRIORITY");
    assert_eq!(priority["cells"][5], "7", "{priority}");
    assert_eq!(priority["notice"], "The priority is set.", "{priority}");

    let cancelled = step_json(&next("CANCELLED"), "CANCELLED");
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    assert_eq!(cancelled["cells"][4], "Cancelled", "{cancelled}");
    assert_eq!(cancelled["cells"][9], "supervisor1", "{cancelled}");
    let zh = step_json(&next("ZH"), "ZH");
    assert_eq!(zh["title"], "回拨名单", "{zh}");
    assert_eq!(next("DONE"), "DONE");

    // The store agrees.
    let supervisor = ConsoleClient::login(hotline.http, "supervisor1", "supervisor1-demo-pass");
    let list = supervisor.get("/api/callbacks").body;
    let entry = list
        .as_array()
        .and_then(|all| all.iter().find(|c| c["number"] == "138****8000"))
        .cloned()
        .unwrap_or_else(|| panic!("on the list: {list}"));
    assert_eq!(entry["status"], "cancelled", "{entry}");
    assert_eq!(entry["priority"], 7, "{entry}");
    assert_eq!(entry["updated_by"], "supervisor1", "{entry}");
}
