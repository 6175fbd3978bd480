//! Plain RTP as the core speaks it, read and written in place, and the
//! rewriting of sequence numbers and timestamps between the core's stream
//! and the browser's (which may change clock rate, SSRC and sequence on a
//! reconnect while the other side must see one continuous stream).

/// The fields of a plain RTP packet the leg needs, and where its payload is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PlainRtp {
    pub(crate) marker: bool,
    pub(crate) payload_type: u8,
    pub(crate) timestamp: u32,
    pub(crate) ssrc: u32,
    pub(crate) payload_start: usize,
    pub(crate) payload_end: usize,
}

/// Reads an RTP header (skipping CSRCs and an extension, dropping
/// padding); `None` when it is not RTP version 2 or is cut short.
pub(crate) fn parse(packet: &[u8]) -> Option<PlainRtp> {
    if packet.len() < 12 || packet[0] >> 6 != 2 {
        return None;
    }
    let csrc_count = usize::from(packet[0] & 0x0f);
    let mut start = 12 + 4 * csrc_count;
    if packet[0] & 0x10 != 0 {
        let words = packet.get(start + 2..start + 4)?;
        start += 4 + 4 * usize::from(u16::from_be_bytes([words[0], words[1]]));
    }
    let mut end = packet.len();
    if packet[0] & 0x20 != 0 {
        end = end.checked_sub(usize::from(*packet.last()?))?;
    }
    if start > end {
        return None;
    }
    Some(PlainRtp {
        marker: packet[1] & 0x80 != 0,
        payload_type: packet[1] & 0x7f,
        timestamp: u32::from_be_bytes([packet[4], packet[5], packet[6], packet[7]]),
        ssrc: u32::from_be_bytes([packet[8], packet[9], packet[10], packet[11]]),
        payload_start: start,
        payload_end: end,
    })
}

/// Writes a 12-byte RTP header into `out` (cleared first).
pub(crate) fn write_header(
    out: &mut Vec<u8>,
    marker: bool,
    payload_type: u8,
    sequence: u16,
    timestamp: u32,
    ssrc: u32,
) {
    out.clear();
    out.push(0x80);
    out.push(if marker { 0x80 } else { 0 } | (payload_type & 0x7f));
    out.extend_from_slice(&sequence.to_be_bytes());
    out.extend_from_slice(&timestamp.to_be_bytes());
    out.extend_from_slice(&ssrc.to_be_bytes());
}

/// Maps one stream's timestamps onto another's, at a ratio of clock rates,
/// by carrying each packet's step over: the output never jumps when the
/// input's SSRC (a new peer connection) or its base changes, and it wraps
/// as RTP timestamps do.
#[derive(Debug)]
pub(crate) struct TimestampMap {
    last_in: Option<(u32, u32)>,
    out: u32,
}

impl TimestampMap {
    pub(crate) fn new(start: u32) -> Self {
        TimestampMap {
            last_in: None,
            out: start,
        }
    }

    /// The output timestamp for input `timestamp` of stream `ssrc`, the
    /// input clock being `multiply / divide` times the output's (8 kHz in,
    /// 48 kHz out: 6 / 1). A new SSRC continues one frame (`frame`, in
    /// output units) after the last output.
    pub(crate) fn map(
        &mut self,
        ssrc: u32,
        timestamp: u32,
        multiply: u32,
        divide: u32,
        frame: u32,
    ) -> u32 {
        match self.last_in {
            Some((last_ssrc, last)) if last_ssrc == ssrc => {
                let step = i64::from(timestamp.wrapping_sub(last) as i32);
                let scaled = step * i64::from(multiply) / i64::from(divide);
                self.out = self.out.wrapping_add(scaled as i32 as u32);
            }
            Some(_) => self.out = self.out.wrapping_add(frame),
            None => {}
        }
        self.last_in = Some((ssrc, timestamp));
        self.out
    }

    /// Forget the input stream: the next packet starts a new one.
    pub(crate) fn restart(&mut self, frame: u32) {
        if self.last_in.take().is_some() {
            self.out = self.out.wrapping_add(frame);
        }
    }
}

/// An RFC 4733 event payload with its duration rescaled (`multiply /
/// divide`), into `out`; the duration saturates at the field's 16 bits.
pub(crate) fn scale_event(
    payload: &[u8],
    multiply: u32,
    divide: u32,
    out: &mut [u8; 4],
) -> Option<()> {
    let event: &[u8; 4] = payload.get(..4)?.try_into().ok()?;
    let duration = u32::from(u16::from_be_bytes([event[2], event[3]]));
    let scaled = (duration * multiply / divide).min(u32::from(u16::MAX)) as u16;
    out[..2].copy_from_slice(&event[..2]);
    out[2..].copy_from_slice(&scaled.to_be_bytes());
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips() {
        let mut out = Vec::new();
        write_header(&mut out, true, 101, 65535, 0xdead_beef, 42);
        out.extend_from_slice(&[1, 2, 3]);
        let parsed = parse(&out).unwrap();
        assert!(parsed.marker);
        assert_eq!(
            (parsed.payload_type, parsed.timestamp, parsed.ssrc),
            (101, 0xdead_beef, 42)
        );
        assert_eq!(&out[2..4], &[0xff, 0xff]);
        assert_eq!(&out[parsed.payload_start..parsed.payload_end], &[1, 2, 3]);
    }

    #[test]
    fn garbage_is_not_rtp() {
        assert!(parse(&[]).is_none());
        assert!(parse(&[0x80; 11]).is_none());
        // Extension claimed but cut short.
        assert!(parse(&[0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe]).is_none());
        // Padding longer than the packet.
        let mut padded = vec![0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        padded.push(200);
        assert!(parse(&padded).is_none());
    }

    #[test]
    fn timestamps_scale_and_stay_continuous_across_a_new_ssrc() {
        let mut map = TimestampMap::new(1000);
        assert_eq!(map.map(7, u32::MAX - 479, 1, 6, 160), 1000);
        // Wraps on the input side, 960 at 48 kHz = 160 at 8 kHz.
        assert_eq!(map.map(7, 480, 1, 6, 160), 1160);
        // A new stream continues one frame on.
        assert_eq!(map.map(8, 12345, 1, 6, 160), 1320);
        assert_eq!(map.map(8, 12345 + 960, 1, 6, 160), 1480);
    }

    #[test]
    fn event_durations_scale_and_saturate() {
        let mut out = [0; 4];
        scale_event(&[5, 0x8a, 0x03, 0xc0], 1, 6, &mut out).unwrap();
        assert_eq!(out, [5, 0x8a, 0x00, 0xa0]);
        scale_event(&[5, 0x0a, 0xff, 0x00], 6, 1, &mut out).unwrap();
        assert_eq!(out, [5, 0x0a, 0xff, 0xff]);
        assert!(scale_event(&[5, 0], 1, 1, &mut out).is_none());
    }
}
