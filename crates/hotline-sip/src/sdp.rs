//! SDP offer/answer for audio calls (RFC 3264): PCMU, PCMA and telephone-event,
//! over RTP/AVP or over RTP/SAVP keyed by SDES (RFC 4568 `a=crypto`).
//!
//! Parsing uses `sdp-types`; the answer is written by hand because it is a
//! fixed, small shape. This module decides codecs, addresses and whether
//! media is SRTP ([`SrtpPolicy`], [`negotiate_offer`]): which port the media
//! engine listens on, and protecting the packets, are the caller's.
//!
//! SDES keys travel in the SDP in clear: they are only as secret as the
//! signalling (TLS). [`SdesKey`]'s `Debug` never shows them; the SDP text
//! itself ([`LocalMedia::to_sdp`], message bodies) must not be logged.

use std::fmt::{self, Write as _};
use std::net::{IpAddr, SocketAddr};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use rand::RngCore as _;

/// An audio codec this hotline can carry without transcoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// G.711 μ-law, static payload type 0.
    Pcmu,
    /// G.711 A-law, static payload type 8.
    Pcma,
}

impl Codec {
    pub fn payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    pub fn encoding_name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
        }
    }
}

/// Which way media flows, from the SDP's own point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    /// What we answer to this offered direction (RFC 3264 §6.1).
    pub fn answer(self) -> Direction {
        match self {
            Direction::SendRecv => Direction::SendRecv,
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            Direction::Inactive => Direction::Inactive,
        }
    }

    /// A remote that only sends, or sends nothing, has put us on hold.
    pub fn is_hold(self) -> bool {
        matches!(self, Direction::SendOnly | Direction::Inactive)
    }

    fn attribute(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }
}

/// The transport profile of an audio m-line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TransportProfile {
    /// `RTP/AVP`: plain RTP (RFC 3551).
    #[default]
    RtpAvp,
    /// `RTP/SAVP`: SRTP (RFC 3711), keyed here by `a=crypto` (RFC 4568).
    RtpSavp,
    /// Anything else (`RTP/AVPF`, `RTP/SAVPF`, `UDP/TLS/RTP/SAVPF`, ...), as written.
    Other(String),
}

impl TransportProfile {
    fn parse(proto: &str) -> Self {
        if proto.eq_ignore_ascii_case("RTP/AVP") {
            Self::RtpAvp
        } else if proto.eq_ignore_ascii_case("RTP/SAVP") {
            Self::RtpSavp
        } else {
            Self::Other(proto.to_owned())
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::RtpAvp => "RTP/AVP",
            Self::RtpSavp => "RTP/SAVP",
            Self::Other(proto) => proto,
        }
    }

    /// A secure profile we cannot answer (SAVPF, DTLS-SRTP): refusing it
    /// beats answering in clear. Other plain ones (AVPF) are answered as
    /// RTP/AVP, as before SRTP existed here.
    fn is_unsupported_secure(&self) -> bool {
        matches!(self, Self::Other(proto) if proto.to_ascii_uppercase().contains("SAVP"))
    }
}

/// An SDES crypto suite we support (RFC 4568 §6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CryptoSuite {
    /// AES-128 counter mode with an 80-bit HMAC-SHA1 tag: the one to offer.
    AesCm128HmacSha1_80,
    /// The same with a 32-bit tag on SRTP.
    AesCm128HmacSha1_32,
}

impl CryptoSuite {
    /// The name `a=crypto` writes.
    pub fn name(self) -> &'static str {
        match self {
            Self::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            Self::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
        }
    }

    /// The suite of a name, if we support it.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::AesCm128HmacSha1_80, Self::AesCm128HmacSha1_32]
            .into_iter()
            .find(|suite| suite.name() == name)
    }
}

/// An SRTP master key (16 bytes) followed by its master salt (14 bytes):
/// what `inline:` carries, base64-encoded. `Debug` shows no key material.
#[derive(Clone, PartialEq, Eq)]
pub struct SdesKey([u8; SdesKey::LEN]);

impl SdesKey {
    /// Master key and salt together.
    pub const LEN: usize = 30;

    /// A fresh key from the operating system's CSPRNG: one per leg and
    /// direction, never reused (the keystream would repeat).
    pub fn generate() -> Self {
        let mut bytes = [0u8; Self::LEN];
        // OsRng fails only if the OS has no entropy source at all, and then
        // no call can be secured: rand panics, which is the right outcome.
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn from_bytes(key_and_salt: [u8; Self::LEN]) -> Self {
        Self(key_and_salt)
    }

    /// The 30 bytes, for the media engine's SRTP context (and nothing else).
    pub fn as_bytes(&self) -> &[u8; Self::LEN] {
        &self.0
    }

    fn from_base64(text: &str) -> Option<Self> {
        // 30 bytes are exactly 40 characters: reject anything longer before decoding.
        if text.len() != 40 {
            return None;
        }
        let bytes = BASE64.decode(text).ok()?;
        Some(Self(bytes.try_into().ok()?))
    }

    fn to_base64(&self) -> String {
        BASE64.encode(self.0)
    }
}

impl fmt::Debug for SdesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SdesKey(<redacted>)")
    }
}

/// One `a=crypto` line (RFC 4568 §9.1): the peer's accepted one in
/// [`NegotiatedMedia`], ours in [`LocalMedia`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdesCrypto {
    /// Names the line; an answer repeats the tag of the offer line it accepts.
    pub tag: u32,
    pub suite: CryptoSuite,
    /// The sender's master key and salt: theirs decrypts what they send,
    /// ours what we send.
    pub key: SdesKey,
}

impl SdesCrypto {
    /// Our line for an offer of our own (a fresh key).
    pub fn offer(tag: u32, suite: CryptoSuite) -> Self {
        Self {
            tag,
            suite,
            key: SdesKey::generate(),
        }
    }

    /// Our line answering the offer line we accept: its tag and suite, and
    /// a fresh key of ours (RFC 4568 §7.1.2).
    pub fn answer_to(offered: &SdesCrypto) -> Self {
        Self::offer(offered.tag, offered.suite)
    }

    /// Reads the value of `a=crypto:`; `None` for a line we cannot use (an
    /// unsupported suite, bad base64, a wrong key length, an MKI, several
    /// keys, a session parameter we do not implement).
    fn parse(value: &str) -> Option<Self> {
        let mut fields = value.split_ascii_whitespace();
        let tag_text = fields.next()?;
        if tag_text.is_empty()
            || tag_text.len() > 9
            || !tag_text.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let tag = tag_text.parse().ok()?;
        let suite = CryptoSuite::from_name(fields.next()?)?;
        let key_params = fields.next()?;
        // Several keys need MKIs to tell them apart: unsupported.
        if key_params.contains(';') {
            return None;
        }
        let (method, key_info) = key_params.split_once(':')?;
        if !method.eq_ignore_ascii_case("inline") {
            return None;
        }
        let mut parts = key_info.split('|');
        let key = SdesKey::from_base64(parts.next()?)?;
        for part in parts {
            // "1:4" is an MKI (value:length); we send and expect none.
            if part.contains(':') || !is_lifetime(part) {
                return None;
            }
        }
        // Session parameters (RFC 4568 §6.3) change how SRTP runs (KDR,
        // UNENCRYPTED_SRTP, FEC_ORDER, ...): a line with one we do not
        // implement is unusable. A window size hint does not change
        // anything, and '-' marks a parameter that may be ignored.
        if !fields.all(|p| p.starts_with("WSH=") || p.starts_with('-')) {
            return None;
        }
        Some(Self { tag, suite, key })
    }

    fn attribute_value(&self) -> String {
        format!(
            "{} {} inline:{}",
            self.tag,
            self.suite.name(),
            self.key.to_base64()
        )
    }
}

/// A key lifetime: decimal packets, or `2^n` (RFC 4568 §9.1). Not
/// enforced: even 2^20 packets are six hours of one call.
fn is_lifetime(text: &str) -> bool {
    let digits = text.strip_prefix("2^").unwrap_or(text);
    !digits.is_empty() && digits.len() <= 15 && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Whether calls from a source use SRTP (set per trunk address, and for
/// phones and callers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SrtpPolicy {
    /// Only RTP/SAVP offers with a supported `a=crypto` are answered;
    /// RTP/AVP gets 488.
    Required,
    /// SRTP when offered (RTP/SAVP), plain RTP otherwise.
    #[default]
    Optional,
    /// Plain RTP only: an RTP/SAVP offer gets 488 (it cannot be answered
    /// with RTP/AVP, RFC 3264 §6).
    Off,
}

/// The outcome of negotiation: what the media engine needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiatedMedia {
    /// Where the peer wants RTP (before symmetric-RTP latching corrects it).
    pub remote_rtp: SocketAddr,
    pub codec: Codec,
    /// The peer's payload type for RFC 4733 telephone-event, if offered.
    pub telephone_event_pt: Option<u8>,
    /// Packetisation time the peer asked for, in milliseconds.
    pub ptime_ms: u32,
    /// Direction as offered by the peer.
    pub remote_direction: Direction,
    /// The audio m-line's transport profile.
    pub profile: TransportProfile,
    /// On RTP/SAVP: the first `a=crypto` line we support, in the peer's
    /// order (an answer accepts exactly one; lines with an unsupported
    /// suite, bad base64, a wrong key length or an MKI are skipped). Its
    /// key protects what the peer sends. Always `None` on other profiles.
    pub crypto: Option<SdesCrypto>,
}

/// Why an offer cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SdpError {
    #[error("the SDP does not parse: {reason}")]
    Unparseable { reason: String },
    #[error("the offer has no audio stream")]
    NoAudio,
    #[error("no codec in common: offered payload types {offered:?}, we support PCMU and PCMA")]
    NoCommonCodec { offered: String },
    #[error("the offer names no usable connection address")]
    NoConnectionAddress,
    #[error("the RTP/SAVP offer has no a=crypto line we support (AES_CM_128_HMAC_SHA1_80 or _32, one inline key, no MKI)")]
    NoUsableCrypto,
    #[error("the offer is {profile} but SRTP is required here: offer RTP/SAVP with a=crypto AES_CM_128_HMAC_SHA1_80")]
    SrtpRequired { profile: String },
    #[error(
        "the offer is RTP/SAVP but SRTP is off here, and RTP/SAVP cannot be answered with RTP/AVP"
    )]
    SrtpOff,
    #[error("transport profile {profile} is not supported (RTP/AVP or RTP/SAVP)")]
    UnsupportedProfile { profile: String },
    #[error("the call's media is {established}; a re-offer of {offered} is refused")]
    ProfileChanged {
        established: &'static str,
        offered: String,
    },
    #[error("the answer does not accept our a=crypto line (tag {tag}, {suite})")]
    CryptoNotAccepted { tag: u32, suite: &'static str },
}

impl SdpError {
    /// The Warning code for a 488 carrying this error (RFC 3261 §20.43):
    /// 302 "incompatible transport protocol" for the SRTP refusals, 304
    /// "media type not available" otherwise.
    pub fn warn_code(&self) -> u16 {
        match self {
            Self::NoUsableCrypto
            | Self::SrtpRequired { .. }
            | Self::SrtpOff
            | Self::UnsupportedProfile { .. }
            | Self::ProfileChanged { .. }
            | Self::CryptoNotAccepted { .. } => 302,
            _ => 304,
        }
    }
}

/// Reads an offer and decides it under `policy`: the codec as
/// [`negotiate`] picks it, and SRTP (`crypto` is `Some`: answer RTP/SAVP
/// with [`SdesCrypto::answer_to`] it) or plain RTP. An error is a 488.
pub fn negotiate_offer(
    remote_sdp: &[u8],
    preferred: &[Codec],
    policy: SrtpPolicy,
) -> Result<NegotiatedMedia, SdpError> {
    let media = negotiate(remote_sdp, preferred)?;
    srtp_answer(&media, policy)?;
    Ok(media)
}

/// How to answer an offer's transport under `policy`: `Some(line)` is
/// RTP/SAVP accepting that crypto line, `None` plain RTP/AVP.
pub fn srtp_answer(
    offer: &NegotiatedMedia,
    policy: SrtpPolicy,
) -> Result<Option<&SdesCrypto>, SdpError> {
    match (&offer.profile, policy) {
        (TransportProfile::RtpSavp, SrtpPolicy::Off) => Err(SdpError::SrtpOff),
        (TransportProfile::RtpSavp, _) => offer
            .crypto
            .as_ref()
            .map(Some)
            .ok_or(SdpError::NoUsableCrypto),
        (profile, _) if profile.is_unsupported_secure() => Err(SdpError::UnsupportedProfile {
            profile: profile.as_str().to_owned(),
        }),
        (profile, SrtpPolicy::Required) => Err(SdpError::SrtpRequired {
            profile: profile.as_str().to_owned(),
        }),
        (_, SrtpPolicy::Optional | SrtpPolicy::Off) => Ok(None),
    }
}

/// A re-offer keeps the call's transport (SRTP stays SRTP, RTP stays RTP:
/// a downgrade mid-call is refused, and so is an upgrade, which would need
/// a key of ours the media leg does not have). On success our line takes
/// the tag and suite the re-offer's accepted line names; our key stays.
pub fn keep_srtp_on_reoffer(
    local: &mut LocalMedia,
    reoffer: &NegotiatedMedia,
) -> Result<(), SdpError> {
    match (&mut local.crypto, &reoffer.crypto) {
        (Some(ours), Some(theirs)) => {
            ours.tag = theirs.tag;
            ours.suite = theirs.suite;
            Ok(())
        }
        (None, None) => Ok(()),
        (Some(_), None) => Err(SdpError::ProfileChanged {
            established: "RTP/SAVP",
            offered: reoffer.profile.as_str().to_owned(),
        }),
        (None, Some(_)) => Err(SdpError::ProfileChanged {
            established: "RTP/AVP",
            offered: reoffer.profile.as_str().to_owned(),
        }),
    }
}

/// For the answer to an offer of ours (a call we placed; `offered` is our
/// offer's crypto line, if any): the peer's key if we offered SRTP and they
/// accepted our line, `None` for plain RTP.
pub fn answered_crypto<'a>(
    offered: Option<&SdesCrypto>,
    answer: &'a NegotiatedMedia,
) -> Result<Option<&'a SdesCrypto>, SdpError> {
    match (offered, &answer.crypto) {
        (None, None) if answer.profile != TransportProfile::RtpSavp => Ok(None),
        (None, _) => Err(SdpError::UnsupportedProfile {
            profile: answer.profile.as_str().to_owned(),
        }),
        (Some(offered), Some(theirs))
            if theirs.tag == offered.tag && theirs.suite == offered.suite =>
        {
            Ok(Some(theirs))
        }
        (Some(offered), _) => Err(SdpError::CryptoNotAccepted {
            tag: offered.tag,
            suite: offered.suite.name(),
        }),
    }
}

/// Reads the remote side of an offer or answer and picks the codec,
/// honouring the offerer's order among those we support.
pub fn negotiate(remote_sdp: &[u8], preferred: &[Codec]) -> Result<NegotiatedMedia, SdpError> {
    // sdp-types 0.1.8 panics (an `assert_eq!` in its media parser) when a
    // line that is not `x=value` is followed by another non-`m=` line: its
    // peeked error is skipped and the next line reaches the assertion. The
    // endpoint's fuzzer found it with a caller's body; refuse such bodies
    // here, with the same line rule it applies, before it sees them.
    if let Some(n) = remote_sdp
        .split(|b| *b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .position(|line| !line.is_empty() && line.iter().position(|b| *b == b'=') != Some(1))
    {
        return Err(SdpError::Unparseable {
            reason: format!("line {} is not in key=value form", n + 1),
        });
    }
    let session = sdp_types::Session::parse(remote_sdp).map_err(|e| SdpError::Unparseable {
        reason: e.to_string(),
    })?;
    let audio = session
        .medias
        .iter()
        .find(|m| m.media == "audio" && m.port != 0)
        .ok_or(SdpError::NoAudio)?;
    let connection = audio
        .connections
        .first()
        .or(session.connection.as_ref())
        .ok_or(SdpError::NoConnectionAddress)?;
    // "IN IP4 1.2.3.4/127" carries a TTL for multicast; drop it.
    let host = connection
        .connection_address
        .split('/')
        .next()
        .unwrap_or_default();
    let ip: IpAddr = host.parse().map_err(|_| SdpError::NoConnectionAddress)?;

    let rtpmaps: Vec<(u8, String)> = audio
        .attributes
        .iter()
        .filter(|a| a.attribute == "rtpmap")
        .filter_map(|a| {
            let value = a.value.as_deref()?;
            let (pt, rest) = value.split_once(' ')?;
            let name = rest.split('/').next()?.to_ascii_lowercase();
            Some((pt.trim().parse().ok()?, name))
        })
        .collect();
    let name_of = |pt: u8| -> Option<String> {
        rtpmaps
            .iter()
            .find(|(p, _)| *p == pt)
            .map(|(_, n)| n.clone())
            .or(match pt {
                0 => Some("pcmu".into()),
                8 => Some("pcma".into()),
                _ => None,
            })
    };
    let offered: Vec<u8> = audio
        .fmt
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    let codec = offered
        .iter()
        .filter_map(|pt| match name_of(*pt).as_deref() {
            Some("pcmu") if *pt == 0 => Some(Codec::Pcmu),
            Some("pcma") if *pt == 8 => Some(Codec::Pcma),
            _ => None,
        })
        .find(|c| preferred.contains(c))
        .ok_or_else(|| SdpError::NoCommonCodec {
            offered: audio.fmt.clone(),
        })?;
    let telephone_event_pt = offered
        .iter()
        .copied()
        .find(|pt| name_of(*pt).as_deref() == Some("telephone-event"));
    let find_attr = |name: &str| {
        audio
            .attributes
            .iter()
            .chain(session.attributes.iter())
            .find(|a| a.attribute == name)
    };
    let ptime_ms = find_attr("ptime")
        .and_then(|a| a.value.as_deref()?.trim().parse().ok())
        .unwrap_or(20);
    let remote_direction = [
        Direction::SendOnly,
        Direction::RecvOnly,
        Direction::Inactive,
        Direction::SendRecv,
    ]
    .into_iter()
    .find(|d| find_attr(d.attribute()).is_some())
    .unwrap_or(Direction::SendRecv);
    let profile = TransportProfile::parse(&audio.proto);
    let crypto = if profile == TransportProfile::RtpSavp {
        audio
            .attributes
            .iter()
            .filter(|a| a.attribute == "crypto")
            .find_map(|a| SdesCrypto::parse(a.value.as_deref()?))
    } else {
        None
    };
    // RFC 3264 §8.4: the old way to hold is c=0.0.0.0.
    let remote_direction = if ip.is_unspecified() && remote_direction == Direction::SendRecv {
        Direction::SendOnly
    } else {
        remote_direction
    };
    Ok(NegotiatedMedia {
        remote_rtp: SocketAddr::new(ip, audio.port),
        codec,
        telephone_event_pt,
        ptime_ms,
        remote_direction,
        profile,
        crypto,
    })
}

/// Our side of a session: what we put in an offer or an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalMedia {
    /// Where our media engine receives RTP.
    pub rtp: SocketAddr,
    /// Codecs in our order of preference (an answer carries exactly one).
    pub codecs: Vec<Codec>,
    /// Payload type for telephone-event (the offerer's number in an answer).
    pub telephone_event_pt: Option<u8>,
    pub direction: Direction,
    /// o= session id, stable for the dialog.
    pub session_id: u64,
    /// o= version, incremented each time our SDP changes.
    pub version: u64,
    /// Our `a=crypto` line: `Some` makes the m-line RTP/SAVP (its key
    /// protects what we send), `None` plain RTP/AVP.
    pub crypto: Option<SdesCrypto>,
}

impl LocalMedia {
    /// Writes the SDP body.
    pub fn to_sdp(&self) -> String {
        let ip_kind = if self.rtp.is_ipv4() { "IP4" } else { "IP6" };
        let ip = self.rtp.ip();
        let mut formats: Vec<String> = self
            .codecs
            .iter()
            .map(|c| c.payload_type().to_string())
            .collect();
        if let Some(pt) = self.telephone_event_pt {
            formats.push(pt.to_string());
        }
        let profile = if self.crypto.is_some() {
            TransportProfile::RtpSavp
        } else {
            TransportProfile::RtpAvp
        };
        let mut sdp = String::with_capacity(256);
        // Writing into a String cannot fail.
        let _ = write!(
            sdp,
            "v=0\r\no=hotline {} {} IN {ip_kind} {ip}\r\ns=hotline\r\nc=IN {ip_kind} {ip}\r\nt=0 0\r\nm=audio {} {} {}\r\n",
            self.session_id,
            self.version,
            self.rtp.port(),
            profile.as_str(),
            formats.join(" ")
        );
        for codec in &self.codecs {
            let _ = write!(
                sdp,
                "a=rtpmap:{} {}/8000\r\n",
                codec.payload_type(),
                codec.encoding_name()
            );
        }
        if let Some(pt) = self.telephone_event_pt {
            let _ = write!(
                sdp,
                "a=rtpmap:{pt} telephone-event/8000\r\na=fmtp:{pt} 0-16\r\n"
            );
        }
        let _ = write!(sdp, "a=ptime:20\r\na={}\r\n", self.direction.attribute());
        if let Some(crypto) = &self.crypto {
            let _ = write!(sdp, "a=crypto:{}\r\n", crypto.attribute_value());
        }
        sdp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(fmt: &str, extra: &str) -> String {
        format!(
            "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP {fmt}\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n{extra}"
        )
    }

    #[test]
    fn picks_the_offerers_first_supported_codec() {
        let n = negotiate(offer("8 0 101", "").as_bytes(), &[Codec::Pcmu, Codec::Pcma]).unwrap();
        assert_eq!(n.codec, Codec::Pcma);
        assert_eq!(n.telephone_event_pt, Some(101));
        assert_eq!(n.remote_rtp, "127.0.0.1:6000".parse().unwrap());
        assert_eq!(n.remote_direction, Direction::SendRecv);
    }

    #[test]
    fn no_common_codec_is_an_error() {
        let e = negotiate(offer("18 101", "").as_bytes(), &[Codec::Pcmu]).unwrap_err();
        assert!(matches!(e, SdpError::NoCommonCodec { .. }));
    }

    #[test]
    fn hold_is_recognised() {
        let n = negotiate(offer("0", "a=sendonly\r\n").as_bytes(), &[Codec::Pcmu]).unwrap();
        assert!(n.remote_direction.is_hold());
        assert_eq!(n.remote_direction.answer(), Direction::RecvOnly);
    }

    #[test]
    fn answer_parses_back() {
        let local = LocalMedia {
            rtp: "127.0.0.1:20000".parse().unwrap(),
            codecs: vec![Codec::Pcmu],
            telephone_event_pt: Some(101),
            direction: Direction::SendRecv,
            session_id: 1,
            version: 1,
            crypto: None,
        };
        let n = negotiate(local.to_sdp().as_bytes(), &[Codec::Pcmu]).unwrap();
        assert_eq!(n.remote_rtp.port(), 20000);
        assert_eq!(n.telephone_event_pt, Some(101));
    }

    #[test]
    fn a_bad_line_before_an_attribute_is_an_error_not_a_panic() {
        // Found by fuzz/endpoint_sequence: sdp-types asserted on this shape.
        let body =
            b"v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 6000 RTP/AVP 0\r\nnot a line\r\na=sendonly\r\n";
        assert!(matches!(
            negotiate(body, &[Codec::Pcmu]),
            Err(SdpError::Unparseable { .. })
        ));
        let body = b"v=0\r\nbad\r\na=x\r\nm=audio 6000 RTP/AVP 0\r\n";
        assert!(negotiate(body, &[Codec::Pcmu]).is_err());
    }

    /// RFC 4568 §8.1's example key (30 bytes of key and salt).
    const KEY_B64: &str = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";

    fn savp_offer(crypto_lines: &[&str]) -> String {
        let lines: String = crypto_lines
            .iter()
            .map(|line| format!("a=crypto:{line}\r\n"))
            .collect();
        offer("0 101", &lines).replace("RTP/AVP", "RTP/SAVP")
    }

    fn local(crypto: Option<SdesCrypto>) -> LocalMedia {
        LocalMedia {
            rtp: "192.0.2.1:20000".parse().unwrap(),
            codecs: vec![Codec::Pcmu],
            telephone_event_pt: Some(101),
            direction: Direction::SendRecv,
            session_id: 1,
            version: 1,
            crypto,
        }
    }

    #[test]
    fn a_savp_offer_yields_its_crypto_line() {
        let body = savp_offer(&[
            &format!("1 AES_CM_128_HMAC_SHA1_80 inline:{KEY_B64}|2^20|1:4"),
            &format!("2 AES_CM_128_HMAC_SHA1_80 inline:{KEY_B64}|2^31"),
        ]);
        let n = negotiate(body.as_bytes(), &[Codec::Pcmu]).unwrap();
        assert_eq!(n.profile, TransportProfile::RtpSavp);
        let crypto = n.crypto.expect("a supported line");
        // Line 1 carries an MKI: skipped.
        assert_eq!(crypto.tag, 2);
        assert_eq!(crypto.suite, CryptoSuite::AesCm128HmacSha1_80);
        assert_eq!(
            crypto.key.as_bytes().as_slice(),
            BASE64.decode(KEY_B64).unwrap().as_slice()
        );
    }

    #[test]
    fn the_first_supported_line_is_chosen_and_unusable_ones_are_skipped() {
        let short_key = &KEY_B64[..36];
        let body = savp_offer(&[
            &format!("1 AES_256_CM_HMAC_SHA1_80 inline:{KEY_B64}{KEY_B64}"),
            &format!("2 AES_CM_128_HMAC_SHA1_80 inline:{short_key}"),
            "3 AES_CM_128_HMAC_SHA1_80 inline:!!!!not*base64!!!!not*base64!!!!not*base",
            &format!("4 AES_CM_128_HMAC_SHA1_80 inline:{KEY_B64} KDR=1"),
            &format!("5 AES_CM_128_HMAC_SHA1_80 inline:{KEY_B64} UNENCRYPTED_SRTCP"),
            &format!("6 AES_CM_128_HMAC_SHA1_80 inline:{KEY_B64};inline:{KEY_B64}"),
            &format!("7 AES_CM_128_HMAC_SHA1_80 inline:{KEY_B64}|2^forty"),
            &format!("8 AES_CM_128_HMAC_SHA1_32 inline:{KEY_B64} WSH=128 -FEC_ORDER=SRTP_FEC"),
            &format!("9 AES_CM_128_HMAC_SHA1_80 inline:{KEY_B64}"),
        ]);
        let n = negotiate(body.as_bytes(), &[Codec::Pcmu]).unwrap();
        let crypto = n.crypto.unwrap();
        assert_eq!(
            (crypto.tag, crypto.suite),
            (8, CryptoSuite::AesCm128HmacSha1_32)
        );
    }

    #[test]
    fn crypto_on_an_avp_line_is_not_srtp() {
        let body = offer(
            "0",
            &format!("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{KEY_B64}\r\n"),
        );
        let n = negotiate(body.as_bytes(), &[Codec::Pcmu]).unwrap();
        assert_eq!(n.profile, TransportProfile::RtpAvp);
        assert_eq!(n.crypto, None);
        assert_eq!(srtp_answer(&n, SrtpPolicy::Optional), Ok(None));
    }

    #[test]
    fn our_answer_writes_savp_and_parses_back_with_our_key() {
        let offered = negotiate(
            savp_offer(&[&format!("5 AES_CM_128_HMAC_SHA1_32 inline:{KEY_B64}")]).as_bytes(),
            &[Codec::Pcmu],
        )
        .unwrap();
        let ours = SdesCrypto::answer_to(offered.crypto.as_ref().unwrap());
        assert_eq!(
            (ours.tag, ours.suite),
            (5, CryptoSuite::AesCm128HmacSha1_32)
        );
        assert_ne!(
            ours.key,
            offered.crypto.as_ref().unwrap().key,
            "a key of our own"
        );
        let sdp = local(Some(ours.clone())).to_sdp();
        assert!(sdp.contains("m=audio 20000 RTP/SAVP 0 101\r\n"), "{sdp}");
        assert!(
            sdp.contains(&format!(
                "a=crypto:5 AES_CM_128_HMAC_SHA1_32 inline:{}\r\n",
                ours.key.to_base64()
            )),
            "{sdp}"
        );
        let back = negotiate(sdp.as_bytes(), &[Codec::Pcmu]).unwrap();
        assert_eq!(back.profile, TransportProfile::RtpSavp);
        assert_eq!(back.crypto, Some(ours));
        // Without crypto it is the plain answer it always was.
        assert!(local(None)
            .to_sdp()
            .contains("m=audio 20000 RTP/AVP 0 101\r\n"));
    }

    #[test]
    fn every_policy_outcome() {
        let avp = negotiate(offer("0", "").as_bytes(), &[Codec::Pcmu]).unwrap();
        let savp = negotiate(
            savp_offer(&[&format!("1 AES_CM_128_HMAC_SHA1_80 inline:{KEY_B64}")]).as_bytes(),
            &[Codec::Pcmu],
        )
        .unwrap();
        let savp_unusable = negotiate(
            savp_offer(&[&format!(
                "1 AES_256_CM_HMAC_SHA1_80 inline:{KEY_B64}{KEY_B64}"
            )])
            .as_bytes(),
            &[Codec::Pcmu],
        )
        .unwrap();
        let savpf = negotiate(
            offer("0", "").replace("RTP/AVP", "RTP/SAVPF").as_bytes(),
            &[Codec::Pcmu],
        )
        .unwrap();
        let avpf = negotiate(
            offer("0", "").replace("RTP/AVP", "RTP/AVPF").as_bytes(),
            &[Codec::Pcmu],
        )
        .unwrap();
        use SrtpPolicy::*;
        for policy in [Required, Optional] {
            assert_eq!(
                srtp_answer(&savp, policy),
                Ok(savp.crypto.as_ref()),
                "{policy:?}"
            );
        }
        assert_eq!(srtp_answer(&savp, Off), Err(SdpError::SrtpOff));
        for policy in [Required, Optional, Off] {
            let refused = if policy == Off {
                SdpError::SrtpOff
            } else {
                SdpError::NoUsableCrypto
            };
            assert_eq!(srtp_answer(&savp_unusable, policy), Err(refused));
            assert!(matches!(
                srtp_answer(&savpf, policy),
                Err(SdpError::UnsupportedProfile { .. })
            ));
        }
        assert_eq!(
            srtp_answer(&avp, Required),
            Err(SdpError::SrtpRequired {
                profile: "RTP/AVP".into()
            })
        );
        assert_eq!(srtp_answer(&avp, Optional), Ok(None));
        assert_eq!(srtp_answer(&avp, Off), Ok(None));
        assert_eq!(
            srtp_answer(&avpf, Optional),
            Ok(None),
            "AVPF is answered as before"
        );
        assert!(srtp_answer(&avpf, Required).is_err());
        // Every SRTP refusal says "incompatible transport protocol".
        assert_eq!(SdpError::SrtpOff.warn_code(), 302);
        assert_eq!(SdpError::NoAudio.warn_code(), 304);
        // negotiate_offer is negotiate plus the policy.
        let body = savp_offer(&[&format!("1 AES_CM_128_HMAC_SHA1_80 inline:{KEY_B64}")]);
        assert_eq!(
            negotiate_offer(body.as_bytes(), &[Codec::Pcmu], Optional),
            Ok(savp.clone())
        );
        assert_eq!(
            negotiate_offer(body.as_bytes(), &[Codec::Pcmu], Off),
            Err(SdpError::SrtpOff)
        );
    }

    #[test]
    fn a_reoffer_keeps_the_transport_and_our_key() {
        let ours = SdesCrypto::offer(1, CryptoSuite::AesCm128HmacSha1_80);
        let reoffer = negotiate(
            savp_offer(&[&format!("9 AES_CM_128_HMAC_SHA1_32 inline:{KEY_B64}")]).as_bytes(),
            &[Codec::Pcmu],
        )
        .unwrap();
        let mut srtp_call = local(Some(ours.clone()));
        keep_srtp_on_reoffer(&mut srtp_call, &reoffer).unwrap();
        let now = srtp_call.crypto.unwrap();
        assert_eq!((now.tag, now.suite), (9, CryptoSuite::AesCm128HmacSha1_32));
        assert_eq!(now.key, ours.key);

        let plain = negotiate(offer("0", "").as_bytes(), &[Codec::Pcmu]).unwrap();
        assert!(matches!(
            keep_srtp_on_reoffer(&mut local(Some(ours)), &plain),
            Err(SdpError::ProfileChanged {
                established: "RTP/SAVP",
                ..
            })
        ));
        assert!(matches!(
            keep_srtp_on_reoffer(&mut local(None), &reoffer),
            Err(SdpError::ProfileChanged {
                established: "RTP/AVP",
                ..
            })
        ));
        assert_eq!(keep_srtp_on_reoffer(&mut local(None), &plain), Ok(()));
    }

    #[test]
    fn an_answer_to_our_offer_must_accept_our_line() {
        let ours = local(Some(SdesCrypto::offer(1, CryptoSuite::AesCm128HmacSha1_80)));
        let accepting = negotiate(
            savp_offer(&[&format!("1 AES_CM_128_HMAC_SHA1_80 inline:{KEY_B64}")]).as_bytes(),
            &[Codec::Pcmu],
        )
        .unwrap();
        assert_eq!(
            answered_crypto(ours.crypto.as_ref(), &accepting),
            Ok(accepting.crypto.as_ref())
        );
        let other_tag = negotiate(
            savp_offer(&[&format!("2 AES_CM_128_HMAC_SHA1_80 inline:{KEY_B64}")]).as_bytes(),
            &[Codec::Pcmu],
        )
        .unwrap();
        assert!(matches!(
            answered_crypto(ours.crypto.as_ref(), &other_tag),
            Err(SdpError::CryptoNotAccepted { tag: 1, .. })
        ));
        let plain = negotiate(offer("0", "").as_bytes(), &[Codec::Pcmu]).unwrap();
        assert!(answered_crypto(ours.crypto.as_ref(), &plain).is_err());
        assert_eq!(
            answered_crypto(local(None).crypto.as_ref(), &plain),
            Ok(None)
        );
        assert!(answered_crypto(local(None).crypto.as_ref(), &accepting).is_err());
    }

    #[test]
    fn keys_are_random_and_never_shown() {
        let (a, b) = (SdesKey::generate(), SdesKey::generate());
        assert_ne!(a, b);
        let crypto = SdesCrypto {
            tag: 1,
            suite: CryptoSuite::AesCm128HmacSha1_80,
            key: a.clone(),
        };
        let shown = format!("{crypto:?} {:?}", local(Some(crypto.clone())));
        assert!(!shown.contains(&a.to_base64()), "{shown}");
        assert!(!shown.contains(&format!("{:?}", a.as_bytes())), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
    }

    proptest::proptest! {
        #[test]
        fn any_crypto_line_prints_and_parses_back(
            tag in 0u32..=999_999_999,
            short_tag in proptest::prelude::any::<bool>(),
            key in proptest::prelude::any::<[u8; 30]>(),
        ) {
            let suite = if short_tag {
                CryptoSuite::AesCm128HmacSha1_32
            } else {
                CryptoSuite::AesCm128HmacSha1_80
            };
            let crypto = SdesCrypto { tag, suite, key: SdesKey::from_bytes(key) };
            let sdp = local(Some(crypto.clone())).to_sdp();
            let back = negotiate(sdp.as_bytes(), &[Codec::Pcmu]).unwrap();
            proptest::prop_assert_eq!(back.crypto, Some(crypto));
        }

        #[test]
        fn any_crypto_value_is_parsed_or_skipped_without_a_panic(value in ".{0,120}") {
            let _ = SdesCrypto::parse(&value);
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(negotiate(b"\xff\x00 not sdp", &[Codec::Pcmu]).is_err());
        assert!(negotiate(b"", &[Codec::Pcmu]).is_err());
    }
}
