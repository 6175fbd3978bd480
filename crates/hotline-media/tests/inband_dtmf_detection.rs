//! The Goertzel detector hears keys sent as tones, with noise and twist, and
//! rejects tones too short or too lopsided to be a key press.

mod common;

use common::*;
use hotline_media::goertzel::DtmfDetector;

fn detect(samples: &[i16]) -> Vec<(char, u128)> {
    let mut det = DtmfDetector::new();
    // Feed in packet-sized pieces, as the leg does.
    for chunk in samples.chunks(160) {
        det.feed(chunk);
    }
    det.feed(&[0; 1000]);
    std::iter::from_fn(|| det.poll_digit())
        .map(|d| (d.key, d.duration.as_millis()))
        .collect()
}

fn sequence(keys: &str, tone_ms: u32, gap_ms: u32, row: f64, col: f64) -> Vec<f64> {
    let mut s = silence(100);
    for k in keys.chars() {
        s.extend(dtmf_tone(k, tone_ms, row, col));
        s.extend(silence(gap_ms));
    }
    s
}

#[test]
fn every_key_is_heard_in_moderate_noise() {
    let keys = "0123456789*#ABCD";
    // Tones at about -16 dBFS each, noise at -46 dBFS.
    let samples = with_noise(&sequence(keys, 80, 60, 5000.0, 5000.0), 160.0, 1);
    let heard: String = detect(&samples).iter().map(|d| d.0).collect();
    assert_eq!(heard, keys);
}

#[test]
fn heard_with_noise_only_20_db_below_the_tones() {
    let keys = "159#";
    let samples = with_noise(&sequence(keys, 100, 80, 4000.0, 4000.0), 400.0, 2);
    let heard: String = detect(&samples).iter().map(|d| d.0).collect();
    assert_eq!(heard, keys);
}

#[test]
fn accepts_six_db_of_twist_either_way_and_rejects_twelve() {
    let normal = with_noise(&sequence("47", 80, 60, 6000.0, 3000.0), 50.0, 3);
    assert_eq!(
        detect(&normal).iter().map(|d| d.0).collect::<String>(),
        "47"
    );
    let reverse = with_noise(&sequence("47", 80, 60, 3000.0, 6000.0), 50.0, 4);
    assert_eq!(
        detect(&reverse).iter().map(|d| d.0).collect::<String>(),
        "47"
    );
    let lopsided = with_noise(&sequence("47", 80, 60, 8000.0, 2000.0), 50.0, 5);
    assert!(detect(&lopsided).is_empty());
}

#[test]
fn a_40_ms_key_counts_and_a_20_ms_blip_does_not() {
    for offset_ms in [0, 3, 7, 11] {
        let mut s = silence(50 + offset_ms);
        s.extend(dtmf_tone('8', 40, 5000.0, 5000.0));
        s.extend(silence(100));
        s.extend(dtmf_tone('9', 20, 5000.0, 5000.0));
        s.extend(silence(100));
        let heard: String = detect(&with_noise(&s, 30.0, 6))
            .iter()
            .map(|d| d.0)
            .collect();
        assert_eq!(heard, "8", "tone starting {offset_ms} ms into the stream");
    }
}

#[test]
fn a_long_press_is_one_key_with_its_duration() {
    let s = with_noise(&sequence("5", 1000, 100, 5000.0, 5000.0), 100.0, 7);
    let heard = detect(&s);
    assert_eq!(heard.len(), 1);
    assert_eq!(heard[0].0, '5');
    let ms = heard[0].1;
    assert!((975..=1030).contains(&ms), "duration {ms} ms");
}

#[test]
fn speech_like_single_tones_and_noise_are_not_keys() {
    let mut s: Vec<f64> = Vec::new();
    for f in [300.0, 697.0, 1209.0, 2000.0] {
        s.extend(
            (0..4000).map(|i| 8000.0 * (2.0 * std::f64::consts::PI * f * i as f64 / RATE).sin()),
        );
    }
    s.extend(silence(500));
    assert!(detect(&with_noise(&s, 100.0, 8)).is_empty());
    assert!(detect(&with_noise(&silence(3000), 3000.0, 9)).is_empty());
}
