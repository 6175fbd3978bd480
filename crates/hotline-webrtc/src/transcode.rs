//! Opus ↔ G.711 μ-law for one leg, with libopus working at 8 kHz on both
//! sides so nothing is resampled here: the decoder renders straight to
//! 8 kHz and the encoder takes 8 kHz input (Opus's RTP clock stays 48 kHz
//! whatever the audio rate, RFC 7587).

use hotline_media::g711::{ulaw_encode, Codec};
use opus::{Application, Channels, Decoder, Encoder};

use crate::error::WebRtcError;

/// Samples in 20 ms at 8 kHz, the core's frame.
pub(crate) const FRAME_SAMPLES: usize = 160;
/// The longest Opus packet (120 ms) at 8 kHz.
const MAX_DECODED: usize = 960;
/// Far above what 20 ms of VOIP Opus takes (RFC 6716's maximum is 1275).
pub(crate) const MAX_OPUS_PACKET: usize = 1275;

/// The Opus codec state of one leg's two directions.
pub(crate) struct OpusTranscoder {
    encoder: Encoder,
    decoder: Decoder,
    pcm: [i16; MAX_DECODED],
}

impl std::fmt::Debug for OpusTranscoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusTranscoder").finish_non_exhaustive()
    }
}

impl OpusTranscoder {
    pub(crate) fn new() -> Result<Self, WebRtcError> {
        let opus = |error: opus::Error| WebRtcError::Opus {
            reason: error.to_string(),
        };
        let mut encoder = Encoder::new(8000, Channels::Mono, Application::Voip).map_err(opus)?;
        // The browser asked for in-band FEC (useinbandfec=1); it costs a
        // little bitrate and saves a lost frame on a wobbly agent network.
        encoder.set_inband_fec(true).map_err(opus)?;
        encoder.set_packet_loss_perc(5).map_err(opus)?;
        let decoder = Decoder::new(8000, Channels::Mono).map_err(opus)?;
        Ok(OpusTranscoder {
            encoder,
            decoder,
            pcm: [0; MAX_DECODED],
        })
    }

    /// μ-law in (any whole number of samples, normally 160), Opus out: the
    /// packet's length in `out`, or `None` if libopus refused.
    pub(crate) fn ulaw_to_opus(&mut self, ulaw: &[u8], out: &mut [u8]) -> Option<usize> {
        let samples = ulaw.len().min(MAX_DECODED);
        for (pcm, byte) in self.pcm.iter_mut().zip(&ulaw[..samples]) {
            *pcm = Codec::Pcmu.decode(*byte);
        }
        self.encoder.encode(&self.pcm[..samples], out).ok()
    }

    /// Opus in, μ-law out (cleared first); `false` if the packet would not
    /// decode.
    pub(crate) fn opus_to_ulaw(&mut self, opus: &[u8], out: &mut Vec<u8>) -> bool {
        out.clear();
        match self.decoder.decode(opus, &mut self.pcm, false) {
            Ok(samples) => {
                out.extend(
                    self.pcm[..samples]
                        .iter()
                        .map(|sample| ulaw_encode(*sample)),
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
}

impl std::fmt::Debug for PcmOpus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcmOpus").finish_non_exhaustive()
    }
}

impl PcmOpus {
    pub(crate) fn new() -> Result<Self, WebRtcError> {
        let opus = |error: opus::Error| WebRtcError::Opus {
            reason: error.to_string(),
        };
        Ok(PcmOpus {
            encoder: Encoder::new(8000, Channels::Mono, Application::Voip).map_err(opus)?,
            decoder: Decoder::new(8000, Channels::Mono).map_err(opus)?,
        })
    }

    pub(crate) fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Option<usize> {
        self.encoder.encode(pcm, out).ok()
    }

    pub(crate) fn decode(&mut self, opus: &[u8], out: &mut [i16]) -> Option<usize> {
        self.decoder.decode(opus, out, false).ok()
    }
}
