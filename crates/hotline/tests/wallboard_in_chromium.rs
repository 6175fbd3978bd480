//! The supervisor's wallboard and reports in real Chromium (Debian's
//! `chromium`, driven by `playwright-core` from tests/browser): the demo
//! supervisor watches /wallboard/ while a SIPp citizen calls the housing
//! queue. Its only agent (a SIPp phone, logged in through the API) is on
//! break, so the wallboard shows the caller waiting; the agent goes
//! available, the phone answers, and the wallboard shows the agent on the
//! call, nobody waiting. The supervisor presses Listen on the agent's chip:
//! their own SIPp phone rings and answers (`monitor_started`), and Stop
//! hangs it up (`monitor_ended`). Then the call is among today's
//! answered. The day's
//! report then draws its charts, and the department view its own.
//! Screenshots are kept in tests/artifacts/.
//!
//! Needs the binary to publish the ACD's live picture every second
//! (`Console::publish_live`). Skipped loudly when SIPp, Chromium or
//! playwright-core is missing, required in CI
//! (`HOTLINE_REQUIRE_CHROMIUM=1`).

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::console::ConsoleClient;
use support::{
    agent_path_scripts, agent_phone, chromium_available, scenario, sipp_available, sipp_with_files,
    step_json, Hotline,
};

fn number(value: &Value) -> i64 {
    value
        .as_str()
        .and_then(|s| s.replace(',', "").parse().ok())
        .unwrap_or(-1)
}

#[test]
fn a_supervisor_watches_a_call_on_the_wallboard_then_reads_the_days_report() {
    let test = "a_supervisor_watches_a_call_on_the_wallboard_then_reads_the_days_report";
    if !sipp_available(test) || !chromium_available(test) {
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

    // The housing agent's phone registers; the agent logs in, then takes
    // a break so that the next caller waits.
    let _phone = agent_phone(&hotline, "agent1", "agent1-sip-pass");
    let supervisor_phone = agent_phone(&hotline, "supervisor1", "supervisor1-sip-pass");
    let agent = ConsoleClient::login(hotline.http, "agent1", "agent1-demo-pass");
    let started = agent.post("/api/agent/login", json!({}));
    assert_eq!(started.status, 200, "{started:?}");
    let on_break = agent.post(
        "/api/agent/state",
        json!({ "state": "break", "reason": "rest" }),
    );
    assert_eq!(on_break.status, 200, "{on_break:?}");

    let mut browser = support::BrowserScript::start(
        "wallboard.mjs",
        &[
            ("HOTLINE_URL", &format!("http://{}", hotline.http)),
            ("SUPERVISOR_LOGIN", "supervisor1"),
            ("SUPERVISOR_PASSWORD", "supervisor1-demo-pass"),
            ("AGENT_LOGIN", "agent1"),
            ("QUEUE", "housing"),
        ],
    );
    let mut next = |what: &str| browser.step(what, &hotline);

    assert_eq!(
        next("READY (is the binary publishing the live picture?)"),
        "READY"
    );

    // The citizen calls and presses 1 (housing): nobody is available.
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
        &[("voice.ul", &support::voice_ulaw(28))],
        Duration::from_secs(60),
    );
    let waiting = step_json(&next("WAITING"), "WAITING");
    assert!(number(&waiting["waiting"]) >= 1, "{waiting}");

    // The agent comes back: the call is offered, the phone answers.
    let available = agent.post("/api/agent/state", json!({ "state": "available" }));
    assert_eq!(available.status, 200, "{available:?}");
    let answered = step_json(&next("ANSWERED"), "ANSWERED");
    assert_eq!(number(&answered["waiting"]), 0, "{answered}");
    assert!(
        answered["state"] == "on_call" || answered["state"] == "wrap_up",
        "{answered}"
    );

    // The supervisor listens in from the wallboard: their phone rings and
    // answers, the call's log has it, and Stop hangs their phone up.
    let listening = step_json(&next("LISTENING"), "LISTENING");
    assert_eq!(
        listening["offered"],
        json!(["listen", "whisper", "barge"]),
        "{listening}"
    );
    assert!(
        listening["notice"]
            .as_str()
            .is_some_and(|n| n.contains("phone")),
        "the notice says their phone is called: {listening}"
    );
    let started = hotline.wait_for_events("monitor_started", 1, Duration::from_secs(10));
    assert_eq!(started.len(), 1, "{}", hotline.log());
    assert_eq!(started[0]["event"]["mode"], "listen");
    assert_eq!(next("STOPPED"), "STOPPED");
    let ended = hotline.wait_for_events("monitor_ended", 1, Duration::from_secs(10));
    assert_eq!(ended.len(), 1, "{}", hotline.log());
    let phone = supervisor_phone.wait(Duration::from_secs(10));
    assert!(phone.succeeded(), "supervisor's phone: {}", phone.errors());

    let counted = step_json(&next("COUNTED"), "COUNTED");
    assert!(number(&counted["answered"]) >= 1, "{counted}");
    assert!(
        number(&counted["offered"]) >= number(&counted["answered"]),
        "{counted}"
    );

    // The day's report and its charts.
    let report = step_json(&next("REPORT"), "REPORT");
    assert!(number(&report["offered"]) >= 1, "{report}");
    assert!(number(&report["answered"]) >= 1, "{report}");
    assert!(report["bars"].as_u64().unwrap_or(0) >= 2, "{report}");
    assert!(report["slPoints"].as_u64().unwrap_or(0) >= 1, "{report}");
    assert!(report["waitBars"].as_u64().unwrap_or(0) >= 1, "{report}");
    assert!(report["rows"].as_u64().unwrap_or(0) >= 1, "{report}");
    assert!(
        report["csv"].as_str().is_some_and(
            |href| href.starts_with("/api/reports/queues?") && href.contains("format=csv")
        ),
        "{report}"
    );
    assert_eq!(next("DONE"), "DONE");
    let status = browser.wait();
    assert!(
        status.success(),
        "browser script failed:\n{}",
        browser.page_log()
    );
    for shot in [
        "wallboard-waiting.png",
        "wallboard-answered.png",
        "wallboard-listening.png",
        "reports.png",
        "departments.png",
    ] {
        assert!(browser.artifacts.join(shot).exists(), "{shot}");
    }
    let citizen = citizen.wait(Duration::from_secs(60));
    assert!(citizen.succeeded(), "citizen: {}", citizen.errors());
}
