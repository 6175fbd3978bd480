//! Self-service over a real call: a citizen presses 3, types their case
//! reference (12 digits and #, RFC 4733), and the IVR looks the case up in
//! the store and reads back its reference, status and department, and the
//! department's reply spoken by espeak-ng, then says goodbye and hangs up.
//! The case is a work order taken down by an agent and replied to by the
//! housing department's handler through the console's API.

mod support;
use serde_json::json;
use support::console::ConsoleClient;
use support::{
    agent_path_scripts, assert_text_spoken_once, citizen_checking_a_case, sipp_available, Hotline,
};

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
    // An order taken down, dispatched to housing, accepted and replied to.
    let agent = ConsoleClient::login(hotline.http, "agent1", "agent1-demo-pass");
    let created = agent.post(
        "/api/orders",
        json!({
            "category": "request", "address": "景山前街 4 号", "district": "东城区",
            "street": "景山街道", "summary": "The stairwell light has been out for a week"
        }),
    );
    assert_eq!(created.status, 201, "{created:?}");
    let case_ref = created.body["order"]["reference"]
        .as_str()
        .expect("a reference")
        .to_owned();
    assert_eq!(case_ref.len(), 12, "{case_ref}");
    let handler =
        ConsoleClient::login(hotline.http, "handler-housing", "handler-housing-demo-pass");
    let reply = "楼道灯已经更换，恢复照明。";
    for command in [
        json!({"command": "accept"}),
        json!({"command": "reply", "text": reply}),
    ] {
        let done = handler.post(&format!("/api/orders/{case_ref}/commands"), command);
        assert_eq!(done.status, 200, "{done:?}");
    }

    let citizen = citizen_checking_a_case(&hotline, &case_ref);
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
    assert_eq!(var("case_status").as_deref(), Some("in_progress"));
    assert_eq!(var("case_department").as_deref(), Some("housing"));
    let length = reply.chars().count();
    assert_eq!(
        var("case_reply"),
        Some(format!("({length} characters)")),
        "the reply's text stays in the store, not in the call log"
    );
    let prompts: Vec<String> = events
        .iter()
        .filter(|e| e["kind"] == "prompt_played")
        .map(|e| e["event"]["prompt"].as_str().unwrap_or_default().to_owned())
        .collect();
    for expected in [
        "case_ref_is",
        "status_in_progress",
        "dept_housing",
        "case_reply_is",
        "goodbye",
    ] {
        assert!(
            prompts.iter().any(|p| p.contains(expected)),
            "{expected} was played: {prompts:?}"
        );
    }
    // The reply was synthesised and played to the caller (skipped, the
    // call going on, where espeak-ng is missing).
    assert_text_spoken_once(&hotline, "a_caller_hears_the_status_of_their_case");
}
