//! The media engine of Hotline: RTP legs that play prompts, hear keys,
//! bridge and record.
//!
//! Owns: RTP/RTCP packet formats ([`rtp`], [`rtcp`]), G.711 ([`g711`]),
//! RFC 4733 and SIP INFO keys ([`dtmf`]), in-band key detection
//! ([`goertzel`]), WAV prompts ([`prompt`]), saying values from recorded
//! pieces ([`say`]), the sans-IO leg core ([`core`]) and the runtime that
//! drives every leg from one shared media clock ([`engine`]).
//!
//! Must not touch: SIP and SDP (the call controller hands over the
//! negotiated address, codec and telephone-event payload type, and takes
//! [`Leg::local_addr`] for its answer), IVR decisions, the store. It
//! depends on `hotline-types` only.
//!
//! ```no_run
//! # use hotline_media::*;
//! # async fn call(engine: MediaEngine, prompts: &PromptCache) -> Result<(), MediaError> {
//! let mut leg = engine.allocate_leg()?; // put leg.local_addr() in the SDP answer
//! leg.start(LegParams::new("192.0.2.7:4000".parse().unwrap(), Codec::Pcmu, Some(101)))?;
//! let welcome = prompts.get("ivr_scripts/prompts/en/welcome.wav".as_ref())?;
//! leg.play(vec![welcome], true)?;
//! while let Some(event) = leg.next_event().await {
//!     if let MediaEvent::Dtmf { key, .. } = event { println!("caller pressed {key}"); }
//! }
//! # Ok(()) }
//! ```

pub mod core;
pub mod dtmf;
pub mod engine;
mod error;
pub mod g711;
pub mod goertzel;
pub mod prompt;
pub mod recorder;
pub mod rtcp;
pub mod rtp;
pub mod say;

pub use crate::core::{
    BridgeFrame, DtmfSource, LatchPolicy, LegCounters, LegParams, LegStats, MediaEvent, PlaybackId,
    PlaybackOutcome, RecordMode, RecordOptions, RecordingId, RecordingStop,
};
pub use dtmf::DtmfDigit;
pub use engine::{Bridge, EngineConfig, EngineStats, Leg, LegId, MediaEngine};
pub use error::MediaError;
pub use g711::Codec;
pub use prompt::{Prompt, PromptCache};
pub use say::Language;
