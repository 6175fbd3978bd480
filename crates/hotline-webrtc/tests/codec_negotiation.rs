//! Which codec a leg settles on, whichever side offers.

mod common;

use std::time::Instant;

use common::*;
use hotline_webrtc::client::{BrowserConfig, BrowserPeer};
use hotline_webrtc::{AudioCodec, WebRtcConfig, WebRtcError, WebRtcLeg};

fn prefer(codec: AudioCodec) -> WebRtcConfig {
    WebRtcConfig {
        prefer: codec,
        ..Default::default()
    }
}

fn browser(codecs: &[AudioCodec]) -> BrowserConfig {
    BrowserConfig {
        codecs: codecs.to_vec(),
    }
}

#[test]
fn prefer_pcmu_wins_over_a_browser_listing_opus_first() {
    let opus_first = browser(&[AudioCodec::Opus, AudioCodec::Pcmu]);
    let mut pair = Pair::browser_offers(prefer(AudioCodec::Pcmu), opus_first.clone()).unwrap();
    assert_eq!(pair.leg.codec(), Some(AudioCodec::Pcmu));
    assert_eq!(pair.browser.codec(), Some(AudioCodec::Pcmu));
    pair.connect();

    let pair = Pair::leg_offers(prefer(AudioCodec::Pcmu), opus_first).unwrap();
    assert_eq!(pair.leg.codec(), Some(AudioCodec::Pcmu));
    assert_eq!(pair.browser.codec(), Some(AudioCodec::Pcmu));
}

#[test]
fn prefer_opus_chooses_opus() {
    let pcmu_first = browser(&[AudioCodec::Pcmu, AudioCodec::Opus]);
    let pair = Pair::browser_offers(prefer(AudioCodec::Opus), pcmu_first.clone()).unwrap();
    assert_eq!(pair.leg.codec(), Some(AudioCodec::Opus));
    assert_eq!(pair.browser.codec(), Some(AudioCodec::Opus));

    let pair = Pair::leg_offers(prefer(AudioCodec::Opus), pcmu_first).unwrap();
    assert_eq!(pair.leg.codec(), Some(AudioCodec::Opus));
    assert_eq!(pair.browser.codec(), Some(AudioCodec::Opus));
}

#[test]
fn a_browser_with_only_opus_gets_opus_even_when_pcmu_is_preferred() {
    let only_opus = browser(&[AudioCodec::Opus]);
    let mut pair = Pair::browser_offers(prefer(AudioCodec::Pcmu), only_opus.clone()).unwrap();
    assert_eq!(pair.leg.codec(), Some(AudioCodec::Opus));
    pair.connect();

    let mut pair = Pair::leg_offers(prefer(AudioCodec::Pcmu), only_opus).unwrap();
    assert_eq!(pair.leg.codec(), Some(AudioCodec::Opus));
    pair.connect();
}

#[test]
fn an_offer_with_no_common_codec_is_an_error() {
    let now = Instant::now();
    let mut peer = BrowserPeer::new(BrowserConfig::default(), browser_addr(), now).unwrap();
    let offer = peer.offer(now).unwrap();
    // Only G.722 is left in the audio section.
    let g722_only: String = offer
        .lines()
        .filter(|line| !line.starts_with("a=rtpmap") && !line.starts_with("a=fmtp"))
        .map(|line| {
            if line.starts_with("m=audio") {
                let mut fields: Vec<&str> = line.split(' ').take(3).collect();
                fields.push("9");
                format!("{}\r\na=rtpmap:9 G722/8000", fields.join(" "))
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n")
        + "\r\n";
    let result = WebRtcLeg::answer(WebRtcConfig::default(), leg_addr(), now, &g722_only);
    assert!(
        matches!(result, Err(WebRtcError::NoCommonCodec { ref offered }) if offered == "g722/8000"),
        "{result:?}"
    );
}

#[test]
fn bad_sdp_is_an_error_not_a_panic() {
    let now = Instant::now();
    for garbage in [
        "",
        "hello",
        "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n",
        "m=audio x",
    ] {
        let result = WebRtcLeg::answer(WebRtcConfig::default(), leg_addr(), now, garbage);
        assert!(result.is_err(), "{garbage:?} gave {result:?}");
    }
    let (mut leg, _offer) = WebRtcLeg::offer(WebRtcConfig::default(), leg_addr(), now).unwrap();
    assert!(leg.accept_answer(now, "v=0\r\nnonsense").is_err());
    assert!(
        leg.renegotiate(now, "v=0").is_err(),
        "no renegotiation before the answer"
    );
}
