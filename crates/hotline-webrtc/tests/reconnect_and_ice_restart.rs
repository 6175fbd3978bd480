//! A page refresh (a new browser peer connection, `reconnect`) and a
//! network blip (an ICE restart offer, `renegotiate`) keep the leg working.

mod common;

use common::*;
use hotline_media::{MediaTransport, TransportState};
use hotline_webrtc::client::{BrowserConfig, BrowserPeer};
use hotline_webrtc::{AudioCodec, WebRtcConfig};

fn reconnect_keeps_the_stream(prefer: AudioCodec) {
    let config = WebRtcConfig {
        prefer,
        ..Default::default()
    };
    let mut pair = Pair::leg_offers(config, BrowserConfig::default()).unwrap();
    pair.connect();
    talk(&mut pair, 0, 20);
    assert_eq!(pair.to_browser.len(), 20);
    let before = pair.to_browser.last().unwrap().clone();
    let core_before = pair.to_core.len();

    // The page is refreshed: the old browser peer is gone.
    let offer = pair.leg.reconnect(pair.now).unwrap();
    assert_eq!(pair.leg.state(), TransportState::Connecting);
    let mut fresh = BrowserPeer::new(BrowserConfig::default(), browser_addr(), pair.now).unwrap();
    let answer = fresh.answer(pair.now, &offer).unwrap();
    pair.leg.accept_answer(pair.now, &answer).unwrap();
    pair.browser = fresh;
    pair.to_browser.clear();
    pair.connect();
    talk(&mut pair, 20, 20);

    assert_eq!(
        pair.to_browser.len(),
        20,
        "audio flows again toward the browser"
    );
    let after = &pair.to_browser[0];
    assert_eq!(after.ssrc, before.ssrc, "one SSRC for the leg");
    // Packets sent while reconnecting were not sent (not counted in the
    // sequence): the first after it follows the last before.
    assert_eq!(after.sequence, before.sequence.wrapping_add(1));
    assert!(after.timestamp.wrapping_sub(before.timestamp) < 48_000 * 5);
    assert_eq!(pair.to_core.len(), core_before + 20, "and toward the core");
    let core_heard: Vec<i16> = pair.to_core[core_before + 5..]
        .iter()
        .flat_map(|p| unulaw(payload(p)))
        .collect();
    let frequency = zero_crossing_frequency(&core_heard);
    assert!((frequency - 1000.0).abs() < 30.0, "{frequency}");
    // The core's stream did not jump either.
    assert_eq!(
        sequence(&pair.to_core[core_before]),
        sequence(&pair.to_core[core_before - 1]).wrapping_add(1)
    );
    assert_eq!(pair.leg.stats().sessions, 2);
}

#[test]
fn reconnect_with_a_new_browser_peer_connection_pcmu() {
    reconnect_keeps_the_stream(AudioCodec::Pcmu);
}

#[test]
fn reconnect_with_a_new_browser_peer_connection_opus() {
    reconnect_keeps_the_stream(AudioCodec::Opus);
}

#[test]
fn an_ice_restart_from_the_browser_keeps_audio_flowing() {
    let mut pair = Pair::leg_offers(WebRtcConfig::default(), BrowserConfig::default()).unwrap();
    pair.connect();
    talk(&mut pair, 0, 10);

    let restart = pair.browser.restart_ice(pair.now).unwrap();
    let answer = pair.leg.renegotiate(pair.now, &restart).unwrap();
    assert!(answer.lines().any(|l| l == "a=ice-lite"));
    pair.browser.accept_answer(pair.now, &answer).unwrap();
    pair.to_browser.clear();
    let core_before = pair.to_core.len();
    talk(&mut pair, 10, 20);
    assert_eq!(pair.leg.state(), TransportState::Connected);
    assert!(
        pair.to_browser.len() >= 18,
        "{} frames",
        pair.to_browser.len()
    );
    assert!(pair.to_core.len() >= core_before + 18);
    assert_eq!(pair.leg.stats().sessions, 1, "the same peer connection");
}

#[test]
fn an_ice_restart_offer_changes_the_ice_credentials() {
    let mut pair = Pair::browser_offers(WebRtcConfig::default(), BrowserConfig::default()).unwrap();
    pair.connect();
    let first = pair.browser.restart_ice(pair.now).unwrap();
    let answer = pair.leg.renegotiate(pair.now, &first).unwrap();
    pair.browser.accept_answer(pair.now, &answer).unwrap();
    let second = pair.browser.restart_ice(pair.now).unwrap();
    assert_ne!(ufrag(&first), ufrag(&second));
    let second_answer = pair.leg.renegotiate(pair.now, &second).unwrap();
    assert_ne!(
        ufrag(&answer),
        ufrag(&second_answer),
        "the leg answers with new credentials too"
    );
    pair.browser
        .accept_answer(pair.now, &second_answer)
        .unwrap();
    talk(&mut pair, 0, 20);
    assert!(pair.to_core.len() >= 18);
}

fn ufrag(sdp: &str) -> String {
    sdp.lines()
        .find_map(|line| line.strip_prefix("a=ice-ufrag:"))
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn close_after_reconnect_drops_everything() {
    let mut pair = Pair::leg_offers(WebRtcConfig::default(), BrowserConfig::default()).unwrap();
    pair.connect();
    pair.leg.reconnect(pair.now).unwrap();
    MediaTransport::close(&mut pair.leg, pair.now);
    pair.leg.poll_transmit(&mut |_, _| {});
    assert!(pair.leg.is_released());
}
