//! The one error type of the media crate.

use std::path::PathBuf;

/// What went wrong in the media engine. Packet errors are counted and the
/// packet dropped; load errors name the file; runtime errors name the leg.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    #[error("RTP packet of {len} bytes is shorter than its {needed}-byte header")]
    RtpTruncated { len: usize, needed: usize },
    #[error("RTP packet of {len} bytes exceeds the {max}-byte limit")]
    RtpOversized { len: usize, max: usize },
    #[error("RTP version {version} is not 2")]
    RtpVersion { version: u8 },
    #[error("RTP padding of {padding} bytes does not fit a {len}-byte packet")]
    RtpBadPadding { padding: usize, len: usize },
    #[error("packet type {packet_type} is RTCP, not RTP")]
    RtpIsRtcp { packet_type: u8 },
    #[error("telephone-event payload of {len} bytes (needs at least 4)")]
    TelephoneEventTruncated { len: usize },
    #[error("telephone-event code {event} is not a DTMF key")]
    TelephoneEventNotDtmf { event: u8 },
    #[error("RTCP packet is malformed: {reason}")]
    RtcpMalformed { reason: &'static str },
    #[error("{key:?} is not a DTMF key (0-9, *, #, A-D)")]
    NotADtmfKey { key: char },
    #[error("SIP INFO DTMF body is malformed: {reason}")]
    SipInfoMalformed { reason: String },
    #[error("cannot read WAV prompt {path}: {reason}")]
    WavLoad { path: PathBuf, reason: String },
    #[error("WAV prompt {path} holds no audio samples")]
    WavEmpty { path: PathBuf },
    #[error("cannot write recording {path}: {reason}")]
    RecordingWrite { path: PathBuf, reason: String },
    #[error("no free RTP port pair in {first}..={last}")]
    NoFreePort { first: u16, last: u16 },
    #[error("RTP port range {first}..={last} is invalid: {reason}")]
    BadPortRange {
        first: u16,
        last: u16,
        reason: &'static str,
    },
    #[error("socket error: {0}")]
    Socket(#[from] std::io::Error),
    #[error("the media engine has shut down")]
    EngineStopped,
    #[error("the leg is closed")]
    LegClosed,
    #[error("a leg cannot be bridged to itself")]
    BridgeToSelf,
    #[error("leg {} is in the bridge it would monitor: the supervisor needs a leg of its own", .leg.0)]
    SupervisorInBridge { leg: crate::LegId },
    #[error("{mode:?} is not a monitor mode (use \"listen\", \"whisper\" or \"barge\")")]
    UnknownMonitorMode { mode: String },
    #[error("{value} is too large to say (the largest is {max})")]
    NumberTooLarge { value: i64, max: u64 },
    #[error("{what} out of range: {value}")]
    ValueOutOfRange { what: &'static str, value: u32 },
    #[error("language {lang:?} has no say pieces (use \"zh\" or \"en\")")]
    UnknownLanguage { lang: String },
    #[error("{stream} packet of {len} bytes is shorter than its header and tag ({needed} bytes)")]
    SrtpTruncated {
        stream: &'static str,
        len: usize,
        needed: usize,
    },
    #[error("{stream} packet of SSRC {ssrc:08x} (index {index}) failed authentication")]
    SrtpAuthFailed {
        stream: &'static str,
        ssrc: u32,
        index: u64,
    },
    #[error("{stream} packet of SSRC {ssrc:08x} (index {index}) was already received")]
    SrtpReplayed {
        stream: &'static str,
        ssrc: u32,
        index: u64,
    },
    #[error("{stream} packet of SSRC {ssrc:08x} (index {index}) is older than the replay window (newest {newest})")]
    SrtpTooOld {
        stream: &'static str,
        ssrc: u32,
        index: u64,
        newest: u64,
    },
    #[error("{stream} index space of SSRC {ssrc:08x} is used up: the key must be renewed")]
    SrtpExhausted { stream: &'static str, ssrc: u32 },
    #[error("more than {max} SSRCs sent under one SRTP key")]
    SrtpTooManyStreams { max: usize },
    #[error("SRTP master key and salt are {len} bytes, {expected} expected")]
    SrtpKeyLength { len: usize, expected: usize },
}
