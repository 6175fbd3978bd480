//! A network blip: nothing gets through either way for a while (the
//! agent's Wi-Fi drops, a laptop changes networks), then the browser comes
//! back from another address with an ICE restart. The leg must still be
//! there to answer it (not closed for good by the silence) and audio must
//! flow again both ways on the same peer connection.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use hotline_media::{MediaTransport, TransportState};
use hotline_webrtc::client::BrowserConfig;
use hotline_webrtc::WebRtcConfig;

/// `length` of simulated time in which every datagram is lost.
fn blackout(pair: &mut Pair, length: Duration) -> Vec<TransportState> {
    let end = pair.now + length;
    let mut states = Vec::new();
    let mut index = 0;
    while pair.now < end {
        pair.now += TICK;
        let packet = core_packet(index, 160 * u32::from(index), 0xc0de, 0, &[0xff; 160]);
        pair.leg.send_rtp(pair.now, &packet);
        MediaTransport::handle_timeout(&mut pair.leg, pair.now);
        pair.browser.handle_timeout(pair.now);
        pair.leg.poll_transmit(&mut |_, _| {});
        pair.browser.poll_transmit(&mut |_, _| {});
        if states.last() != Some(&pair.leg.state()) {
            states.push(pair.leg.state());
        }
        index = index.wrapping_add(1);
    }
    states
}

#[test]
fn twenty_five_seconds_of_nothing_then_an_ice_restart_from_a_new_address() {
    let mut pair = Pair::leg_offers(WebRtcConfig::default(), BrowserConfig::default()).unwrap();
    pair.connect();
    talk(&mut pair, 0, 10);
    assert_eq!(pair.leg.state(), TransportState::Connected);

    // Just under the call's dead-media time (30 s), which ends the call.
    let states = blackout(&mut pair, Duration::from_secs(25));
    assert!(
        states.contains(&TransportState::Disconnected),
        "the leg noticed: {states:?}"
    );
    assert!(
        !states.contains(&TransportState::Closed),
        "the silence does not close the leg for good: {states:?}"
    );

    // Back, from another address (a new network), with new ICE credentials.
    pair.browser_addr = SocketAddr::from(([127, 0, 0, 1], 47_002));
    let restart = pair.browser.restart_ice(pair.now).unwrap();
    let answer = pair.leg.renegotiate(pair.now, &restart).unwrap();
    pair.browser.accept_answer(pair.now, &answer).unwrap();
    pair.to_browser.clear();
    let core_before = pair.to_core.len();
    assert!(
        pair.run_until(Duration::from_secs(10), |p| p.leg.state()
            == TransportState::Connected),
        "connected again: {:?}",
        pair.leg.state()
    );
    talk(&mut pair, 10, 25);
    assert!(
        pair.to_browser.len() >= 20,
        "audio toward the browser again: {} frames",
        pair.to_browser.len()
    );
    assert!(
        pair.to_core.len() >= core_before + 20,
        "and toward the citizen: {} packets",
        pair.to_core.len() - core_before
    );
    let heard: Vec<i16> = pair.to_core[pair.to_core.len() - 15..]
        .iter()
        .flat_map(|p| unulaw(payload(p)))
        .collect();
    let frequency = zero_crossing_frequency(&heard);
    assert!((frequency - 1000.0).abs() < 30.0, "{frequency}");
    assert_eq!(pair.leg.stats().sessions, 1, "the same peer connection");
}
