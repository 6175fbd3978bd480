//! Prompts load from any common PCM WAV, come out as 8 kHz G.711 with the
//! same sound, are shared between calls, and a file that is not audio is a
//! clear error naming it.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::*;
use hotline_media::prompt::load_wav_8k_mono;
use hotline_media::{Codec, MediaError, Prompt, PromptCache};

/// Zero crossings per second / 2: the frequency of a clean tone.
fn tone_frequency(samples: &[i16]) -> f64 {
    let crossings = samples
        .windows(2)
        .filter(|w| (w[0] < 0) != (w[1] < 0))
        .count();
    crossings as f64 / 2.0 / (samples.len() as f64 / 8000.0)
}

fn write_wav(path: &Path, rate: u32, channels: u16, bits: u16, float: bool, seconds: f64) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: if float {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let frames = (rate as f64 * seconds) as usize;
    for i in 0..frames {
        let x = 0.5 * (2.0 * std::f64::consts::PI * 440.0 * i as f64 / rate as f64).sin();
        for _ in 0..channels {
            if float {
                w.write_sample(x as f32).unwrap();
            } else {
                let max = (1i64 << (bits - 1)) as f64 - 1.0;
                w.write_sample((x * max) as i32).unwrap();
            }
        }
    }
    w.finalize().unwrap();
}

#[test]
fn common_formats_become_the_same_8k_tone() {
    let dir = temp_dir("wav-formats");
    let cases = [
        ("u8_8k.wav", 8000, 1, 8, false),
        ("s16_8k.wav", 8000, 1, 16, false),
        ("s16_16k_stereo.wav", 16000, 2, 16, false),
        ("s16_44k1.wav", 44100, 1, 16, false),
        ("s24_48k.wav", 48000, 1, 24, false),
        ("s32_22k05_stereo.wav", 22050, 2, 32, false),
        ("f32_11k025.wav", 11025, 1, 32, true),
    ];
    for (name, rate, channels, bits, float) in cases {
        let path = dir.join(name);
        write_wav(&path, rate, channels, bits, float, 1.0);
        let samples = load_wav_8k_mono(&path).unwrap();
        assert!(
            (7990..=8010).contains(&samples.len()),
            "{name}: {} samples",
            samples.len()
        );
        let middle = &samples[400..7600];
        let f = tone_frequency(middle);
        assert!((f - 440.0).abs() < 3.0, "{name}: {f} Hz");
        let peak = middle.iter().map(|s| s.unsigned_abs()).max().unwrap();
        assert!((15_500..=17_300).contains(&peak), "{name}: peak {peak}");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn downsampling_removes_what_8k_cannot_carry() {
    let dir = temp_dir("wav-alias");
    let path = dir.join("5k.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 44100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    for i in 0..44100 {
        // 5 kHz is above the 4 kHz Nyquist of a phone line: it must not fold back to 3 kHz.
        let x = 16000.0 * (2.0 * std::f64::consts::PI * 5000.0 * i as f64 / 44100.0).sin();
        w.write_sample(x as i16).unwrap();
    }
    w.finalize().unwrap();
    let samples = load_wav_8k_mono(&path).unwrap();
    let rms = (samples[400..7600]
        .iter()
        .map(|s| f64::from(*s).powi(2))
        .sum::<f64>()
        / 7200.0)
        .sqrt();
    assert!(rms < 200.0, "aliased energy left: RMS {rms}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn not_audio_is_an_error_naming_the_file() {
    let dir = temp_dir("wav-bad");
    let text = dir.join("welcome.wav");
    std::fs::write(&text, "this is a text file, not a WAV").unwrap();
    let err = Prompt::load_wav(&text).unwrap_err();
    assert!(matches!(err, MediaError::WavLoad { .. }));
    assert!(err.to_string().contains("welcome.wav"), "{err}");

    let missing = dir.join("missing.wav");
    let err = Prompt::load_wav(&missing).unwrap_err();
    assert!(err.to_string().contains("missing.wav"), "{err}");

    let empty = dir.join("empty.wav");
    write_wav(&empty, 8000, 1, 16, false, 0.0);
    assert!(matches!(
        Prompt::load_wav(&empty),
        Err(MediaError::WavEmpty { .. })
    ));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn prompts_are_encoded_once_and_shared() {
    let dir = temp_dir("wav-cache");
    let path = dir.join("hold.wav");
    write_wav(&path, 8000, 1, 16, false, 0.5);
    let cache = PromptCache::new();
    let a = cache.get(&path).unwrap();
    let b = cache.get(&path).unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    assert_eq!(cache.len(), 1);
    assert_eq!(a.name(), "hold");
    assert_eq!(a.len_samples(), 4000);
    assert_eq!(a.duration().as_millis(), 500);
    // Both laws carry the same sound.
    let source = load_wav_8k_mono(&path).unwrap();
    for codec in [Codec::Pcmu, Codec::Pcma] {
        let decoded: Vec<i16> = a.encoded(codec).iter().map(|b| codec.decode(*b)).collect();
        let snr = snr_db(&source, &decoded);
        assert!(snr > 30.0, "{codec:?}: SNR {snr:.1} dB");
    }
    std::fs::remove_dir_all(dir).ok();
}
