//! The recording writer: one thread per engine that owns every open WAV
//! file, so the media clock never waits on the disk.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
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

/// Messages the writer may have waiting before samples are dropped (about
/// 32 MiB): a stalled disk costs audio in the recordings, never memory
/// without bound and never a late packet.
pub const MAX_WRITER_BACKLOG: usize = 50_000;

/// Where the core sends recorded audio: a channel to the writer thread with
/// a count of what is waiting in it.
#[derive(Debug, Clone)]
pub struct RecorderSink {
    tx: mpsc::Sender<(RecordingId, RecorderMsg)>,
    backlog: Arc<AtomicUsize>,
}

/// The writer's end of a [`RecorderSink`].
#[derive(Debug)]
pub struct RecorderQueue {
    rx: mpsc::Receiver<(RecordingId, RecorderMsg)>,
    backlog: Arc<AtomicUsize>,
}

/// What became of samples handed to the sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleDelivery {
    Queued,
    /// The writer is too far behind: these samples are lost.
    DroppedBacklog,
    /// The writer is gone (it reported why).
    WriterGone,
}

impl RecorderSink {
    /// A connected sink and queue.
    pub fn channel() -> (RecorderSink, RecorderQueue) {
        let (tx, rx) = mpsc::channel();
        let backlog = Arc::new(AtomicUsize::new(0));
        (
            RecorderSink {
                tx,
                backlog: Arc::clone(&backlog),
            },
            RecorderQueue { rx, backlog },
        )
    }

    /// Queues an `Open` or `Finish`: always delivered while the writer runs.
    pub fn send_control(&self, id: RecordingId, msg: RecorderMsg) -> Result<(), MediaError> {
        self.backlog.fetch_add(1, Ordering::Relaxed);
        self.tx.send((id, msg)).map_err(|_| {
            self.backlog.fetch_sub(1, Ordering::Relaxed);
            MediaError::EngineStopped
        })
    }

    /// Queues samples unless the writer is too far behind.
    pub fn send_samples(&self, id: RecordingId, samples: Vec<i16>) -> SampleDelivery {
        if self.backlog.load(Ordering::Relaxed) >= MAX_WRITER_BACKLOG {
            return SampleDelivery::DroppedBacklog;
        }
        self.backlog.fetch_add(1, Ordering::Relaxed);
        match self.tx.send((id, RecorderMsg::Samples(samples))) {
            Ok(()) => SampleDelivery::Queued,
            Err(_) => {
                self.backlog.fetch_sub(1, Ordering::Relaxed);
                SampleDelivery::WriterGone
            }
        }
    }
}

impl RecorderQueue {
    /// The next message, waiting for it; `None` once every sink is gone.
    pub fn recv(&self) -> Option<(RecordingId, RecorderMsg)> {
        let msg = self.rx.recv().ok()?;
        self.backlog.fetch_sub(1, Ordering::Relaxed);
        Some(msg)
    }

    /// A message if one is waiting.
    pub fn try_recv(&self) -> Option<(RecordingId, RecorderMsg)> {
        let msg = self.rx.try_recv().ok()?;
        self.backlog.fetch_sub(1, Ordering::Relaxed);
        Some(msg)
    }
}

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
    let (sink, queue) = RecorderSink::channel();
    std::thread::Builder::new()
        .name("hotline-media-recorder".into())
        .spawn(move || run_writer(queue))?;
    Ok(sink)
}

fn run_writer(queue: RecorderQueue) {
    let mut open: HashMap<RecordingId, OpenRecording> = HashMap::new();
    while let Some((id, msg)) = queue.recv() {
        match msg {
            RecorderMsg::Open(rec) => {
                open.insert(id, *rec);
            }
            RecorderMsg::Samples(samples) => {
                let Some(rec) = open.get_mut(&id) else {
                    continue;
                };
                match write_samples(&mut rec.writer, &samples) {
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

/// Appends samples through hound's 16-bit writer: one bounds check and one
/// write for the batch. `WavWriter::write_sample` goes through the generic
/// sample path and the `BufWriter` for every two bytes, and cost a call
/// more instructions than the rest of the media engine together.
fn write_samples(
    writer: &mut hound::WavWriter<BufWriter<File>>,
    samples: &[i16],
) -> hound::Result<()> {
    // A tick is a few hundred samples; a batch that overflows u32 cannot be
    // a WAV file's anyway (its data size is a u32).
    let Ok(count) = u32::try_from(samples.len()) else {
        return Err(hound::Error::TooWide);
    };
    let mut batch = writer.get_i16_writer(count);
    for s in samples {
        batch.write_sample(*s);
    }
    batch.flush()
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
