//! The agent console in real Chromium (Debian's `chromium`, driven by
//! `playwright-core` from tests/browser): the demo agent logs in and goes
//! available, a SIPp citizen calls and presses 1, the pop shows the citizen,
//! the agent records the citizen's no to follow-up calls (on the record,
//! with who and which call), saves a case and sees its reference number,
//! then asks to
//! consult a queue nobody serves and sees the refusal. Screenshots are
//! kept in tests/artifacts/.
//!
//! Skipped loudly when Chromium or playwright-core is missing, required in
//! CI (`HOTLINE_REQUIRE_CHROMIUM=1`; `.ci/run` installs both).

mod support;

use std::time::Duration;

use support::{agent_path_scripts, agent_phone, chromium_available, sipp_available, Hotline};

#[test]
fn an_agent_sees_the_pop_in_chromium_and_saves_a_case() {
    let test = "an_agent_sees_the_pop_in_chromium_and_saves_a_case";
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
        ],
    );
    let _phone = agent_phone(&hotline, "agent1", "agent1-sip-pass");

    let mut browser = support::BrowserScript::start(
        "agent_console.mjs",
        &[
            ("HOTLINE_URL", &format!("http://{}", hotline.http)),
            ("AGENT_LOGIN", "agent1"),
            ("AGENT_PASSWORD", "agent1-demo-pass"),
        ],
    );
    let mut next = |what: &str| -> String {
        browser
            .next(Duration::from_secs(40))
            .unwrap_or_else(|| panic!("the browser never reported {what}:\n{}", hotline.log()))
    };

    assert_eq!(next("READY"), "READY");
    let citizen = support::citizen_reaching_an_agent(&hotline);
    let pop = next("POP");
    assert!(pop.starts_with("POP "), "{pop}");
    assert!(pop.contains("13800138000"), "{pop}");
    assert!(pop.contains("Chen Jing"), "{pop}");
    let consent = next("CONSENT");
    assert!(consent.contains("Follow-up calls: no (agent)"), "{consent}");
    let case = next("CASE");
    let (case_ref, phase) = case
        .strip_prefix("CASE ")
        .and_then(|rest| rest.split_once(' '))
        .unwrap_or_default();
    let case_ref = hotline_types::CaseRef::parse(case_ref)
        .unwrap_or_else(|e| panic!("a valid reference on screen: {case}: {e}"));
    assert_eq!(phase, "dispatched", "{case}");
    // The work order went to the department the catalogue names, linked
    // to the call, about the citizen the pop showed.
    let supervisor = support::console::ConsoleClient::login(
        hotline.http,
        "supervisor1",
        "supervisor1-demo-pass",
    );
    let order = supervisor.get(&format!("/api/orders/{}", case_ref.digits()));
    assert_eq!(order.status, 200, "{}", order.body);
    assert_eq!(
        order.body["order"]["department"], "housing",
        "{}",
        order.body
    );
    assert_eq!(order.body["order"]["channel"], "call");
    assert_eq!(order.body["order"]["created_by"], "agent1");
    assert!(
        order.body["order"]["citizen"].as_i64().is_some(),
        "{}",
        order.body
    );
    // The consent is on the record, with who and which call, audited.
    let officer =
        support::console::ConsoleClient::login(hotline.http, "privacy1", "privacy1-demo-pass");
    let citizen_id = order.body["order"]["citizen"]
        .as_i64()
        .expect("the citizen");
    let view = officer.get(&format!("/api/privacy/citizens/{citizen_id}?request=DPR-1"));
    let latest = &view.body["record"]["citizen"]["consents"][0];
    assert_eq!(latest["what"], "follow_up", "{}", view.body);
    assert_eq!(latest["granted"], 0, "{}", view.body);
    assert_eq!(latest["actor"], "agent1", "{}", view.body);
    assert!(latest["via_call"].is_string(), "{}", view.body);
    let consult = next("CONSULT");
    assert!(consult.starts_with("CONSULT "), "{consult}");
    assert!(consult.contains("\"completeHidden\":true"), "{consult}");
    assert!(
        consult.contains("队列 transport 暂无空闲坐席"),
        "the refusal is shown in the agent's language: {consult}"
    );
    assert_eq!(next("DONE"), "DONE");
    let status = browser.wait();
    assert!(
        status.success(),
        "browser script failed:\n{}",
        browser.page_log()
    );
    let artifacts = &browser.artifacts;
    assert!(artifacts.join("console-pop.png").exists());
    assert!(artifacts.join("console-case.png").exists());
    let _ = citizen.wait(Duration::from_secs(40));
}
