//! DTMF keys by RFC 4733 telephone-event and SIP INFO: receive and send, no I/O.
//!
//! The receiver reports each key once, when it ends (so its duration is
//! known): the three redundant end packets and any late retransmission are
//! recognised by their (SSRC, RTP timestamp) pair and dropped. An event whose
//! end packets were all lost is ended by [`TelephoneEventReceiver::poll_timeout`].
//! Keys are told apart by SSRC and timestamp, never by payload type, so a
//! peer that switches SSRC or payload type mid-call (SIPp's `play_dtmf`) is
//! heard like any other.
//!
//! A recording of a key press replayed into a call (SIPp's
//! `play_pcap_audio` with Debian's `dtmf_2833_<digit>.pcap`) repeats the same
//! SSRC and timestamp every time. Start packets (no end bit) of a finished
//! event that arrive more than [`REPEAT_WINDOW`] after it ended are a new
//! press, not a retransmission: redundant end packets come within a few
//! packet times, and a retransmitted start packet after the end is unheard of.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::rtp::RtpHeader;
use crate::MediaError;

/// Telephone-event clock rate for narrowband calls.
const EVENT_CLOCK_HZ: u64 = 8000;

/// How long an event may go without packets before it is taken as ended.
pub const EVENT_END_TIMEOUT: Duration = Duration::from_millis(300);

/// The key for an RFC 4733 event code (0-15).
pub fn key_for_event(event: u8) -> Option<char> {
    match event {
        0..=9 => Some(char::from(b'0' + event)),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some(char::from(b'A' + event - 12)),
        _ => None,
    }
}

/// The RFC 4733 event code of a key.
pub fn event_for_key(key: char) -> Result<u8, MediaError> {
    match key {
        '0'..='9' => Ok(key as u8 - b'0'),
        '*' => Ok(10),
        '#' => Ok(11),
        'A'..='D' => Ok(key as u8 - b'A' + 12),
        'a'..='d' => Ok(key as u8 - b'a' + 12),
        other => Err(MediaError::NotADtmfKey { key: other }),
    }
}

/// One telephone-event payload (RFC 4733 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    pub event: u8,
    pub end: bool,
    pub volume: u8,
    /// In units of the RTP clock (8 kHz).
    pub duration: u16,
}

impl TelephoneEvent {
    /// Parses the first event block of a payload.
    pub fn parse(payload: &[u8]) -> Result<Self, MediaError> {
        if payload.len() < 4 {
            return Err(MediaError::TelephoneEventTruncated { len: payload.len() });
        }
        Ok(Self {
            event: payload[0],
            end: payload[1] & 0x80 != 0,
            volume: payload[1] & 0x3F,
            duration: u16::from_be_bytes([payload[2], payload[3]]),
        })
    }

    /// The 4-byte payload.
    pub fn to_bytes(self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            (u8::from(self.end) << 7) | (self.volume & 0x3F),
            d[0],
            d[1],
        ]
    }

    /// Whether a payload on a payload type that was not negotiated could be
    /// a telephone-event carrying a key. SIPp's `play_dtmf` sends its events
    /// on type 96 (with the reserved bit sometimes set) after filler packets
    /// of type 97 that are all zeros (key 0, volume 0, duration 0): those
    /// fillers are not a key.
    pub fn looks_like_dtmf(payload: &[u8]) -> bool {
        payload.len() == 4 && payload[0] <= 15 && payload[1..] != [0, 0, 0]
    }
}

/// A key the caller pressed, however it arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfDigit {
    pub key: char,
    pub duration: Duration,
}

#[derive(Debug, Clone, Copy)]
struct OpenEvent {
    ssrc: u32,
    timestamp: u32,
    key: char,
    duration_samples: u16,
    last_packet_at: Instant,
}

/// Turns telephone-event packets into keys, once each.
#[derive(Debug, Default)]
pub struct TelephoneEventReceiver {
    open: Option<OpenEvent>,
    /// (SSRC, timestamp) of the last few reported events and when they
    /// ended, to drop their repeats.
    reported: VecDeque<((u32, u32), Instant)>,
    digits: VecDeque<DtmfDigit>,
}

/// How long after an event ended its start packets still count as repeats.
pub const REPEAT_WINDOW: Duration = Duration::from_millis(120);

const REMEMBERED_EVENTS: usize = 8;

fn samples_to_duration(samples: u16) -> Duration {
    Duration::from_micros(u64::from(samples) * 1_000_000 / EVENT_CLOCK_HZ)
}

impl TelephoneEventReceiver {
    /// A receiver with nothing heard yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one telephone-event packet; finished keys come out of [`Self::poll_digit`].
    pub fn handle_packet(
        &mut self,
        now: Instant,
        header: &RtpHeader,
        payload: &[u8],
    ) -> Result<(), MediaError> {
        let ev = TelephoneEvent::parse(payload)?;
        let key =
            key_for_event(ev.event).ok_or(MediaError::TelephoneEventNotDtmf { event: ev.event })?;
        let id = (header.ssrc, header.timestamp);
        if let Some(at) = self.reported.iter().position(|(seen, _)| *seen == id) {
            let ended_at = self.reported[at].1;
            if ev.end || now.saturating_duration_since(ended_at) < REPEAT_WINDOW {
                return Ok(()); // a redundant end packet or a late retransmission
            }
            // The same recorded press, played again.
            self.reported.remove(at);
        }
        match &mut self.open {
            Some(open) if (open.ssrc, open.timestamp) == id => {
                open.duration_samples = open.duration_samples.max(ev.duration);
                open.last_packet_at = now;
            }
            _ => {
                // A new event: the previous one lost its end packets.
                self.finish_open_at(now);
                self.open = Some(OpenEvent {
                    ssrc: header.ssrc,
                    timestamp: header.timestamp,
                    key,
                    duration_samples: ev.duration,
                    last_packet_at: now,
                });
            }
        }
        if ev.end {
            self.finish_open_at(now);
        }
        Ok(())
    }

    /// Ends an event that has had no packet for [`EVENT_END_TIMEOUT`].
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(open) = self.open {
            if now.saturating_duration_since(open.last_packet_at) >= EVENT_END_TIMEOUT {
                self.finish_open_at(now);
            }
        }
    }

    /// When [`Self::handle_timeout`] should next be called, if an event is open.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.open.map(|o| o.last_packet_at + EVENT_END_TIMEOUT)
    }

    /// The next finished key.
    pub fn poll_digit(&mut self) -> Option<DtmfDigit> {
        self.digits.pop_front()
    }

    /// The key being pressed right now, before it ends (for barge-in).
    pub fn key_down(&self) -> Option<char> {
        self.open.map(|o| o.key)
    }

    fn finish_open_at(&mut self, now: Instant) {
        if let Some(open) = self.open.take() {
            if self.reported.len() == REMEMBERED_EVENTS {
                self.reported.pop_front();
            }
            self.reported.push_back(((open.ssrc, open.timestamp), now));
            self.digits.push_back(DtmfDigit {
                key: open.key,
                duration: samples_to_duration(open.duration_samples),
            });
        }
    }
}

/// One packet the sender wants on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPacket {
    /// Set on the first packet of the event only.
    pub marker: bool,
    /// The telephone-event payload.
    pub payload: [u8; 4],
}

/// Sends one key as RFC 4733 packets, one per 20 ms tick.
///
/// All packets share the timestamp of the event start; the first carries the
/// marker bit; the end packet is sent three times (RFC 4733 §2.5.1.4).
#[derive(Debug, Clone)]
pub struct TelephoneEventSender {
    event: u8,
    total_samples: u16,
    elapsed_samples: u32,
    end_packets_sent: u8,
    started: bool,
}

/// Volume the sender advertises: -10 dBm0, a typical keypad level.
const SEND_VOLUME: u8 = 10;

impl TelephoneEventSender {
    /// Starts sending `key` for `duration` (at least 40 ms, at most 8 s).
    pub fn new(key: char, duration: Duration) -> Result<Self, MediaError> {
        let event = event_for_key(key)?;
        let samples = (duration.as_millis() as u64 * EVENT_CLOCK_HZ / 1000).clamp(320, 64_000);
        Ok(Self {
            event,
            total_samples: samples as u16,
            elapsed_samples: 0,
            end_packets_sent: 0,
            started: false,
        })
    }

    /// The packet for the next 20 ms tick, or `None` once the key is fully sent.
    pub fn next_packet(&mut self, samples_per_tick: u32) -> Option<EventPacket> {
        if self.end_packets_sent >= 3 {
            return None;
        }
        let marker = !self.started;
        self.started = true;
        self.elapsed_samples += samples_per_tick;
        let end = self.elapsed_samples >= u32::from(self.total_samples);
        let duration = if end {
            self.end_packets_sent += 1;
            self.total_samples
        } else {
            self.elapsed_samples as u16
        };
        Some(EventPacket {
            marker,
            payload: TelephoneEvent {
                event: self.event,
                end,
                volume: SEND_VOLUME,
                duration,
            }
            .to_bytes(),
        })
    }
}

/// Parses a SIP INFO DTMF body: `application/dtmf-relay` (`Signal=5` and
/// `Duration=160` lines) or `application/dtmf` (the bare key).
pub fn parse_sip_info(content_type: &str, body: &str) -> Result<DtmfDigit, MediaError> {
    let ct = content_type.trim().to_ascii_lowercase();
    let malformed = |reason: &str| MediaError::SipInfoMalformed {
        reason: reason.to_owned(),
    };
    let key_of = |s: &str| -> Result<char, MediaError> {
        let s = s.trim();
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => {
                event_for_key(c)?;
                Ok(c.to_ascii_uppercase())
            }
            // Some phones send the event code ("10" for '*').
            _ => s
                .parse::<u8>()
                .ok()
                .and_then(key_for_event)
                .ok_or_else(|| malformed("Signal is not a DTMF key")),
        }
    };
    if ct.starts_with("application/dtmf-relay") {
        let mut key = None;
        let mut duration_ms = 250u64; // the usual default when a phone leaves it out
        for line in body.lines() {
            let Some((name, value)) = line.split_once('=') else {
                continue;
            };
            match name.trim().to_ascii_lowercase().as_str() {
                "signal" => key = Some(key_of(value)?),
                "duration" => {
                    duration_ms = value
                        .trim()
                        .parse()
                        .map_err(|_| malformed("Duration is not a number"))?;
                }
                _ => {}
            }
        }
        let key = key.ok_or_else(|| malformed("no Signal line"))?;
        Ok(DtmfDigit {
            key,
            duration: Duration::from_millis(duration_ms.min(60_000)),
        })
    } else if ct.starts_with("application/dtmf") {
        Ok(DtmfDigit {
            key: key_of(body)?,
            duration: Duration::from_millis(250),
        })
    } else {
        Err(malformed(&format!(
            "content type {content_type:?} is not DTMF"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(ssrc: u32, timestamp: u32, pt: u8) -> RtpHeader {
        RtpHeader {
            marker: false,
            payload_type: pt,
            sequence: 0,
            timestamp,
            ssrc,
        }
    }

    fn ev(event: u8, end: bool, duration: u16) -> [u8; 4] {
        TelephoneEvent {
            event,
            end,
            volume: 10,
            duration,
        }
        .to_bytes()
    }

    #[test]
    fn reports_a_key_once_despite_three_end_packets() {
        let t0 = Instant::now();
        let mut rx = TelephoneEventReceiver::new();
        let h = header(1, 1000, 101);
        for (i, d) in [160u16, 320, 480].iter().enumerate() {
            rx.handle_packet(
                t0 + Duration::from_millis(20 * i as u64),
                &h,
                &ev(5, false, *d),
            )
            .unwrap();
        }
        assert_eq!(rx.poll_digit(), None);
        for _ in 0..3 {
            rx.handle_packet(t0, &h, &ev(5, true, 640)).unwrap();
        }
        assert_eq!(
            rx.poll_digit(),
            Some(DtmfDigit {
                key: '5',
                duration: Duration::from_millis(80)
            })
        );
        assert_eq!(rx.poll_digit(), None);
    }

    #[test]
    fn same_key_twice_is_two_keys() {
        let t0 = Instant::now();
        let mut rx = TelephoneEventReceiver::new();
        rx.handle_packet(t0, &header(1, 1000, 101), &ev(1, true, 800))
            .unwrap();
        rx.handle_packet(t0, &header(1, 3000, 101), &ev(1, true, 800))
            .unwrap();
        assert_eq!(rx.poll_digit().map(|d| d.key), Some('1'));
        assert_eq!(rx.poll_digit().map(|d| d.key), Some('1'));
    }

    /// One recorded press: start packets, then three end packets, 20 ms apart.
    fn recorded_press(rx: &mut TelephoneEventReceiver, at: Instant, key: u8) {
        let h = header(0x1234, 5000, 101);
        for i in 0..7u16 {
            let t = at + Duration::from_millis(20 * u64::from(i));
            let end = i >= 4;
            rx.handle_packet(t, &h, &ev(key, end, 160 * (i.min(4) + 1)))
                .unwrap();
        }
    }

    #[test]
    fn a_recorded_press_replayed_is_a_new_key_each_time() {
        let t0 = Instant::now();
        let mut rx = TelephoneEventReceiver::new();
        // Debian's dtmf_2833_0.pcap three times, 400 ms apart, then 7, then 0.
        for (n, key) in [0u8, 0, 0, 7, 0].into_iter().enumerate() {
            recorded_press(&mut rx, t0 + Duration::from_millis(400 * n as u64), key);
        }
        let keys: String = std::iter::from_fn(|| rx.poll_digit())
            .map(|d| d.key)
            .collect();
        assert_eq!(keys, "00070");
    }

    #[test]
    fn start_packets_right_after_the_end_are_still_repeats() {
        let t0 = Instant::now();
        let mut rx = TelephoneEventReceiver::new();
        let h = header(9, 800, 101);
        rx.handle_packet(t0, &h, &ev(3, true, 800)).unwrap();
        // A reordered start packet and a late end packet, both of the same press.
        rx.handle_packet(t0 + Duration::from_millis(40), &h, &ev(3, false, 160))
            .unwrap();
        rx.handle_packet(t0 + Duration::from_secs(2), &h, &ev(3, true, 800))
            .unwrap();
        assert_eq!(rx.poll_digit().map(|d| d.key), Some('3'));
        assert_eq!(rx.poll_digit(), None);
        assert_eq!(rx.poll_timeout(), None);
    }

    #[test]
    fn tolerates_ssrc_and_payload_type_change() {
        let t0 = Instant::now();
        let mut rx = TelephoneEventReceiver::new();
        rx.handle_packet(t0, &header(1, 1000, 101), &ev(1, true, 800))
            .unwrap();
        // SIPp play_dtmf: a fresh SSRC, payload type 96, its own timestamps.
        rx.handle_packet(t0, &header(77, 1000, 96), &ev(11, false, 160))
            .unwrap();
        rx.handle_packet(t0, &header(77, 1000, 96), &ev(11, true, 800))
            .unwrap();
        let keys: Vec<char> = std::iter::from_fn(|| rx.poll_digit())
            .map(|d| d.key)
            .collect();
        assert_eq!(keys, vec!['1', '#']);
    }

    #[test]
    fn an_event_without_end_packets_ends_by_timeout_or_by_the_next_key() {
        let t0 = Instant::now();
        let mut rx = TelephoneEventReceiver::new();
        rx.handle_packet(t0, &header(1, 1000, 101), &ev(2, false, 400))
            .unwrap();
        rx.handle_timeout(t0 + Duration::from_millis(100));
        assert_eq!(rx.poll_digit(), None);
        assert_eq!(rx.poll_timeout(), Some(t0 + EVENT_END_TIMEOUT));
        rx.handle_timeout(t0 + EVENT_END_TIMEOUT);
        assert_eq!(rx.poll_digit().map(|d| d.key), Some('2'));
        // Late end packets of the same event are not a second key.
        rx.handle_packet(t0, &header(1, 1000, 101), &ev(2, true, 800))
            .unwrap();
        assert_eq!(rx.poll_digit(), None);

        rx.handle_packet(t0, &header(1, 5000, 101), &ev(3, false, 400))
            .unwrap();
        rx.handle_packet(t0, &header(1, 9000, 101), &ev(4, true, 400))
            .unwrap();
        let keys: Vec<char> = std::iter::from_fn(|| rx.poll_digit())
            .map(|d| d.key)
            .collect();
        assert_eq!(keys, vec!['3', '4']);
    }

    #[test]
    fn rejects_short_and_non_dtmf_events() {
        let t0 = Instant::now();
        let mut rx = TelephoneEventReceiver::new();
        assert!(rx.handle_packet(t0, &header(1, 1, 101), &[1, 2]).is_err());
        assert!(rx
            .handle_packet(t0, &header(1, 1, 101), &ev(32, true, 1))
            .is_err());
    }

    #[test]
    fn sender_output_is_heard_by_the_receiver() {
        let mut tx = TelephoneEventSender::new('#', Duration::from_millis(100)).unwrap();
        let mut rx = TelephoneEventReceiver::new();
        let t0 = Instant::now();
        let mut packets = Vec::new();
        while let Some(p) = tx.next_packet(160) {
            packets.push(p);
        }
        assert!(packets[0].marker);
        assert!(packets[1..].iter().all(|p| !p.marker));
        assert_eq!(
            packets.iter().filter(|p| p.payload[1] & 0x80 != 0).count(),
            3
        );
        for p in &packets {
            rx.handle_packet(t0, &header(9, 4242, 101), &p.payload)
                .unwrap();
        }
        assert_eq!(
            rx.poll_digit(),
            Some(DtmfDigit {
                key: '#',
                duration: Duration::from_millis(100)
            })
        );
        assert_eq!(rx.poll_digit(), None);
        assert!(TelephoneEventSender::new('x', Duration::from_millis(100)).is_err());
    }

    #[test]
    fn parses_sip_info_bodies() {
        let d = parse_sip_info("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n").unwrap();
        assert_eq!(d.key, '5');
        assert_eq!(d.duration, Duration::from_millis(160));
        assert_eq!(
            parse_sip_info("application/dtmf-relay", "Signal= *\r\n")
                .unwrap()
                .key,
            '*'
        );
        assert_eq!(
            parse_sip_info("application/dtmf-relay", "Signal=11\r\n")
                .unwrap()
                .key,
            '#'
        );
        assert_eq!(parse_sip_info("Application/DTMF", "9").unwrap().key, '9');
        assert!(parse_sip_info("application/dtmf-relay", "Duration=160").is_err());
        assert!(parse_sip_info("application/dtmf-relay", "Signal=x").is_err());
        assert!(parse_sip_info("text/plain", "5").is_err());
    }
}
