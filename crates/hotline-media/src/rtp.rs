//! RTP fixed header (RFC 3550 §5.1): parse and build, no I/O.
//!
//! Parsing checks what a hostile peer could get wrong: length, version,
//! CSRC count, extension length and padding; an RTCP packet sent to the RTP
//! port (payload types 72-76 with the marker bit) is rejected, not played.

use crate::MediaError;

/// The largest datagram accepted on a media port. G.711 at 60 ms is 480
/// bytes of payload; anything much larger is not telephony audio.
pub const MAX_RTP_PACKET: usize = 1500;

/// Fixed RTP header length without CSRCs.
pub const RTP_HEADER_LEN: usize = 12;

/// The fields of an RTP header the engine uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
}

/// A parsed packet borrowing its payload from the datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    pub header: RtpHeader,
    pub payload: &'a [u8],
}

/// Parses a datagram as an RTP packet.
pub fn parse(datagram: &[u8]) -> Result<RtpPacket<'_>, MediaError> {
    let len = datagram.len();
    if len > MAX_RTP_PACKET {
        return Err(MediaError::RtpOversized {
            len,
            max: MAX_RTP_PACKET,
        });
    }
    if len < RTP_HEADER_LEN {
        return Err(MediaError::RtpTruncated {
            len,
            needed: RTP_HEADER_LEN,
        });
    }
    let version = datagram[0] >> 6;
    if version != 2 {
        return Err(MediaError::RtpVersion { version });
    }
    let has_padding = datagram[0] & 0x20 != 0;
    let has_extension = datagram[0] & 0x10 != 0;
    let csrc_count = usize::from(datagram[0] & 0x0F);
    let marker = datagram[1] & 0x80 != 0;
    let payload_type = datagram[1] & 0x7F;
    if (72..=76).contains(&payload_type) && marker {
        // Second byte 200..=204: an RTCP SR/RR/SDES/BYE/APP multiplexed on the RTP port.
        return Err(MediaError::RtpIsRtcp {
            packet_type: datagram[1],
        });
    }
    let mut offset = RTP_HEADER_LEN + 4 * csrc_count;
    if len < offset {
        return Err(MediaError::RtpTruncated {
            len,
            needed: offset,
        });
    }
    if has_extension {
        if len < offset + 4 {
            return Err(MediaError::RtpTruncated {
                len,
                needed: offset + 4,
            });
        }
        let words = usize::from(u16::from_be_bytes([
            datagram[offset + 2],
            datagram[offset + 3],
        ]));
        offset += 4 + 4 * words;
        if len < offset {
            return Err(MediaError::RtpTruncated {
                len,
                needed: offset,
            });
        }
    }
    let mut end = len;
    if has_padding {
        let padding = usize::from(datagram[len - 1]);
        if padding == 0 || offset + padding > len {
            return Err(MediaError::RtpBadPadding { padding, len });
        }
        end -= padding;
    }
    Ok(RtpPacket {
        header: RtpHeader {
            marker,
            payload_type,
            sequence: u16::from_be_bytes([datagram[2], datagram[3]]),
            timestamp: u32::from_be_bytes([datagram[4], datagram[5], datagram[6], datagram[7]]),
            ssrc: u32::from_be_bytes([datagram[8], datagram[9], datagram[10], datagram[11]]),
        },
        payload: &datagram[offset..end],
    })
}

/// Appends a packet (12-byte header, no CSRC, no extension) to `out`.
pub fn build(header: &RtpHeader, payload: &[u8], out: &mut Vec<u8>) {
    out.reserve(RTP_HEADER_LEN + payload.len());
    out.push(0x80);
    out.push((u8::from(header.marker) << 7) | (header.payload_type & 0x7F));
    out.extend_from_slice(&header.sequence.to_be_bytes());
    out.extend_from_slice(&header.timestamp.to_be_bytes());
    out.extend_from_slice(&header.ssrc.to_be_bytes());
    out.extend_from_slice(payload);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_a_pcmu_packet() {
        let header = RtpHeader {
            marker: true,
            payload_type: 0,
            sequence: 65535,
            timestamp: 0xDEAD_BEEF,
            ssrc: 0x1234_5678,
        };
        let mut buf = Vec::new();
        build(&header, &[0xFF; 160], &mut buf);
        assert_eq!(buf.len(), 172);
        let p = parse(&buf).unwrap();
        assert_eq!(p.header, header);
        assert_eq!(p.payload.len(), 160);
    }

    #[test]
    fn skips_csrcs_extension_and_padding() {
        let mut buf = vec![0xB1, 0x08, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        buf.extend_from_slice(&[9, 9, 9, 9]); // one CSRC
        buf.extend_from_slice(&[0xBE, 0xDE, 0, 1, 7, 7, 7, 7]); // extension of one word
        buf.extend_from_slice(&[1, 2, 3]); // payload
        buf.extend_from_slice(&[0, 0, 3]); // three bytes of padding
        let p = parse(&buf).unwrap();
        assert_eq!(p.payload, &[1, 2, 3]);
        assert_eq!(p.header.payload_type, 8);
    }

    #[test]
    fn rejects_malformed_packets_with_a_reason() {
        assert!(matches!(
            parse(&[0x80; 5]),
            Err(MediaError::RtpTruncated { len: 5, .. })
        ));
        assert!(matches!(
            parse(&[0x40; 20]),
            Err(MediaError::RtpVersion { version: 1 })
        ));
        assert!(matches!(
            parse(&[0x8F, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
            Err(MediaError::RtpTruncated { needed: 72, .. })
        ));
        let mut padded = vec![0xA0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 50];
        assert!(matches!(
            parse(&padded),
            Err(MediaError::RtpBadPadding { .. })
        ));
        padded[13] = 0;
        assert!(matches!(
            parse(&padded),
            Err(MediaError::RtpBadPadding { .. })
        ));
        assert!(matches!(
            parse(&vec![0x80; MAX_RTP_PACKET + 1]),
            Err(MediaError::RtpOversized { .. })
        ));
        let rtcp_rr = [0x80, 201, 0, 1, 0, 0, 0, 1];
        assert!(parse(&rtcp_rr).is_err());
        let rtcp_sr = [0x80, 200, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        assert!(matches!(
            parse(&rtcp_sr),
            Err(MediaError::RtpIsRtcp { packet_type: 200 })
        ));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1600)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn build_then_parse_round_trips(marker: bool, pt in 0u8..72, sequence: u16, timestamp: u32, ssrc: u32,
                                        payload in proptest::collection::vec(any::<u8>(), 0..480)) {
            let header = RtpHeader { marker, payload_type: pt, sequence, timestamp, ssrc };
            let mut buf = Vec::new();
            build(&header, &payload, &mut buf);
            let p = parse(&buf).unwrap();
            prop_assert_eq!(p.header, header);
            prop_assert_eq!(p.payload, &payload[..]);
        }
    }
}
