//! Prompts: WAV files loaded once, converted to 8 kHz G.711 and shared.
//!
//! Any common PCM WAV is accepted (8/16/24/32-bit integer or 32-bit float,
//! any rate, any channel count): channels are averaged, the rate converted
//! with a windowed-sinc low-pass resampler, and the result encoded once to
//! μ-law and A-law. Calls share the encoded bytes through `Arc`, so a
//! thousand callers hearing the same prompt cost one copy of it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::g711::Codec;
use crate::MediaError;

/// The telephone sample rate every prompt is converted to.
pub const SAMPLE_RATE_HZ: u32 = 8000;

/// A prompt ready to send, in both G.711 laws.
#[derive(Debug)]
pub struct Prompt {
    name: String,
    ulaw: Box<[u8]>,
    alaw: Box<[u8]>,
}

impl Prompt {
    /// Encodes 8 kHz linear samples under a name (used for generated audio too).
    pub fn from_samples(name: impl Into<String>, samples: &[i16]) -> Self {
        let mut ulaw = Vec::with_capacity(samples.len());
        let mut alaw = Vec::with_capacity(samples.len());
        Codec::Pcmu.encode_into(samples, &mut ulaw);
        Codec::Pcma.encode_into(samples, &mut alaw);
        Self {
            name: name.into(),
            ulaw: ulaw.into_boxed_slice(),
            alaw: alaw.into_boxed_slice(),
        }
    }

    /// Loads and converts a WAV file. Errors name the file.
    pub fn load_wav(path: &Path) -> Result<Self, MediaError> {
        let samples = load_wav_8k_mono(path)?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Self::from_samples(name, &samples))
    }

    /// The name it was loaded under (the file stem).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The encoded audio for a codec, one byte per 8 kHz sample.
    pub fn encoded(&self, codec: Codec) -> &[u8] {
        match codec {
            Codec::Pcmu => &self.ulaw,
            Codec::Pcma => &self.alaw,
        }
    }

    /// Length in samples.
    pub fn len_samples(&self) -> usize {
        self.ulaw.len()
    }

    /// Playing time.
    pub fn duration(&self) -> Duration {
        Duration::from_micros(self.ulaw.len() as u64 * 125)
    }
}

/// Reads a WAV file as 8 kHz mono 16-bit samples.
pub fn load_wav_8k_mono(path: &Path) -> Result<Vec<i16>, MediaError> {
    let load_err = |reason: String| MediaError::WavLoad {
        path: path.to_path_buf(),
        reason,
    };
    let reader = hound::WavReader::open(path).map_err(|e| load_err(e.to_string()))?;
    let spec = reader.spec();
    if spec.channels == 0 || spec.sample_rate == 0 {
        return Err(load_err(
            "header declares no channels or a zero rate".into(),
        ));
    }
    let channels = usize::from(spec.channels);
    // Everything becomes f32 in -1.0..1.0 first.
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader
            .into_samples::<f32>()
            .collect::<Result<_, _>>()
            .map_err(|e| load_err(e.to_string()))?,
        hound::SampleFormat::Int => {
            if spec.bits_per_sample == 0 || spec.bits_per_sample > 32 {
                return Err(load_err(format!(
                    "{} bits per sample",
                    spec.bits_per_sample
                )));
            }
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
            reader
                .into_samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<Result<_, _>>()
                .map_err(|e| load_err(e.to_string()))?
        }
    };
    let mono: Vec<f32> = interleaved
        .chunks_exact(channels)
        .map(|frame| frame.iter().sum::<f32>() / channels as f32)
        .collect();
    if mono.is_empty() {
        return Err(MediaError::WavEmpty {
            path: path.to_path_buf(),
        });
    }
    let resampled = resample(&mono, spec.sample_rate, SAMPLE_RATE_HZ);
    Ok(resampled
        .iter()
        .map(|x| (x * 32767.0).round().clamp(-32768.0, 32767.0) as i16)
        .collect())
}

/// Windowed-sinc (Blackman) rate conversion with the cut-off below both Nyquist rates.
pub fn resample(input: &[f32], from_hz: u32, to_hz: u32) -> Vec<f32> {
    if from_hz == to_hz {
        return input.to_vec();
    }
    const HALF_TAPS: f64 = 16.0;
    let ratio = f64::from(to_hz) / f64::from(from_hz);
    // Cut-off as a fraction of the input rate: 0.45 of the lower Nyquist.
    let cutoff = 0.9 * 0.5 * ratio.min(1.0);
    let half_width = HALF_TAPS / ratio.min(1.0); // in input samples
    let out_len = ((input.len() as f64) * ratio).round() as usize;
    let mut out = Vec::with_capacity(out_len);
    for n in 0..out_len {
        let centre = n as f64 / ratio;
        let first = (centre - half_width).ceil().max(0.0) as usize;
        let last = ((centre + half_width).floor() as usize).min(input.len() - 1);
        let mut acc = 0.0f64;
        for (k, x) in input.iter().enumerate().take(last + 1).skip(first) {
            let t = k as f64 - centre;
            let sinc = if t == 0.0 {
                2.0 * cutoff
            } else {
                (2.0 * std::f64::consts::PI * cutoff * t).sin() / (std::f64::consts::PI * t)
            };
            let phase = std::f64::consts::PI * t / half_width;
            let w = 0.42 + 0.5 * phase.cos() + 0.08 * (2.0 * phase).cos();
            acc += f64::from(*x) * sinc * w;
        }
        out.push(acc as f32);
    }
    out
}

/// Prompts loaded once per path and shared by every call.
#[derive(Debug, Default)]
pub struct PromptCache {
    loaded: Mutex<HashMap<PathBuf, Arc<Prompt>>>,
}

impl PromptCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The prompt for a file, loading and converting it on first use.
    ///
    /// Load at startup (every prompt a script names) so that a call never
    /// waits on the disk; a later call for the same path is a map lookup.
    pub fn get(&self, path: &Path) -> Result<Arc<Prompt>, MediaError> {
        if let Some(p) = self.lock().get(path) {
            return Ok(Arc::clone(p));
        }
        // Loading happens outside the lock: two first users may both load, one wins.
        let prompt = Arc::new(Prompt::load_wav(path)?);
        Ok(Arc::clone(
            self.lock().entry(path.to_path_buf()).or_insert(prompt),
        ))
    }

    /// How many prompts are loaded.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing is loaded yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Arc<Prompt>>> {
        // A panic while holding this lock cannot leave the map half-updated.
        self.loaded.lock().unwrap_or_else(|e| e.into_inner())
    }
}
