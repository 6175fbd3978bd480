//! The recording writer: one thread per engine that owns every open WAV
//! file, so the media clock never waits on the disk.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use tokio::sync::mpsc as tokio_mpsc;

use crate::core::{MediaEvent, RecordingId, RecordingStop};
use crate::MediaError;

/// Messages to the writer, tagged with the recording they belong to.
#[derive(Debug)]
pub enum RecorderMsg {
    /// A file opened by `Leg::record`, with where to report.
    Open(Box<OpenRecording>),
    /// Samples, interleaved if stereo.
    Samples(Vec<i16>),
    /// Close the file and report.
    Finish(RecordingStop),
}

/// Where the core sends recorded audio.
pub type RecorderSink = mpsc::Sender<(RecordingId, RecorderMsg)>;

/// An open WAV file waiting for samples.
pub struct OpenRecording {
    writer: hound::WavWriter<BufWriter<File>>,
    path: PathBuf,
    channels: u16,
    frames: u64,
    events: tokio_mpsc::Sender<MediaEvent>,
}

impl std::fmt::Debug for OpenRecording {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenRecording")
            .field("path", &self.path)
            .field("channels", &self.channels)
            .field("frames", &self.frames)
            .finish()
    }
}

impl OpenRecording {
    /// Creates the file now, so a bad path is an error to the caller, not a silent loss.
    pub fn create(
        path: &Path,
        channels: u16,
        events: tokio_mpsc::Sender<MediaEvent>,
    ) -> Result<Self, MediaError> {
        let spec = hound::WavSpec {
            channels,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let writer =
            hound::WavWriter::create(path, spec).map_err(|e| MediaError::RecordingWrite {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            writer,
            path: path.to_path_buf(),
            channels,
            frames: 0,
            events,
        })
    }
}

/// Starts the writer thread; it ends when every sink is dropped.
pub fn spawn_writer() -> Result<RecorderSink, MediaError> {
    let (tx, rx) = mpsc::channel::<(RecordingId, RecorderMsg)>();
    std::thread::Builder::new()
        .name("hotline-media-recorder".into())
        .spawn(move || run_writer(rx))?;
    Ok(tx)
}

fn run_writer(rx: mpsc::Receiver<(RecordingId, RecorderMsg)>) {
    let mut open: HashMap<RecordingId, OpenRecording> = HashMap::new();
    while let Ok((id, msg)) = rx.recv() {
        match msg {
            RecorderMsg::Open(rec) => {
                open.insert(id, *rec);
            }
            RecorderMsg::Samples(samples) => {
                let Some(rec) = open.get_mut(&id) else {
                    continue;
                };
                let mut result = Ok(());
                for s in &samples {
                    result = rec.writer.write_sample(*s);
                    if result.is_err() {
                        break;
                    }
                }
                match result {
                    Ok(()) => rec.frames += samples.len() as u64 / u64::from(rec.channels),
                    Err(e) => {
                        if let Some(rec) = open.remove(&id) {
                            let _ = rec.events.try_send(MediaEvent::RecordingFailed {
                                id,
                                path: rec.path,
                                reason: e.to_string(),
                            });
                        }
                    }
                }
            }
            RecorderMsg::Finish(reason) => {
                if let Some(rec) = open.remove(&id) {
                    finish(id, rec, reason);
                }
            }
        }
    }
    // Every sink is gone (engine shut down): close what is still open.
    for (id, rec) in open.drain() {
        finish(id, rec, RecordingStop::LegClosed);
    }
}

fn finish(id: RecordingId, rec: OpenRecording, reason: RecordingStop) {
    let OpenRecording {
        writer,
        path,
        frames,
        events,
        ..
    } = rec;
    let event = match writer.finalize() {
        Ok(()) => MediaEvent::RecordingFinished {
            id,
            path,
            duration: Duration::from_micros(frames * 125),
            reason,
        },
        Err(e) => MediaEvent::RecordingFailed {
            id,
            path,
            reason: e.to_string(),
        },
    };
    let _ = events.try_send(event);
}
