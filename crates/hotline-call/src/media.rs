//! Media decisions shared by every leg a call core drives: our SDP, the
//! SRTP keys of a leg, the parameters a leg starts with, and which remote
//! address its RTP is trusted from. Pure functions of what SIP negotiated.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hotline_media::{LatchPolicy, LegParams};
use hotline_sip::sdp::SdesCrypto;
use hotline_sip::{Direction, LocalMedia, NegotiatedMedia};
use tracing::warn;

use crate::call::{MediaOp, PlayTag};

/// Whose RTP a caller's or phone's leg trusts (`media.latch`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LatchRule {
    /// RTP only from the host that signalled (NAT rewrites ports).
    #[default]
    SignallingSource,
    /// The first valid packet from anywhere; audio only to a confirmed address.
    AnySource,
    /// The SDP address is believed (a network of trusted peers only).
    SdpAddress,
}

impl LatchRule {
    /// The latch policy for a leg whose signalling peer is at `peer`: a
    /// trusted source's SDP is believed; anyone else's RTP must come from
    /// the host that signalled (or, if configured, from anywhere), and no
    /// audio goes to an address until it is confirmed.
    pub fn policy_for(self, peer: IpAddr, trusted_sources: &[IpAddr]) -> LatchPolicy {
        if trusted_sources.contains(&peer) {
            return LatchPolicy::SdpAddress;
        }
        match self {
            LatchRule::SignallingSource => LatchPolicy::SignallingSource(peer),
            LatchRule::AnySource => LatchPolicy::AnySource(peer),
            LatchRule::SdpAddress => LatchPolicy::SdpAddress,
        }
    }
}

/// The media engine's codec for a negotiated SIP codec.
pub fn media_codec(codec: hotline_sip::Codec) -> hotline_media::Codec {
    match codec {
        hotline_sip::Codec::Pcmu => hotline_media::Codec::Pcmu,
        hotline_sip::Codec::Pcma => hotline_media::Codec::Pcma,
    }
}

/// The say-language of an IVR language code (Mandarin unless English).
pub fn say_language(language: &str) -> hotline_media::Language {
    match language {
        "en" => hotline_media::Language::En,
        _ => hotline_media::Language::Zh,
    }
}

/// Our SDP: the answer to the caller's offer (RTP/SAVP with a key of ours
/// when they offered SDES, which the SIP layer's policy accepted), or an
/// offer of our own. `session_id` is the driver's random number.
pub fn local_media(
    rtp: SocketAddr,
    remote: Option<&NegotiatedMedia>,
    session_id: u64,
) -> LocalMedia {
    match remote {
        Some(remote) => LocalMedia {
            rtp,
            codecs: vec![remote.codec],
            telephone_event_pt: remote.telephone_event_pt,
            direction: remote.remote_direction.answer(),
            session_id,
            version: 1,
            crypto: remote.crypto.as_ref().map(SdesCrypto::answer_to),
        },
        None => LocalMedia {
            rtp,
            codecs: vec![hotline_sip::Codec::Pcmu, hotline_sip::Codec::Pcma],
            telephone_event_pt: Some(101),
            direction: Direction::SendRecv,
            session_id,
            version: 1,
            crypto: None,
        },
    }
}

/// The SRTP setting of a leg whose SDP exchange carried SDES keys: ours
/// protects what we send, theirs what we receive. `None`: plain RTP.
pub fn srtp_params(
    local: &LocalMedia,
    remote: &NegotiatedMedia,
) -> Option<hotline_media::SrtpParams> {
    srtp_params_of(local.crypto.as_ref()?, remote.crypto.as_ref()?)
}

/// The SRTP setting from our line and theirs (the suite is theirs: an
/// answer repeats the offer's).
pub fn srtp_params_of(ours: &SdesCrypto, theirs: &SdesCrypto) -> Option<hotline_media::SrtpParams> {
    let suite = match theirs.suite {
        hotline_sip::sdp::CryptoSuite::AesCm128HmacSha1_80 => {
            hotline_media::SrtpSuite::AesCm128HmacSha1_80
        }
        hotline_sip::sdp::CryptoSuite::AesCm128HmacSha1_32 => {
            hotline_media::SrtpSuite::AesCm128HmacSha1_32
        }
    };
    Some(hotline_media::SrtpParams {
        suite,
        send: hotline_media::SrtpKey::new(*ours.key.as_bytes()),
        receive: hotline_media::SrtpKey::new(*theirs.key.as_bytes()),
    })
}

/// The parameters of a leg we offered (`offered`: our SRTP key, if any)
/// once the far end answered with `media`.
pub fn answered_leg_params(
    media: &NegotiatedMedia,
    latch: LatchPolicy,
    offered: Option<&SdesCrypto>,
    dead_media_after: Duration,
) -> LegParams {
    let mut params = LegParams::new(
        media.remote_rtp,
        media_codec(media.codec),
        media.telephone_event_pt,
    );
    params.latch = latch;
    params.dead_media_after = Some(dead_media_after);
    match hotline_sip::sdp::answered_crypto(offered, media) {
        Ok(theirs) => params.srtp = offered.zip(theirs).and_then(|(o, t)| srtp_params_of(o, t)),
        // An answer that does not match our offer (plain RTP to our SRTP
        // line, another line): its media cannot be decrypted; say so (the
        // call itself is the controller's to end).
        Err(e) => {
            warn!(error = %e, "the far end's answer does not match our SRTP offer: its media is not encrypted")
        }
    }
    params
}

/// The parameters of the leg that answered `remote`'s offer with `local`.
pub fn answering_leg_params(
    local: &LocalMedia,
    remote: &NegotiatedMedia,
    latch: LatchPolicy,
    dead_media_after: Option<Duration>,
) -> LegParams {
    let mut params = LegParams::new(
        remote.remote_rtp,
        media_codec(remote.codec),
        remote.telephone_event_pt,
    );
    params.dead_media_after = dead_media_after;
    params.latch = latch;
    params.srtp = srtp_params(local, remote);
    params
}

/// The order that speaks an IVR `[[say]]` value on a leg: free text goes
/// to text-to-speech; digits, numbers, dates and case references are
/// played from their recorded pieces under `prompts_root`.
pub fn say_op(
    prompts_root: &std::path::Path,
    tag: PlayTag,
    value: hotline_ivr::SayValue,
    language: std::sync::Arc<str>,
) -> MediaOp {
    match value {
        hotline_ivr::SayValue::Text(text) => MediaOp::Speak {
            tag,
            text,
            language,
        },
        value => MediaOp::Play {
            tag,
            files: said(prompts_root, &value, &language),
            barge_in: false,
        },
    }
}

/// The say pieces of a value (digits, a number, a date, a case reference)
/// in `language`, as prompt files under `prompts_root`; none if the value
/// cannot be said from pieces (free text is spoken, see [`say_op`]).
fn said(
    prompts_root: &std::path::Path,
    value: &hotline_ivr::SayValue,
    language: &str,
) -> Vec<std::path::PathBuf> {
    use hotline_ivr::SayValue;
    use hotline_media::say;
    let lang = say_language(language);
    let pieces = match value {
        SayValue::Digits(digits) => say::say_digits(lang, digits),
        SayValue::Number(n) => say::say_number(lang, *n),
        SayValue::Date { year, month, day } => say::say_date(
            lang,
            u32::try_from(*year).unwrap_or(0),
            u32::try_from(*month).unwrap_or(0),
            u32::try_from(*day).unwrap_or(0),
        ),
        SayValue::CaseRef(case_ref) => Ok(say::say_case_ref(lang, case_ref)),
        SayValue::Text(_) => Ok(Vec::new()),
    };
    match pieces {
        Ok(pieces) => pieces
            .iter()
            .map(|piece| say::piece_path(prompts_root, lang, piece))
            .collect(),
        Err(e) => {
            warn!(?value, error = %e, "value cannot be said");
            Vec::new()
        }
    }
}
