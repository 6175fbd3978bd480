//! The Debian SIPp package's recorded RFC 4733 key presses
//! (/usr/share/sip-tester/dtmf_2833_<digit>.pcap, payload type 101) played
//! by SIPp into a real call (`play_pcap_audio`): the caller chooses case
//! status (3) and types a 12-digit case reference; the hotline collects
//! exactly the digits sent and finds the case.

mod support;

use std::time::Duration;

use support::console::ConsoleClient;
use support::{agent_path_scripts, scenario, sipp_available, sipp_with_files, Hotline};

fn pcap(digit: char) -> String {
    format!("/usr/share/sip-tester/dtmf_2833_{digit}.pcap")
}

#[test]
fn digits_from_the_debian_pcaps_are_collected_exactly() {
    if !sipp_available("digits_from_the_debian_pcaps_are_collected_exactly") {
        return;
    }
    if !std::path::Path::new(&pcap('0')).exists() {
        if std::env::var("HOTLINE_REQUIRE_SIPP").as_deref() == Ok("1") {
            panic!("the Debian DTMF pcaps are missing (apt-get install sip-tester)");
        }
        eprintln!("\n!!!!!!!! SKIPPED: no /usr/share/sip-tester/dtmf_2833_*.pcap !!!!!!!!\n");
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
    let supervisor = ConsoleClient::login(hotline.http, "supervisor1", "supervisor1-demo-pass");
    let found = supervisor.get("/api/citizens?q=13800138000&reason=the%20caller%20is%20on%20the%20line%20and%20gave%20these%20details");
    let case_ref = found.body[0]["open_cases"][0]["case_ref"]
        .as_str()
        .expect("the demo case")
        .to_owned();

    // The case scenario, with each key played from its pcap instead of
    // play_dtmf: "3", then the twelve digits (max length ends the input).
    let keys: Vec<String> = std::iter::once('3')
        .chain(case_ref.chars())
        .enumerate()
        .map(|(i, digit)| {
            let pause = if i == 0 { 3_000 } else { 600 };
            format!(
                "  <nop><action><exec play_pcap_audio=\"{}\"/></action></nop>\n  <pause milliseconds=\"{pause}\"/>\n",
                pcap(digit)
            )
        })
        .collect();
    let text = std::fs::read_to_string(scenario("citizen_checks_a_case.xml")).expect("scenario");
    let start = text.find("  <nop>").expect("the first key");
    let end = text.find("  <recv request=\"BYE\"").expect("the BYE");
    let text = format!(
        "{}  <pause milliseconds=\"1500\"/>\n{}{}",
        &text[..text[..start].rfind("  <pause").unwrap_or(start)],
        keys.concat(),
        &text[end..]
    );
    let caller = sipp_with_files(
        hotline.sip,
        &["-sf", "pcap_keys.xml", "-s", "12345", "-m", "1"],
        &[("pcap_keys.xml", text.as_bytes())],
        Duration::from_secs(60),
    )
    .wait(Duration::from_secs(60));
    assert!(caller.succeeded(), "{}\n{}", caller.errors(), hotline.log());
    let events = hotline.events();
    let digits = |node: &str| {
        events
            .iter()
            .find(|e| e["kind"] == "digits_collected" && e["event"]["node"] == node)
            .map(|e| e["event"]["digits"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(digits("subject").as_deref(), Some("3"));
    assert_eq!(digits("case_enter").as_deref(), Some(case_ref.as_str()));
    assert!(events
        .iter()
        .any(|e| e["kind"] == "lookup_done" && e["event"]["found"] == true));
}
