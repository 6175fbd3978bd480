//! A recording writer that stops reading (a stalled disk) costs audio in the
//! recording, counted, but neither unbounded memory nor a stalled leg; when
//! it catches up, recording goes on.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_media::core::{ComfortNoise, LegCore, Outbox, Port, TICK};
use hotline_media::recorder::{RecorderMsg, RecorderSink, MAX_WRITER_BACKLOG};
use hotline_media::{Codec, LegParams, RecordMode, RecordOptions, RecordingId};

#[test]
fn a_stalled_writer_loses_samples_not_the_call() {
    let t0 = Instant::now();
    let peer: SocketAddr = "127.0.0.1:40600".parse().unwrap();
    let mut core = LegCore::new(1, 0, 0, Arc::new(ComfortNoise::new()));
    let mut params = LegParams::new(peer, Codec::Pcmu, None);
    params.dead_media_after = None;
    core.start(t0, params);
    let (sink, queue) = RecorderSink::channel();
    core.start_recording(
        RecordingId(1),
        RecordOptions {
            path: "stalled.wav".into(),
            mode: RecordMode::Stereo,
            max_duration: None,
            stop_keys: String::new(),
            stop_after_silence: None,
        },
        sink,
    );
    let mut out = Outbox::new();
    let ticks = MAX_WRITER_BACKLOG as u32 + 100;
    for n in 0..ticks {
        core.tick(t0 + TICK * n, 0, &mut out);
        let rtp = out.iter().filter(|(port, ..)| *port == Port::Rtp).count();
        assert_eq!(rtp, 1, "the leg keeps sending");
        out.clear();
    }
    let counters = core.stats().counters;
    assert_eq!(counters.recording_dropped_samples, 100 * 160);
    // The writer catches up; recording continues.
    let mut drained = 0;
    while let Some((id, msg)) = queue.try_recv() {
        assert_eq!(id, RecordingId(1));
        assert!(matches!(msg, RecorderMsg::Samples(ref s) if s.len() == 320));
        drained += 1;
    }
    assert_eq!(drained, MAX_WRITER_BACKLOG);
    core.tick(t0 + TICK * ticks + Duration::from_millis(1), 0, &mut out);
    assert!(queue.try_recv().is_some());
    assert_eq!(core.stats().counters.recording_dropped_samples, 100 * 160);
}
