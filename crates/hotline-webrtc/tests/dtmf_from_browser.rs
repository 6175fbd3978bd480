//! A key pressed in the browser reaches the core as RFC 4733 events under
//! payload type 101 at 8 kHz, with PCMU and (rescaled) with Opus.

mod common;

use common::*;
use hotline_webrtc::client::BrowserConfig;
use hotline_webrtc::{AudioCodec, WebRtcConfig};

fn events(pair: &Pair) -> Vec<(u8, bool, u16, u32)> {
    pair.to_core
        .iter()
        .filter(|p| payload_type(p) == 101)
        .map(|p| {
            let e = payload(p);
            (
                e[0],
                e[1] & 0x80 != 0,
                u16::from_be_bytes([e[2], e[3]]),
                timestamp(p),
            )
        })
        .collect()
}

fn press_five(prefer: AudioCodec) -> Pair {
    let config = WebRtcConfig {
        prefer,
        ..Default::default()
    };
    let mut pair = Pair::leg_offers(config, BrowserConfig::default()).unwrap();
    pair.connect();
    assert_eq!(pair.leg.codec(), Some(prefer));
    for index in 0..3 {
        pair.browser.send_audio(pair.now, &tone(300.0, index));
        pair.tick();
    }
    // Key 5 for 100 ms.
    assert!(pair.browser.send_dtmf(pair.now, 5, 5));
    pair.tick();
    pair
}

fn assert_key_five(pair: &Pair) {
    let events = events(pair);
    assert_eq!(events.len(), 7, "{events:?}");
    assert!(events.iter().all(|(key, _, _, _)| *key == 5));
    let durations: Vec<u16> = events.iter().map(|e| e.2).collect();
    assert_eq!(durations, [160, 320, 480, 640, 800, 800, 800]);
    assert_eq!(
        events.iter().filter(|e| e.1).count(),
        3,
        "three end packets"
    );
    // One event, one timestamp; 20 ms after the last audio frame.
    assert!(events.iter().all(|e| e.3 == events[0].3));
    let audio: Vec<_> = pair
        .to_core
        .iter()
        .filter(|p| payload_type(p) == 0)
        .collect();
    let last_audio = timestamp(audio.last().unwrap());
    assert_eq!(events[0].3.wrapping_sub(last_audio), 160);
}

#[test]
fn a_key_under_pcmu_arrives_as_telephone_events() {
    let pair = press_five(AudioCodec::Pcmu);
    assert_key_five(&pair);
}

#[test]
fn a_key_under_opus_arrives_rescaled_to_8_khz() {
    let pair = press_five(AudioCodec::Opus);
    assert_key_five(&pair);
}

#[test]
fn a_key_from_the_core_reaches_the_browser_rescaled_under_opus() {
    use hotline_media::MediaTransport;
    let config = WebRtcConfig {
        prefer: AudioCodec::Opus,
        ..Default::default()
    };
    let mut pair = Pair::leg_offers(config, BrowserConfig::default()).unwrap();
    pair.connect();
    let now = pair.now;
    pair.leg
        .send_rtp(now, &core_packet(1, 1000, 9, 0, &ulaw(&tone(440.0, 0))));
    pair.leg
        .send_rtp(now, &core_packet(2, 1160, 9, 101, &[7, 0x0a, 0x01, 0x40]));
    pair.tick();
    let frames = &pair.to_browser;
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[1].payload_type, 110);
    assert_eq!(frames[1].payload, [7, 0x0a, 0x07, 0x80], "320 × 6 = 1920");
    assert_eq!(frames[1].timestamp.wrapping_sub(frames[0].timestamp), 960);
}
