//! What the leg needs to know from an SDP's audio section, read straight
//! from its lines: which codecs under which payload types, in the order
//! listed. The stack parses and applies the whole SDP; this only picks the
//! codec the leg transcodes from, before the stack has an opinion.

use crate::error::WebRtcError;

/// One `a=rtpmap` of the audio section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RtpMap {
    pub(crate) payload_type: u8,
    /// Lower case, as `pcmu`, `opus`, `telephone-event`.
    pub(crate) name: String,
    pub(crate) clock_rate: u32,
}

/// The codecs of the first audio section that is not rejected (port 0),
/// in the order of its `m=` line.
pub(crate) fn audio_codecs(sdp: &str) -> Result<Vec<RtpMap>, WebRtcError> {
    let mut formats: Option<Vec<u8>> = None;
    let mut maps = Vec::new();
    let mut in_audio = false;
    for line in sdp.lines() {
        let line = line.trim_end();
        if let Some(media) = line.strip_prefix("m=") {
            if formats.is_some() {
                break;
            }
            let mut fields = media.split_whitespace();
            let kind = fields.next();
            let port = fields.next();
            in_audio = kind == Some("audio") && port != Some("0");
            if in_audio {
                let _protocol = fields.next();
                formats = Some(fields.filter_map(|pt| pt.parse().ok()).collect());
            }
        } else if in_audio {
            if let Some(map) = line.strip_prefix("a=rtpmap:") {
                if let Some(parsed) = parse_rtpmap(map) {
                    maps.push(parsed);
                }
            }
        }
    }
    let formats = formats.ok_or(WebRtcError::NoAudio)?;
    Ok(formats
        .iter()
        .filter_map(|pt| {
            maps.iter().find(|map| map.payload_type == *pt).cloned().or(
                // RFC 3551's static payload type needs no rtpmap.
                (*pt == 0).then(|| RtpMap {
                    payload_type: 0,
                    name: "pcmu".to_owned(),
                    clock_rate: 8000,
                }),
            )
        })
        .collect())
}

fn parse_rtpmap(map: &str) -> Option<RtpMap> {
    let (pt, encoding) = map.split_once(' ')?;
    let mut parts = encoding.trim().split('/');
    let name = parts.next()?.to_ascii_lowercase();
    let clock_rate = parts.next()?.parse().ok()?;
    Some(RtpMap {
        payload_type: pt.parse().ok()?,
        name,
        clock_rate,
    })
}

/// `name/rate` of every codec, for error messages.
pub(crate) fn describe(codecs: &[RtpMap]) -> String {
    if codecs.is_empty() {
        return "nothing".to_owned();
    }
    codecs
        .iter()
        .map(|map| format!("{}/{}", map.name, map.clock_rate))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_audio_section_in_m_line_order() {
        let sdp = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n\
                   m=audio 9 UDP/TLS/RTP/SAVPF 111 0 101\r\na=rtpmap:101 telephone-event/8000\r\n\
                   a=rtpmap:111 opus/48000/2\r\n";
        let codecs = audio_codecs(sdp).unwrap();
        let names: Vec<_> = codecs
            .iter()
            .map(|c| (c.payload_type, c.name.as_str()))
            .collect();
        assert_eq!(
            names,
            [(111, "opus"), (0, "pcmu"), (101, "telephone-event")]
        );
    }

    #[test]
    fn no_audio_is_an_error() {
        assert!(matches!(audio_codecs("v=0\r\n"), Err(WebRtcError::NoAudio)));
        assert!(matches!(
            audio_codecs("v=0\r\nm=audio 0 RTP/AVP 0\r\n"),
            Err(WebRtcError::NoAudio)
        ));
    }
}
