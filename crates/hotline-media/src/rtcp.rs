//! RTCP sender and receiver reports (RFC 3550 §6.4) and the reception
//! statistics behind them: loss from sequence numbers (A.3) and interarrival
//! jitter (A.8). No I/O: arrival times come in as arguments.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::MediaError;

const RTCP_SR: u8 = 200;
const RTCP_RR: u8 = 201;
const RTCP_SDES: u8 = 202;

/// Seconds between 1900 (NTP era) and 1970 (Unix epoch).
const NTP_UNIX_OFFSET_S: u64 = 2_208_988_800;

/// What this side has heard from one remote source, as counted by RFC 3550.
#[derive(Debug, Clone, Default)]
pub struct ReceptionStats {
    ssrc: Option<u32>,
    base_seq: u32,
    max_seq: u16,
    cycles: u32,
    received: u64,
    expected_prior: u64,
    received_prior: u64,
    /// Sum over earlier sources (the peer changed SSRC mid-call).
    earlier_expected: u64,
    earlier_received: u64,
    transit: Option<i64>,
    /// Jitter in RTP timestamp units, scaled by 16 as in A.8.
    jitter_q4: u64,
    clock_origin: Option<Instant>,
    last_sr_middle: u32,
    last_sr_at: Option<Instant>,
}

/// A snapshot for the call record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReceptionSummary {
    pub packets_expected: u64,
    pub packets_received: u64,
    /// Expected minus received (negative with duplicates), never below 0 here.
    pub packets_lost: u64,
    pub jitter_ms: f64,
}

impl ReceptionStats {
    /// Counts one audio packet that arrived at `now` (`clock_hz` is the RTP clock).
    pub fn on_packet(&mut self, now: Instant, ssrc: u32, seq: u16, rtp_ts: u32, clock_hz: u32) {
        if self.ssrc != Some(ssrc) {
            if self.ssrc.is_some() {
                self.earlier_expected += self.expected();
                self.earlier_received += self.received;
            }
            self.ssrc = Some(ssrc);
            self.base_seq = u32::from(seq);
            self.max_seq = seq;
            self.cycles = 0;
            self.received = 0;
            self.expected_prior = 0;
            self.received_prior = 0;
            self.transit = None;
        } else {
            let delta = seq.wrapping_sub(self.max_seq);
            if delta != 0 && delta < 0x8000 {
                if seq < self.max_seq {
                    self.cycles += 1 << 16;
                }
                self.max_seq = seq;
            } else if delta == 0 {
                return; // a duplicate
            }
            // Older (reordered) packets count as received but do not move max_seq.
        }
        self.received += 1;
        let origin = *self.clock_origin.get_or_insert(now);
        let arrival_units = (now.saturating_duration_since(origin).as_nanos() as u64
            * u64::from(clock_hz)
            / 1_000_000_000) as i64;
        let transit = arrival_units - i64::from(rtp_ts);
        if let Some(prev) = self.transit {
            let d = (transit - prev).unsigned_abs();
            // J += (|D| - J) / 16, kept scaled by 16 (A.8).
            self.jitter_q4 = self.jitter_q4 + d - ((self.jitter_q4 + 8) >> 4);
        }
        self.transit = Some(transit);
    }

    fn expected(&self) -> u64 {
        if self.ssrc.is_none() {
            return 0;
        }
        let extended_max = u64::from(self.cycles) + u64::from(self.max_seq);
        extended_max + 1 - u64::from(self.base_seq)
    }

    /// Interarrival jitter in RTP timestamp units.
    pub fn jitter_units(&self) -> u32 {
        (self.jitter_q4 >> 4) as u32
    }

    /// The call-record figures.
    pub fn summary(&self, clock_hz: u32) -> ReceptionSummary {
        let expected = self.earlier_expected + self.expected();
        let received = self.earlier_received + self.received;
        ReceptionSummary {
            packets_expected: expected,
            packets_received: received,
            packets_lost: expected.saturating_sub(received),
            jitter_ms: f64::from(self.jitter_units()) * 1000.0 / f64::from(clock_hz),
        }
    }

    /// Notes a sender report from the source (for LSR/DLSR in our reports).
    pub fn on_sender_report(&mut self, now: Instant, ntp_timestamp: u64) {
        self.last_sr_middle = (ntp_timestamp >> 16) as u32;
        self.last_sr_at = Some(now);
    }

    /// The report block for the current interval (advances the interval).
    pub fn report_block(&mut self, now: Instant) -> Option<ReportBlock> {
        let ssrc = self.ssrc?;
        let expected = self.expected();
        let expected_interval = expected - self.expected_prior;
        let received_interval = self.received - self.received_prior;
        self.expected_prior = expected;
        self.received_prior = self.received;
        let lost_interval = expected_interval.saturating_sub(received_interval);
        let fraction_lost = (lost_interval << 8)
            .checked_div(expected_interval)
            .map_or(0, |f| f.min(255) as u8);
        let cumulative = expected.saturating_sub(self.received).min(0x7F_FFFF) as u32;
        let delay_since_last_sr = self.last_sr_at.map_or(0, |at| {
            let d = now.saturating_duration_since(at);
            (d.as_secs_f64() * 65536.0) as u32
        });
        Some(ReportBlock {
            ssrc,
            fraction_lost,
            cumulative_lost: cumulative,
            extended_highest_seq: self.cycles.wrapping_add(u32::from(self.max_seq)),
            jitter: self.jitter_units(),
            last_sr: self.last_sr_middle,
            delay_since_last_sr,
        })
    }
}

/// One reception report block (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportBlock {
    pub ssrc: u32,
    pub fraction_lost: u8,
    /// 24-bit signed in the wire format; negative values read as 0.
    pub cumulative_lost: u32,
    pub extended_highest_seq: u32,
    pub jitter: u32,
    pub last_sr: u32,
    pub delay_since_last_sr: u32,
}

/// The sender-info part of an SR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderInfo {
    pub ntp_timestamp: u64,
    pub rtp_timestamp: u32,
    pub packet_count: u32,
    pub octet_count: u32,
}

/// What a compound RTCP packet told us (SDES, BYE and APP are skipped).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RtcpReport {
    pub sender_ssrc: u32,
    pub sender_info: Option<SenderInfo>,
    pub blocks: Vec<ReportBlock>,
}

/// NTP 64-bit timestamp for a wall-clock time.
pub fn ntp_timestamp(t: SystemTime) -> u64 {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let secs = d.as_secs() + NTP_UNIX_OFFSET_S;
    let frac = (u64::from(d.subsec_nanos()) << 32) / 1_000_000_000;
    (secs << 32) | frac
}

fn push_block(b: &ReportBlock, out: &mut Vec<u8>) {
    out.extend_from_slice(&b.ssrc.to_be_bytes());
    let lost = b.cumulative_lost.min(0x7F_FFFF).to_be_bytes();
    out.extend_from_slice(&[b.fraction_lost, lost[1], lost[2], lost[3]]);
    out.extend_from_slice(&b.extended_highest_seq.to_be_bytes());
    out.extend_from_slice(&b.jitter.to_be_bytes());
    out.extend_from_slice(&b.last_sr.to_be_bytes());
    out.extend_from_slice(&b.delay_since_last_sr.to_be_bytes());
}

/// Builds a compound packet: an SR (if `sender` is given) or an RR, with at
/// most one report block, followed by an SDES with the CNAME (RFC 3550 §6.1).
pub fn build_report(
    ssrc: u32,
    sender: Option<SenderInfo>,
    block: Option<ReportBlock>,
    cname: &str,
    out: &mut Vec<u8>,
) {
    let start = out.len();
    let count = u8::from(block.is_some());
    out.push(0x80 | count);
    out.push(if sender.is_some() { RTCP_SR } else { RTCP_RR });
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&ssrc.to_be_bytes());
    if let Some(s) = sender {
        out.extend_from_slice(&s.ntp_timestamp.to_be_bytes());
        out.extend_from_slice(&s.rtp_timestamp.to_be_bytes());
        out.extend_from_slice(&s.packet_count.to_be_bytes());
        out.extend_from_slice(&s.octet_count.to_be_bytes());
    }
    if let Some(b) = &block {
        push_block(b, out);
    }
    let words = ((out.len() - start) / 4 - 1) as u16;
    out[start + 2..start + 4].copy_from_slice(&words.to_be_bytes());

    // SDES: one chunk, CNAME item, null terminator, padded to 32 bits.
    let sdes = out.len();
    out.extend_from_slice(&[0x81, RTCP_SDES, 0, 0]);
    out.extend_from_slice(&ssrc.to_be_bytes());
    let name = &cname.as_bytes()[..cname.len().min(255)];
    out.push(1);
    out.push(name.len() as u8);
    out.extend_from_slice(name);
    out.push(0);
    while (out.len() - sdes) % 4 != 0 {
        out.push(0);
    }
    let words = ((out.len() - sdes) / 4 - 1) as u16;
    out[sdes + 2..sdes + 4].copy_from_slice(&words.to_be_bytes());
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Parses a compound RTCP packet, keeping the first SR or RR found.
pub fn parse_report(datagram: &[u8]) -> Result<RtcpReport, MediaError> {
    let bad = |reason| Err(MediaError::RtcpMalformed { reason });
    if datagram.len() < 8 {
        return bad("shorter than a header");
    }
    if datagram.len() > crate::rtp::MAX_RTP_PACKET {
        return bad("larger than a media datagram");
    }
    let mut report: Option<RtcpReport> = None;
    let mut offset = 0;
    while offset < datagram.len() {
        let rest = &datagram[offset..];
        if rest.len() < 4 {
            return bad("trailing bytes after the last packet");
        }
        if rest[0] >> 6 != 2 {
            return bad("version is not 2");
        }
        let count = usize::from(rest[0] & 0x1F);
        let packet_type = rest[1];
        let len = (usize::from(u16::from_be_bytes([rest[2], rest[3]])) + 1) * 4;
        if len > rest.len() {
            return bad("length field runs past the datagram");
        }
        let packet = &rest[..len];
        if report.is_none() && (packet_type == RTCP_SR || packet_type == RTCP_RR) {
            if packet.len() < 8 {
                return bad("report without sender SSRC");
            }
            let mut r = RtcpReport {
                sender_ssrc: be32(packet, 4),
                ..RtcpReport::default()
            };
            let mut at = 8;
            if packet_type == RTCP_SR {
                if packet.len() < 28 {
                    return bad("sender report without sender info");
                }
                r.sender_info = Some(SenderInfo {
                    ntp_timestamp: (u64::from(be32(packet, 8)) << 32) | u64::from(be32(packet, 12)),
                    rtp_timestamp: be32(packet, 16),
                    packet_count: be32(packet, 20),
                    octet_count: be32(packet, 24),
                });
                at = 28;
            }
            if packet.len() < at + 24 * count {
                return bad("report blocks run past the packet");
            }
            for i in 0..count {
                let b = &packet[at + 24 * i..at + 24 * (i + 1)];
                let lost = u32::from_be_bytes([0, b[5], b[6], b[7]]);
                r.blocks.push(ReportBlock {
                    ssrc: be32(b, 0),
                    fraction_lost: b[4],
                    // 24-bit two's complement: negative (duplicates) reads as 0.
                    cumulative_lost: if lost & 0x80_0000 != 0 { 0 } else { lost },
                    extended_highest_seq: be32(b, 8),
                    jitter: be32(b, 12),
                    last_sr: be32(b, 16),
                    delay_since_last_sr: be32(b, 20),
                });
            }
            report = Some(r);
        }
        offset += len;
    }
    report.ok_or(MediaError::RtcpMalformed {
        reason: "no sender or receiver report",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn counts_loss_across_a_sequence_wrap() {
        let t0 = Instant::now();
        let mut s = ReceptionStats::default();
        let mut seq: u16 = 65530;
        for i in 0..20u32 {
            if i != 7 && i != 8 {
                s.on_packet(
                    t0 + Duration::from_millis(20 * u64::from(i)),
                    5,
                    seq,
                    i * 160,
                    8000,
                );
            }
            seq = seq.wrapping_add(1);
        }
        let sum = s.summary(8000);
        assert_eq!(sum.packets_expected, 20);
        assert_eq!(sum.packets_received, 18);
        assert_eq!(sum.packets_lost, 2);
        assert_eq!(sum.jitter_ms, 0.0, "perfectly paced packets have no jitter");
        let block = s.report_block(t0).unwrap();
        assert_eq!(block.cumulative_lost, 2);
        assert_eq!(block.fraction_lost, (2 * 256 / 20) as u8);
        assert_eq!(block.extended_highest_seq, 65536 + 13);
    }

    #[test]
    fn jitter_follows_a8_for_alternating_delay() {
        let t0 = Instant::now();
        let mut s = ReceptionStats::default();
        // Every other packet arrives 10 ms late: |D| = 80 units each time.
        for i in 0..400u32 {
            let late = if i % 2 == 1 { 10 } else { 0 };
            let at = t0 + Duration::from_millis(20 * u64::from(i) + late);
            s.on_packet(at, 9, i as u16, i * 160, 8000);
        }
        // J converges to |D| = 80 units = 10 ms.
        let j = s.summary(8000).jitter_ms;
        assert!((j - 10.0).abs() < 0.5, "jitter {j}");
    }

    #[test]
    fn sender_report_round_trips_with_its_block() {
        let block = ReportBlock {
            ssrc: 42,
            fraction_lost: 12,
            cumulative_lost: 300,
            extended_highest_seq: 70000,
            jitter: 160,
            last_sr: 0xABCD_0123,
            delay_since_last_sr: 65536,
        };
        let info = SenderInfo {
            ntp_timestamp: ntp_timestamp(SystemTime::now()),
            rtp_timestamp: 1234,
            packet_count: 50,
            octet_count: 8000,
        };
        let mut buf = Vec::new();
        build_report(7, Some(info), Some(block), "hotline@example", &mut buf);
        assert_eq!(buf.len() % 4, 0);
        let r = parse_report(&buf).unwrap();
        assert_eq!(r.sender_ssrc, 7);
        assert_eq!(r.sender_info, Some(info));
        assert_eq!(r.blocks, vec![block]);

        buf.clear();
        build_report(8, None, None, "x", &mut buf);
        let r = parse_report(&buf).unwrap();
        assert_eq!((r.sender_ssrc, r.sender_info, r.blocks.len()), (8, None, 0));
    }

    #[test]
    fn rejects_malformed_reports() {
        assert!(parse_report(&[0x80, 201, 0]).is_err());
        assert!(parse_report(&[0x81, 201, 0, 9, 0, 0, 0, 1]).is_err());
        assert!(parse_report(&[0x81, 201, 0, 1, 0, 0, 0, 1]).is_err());
        assert!(parse_report(&[0x80, 202, 0, 1, 0, 0, 0, 1]).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_report(&bytes);
        }
    }
}
