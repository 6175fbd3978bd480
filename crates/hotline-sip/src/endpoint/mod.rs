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
//!
//! The code is split by what each part owns, each with its own
//! `impl Endpoint`:
//!
//! - here: the public types, the endpoint's state, the entry points for
//!   input and output, and the transaction timers both sides share;
//! - `server`: requests that arrive, their server transactions and the
//!   responses we send (REGISTER to our registrar included);
//! - `dialog`: requests within a dialog, the `call_*` commands on a call,
//!   ending a call, and the call timers;
//! - `client`: outgoing calls, client transactions and the responses they
//!   get;
//! - `client_registration`: our own registrations with a registrar;
//! - `guard`: per-source admission, scanner detection and the count of
//!   calls not yet confirmed.

mod client;
mod client_registration;
mod dialog;
mod guard;
mod server;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rsip::{Header, Method, StatusCode};

use crate::msg::{self, first_header, other, Essentials};
use crate::registrar::{Registrar, RegistrarConfig};
use crate::registration::RegistrationId;
use crate::sdp::{Codec, LocalMedia, NegotiatedMedia, SrtpPolicy};
use crate::transaction::{Kind, TimerConfig, TimerOutcome, Transaction};
use crate::wire;

use client_registration::RegistrationEntry;
use guard::SourceState;
use server::MergeKey;

/// A transport the endpoint can send over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
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
}

fn allow_header() -> Header {
    other(
        "Allow",
        "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REFER, NOTIFY, REGISTER, UPDATE",
    )
}
