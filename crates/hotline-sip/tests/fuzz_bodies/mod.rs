//! The bodies of the fuzz targets, shared by `fuzz/` (libFuzzer, nightly)
//! and `tests/fuzz_smoke.rs` (a bounded seeded run on stable, in CI).
//!
//! Each body takes raw bytes. `endpoint_sequence` reads them as a sequence of
//! operations (datagrams built from SIP fragments, raw garbage, time jumps,
//! controller commands) with a small [`Reader`], so libFuzzer's mutations and
//! the smoke test's random bytes drive exactly the same decoder.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hotline_sip::msg::Essentials;
use hotline_sip::wire::{self, Framed, StreamFramer};
use hotline_sip::{
    CallHandle, Codec, Direction, Endpoint, EndpointConfig, Event, LocalMedia, OutgoingCall,
    Output, Peer, Transport,
};

const MAX: usize = wire::DEFAULT_MAX_MESSAGE_BYTES;

/// Any bytes: never a panic; what parses prints and parses again the same.
pub fn parse_datagram(data: &[u8]) {
    let Ok(Framed::Message(message)) = wire::parse_datagram(data, MAX) else {
        return;
    };
    let printed = wire::to_bytes(&message);
    let again = match wire::parse_datagram(&printed, MAX) {
        Ok(Framed::Message(m)) => m,
        other => panic!(
            "printed message does not parse again: {other:?}\n{}",
            String::from_utf8_lossy(&printed)
        ),
    };
    assert_eq!(message.body(), again.body(), "body survives print+parse");
    assert_eq!(
        Essentials::of(&message).ok(),
        Essentials::of(&again).ok(),
        "essentials survive print+parse"
    );
}

/// The first byte picks split points, the second whether a hostile
/// Content-Length is spliced in (see [`splice_content_length`]); the rest is
/// a stream. Feeding it in pieces gives the same messages as feeding it
/// whole, and never panics.
pub fn stream_framer(data: &[u8]) {
    let Some((&step, rest)) = data.split_first() else {
        return;
    };
    let stream = splice_content_length(rest);
    let stream = &stream[..];
    let whole = frame_all(stream, &[stream.len()]);
    let step = usize::from(step % 17) + 1;
    let cuts: Vec<usize> = (1..=stream.len()).step_by(step).collect();
    let pieces = frame_all(stream, &cuts);
    // A framing error stops a connection: compare up to the first error.
    assert_eq!(whole, pieces, "split points change nothing");
}

/// Content-Length values a hostile peer sends: around usize::MAX (the sum
/// with the header length overflowed before `saturating_add`), 2^63, 2^32,
/// the framer's limit, signs, leading zeros, non-digits.
pub const HOSTILE_LENGTHS: [&str; 24] = [
    "18446744073709551615",
    "18446744073709551614",
    "18446744073709551516",
    "18446744073709551616",
    "99999999999999999999999",
    "9223372036854775808",
    "9223372036854775807",
    "4294967296",
    "4294967295",
    "16385",
    "16384",
    "-1",
    "-0",
    "+4",
    "0000000000000000000004",
    "00018446744073709551615",
    "0",
    "",
    "4 4",
    "0x10",
    "1e3",
    "\u{ff14}",
    "4\t",
    " 4 ",
];

const LENGTH_NAMES: [&str; 6] = [
    "Content-Length",
    "content-length",
    "CONTENT-LENGTH",
    "l",
    "L",
    "Content-Length ",
];

/// When the first byte says so (one input in four), inserts a
/// `Content-Length` line with a hostile value at a line start of the rest,
/// so huge lengths meet real heads without libFuzzer having to invent the
/// digits. Otherwise the rest is the stream as it is.
fn splice_content_length(data: &[u8]) -> Vec<u8> {
    let Some((&control, rest)) = data.split_first() else {
        return Vec::new();
    };
    if control % 4 != 0 {
        return data.to_vec();
    }
    let mut r = Reader::new(rest);
    let choice = usize::from(r.byte());
    let value = match choice {
        n if n < HOSTILE_LENGTHS.len() => HOSTILE_LENGTHS[n].to_owned(),
        // Just below usize::MAX: the old sum wrapped to a small length.
        n if n % 2 == 0 => (usize::MAX - usize::from(r.byte())).to_string(),
        _ => {
            let mut raw = [0u8; 8];
            raw.iter_mut().for_each(|b| *b = r.byte());
            u64::from_le_bytes(raw).to_string()
        }
    };
    let zeros = "0".repeat(usize::from(r.byte() % 4) * 7);
    let name = *r.pick(&LENGTH_NAMES);
    let line_end = if r.byte() % 4 == 0 { "\n" } else { "\r\n" };
    let nth_line = usize::from(r.byte());
    let stream = r.take(usize::MAX);
    let starts: Vec<usize> = std::iter::once(0)
        .chain(
            stream
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    let at = starts[nth_line % starts.len()];
    let line = format!("{name}: {zeros}{value}{line_end}");
    let mut out = Vec::with_capacity(stream.len() + line.len());
    out.extend_from_slice(&stream[..at]);
    out.extend_from_slice(line.as_bytes());
    out.extend_from_slice(&stream[at..]);
    out
}

/// Framed messages as comparable text, ending at the first error.
fn frame_all(stream: &[u8], cuts: &[usize]) -> Vec<String> {
    let mut framer = StreamFramer::new(MAX);
    let mut out = Vec::new();
    let mut start = 0;
    let mut cuts: Vec<usize> = cuts.to_vec();
    if cuts.last() != Some(&stream.len()) {
        cuts.push(stream.len());
    }
    for cut in cuts {
        framer.push(&stream[start..cut]);
        start = cut;
        loop {
            match framer.next_message() {
                Ok(Some(Framed::KeepAlive)) => out.push("keep-alive".to_owned()),
                Ok(Some(Framed::Message(m))) => out.push(m.to_string()),
                Ok(None) => break,
                Err(e) => {
                    out.push(format!("error: {e}"));
                    return out;
                }
            }
        }
    }
    out
}

/// Any bytes as a remote SDP: never a panic; an offer that negotiates gets
/// an answer (as `LocalMedia::to_sdp` writes it, on the offer's own address)
/// that negotiates again to the same codec, telephone-event, address and
/// crypto line, with the answering direction.
pub fn sdp(data: &[u8]) {
    use hotline_sip::sdp::{negotiate, negotiate_offer, SrtpPolicy};
    let preferred = [Codec::Pcmu, Codec::Pcma];
    let plain = negotiate(data, &preferred);
    for policy in [SrtpPolicy::Required, SrtpPolicy::Optional, SrtpPolicy::Off] {
        // Deciding SRTP only ever refuses more than negotiating does.
        if negotiate_offer(data, &preferred, policy).is_ok() {
            assert!(plain.is_ok(), "{policy:?} accepts what negotiate refuses");
        }
    }
    let Ok(offer) = plain else {
        return;
    };
    let answer = LocalMedia {
        rtp: offer.remote_rtp,
        codecs: vec![offer.codec],
        telephone_event_pt: offer.telephone_event_pt,
        direction: offer.remote_direction.answer(),
        session_id: u64::MAX,
        version: data.len() as u64,
        // The accepted line, as it was offered (a real answer has our key):
        // RTP/SAVP when there is one.
        crypto: offer.crypto.clone(),
    };
    let text = answer.to_sdp();
    let again = hotline_sip::sdp::negotiate(text.as_bytes(), &preferred)
        .unwrap_or_else(|e| panic!("our answer does not negotiate: {e}\n{text}"));
    assert_eq!(again.codec, offer.codec, "{text}");
    assert_eq!(again.telephone_event_pt, offer.telephone_event_pt, "{text}");
    assert_eq!(again.remote_rtp, offer.remote_rtp, "{text}");
    assert_eq!(again.ptime_ms, 20, "{text}");
    assert_eq!(again.remote_direction, answer.direction, "{text}");
    assert_eq!(again.crypto, answer.crypto, "{text}");
}

/// Reads choices from fuzz bytes; zeros once they run out.
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    fn pick<'b, T>(&mut self, items: &'b [T]) -> &'b T {
        &items[usize::from(self.byte()) % items.len()]
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        head
    }
}

// IPv4 only: rsip 0.4 prints IPv6 hosts in URIs without brackets (see the
// report in fuzz/README.md), which this fuzzer found at once.
const SOURCES: [&str; 3] = ["127.0.0.1:5061", "127.0.0.2:5062", "127.0.0.3:5063"];
const CALL_IDS: [&str; 3] = ["c1", "c2", "c3"];
const METHODS: [&str; 10] = [
    "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "INFO", "REGISTER", "REFER", "UPDATE", "NOTIFY",
];
const BODIES: [&str; 5] = [
    "",
    "v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n",
    "v=0\r\nm=audio 6000 RTP/AVP 18\r\n",
    "Signal=5\r\nDuration=160\r\n",
    "\u{0}\u{1}garbage",
];

/// The endpoint's own tags seen so far, so requests can hit real dialogs.
#[derive(Default)]
struct Seen {
    tags: Vec<String>,
    /// Requests the endpoint sent (to answer them).
    requests: Vec<Vec<u8>>,
    calls: Vec<CallHandle>,
}

fn build_request(r: &mut Reader<'_>, seen: &Seen, source: SocketAddr) -> Vec<u8> {
    let method = *r.pick(&METHODS);
    let call_id = *r.pick(&CALL_IDS);
    let branch = format!("z9hG4bK-{}", r.byte() % 8);
    let cseq = u32::from(r.byte() % 6);
    let to_tag = match (r.byte() % 3, seen.tags.is_empty()) {
        (0, _) | (_, true) => String::new(),
        (_, false) => format!(
            ";tag={}",
            seen.tags[usize::from(r.byte()) % seen.tags.len()]
        ),
    };
    let user = *r.pick(&["12345", "999", "alice"]);
    let body = *r.pick(&BODIES);
    let content_type = *r.pick(&["application/sdp", "application/dtmf-relay", "text/plain"]);
    let mut text = format!(
        "{method} sip:{user}@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP {source};branch={branch};rport\r\nFrom: <sip:x@{source}>;tag=f{}\r\nTo: <sip:{user}@127.0.0.1:5060>{to_tag}\r\nCall-ID: {call_id}\r\nCSeq: {cseq} {method}\r\nContact: <sip:x@{source}>\r\nMax-Forwards: {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        r.byte() % 2,
        r.byte() % 71,
        body.len()
    );
    if r.byte() % 8 == 0 {
        text = text.replace("\r\n", "\n");
    }
    let mut bytes = text.into_bytes();
    mutate(r, &mut bytes);
    bytes
}

fn build_response(r: &mut Reader<'_>, seen: &Seen) -> Vec<u8> {
    if seen.requests.is_empty() {
        return Vec::new();
    }
    let request = &seen.requests[usize::from(r.byte()) % seen.requests.len()];
    let code = *r.pick(&[100u16, 180, 183, 200, 404, 486, 487, 500]);
    let text = String::from_utf8_lossy(request);
    let mut out = format!("SIP/2.0 {code} X\r\n");
    for line in text.split("\r\n").take_while(|l| !l.is_empty()) {
        let name = line.split(':').next().unwrap_or_default();
        if ["Via", "From", "Call-ID", "CSeq"].contains(&name) {
            out.push_str(line);
            out.push_str("\r\n");
        } else if name == "To" {
            out.push_str(line);
            if !line.contains("tag=") && code > 100 {
                out.push_str(";tag=remote");
            }
            out.push_str("\r\n");
        }
    }
    let body = if code == 200 && r.byte() % 2 == 0 {
        BODIES[1]
    } else {
        ""
    };
    out.push_str(&format!(
        "Contact: <sip:agent@127.0.0.1:5090>\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    let mut bytes = out.into_bytes();
    mutate(r, &mut bytes);
    bytes
}

/// Sometimes flips, truncates or splices bytes.
fn mutate(r: &mut Reader<'_>, bytes: &mut Vec<u8>) {
    match r.byte() % 8 {
        0 if !bytes.is_empty() => {
            let at = usize::from(r.byte()) * bytes.len() / 256;
            bytes.truncate(at);
        }
        1 if !bytes.is_empty() => {
            let at = usize::from(r.byte()) * bytes.len() / 256;
            bytes[at] = r.byte();
        }
        2 => {
            let n = usize::from(r.byte() % 16);
            let extra = r.take(n).to_vec();
            let at = usize::from(r.byte()) * bytes.len() / 256;
            bytes.splice(at..at, extra);
        }
        _ => {}
    }
}

fn media(port: u16) -> LocalMedia {
    LocalMedia {
        rtp: SocketAddr::from(([127, 0, 0, 1], port)),
        codecs: vec![Codec::Pcmu],
        telephone_event_pt: Some(101),
        direction: Direction::SendRecv,
        session_id: 1,
        version: u64::from(port % 3),
        crypto: None,
    }
}

fn collect(endpoint: &mut Endpoint, seen: &mut Seen) {
    while let Some(output) = endpoint.poll_output() {
        match output {
            Output::Transmit(t) => {
                let parsed = wire::parse_datagram(&t.bytes, MAX);
                if matches!(parsed, Ok(Framed::KeepAlive)) && t.peer.transport.is_reliable() {
                    // The CRLF pong to a double-CRLF ping on a connection (RFC 5626).
                    continue;
                }
                if let Ok(Framed::Message(m)) = parsed {
                    if let rsip::SipMessage::Request(_) = *m {
                        seen.requests.push(t.bytes.clone());
                        if seen.requests.len() > 16 {
                            seen.requests.remove(0);
                        }
                    } else if let Ok(e) = Essentials::of(&m) {
                        if let Some(tag) = e.to_tag {
                            if !seen.tags.contains(&tag) && seen.tags.len() < 16 {
                                seen.tags.push(tag);
                            }
                        }
                    }
                } else {
                    panic!(
                        "the endpoint sent bytes that do not parse:\n{}",
                        String::from_utf8_lossy(&t.bytes)
                    );
                }
            }
            Output::Event(Event::IncomingCall { call, .. }) => seen.calls.push(call),
            Output::Event(_) => {}
        }
    }
}

/// Operations on one endpoint: never a panic, and once every call is hung
/// up and the timers have run out, nothing is left (no leaked call,
/// transaction or timer).
pub fn endpoint_sequence(data: &[u8]) {
    let t0 = Instant::now();
    let mut now = t0;
    let config = EndpointConfig {
        max_calls: 4,
        requests_per_second_per_source: 50,
        ..Default::default()
    };
    let mut endpoint = Endpoint::new(config, [1; 32], t0);
    endpoint.registrar_mut().set_user("alice", "pw");
    let mut seen = Seen::default();
    let mut r = Reader::new(data);
    let mut steps = 0;
    while !r.is_empty() && steps < 256 {
        steps += 1;
        let source: SocketAddr = r.pick(&SOURCES).parse().expect("valid");
        let transport = if r.byte() % 4 == 0 {
            Transport::Tcp
        } else {
            Transport::Udp
        };
        let peer = Peer {
            transport,
            addr: source,
            connection: None,
        };
        match r.byte() % 10 {
            0..=2 => {
                let bytes = build_request(&mut r, &seen, source);
                endpoint.handle_datagram(now, peer, &bytes, MAX);
            }
            3 | 4 => {
                let bytes = build_response(&mut r, &seen);
                endpoint.handle_datagram(now, peer, &bytes, MAX);
            }
            5 => {
                let n = usize::from(r.byte());
                let bytes = r.take(n).to_vec();
                endpoint.handle_datagram(now, peer, &bytes, MAX);
            }
            6 => {
                let jump = match r.byte() % 4 {
                    0 => Duration::from_millis(u64::from(r.byte())),
                    1 => Duration::from_millis(500 * u64::from(r.byte() % 16)),
                    2 => Duration::from_secs(u64::from(r.byte() % 40)),
                    _ => Duration::ZERO,
                };
                let target = now + jump;
                while let Some(at) = endpoint.poll_timeout().filter(|at| *at <= target) {
                    now = now.max(at);
                    endpoint.handle_timeout(now);
                    collect(&mut endpoint, &mut seen);
                }
                now = target;
            }
            7 | 8 => {
                let call = if seen.calls.is_empty() {
                    CallHandle(u64::from(r.byte()))
                } else {
                    seen.calls[usize::from(r.byte()) % seen.calls.len()]
                };
                match r.byte() % 5 {
                    0 => endpoint.call_ring(now, call),
                    1 => endpoint.call_answer(now, call, media(20000 + u16::from(r.byte()))),
                    2 => endpoint.call_reject(now, call, *r.pick(&[486u16, 603, 480, 404])),
                    3 => endpoint.call_hangup(now, call),
                    _ => endpoint.set_accepting(r.byte() % 4 != 0),
                }
            }
            _ => {
                let handle = endpoint.call_place(
                    now,
                    OutgoingCall {
                        target: (*r.pick(&[
                            "sip:agent@127.0.0.1:5090",
                            "not a uri",
                            "sip:x@127.0.0.4:5070",
                        ]))
                        .to_owned(),
                        peer,
                        from_user: "12345".into(),
                        from_display: Some("Hotline \"x\"".into()),
                        local_media: media(30000),
                    },
                );
                seen.calls.push(handle);
            }
        }
        collect(&mut endpoint, &mut seen);
    }
    // Wind down: hang up everything, then let the timers run out.
    for _ in 0..3 {
        for call in seen.calls.clone() {
            endpoint.call_hangup(now, call);
        }
        collect(&mut endpoint, &mut seen);
        let end = now + Duration::from_secs(300);
        while let Some(at) = endpoint.poll_timeout().filter(|at| *at <= end) {
            now = now.max(at);
            endpoint.handle_timeout(now);
            collect(&mut endpoint, &mut seen);
        }
        now = end;
    }
    assert_eq!(endpoint.active_calls(), 0, "every call ends after hangup");
    assert_eq!(endpoint.active_transactions(), 0, "every transaction ends");
}
