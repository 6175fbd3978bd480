//! The SIP endpoint: transactions, dialogs, the registrar and the guards, as
//! one sans-IO state machine.
//!
//! Input goes in through [`Endpoint::handle_message`] (a message the driver
//! framed and parsed), [`Endpoint::handle_timeout`] and the `call_*` commands;
//! output comes out of [`Endpoint::poll_output`] as datagrams to send and
//! events for the call controller; [`Endpoint::poll_timeout`] says when to
//! call again. It never reads the clock, never sleeps and owns no socket, so
//! every race (a CANCEL crossing a 200 OK, a lost ACK, a BYE during a
//! re-INVITE) is tested deterministically in simulated time.
//!
//! The endpoint is a user agent, never a proxy: it answers calls to the
//! configured numbers and places calls only where the controller tells it
//! (registered agent phones and configured destinations). No request is ever
//! forwarded, so it cannot be used as a relay for toll fraud.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rsip::headers::UntypedHeader;
use rsip::{Header, Method, StatusCode};

use crate::msg::{self, first_header, header_param, header_uri, other, Essentials};
use crate::registrar::{RegisterOutcome, RegisterRequest, Registrar, RegistrarConfig};
use crate::registration::{self, ClientRegistration, Decision, Registration, RegistrationId};
use crate::sdp::{self, Codec, Direction, LocalMedia, NegotiatedMedia, SrtpPolicy};
use crate::transaction::{
    ClientResponseOutcome, Kind, State, TimerConfig, TimerOutcome, Transaction,
};
use crate::wire;

/// A transport the endpoint can send over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
    /// SIP over TLS (RFC 3261 §26.2, `sips:` and `transport=tls`).
    Tls,
}

impl Transport {
    pub fn is_reliable(self) -> bool {
        matches!(self, Transport::Tcp | Transport::Tls)
    }

    pub fn via_name(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
        }
    }

    /// The URI parameter that names this transport in a Contact (none for UDP).
    pub fn uri_suffix(self) -> &'static str {
        match self {
            Transport::Udp => "",
            Transport::Tcp => ";transport=tcp",
            Transport::Tls => ";transport=tls",
        }
    }
}

/// A TCP connection as numbered by the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnectionId(pub u64);

/// Where a message came from or goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Peer {
    pub transport: Transport,
    pub addr: SocketAddr,
    /// For stream transports, the connection to write on (if still open).
    pub connection: Option<ConnectionId>,
}

/// Bytes to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub peer: Peer,
    pub bytes: Vec<u8>,
}

/// One call (dialog) as the endpoint numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallHandle(pub u64);

/// Who ended a call, from the endpoint's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndedBy {
    Remote,
    Local,
}

/// What happened, for the call controller.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// An INVITE for one of our numbers. Answer with `call_ring`/`call_answer`/`call_reject`.
    IncomingCall {
        call: CallHandle,
        caller: String,
        caller_display: Option<String>,
        called: String,
        sip_call_id: String,
        source: Peer,
        /// The caller's media, or `None` for a late offer (we offer in the 200).
        remote_media: Option<NegotiatedMedia>,
    },
    /// The ACK for our 200 arrived: the call is established.
    CallConfirmed {
        call: CallHandle,
        /// Set when the caller made a late offer and answered in the ACK.
        remote_media: Option<NegotiatedMedia>,
    },
    /// The remote changed the session (re-INVITE): new address, hold or unhold.
    RemoteMediaChanged {
        call: CallHandle,
        media: NegotiatedMedia,
    },
    /// DTMF carried in SIP INFO (application/dtmf-relay or application/dtmf).
    InfoDtmf {
        call: CallHandle,
        digit: char,
        duration_ms: u32,
    },
    /// The remote asked us to transfer the call (REFER, answered 202).
    ReferReceived { call: CallHandle, refer_to: String },
    /// An outgoing call got a provisional response.
    OutgoingProgress { call: CallHandle, status: u16 },
    /// An outgoing call was answered (ACK already sent).
    OutgoingAnswered {
        call: CallHandle,
        remote_media: Option<NegotiatedMedia>,
    },
    /// An outgoing call failed before being answered.
    OutgoingFailed { call: CallHandle, status: u16 },
    /// The call is over; the handle is no longer valid.
    CallEnded {
        call: CallHandle,
        by: EndedBy,
        /// "bye", "cancel", "timeout", "no_ack", "rejected", ...
        reason: &'static str,
    },
    /// A phone registered (or refreshed) a binding.
    Registered {
        user: String,
        contact: String,
        source: Peer,
        expires: Duration,
    },
    /// A phone removed its binding.
    Unregistered { user: String },
    /// Authentication failed; logged so fail2ban can act on it.
    AuthFailed {
        source: IpAddr,
        user: String,
        reason: &'static str,
    },
    /// Our own registration with a registrar ([`Endpoint::register`])
    /// succeeded, or was refreshed: the binding holds for `expires`.
    ClientRegistered {
        registration: RegistrationId,
        expires: Duration,
    },
    /// Our registration failed: `status` is the registrar's final answer
    /// (408 when none came). It is tried again after the registration's
    /// `retry_after_failure`, or forgotten if that is `None` or it was
    /// being removed.
    ClientRegistrationFailed {
        registration: RegistrationId,
        status: u16,
        reason: &'static str,
    },
    /// [`Endpoint::unregister`] completed: the binding is gone and the
    /// registration forgotten.
    ClientUnregistered { registration: RegistrationId },
}

/// What the driver gets from [`Endpoint::poll_output`].
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    Transmit(Transmit),
    Event(Event),
}

/// Settings of the endpoint.
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// host:port written in Via and Contact.
    pub advertised: SocketAddr,
    /// host:port for Via and Contact on TLS (the TLS listener's port);
    /// `None`: no TLS, `advertised` is used.
    pub advertised_tls: Option<SocketAddr>,
    /// The hotline numbers (Request-URI user parts) this endpoint answers.
    pub numbers: Vec<String>,
    pub timers: TimerConfig,
    pub codecs: Vec<Codec>,
    /// Above this many live calls, new INVITEs get 503 with Retry-After.
    pub max_calls: usize,
    /// Live incoming calls one untrusted address may hold (a citizen's
    /// phone needs one; a NAT a few); more get 503 with Retry-After.
    pub max_calls_per_source: usize,
    /// Calls one untrusted address may have that it has not yet confirmed
    /// with an ACK of our 2xx. An address that sends INVITEs and never
    /// ACKs is not where the INVITEs came from (a spoofed source): each
    /// such call costs its victim eleven 2xx retransmissions, so only this
    /// many at once; more get a stateless 503.
    pub max_unconfirmed_calls_per_source: usize,
    /// Of `max_calls`, this many are kept back for `trusted_sources` (the
    /// trunks): untrusted sources together never hold more than the rest,
    /// so strangers cannot fill the hotline. Only when trusted sources are
    /// configured.
    pub reserved_for_trusted: usize,
    pub retry_after: Duration,
    /// Live server transactions one source address may hold.
    pub max_transactions_per_source: u32,
    /// Requests per second one source may send (token bucket; burst = 2 s worth).
    pub requests_per_second_per_source: u32,
    /// Sources exempt from the per-source limits (trunks, the load balancer).
    pub trusted_sources: Vec<IpAddr>,
    /// User-Agent substrings of scanners whose requests are dropped unanswered.
    pub scanner_user_agents: Vec<String>,
    pub registrar: RegistrarConfig,
    /// How long an unanswered outgoing call may ring before it is cancelled.
    pub ring_timeout: Duration,
    /// SRTP (SDES) for INVITEs and re-INVITEs from phones and callers.
    pub srtp: SrtpPolicy,
    /// SRTP per source address (the trunks), over `srtp`.
    pub srtp_by_source: HashMap<IpAddr, SrtpPolicy>,
}

impl EndpointConfig {
    /// The SRTP policy for offers from `source`.
    pub fn srtp_policy_for(&self, source: IpAddr) -> SrtpPolicy {
        self.srtp_by_source
            .get(&source)
            .copied()
            .unwrap_or(self.srtp)
    }
}

impl Default for EndpointConfig {
    fn default() -> Self {
        Self {
            advertised: SocketAddr::from(([127, 0, 0, 1], 5060)),
            advertised_tls: None,
            numbers: vec!["12345".into()],
            timers: TimerConfig::default(),
            codecs: vec![Codec::Pcmu, Codec::Pcma],
            max_calls: 10_000,
            max_calls_per_source: 16,
            max_unconfirmed_calls_per_source: 2,
            reserved_for_trusted: 0,
            retry_after: Duration::from_secs(5),
            max_transactions_per_source: 2_000,
            requests_per_second_per_source: 1_000,
            trusted_sources: Vec::new(),
            scanner_user_agents: [
                "friendly-scanner",
                "sipvicious",
                "sipcli",
                "sip-scan",
                "VaxSIPUserAgent",
                "sundayddr",
            ]
            .map(String::from)
            .to_vec(),
            registrar: RegistrarConfig::default(),
            ring_timeout: Duration::from_secs(30),
            srtp: SrtpPolicy::Optional,
            srtp_by_source: HashMap::new(),
        }
    }
}

/// Counters for `/metrics` and for tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    pub messages_in: u64,
    pub messages_out: u64,
    pub parse_failures: u64,
    pub invalid_requests: u64,
    pub auth_failures: u64,
    pub rate_limited: u64,
    pub overload_rejections: u64,
    /// INVITEs refused because their source (or all untrusted sources
    /// together) held their share of calls.
    pub source_call_limit_rejections: u64,
    pub scanner_drops: u64,
    pub calls_started: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct TxKey {
    branch: String,
    /// INVITE (ACK matches it), CANCEL, or the request's own method.
    method: String,
    server: bool,
}

impl TxKey {
    /// RFC 3261 §17.2.3: a server transaction is matched by the top Via's
    /// branch *and* sent-by (two clients may pick the same branch), and the
    /// method (ACK matches its INVITE). A branch without the magic cookie
    /// comes from an RFC 2543 client, whose branches need not be unique;
    /// such requests match by Call-ID, From tag and CSeq number instead
    /// (close to §17.2.3's fallback, which ACK and CANCEL share with their INVITE).
    fn server(essentials: &Essentials, method: &Method) -> Self {
        let method = match method {
            Method::Ack => Method::Invite,
            m => *m,
        };
        let branch = if essentials.branch.starts_with(msg::MAGIC_COOKIE) {
            format!("{}|{}", essentials.branch, essentials.sent_by)
        } else {
            format!(
                "2543|{}|{}|{}|{}",
                essentials.call_id,
                essentials.from_tag.as_deref().unwrap_or_default(),
                essentials.cseq,
                essentials.sent_by
            )
        };
        Self {
            branch,
            method: method.to_string(),
            server: true,
        }
    }

    fn client(branch: &str, method: &Method) -> Self {
        Self {
            branch: branch.to_owned(),
            method: method.to_string(),
            server: false,
        }
    }
}

#[derive(Debug)]
struct TxEntry {
    key: TxKey,
    tx: Transaction,
    peer: Peer,
    /// The call this transaction belongs to, if any.
    call: Option<CallHandle>,
    method: Method,
}

/// The route set as Record-Route headers, one entry each, in order.
fn record_route_headers(route_set: &[String]) -> Vec<Header> {
    route_set
        .iter()
        .map(|route| other("Record-Route", route.clone()))
        .collect()
}

/// A request refused before it is acted on: the status and the headers
/// that say why (Unsupported, Accept, ...).
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    headers: Vec<Header>,
}

impl Refusal {
    fn new(status: StatusCode) -> Self {
        Self {
            status,
            headers: Vec::new(),
        }
    }
}

/// What makes two requests "the same request" arriving by two paths
/// (§8.2.2.2): no To tag, and the same From tag, Call-ID and CSeq.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct MergeKey {
    call_id: String,
    from_tag: String,
    cseq: u32,
    method: String,
}

/// §8.2.3: a body whose type or encoding this endpoint does not read gets
/// 415 with what it does accept. INVITE and UPDATE carry SDP; other bodies
/// are read where they are understood (INFO's DTMF) and otherwise ignored,
/// not refused: phones send INFO bodies of their own (picture fast update)
/// that a 415 would make them retry.
fn body_refusal(request: &rsip::Request) -> Option<Refusal> {
    let encoding = first_header(request, "Content-Encoding").map(str::trim);
    if encoding.is_some_and(|e| !e.is_empty() && !e.eq_ignore_ascii_case("identity")) {
        let mut refusal = Refusal::new(StatusCode::UnsupportedMediaType);
        refusal.headers.push(other("Accept-Encoding", "identity"));
        return Some(refusal);
    }
    let accepted: &[&str] = match request.method {
        Method::Invite | Method::Update => &["application/sdp"],
        _ => return None,
    };
    // No Content-Type on a body breaks §7.4.1; read it as the usual type.
    let content_type = first_header(request, "Content-Type")?;
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if accepted.iter().any(|a| a.eq_ignore_ascii_case(media_type)) {
        return None;
    }
    let mut refusal = Refusal::new(StatusCode::UnsupportedMediaType);
    refusal.headers.push(other("Accept", accepted.join(", ")));
    Some(refusal)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Uas,
    Uac,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallState {
    /// UAS: INVITE received, not answered. UAC: INVITE sent, not answered.
    Early,
    /// UAS: 200 sent, waiting for ACK.
    Answered,
    Confirmed,
    /// BYE or CANCEL sent, waiting for its response.
    Ending,
}

#[derive(Debug)]
struct Call {
    role: Role,
    state: CallState,
    call_id: String,
    local_tag: String,
    remote_tag: Option<String>,
    /// Our URI header value (From for UAC, To for UAS), without tag.
    local_uri: String,
    /// Their URI header value, without tag.
    remote_uri: String,
    /// Where in-dialog requests are addressed (their Contact).
    remote_target: String,
    /// The dialog's route set (§12.1.1, §12.1.2): the Record-Route entries
    /// of the INVITE (UAS, in order) or of the 2xx (UAC, reversed), sent as
    /// Route headers on every request within the dialog. Requests still go
    /// to `peer`, the neighbour the dialog was made with (the first proxy
    /// when there is one): entries are treated as loose routes (`lr`), as
    /// every proxy of this century does (§16.12).
    route_set: Vec<String>,
    local_cseq: u32,
    remote_cseq: Option<u32>,
    peer: Peer,
    /// The INVITE transaction (UAS: to answer or CANCEL; UAC: to CANCEL).
    invite_tx: Option<u64>,
    /// UAS: the original INVITE, to build responses. UAC: our INVITE, to build CANCEL.
    invite: Option<rsip::Request>,
    local_media: Option<LocalMedia>,
    /// UAS: the 200 to retransmit until the ACK (§13.3.1.4).
    ok_retransmit: Option<OkRetransmit>,
    /// UAC: the ACK for the 2xx, re-sent for each 2xx retransmission.
    ack_bytes: Option<Vec<u8>>,
    /// The controller asked to hang up before the ACK arrived.
    hangup_after_ack: bool,
    /// UAC: hang up was asked before any provisional response; RFC 3261 §9.1
    /// forbids a CANCEL until one arrives, so it is sent then.
    cancel_on_provisional: bool,
    ring_deadline: Option<Instant>,
    /// Our BYE/CANCEL is in flight; the call ends when it completes.
    ending_reason: &'static str,
    /// UAS from an untrusted address: counted in `unconfirmed_by_source`
    /// until its ACK arrives (or the call ends).
    unconfirmed: bool,
}

#[derive(Debug)]
struct OkRetransmit {
    bytes: Vec<u8>,
    next_at: Instant,
    interval: Duration,
    give_up_at: Instant,
    /// The 2xx answers a re-INVITE: its ACK neither confirms the call again
    /// nor may its loss end the dialog (§14.2 leaves the session as it was).
    reinvite: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum TimerKey {
    Tx(u64),
    Call(u64),
    Registration(u64),
}

/// One of our own registrations with a registrar, with its timers.
#[derive(Debug)]
struct RegistrationEntry {
    core: ClientRegistration,
    /// The transaction of the REGISTER in flight.
    in_flight: Option<u64>,
    /// When the next REGISTER goes out (refresh, or retry after a failure).
    next_at: Option<Instant>,
    /// `unregister` was asked: Expires 0 next (after the request in flight).
    unregistering: bool,
}

#[derive(Debug)]
struct SourceState {
    tokens: f64,
    refilled_at: Instant,
    live_transactions: u32,
}

/// The sans-IO SIP endpoint.
#[derive(Debug)]
pub struct Endpoint {
    config: EndpointConfig,
    registrar: Registrar,
    next_id: u64,
    transactions: HashMap<u64, TxEntry>,
    tx_index: HashMap<TxKey, u64>,
    calls: HashMap<u64, Call>,
    /// (Call-ID, local tag) → call.
    dialogs: HashMap<(String, String), u64>,
    timers: BinaryHeap<Reverse<(Instant, TimerKey)>>,
    sources: HashMap<IpAddr, SourceState>,
    outputs: VecDeque<Output>,
    accepting: bool,
    counters: Counters,
    /// Size of `sources` above which idle entries are pruned next.
    sources_prune_at: usize,
    /// Live incoming calls per untrusted source (entries go at zero), and
    /// their sum.
    calls_by_source: HashMap<IpAddr, usize>,
    /// Untrusted calls whose dialog no ACK has confirmed yet, per address.
    unconfirmed_by_source: HashMap<IpAddr, usize>,
    untrusted_calls: usize,
    /// Out-of-dialog requests by (Call-ID, From tag, CSeq, method) → their
    /// transaction, to find merged requests; entries whose transaction has
    /// ended are pruned as the map grows.
    merge_index: HashMap<MergeKey, TxKey>,
    merge_prune_at: usize,
    /// Our registrations with registrars (client side).
    registrations: HashMap<u64, RegistrationEntry>,
    /// REGISTER transaction → registration.
    register_txs: HashMap<u64, u64>,
}

/// What the controller supplies to place a call (to an agent's phone).
#[derive(Debug, Clone)]
pub struct OutgoingCall {
    /// The Request-URI (the phone's registered Contact, or a configured destination).
    pub target: String,
    /// Where to send it (the registration's source address).
    pub peer: Peer,
    /// Our From user part (the hotline number or the citizen's number).
    pub from_user: String,
    pub from_display: Option<String>,
    pub local_media: LocalMedia,
}

impl Endpoint {
    /// An endpoint with a fresh registrar. `secret` keys the digest nonces;
    /// `now` is the origin of the registrar's nonce clock.
    pub fn new(config: EndpointConfig, secret: [u8; 32], now: Instant) -> Self {
        let registrar = Registrar::new(config.registrar.clone(), secret, now);
        Self {
            config,
            registrar,
            next_id: 1,
            transactions: HashMap::new(),
            tx_index: HashMap::new(),
            calls: HashMap::new(),
            dialogs: HashMap::new(),
            timers: BinaryHeap::new(),
            sources: HashMap::new(),
            outputs: VecDeque::new(),
            accepting: true,
            counters: Counters::default(),
            sources_prune_at: 10_000,
            calls_by_source: HashMap::new(),
            unconfirmed_by_source: HashMap::new(),
            untrusted_calls: 0,
            merge_index: HashMap::new(),
            merge_prune_at: 10_000,
            registrations: HashMap::new(),
            register_txs: HashMap::new(),
        }
    }

    /// The registrar (to add users, restore bindings, look up phones).
    pub fn registrar(&self) -> &Registrar {
        &self.registrar
    }

    pub fn registrar_mut(&mut self) -> &mut Registrar {
        &mut self.registrar
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Live calls (dialogs and calls being set up).
    pub fn active_calls(&self) -> usize {
        self.calls.len()
    }

    /// Whether `call` is live (set up or established).
    pub fn has_call(&self, call: CallHandle) -> bool {
        self.calls.contains_key(&call.0)
    }

    /// Live transactions.
    pub fn active_transactions(&self) -> usize {
        self.transactions.len()
    }

    /// Stop (or resume) taking new calls: new INVITEs get 503 while draining.
    pub fn set_accepting(&mut self, accepting: bool) {
        self.accepting = accepting;
    }

    /// The next thing to send or report.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When [`Endpoint::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse((at, _))| *at)
    }

    fn alloc_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn transmit(&mut self, peer: Peer, bytes: Vec<u8>) {
        self.counters.messages_out += 1;
        metrics::counter!("hotline_sip_messages_out_total").increment(1);
        self.outputs
            .push_back(Output::Transmit(Transmit { peer, bytes }));
    }

    fn event(&mut self, event: Event) {
        self.outputs.push_back(Output::Event(event));
    }

    fn schedule(&mut self, at: Option<Instant>, key: TimerKey) {
        if let Some(at) = at {
            self.timers.push(Reverse((at, key)));
        }
    }

    /// Counts a datagram that could not be framed or parsed (dropped).
    pub fn note_parse_failure(&mut self) {
        self.counters.parse_failures += 1;
        metrics::counter!("hotline_sip_parse_failures_total").increment(1);
    }

    /// Parses and handles one datagram or framed stream message.
    pub fn handle_datagram(&mut self, now: Instant, from: Peer, bytes: &[u8], max_bytes: usize) {
        match wire::parse_datagram(bytes, max_bytes) {
            Ok(wire::Framed::Message(message)) => self.handle_message(now, from, *message),
            Ok(wire::Framed::KeepAlive) => {
                // RFC 5626: answer a double-CRLF ping with a single CRLF pong.
                if bytes.len() >= 4 && from.transport.is_reliable() {
                    self.transmit(from, b"\r\n".to_vec());
                }
            }
            Err(wire::WireError::UnknownMethod { method, stand_in }) => {
                self.handle_unknown_method(from, &method, &stand_in)
            }
            Err(_) => self.note_parse_failure(),
        }
    }

    /// A request whose method we do not implement gets 501 (§8.2.1),
    /// statelessly: a retransmission simply gets 501 again.
    pub fn handle_unknown_method(&mut self, from: Peer, method: &str, stand_in: &rsip::Request) {
        self.counters.messages_in += 1;
        let Ok(essentials) = Essentials::of(&rsip::SipMessage::Request(stand_in.clone())) else {
            self.note_parse_failure();
            return;
        };
        let mut response = msg::response_to(stand_in, StatusCode::NotImplemented, None, from.addr);
        response.headers.retain(|h| !matches!(h, Header::CSeq(_)));
        response
            .headers
            .push(Header::CSeq(format!("{} {method}", essentials.cseq).into()));
        response.headers.push(allow_header());
        self.transmit(from, wire::to_bytes(&response.into()));
    }

    /// Handles one parsed message.
    pub fn handle_message(&mut self, now: Instant, from: Peer, message: rsip::SipMessage) {
        self.counters.messages_in += 1;
        metrics::counter!("hotline_sip_messages_in_total").increment(1);
        let essentials = match Essentials::of(&message) {
            Ok(e) => e,
            Err(invalid) => {
                self.counters.invalid_requests += 1;
                metrics::counter!("hotline_sip_invalid_messages_total").increment(1);
                if let rsip::SipMessage::Request(request) = &message {
                    // Answer only if there is enough to route a response.
                    let routable = first_header(request, "Via").is_some()
                        && first_header(request, "CSeq").is_some()
                        && request.method != Method::Ack;
                    // Answers to junk obey the same per-source limits as any
                    // other answer, or a flood of invalid requests would get
                    // a 400 each, unmetered.
                    let ip = from.addr.ip();
                    if routable && self.admit(now, ip) {
                        let mut response =
                            msg::response_to(request, invalid.status(), None, from.addr);
                        response
                            .headers
                            .push(other("Warning", format!("399 hotline \"{invalid}\"")));
                        self.transmit(from, wire::to_bytes(&response.into()));
                    }
                }
                return;
            }
        };
        match message {
            rsip::SipMessage::Request(request) => {
                self.handle_request(now, from, request, essentials)
            }
            rsip::SipMessage::Response(response) => self.handle_response(now, response, essentials),
        }
    }

    // ---------------------------------------------------------------- requests

    fn admit(&mut self, now: Instant, ip: IpAddr) -> bool {
        if self.config.trusted_sources.contains(&ip) {
            return true;
        }
        let rate = f64::from(self.config.requests_per_second_per_source.max(1));
        let max_tx = self.config.max_transactions_per_source;
        let source = self.sources.entry(ip).or_insert(SourceState {
            tokens: rate * 2.0,
            refilled_at: now,
            live_transactions: 0,
        });
        let elapsed = now
            .saturating_duration_since(source.refilled_at)
            .as_secs_f64();
        source.tokens = (source.tokens + elapsed * rate).min(rate * 2.0);
        source.refilled_at = now;
        if source.tokens < 1.0 || source.live_transactions >= max_tx {
            return false;
        }
        source.tokens -= 1.0;
        true
    }

    fn is_scanner(&self, request: &rsip::Request) -> bool {
        let Some(agent) = first_header(request, "User-Agent") else {
            return false;
        };
        let agent = agent.to_ascii_lowercase();
        self.config
            .scanner_user_agents
            .iter()
            .any(|s| agent.contains(&s.to_ascii_lowercase()))
    }

    fn respond(
        &mut self,
        request: &rsip::Request,
        status: StatusCode,
        to_tag: Option<&str>,
        peer: Peer,
    ) -> rsip::Response {
        msg::response_to(request, status, to_tag, peer.addr)
    }

    /// Sends a response through its server transaction (creating none).
    fn send_response(&mut self, now: Instant, tx_id: u64, response: rsip::Response) {
        let code = response.status_code.code();
        let bytes = wire::to_bytes(&response.into());
        let Some(entry) = self.transactions.get_mut(&tx_id) else {
            return;
        };
        if entry.tx.on_send_response(now, code, bytes.clone()) {
            let peer = entry.peer;
            let deadline = entry.tx.deadline();
            self.transmit(peer, bytes);
            self.schedule(deadline, TimerKey::Tx(tx_id));
            if self
                .transactions
                .get(&tx_id)
                .is_some_and(|e| e.tx.deadline() == Some(now))
            {
                // Zero wait (reliable transport): finish at once.
                self.handle_timeout(now);
            }
        }
    }

    fn new_server_tx(
        &mut self,
        key: TxKey,
        kind: Kind,
        peer: Peer,
        method: Method,
        call: Option<CallHandle>,
    ) -> u64 {
        let id = self.alloc_id();
        let tx = Transaction::server(kind, peer.transport.is_reliable(), self.config.timers);
        self.tx_index.insert(key.clone(), id);
        self.transactions.insert(
            id,
            TxEntry {
                key,
                tx,
                peer,
                call,
                method,
            },
        );
        if let Some(source) = self.sources.get_mut(&peer.addr.ip()) {
            source.live_transactions += 1;
        }
        metrics::gauge!("hotline_sip_transactions").set(self.transactions.len() as f64);
        id
    }

    fn handle_request(
        &mut self,
        now: Instant,
        from: Peer,
        request: rsip::Request,
        essentials: Essentials,
    ) {
        let key = TxKey::server(&essentials, &request.method);
        // Retransmissions and the ACK of a non-2xx final belong to an existing transaction.
        if let Some(&tx_id) = self.tx_index.get(&key) {
            if let Some(entry) = self.transactions.get_mut(&tx_id) {
                if request.method == Method::Ack {
                    if entry.tx.on_ack(now) {
                        let deadline = entry.tx.deadline();
                        self.schedule(deadline, TimerKey::Tx(tx_id));
                        return;
                    }
                    // An ACK for a 2xx with the INVITE's branch (RFC 2543 style): dialog level below.
                } else if entry.method == request.method {
                    if let Some(bytes) = entry.tx.on_request_retransmission() {
                        let peer = entry.peer;
                        self.transmit(peer, bytes);
                    }
                    return;
                }
            }
        }
        if request.method != Method::Ack {
            if self.is_scanner(&request) {
                self.counters.scanner_drops += 1;
                return;
            }
            if !self.admit(now, from.addr.ip()) {
                self.counters.rate_limited += 1;
                metrics::counter!("hotline_sip_rate_limited_total").increment(1);
                return;
            }
        }
        if request.method != Method::Ack {
            if let Some(refusal) = self.request_refusal(&request, &essentials, &key) {
                let kind = if request.method == Method::Invite {
                    Kind::ServerInvite
                } else {
                    Kind::ServerNonInvite
                };
                let method = request.method;
                let tx = self.new_server_tx(key, kind, from, method, None);
                let mut response =
                    self.respond(&request, refusal.status, Some(&msg::random_token()), from);
                response.headers.extend(refusal.headers);
                self.send_response(now, tx, response);
                return;
            }
        }
        match request.method {
            Method::Ack => self.handle_ack(now, &request, &essentials),
            Method::Cancel => self.handle_cancel(now, from, key, request, &essentials),
            Method::Invite if essentials.to_tag.is_none() => {
                self.handle_initial_invite(now, from, key, request, essentials)
            }
            Method::Register => self.handle_register(now, from, key, request, &essentials),
            Method::Options if essentials.to_tag.is_none() => {
                let tx = self.new_server_tx(key, Kind::ServerNonInvite, from, request.method, None);
                let mut response =
                    self.respond(&request, StatusCode::OK, Some(&msg::random_token()), from);
                response.headers.push(allow_header());
                response.headers.push(other("Accept", "application/sdp"));
                self.send_response(now, tx, response);
            }
            _ if essentials.to_tag.is_some() => {
                self.handle_in_dialog(now, from, key, request, essentials)
            }
            method => {
                let kind = if method == Method::Invite {
                    Kind::ServerInvite
                } else {
                    Kind::ServerNonInvite
                };
                let tx = self.new_server_tx(key, kind, from, method, None);
                let status = match method {
                    Method::Bye
                    | Method::Info
                    | Method::Refer
                    | Method::Notify
                    | Method::Update
                    | Method::PRack => StatusCode::CallTransactionDoesNotExist,
                    _ => StatusCode::MethodNotAllowed,
                };
                let mut response = self.respond(&request, status, Some(&msg::random_token()), from);
                response.headers.push(allow_header());
                self.send_response(now, tx, response);
            }
        }
    }

    /// The request-processing checks of RFC 3261 §8.2 that come before a
    /// request is acted on, in the order the RFC gives them: the
    /// Request-URI's scheme (§8.2.2.1, 416), merged requests (§8.2.2.2,
    /// 482), Require (§8.2.2.3, 420) and the body's type and encoding
    /// (§8.2.3, 415). `None`: go on. ACK is never refused; CANCEL only for
    /// its URI scheme (§8.2.2.3 exempts it from Require).
    fn request_refusal(
        &mut self,
        request: &rsip::Request,
        essentials: &Essentials,
        key: &TxKey,
    ) -> Option<Refusal> {
        let scheme_ok = matches!(
            request.uri.scheme,
            None | Some(rsip::Scheme::Sip) | Some(rsip::Scheme::Sips)
        );
        if !scheme_ok {
            return Some(Refusal::new(StatusCode::UnsupportedUriScheme));
        }
        if request.method == Method::Cancel {
            return None;
        }
        if essentials.to_tag.is_none() {
            if let Some(from_tag) = &essentials.from_tag {
                let merge = MergeKey {
                    call_id: essentials.call_id.clone(),
                    from_tag: from_tag.clone(),
                    cseq: essentials.cseq,
                    method: request.method.to_string(),
                };
                match self.merge_index.get(&merge) {
                    // The same request already arrived by another path
                    // (forked upstream): answer this copy 482.
                    Some(other) if other != key && self.tx_index.contains_key(other) => {
                        return Some(Refusal::new(StatusCode::LoopDetected));
                    }
                    _ => {
                        if self.merge_index.len() >= self.merge_prune_at {
                            let live = &self.tx_index;
                            self.merge_index.retain(|_, k| live.contains_key(k));
                            self.merge_prune_at = (self.merge_index.len() * 2).max(10_000);
                        }
                        self.merge_index.insert(merge, key.clone());
                    }
                }
            }
        }
        let required: Vec<String> = request
            .headers
            .iter()
            .filter_map(|h| match h {
                Header::Require(v) => Some(v.value().to_owned()),
                Header::Other(name, v) if name.eq_ignore_ascii_case("Require") => Some(v.clone()),
                _ => None,
            })
            .flat_map(|v| {
                v.split(',')
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
            })
            .collect();
        if !required.is_empty() {
            // This user agent implements no option tag a request may require.
            let mut refusal = Refusal::new(StatusCode::BadExtension);
            refusal
                .headers
                .push(other("Unsupported", required.join(", ")));
            return Some(refusal);
        }
        if !request.body.is_empty() {
            if let Some(refusal) = body_refusal(request) {
                return Some(refusal);
            }
        }
        None
    }

    fn handle_initial_invite(
        &mut self,
        now: Instant,
        from: Peer,
        key: TxKey,
        request: rsip::Request,
        essentials: Essentials,
    ) {
        let source_ip = from.addr.ip();
        let trusted = self.config.trusted_sources.contains(&source_ip);
        // An untrusted address over UDP may not be where the INVITE came
        // from: a rejection is sent once, statelessly (§8.2.7), instead of
        // from a transaction that would repeat it ten times to the victim
        // of a spoofed source. A retransmitted INVITE is rejected again.
        let stateless = !trusted && !from.transport.is_reliable();
        let tx = (!stateless).then(|| {
            self.new_server_tx(key.clone(), Kind::ServerInvite, from, Method::Invite, None)
        });
        let local_tag = msg::random_token();
        let reject = |this: &mut Self, status: StatusCode, extra: Option<Header>| {
            let mut response = this.respond(&request, status, Some(&local_tag), from);
            response.headers.extend(extra.into_iter().collect());
            match tx {
                Some(tx) => this.send_response(now, tx, response),
                None => this.transmit(from, wire::to_bytes(&response.into())),
            }
        };
        if !self.accepting || self.calls.len() >= self.config.max_calls {
            self.counters.overload_rejections += 1;
            metrics::counter!("hotline_sip_overload_rejections_total").increment(1);
            let retry = other("Retry-After", self.config.retry_after.as_secs().to_string());
            return reject(self, StatusCode::ServiceUnavailable, Some(retry));
        }
        if !trusted {
            let unconfirmed = self
                .unconfirmed_by_source
                .get(&source_ip)
                .copied()
                .unwrap_or(0);
            if unconfirmed >= self.config.max_unconfirmed_calls_per_source {
                self.counters.source_call_limit_rejections += 1;
                metrics::counter!("hotline_sip_source_call_limit_rejections_total").increment(1);
                let retry = other("Retry-After", self.config.retry_after.as_secs().to_string());
                return reject(self, StatusCode::ServiceUnavailable, Some(retry));
            }
            let of_source = self.calls_by_source.get(&source_ip).copied().unwrap_or(0);
            let reserved = if self.config.trusted_sources.is_empty() {
                0
            } else {
                self.config.reserved_for_trusted
            };
            let untrusted_room = self.config.max_calls.saturating_sub(reserved);
            if of_source >= self.config.max_calls_per_source
                || self.untrusted_calls >= untrusted_room
            {
                self.counters.source_call_limit_rejections += 1;
                metrics::counter!("hotline_sip_source_call_limit_rejections_total").increment(1);
                let retry = other("Retry-After", self.config.retry_after.as_secs().to_string());
                return reject(self, StatusCode::ServiceUnavailable, Some(retry));
            }
        }
        let called = request.uri.user().unwrap_or_default().to_owned();
        if !self.config.numbers.contains(&called) {
            return reject(self, StatusCode::NotFound, None);
        }
        let remote_media = if request.body.is_empty() {
            None
        } else {
            let srtp = self.config.srtp_policy_for(source_ip);
            match sdp::negotiate_offer(&request.body, &self.config.codecs, srtp) {
                Ok(media) => Some(media),
                Err(error) => {
                    let code = error.warn_code();
                    let warning = other("Warning", format!("{code} hotline \"{error}\""));
                    return reject(self, StatusCode::NotAcceptableHere, Some(warning));
                }
            }
        };
        let from_value = first_header(&request, "From")
            .unwrap_or_default()
            .to_owned();
        let to_value = first_header(&request, "To").unwrap_or_default().to_owned();
        let caller = msg::uri_user(&from_value).unwrap_or_default().to_owned();
        let caller_display = display_name(&from_value);
        let remote_target = first_header(&request, "Contact")
            .map(|c| header_uri(msg::first_of_list(c)).to_owned())
            .unwrap_or_else(|| header_uri(&from_value).to_owned());
        let tx = match tx {
            Some(tx) => tx,
            None => self.new_server_tx(key, Kind::ServerInvite, from, Method::Invite, None),
        };
        let id = self.alloc_id();
        let handle = CallHandle(id);
        if let Some(entry) = self.transactions.get_mut(&tx) {
            entry.call = Some(handle);
        }
        self.dialogs
            .insert((essentials.call_id.clone(), local_tag.clone()), id);
        self.calls.insert(
            id,
            Call {
                role: Role::Uas,
                state: CallState::Early,
                call_id: essentials.call_id.clone(),
                local_tag: local_tag.clone(),
                remote_tag: essentials.from_tag.clone(),
                local_uri: strip_tag(&to_value),
                remote_uri: strip_tag(&from_value),
                remote_target,
                route_set: msg::record_routes(&request),
                local_cseq: 0,
                remote_cseq: Some(essentials.cseq),
                peer: from,
                invite_tx: Some(tx),
                invite: Some(request),
                local_media: None,
                ok_retransmit: None,
                ack_bytes: None,
                hangup_after_ack: false,
                cancel_on_provisional: false,
                ring_deadline: None,
                ending_reason: "",
                unconfirmed: !trusted,
            },
        );
        if !trusted {
            *self.calls_by_source.entry(source_ip).or_insert(0) += 1;
            *self.unconfirmed_by_source.entry(source_ip).or_insert(0) += 1;
            self.untrusted_calls += 1;
        }
        self.counters.calls_started += 1;
        metrics::gauge!("hotline_sip_active_calls").set(self.calls.len() as f64);
        // 100 Trying at once, so the caller stops retransmitting (§17.2.1).
        if let Some(call) = self.calls.get(&id) {
            if let Some(invite) = &call.invite {
                let trying = msg::response_to(invite, StatusCode::Trying, None, from.addr);
                self.send_response(now, tx, trying);
            }
        }
        self.event(Event::IncomingCall {
            call: handle,
            caller,
            caller_display,
            called,
            sip_call_id: essentials.call_id,
            source: from,
            remote_media,
        });
    }

    fn handle_ack(&mut self, now: Instant, request: &rsip::Request, essentials: &Essentials) {
        let Some(to_tag) = &essentials.to_tag else {
            return;
        };
        let Some(&id) = self
            .dialogs
            .get(&(essentials.call_id.clone(), to_tag.clone()))
        else {
            return;
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        // §13.2.2.4: the ACK carries the CSeq number of the INVITE it
        // acknowledges. Compare with that INVITE, not with the last remote
        // CSeq: an INFO or OPTIONS sent before the ACK must not make it stray.
        let invite_cseq = call.invite.as_ref().and_then(|invite| {
            first_header(invite, "CSeq")?
                .split_whitespace()
                .next()?
                .parse::<u32>()
                .ok()
        });
        if call.state != CallState::Answered || invite_cseq != Some(essentials.cseq) {
            return; // A retransmitted or stray ACK.
        }
        let reinvite = call.ok_retransmit.as_ref().is_some_and(|ok| ok.reinvite);
        call.ok_retransmit = None;
        call.state = CallState::Confirmed;
        let confirmed_source = std::mem::take(&mut call.unconfirmed).then(|| call.peer.addr.ip());
        let late_answer = if call.invite.as_ref().is_some_and(|i| i.body.is_empty())
            && !request.body.is_empty()
        {
            sdp::negotiate(&request.body, &self.config.codecs).ok()
        } else {
            None
        };
        call.invite = None;
        let hangup = call.hangup_after_ack;
        if let Some(ip) = confirmed_source {
            self.release_unconfirmed(ip);
        }
        if !reinvite {
            self.event(Event::CallConfirmed {
                call: CallHandle(id),
                remote_media: late_answer,
            });
        } else if let Some(media) = late_answer {
            // A re-INVITE without an offer: the ACK carried the new session.
            self.event(Event::RemoteMediaChanged {
                call: CallHandle(id),
                media,
            });
        }
        if hangup {
            self.send_bye(now, id, "local_hangup");
        }
    }

    fn handle_cancel(
        &mut self,
        now: Instant,
        from: Peer,
        key: TxKey,
        request: rsip::Request,
        essentials: &Essentials,
    ) {
        let tx = self.new_server_tx(key, Kind::ServerNonInvite, from, Method::Cancel, None);
        let invite_key = TxKey::server(essentials, &Method::Invite);
        let invite_tx = self.tx_index.get(&invite_key).copied();
        let Some(invite_tx) = invite_tx else {
            let response = self.respond(
                &request,
                StatusCode::CallTransactionDoesNotExist,
                None,
                from,
            );
            return self.send_response(now, tx, response);
        };
        let ok = self.respond(&request, StatusCode::OK, None, from);
        self.send_response(now, tx, ok);
        let Some(entry) = self.transactions.get(&invite_tx) else {
            return;
        };
        // A CANCEL that crossed our 200 OK changes nothing: the caller ACKs and sends BYE.
        if entry.tx.state != State::Proceeding {
            return;
        }
        let Some(CallHandle(id)) = entry.call else {
            return;
        };
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if let Some(invite) = &call.invite {
            let terminated = msg::response_to(
                invite,
                StatusCode::RequestTerminated,
                Some(&call.local_tag),
                from.addr,
            );
            self.send_response(now, invite_tx, terminated);
        }
        self.end_call(id, EndedBy::Remote, "cancel");
    }

    fn handle_register(
        &mut self,
        now: Instant,
        from: Peer,
        key: TxKey,
        request: rsip::Request,
        essentials: &Essentials,
    ) {
        let tx = self.new_server_tx(key, Kind::ServerNonInvite, from, Method::Register, None);
        let to_value = first_header(&request, "To").unwrap_or_default().to_owned();
        let to_user = msg::uri_user(&to_value).unwrap_or_default().to_owned();
        let contact = first_header(&request, "Contact").map(|c| msg::first_of_list(c).to_owned());
        let expires = contact
            .as_deref()
            .and_then(|c| header_param(c, "expires"))
            .or(first_header(&request, "Expires"))
            .and_then(|e| e.trim().parse().ok());
        let authorization = first_header(&request, "Authorization").map(str::to_owned);
        let outcome = self.registrar.register(
            &RegisterRequest {
                to_user: &to_user,
                authorization: authorization.as_deref(),
                contact: contact.as_deref(),
                expires,
                source: from.addr,
                transport: from.transport,
                request_uri: &request.uri,
                trusted: self.config.trusted_sources.contains(&from.addr.ip()),
            },
            now,
        );
        let _ = essentials;
        let tag = msg::random_token();
        let response = match outcome {
            RegisterOutcome::Challenge { headers } => {
                let mut r = self.respond(&request, StatusCode::Unauthorized, Some(&tag), from);
                for h in headers {
                    r.headers.push(other("WWW-Authenticate", h));
                }
                r
            }
            RegisterOutcome::Rejected { user, reason } => {
                self.counters.auth_failures += 1;
                metrics::counter!("hotline_sip_auth_failures_total").increment(1);
                self.event(Event::AuthFailed {
                    source: from.addr.ip(),
                    user,
                    reason,
                });
                let mut r = self.respond(&request, StatusCode::Forbidden, Some(&tag), from);
                r.headers
                    .push(other("Warning", format!("399 hotline \"{reason}\"")));
                r
            }
            RegisterOutcome::Blocked => {
                self.counters.auth_failures += 1;
                self.respond(&request, StatusCode::Forbidden, Some(&tag), from)
            }
            RegisterOutcome::IntervalTooBrief { min } => {
                let mut r = self.respond(&request, StatusCode::IntervalTooBrief, Some(&tag), from);
                r.headers
                    .push(other("Min-Expires", min.as_secs().to_string()));
                r
            }
            RegisterOutcome::Accepted {
                user,
                contact,
                expires,
            } => {
                let mut r = self.respond(&request, StatusCode::OK, Some(&tag), from);
                match &contact {
                    Some(c) => {
                        r.headers.push(other(
                            "Contact",
                            format!("<{c}>;expires={}", expires.as_secs()),
                        ));
                        self.event(Event::Registered {
                            user,
                            contact: c.clone(),
                            source: from,
                            expires,
                        });
                    }
                    None if expires.is_zero() => self.event(Event::Unregistered { user }),
                    None => {}
                }
                r
            }
        };
        self.send_response(now, tx, response);
    }

    fn handle_in_dialog(
        &mut self,
        now: Instant,
        from: Peer,
        key: TxKey,
        request: rsip::Request,
        essentials: Essentials,
    ) {
        let method = request.method;
        let kind = if method == Method::Invite {
            Kind::ServerInvite
        } else {
            Kind::ServerNonInvite
        };
        let tx = self.new_server_tx(key, kind, from, method, None);
        let to_tag = essentials.to_tag.clone().unwrap_or_default();
        let found = self
            .dialogs
            .get(&(essentials.call_id.clone(), to_tag.clone()))
            .copied();
        let Some(id) = found else {
            let response = self.respond(
                &request,
                StatusCode::CallTransactionDoesNotExist,
                None,
                from,
            );
            return self.send_response(now, tx, response);
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        // §12.2.2: a lower CSeq than seen is out of order.
        if let Some(last) = call.remote_cseq {
            if essentials.cseq < last || (essentials.cseq == last && method != Method::Ack) {
                let response =
                    msg::response_to(&request, StatusCode::ServerInternalError, None, from.addr);
                return self.send_response(now, tx, response);
            }
        }
        call.remote_cseq = Some(essentials.cseq);
        if let Some(entry) = self.transactions.get_mut(&tx) {
            entry.call = Some(CallHandle(id));
        }
        match method {
            Method::Bye => {
                let ok = msg::response_to(&request, StatusCode::OK, None, from.addr);
                self.send_response(now, tx, ok);
                // §15.1.2: a BYE on an early dialog leaves the INVITE
                // pending; it gets 487, or its transaction would never end
                // (found by fuzz/endpoint_sequence).
                let pending = self.calls.get(&id).and_then(|call| {
                    let (invite, invite_tx) = (call.invite.as_ref()?, call.invite_tx?);
                    (call.role == Role::Uas && call.state == CallState::Early).then(|| {
                        let terminated = msg::response_to(
                            invite,
                            StatusCode::RequestTerminated,
                            Some(&call.local_tag),
                            call.peer.addr,
                        );
                        (invite_tx, terminated)
                    })
                });
                if let Some((invite_tx, terminated)) = pending {
                    self.send_response(now, invite_tx, terminated);
                }
                self.end_call(id, EndedBy::Remote, "bye");
            }
            Method::Invite => self.handle_reinvite(now, id, tx, request, from),
            Method::Info => {
                let ok = msg::response_to(&request, StatusCode::OK, None, from.addr);
                self.send_response(now, tx, ok);
                if let Some((digit, duration_ms)) = parse_info_dtmf(&request) {
                    self.event(Event::InfoDtmf {
                        call: CallHandle(id),
                        digit,
                        duration_ms,
                    });
                }
            }
            Method::Options | Method::Update if request.body.is_empty() => {
                let mut ok = msg::response_to(&request, StatusCode::OK, None, from.addr);
                ok.headers.push(allow_header());
                self.send_response(now, tx, ok);
            }
            Method::Refer => {
                let refer_to = first_header(&request, "Refer-To").map(|r| header_uri(r).to_owned());
                match refer_to {
                    Some(refer_to) => {
                        let accepted = msg::response_to(
                            &request,
                            StatusCode::Other(202, "Accepted".into()),
                            None,
                            from.addr,
                        );
                        self.send_response(now, tx, accepted);
                        self.event(Event::ReferReceived {
                            call: CallHandle(id),
                            refer_to,
                        });
                    }
                    None => {
                        let bad =
                            msg::response_to(&request, StatusCode::BadRequest, None, from.addr);
                        self.send_response(now, tx, bad);
                    }
                }
            }
            Method::Notify => {
                let ok = msg::response_to(&request, StatusCode::OK, None, from.addr);
                self.send_response(now, tx, ok);
            }
            _ => {
                let mut response =
                    msg::response_to(&request, StatusCode::MethodNotAllowed, None, from.addr);
                response.headers.push(allow_header());
                self.send_response(now, tx, response);
            }
        }
    }

    fn handle_reinvite(
        &mut self,
        now: Instant,
        id: u64,
        tx: u64,
        request: rsip::Request,
        from: Peer,
    ) {
        let codecs = self.config.codecs.clone();
        let srtp = self.config.srtp_policy_for(from.addr.ip());
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.state != CallState::Confirmed || call.ok_retransmit.is_some() {
            // §14.2: a re-INVITE while one is pending gets 491 (or 500 before ACK).
            let status = StatusCode::RequestPending;
            let response = msg::response_to(&request, status, None, from.addr);
            return self.send_response(now, tx, response);
        }
        let negotiated = if request.body.is_empty() {
            None
        } else {
            let reoffer = sdp::negotiate_offer(&request.body, &codecs, srtp).and_then(|media| {
                match call.local_media.as_mut() {
                    Some(local) => sdp::keep_srtp_on_reoffer(local, &media).map(|()| media),
                    None => Ok(media),
                }
            });
            match reoffer {
                Ok(media) => Some(media),
                Err(error) => {
                    let mut response =
                        msg::response_to(&request, StatusCode::NotAcceptableHere, None, from.addr);
                    let code = error.warn_code();
                    response
                        .headers
                        .push(other("Warning", format!("{code} hotline \"{error}\"")));
                    return self.send_response(now, tx, response);
                }
            }
        };
        let Some(local) = call.local_media.as_mut() else {
            let response =
                msg::response_to(&request, StatusCode::NotAcceptableHere, None, from.addr);
            return self.send_response(now, tx, response);
        };
        local.version += 1;
        if let Some(media) = &negotiated {
            local.direction = media.remote_direction.answer();
            local.codecs = vec![media.codec];
            local.telephone_event_pt = media.telephone_event_pt;
        } else {
            local.direction = Direction::SendRecv;
        }
        let body = local.to_sdp().into_bytes();
        let contact = self.contact(from.transport);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let mut ok = msg::response_to(&request, StatusCode::OK, None, from.addr);
        ok.headers.push(contact);
        ok.headers.push(other("Content-Type", "application/sdp"));
        ok.body = body;
        let bytes = wire::to_bytes(&ok.clone().into());
        call.state = CallState::Answered;
        call.invite = Some(request);
        if !from.transport.is_reliable() {
            call.ok_retransmit = Some(OkRetransmit {
                bytes,
                next_at: now + self.config.timers.t1,
                interval: self.config.timers.t1,
                give_up_at: now + self.config.timers.transaction_timeout(),
                reinvite: true,
            });
            self.schedule(Some(now + self.config.timers.t1), TimerKey::Call(id));
        } else {
            call.ok_retransmit = Some(OkRetransmit {
                bytes,
                next_at: now + self.config.timers.transaction_timeout(),
                interval: self.config.timers.transaction_timeout(),
                give_up_at: now + self.config.timers.transaction_timeout(),
                reinvite: true,
            });
            self.schedule(
                Some(now + self.config.timers.transaction_timeout()),
                TimerKey::Call(id),
            );
        }
        self.send_response(now, tx, ok);
        if let Some(media) = negotiated {
            self.event(Event::RemoteMediaChanged {
                call: CallHandle(id),
                media,
            });
        }
    }

    fn contact(&self, transport: Transport) -> Header {
        other(
            "Contact",
            format!(
                "<sip:hotline@{}{}>",
                self.advertised_for(transport),
                transport.uri_suffix()
            ),
        )
    }

    /// The address we are reached at over `transport` (Via sent-by, Contact).
    fn advertised_for(&self, transport: Transport) -> SocketAddr {
        match (transport, self.config.advertised_tls) {
            (Transport::Tls, Some(tls)) => tls,
            _ => self.config.advertised,
        }
    }

    // ---------------------------------------------------------------- commands (UAS)

    /// Sends 180 Ringing for an incoming call.
    pub fn call_ring(&mut self, now: Instant, call: CallHandle) {
        let Some(c) = self.calls.get(&call.0) else {
            return;
        };
        if c.role != Role::Uas || c.state != CallState::Early {
            return;
        }
        let (Some(invite), Some(tx)) = (&c.invite, c.invite_tx) else {
            return;
        };
        let mut ringing =
            msg::response_to(invite, StatusCode::Ringing, Some(&c.local_tag), c.peer.addr);
        // Dialog-creating responses echo the Record-Route (§12.1.1).
        ringing.headers.extend(record_route_headers(&c.route_set));
        ringing.headers.push(self.contact(c.peer.transport));
        self.send_response(now, tx, ringing);
    }

    /// Answers an incoming call with our media (200 OK with SDP); the 200 is
    /// retransmitted until the ACK arrives (§13.3.1.4), and the call ends
    /// with `no_ack` if it never does.
    pub fn call_answer(&mut self, now: Instant, call: CallHandle, local: LocalMedia) {
        let contact;
        {
            let Some(c) = self.calls.get(&call.0) else {
                return;
            };
            if c.role != Role::Uas || c.state != CallState::Early {
                return;
            }
            contact = self.contact(c.peer.transport);
        }
        let timers = self.config.timers;
        let Some(c) = self.calls.get_mut(&call.0) else {
            return;
        };
        let (Some(invite), Some(tx)) = (&c.invite, c.invite_tx) else {
            return;
        };
        let mut ok = msg::response_to(invite, StatusCode::OK, Some(&c.local_tag), c.peer.addr);
        ok.headers.extend(record_route_headers(&c.route_set));
        ok.headers.push(contact);
        ok.headers.push(other("Content-Type", "application/sdp"));
        ok.headers.push(allow_header());
        ok.body = local.to_sdp().into_bytes();
        let bytes = wire::to_bytes(&ok.clone().into());
        c.local_media = Some(local);
        c.state = CallState::Answered;
        let reliable = c.peer.transport.is_reliable();
        let first = if reliable {
            timers.transaction_timeout()
        } else {
            timers.t1
        };
        c.ok_retransmit = Some(OkRetransmit {
            bytes,
            next_at: now + first,
            interval: first,
            give_up_at: now + timers.transaction_timeout(),
            reinvite: false,
        });
        self.schedule(Some(now + first), TimerKey::Call(call.0));
        self.send_response(now, tx, ok);
    }

    /// Rejects an incoming call that is not answered yet.
    pub fn call_reject(&mut self, now: Instant, call: CallHandle, status: u16) {
        let Some(c) = self.calls.get(&call.0) else {
            return;
        };
        if c.role != Role::Uas || c.state != CallState::Early {
            return;
        }
        let (Some(invite), Some(tx)) = (&c.invite, c.invite_tx) else {
            return;
        };
        // A rejection must be a final failure (3xx-6xx, §21): a 1xx would
        // leave the call half-ended and a 2xx would establish a dialog we
        // have just forgotten. Anything else becomes 480, like a hangup.
        let status = if (300..=699).contains(&status) {
            status
        } else {
            480
        };
        let response = msg::response_to(
            invite,
            StatusCode::from(status),
            Some(&c.local_tag),
            c.peer.addr,
        );
        self.send_response(now, tx, response);
        self.end_call(call.0, EndedBy::Local, "rejected");
    }

    /// Ends a call from our side: BYE if established, CANCEL if ringing out,
    /// 480 if not answered yet, BYE after the ACK if answered but not confirmed.
    pub fn call_hangup(&mut self, now: Instant, call: CallHandle) {
        let Some(c) = self.calls.get_mut(&call.0) else {
            return;
        };
        match (c.role, c.state) {
            (_, CallState::Confirmed) => self.send_bye(now, call.0, "local_hangup"),
            // A UAC call is Answered only while a re-INVITE's 2xx awaits its
            // ACK; the BYE waits for that ACK on both roles (§15).
            (_, CallState::Answered) => c.hangup_after_ack = true,
            (Role::Uas, CallState::Early) => self.call_reject(now, call, 480),
            (Role::Uac, CallState::Early) => self.send_cancel(now, call.0),
            (_, CallState::Ending) => {}
        }
    }

    /// Tells the sender of a REFER how the transfer goes (RFC 3515 §2.4.4):
    /// a NOTIFY in the call's dialog with `Event: refer` and a
    /// `message/sipfrag` body holding `status` (e.g. "100 Trying",
    /// "200 OK", "603 Declined"). `last` ends the implicit subscription
    /// (`Subscription-State: terminated`). The NOTIFY's answer changes
    /// nothing about the call.
    pub fn call_notify_refer(&mut self, now: Instant, call: CallHandle, status: &str, last: bool) {
        if !self
            .calls
            .get(&call.0)
            .is_some_and(|c| c.state == CallState::Confirmed)
        {
            return;
        }
        let transport = self.calls.get(&call.0).map(|c| c.peer.transport);
        let Some((mut request, branch)) = self.in_dialog_request(call.0, Method::Notify) else {
            return;
        };
        let advertised = transport.map(|t| (self.advertised_for(t), t.uri_suffix()));
        if let Some((at, param)) = advertised {
            request
                .headers
                .push(other("Contact", format!("<sip:{at}{param}>")));
        }
        request.headers.push(other("Event", "refer"));
        request.headers.push(other(
            "Subscription-State",
            if last {
                "terminated;reason=noresource"
            } else {
                "active;expires=60"
            },
        ));
        request
            .headers
            .push(other("Content-Type", "message/sipfrag;version=2.0"));
        request.body = format!("SIP/2.0 {status}\r\n").into_bytes();
        self.start_client_tx(now, call.0, request, &branch);
    }

    // ---------------------------------------------------------------- commands (UAC)

    /// Places a call (INVITE with our offer). Progress comes as events.
    pub fn call_place(&mut self, now: Instant, outgoing: OutgoingCall) -> CallHandle {
        let id = self.alloc_id();
        let local_tag = msg::random_token();
        let call_id = format!("{}@hotline", msg::random_token());
        let branch = format!("{}{}", msg::MAGIC_COOKIE, msg::random_token());
        let transport = outgoing.peer.transport;
        let display = outgoing
            .from_display
            .as_deref()
            .map(|d| format!("\"{}\" ", d.replace('"', "")))
            .unwrap_or_default();
        let local_uri = format!(
            "{display}<sip:{}@{}>",
            outgoing.from_user, self.config.advertised
        );
        let remote_uri = format!("<{}>", outgoing.target);
        let mut headers = rsip::Headers::default();
        headers.push(Header::Via(self.via(transport, &branch).into()));
        headers.push(Header::MaxForwards(70.into()));
        headers.push(Header::From(format!("{local_uri};tag={local_tag}").into()));
        headers.push(Header::To(remote_uri.clone().into()));
        headers.push(Header::CallId(call_id.clone().into()));
        headers.push(Header::CSeq("1 INVITE".into()));
        headers.push(self.contact(transport));
        headers.push(allow_header());
        headers.push(other("Content-Type", "application/sdp"));
        // SocketAddr's Display brackets IPv6 hosts; rsip's own IpAddr host
        // would print them bare (`sip:::1:5060`), so go through parse_uri.
        let uri = msg::parse_uri(&outgoing.target)
            .or_else(|| msg::parse_uri(&format!("sip:{}", outgoing.peer.addr)))
            .unwrap_or_default();
        let request = rsip::Request {
            method: Method::Invite,
            uri,
            version: rsip::Version::V2,
            headers,
            body: outgoing.local_media.to_sdp().into_bytes(),
        };
        let bytes = wire::to_bytes(&request.clone().into());
        let tx_id = self.alloc_id();
        let key = TxKey::client(&branch, &Method::Invite);
        let tx = Transaction::client(
            Kind::ClientInvite,
            transport.is_reliable(),
            self.config.timers,
            bytes.clone(),
            now,
        );
        let deadline = tx.deadline();
        self.tx_index.insert(key.clone(), tx_id);
        self.transactions.insert(
            tx_id,
            TxEntry {
                key,
                tx,
                peer: outgoing.peer,
                call: Some(CallHandle(id)),
                method: Method::Invite,
            },
        );
        self.schedule(deadline, TimerKey::Tx(tx_id));
        self.dialogs
            .insert((call_id.clone(), local_tag.clone()), id);
        let ring_deadline = now + self.config.ring_timeout;
        self.calls.insert(
            id,
            Call {
                role: Role::Uac,
                state: CallState::Early,
                call_id,
                local_tag,
                remote_tag: None,
                local_uri,
                remote_uri,
                remote_target: outgoing.target,
                route_set: Vec::new(),
                local_cseq: 1,
                remote_cseq: None,
                peer: outgoing.peer,
                invite_tx: Some(tx_id),
                invite: Some(request),
                local_media: Some(outgoing.local_media),
                ok_retransmit: None,
                ack_bytes: None,
                hangup_after_ack: false,
                cancel_on_provisional: false,
                ring_deadline: Some(ring_deadline),
                ending_reason: "",
                unconfirmed: false,
            },
        );
        self.schedule(Some(ring_deadline), TimerKey::Call(id));
        metrics::gauge!("hotline_sip_active_calls").set(self.calls.len() as f64);
        self.transmit(outgoing.peer, bytes);
        CallHandle(id)
    }

    fn via(&self, transport: Transport, branch: &str) -> String {
        format!(
            "SIP/2.0/{} {};branch={branch};rport",
            transport.via_name(),
            self.advertised_for(transport)
        )
    }

    /// Builds an in-dialog request (BYE, re-INVITE) for call `id`.
    fn in_dialog_request(&mut self, id: u64, method: Method) -> Option<(rsip::Request, String)> {
        let transport = self.calls.get(&id)?.peer.transport;
        let advertised = self.advertised_for(transport);
        let call = self.calls.get_mut(&id)?;
        call.local_cseq += 1;
        let branch = format!("{}{}", msg::MAGIC_COOKIE, msg::random_token());
        let mut headers = rsip::Headers::default();
        headers.push(Header::Via(
            format!(
                "SIP/2.0/{} {advertised};branch={branch};rport",
                transport.via_name()
            )
            .into(),
        ));
        headers.push(Header::MaxForwards(70.into()));
        headers.push(Header::From(
            format!("{};tag={}", call.local_uri, call.local_tag).into(),
        ));
        let to = match &call.remote_tag {
            Some(tag) => format!("{};tag={tag}", call.remote_uri),
            None => call.remote_uri.clone(),
        };
        headers.push(Header::To(to.into()));
        headers.push(Header::CallId(call.call_id.clone().into()));
        headers.push(Header::CSeq(format!("{} {method}", call.local_cseq).into()));
        for route in &call.route_set {
            headers.push(other("Route", route.clone()));
        }
        let uri = msg::parse_uri(&call.remote_target)?;
        Some((
            rsip::Request {
                method,
                uri,
                version: rsip::Version::V2,
                headers,
                body: Vec::new(),
            },
            branch,
        ))
    }

    fn start_client_tx(&mut self, now: Instant, id: u64, request: rsip::Request, branch: &str) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let peer = call.peer;
        let method = request.method;
        let bytes = wire::to_bytes(&request.into());
        let kind = if method == Method::Invite {
            Kind::ClientInvite
        } else {
            Kind::ClientNonInvite
        };
        let tx = Transaction::client(
            kind,
            peer.transport.is_reliable(),
            self.config.timers,
            bytes.clone(),
            now,
        );
        let deadline = tx.deadline();
        let tx_id = self.alloc_id();
        let key = TxKey::client(branch, &method);
        self.tx_index.insert(key.clone(), tx_id);
        self.transactions.insert(
            tx_id,
            TxEntry {
                key,
                tx,
                peer,
                call: Some(CallHandle(id)),
                method,
            },
        );
        self.schedule(deadline, TimerKey::Tx(tx_id));
        self.transmit(peer, bytes);
    }

    fn send_bye(&mut self, now: Instant, id: u64, reason: &'static str) {
        let Some((request, branch)) = self.in_dialog_request(id, Method::Bye) else {
            self.end_call(id, EndedBy::Local, reason);
            return;
        };
        if let Some(call) = self.calls.get_mut(&id) {
            call.state = CallState::Ending;
            call.ending_reason = reason;
            call.ok_retransmit = None;
        }
        self.start_client_tx(now, id, request, &branch);
    }

    fn send_cancel(&mut self, now: Instant, id: u64) {
        let invite_tx = self.calls.get(&id).and_then(|c| c.invite_tx);
        let invite_state = invite_tx
            .and_then(|tx| self.transactions.get(&tx))
            .map(|e| e.tx.state);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if invite_state == Some(State::Calling) {
            // §9.1: no CANCEL before a provisional response; send it when one
            // arrives, or let timer B end the call if none ever does.
            call.state = CallState::Ending;
            call.ending_reason = "cancel";
            call.cancel_on_provisional = true;
            return;
        }
        call.cancel_on_provisional = false;
        let Some(invite) = &call.invite else { return };
        // §9.1: CANCEL copies the INVITE's Request-URI, Via (same branch), From, To, Call-ID.
        let mut headers = rsip::Headers::default();
        let mut branch = String::new();
        for h in invite.headers.iter() {
            match h {
                Header::Via(v) if branch.is_empty() => {
                    branch = header_param(
                        &format!("x;{}", v.value().split_once(';').map_or("", |(_, p)| p)),
                        "branch",
                    )
                    .unwrap_or_default()
                    .to_owned();
                    headers.push(h.clone());
                }
                Header::From(_) | Header::To(_) | Header::CallId(_) | Header::MaxForwards(_) => {
                    headers.push(h.clone())
                }
                _ => {}
            }
        }
        headers.push(Header::CSeq("1 CANCEL".into()));
        let cancel = rsip::Request {
            method: Method::Cancel,
            uri: invite.uri.clone(),
            version: rsip::Version::V2,
            headers,
            body: Vec::new(),
        };
        call.state = CallState::Ending;
        call.ending_reason = "cancel";
        self.start_client_tx(now, id, cancel, &branch);
        if let Some(tx_id) = invite_tx {
            if let Some(entry) = self.transactions.get_mut(&tx_id) {
                entry.tx.on_cancel_sent(now);
                let deadline = entry.tx.deadline();
                self.schedule(deadline, TimerKey::Tx(tx_id));
            }
        }
    }

    /// One untrusted call of `ip` is confirmed or over.
    fn release_unconfirmed(&mut self, ip: IpAddr) {
        if let std::collections::hash_map::Entry::Occupied(mut held) =
            self.unconfirmed_by_source.entry(ip)
        {
            *held.get_mut() = held.get().saturating_sub(1);
            if *held.get() == 0 {
                held.remove();
            }
        }
    }

    fn end_call(&mut self, id: u64, by: EndedBy, reason: &'static str) {
        if let Some(call) = self.calls.remove(&id) {
            let source_ip = call.peer.addr.ip();
            if call.unconfirmed {
                self.release_unconfirmed(source_ip);
            }
            if call.role == Role::Uas && !self.config.trusted_sources.contains(&source_ip) {
                self.untrusted_calls = self.untrusted_calls.saturating_sub(1);
                if let std::collections::hash_map::Entry::Occupied(mut held) =
                    self.calls_by_source.entry(source_ip)
                {
                    *held.get_mut() -= 1;
                    if *held.get() == 0 {
                        held.remove();
                    }
                }
            }
            self.dialogs.remove(&(call.call_id, call.local_tag));
            metrics::gauge!("hotline_sip_active_calls").set(self.calls.len() as f64);
            self.event(Event::CallEnded {
                call: CallHandle(id),
                by,
                reason,
            });
        }
    }

    // ---------------------------------------------------------------- registration (client)

    /// Registers this endpoint with a registrar (RFC 3261 §10), answering
    /// its digest challenge. The outcome comes as [`Event::ClientRegistered`]
    /// (again at every refresh, sent before the binding expires) or
    /// [`Event::ClientRegistrationFailed`].
    pub fn register(&mut self, now: Instant, registration: Registration) -> RegistrationId {
        let id = self.alloc_id();
        self.registrations.insert(
            id,
            RegistrationEntry {
                core: ClientRegistration::new(registration),
                in_flight: None,
                next_at: None,
                unregistering: false,
            },
        );
        self.send_register(now, id);
        RegistrationId(id)
    }

    /// Removes our binding (REGISTER with Expires: 0, once any request in
    /// flight is answered); [`Event::ClientUnregistered`] follows.
    pub fn unregister(&mut self, now: Instant, registration: RegistrationId) {
        let Some(entry) = self.registrations.get_mut(&registration.0) else {
            return;
        };
        entry.unregistering = true;
        entry.next_at = None;
        if entry.in_flight.is_none() {
            self.send_register(now, registration.0);
        }
    }

    /// Whether the registrar holds our binding for `registration` now.
    pub fn is_registered(&self, registration: RegistrationId) -> bool {
        self.registrations
            .get(&registration.0)
            .is_some_and(|e| e.core.registered)
    }

    fn send_register(&mut self, now: Instant, id: u64) {
        let transport = self
            .registrations
            .get(&id)
            .map_or(Transport::Udp, |e| e.core.config.peer.transport);
        let advertised = self.advertised_for(transport);
        let timers = self.config.timers;
        let tx_id = self.alloc_id();
        let branch = format!("{}{}", msg::MAGIC_COOKIE, msg::random_token());
        let Some(entry) = self.registrations.get_mut(&id) else {
            return;
        };
        let request = entry.core.request(advertised, &branch, entry.unregistering);
        let peer = entry.core.config.peer;
        entry.in_flight = Some(tx_id);
        entry.next_at = None;
        let bytes = wire::to_bytes(&request.into());
        let tx = Transaction::client(
            Kind::ClientNonInvite,
            peer.transport.is_reliable(),
            timers,
            bytes.clone(),
            now,
        );
        let deadline = tx.deadline();
        let key = TxKey::client(&branch, &Method::Register);
        self.tx_index.insert(key.clone(), tx_id);
        self.transactions.insert(
            tx_id,
            TxEntry {
                key,
                tx,
                peer,
                call: None,
                method: Method::Register,
            },
        );
        self.register_txs.insert(tx_id, id);
        self.schedule(deadline, TimerKey::Tx(tx_id));
        self.transmit(peer, bytes);
    }

    fn registration_response(&mut self, now: Instant, id: u64, response: &rsip::Response) {
        let Some(entry) = self.registrations.get_mut(&id) else {
            return;
        };
        entry.in_flight = None;
        let registration = RegistrationId(id);
        match entry.core.on_final_response(response) {
            Decision::Again => self.send_register(now, id),
            Decision::Registered { .. } if entry.unregistering => self.send_register(now, id),
            Decision::Registered { expires } => {
                let at = now + registration::refresh_after(expires);
                entry.next_at = Some(at);
                self.schedule(Some(at), TimerKey::Registration(id));
                self.event(Event::ClientRegistered {
                    registration,
                    expires,
                });
            }
            Decision::Unregistered => {
                self.registrations.remove(&id);
                self.event(Event::ClientUnregistered { registration });
            }
            Decision::Failed { status, reason } => {
                self.registration_failed(now, id, status, reason)
            }
        }
    }

    fn registration_failed(&mut self, now: Instant, id: u64, status: u16, reason: &'static str) {
        let Some(entry) = self.registrations.get_mut(&id) else {
            return;
        };
        entry.in_flight = None;
        entry.core.registered = false;
        let retry = entry.core.config.retry_after_failure;
        let registration = RegistrationId(id);
        match retry {
            Some(after) if !entry.unregistering => {
                let at = now + after;
                entry.next_at = Some(at);
                self.schedule(Some(at), TimerKey::Registration(id));
            }
            // Removing, or not to be retried: a binding left behind lapses
            // at the registrar on its own.
            _ => {
                self.registrations.remove(&id);
            }
        }
        self.event(Event::ClientRegistrationFailed {
            registration,
            status,
            reason,
        });
    }

    /// A refresh or a retry is due (or a stale timer entry, ignored).
    fn registration_timer(&mut self, now: Instant, id: u64) {
        let Some(entry) = self.registrations.get_mut(&id) else {
            return;
        };
        if entry.in_flight.is_some() || entry.next_at.is_none_or(|at| at > now) {
            return;
        }
        entry.core.new_attempt();
        self.send_register(now, id);
    }

    // ---------------------------------------------------------------- responses

    fn handle_response(&mut self, now: Instant, response: rsip::Response, essentials: Essentials) {
        let key = TxKey::client(&essentials.branch, &essentials.cseq_method);
        let code = response.status_code.code();
        let Some(&tx_id) = self.tx_index.get(&key) else {
            // A 2xx retransmission after our INVITE transaction ended: ACK it again.
            if code / 100 == 2 && essentials.cseq_method == Method::Invite {
                self.reack_2xx(&essentials);
            }
            return;
        };
        let Some(entry) = self.transactions.get_mut(&tx_id) else {
            return;
        };
        let call = entry.call;
        let method = entry.method;
        let peer = entry.peer;
        let outcome = entry.tx.on_response(now, code);
        let deadline = entry.tx.deadline();
        self.schedule(deadline, TimerKey::Tx(tx_id));
        match outcome {
            ClientResponseOutcome::Absorb => return,
            ClientResponseOutcome::Reack => {
                if let Some(bytes) = self
                    .transactions
                    .get(&tx_id)
                    .and_then(|e| e.tx.ack_bytes())
                    .map(<[u8]>::to_vec)
                {
                    self.transmit(peer, bytes);
                }
                return;
            }
            ClientResponseOutcome::DeliverAndAck => {
                let ack = self.non_2xx_ack(tx_id, &response);
                if let Some(ack) = ack {
                    if let Some(entry) = self.transactions.get_mut(&tx_id) {
                        entry.tx.set_ack_bytes(ack.clone());
                    }
                    self.transmit(peer, ack);
                }
            }
            ClientResponseOutcome::Deliver => {}
        }
        if let Some(&registration) = self.register_txs.get(&tx_id) {
            if code >= 200 {
                self.register_txs.remove(&tx_id);
                self.registration_response(now, registration, &response);
            }
            return;
        }
        let Some(CallHandle(id)) = call else { return };
        match method {
            Method::Invite => self.invite_response(now, id, code, &response, &essentials),
            Method::Bye if code >= 200 => {
                let reason = self
                    .calls
                    .get(&id)
                    .map_or("local_hangup", |c| c.ending_reason);
                self.end_call(id, EndedBy::Local, reason);
            }
            _ => {}
        }
    }

    /// Builds the ACK for a non-2xx final (§17.1.1.3): same branch as the INVITE.
    fn non_2xx_ack(&mut self, tx_id: u64, response: &rsip::Response) -> Option<Vec<u8>> {
        let entry = self.transactions.get_mut(&tx_id)?;
        let call = entry.call?;
        let invite = self.calls.get(&call.0)?.invite.as_ref()?;
        let mut headers = rsip::Headers::default();
        for h in invite.headers.iter() {
            match h {
                Header::Via(_) | Header::From(_) | Header::CallId(_) | Header::MaxForwards(_) => {
                    headers.push(h.clone())
                }
                _ => {}
            }
        }
        if let Some(to) = first_header(response, "To") {
            headers.push(Header::To(to.into()));
        }
        headers.push(Header::CSeq("1 ACK".into()));
        let ack = rsip::Request {
            method: Method::Ack,
            uri: invite.uri.clone(),
            version: rsip::Version::V2,
            headers,
            body: Vec::new(),
        };
        let bytes = wire::to_bytes(&ack.into());
        Some(bytes)
    }

    fn invite_response(
        &mut self,
        now: Instant,
        id: u64,
        code: u16,
        response: &rsip::Response,
        essentials: &Essentials,
    ) {
        let codecs = self.config.codecs.clone();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if (100..200).contains(&code) && call.cancel_on_provisional {
            // The hangup asked for before any provisional can go out now (§9.1).
            self.send_cancel(now, id);
            return;
        }
        match code {
            100 => {}
            101..=199 => {
                if call.remote_tag.is_none() {
                    call.remote_tag = essentials.to_tag.clone();
                }
                self.event(Event::OutgoingProgress {
                    call: CallHandle(id),
                    status: code,
                });
            }
            200..=299 => {
                if call.ack_bytes.is_some() {
                    // Retransmitted 2xx: ACK again.
                    let bytes = call.ack_bytes.clone().unwrap_or_default();
                    let peer = call.peer;
                    self.transmit(peer, bytes);
                    return;
                }
                call.remote_tag = essentials.to_tag.clone();
                if let Some(contact) = first_header(response, "Contact") {
                    call.remote_target = header_uri(msg::first_of_list(contact)).to_owned();
                }
                // The UAC's route set is the 2xx's Record-Route, reversed (§12.1.2).
                call.route_set = msg::record_routes(response);
                call.route_set.reverse();
                let cancelled = call.state == CallState::Ending;
                call.state = CallState::Confirmed;
                call.ring_deadline = None;
                let media = sdp::negotiate(&response.body, &codecs).ok();
                // The 2xx ACK is its own transaction (§13.2.2.4), same CSeq number.
                let ack = self.in_dialog_request(id, Method::Ack).map(|(mut ack, _)| {
                    if let Some(c) = self.calls.get_mut(&id) {
                        c.local_cseq -= 1;
                        ack.headers.retain(|h| !matches!(h, Header::CSeq(_)));
                        ack.headers
                            .push(Header::CSeq(format!("{} ACK", essentials.cseq).into()));
                    }
                    wire::to_bytes(&ack.into())
                });
                let Some(ack) = ack else {
                    self.end_call(id, EndedBy::Local, "bad_contact");
                    return;
                };
                let Some(call) = self.calls.get_mut(&id) else {
                    return;
                };
                call.ack_bytes = Some(ack.clone());
                call.invite = None;
                let peer = call.peer;
                self.transmit(peer, ack);
                if cancelled {
                    // Our CANCEL crossed their 200 OK: ACK, then BYE (§9.1).
                    self.send_bye(now, id, "cancel");
                } else {
                    self.event(Event::OutgoingAnswered {
                        call: CallHandle(id),
                        remote_media: media,
                    });
                }
            }
            _ => {
                let reason = if call.state == CallState::Ending {
                    "cancel"
                } else {
                    "rejected"
                };
                self.event(Event::OutgoingFailed {
                    call: CallHandle(id),
                    status: code,
                });
                self.end_call(id, EndedBy::Remote, reason);
            }
        }
    }

    fn reack_2xx(&mut self, essentials: &Essentials) {
        let Some(from_tag) = &essentials.from_tag else {
            return;
        };
        let Some(&id) = self
            .dialogs
            .get(&(essentials.call_id.clone(), from_tag.clone()))
        else {
            return;
        };
        if let Some(call) = self.calls.get(&id) {
            if let Some(ack) = call.ack_bytes.clone() {
                let peer = call.peer;
                self.transmit(peer, ack);
            }
        }
    }

    // ---------------------------------------------------------------- timers

    /// Runs every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(Reverse((at, key))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            match key {
                TimerKey::Tx(id) => self.tx_timeout(now, id),
                TimerKey::Call(id) => self.call_timeout(now, id),
                TimerKey::Registration(id) => self.registration_timer(now, id),
            }
        }
    }

    fn tx_timeout(&mut self, now: Instant, id: u64) {
        let Some(entry) = self.transactions.get_mut(&id) else {
            return;
        };
        let outcome = entry.tx.on_timeout(now);
        let peer = entry.peer;
        let call = entry.call;
        let method = entry.method;
        let kind = entry.tx.kind;
        match outcome {
            // A stale entry (the deadline moved later; its new time is queued too).
            TimerOutcome::Nothing => {}
            TimerOutcome::Retransmit(bytes) => {
                let deadline = entry.tx.deadline();
                self.transmit(peer, bytes);
                self.schedule(deadline, TimerKey::Tx(id));
            }
            TimerOutcome::TimedOut | TimerOutcome::Terminated => {
                if let Some(entry) = self.transactions.remove(&id) {
                    self.tx_index.remove(&entry.key);
                    // Only server transactions were counted against their
                    // source (new_server_tx); ours to it must not free its slots.
                    let counted = entry.key.server;
                    if let Some(source) = self
                        .sources
                        .get_mut(&entry.peer.addr.ip())
                        .filter(|_| counted)
                    {
                        source.live_transactions = source.live_transactions.saturating_sub(1);
                    }
                }
                metrics::gauge!("hotline_sip_transactions").set(self.transactions.len() as f64);
                if let Some(registration) = self.register_txs.remove(&id) {
                    // Timer F: the registrar never answered.
                    self.registration_failed(
                        now,
                        registration,
                        408,
                        "no answer from the registrar",
                    );
                }
                if outcome == TimerOutcome::TimedOut {
                    if let Some(CallHandle(call_id)) = call {
                        match (kind, method) {
                            (Kind::ClientInvite, _) => {
                                self.event(Event::OutgoingFailed {
                                    call: CallHandle(call_id),
                                    status: 408,
                                });
                                self.end_call(call_id, EndedBy::Remote, "timeout");
                            }
                            (Kind::ClientNonInvite, Method::Bye) => {
                                self.end_call(call_id, EndedBy::Local, "bye_timeout")
                            }
                            (Kind::ClientNonInvite, Method::Cancel) => {
                                self.end_call(call_id, EndedBy::Local, "cancel")
                            }
                            _ => {}
                        }
                    }
                }
                // Forget sources that have nothing live, so scans cost no memory.
                // The threshold doubles with what survives a prune: with more
                // than 10,000 busy sources a fixed threshold would scan the
                // whole map at every transaction end (a cost a spoofed-source
                // flood could impose); doubling keeps it amortised O(1).
                if self.sources.len() > self.sources_prune_at {
                    self.sources.retain(|_, s| s.live_transactions > 0);
                    self.sources_prune_at = (self.sources.len() * 2).max(10_000);
                }
            }
        }
    }

    fn call_timeout(&mut self, now: Instant, id: u64) {
        let t2 = self.config.timers.t2;
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if let Some(ring) = call.ring_deadline {
            if ring <= now && call.state == CallState::Early && call.role == Role::Uac {
                call.ring_deadline = None;
                self.send_cancel(now, id);
                return;
            }
        }
        let Some(ok) = call.ok_retransmit.as_mut() else {
            return;
        };
        if ok.give_up_at <= now {
            // No ACK for our 200 within 64·T1 (§13.3.1.4): confirm and end with BYE.
            let reinvite = ok.reinvite;
            call.ok_retransmit = None;
            call.state = CallState::Confirmed;
            call.invite = None;
            if reinvite {
                // A re-INVITE's 2xx went unacknowledged: the dialog stays.
                // (Told apart by a flag, not the SDP version, which the
                // controller chooses and need not start at 1.)
                return;
            }
            if call.unconfirmed && !call.peer.transport.is_reliable() {
                // An untrusted address over UDP that never answered: most
                // likely a spoofed source. A BYE (itself repeated eleven
                // times) would only be more traffic at its victim; the
                // dialog simply ends here.
                self.end_call(id, EndedBy::Local, "no_ack");
                return;
            }
            self.send_bye(now, id, "no_ack");
            return;
        }
        if ok.next_at <= now {
            ok.interval = (ok.interval * 2).min(t2);
            ok.next_at = (now + ok.interval).min(ok.give_up_at);
            let (bytes, next, peer) = (ok.bytes.clone(), ok.next_at, call.peer);
            if !peer.transport.is_reliable() {
                self.transmit(peer, bytes);
            }
            self.schedule(Some(next), TimerKey::Call(id));
        }
    }
}

fn allow_header() -> Header {
    other(
        "Allow",
        "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REFER, NOTIFY, REGISTER, UPDATE",
    )
}

fn strip_tag(value: &str) -> String {
    match value.rfind('>') {
        Some(close) => value[..=close].to_owned(),
        None => value.split(";tag=").next().unwrap_or(value).to_owned(),
    }
}

fn display_name(value: &str) -> Option<String> {
    let before = value.split('<').next()?.trim();
    let name = before.trim_matches('"').trim();
    (!name.is_empty() && value.contains('<')).then(|| name.to_owned())
}

/// DTMF in SIP INFO: `application/dtmf-relay` (`Signal=5\r\nDuration=160`)
/// or `application/dtmf` (the digit alone).
fn parse_info_dtmf(request: &rsip::Request) -> Option<(char, u32)> {
    let content_type = first_header(request, "Content-Type")?.to_ascii_lowercase();
    let body = std::str::from_utf8(&request.body).ok()?;
    let valid = |c: char| matches!(c, '0'..='9' | '*' | '#' | 'A'..='D');
    if content_type.starts_with("application/dtmf-relay") {
        let mut digit = None;
        let mut duration = 160;
        for line in body.lines() {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            match k.trim().to_ascii_lowercase().as_str() {
                "signal" => digit = v.trim().chars().next().map(|c| c.to_ascii_uppercase()),
                "duration" => duration = v.trim().parse().unwrap_or(160),
                _ => {}
            }
        }
        digit.filter(|d| valid(*d)).map(|d| (d, duration))
    } else if content_type.starts_with("application/dtmf") {
        let d = body.trim().chars().next()?.to_ascii_uppercase();
        valid(d).then_some((d, 160))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_dtmf_forms() {
        let mk = |ct: &str, body: &str| rsip::Request {
            method: Method::Info,
            uri: rsip::Uri::default(),
            version: rsip::Version::V2,
            headers: rsip::Headers::from(other("Content-Type", ct)),
            body: body.as_bytes().to_vec(),
        };
        assert_eq!(
            parse_info_dtmf(&mk(
                "application/dtmf-relay",
                "Signal=5\r\nDuration=250\r\n"
            )),
            Some(('5', 250))
        );
        assert_eq!(
            parse_info_dtmf(&mk("application/dtmf", "#")),
            Some(('#', 160))
        );
        assert_eq!(parse_info_dtmf(&mk("application/dtmf", "x")), None);
        assert_eq!(parse_info_dtmf(&mk("text/plain", "5")), None);
    }

    #[test]
    fn display_names() {
        assert_eq!(
            display_name("\"Li Wei\" <sip:1@h>;tag=x").as_deref(),
            Some("Li Wei")
        );
        assert_eq!(display_name("<sip:1@h>"), None);
        assert_eq!(strip_tag("<sip:1@h>;tag=x"), "<sip:1@h>");
    }
}
