//! Self-service over a real call: a citizen presses 3, types their case
//! reference (12 digits and #, RFC 4733), and the IVR looks the case up in
//! the store and reads back its reference, status and department, then says
//! goodbye and hangs up.

mod support;

use std::time::Duration;

use support::console::ConsoleClient;
use support::{agent_path_scripts, scenario, sipp_available, sipp_with_files, Hotline};

#[test]
fn a_caller_hears_the_status_of_their_case() {
    if !sipp_available("a_caller_hears_the_status_of_their_case") {
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
    // The demo citizen's open case, as a supervisor finds it.
    let supervisor = ConsoleClient::login(hotline.http, "supervisor1", "supervisor1-demo-pass");
    let found = supervisor.get("/api/citizens?q=13800138000&reason=test%20of%20case%20status");
    assert_eq!(found.status, 200, "{found:?}");
    let case_ref = found.body[0]["open_cases"][0]["case_ref"]
        .as_str()
        .expect("the demo case")
        .to_owned();
    assert_eq!(case_ref.len(), 12, "{case_ref}");

    let scenario_text = std::fs::read_to_string(scenario("citizen_checks_a_case.xml"))
        .expect("scenario")
        .replace("CASE_DIGITS", &case_ref);
    let citizen = sipp_with_files(
        hotline.sip,
        &["-sf", "case.xml", "-s", "12345", "-m", "1"],
        &[("case.xml", scenario_text.as_bytes())],
        Duration::from_secs(60),
    )
    .wait(Duration::from_secs(60));
    assert!(
        citizen.succeeded(),
        "the hotline reads the status and hangs up: {}\n{}",
        citizen.errors(),
        hotline.log()
    );

    let events = hotline.events();
    let collected = events
        .iter()
        .find(|e| e["kind"] == "digits_collected" && e["event"]["node"] == "case_enter")
        .expect("the reference was collected");
    assert_eq!(collected["event"]["digits"], case_ref.as_str());
    assert!(
        events.iter().any(|e| e["kind"] == "lookup_done"
            && e["event"]["what"] == "case_status"
            && e["event"]["found"] == true),
        "the store answered the lookup"
    );
    let var = |name: &str| {
        events
            .iter()
            .find(|e| e["kind"] == "variable_set" && e["event"]["name"] == name)
            .map(|e| e["event"]["value"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(var("case_status").as_deref(), Some("open"));
    assert_eq!(var("case_department").as_deref(), Some("housing"));
    let prompts: Vec<String> = events
        .iter()
        .filter(|e| e["kind"] == "prompt_played")
        .map(|e| e["event"]["prompt"].as_str().unwrap_or_default().to_owned())
        .collect();
    for expected in ["case_ref_is", "status_open", "dept_housing", "goodbye"] {
        assert!(
            prompts.iter().any(|p| p.contains(expected)),
            "{expected} was played: {prompts:?}"
        );
    }
}
