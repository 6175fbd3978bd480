//! The media engine of Hotline: RTP legs that play prompts, hear keys,
//! bridge, mix a supervisor into a call and record.
//!
//! Owns: RTP/RTCP packet formats ([`rtp`], [`rtcp`]), SRTP/SRTCP
//! ([`srtp`], keyed by SDES), G.711 ([`g711`]),
//! RFC 4733 and SIP INFO keys ([`dtmf`]), in-band key detection
//! ([`goertzel`]), WAV prompts ([`prompt`]), saying values from recorded
//! pieces ([`say`]), who hears whom on a monitored call ([`route`]), the
//! sans-IO leg core that mixes what a leg hears ([`core`]) and the runtime
//! that drives every leg from one shared media clock ([`engine`]).
//!
//! Must not touch: SIP and SDP (the call controller hands over the
//! negotiated address, codec and telephone-event payload type, and takes
//! [`Leg::local_addr`] for its answer), IVR decisions, the store. It
//! depends on `hotline-types` only.
//!
//! # Wiring it into the call controller
//!
//! - Start one [`MediaEngine`] at boot with an [`EngineConfig`] (bind IP,
//!   RTP port range, clock threads), and one [`PromptCache`]; load every
//!   prompt the scripts name at startup so calls never wait on the disk.
//! - Per call leg: [`MediaEngine::allocate_leg`] before answering (its
//!   [`Leg::local_addr`] goes into the SDP answer), then [`Leg::start`] with
//!   the negotiated remote address, codec and telephone-event payload type
//!   ([`LegParams`]). The call task owns the [`Leg`] and reads its events
//!   with [`Leg::next_event`]; dropping the `Leg` closes it.
//! - IVR `Play` → [`Leg::play`] (barge-in per playback); `StopPlayback` →
//!   [`Leg::stop_playback`]; `Say` → [`say`] functions, then
//!   [`say::load_pieces`] and [`Leg::play`]. Keys arrive as
//!   [`MediaEvent::Dtmf`] whether by RFC 4733, in-band tones or SIP INFO
//!   (hand INFO bodies to [`dtmf::parse_sip_info`] and [`Leg::sip_info_dtmf`]).
//! - SRTP (the SDP was RTP/SAVP with `a=crypto`): set [`LegParams::srtp`]
//!   to our key (the one in our answer) for sending and the peer's for
//!   receiving; packets that fail are dropped and counted
//!   ([`LegCounters::srtp_auth_failed`], `srtp_replayed`). A re-INVITE's
//!   new peer key is another [`Leg::start`] with the same send key.
//! - Queue: [`Leg::start_music`]. Agent answers: [`MediaEngine::bridge`];
//!   hold with [`Bridge::hold`]. Recording: [`Leg::record`] on the citizen's
//!   leg (stereo: citizen left, what the citizen hears right), voice
//!   messages with [`RecordMode::CallerOnly`] and stop key / silence / length.
//! - Supervisor: a leg of its own for the supervisor's phone, then
//!   [`MediaEngine::monitor`] with the call's [`Bridge`] (bridged citizen
//!   first, agent second: [`Bridge::citizen`], [`Bridge::agent`]) and a
//!   [`MonitorMode`]: `Listen` (the supervisor hears both), `Whisper` (the
//!   agent hears the supervisor too, the citizen never does) or `Barge`
//!   (a three-way call); config and API names by [`MonitorMode::as_str`]
//!   and `FromStr`. [`Monitor::set_mode`] switches mid-call,
//!   [`Monitor::end`] (or dropping the handle) leaves the two-way bridge.
//!   Each leg hears the others mixed (20 ms frames summed with
//!   saturation), never itself; keys pass between citizen and agent only.
//!   [`Bridge::hold`] takes the citizen out both ways (music only) while
//!   agent and supervisor go on as the mode says; the citizen's recording
//!   holds what the citizen heard, so never a whisper. When the call ends
//!   under it (bridge ended, a leg closed), the supervisor's leg gets
//!   [`MediaEvent::MonitorEnded`]; a supervisor's leg cannot be bridged
//!   meanwhile.
//! - [`MediaEvent::DeadMedia`] → hang up with cause `dead_media`; at the end
//!   of the call [`Leg::stats`] and [`LegStats::to_call_event`] give the
//!   `MediaQuality` event for the call record.
//! - Run the process (or at least its `hotline-media-*` threads) with a
//!   real-time scheduling policy: see `bench/media/README.md`.
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
pub mod route;
pub mod rtcp;
pub mod rtp;
pub mod say;
pub mod srtp;
pub mod transport;

pub use crate::core::{
    BridgeFrame, DtmfSource, LatchPolicy, LegCounters, LegParams, LegStats, MediaEvent, PlaybackId,
    PlaybackOutcome, RecordMode, RecordOptions, RecordingId, RecordingStop,
};
pub use dtmf::DtmfDigit;
pub use engine::{Bridge, EngineConfig, EngineStats, Leg, LegId, MediaEngine, Monitor};
pub use error::MediaError;
pub use g711::Codec;
pub use prompt::{Prompt, PromptCache};
pub use route::MonitorMode;
pub use say::Language;
pub use srtp::{SrtpKey, SrtpParams, SrtpSession, SrtpSuite};
pub use transport::{MediaTransport, TransportState, TRANSPORT_PEER};
