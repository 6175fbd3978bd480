//! The shared handle works as the engine's transport while the signalling
//! side holds a clone; a DTLS failure closes the leg without a panic.

mod common;

use std::time::{Duration, Instant};

use common::*;
use hotline_media::{MediaTransport, TransportState};
use hotline_webrtc::client::{BrowserConfig, BrowserPeer};
use hotline_webrtc::{SharedWebRtcLeg, WebRtcConfig, WebRtcLeg};

fn drive(transport: &mut dyn MediaTransport, browser: &mut BrowserPeer, now: Instant) {
    for _ in 0..10 {
        let mut to_browser = Vec::new();
        transport.poll_transmit(&mut |_, d| to_browser.push(d.to_vec()));
        let mut to_leg = Vec::new();
        browser.poll_transmit(&mut |_, d| to_leg.push(d.to_vec()));
        if to_browser.is_empty() && to_leg.is_empty() {
            break;
        }
        for d in to_browser {
            browser.handle_datagram(now, leg_addr(), &d);
        }
        for d in to_leg {
            transport.handle_datagram(now, browser_addr(), &d);
        }
    }
}

/// A leg offered, shared between the signalling side and the engine's
/// transport, and a browser peer whose answer the signalling side applied.
fn shared_leg_answered(now: Instant) -> (SharedWebRtcLeg, Box<dyn MediaTransport>, BrowserPeer) {
    let (leg, offer) = WebRtcLeg::offer(WebRtcConfig::default(), leg_addr(), now).unwrap();
    let signalling = SharedWebRtcLeg::new(leg);
    let engine: Box<dyn MediaTransport> = Box::new(signalling.clone());
    let mut browser = BrowserPeer::new(BrowserConfig::default(), browser_addr(), now).unwrap();
    let answer = browser.answer(now, &offer).unwrap();
    signalling.accept_answer(now, &answer).unwrap();
    (signalling, engine, browser)
}

#[test]
fn the_engine_drives_a_clone_while_signalling_holds_another() {
    let mut now = Instant::now();
    let (signalling, mut engine, mut browser) = shared_leg_answered(now);
    let mut delivered = 0;
    for index in 0..100 {
        now += TICK;
        engine.handle_timeout(now);
        browser.handle_timeout(now);
        if engine.state() == TransportState::Connected && browser.is_connected() {
            browser.send_audio(now, &tone(1000.0, index));
        }
        drive(engine.as_mut(), &mut browser, now);
        engine.poll_rtp(&mut |_| delivered += 1);
    }
    assert!(delivered > 50, "{delivered}");
    assert_eq!(signalling.stats().packets_in, delivered);
    engine.close(now);
    engine.poll_transmit(&mut |_, _| {});
    assert!(signalling.lock().is_released());
}

#[test]
fn a_dtls_fingerprint_mismatch_closes_the_leg() {
    let now = Instant::now();
    let (mut leg, offer) = WebRtcLeg::offer(WebRtcConfig::default(), leg_addr(), now).unwrap();
    let mut browser = BrowserPeer::new(BrowserConfig::default(), browser_addr(), now).unwrap();
    let answer = browser.answer(now, &offer).unwrap();
    // Another certificate's fingerprint: the handshake must not complete.
    let forged: String = answer
        .lines()
        .map(|line| {
            if let Some(rest) = line.strip_prefix("a=fingerprint:sha-256 ") {
                let flipped = if rest.starts_with('0') { "1" } else { "0" };
                format!("a=fingerprint:sha-256 {flipped}{}", &rest[1..])
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n")
        + "\r\n";
    leg.accept_answer(now, &forged).unwrap();
    let mut pair = Pair::new(now, leg, browser);
    let closed = pair.run_until(Duration::from_secs(30), |pair| {
        pair.leg.state() == TransportState::Closed
    });
    assert!(
        closed,
        "leg {:?}, browser {:?}",
        pair.leg.state(),
        pair.browser.connection_state()
    );
    assert!(pair.to_core.is_empty());
    assert_eq!(pair.leg.stats().connect_failures, 1);
}

#[test]
fn the_engine_never_waits_while_signalling_holds_the_leg() {
    let mut now = Instant::now();
    let (signalling, mut engine, mut browser) = shared_leg_answered(now);
    for _ in 0..100 {
        now += TICK;
        engine.handle_timeout(now);
        browser.handle_timeout(now);
        drive(engine.as_mut(), &mut browser, now);
        if engine.state() == TransportState::Connected && browser.is_connected() {
            break;
        }
    }
    assert_eq!(engine.state(), TransportState::Connected);

    // The signalling side holds the leg (applying an SDP, say); on this
    // same thread a blocking lock would never return.
    let held = signalling.lock();
    now += TICK;
    assert!(browser.send_audio(now, &tone(1000.0, 0)));
    let mut from_browser = Vec::new();
    browser.poll_transmit(&mut |_, d| from_browser.push(d.to_vec()));
    assert!(!from_browser.is_empty());
    for d in &from_browser {
        engine.handle_datagram(now, browser_addr(), d);
    }
    engine.handle_timeout(now);
    engine.send_rtp(now, &core_packet(1, 160, 0xc0de, 0, &[0xff; 160]));
    let mut sent = 0;
    engine.poll_transmit(&mut |_, _| sent += 1);
    let mut delivered = 0;
    engine.poll_rtp(&mut |_| delivered += 1);
    assert_eq!(
        (sent, delivered),
        (0, 0),
        "the leg was skipped, not waited for"
    );
    assert_eq!(
        engine.state(),
        TransportState::Connected,
        "the state last seen"
    );
    drop(held);

    // At its next turn the leg gets what was parked for it.
    now += TICK;
    engine.handle_timeout(now);
    engine.poll_rtp(&mut |_| delivered += 1);
    assert_eq!(delivered, 1, "the parked audio reached the core");
}
