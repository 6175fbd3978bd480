//! A caller chooses English at the language menu by pressing 2, with RFC
//! 4733 events from SIPp's `play_dtmf` (payload type 96 after filler
//! packets, as SIPp sends them) or with SIP INFO. The hotline hears the key,
//! the IVR takes the English branch, and the call record shows the path.

mod support;

use std::time::Duration;

use support::{scenario, sipp, sipp_available, Hotline};

fn presses_two(file: &str, test: &str) {
    if !sipp_available(test) {
        return;
    }
    let hotline = Hotline::start(&[]);
    let run = sipp(
        hotline.sip,
        &["-sf", &scenario(file), "-s", "12345", "-m", "1"],
        Duration::from_secs(30),
    );
    assert!(run.succeeded(), "{}\n{}", run.errors(), hotline.log());
    let chosen = hotline.wait_for_events("language_selected", 1, Duration::from_secs(5));
    assert_eq!(chosen.len(), 1, "no language chosen:\n{}", hotline.log());
    assert_eq!(chosen[0]["event"]["language"], "en");
    let events = hotline.events();
    let nodes: Vec<&str> = events
        .iter()
        .filter(|e| e["kind"] == "ivr_node_entered")
        .filter_map(|e| e["event"]["node"].as_str())
        .collect();
    assert_eq!(nodes.first(), Some(&"language"), "{nodes:?}");
    assert!(nodes.contains(&"language_en"), "{nodes:?}");
    let prompts: Vec<&str> = events
        .iter()
        .filter(|e| e["kind"] == "prompt_played")
        .filter_map(|e| e["event"]["prompt"].as_str())
        .collect();
    assert!(
        prompts.iter().any(|p| p.contains("choose_language")),
        "{prompts:?}"
    );
    assert!(
        prompts.iter().any(|p| p.contains("en/welcome")),
        "the English welcome: {prompts:?}"
    );
    let ended = hotline.wait_for_events("ended", 1, Duration::from_secs(5));
    assert_eq!(ended[0]["event"]["side"], "caller");
}

#[test]
fn key_pressed_with_rfc4733_is_heard() {
    presses_two("uac_dtmf_rfc4733.xml", "key_pressed_with_rfc4733_is_heard");
}

#[test]
fn key_pressed_with_sip_info_is_heard() {
    presses_two("uac_dtmf_info.xml", "key_pressed_with_sip_info_is_heard");
}
