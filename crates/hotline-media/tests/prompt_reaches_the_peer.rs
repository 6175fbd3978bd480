//! Over real UDP: a prompt played on a leg reaches the phone as paced RTP
//! whose decoded audio is the source WAV's audio.

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use hotline_media::prompt::load_wav_8k_mono;
use hotline_media::{Codec, LegParams, MediaEvent, PlaybackOutcome, PromptCache};

fn shipped_prompt() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ivr_scripts/prompts/en/say/n-70.wav")
}

async fn play_and_capture(codec: Codec, first_port: u16) {
    let engine = engine(first_port);
    let cache = PromptCache::new();
    let path = shipped_prompt();
    let prompt = cache.get(&path).unwrap();
    let source = load_wav_8k_mono(&path).unwrap();

    let peer = Peer::bind().await;
    let mut leg = engine.allocate_leg().unwrap();
    // Queued before start, so it is the very first thing the caller hears.
    let id = leg.play(vec![Arc::clone(&prompt)], false).unwrap();
    leg.start(LegParams::new(peer.addr(), codec, Some(101)))
        .unwrap();

    let packets_needed = source.len().div_ceil(160);
    let mut received = Vec::new();
    while received.len() < packets_needed {
        let (h, payload) = peer
            .recv(Duration::from_secs(5))
            .await
            .expect("prompt packets stopped");
        received.push((h, payload));
    }
    let events = wait_for_event(&mut leg, Duration::from_secs(5), |e| {
        matches!(e, MediaEvent::PlaybackFinished { .. })
    })
    .await;
    assert_eq!(
        events.last(),
        Some(&MediaEvent::PlaybackFinished {
            id,
            outcome: PlaybackOutcome::Completed
        })
    );

    let (first, _) = &received[0];
    assert!(first.marker);
    for (i, (h, payload)) in received.iter().enumerate() {
        assert_eq!(h.payload_type, codec.payload_type());
        assert_eq!(h.ssrc, first.ssrc);
        assert_eq!(
            h.sequence,
            first.sequence.wrapping_add(i as u16),
            "no packet lost or reordered"
        );
        assert_eq!(h.timestamp, first.timestamp.wrapping_add(160 * i as u32));
        assert_eq!(payload.len(), 160);
    }
    let bytes: Vec<u8> = received
        .iter()
        .flat_map(|(_, p)| p.iter().copied())
        .collect();
    assert_eq!(
        &bytes[..source.len()],
        prompt.encoded(codec),
        "the cached encoding is what is sent"
    );
    let decoded: Vec<i16> = bytes.iter().map(|b| codec.decode(*b)).collect();
    let snr = snr_db(&source, &decoded[..source.len()]);
    // G.711 quantisation noise alone: ~35-38 dB for speech at this level.
    assert!(
        snr > 25.0,
        "{codec:?}: the caller hears the source with SNR {snr:.1} dB"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_is_heard_as_recorded_in_mu_law() {
    play_and_capture(Codec::Pcmu, 30_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_is_heard_as_recorded_in_a_law() {
    play_and_capture(Codec::Pcma, 30_200).await;
}
