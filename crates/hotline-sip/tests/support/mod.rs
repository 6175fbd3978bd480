//! Shared harness for the sans-IO scenario tests.
//!
//! [`Harness`] owns one [`Endpoint`] and a simulated clock: tests feed it
//! datagrams as a SIPp caller or a softphone would write them, jump the clock
//! to the endpoint's own deadlines, and read back what it sent (parsed again
//! with [`wire::parse_datagram`], as the peer would) and the events it raised.
//! [`Phone`] builds the peer's side of the conversation. Nothing here opens a
//! socket or reads the real clock beyond taking one `Instant` as the origin.

#![allow(dead_code)]

pub mod pair;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hotline_sip::msg::{header_param, header_uri};
use hotline_sip::wire::{self, Framed, DEFAULT_MAX_MESSAGE_BYTES};
use hotline_sip::{
    CallHandle, Codec, Direction, Endpoint, EndpointConfig, Event, LocalMedia, Output, Peer,
    Transport,
};

pub const HOTLINE_ADDR: &str = "127.0.0.1:5060";
pub const CALLER_ADDR: &str = "127.0.0.1:5061";
pub const PHONE_ADDR: &str = "127.0.0.1:5090";

pub fn addr(text: &str) -> SocketAddr {
    text.parse().expect("test addresses are valid")
}

pub fn udp(at: &str) -> Peer {
    Peer {
        transport: Transport::Udp,
        addr: addr(at),
        connection: None,
    }
}

/// The SDP a SIPp `uac` scenario offers (PCMU and telephone-event).
pub fn sipp_offer(port: u16) -> String {
    format!(
        "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"
    )
}

/// An offer with a direction attribute (for hold / unhold re-INVITEs).
pub fn offer_with_direction(port: u16, direction: &str) -> String {
    format!("{}a={direction}\r\n", sipp_offer(port))
}

/// What the hotline's media engine would hand the endpoint to answer with.
pub fn local_media(port: u16) -> LocalMedia {
    LocalMedia {
        rtp: SocketAddr::from(([127, 0, 0, 1], port)),
        codecs: vec![Codec::Pcmu],
        telephone_event_pt: Some(101),
        direction: Direction::SendRecv,
        session_id: 4242,
        version: 1,
        crypto: None,
    }
}

/// One message the endpoint transmitted, with when and where.
#[derive(Debug, Clone)]
pub struct Sent {
    /// Simulated time since the harness started.
    pub at: Duration,
    pub peer: Peer,
    pub bytes: Vec<u8>,
}

impl Sent {
    /// The message as the receiving peer would parse it.
    pub fn message(&self) -> rsip::SipMessage {
        match wire::parse_datagram(&self.bytes, DEFAULT_MAX_MESSAGE_BYTES) {
            Ok(Framed::Message(message)) => *message,
            Ok(Framed::KeepAlive) => {
                panic!("the endpoint sent a keep-alive where a message was expected")
            }
            Err(error) => panic!(
                "the endpoint sent bytes that do not parse ({error}):\n{}",
                String::from_utf8_lossy(&self.bytes)
            ),
        }
    }

    /// The status code, if this is a response.
    pub fn status(&self) -> Option<u16> {
        match self.message() {
            rsip::SipMessage::Response(r) => Some(r.status_code.code()),
            rsip::SipMessage::Request(_) => None,
        }
    }

    /// The method, if this is a request.
    pub fn method(&self) -> Option<rsip::Method> {
        match self.message() {
            rsip::SipMessage::Request(r) => Some(r.method),
            rsip::SipMessage::Response(_) => None,
        }
    }

    /// The CSeq method (for requests and responses alike).
    pub fn cseq_method(&self) -> String {
        self.header("CSeq")
            .and_then(|c| c.split_whitespace().nth(1).map(str::to_owned))
            .unwrap_or_default()
    }

    /// The first value of a header as a peer reads it off the wire (rsip's
    /// own lookup misses headers it types, such as Allow or Retry-After).
    pub fn header(&self, name: &'static str) -> Option<String> {
        self.headers_named(name).into_iter().next()
    }

    /// Every value of a header, in order.
    pub fn headers_named(&self, name: &str) -> Vec<String> {
        // Read from the bytes as sent: the order and count of lines matter here.
        let text = String::from_utf8_lossy(&self.bytes).into_owned();
        text.split("\r\n")
            .take_while(|l| !l.is_empty())
            .filter_map(|l| l.split_once(':'))
            .filter(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }

    pub fn body(&self) -> Vec<u8> {
        match self.message() {
            rsip::SipMessage::Request(r) => r.body,
            rsip::SipMessage::Response(r) => r.body,
        }
    }

    /// The top Via's branch.
    pub fn branch(&self) -> String {
        let via = self.header("Via").unwrap_or_default();
        via.split(';')
            .find_map(|p| p.trim().strip_prefix("branch=").map(str::to_owned))
            .unwrap_or_default()
    }

    pub fn to_tag(&self) -> Option<String> {
        self.header("To")
            .and_then(|t| header_param(&t, "tag").map(str::to_owned))
    }

    pub fn request_uri(&self) -> String {
        match self.message() {
            rsip::SipMessage::Request(r) => r.uri.to_string(),
            rsip::SipMessage::Response(_) => String::new(),
        }
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// The endpoint under test on a simulated clock.
#[derive(Debug)]
pub struct Harness {
    pub endpoint: Endpoint,
    pub t0: Instant,
    pub now: Instant,
    /// Everything transmitted so far, in order.
    pub log: Vec<Sent>,
    sent: Vec<Sent>,
    events: Vec<Event>,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    pub fn new() -> Self {
        Self::with_config(EndpointConfig::default())
    }

    pub fn with_config(config: EndpointConfig) -> Self {
        let t0 = Instant::now();
        Self {
            endpoint: Endpoint::new(config, [9; 32], t0),
            t0,
            now: t0,
            log: Vec::new(),
            sent: Vec::new(),
            events: Vec::new(),
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.now.duration_since(self.t0)
    }

    fn collect(&mut self) {
        while let Some(output) = self.endpoint.poll_output() {
            match output {
                Output::Transmit(t) => {
                    let sent = Sent {
                        at: self.elapsed(),
                        peer: t.peer,
                        bytes: t.bytes,
                    };
                    self.log.push(sent.clone());
                    self.sent.push(sent);
                }
                Output::Event(e) => self.events.push(e),
            }
        }
    }

    /// Feeds one datagram from `from` at the current time.
    pub fn deliver(&mut self, from: Peer, bytes: &[u8]) {
        self.endpoint
            .handle_datagram(self.now, from, bytes, DEFAULT_MAX_MESSAGE_BYTES);
        self.collect();
    }

    /// Runs a command (call_answer, call_hangup, ...) at the current time.
    pub fn command(&mut self, f: impl FnOnce(&mut Endpoint, Instant)) {
        f(&mut self.endpoint, self.now);
        self.collect();
    }

    /// Moves the clock forward by `by`, firing every deadline on the way at its own time.
    pub fn advance(&mut self, by: Duration) {
        let target = self.now + by;
        for _ in 0..100_000 {
            match self.endpoint.poll_timeout() {
                Some(at) if at <= target => {
                    self.now = self.now.max(at);
                    self.endpoint.handle_timeout(self.now);
                    self.collect();
                }
                _ => break,
            }
        }
        self.now = target;
    }

    /// Jumps to the next deadline and fires it; false if there is none.
    pub fn advance_to_next_timeout(&mut self) -> bool {
        match self.endpoint.poll_timeout() {
            Some(at) => {
                self.now = self.now.max(at);
                self.endpoint.handle_timeout(self.now);
                self.collect();
                true
            }
            None => false,
        }
    }

    /// Runs every timer until none is left or `limit` of simulated time passed.
    pub fn run_until_idle(&mut self, limit: Duration) {
        let end = self.now + limit;
        while let Some(at) = self.endpoint.poll_timeout() {
            if at > end {
                break;
            }
            self.advance_to_next_timeout();
        }
    }

    /// What was transmitted since the last call.
    pub fn take_sent(&mut self) -> Vec<Sent> {
        std::mem::take(&mut self.sent)
    }

    /// The events raised since the last call.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// The single message sent since the last call; panics with the list otherwise.
    pub fn take_one(&mut self) -> Sent {
        let mut sent = self.take_sent();
        assert_eq!(
            sent.len(),
            1,
            "expected exactly one message, got {:#?}",
            sent.iter().map(Sent::text).collect::<Vec<_>>()
        );
        sent.remove(0)
    }

    /// Places `call_to_phone()` and takes the INVITE it sent.
    pub fn place_call_to_phone(&mut self) -> (CallHandle, Sent) {
        let mut call = None;
        self.command(|e, now| call = Some(e.call_place(now, call_to_phone())));
        let call = call.expect("call_place returns a handle");
        (call, self.take_one())
    }

    /// The status codes sent since the last call.
    pub fn take_statuses(&mut self) -> Vec<u16> {
        self.take_sent().iter().filter_map(Sent::status).collect()
    }

    /// The handle of the last IncomingCall event, taking the events.
    pub fn take_incoming_call(&mut self) -> CallHandle {
        self.take_events()
            .into_iter()
            .find_map(|e| match e {
                Event::IncomingCall { call, .. } => Some(call),
                _ => None,
            })
            .expect("an IncomingCall event")
    }
}

/// A request built by [`Phone`], kept so it can be sent again unchanged.
#[derive(Debug, Clone)]
pub struct Request {
    pub branch: String,
    pub cseq: u32,
    pub bytes: Vec<u8>,
}

/// The far end: a SIPp scenario or a softphone, writing what they write.
#[derive(Debug, Clone)]
pub struct Phone {
    pub peer: Peer,
    pub user: String,
    pub call_id: String,
    pub from_tag: String,
    /// The hotline's tag, once a response carried it.
    pub to_tag: Option<String>,
    /// The Request-URI of the INVITE (and of in-dialog requests: the hotline's Contact).
    pub target: String,
    pub to_uri: String,
    pub cseq: u32,
    next_branch: u32,
}

impl Phone {
    /// A caller at `at` (UDP) for a new call to `number`.
    pub fn caller(at: &str, number: &str, call_id: &str) -> Self {
        Self {
            peer: udp(at),
            user: "sipp".into(),
            call_id: call_id.into(),
            from_tag: format!("{call_id}-tag"),
            to_tag: None,
            target: format!("sip:{number}@{HOTLINE_ADDR}"),
            to_uri: format!("<sip:{number}@{HOTLINE_ADDR}>"),
            cseq: 0,
            next_branch: 0,
        }
    }

    pub fn over(mut self, transport: Transport) -> Self {
        self.peer.transport = transport;
        self
    }

    /// A fresh branch with the RFC 3261 magic cookie, as SIPp's `[branch]`.
    pub fn branch(&mut self) -> String {
        self.next_branch += 1;
        format!("z9hG4bK-{}-{}", self.call_id, self.next_branch)
    }

    fn to(&self) -> String {
        match &self.to_tag {
            Some(tag) => format!("{};tag={tag}", self.to_uri),
            None => self.to_uri.clone(),
        }
    }

    /// Writes a request; `extra` headers go before Content-Length. (Each
    /// argument is one field a test may need to get wrong on purpose.)
    #[allow(clippy::too_many_arguments)]
    pub fn build(
        &self,
        method: &str,
        uri: &str,
        cseq: u32,
        branch: &str,
        to: &str,
        extra: &[(&str, &str)],
        body: &str,
    ) -> Vec<u8> {
        let transport = self.peer.transport.via_name();
        let mut text = format!(
            "{method} {uri} SIP/2.0\r\n\
             Via: SIP/2.0/{transport} {addr};branch={branch};rport\r\n\
             From: {user} <sip:{user}@{addr}>;tag={from_tag}\r\n\
             To: {to}\r\n\
             Call-ID: {call_id}\r\n\
             CSeq: {cseq} {method}\r\n\
             Contact: <sip:{user}@{addr}>\r\n\
             Max-Forwards: 70\r\n\
             User-Agent: SIPp/3.6.1\r\n",
            addr = self.peer.addr,
            user = self.user,
            from_tag = self.from_tag,
            call_id = self.call_id,
        );
        for (name, value) in extra {
            text.push_str(&format!("{name}: {value}\r\n"));
        }
        text.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        text.into_bytes()
    }

    /// The initial INVITE with a SIPp offer.
    pub fn invite(&mut self) -> Request {
        self.invite_with_body(&sipp_offer(6000))
    }

    pub fn invite_with_body(&mut self, body: &str) -> Request {
        self.cseq += 1;
        let branch = self.branch();
        let extra: &[(&str, &str)] = if body.is_empty() {
            &[]
        } else {
            &[("Content-Type", "application/sdp")]
        };
        let bytes = self.build(
            "INVITE",
            &self.target.clone(),
            self.cseq,
            &branch,
            &self.to(),
            extra,
            body,
        );
        Request {
            branch,
            cseq: self.cseq,
            bytes,
        }
    }

    /// Learns the hotline's tag and Contact from a response to our INVITE.
    pub fn learn(&mut self, response: &Sent) {
        if let Some(tag) = response.to_tag() {
            self.to_tag = Some(tag);
        }
        if response.status().is_some_and(|s| (200..300).contains(&s)) {
            if let Some(contact) = response.header("Contact") {
                self.target = header_uri(&contact).to_owned();
            }
        }
    }

    /// The ACK for a 2xx: its own transaction, a new branch (§13.2.2.4).
    pub fn ack_2xx(&mut self, invite: &Request) -> Vec<u8> {
        let branch = self.branch();
        self.build(
            "ACK",
            &self.target.clone(),
            invite.cseq,
            &branch,
            &self.to(),
            &[],
            "",
        )
    }

    /// The ACK for a non-2xx final: the INVITE's branch (§17.1.1.3).
    pub fn ack_failure(&self, invite: &Request, response: &Sent) -> Vec<u8> {
        let to = response.header("To").unwrap_or_default();
        let uri = self.target.clone();
        self.build("ACK", &uri, invite.cseq, &invite.branch, &to, &[], "")
    }

    /// CANCEL for a pending INVITE: same branch, same CSeq number, no To tag (§9.1).
    pub fn cancel(&self, invite: &Request) -> Vec<u8> {
        self.build(
            "CANCEL",
            &self.target.clone(),
            invite.cseq,
            &invite.branch,
            &self.to_uri,
            &[],
            "",
        )
    }

    /// A new in-dialog request with the next CSeq.
    pub fn in_dialog(&mut self, method: &str, extra: &[(&str, &str)], body: &str) -> Request {
        self.cseq += 1;
        let branch = self.branch();
        let bytes = self.build(
            method,
            &self.target.clone(),
            self.cseq,
            &branch,
            &self.to(),
            extra,
            body,
        );
        Request {
            branch,
            cseq: self.cseq,
            bytes,
        }
    }

    pub fn bye(&mut self) -> Request {
        self.in_dialog("BYE", &[], "")
    }

    /// A re-INVITE with an offer.
    pub fn reinvite(&mut self, body: &str) -> Request {
        self.cseq += 1;
        let branch = self.branch();
        let bytes = self.build(
            "INVITE",
            &self.target.clone(),
            self.cseq,
            &branch,
            &self.to(),
            &[("Content-Type", "application/sdp")],
            body,
        );
        Request {
            branch,
            cseq: self.cseq,
            bytes,
        }
    }

    /// Our response to a request the hotline sent us (BYE, INVITE, ...).
    pub fn respond(
        &self,
        request: &Sent,
        code: u16,
        to_tag: Option<&str>,
        extra: &[(&str, &str)],
        body: &str,
    ) -> Vec<u8> {
        respond_to(request, code, to_tag, extra, body)
    }
}

/// A response to `request` as any peer would write it (§8.2.6: Via, From,
/// To, Call-ID and CSeq copied; `to_tag` added when the To has none).
pub fn respond_to(
    request: &Sent,
    code: u16,
    to_tag: Option<&str>,
    extra: &[(&str, &str)],
    body: &str,
) -> Vec<u8> {
    let reason = match code {
        100 => "Trying",
        180 => "Ringing",
        200 => "OK",
        486 => "Busy Here",
        487 => "Request Terminated",
        _ => "Whatever",
    };
    let mut text = format!("SIP/2.0 {code} {reason}\r\n");
    for via in request.headers_named("Via") {
        text.push_str(&format!("Via: {via}\r\n"));
    }
    let to = request.header("To").unwrap_or_default();
    let to = match to_tag {
        Some(tag) if header_param(&to, "tag").is_none() => format!("{to};tag={tag}"),
        _ => to,
    };
    for (name, value) in [
        ("From", request.header("From").unwrap_or_default()),
        ("To", to),
        ("Call-ID", request.header("Call-ID").unwrap_or_default()),
        ("CSeq", request.header("CSeq").unwrap_or_default()),
    ] {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    for (name, value) in extra {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    text.into_bytes()
}

/// Sets up an answered and acknowledged incoming call; returns the harness
/// state with the caller's phone, the INVITE and the call handle.
pub fn confirmed_call(h: &mut Harness, call_id: &str) -> (Phone, Request, CallHandle) {
    let mut phone = Phone::caller(CALLER_ADDR, "12345", call_id);
    let invite = phone.invite();
    h.deliver(phone.peer, &invite.bytes);
    let call = h.take_incoming_call();
    h.command(|e, now| e.call_answer(now, call, local_media(20000)));
    let sent = h.take_sent();
    let ok = sent
        .iter()
        .find(|s| s.status() == Some(200))
        .expect("a 200 OK");
    phone.learn(ok);
    let ack = phone.ack_2xx(&invite);
    h.deliver(phone.peer, &ack);
    let events = h.take_events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::CallConfirmed { call: c, .. } if *c == call)),
        "the ACK confirms the call: {events:?}"
    );
    h.take_sent();
    (phone, invite, call)
}

/// The reason of the CallEnded event for `call` among `events`.
pub fn ended_reason(events: &[Event], call: CallHandle) -> Option<&'static str> {
    events.iter().find_map(|e| match e {
        Event::CallEnded {
            call: c, reason, ..
        } if *c == call => Some(*reason),
        _ => None,
    })
}

/// What the controller hands the endpoint to call an agent's phone at
/// [`PHONE_ADDR`].
pub fn call_to_phone() -> hotline_sip::OutgoingCall {
    hotline_sip::OutgoingCall {
        target: format!("sip:agent1@{PHONE_ADDR}"),
        peer: udp(PHONE_ADDR),
        from_user: "12345".into(),
        from_display: Some("Hotline".into()),
        local_media: local_media(30000),
    }
}

/// The SDP an agent's phone answers with.
pub fn phone_answer() -> String {
    "v=0\r\no=agent 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n".into()
}

/// The Contact the agent's phone puts in its 2xx (not the Request-URI we used).
pub const PHONE_CONTACT: &str = "<sip:agent1@127.0.0.1:5090;transport=udp;ob>";
