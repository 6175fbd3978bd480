//! Over real UDP: a call recording holds the caller on one channel and what
//! the caller heard on the other (or both mixed); a voice message stops on
//! its key, its maximum length or the caller's silence.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use hotline_media::dtmf::TelephoneEvent;
use hotline_media::{
    Codec, LegParams, MediaEvent, Prompt, RecordMode, RecordOptions, RecordingStop,
};

fn frequency(samples: &[i16]) -> f64 {
    let crossings = samples
        .windows(2)
        .filter(|w| (w[0] < 0) != (w[1] < 0))
        .count();
    crossings as f64 / 2.0 / (samples.len() as f64 / 8000.0)
}

fn rms(samples: &[i16]) -> f64 {
    (samples.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / samples.len().max(1) as f64)
        .sqrt()
}

fn options(path: std::path::PathBuf, mode: RecordMode) -> RecordOptions {
    RecordOptions {
        path,
        mode,
        max_duration: None,
        stop_keys: String::new(),
        stop_after_silence: None,
    }
}

async fn finished(leg: &mut hotline_media::Leg) -> (std::path::PathBuf, Duration, RecordingStop) {
    let events = wait_for_event(leg, Duration::from_secs(10), |e| {
        matches!(
            e,
            MediaEvent::RecordingFinished { .. } | MediaEvent::RecordingFailed { .. }
        )
    })
    .await;
    match events.last() {
        Some(MediaEvent::RecordingFinished {
            path,
            duration,
            reason,
            ..
        }) => (path.clone(), *duration, *reason),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stereo_recording_holds_both_sides() {
    let dir = temp_dir("rec-stereo");
    let engine = engine(31_000);
    let peer = Peer::bind().await;
    let mut leg = engine.allocate_leg().unwrap();
    leg.start(LegParams::new(peer.addr(), Codec::Pcmu, Some(101)))
        .unwrap();
    let to = leg.local_addr();
    // The hotline plays 1 kHz while the caller says 400 Hz.
    let prompt = Arc::new(Prompt::from_samples("tone", &sine(1000.0, 3000, 6000.0)));
    leg.play(vec![prompt], false).unwrap();
    leg.record(options(dir.join("call.wav"), RecordMode::Stereo))
        .unwrap();
    peer.send_audio(to, Codec::Pcmu, &sine(400.0, 1500, 6000.0))
        .await;
    leg.stop_recording().unwrap();
    let (path, duration, reason) = finished(&mut leg).await;
    assert_eq!(reason, RecordingStop::Stopped);
    assert!(duration >= Duration::from_millis(1400), "{duration:?}");

    let mut reader = hound::WavReader::open(&path).unwrap();
    let spec = reader.spec();
    assert_eq!(
        (spec.channels, spec.sample_rate, spec.bits_per_sample),
        (2, 8000, 16)
    );
    let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
    let left: Vec<i16> = samples.iter().step_by(2).copied().collect();
    let right: Vec<i16> = samples.iter().skip(1).step_by(2).copied().collect();
    assert_eq!(left.len() as u128, duration.as_micros() / 125);
    // The middle half second of each channel: caller left, hotline right.
    let mid = left.len() / 2;
    let (l, r) = (
        &left[mid - 2000..mid + 2000],
        &right[mid - 2000..mid + 2000],
    );
    assert!(
        (frequency(l) - 400.0).abs() < 10.0,
        "left {:.0} Hz",
        frequency(l)
    );
    assert!(
        (frequency(r) - 1000.0).abs() < 10.0,
        "right {:.0} Hz",
        frequency(r)
    );
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_recording_sums_both_sides() {
    let dir = temp_dir("rec-mixed");
    let engine = engine(31_200);
    let peer = Peer::bind().await;
    let mut leg = engine.allocate_leg().unwrap();
    leg.start(LegParams::new(peer.addr(), Codec::Pcma, None))
        .unwrap();
    let to = leg.local_addr();
    leg.play(
        vec![Arc::new(Prompt::from_samples(
            "tone",
            &sine(1000.0, 3000, 5000.0),
        ))],
        false,
    )
    .unwrap();
    leg.record(options(dir.join("mixed.wav"), RecordMode::Mixed))
        .unwrap();
    peer.send_audio(to, Codec::Pcma, &sine(400.0, 1000, 5000.0))
        .await;
    leg.stop_recording().unwrap();
    let (path, _, _) = finished(&mut leg).await;
    let mut reader = hound::WavReader::open(&path).unwrap();
    assert_eq!(reader.spec().channels, 1);
    let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
    let mid = samples.len() / 2;
    let window = &samples[mid - 2000..mid + 2000];
    // Two sines of equal level: the RMS of the sum is that of one times sqrt(2).
    let single = 5000.0 / 2f64.sqrt();
    let level = rms(window);
    assert!(
        (level / single - 2f64.sqrt()).abs() < 0.15,
        "RMS {level:.0}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voice_message_stops_on_its_key() {
    let dir = temp_dir("rec-key");
    let engine = engine(31_400);
    let peer = Peer::bind().await;
    let mut leg = engine.allocate_leg().unwrap();
    leg.start(LegParams::new(peer.addr(), Codec::Pcmu, Some(101)))
        .unwrap();
    let to = leg.local_addr();
    let mut opts = options(dir.join("message.wav"), RecordMode::CallerOnly);
    opts.stop_keys = "#".into();
    opts.max_duration = Some(Duration::from_secs(30));
    leg.record(opts).unwrap();
    peer.send_audio(to, Codec::Pcmu, &sine(300.0, 600, 6000.0))
        .await;
    let ts = peer.ts.load(std::sync::atomic::Ordering::Relaxed);
    for step in 1..=3u16 {
        let payload = TelephoneEvent {
            event: 11,
            end: step == 3,
            volume: 10,
            duration: step * 160,
        }
        .to_bytes();
        peer.send(to, 101, step == 1, ts, &payload).await;
    }
    let (path, duration, reason) = finished(&mut leg).await;
    assert_eq!(reason, RecordingStop::Key('#'));
    assert!(
        duration >= Duration::from_millis(500) && duration < Duration::from_secs(3),
        "{duration:?}"
    );
    let samples: Vec<i16> = hound::WavReader::open(&path)
        .unwrap()
        .samples::<i16>()
        .map(Result::unwrap)
        .collect();
    // The caller's 300 Hz is in the first half second (the recording may start a tick early).
    let f = frequency(&samples[800..4000]);
    assert!((f - 300.0).abs() < 10.0, "{f:.0} Hz");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voice_message_stops_at_its_maximum_length_and_on_silence() {
    let dir = temp_dir("rec-limits");
    let engine = engine(31_600);
    let peer = Peer::bind().await;
    let mut leg = engine.allocate_leg().unwrap();
    leg.start(LegParams::new(peer.addr(), Codec::Pcmu, Some(101)))
        .unwrap();
    let to = leg.local_addr();

    let mut opts = options(dir.join("long.wav"), RecordMode::CallerOnly);
    opts.max_duration = Some(Duration::from_millis(500));
    leg.record(opts).unwrap();
    peer.send_audio(to, Codec::Pcmu, &sine(300.0, 800, 6000.0))
        .await;
    let (path, duration, reason) = finished(&mut leg).await;
    assert_eq!(reason, RecordingStop::MaxDuration);
    assert_eq!(duration, Duration::from_millis(500));
    assert_eq!(hound::WavReader::open(&path).unwrap().duration(), 4000);

    let mut opts = options(dir.join("quiet.wav"), RecordMode::CallerOnly);
    opts.stop_after_silence = Some(Duration::from_millis(400));
    opts.max_duration = Some(Duration::from_secs(30));
    leg.record(opts).unwrap();
    let mut speech_then_silence = sine(300.0, 300, 6000.0);
    speech_then_silence.extend(vec![0i16; 8000]);
    let (_, (_, duration, reason)) = tokio::join!(
        peer.send_audio(to, Codec::Pcmu, &speech_then_silence),
        finished(&mut leg)
    );
    assert_eq!(reason, RecordingStop::Silence);
    assert!(
        duration >= Duration::from_millis(650) && duration < Duration::from_millis(1500),
        "{duration:?}"
    );

    // A path that cannot be written is an error at once.
    let bad = RecordOptions {
        path: dir.join("no/such/dir/x.wav"),
        ..options(dir.join("x"), RecordMode::Mixed)
    };
    assert!(leg.record(bad).is_err());
    std::fs::remove_dir_all(dir).ok();
}
