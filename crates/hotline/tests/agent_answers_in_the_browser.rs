//! The agent answers in the browser, with no SIP phone: in real Chromium
//! (Debian's, through playwright-core), whose fake microphone plays a
//! 1 kHz tone, the demo agent chooses browser audio and goes available; a
//! SIPp citizen streaming a 440 Hz tone reaches the housing queue; the
//! console rings, the agent answers; the page hears 440 Hz (a WebAudio
//! analyser on the call's audio) and the citizen hears 1 kHz (what the
//! citizen heard is the right channel of the conversation's recording);
//! the page restarts ICE (what a network change makes it do) and the audio
//! goes on; a key on the page's pad reaches the call as RFC 4733; hold and
//! resume from the console; a reload of the page mid-call gets the call
//! back and the audio with it; the agent hangs up from the browser phone;
//! a browser that refuses the microphone is told so. The same call with
//! `webrtc.codec = "opus"` (transcoded to the citizen's G.711), shorter.
//!
//! Skipped loudly when SIPp, Chromium or playwright-core is missing,
//! required in CI (`HOTLINE_REQUIRE_SIPP=1`, `HOTLINE_REQUIRE_CHROMIUM=1`).

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use support::{chromium_available, scenario, sipp_available, sipp_with_files, voice_ulaw, Hotline};

/// A 1 kHz tone, 10 s of 48 kHz mono WAV: Chromium's fake microphone
/// plays it in a loop.
fn tone_wav(path: &Path) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut wav = hound::WavWriter::create(path, spec).expect("the fake microphone's file");
    for i in 0..48_000 * 10 {
        let t = f64::from(i) / 48_000.0;
        wav.write_sample(((t * 1000.0 * std::f64::consts::TAU).sin() * 8000.0) as i16)
            .expect("write a sample");
    }
    wav.finalize().expect("finish the WAV");
}

/// The power of `hz` in `samples` (8 kHz), by Goertzel, per sample.
fn power(samples: &[f64], hz: f64) -> f64 {
    let w = std::f64::consts::TAU * hz / 8000.0;
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for x in samples {
        let s = x + coeff * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    (s1 * s1 + s2 * s2 - coeff * s1 * s2) / samples.len().max(1) as f64
}

/// Over half-second windows: the powers of `wanted` and `other` in the
/// window where `wanted` is strongest.
fn strongest_window(samples: &[f64], wanted: f64, other: f64) -> (f64, f64) {
    samples
        .chunks(4000)
        .filter(|w| w.len() == 4000)
        .map(|w| (power(w, wanted), power(w, other)))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap_or((0.0, 0.0))
}

fn wav_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(wav_files(&path));
        } else if path.extension().is_some_and(|e| e == "wav") {
            found.push(path);
        }
    }
    found
}

/// ICE restart, key, hold, reload, the microphone refused.
fn walk_the_whole_call(hotline: &Hotline, next: &mut impl FnMut(&str) -> String) {
    let restarted = next("RESTARTED");
    let hz = field(&restarted, "hz");
    assert!(
        (420.0..=460.0).contains(&hz),
        "after an ICE restart the agent still hears the citizen: {restarted}"
    );
    assert_eq!(next("KEY"), "KEY");
    assert!(
        hotline.wait_for_log("a key from the agent's leg", Duration::from_secs(10)),
        "the key pressed in the page reached the call"
    );
    let hold = next("HOLD");
    assert!(hold.starts_with("HOLD "), "{hold}");
    assert_eq!(next("RESUMED"), "RESUMED");
    assert!(
        hotline.wait_for_log("hold_ended", Duration::from_secs(10)),
        "the console's hold and resume reached the call"
    );
    let again = next("AGAIN");
    let hz = field(&again, "hz");
    assert!(
        (420.0..=460.0).contains(&hz),
        "after the reload the agent hears the citizen again: {again}"
    );
    let refused = next("REFUSED");
    assert!(
        refused.contains("refused the microphone"),
        "the page says the microphone was refused: {refused}"
    );
}

/// A number parsed from a step line's JSON field: `"hz":440` → 440.
fn field(line: &str, name: &str) -> f64 {
    let json = line.split_once(' ').map_or("{}", |(_, rest)| rest);
    let value: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    value[name].as_f64().unwrap_or(-1.0)
}

#[test]
fn the_agent_talks_to_the_citizen_in_chromium_with_no_phone() {
    let test = "the_agent_talks_to_the_citizen_in_chromium_with_no_phone";
    if !sipp_available(test) || !chromium_available(test) {
        return;
    }
    talk_in_chromium("pcmu", false);
}

#[test]
fn the_browser_talks_opus_transcoded_to_the_citizens_g711() {
    let test = "the_browser_talks_opus_transcoded_to_the_citizens_g711";
    if !sipp_available(test) || !chromium_available(test) {
        return;
    }
    talk_in_chromium("opus", true);
}

/// The call, with the hotline asking browsers for `codec`; `short`: ring,
/// answer, hear both ways, hang up.
fn talk_in_chromium(codec: &str, short: bool) {
    let (hotline, _scripts) = support::demo_on_the_agent_path(&[("HOTLINE_WEBRTC_CODEC", codec)]);
    let fake_audio = hotline.data_dir.path().join("microphone-1khz.wav");
    tone_wav(&fake_audio);

    let mut browser = support::BrowserScript::start(
        "softphone.mjs",
        &[
            ("HOTLINE_URL", &format!("http://{}", hotline.http)),
            ("AGENT_LOGIN", "agent1"),
            ("AGENT_PASSWORD", "agent1-demo-pass"),
            ("FAKE_AUDIO", &fake_audio.display().to_string()),
            ("STEPS", if short { "short" } else { "all" }),
        ],
    );
    let mut next = |what: &str| -> String {
        browser
            .next(Duration::from_secs(60))
            .unwrap_or_else(|| panic!("the browser never reported {what}:\n{}", hotline.log()))
    };

    assert_eq!(next("READY"), "READY");
    // No phone is registered for agent1: the page is its phone.
    let citizen = sipp_with_files(
        hotline.sip,
        &[
            "-sf",
            &scenario("citizen_talks_to_the_browser.xml"),
            "-s",
            "12345",
            "-m",
            "1",
        ],
        &[("voice.ul", &voice_ulaw(12))],
        Duration::from_secs(150),
    );
    let ring = next("RING");
    assert!(ring.starts_with("RING "), "{ring}");
    assert!(
        ring.contains("13800138000"),
        "the ring names the caller: {ring}"
    );
    let talking = next("TALKING");
    let hz = field(&talking, "hz");
    assert!(
        (420.0..=460.0).contains(&hz),
        "the agent hears the citizen's 440 Hz: {talking}"
    );
    let sent = talking.to_lowercase();
    assert!(
        sent.contains(&format!("audio/{codec}")),
        "the page sends {codec}: {talking}"
    );
    if !short {
        walk_the_whole_call(&hotline, &mut next);
    }
    assert_eq!(next("DONE"), "DONE");
    let status = browser.wait();
    assert!(
        status.success(),
        "browser script failed:\n{}",
        browser.page_log()
    );
    let run = citizen.wait(Duration::from_secs(90));
    assert!(
        run.succeeded(),
        "the citizen's call ended cleanly:\n{}",
        run.errors()
    );

    // What the citizen heard: the recording's right channel holds the
    // agent's 1 kHz, its left the citizen's own 440 Hz.
    let recordings = wav_files(&hotline.data_dir.path().join("recordings"));
    let recording = recordings
        .iter()
        .find(|p| hound::WavReader::open(p).is_ok_and(|r| r.spec().channels == 2))
        .unwrap_or_else(|| panic!("a stereo conversation recording in {recordings:?}"));
    let mut reader = hound::WavReader::open(recording).expect("the recording");
    let samples: Vec<i16> = reader
        .samples::<i16>()
        .map(|s| s.expect("a sample"))
        .collect();
    let heard: Vec<f64> = samples
        .iter()
        .skip(1)
        .step_by(2)
        .map(|s| f64::from(*s))
        .collect();
    let said: Vec<f64> = samples.iter().step_by(2).map(|s| f64::from(*s)).collect();
    // The recording goes on after the agent (the survey's prompts are
    // speech): the conversation is where one tone stands alone.
    let (k1, k440) = strongest_window(&heard, 1000.0, 440.0);
    assert!(
        k1 > 20.0 * k440 && k1 > 1e5,
        "the citizen hears the agent's 1 kHz (1 kHz power {k1:.0}, 440 Hz {k440:.0}) in {}",
        recording.display()
    );
    let (k440, k1) = strongest_window(&said, 440.0, 1000.0);
    assert!(
        k440 > 20.0 * k1,
        "the citizen's own side is their 440 Hz ({k440:.0} against {k1:.0})"
    );
    let metrics = hotline.metrics();
    assert!(
        metrics.contains("hotline_browser_legs"),
        "browser legs are in /metrics"
    );
}
