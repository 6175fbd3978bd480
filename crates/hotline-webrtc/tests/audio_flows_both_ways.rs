//! A browser and a leg connect in memory; tones cross in both directions,
//! PCMU byte for byte, Opus transcoded.

mod common;

use common::*;
use hotline_media::MediaTransport;
use hotline_webrtc::client::BrowserConfig;
use hotline_webrtc::{AudioCodec, WebRtcConfig};

/// Sends `frames` of a 440 Hz tone from the core and a 1 kHz tone from the
/// browser, one frame each per tick; returns what the core sent.
fn talk(pair: &mut Pair, frames: usize) -> Vec<Vec<u8>> {
    let core_ssrc = 0x1234_5678;
    let mut sent = Vec::new();
    for index in 0..frames {
        let packet = core_packet(
            100 + index as u16,
            8000 + 160 * index as u32,
            core_ssrc,
            0,
            &ulaw(&tone(440.0, index)),
        );
        pair.leg.send_rtp(pair.now, &packet);
        sent.push(packet);
        assert!(pair.browser.send_audio(pair.now, &tone(1000.0, index)));
        pair.tick();
    }
    sent
}

#[test]
fn pcmu_passes_through_byte_for_byte() {
    let mut pair = Pair::leg_offers(WebRtcConfig::default(), BrowserConfig::default()).unwrap();
    pair.connect();
    assert_eq!(pair.leg.codec(), Some(AudioCodec::Pcmu));
    assert_eq!(pair.browser.codec(), Some(AudioCodec::Pcmu));

    let sent = talk(&mut pair, 50);

    // Core → browser: the very bytes.
    let received: Vec<_> = pair
        .to_browser
        .iter()
        .filter(|f| f.payload_type == 0)
        .collect();
    assert_eq!(received.len(), 50, "every frame arrives");
    for (frame, packet) in received.iter().zip(&sent) {
        assert_eq!(frame.payload, payload(packet));
    }
    let heard: Vec<i16> = received
        .iter()
        .flat_map(|f| f.pcm.iter().copied())
        .collect();
    assert!(tone_share(&heard, 440.0) > 0.9, "440 Hz at the browser");

    // Browser → core: PCMU under payload type 0, the browser's bytes.
    assert_eq!(pair.to_core.len(), 50);
    let mut expected_sequence = sequence(&pair.to_core[0]);
    for (index, packet) in pair.to_core.iter().enumerate() {
        assert_eq!(payload_type(packet), 0);
        assert_eq!(sequence(packet), expected_sequence);
        expected_sequence = expected_sequence.wrapping_add(1);
        assert_eq!(payload(packet), ulaw(&tone(1000.0, index)));
    }
    let step = timestamp(&pair.to_core[1]).wrapping_sub(timestamp(&pair.to_core[0]));
    assert_eq!(step, 160);
    let core_heard: Vec<i16> = pair
        .to_core
        .iter()
        .flat_map(|p| unulaw(payload(p)))
        .collect();
    assert!(tone_share(&core_heard, 1000.0) > 0.9, "1 kHz at the core");

    let stats = pair.leg.stats();
    assert_eq!(stats.packets_out, 50);
    assert_eq!(stats.packets_in, 50);
    assert_eq!(stats.transcoded_frames, 0);
}

#[test]
fn opus_is_transcoded_both_ways() {
    let config = WebRtcConfig {
        prefer: AudioCodec::Opus,
        ..Default::default()
    };
    let mut pair = Pair::leg_offers(config, BrowserConfig::default()).unwrap();
    pair.connect();
    assert_eq!(pair.leg.codec(), Some(AudioCodec::Opus));
    assert_eq!(pair.browser.codec(), Some(AudioCodec::Opus));

    talk(&mut pair, 50);

    let received: Vec<_> = pair
        .to_browser
        .iter()
        .filter(|f| f.payload_type == 111)
        .collect();
    assert_eq!(received.len(), 50);
    assert_eq!(
        received[1].timestamp.wrapping_sub(received[0].timestamp),
        960
    );
    // The codec's start-up takes a few frames; judge the rest.
    let heard: Vec<i16> = received[10..]
        .iter()
        .flat_map(|f| f.pcm.iter().copied())
        .collect();
    assert_eq!(heard.len(), 40 * 160);
    let frequency = zero_crossing_frequency(&heard);
    assert!(
        (frequency - 440.0).abs() < 20.0,
        "browser hears {frequency} Hz"
    );
    assert!(tone_share(&heard, 440.0) > 0.7);

    assert_eq!(pair.to_core.len(), 50);
    assert!(pair
        .to_core
        .iter()
        .all(|p| payload_type(p) == 0 && payload(p).len() == 160));
    assert_eq!(
        timestamp(&pair.to_core[1]).wrapping_sub(timestamp(&pair.to_core[0])),
        160
    );
    let core_heard: Vec<i16> = pair.to_core[10..]
        .iter()
        .flat_map(|p| unulaw(payload(p)))
        .collect();
    let frequency = zero_crossing_frequency(&core_heard);
    assert!(
        (frequency - 1000.0).abs() < 30.0,
        "core hears {frequency} Hz"
    );

    assert_eq!(pair.leg.stats().transcoded_frames, 100);
}
