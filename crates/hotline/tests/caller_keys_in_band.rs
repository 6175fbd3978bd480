//! A caller whose gateway sends keys only as audio (no telephone-event in
//! its SDP): SIPp streams the DTMF tones of "3" as ordinary μ-law voice, and
//! the hotline's in-band detector hears the key at the menu.

mod support;

use std::time::Duration;

use support::{agent_path_scripts, scenario, sipp_available, sipp_with_files, Hotline};

/// Keys as audio: each key 120 ms of its two DTMF frequencies, then 200 ms
/// of silence, after 300 ms of silence.
fn tones(keys: &str) -> Vec<u8> {
    let freqs = |key: char| match key {
        '1' => (697.0, 1209.0),
        '2' => (697.0, 1336.0),
        '3' => (697.0, 1477.0),
        _ => (941.0, 1336.0),
    };
    let mut samples: Vec<i16> = vec![0; 2_400];
    for key in keys.chars() {
        let (low, high) = freqs(key);
        for i in 0..960 {
            let t = f64::from(i) / 8000.0;
            let s = (t * low * std::f64::consts::TAU).sin() * 6000.0
                + (t * high * std::f64::consts::TAU).sin() * 6000.0;
            samples.push(s as i16);
        }
        samples.extend(std::iter::repeat_n(0, 1_600));
    }
    samples
        .into_iter()
        .map(hotline_media::g711::ulaw_encode)
        .collect()
}

#[test]
fn a_key_sent_as_audio_tones_is_heard() {
    if !sipp_available("a_key_sent_as_audio_tones_is_heard") {
        return;
    }
    let scripts = agent_path_scripts();
    let scripts_dir = scripts.path().display().to_string();
    let hotline = Hotline::start(&[
        ("HOTLINE_IVR_SCRIPTS_DIR", &scripts_dir),
        ("HOTLINE_IVR_SCRIPT", "agent_path"),
    ]);
    let caller = sipp_with_files(
        hotline.sip,
        &[
            "-sf",
            &scenario("caller_keys_in_band.xml"),
            "-s",
            "12345",
            "-m",
            "1",
        ],
        &[("keys.ul", &tones("3"))],
        Duration::from_secs(30),
    )
    .wait(Duration::from_secs(30));
    assert!(caller.succeeded(), "{}\n{}", caller.errors(), hotline.log());
    let collected = hotline.wait_for_events("digits_collected", 1, Duration::from_secs(2));
    assert_eq!(collected.len(), 1, "{}", hotline.log());
    assert_eq!(collected[0]["event"]["node"], "subject");
    assert_eq!(collected[0]["event"]["digits"], "3");
    assert!(
        hotline
            .events()
            .iter()
            .any(|e| e["kind"] == "ivr_node_entered" && e["event"]["node"] == "case_enter"),
        "the key took the caller to the case-status path"
    );
}
