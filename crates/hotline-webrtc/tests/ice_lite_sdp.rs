//! What the leg's SDP says about ICE and DTLS: ICE-lite, its host
//! candidate, rtcp-mux, a fingerprint, and the DTLS server role.

mod common;

use std::net::IpAddr;
use std::time::Instant;

use common::*;
use hotline_webrtc::client::{BrowserConfig, BrowserPeer};
use hotline_webrtc::{WebRtcConfig, WebRtcLeg};

fn has_line(sdp: &str, prefix: &str) -> bool {
    sdp.lines().any(|line| line.starts_with(prefix))
}

#[test]
fn the_offer_is_ice_lite_with_our_host_candidate_and_actpass() {
    let (_leg, offer) =
        WebRtcLeg::offer(WebRtcConfig::default(), leg_addr(), Instant::now()).unwrap();
    assert!(has_line(&offer, "a=ice-lite"), "{offer}");
    assert!(has_line(&offer, "a=setup:actpass"), "{offer}");
    assert!(has_line(&offer, "a=fingerprint:sha-256 "), "{offer}");
    assert!(has_line(&offer, "a=rtcp-mux"), "{offer}");
    assert!(has_line(&offer, "a=group:BUNDLE"), "{offer}");
    assert!(has_line(&offer, "a=sendrecv"), "{offer}");
    assert!(
        offer
            .lines()
            .any(|line| line.starts_with("a=candidate:")
                && line.contains(" 10.1.2.3 40000 typ host")),
        "{offer}"
    );
}

#[test]
fn the_browser_answers_active_so_the_leg_is_the_dtls_server() {
    let now = Instant::now();
    let (mut leg, offer) = WebRtcLeg::offer(WebRtcConfig::default(), leg_addr(), now).unwrap();
    let mut browser = BrowserPeer::new(BrowserConfig::default(), browser_addr(), now).unwrap();
    let answer = browser.answer(now, &offer).unwrap();
    assert!(has_line(&answer, "a=setup:active"), "{answer}");
    assert!(!has_line(&answer, "a=ice-lite"));
    leg.accept_answer(now, &answer).unwrap();
    let mut pair = Pair::new(now, leg, browser);
    pair.connect();
}

#[test]
fn answering_a_browsers_actpass_offer_is_passive_and_ice_lite() {
    let now = Instant::now();
    let mut browser = BrowserPeer::new(BrowserConfig::default(), browser_addr(), now).unwrap();
    let offer = browser.offer(now).unwrap();
    assert!(has_line(&offer, "a=setup:actpass"), "{offer}");
    let (leg, answer) =
        WebRtcLeg::answer(WebRtcConfig::default(), leg_addr(), now, &offer).unwrap();
    assert!(has_line(&answer, "a=setup:passive"), "{answer}");
    assert!(has_line(&answer, "a=ice-lite"), "{answer}");
    assert!(has_line(&answer, "a=fingerprint:"), "{answer}");
    assert!(has_line(&answer, "a=rtcp-mux"), "{answer}");
    browser.accept_answer(now, &answer).unwrap();
    let mut pair = Pair::new(now, leg, browser);
    pair.connect();
}

#[test]
fn a_public_address_is_advertised_instead_of_the_socket_and_works() {
    let public: IpAddr = "203.0.113.5".parse().unwrap();
    let config = WebRtcConfig {
        public_ips: vec![public],
        ..Default::default()
    };
    let now = Instant::now();
    let (mut leg, offer) = WebRtcLeg::offer(config, leg_addr(), now).unwrap();
    assert!(offer.contains(" 203.0.113.5 40000 typ host"), "{offer}");
    assert!(!offer.contains("10.1.2.3"), "{offer}");
    let mut browser = BrowserPeer::new(BrowserConfig::default(), browser_addr(), now).unwrap();
    let answer = browser.answer(now, &offer).unwrap();
    leg.accept_answer(now, &answer).unwrap();
    let mut pair = Pair::new(now, leg, browser);
    pair.connect();
}
