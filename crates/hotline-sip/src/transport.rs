//! The tokio driver around the sans-IO [`Endpoint`]: UDP and TCP sockets,
//! the clock, and a command channel for the call controller.
//!
//! One task owns the endpoint. Socket tasks frame and parse messages before
//! handing them over, so parsing runs on every core while the state machine
//! stays single-owner. When the endpoint falls behind, new INVITEs are
//! answered 503 with Retry-After straight from the socket task (cheap load
//! shedding) instead of being queued into a collapse of retransmissions.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use crate::endpoint::{
    CallHandle, ConnectionId, Counters, Endpoint, Event, OutgoingCall, Output, Peer, Transport,
};
use crate::registrar::Binding;
use crate::registration::{Registration, RegistrationId};
use crate::sdp::LocalMedia;
use crate::tls::TlsIdentity;
use crate::wire::{self, Framed, StreamFramer};

/// Socket buffer size asked of the kernel for SIP over UDP.
const UDP_BUFFER_BYTES: usize = 4 * 1024 * 1024;

/// Errors starting the transports.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    #[error("cannot bind SIP {transport} on {addr}: {source}")]
    Bind {
        transport: &'static str,
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the SIP driver has stopped")]
    Stopped,
}

/// Socket settings.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// Addresses to listen on with both UDP and TCP.
    pub listen: Vec<SocketAddr>,
    pub max_message_bytes: usize,
    /// Parsed messages waiting for the endpoint; beyond half of this, new
    /// INVITEs are shed with 503.
    pub queue_capacity: usize,
    /// UDP receive tasks per socket.
    pub udp_readers: usize,
    pub retry_after: Duration,
    /// TCP connections open at once, accepted and our own; past this new
    /// connections are closed at once.
    pub max_tcp_connections: usize,
    /// TCP connections one address may hold (trusted sources exempt).
    pub max_tcp_connections_per_source: usize,
    /// Messages waiting to be written on one TCP connection; a peer that
    /// lets more pile up is not reading, and its connection is closed.
    pub tcp_write_queue: usize,
    /// A TCP connection with no byte read for this long is closed
    /// (keep-alives count).
    pub tcp_idle_timeout: Duration,
    /// Sources exempt from the per-source connection limit (trunks, the
    /// load balancer in front).
    pub trusted_sources: Vec<IpAddr>,
    /// SIP over TLS on these addresses (usually port 5061), with this
    /// identity; connections the hotline opens to TLS peers use it too.
    pub tls_listen: Vec<SocketAddr>,
    pub tls: Option<Arc<TlsIdentity>>,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            listen: vec![SocketAddr::from(([127, 0, 0, 1], 5060))],
            max_message_bytes: wire::DEFAULT_MAX_MESSAGE_BYTES,
            queue_capacity: 16_384,
            udp_readers: 2,
            retry_after: Duration::from_secs(5),
            max_tcp_connections: 4_096,
            max_tcp_connections_per_source: 32,
            tcp_write_queue: 256,
            tcp_idle_timeout: Duration::from_secs(600),
            trusted_sources: Vec::new(),
            tls_listen: Vec::new(),
            tls: None,
        }
    }
}

/// What the controller can ask of the SIP layer.
#[derive(Debug)]
#[non_exhaustive]
pub enum Command {
    Ring(CallHandle),
    Answer(CallHandle, LocalMedia),
    Reject(CallHandle, u16),
    Hangup(CallHandle),
    /// A REFER's progress to its sender: NOTIFY with this sipfrag status
    /// line ("100 Trying", "200 OK", ...); `true` for the last one.
    NotifyRefer(CallHandle, &'static str, bool),
    /// Place an outgoing call; its events go to `route` from the first one
    /// on (not to the layer's event stream).
    Place(Box<OutgoingCall>, EventRoute, oneshot::Sender<CallHandle>),
    /// From now on, this call's events go to `route` (the task that
    /// answers it); earlier ones went to the event stream.
    Route(CallHandle, EventRoute),
    SetAccepting(bool),
    /// Let this phone register, by the hashes of its secret, challenged in
    /// this order (`None`: the registrar's order).
    SetPhone {
        user: String,
        secret: crate::registrar::DigestSecret,
        algorithms: Option<Vec<crate::registrar::Algorithm>>,
    },
    /// This phone may no longer register; its binding goes at once.
    RemovePhone(String),
    RestoreBinding(Binding),
    Binding(String, oneshot::Sender<Option<Binding>>),
    Bindings(oneshot::Sender<Vec<Binding>>),
    Stats(oneshot::Sender<SipStats>),
    /// Register with a registrar (client side); the outcome comes as
    /// `Event::ClientRegistered` / `Event::ClientRegistrationFailed`.
    Register(Box<Registration>, oneshot::Sender<RegistrationId>),
    /// Remove that binding; `Event::ClientUnregistered` follows.
    Unregister(RegistrationId),
}

/// Where one call's events go: the task that owns the call. Routing each
/// call's events straight to its owner keeps a slow call from holding up
/// any other's, and needs no dispatcher in between.
pub struct EventRoute(Box<dyn Fn(Event) + Send + Sync>);

impl EventRoute {
    pub fn new(deliver: impl Fn(Event) + Send + Sync + 'static) -> Self {
        Self(Box::new(deliver))
    }

    fn deliver(&self, event: Event) {
        (self.0)(event)
    }
}

impl std::fmt::Debug for EventRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventRoute")
    }
}

impl Event {
    /// The call an event is about, if any.
    pub fn call(&self) -> Option<CallHandle> {
        match self {
            Event::IncomingCall { call, .. }
            | Event::CallConfirmed { call, .. }
            | Event::RemoteMediaChanged { call, .. }
            | Event::InfoDtmf { call, .. }
            | Event::ReferReceived { call, .. }
            | Event::OutgoingProgress { call, .. }
            | Event::OutgoingAnswered { call, .. }
            | Event::OutgoingFailed { call, .. }
            | Event::CallEnded { call, .. } => Some(*call),
            _ => None,
        }
    }
}

/// A snapshot for metrics and the CLI.
#[derive(Debug, Clone, Default)]
pub struct SipStats {
    pub counters: Counters,
    pub active_calls: usize,
    pub active_transactions: usize,
    pub shed_invites: u64,
    pub dropped_datagrams: u64,
    /// TCP connections open now.
    pub tcp_connections: usize,
    /// TCP connections refused at accept (over a limit).
    pub tcp_refused: u64,
    /// TCP connections closed because the peer did not read what we wrote.
    pub tcp_write_overflows: u64,
}

enum Input {
    Message(Peer, rsip::SipMessage),
    UnknownMethod(Peer, String, Box<rsip::Request>),
    ParseFailure,
    Command(Command),
    ConnectionOpened(ConnectionId, SocketAddr, mpsc::Sender<Vec<u8>>),
    ConnectionClosed(ConnectionId),
}

/// A cloneable handle to the running SIP layer.
#[derive(Debug, Clone)]
pub struct SipHandle {
    commands: mpsc::UnboundedSender<Command>,
    local_addrs: Arc<Vec<SocketAddr>>,
    tls_addrs: Arc<Vec<SocketAddr>>,
}

impl SipHandle {
    /// Sends a command; fails only if the driver has stopped.
    pub fn send(&self, command: Command) -> Result<(), TransportError> {
        self.commands
            .send(command)
            .map_err(|_| TransportError::Stopped)
    }

    /// Places an outgoing call whose events go to `route`; returns its handle.
    pub async fn place(
        &self,
        call: OutgoingCall,
        route: EventRoute,
    ) -> Result<CallHandle, TransportError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Place(Box::new(call), route, tx))?;
        rx.await.map_err(|_| TransportError::Stopped)
    }

    /// The live binding of a registered user.
    pub async fn binding(&self, user: &str) -> Result<Option<Binding>, TransportError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Binding(user.to_owned(), tx))?;
        rx.await.map_err(|_| TransportError::Stopped)
    }

    /// All live bindings.
    pub async fn bindings(&self) -> Result<Vec<Binding>, TransportError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Bindings(tx))?;
        rx.await.map_err(|_| TransportError::Stopped)
    }

    /// Starts registering with a registrar; its events tell the outcome.
    pub async fn register(
        &self,
        registration: Registration,
    ) -> Result<RegistrationId, TransportError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Register(Box::new(registration), tx))?;
        rx.await.map_err(|_| TransportError::Stopped)
    }

    /// Counters and gauges.
    pub async fn stats(&self) -> Result<SipStats, TransportError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Stats(tx))?;
        rx.await.map_err(|_| TransportError::Stopped)
    }

    /// The addresses actually bound (port 0 resolved).
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.local_addrs
    }

    /// The TLS listeners' addresses (port 0 resolved).
    pub fn tls_addrs(&self) -> &[SocketAddr] {
        &self.tls_addrs
    }
}

struct Shared {
    queue_depth: AtomicUsize,
    shed_invites: AtomicU64,
    dropped: AtomicU64,
    tcp: Mutex<ConnectionCounts>,
    tcp_refused: AtomicU64,
    tcp_write_overflows: AtomicU64,
}

/// Open TCP connections, in all and per remote address. Entries go when
/// their count reaches zero, so the map holds only live sources.
#[derive(Default)]
struct ConnectionCounts {
    total: usize,
    per_source: HashMap<IpAddr, usize>,
}

impl Shared {
    fn new() -> Self {
        Self {
            queue_depth: AtomicUsize::new(0),
            shed_invites: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            tcp: Mutex::new(ConnectionCounts::default()),
            tcp_refused: AtomicU64::new(0),
            tcp_write_overflows: AtomicU64::new(0),
        }
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, ConnectionCounts> {
        // The counts stay consistent even if a holder panicked: every
        // change is one statement.
        self.tcp.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a connection slot for `ip`, or says no if a limit is reached.
    fn open_connection(&self, ip: IpAddr, limits: &ConnectionLimits) -> bool {
        let mut counts = self.counts();
        let of_source = counts.per_source.get(&ip).copied().unwrap_or(0);
        if counts.total >= limits.total
            || (of_source >= limits.per_source && !limits.trusted.contains(&ip))
        {
            drop(counts);
            self.tcp_refused.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("hotline_sip_tcp_refused_total").increment(1);
            return false;
        }
        counts.total += 1;
        *counts.per_source.entry(ip).or_insert(0) += 1;
        metrics::gauge!("hotline_sip_tcp_connections").set(counts.total as f64);
        true
    }

    fn close_connection(&self, ip: IpAddr) {
        let mut counts = self.counts();
        counts.total = counts.total.saturating_sub(1);
        if let std::collections::hash_map::Entry::Occupied(mut entry) = counts.per_source.entry(ip)
        {
            *entry.get_mut() -= 1;
            if *entry.get() == 0 {
                entry.remove();
            }
        }
        metrics::gauge!("hotline_sip_tcp_connections").set(counts.total as f64);
    }
}

/// The TCP limits the socket tasks enforce.
#[derive(Debug, Clone)]
struct ConnectionLimits {
    total: usize,
    per_source: usize,
    trusted: Arc<Vec<IpAddr>>,
    write_queue: usize,
    idle_timeout: Duration,
    max_message_bytes: usize,
}

impl ConnectionLimits {
    fn of(config: &TransportConfig) -> Self {
        Self {
            total: config.max_tcp_connections.max(1),
            per_source: config.max_tcp_connections_per_source.max(1),
            trusted: Arc::new(config.trusted_sources.clone()),
            write_queue: config.tcp_write_queue.max(1),
            idle_timeout: config.tcp_idle_timeout,
            max_message_bytes: config.max_message_bytes,
        }
    }
}

/// Binds the sockets and starts the driver. Events for the controller come
/// out of the returned receiver; the driver stops when every [`SipHandle`]
/// is dropped and the sockets are closed by aborting the returned set.
pub async fn start(
    config: TransportConfig,
    endpoint: Endpoint,
) -> Result<(SipHandle, mpsc::UnboundedReceiver<Event>, JoinSet<()>), TransportError> {
    let mut tasks = JoinSet::new();
    let (input_tx, input_rx) = mpsc::channel::<Input>(config.queue_capacity);
    let shared = Arc::new(Shared::new());
    let limits = ConnectionLimits::of(&config);
    let mut udp_sockets = Vec::new();
    let mut bound = Vec::new();
    for addr in &config.listen {
        let udp = UdpSocket::bind(addr)
            .await
            .map_err(|source| TransportError::Bind {
                transport: "UDP",
                addr: *addr,
                source,
            })?;
        let local = udp.local_addr().map_err(|source| TransportError::Bind {
            transport: "UDP",
            addr: *addr,
            source,
        })?;
        // TCP on the same port as UDP (the port may have been 0).
        let tcp = TcpListener::bind(local)
            .await
            .map_err(|source| TransportError::Bind {
                transport: "TCP",
                addr: local,
                source,
            })?;
        bound.push(local);
        // A call burst must wait in the kernel, not be dropped there: the
        // default 208 KiB buffer overflowed under load and every drop cost
        // a 500 ms retransmission (bench/sip). The kernel caps this at
        // net.core.rmem_max / wmem_max.
        let sock = socket2::SockRef::from(&udp);
        let _ = sock.set_recv_buffer_size(UDP_BUFFER_BYTES);
        let _ = sock.set_send_buffer_size(UDP_BUFFER_BYTES);
        let udp = Arc::new(udp);
        for _ in 0..config.udp_readers.max(1) {
            tasks.spawn(udp_reader(
                udp.clone(),
                input_tx.clone(),
                shared.clone(),
                config.clone(),
            ));
        }
        udp_sockets.push(udp);
        tasks.spawn(accept_connections(
            tcp,
            None,
            input_tx.clone(),
            shared.clone(),
            limits.clone(),
        ));
    }
    let mut tls_bound = Vec::new();
    if let Some(identity) = &config.tls {
        for addr in &config.tls_listen {
            let bind_error = |source| TransportError::Bind {
                transport: "TLS",
                addr: *addr,
                source,
            };
            let listener = TcpListener::bind(addr).await.map_err(bind_error)?;
            tls_bound.push(listener.local_addr().map_err(bind_error)?);
            tasks.spawn(accept_connections(
                listener,
                Some(identity.clone()),
                input_tx.clone(),
                shared.clone(),
                limits.clone(),
            ));
        }
        tasks.spawn(reload_certificates(identity.clone()));
    }
    let (command_tx, mut command_rx) = mpsc::unbounded_channel();
    let (event_tx, event_rx) = mpsc::unbounded_channel();
    // Commands join the same ordered input stream as messages.
    let forward = input_tx.clone();
    tasks.spawn(async move {
        while let Some(command) = command_rx.recv().await {
            if forward.send(Input::Command(command)).await.is_err() {
                break;
            }
        }
    });
    let driver = Driver {
        tls: config.tls.clone(),
        endpoint,
        udp: udp_sockets,
        connections: HashMap::new(),
        connection_by_addr: HashMap::new(),
        events: event_tx,
        routes: HashMap::new(),
        shared: shared.clone(),
        input_tx,
        limits,
    };
    tasks.spawn(driver.run(input_rx));
    Ok((
        SipHandle {
            commands: command_tx,
            local_addrs: Arc::new(bound),
            tls_addrs: Arc::new(tls_bound),
        },
        event_rx,
        tasks,
    ))
}

fn is_initial_invite(message: &rsip::SipMessage) -> bool {
    match message {
        rsip::SipMessage::Request(r) if r.method == rsip::Method::Invite => {
            crate::msg::first_header(r, "To")
                .and_then(|to| crate::msg::header_param(to, "tag"))
                .is_none()
        }
        _ => false,
    }
}

async fn udp_reader(
    socket: Arc<UdpSocket>,
    input: mpsc::Sender<Input>,
    shared: Arc<Shared>,
    config: TransportConfig,
) {
    let mut buf = vec![0u8; 65_536];
    let shed_above = config.queue_capacity / 2;
    loop {
        let (len, from) = match socket.recv_from(&mut buf).await {
            Ok(x) => x,
            // ICMP port unreachable surfaces as an error on some systems: keep reading.
            Err(_) => continue,
        };
        let peer = Peer {
            transport: Transport::Udp,
            addr: from,
            connection: None,
        };
        let framed = wire::parse_datagram(&buf[..len], config.max_message_bytes);
        let item = match framed {
            Ok(Framed::Message(message)) => {
                // Shedding keeps the trusted trunks' calls: they are queued
                // until the queue itself is full.
                if shared.queue_depth.load(Ordering::Relaxed) > shed_above
                    && is_initial_invite(&message)
                    && !config.trusted_sources.contains(&from.ip())
                {
                    if let rsip::SipMessage::Request(request) = &*message {
                        shared.shed_invites.fetch_add(1, Ordering::Relaxed);
                        metrics::counter!("hotline_sip_overload_rejections_total").increment(1);
                        let mut busy = crate::msg::response_to(
                            request,
                            rsip::StatusCode::ServiceUnavailable,
                            Some(&crate::msg::random_token()),
                            from,
                        );
                        busy.headers.push(crate::msg::other(
                            "Retry-After",
                            config.retry_after.as_secs().to_string(),
                        ));
                        let _ = socket.send_to(&wire::to_bytes(&busy.into()), from).await;
                    }
                    continue;
                }
                Input::Message(peer, *message)
            }
            Ok(Framed::KeepAlive) => continue,
            Err(wire::WireError::UnknownMethod { method, stand_in }) => {
                Input::UnknownMethod(peer, method, stand_in)
            }
            Err(_) => Input::ParseFailure,
        };
        shared.queue_depth.fetch_add(1, Ordering::Relaxed);
        if let Err(mpsc::error::TrySendError::Full(_)) = input.try_send(item) {
            shared.queue_depth.fetch_sub(1, Ordering::Relaxed);
            shared.dropped.fetch_add(1, Ordering::Relaxed);
        }
        if input.is_closed() {
            return;
        }
    }
}

static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(1);

/// How long a TLS handshake may take before the connection is dropped (a
/// peer that opens connections and never finishes would hold slots).
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts connections on one listener: plain TCP, or TLS when `tls` is
/// given (the handshake runs on the connection's own task).
async fn accept_connections(
    listener: TcpListener,
    tls: Option<Arc<TlsIdentity>>,
    input: mpsc::Sender<Input>,
    shared: Arc<Shared>,
    limits: ConnectionLimits,
) {
    loop {
        let Ok((stream, addr)) = listener.accept().await else {
            // Out of file descriptors, most likely: let some close first.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        if !shared.open_connection(addr.ip(), &limits) {
            // Over a limit: the stream is dropped here, which closes it.
            continue;
        }
        // The slot is held from here: a stalled TLS handshake counts too.
        let guard = ConnectionGuard::new(addr, input.clone(), shared.clone());
        let _ = stream.set_nodelay(true);
        let limits = limits.clone();
        let Some(identity) = &tls else {
            tokio::spawn(serve_connection(stream, Transport::Tcp, guard, limits));
            continue;
        };
        let acceptor = identity.acceptor();
        tokio::spawn(async move {
            match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => serve_connection(tls, Transport::Tls, guard, limits).await,
                Ok(Err(e)) => tracing::debug!(%addr, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%addr, "TLS handshake timed out"),
            }
        });
    }
}

/// Checks the certificate files now and then; a changed certificate is
/// used for new connections from then on.
async fn reload_certificates(identity: Arc<TlsIdentity>) {
    let mut every = tokio::time::interval(identity.reload_every().max(Duration::from_millis(100)));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        match identity.reload_if_changed() {
            Ok(true) => tracing::info!("SIP TLS certificate reloaded"),
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, "the new SIP TLS certificate cannot be used: keeping the old one")
            }
        }
    }
}

/// Owns one TCP connection's bookkeeping: whatever way the connection's
/// task ends (the peer closed, a framing error, a timeout, even a panic
/// while parsing), dropping the guard frees its slot, stops its writer
/// (which closes the socket) and tells the driver, so a failing connection
/// can never keep a file descriptor.
struct ConnectionGuard {
    id: ConnectionId,
    addr: SocketAddr,
    input: mpsc::Sender<Input>,
    shared: Arc<Shared>,
    writer: Option<tokio::task::JoinHandle<()>>,
}

impl ConnectionGuard {
    /// Call only after `Shared::open_connection` said yes.
    fn new(addr: SocketAddr, input: mpsc::Sender<Input>, shared: Arc<Shared>) -> Self {
        Self {
            id: ConnectionId(NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed)),
            addr,
            input,
            shared,
            writer: None,
        }
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        if let Some(writer) = self.writer.take() {
            writer.abort();
        }
        self.shared.close_connection(self.addr.ip());
        let closed = Input::ConnectionClosed(self.id);
        if let Err(mpsc::error::TrySendError::Full(closed)) = self.input.try_send(closed) {
            // The driver is busy: tell it later rather than never (it would
            // keep the writer's sender, and with it the connection's entry).
            let input = self.input.clone();
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    let _ = input.send(closed).await;
                });
            }
        }
    }
}

/// Writes the first message on a connection the hotline opened, then
/// reads from it like an accepted one.
async fn open_and_serve<S>(
    mut stream: S,
    transport: Transport,
    first: Vec<u8>,
    guard: ConnectionGuard,
    limits: ConnectionLimits,
) where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    if let Ok(Ok(())) = tokio::time::timeout(TCP_WRITE_TIMEOUT, stream.write_all(&first)).await {
        serve_connection(stream, transport, guard, limits).await;
    }
}

/// A write that does not finish in this long means the peer stopped reading.
const TCP_WRITE_TIMEOUT: Duration = Duration::from_secs(10);

async fn serve_connection<S>(
    stream: S,
    transport: Transport,
    mut guard: ConnectionGuard,
    limits: ConnectionLimits,
) where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let id = guard.id;
    let addr = guard.addr;
    let input = guard.input.clone();
    let shared = guard.shared.clone();
    let (mut reader, mut writer) = tokio::io::split(stream);
    let (write_tx, mut write_rx) = mpsc::channel::<Vec<u8>>(limits.write_queue);
    // Weak, so that when the driver drops its sender the writer ends.
    let pong = write_tx.downgrade();
    if input
        .send(Input::ConnectionOpened(id, addr, write_tx))
        .await
        .is_err()
    {
        return;
    }
    // The writer ends when the driver drops its sender (the peer let the
    // queue fill), a write fails or stalls; the reader then stops too.
    let (writer_done_tx, mut writer_done) = oneshot::channel::<()>();
    guard.writer = Some(tokio::spawn(async move {
        while let Some(bytes) = write_rx.recv().await {
            match tokio::time::timeout(TCP_WRITE_TIMEOUT, writer.write_all(&bytes)).await {
                Ok(Ok(())) => {}
                _ => break,
            }
        }
        let _ = writer.shutdown().await;
        let _ = writer_done_tx.send(());
    }));
    let mut framer = StreamFramer::new(limits.max_message_bytes);
    let mut buf = vec![0u8; 16 * 1024];
    let peer = Peer {
        transport,
        addr,
        connection: Some(id),
    };
    loop {
        let read = tokio::select! {
            read = tokio::time::timeout(limits.idle_timeout, reader.read(&mut buf)) => read,
            _ = &mut writer_done => return,
        };
        let n = match read {
            Ok(Ok(n)) if n > 0 => n,
            // Closed by the peer, a read error, or idle too long.
            _ => return,
        };
        framer.push(&buf[..n]);
        loop {
            match framer.next_message() {
                Ok(Some(Framed::Message(message))) => {
                    shared.queue_depth.fetch_add(1, Ordering::Relaxed);
                    if input.send(Input::Message(peer, *message)).await.is_err() {
                        return;
                    }
                }
                Ok(Some(Framed::KeepAlive)) => {
                    // RFC 5626 §4.4.1: pong with a single CRLF (dropped if
                    // the peer is not reading what we already sent).
                    if let Some(pong) = pong.upgrade() {
                        let _ = pong.try_send(b"\r\n".to_vec());
                    }
                }
                Ok(None) => break,
                Err(wire::WireError::UnknownMethod { method, stand_in }) => {
                    shared.queue_depth.fetch_add(1, Ordering::Relaxed);
                    if input
                        .send(Input::UnknownMethod(peer, method, stand_in))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Err(_) => {
                    // Out of sync: the only safe thing is to close the stream.
                    shared.queue_depth.fetch_add(1, Ordering::Relaxed);
                    let _ = input.send(Input::ParseFailure).await;
                    return;
                }
            }
        }
    }
}

struct Driver {
    tls: Option<Arc<TlsIdentity>>,
    endpoint: Endpoint,
    udp: Vec<Arc<UdpSocket>>,
    connections: HashMap<ConnectionId, mpsc::Sender<Vec<u8>>>,
    connection_by_addr: HashMap<SocketAddr, ConnectionId>,
    events: mpsc::UnboundedSender<Event>,
    /// Calls whose events go to their owner, not to `events`.
    routes: HashMap<CallHandle, EventRoute>,
    shared: Arc<Shared>,
    input_tx: mpsc::Sender<Input>,
    limits: ConnectionLimits,
}

impl Driver {
    async fn run(mut self, mut input: mpsc::Receiver<Input>) {
        loop {
            let deadline = self.endpoint.poll_timeout();
            let next = match deadline {
                Some(at) => tokio::select! {
                    item = input.recv() => item.map(Some),
                    _ = tokio::time::sleep_until(at.into()) => Some(None),
                },
                None => input.recv().await.map(Some),
            };
            let Some(next) = next else { return };
            let now = Instant::now();
            if let Some(item) = next {
                self.handle(now, item);
                // Take whatever else is queued before flushing outputs.
                for _ in 0..256 {
                    match input.try_recv() {
                        Ok(item) => self.handle(now, item),
                        Err(_) => break,
                    }
                }
            }
            self.endpoint.handle_timeout(now);
            self.flush().await;
        }
    }

    fn handle(&mut self, now: Instant, item: Input) {
        match item {
            Input::Message(peer, message) => {
                self.shared.queue_depth.fetch_sub(1, Ordering::Relaxed);
                self.endpoint.handle_message(now, peer, message);
            }
            Input::UnknownMethod(peer, method, stand_in) => {
                self.shared.queue_depth.fetch_sub(1, Ordering::Relaxed);
                self.endpoint
                    .handle_unknown_method(peer, &method, &stand_in);
            }
            Input::ParseFailure => {
                self.shared.queue_depth.fetch_sub(1, Ordering::Relaxed);
                self.endpoint.note_parse_failure();
            }
            Input::Command(command) => self.command(now, command),
            Input::ConnectionOpened(id, addr, writer) => {
                self.connections.insert(id, writer);
                self.connection_by_addr.insert(addr, id);
            }
            Input::ConnectionClosed(id) => self.forget_connection(id),
        }
    }

    fn forget_connection(&mut self, id: ConnectionId) {
        if self.connections.remove(&id).is_some() {
            self.connection_by_addr.retain(|_, c| *c != id);
        }
    }

    fn command(&mut self, now: Instant, command: Command) {
        let ep = &mut self.endpoint;
        match command {
            Command::Ring(call) => ep.call_ring(now, call),
            Command::Answer(call, media) => ep.call_answer(now, call, media),
            Command::Reject(call, status) => ep.call_reject(now, call, status),
            Command::Hangup(call) => ep.call_hangup(now, call),
            Command::NotifyRefer(call, status, last) => {
                ep.call_notify_refer(now, call, status, last)
            }
            Command::Place(outgoing, route, reply) => {
                let handle = ep.call_place(now, *outgoing);
                // Before any of its events can be flushed.
                self.routes.insert(handle, route);
                let _ = reply.send(handle);
            }
            Command::Route(call, route) => {
                if ep.has_call(call) {
                    self.routes.insert(call, route);
                }
            }
            Command::SetAccepting(accepting) => ep.set_accepting(accepting),
            Command::SetPhone {
                user,
                secret,
                algorithms,
            } => {
                let registrar = ep.registrar_mut();
                // An empty order falls back to the registrar's.
                registrar.set_user_algorithms(user.clone(), algorithms.unwrap_or_default());
                registrar.set_user_digest(user, secret);
            }
            Command::RemovePhone(user) => {
                ep.registrar_mut().remove_user(&user);
            }
            Command::RestoreBinding(binding) => ep.registrar_mut().restore(binding),
            Command::Binding(user, reply) => {
                let _ = reply.send(ep.registrar().binding(&user, now).cloned());
            }
            Command::Bindings(reply) => {
                let _ = reply.send(ep.registrar().bindings(now).cloned().collect());
            }
            Command::Register(registration, reply) => {
                let _ = reply.send(ep.register(now, *registration));
            }
            Command::Unregister(registration) => ep.unregister(now, registration),
            Command::Stats(reply) => {
                let _ = reply.send(SipStats {
                    counters: ep.counters().clone(),
                    active_calls: ep.active_calls(),
                    active_transactions: ep.active_transactions(),
                    shed_invites: self.shared.shed_invites.load(Ordering::Relaxed),
                    dropped_datagrams: self.shared.dropped.load(Ordering::Relaxed),
                    tcp_connections: self.shared.counts().total,
                    tcp_refused: self.shared.tcp_refused.load(Ordering::Relaxed),
                    tcp_write_overflows: self.shared.tcp_write_overflows.load(Ordering::Relaxed),
                });
            }
        }
    }

    async fn flush(&mut self) {
        while let Some(output) = self.endpoint.poll_output() {
            match output {
                Output::Event(event) => match event.call() {
                    Some(call) if self.routes.contains_key(&call) => {
                        let ended = matches!(event, Event::CallEnded { .. });
                        if let Some(route) = self.routes.get(&call) {
                            route.deliver(event);
                        }
                        if ended {
                            self.routes.remove(&call);
                        }
                    }
                    _ => {
                        let _ = self.events.send(event);
                    }
                },
                Output::Transmit(transmit) => self.send(transmit.peer, transmit.bytes).await,
            }
        }
    }

    async fn send(&mut self, peer: Peer, bytes: Vec<u8>) {
        match peer.transport {
            Transport::Udp => {
                let socket = self
                    .udp
                    .iter()
                    .find(|s| {
                        s.local_addr()
                            .is_ok_and(|a| a.is_ipv4() == peer.addr.is_ipv4())
                    })
                    .or(self.udp.first());
                if let Some(socket) = socket {
                    match socket.try_send_to(&bytes, peer.addr) {
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            let _ = socket.send_to(&bytes, peer.addr).await;
                        }
                        _ => {}
                    }
                }
            }
            Transport::Tcp | Transport::Tls => {
                let id = peer
                    .connection
                    .filter(|c| self.connections.contains_key(c))
                    .or_else(|| self.connection_by_addr.get(&peer.addr).copied());
                if let Some(id) = id {
                    if let Some(writer) = self.connections.get(&id) {
                        match writer.try_send(bytes) {
                            Ok(()) => {}
                            Err(mpsc::error::TrySendError::Full(_)) => {
                                // The peer is not reading: drop our sender, so
                                // the writer finishes and the connection closes.
                                self.shared
                                    .tcp_write_overflows
                                    .fetch_add(1, Ordering::Relaxed);
                                metrics::counter!("hotline_sip_tcp_write_overflows_total")
                                    .increment(1);
                                self.forget_connection(id);
                            }
                            Err(mpsc::error::TrySendError::Closed(_)) => self.forget_connection(id),
                        }
                        return;
                    }
                }
                // No open connection to that peer (a phone registered over TCP and
                // closed it): open one, and read from it like an accepted one.
                let tls = match (peer.transport, &self.tls) {
                    (Transport::Tls, Some(identity)) => Some(identity.connector()),
                    (Transport::Tls, None) => {
                        tracing::warn!(peer = %peer.addr, "a message for a TLS peer, but no TLS is configured: dropped");
                        return;
                    }
                    _ => None,
                };
                if !self.shared.open_connection(peer.addr.ip(), &self.limits) {
                    return;
                }
                let guard =
                    ConnectionGuard::new(peer.addr, self.input_tx.clone(), self.shared.clone());
                let limits = self.limits.clone();
                tokio::spawn(async move {
                    let Ok(Ok(stream)) =
                        tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(peer.addr))
                            .await
                    else {
                        return;
                    };
                    let _ = stream.set_nodelay(true);
                    let Some(connector) = tls else {
                        open_and_serve(stream, Transport::Tcp, bytes, guard, limits).await;
                        return;
                    };
                    // The peer is named by its address (trunks are configured
                    // as literal addresses): its certificate must hold that IP.
                    let name = rustls::pki_types::ServerName::IpAddress(peer.addr.ip().into());
                    match tokio::time::timeout(
                        TLS_HANDSHAKE_TIMEOUT,
                        connector.connect(name, stream),
                    )
                    .await
                    {
                        Ok(Ok(tls)) => {
                            open_and_serve(tls, Transport::Tls, bytes, guard, limits).await
                        }
                        Ok(Err(e)) => {
                            tracing::warn!(peer = %peer.addr, error = %e, "TLS connection to the peer failed")
                        }
                        Err(_) => {
                            tracing::warn!(peer = %peer.addr, "TLS handshake with the peer timed out")
                        }
                    }
                });
            }
        }
    }
}
