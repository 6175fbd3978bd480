//! Over real UDP: every key a caller sends is reported exactly once, in
//! order, whether it comes as RFC 4733 events (including SIPp's play_dtmf
//! habits: a new SSRC and payload type 96 after type 97 fillers) or as
//! in-band tones.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use hotline_media::dtmf::{event_for_key, TelephoneEvent};
use hotline_media::{Codec, DtmfSource, LegParams, MediaEvent};

async fn send_event(peer: &Peer, to: SocketAddr, pt: u8, key: char, ts: u32) {
    let event = event_for_key(key).unwrap();
    for step in 1..=5u16 {
        let end = step == 5;
        let payload = TelephoneEvent {
            event,
            end,
            volume: 10,
            duration: step * 160,
        }
        .to_bytes();
        let repeats = if end { 3 } else { 1 };
        for _ in 0..repeats {
            peer.send(to, pt, step == 1, ts, &payload).await;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn collect_keys(leg: &mut hotline_media::Leg, count: usize) -> Vec<(char, DtmfSource)> {
    let mut keys = Vec::new();
    wait_for_event(leg, Duration::from_secs(20), |e| {
        if let MediaEvent::Dtmf { key, source, .. } = e {
            keys.push((*key, *source));
        }
        keys.len() == count
    })
    .await;
    // Nothing more (no duplicate from a late end packet).
    tokio::time::sleep(Duration::from_millis(200)).await;
    while let Some(e) = leg.try_event() {
        assert!(!matches!(e, MediaEvent::Dtmf { .. }), "extra key {e:?}");
    }
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc_4733_keys_are_reported_exactly() {
    let engine = engine(30_400);
    let peer = Peer::bind().await;
    let mut leg = engine.allocate_leg().unwrap();
    leg.start(LegParams::new(peer.addr(), Codec::Pcmu, Some(101)))
        .unwrap();
    let to = leg.local_addr();
    peer.send(to, 0, true, 0, &[0xFF; 160]).await;
    let mut ts = 160;
    for key in "123456".chars() {
        send_event(&peer, to, 101, key, ts).await;
        ts += 1600;
    }
    // SIPp play_dtmf: filler packets of type 97, then type 96 on a new SSRC.
    for _ in 0..3 {
        peer.send(to, 97, false, ts, &[0x55; 20]).await;
    }
    peer.ssrc
        .store(0x0BAD_CAFE, std::sync::atomic::Ordering::Relaxed);
    for key in "7890*#".chars() {
        send_event(&peer, to, 96, key, ts).await;
        ts += 1600;
    }
    let keys = collect_keys(&mut leg, 12).await;
    let heard: String = keys.iter().map(|k| k.0).collect();
    assert_eq!(heard, "1234567890*#");
    assert!(keys.iter().all(|k| k.1 == DtmfSource::Rfc4733));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_band_tones_are_reported_exactly() {
    let engine = engine(30_600);
    let peer = Peer::bind().await;
    let mut leg = engine.allocate_leg().unwrap();
    // The gateway negotiated no telephone-event: tones only.
    leg.start(LegParams::new(peer.addr(), Codec::Pcma, None))
        .unwrap();
    let to = leg.local_addr();
    let mut signal = silence(100);
    for key in "0815#".chars() {
        signal.extend(dtmf_tone(key, 80, 5000.0, 4000.0));
        signal.extend(silence(80));
    }
    let samples = with_noise(&signal, 100.0, 42);
    peer.send_audio(to, Codec::Pcma, &samples).await;
    let keys = collect_keys(&mut leg, 5).await;
    let heard: String = keys.iter().map(|k| k.0).collect();
    assert_eq!(heard, "0815#");
    assert!(keys.iter().all(|k| k.1 == DtmfSource::InBand));
}
