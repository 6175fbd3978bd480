//! Opus ↔ G.711 μ-law for one leg, with the codec (opus-rs, a pure-Rust
//! port of libopus) working at 8 kHz on both sides so nothing is resampled
//! here: the decoder renders straight to 8 kHz and the encoder takes 8 kHz
//! input (Opus's RTP clock stays 48 kHz whatever the audio rate, RFC 7587).

use hotline_media::g711::{ulaw_encode, Codec};
use opus_rs::{Application, OpusDecoder as Decoder, OpusEncoder as Encoder};

use crate::error::WebRtcError;

/// Samples in 20 ms at 8 kHz, the core's frame.
pub(crate) const FRAME_SAMPLES: usize = 160;
/// The longest Opus packet (120 ms) at 8 kHz.
const MAX_DECODED: usize = 960;
/// Far above what 20 ms of VOIP Opus takes (RFC 6716's maximum is 1275).
pub(crate) const MAX_OPUS_PACKET: usize = 1275;
/// What the encoder spends on 8 kHz speech (narrowband SILK is good from
/// about 12 kbit/s; a margin for the FEC).
const BITRATE: i32 = 24_000;

fn opus_error(reason: &'static str) -> WebRtcError {
    WebRtcError::Opus {
        reason: reason.to_owned(),
    }
}

/// An 8 kHz mono VOIP encoder with in-band FEC: the browser asked for it
/// (useinbandfec=1); it costs a little bitrate and saves a lost frame on a
/// wobbly agent network.
fn encoder() -> Result<Encoder, WebRtcError> {
    let mut encoder = Encoder::new(8000, 1, Application::Voip).map_err(opus_error)?;
    encoder.bitrate_bps = BITRATE;
    encoder.use_inband_fec = true;
    encoder.packet_loss_perc = 5;
    Ok(encoder)
}

/// Decoded float samples (±1.0) to 16-bit.
fn to_i16(sample: f32) -> i16 {
    (sample * 32768.0).clamp(-32768.0, 32767.0) as i16
}

/// The Opus codec state of one leg's two directions.
pub(crate) struct OpusTranscoder {
    encoder: Encoder,
    decoder: Decoder,
    pcm: [i16; MAX_DECODED],
    decoded: [f32; MAX_DECODED],
}

impl std::fmt::Debug for OpusTranscoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusTranscoder").finish_non_exhaustive()
    }
}

impl OpusTranscoder {
    pub(crate) fn new() -> Result<Self, WebRtcError> {
        Ok(OpusTranscoder {
            encoder: encoder()?,
            decoder: Decoder::new(8000, 1).map_err(opus_error)?,
            pcm: [0; MAX_DECODED],
            decoded: [0.0; MAX_DECODED],
        })
    }

    /// μ-law in (a whole Opus frame of samples, normally 160), Opus out:
    /// the packet's length in `out`, or `None` if the encoder refused.
    pub(crate) fn ulaw_to_opus(&mut self, ulaw: &[u8], out: &mut [u8]) -> Option<usize> {
        let samples = ulaw.len().min(MAX_DECODED);
        for (pcm, byte) in self.pcm.iter_mut().zip(&ulaw[..samples]) {
            *pcm = Codec::Pcmu.decode(*byte);
        }
        self.encoder
            .encode_i16(&self.pcm[..samples], samples, out)
            .ok()
    }

    /// Opus in, μ-law out (cleared first); `false` if the packet would not
    /// decode.
    pub(crate) fn opus_to_ulaw(&mut self, opus: &[u8], out: &mut Vec<u8>) -> bool {
        out.clear();
        match self.decoder.decode(opus, MAX_DECODED, &mut self.decoded) {
            Ok(samples) => {
                out.extend(
                    self.decoded[..samples.min(MAX_DECODED)]
                        .iter()
                        .map(|sample| ulaw_encode(to_i16(*sample))),
                );
                true
            }
            Err(_) => false,
        }
    }
}

/// Linear PCM Opus codec for the client peer (the browser's side works in
/// linear samples, not μ-law).
pub(crate) struct PcmOpus {
    encoder: Encoder,
    decoder: Decoder,
    decoded: [f32; MAX_DECODED],
}

impl std::fmt::Debug for PcmOpus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcmOpus").finish_non_exhaustive()
    }
}

impl PcmOpus {
    pub(crate) fn new() -> Result<Self, WebRtcError> {
        Ok(PcmOpus {
            encoder: encoder()?,
            decoder: Decoder::new(8000, 1).map_err(opus_error)?,
            decoded: [0.0; MAX_DECODED],
        })
    }

    pub(crate) fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Option<usize> {
        self.encoder.encode_i16(pcm, pcm.len(), out).ok()
    }

    pub(crate) fn decode(&mut self, opus: &[u8], out: &mut [i16]) -> Option<usize> {
        let samples = self
            .decoder
            .decode(opus, MAX_DECODED, &mut self.decoded)
            .ok()?
            .min(out.len());
        for (to, from) in out.iter_mut().zip(&self.decoded[..samples]) {
            *to = to_i16(*from);
        }
        Some(samples)
    }
}
