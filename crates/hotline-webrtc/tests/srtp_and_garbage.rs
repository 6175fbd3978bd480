//! What the leg does with datagrams it must not believe: altered SRTP,
//! cut-short SRTP and plain garbage are dropped and counted.

mod common;

use std::time::Duration;

use common::*;
use hotline_media::{MediaTransport, TransportState};
use hotline_webrtc::client::BrowserConfig;
use hotline_webrtc::WebRtcConfig;

fn connected() -> Pair {
    let mut pair = Pair::leg_offers(WebRtcConfig::default(), BrowserConfig::default()).unwrap();
    pair.connect();
    pair
}

fn is_rtp(datagram: &[u8]) -> bool {
    datagram.len() > 12 && (128..=191).contains(&datagram[0]) && !(192..=223).contains(&datagram[1])
}

#[test]
fn an_altered_srtp_packet_is_not_delivered_and_is_counted() {
    let mut pair = connected();
    pair.tamper_to_leg = Some(Box::new(|datagram: &mut Vec<u8>| {
        if is_rtp(datagram) {
            // One bit of the payload: the tag no longer matches.
            datagram[20] ^= 0x01;
        }
    }));
    for index in 0..10 {
        assert!(pair.browser.send_audio(pair.now, &tone(1000.0, index)));
        pair.tick();
    }
    assert!(pair.to_core.is_empty(), "nothing altered reaches the core");
    assert_eq!(pair.leg.stats().srtp_errors, 10);
    assert_eq!(pair.leg.stats().packets_in, 0);

    // Unaltered packets still flow afterwards.
    pair.tamper_to_leg = None;
    for index in 10..15 {
        pair.browser.send_audio(pair.now, &tone(1000.0, index));
        pair.tick();
    }
    assert_eq!(pair.to_core.len(), 5);
    assert_eq!(pair.leg.state(), TransportState::Connected);
}

#[test]
fn truncated_srtp_and_garbage_are_dropped_and_counted() {
    let mut pair = connected();
    let from = pair.browser_addr;
    let now = pair.now;
    let garbage: [&[u8]; 6] = [
        &[],
        &[0xff; 40],
        &[0x00, 0x01, 0x00],
        &[0x16, 0xfe, 0xfd],
        &[0x80, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2],
        &[0x80; 1500],
    ];
    for datagram in garbage {
        pair.leg.handle_datagram(now, from, datagram);
    }
    // A real SRTP packet cut in half.
    let mut captured = Vec::new();
    pair.browser.send_audio(now, &tone(1000.0, 0));
    pair.browser
        .poll_transmit(&mut |_, datagram| captured.push(datagram.to_vec()));
    let packet = captured
        .into_iter()
        .find(|d| is_rtp(d))
        .expect("an SRTP packet");
    pair.leg
        .handle_datagram(now, from, &packet[..packet.len() / 2]);
    pair.leg
        .handle_datagram(now, from, &packet[..packet.len() - 1]);
    // And the same packet twice: the replay is refused.
    pair.leg.handle_datagram(now, from, &packet);
    pair.leg.handle_datagram(now, from, &packet);

    let stats = pair.leg.stats();
    assert_eq!(stats.packets_in, 1, "only the intact packet, once");
    assert_eq!(stats.garbage_datagrams, 4, "{stats:?}");
    assert!(stats.srtp_errors >= 4, "{stats:?}");
    // Still alive and well.
    pair.run_until(Duration::from_millis(200), |_| false);
    assert_eq!(pair.leg.state(), TransportState::Connected);
}

#[test]
fn close_says_goodbye_and_lets_go_of_everything() {
    let mut pair = connected();
    MediaTransport::close(&mut pair.leg, pair.now);
    assert_eq!(pair.leg.state(), TransportState::Closed);
    let mut last = Vec::new();
    pair.leg
        .poll_transmit(&mut |_, datagram| last.push(datagram.len()));
    assert!(pair.leg.is_released());
    // A closed leg ignores everything without complaint.
    pair.leg
        .handle_datagram(pair.now, pair.browser_addr, &[0x80; 100]);
    pair.leg
        .send_rtp(pair.now, &core_packet(1, 1, 1, 0, &[0xff; 160]));
    MediaTransport::handle_timeout(&mut pair.leg, pair.now);
    assert!(pair.leg.reconnect(pair.now).is_err());
}
