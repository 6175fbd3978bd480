//! SDP offer/answer for audio calls (RFC 3264): PCMU, PCMA and telephone-event.
//!
//! Parsing uses `sdp-types`; the answer is written by hand because it is a
//! fixed, small shape. This module decides codecs and addresses only: which
//! port the media engine listens on is the caller's input.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

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
        let mut sdp = String::with_capacity(256);
        // Writing into a String cannot fail.
        let _ = write!(
            sdp,
            "v=0\r\no=hotline {} {} IN {ip_kind} {ip}\r\ns=hotline\r\nc=IN {ip_kind} {ip}\r\nt=0 0\r\nm=audio {} RTP/AVP {}\r\n",
            self.session_id,
            self.version,
            self.rtp.port(),
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

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(negotiate(b"\xff\x00 not sdp", &[Codec::Pcmu]).is_err());
        assert!(negotiate(b"", &[Codec::Pcmu]).is_err());
    }
}
