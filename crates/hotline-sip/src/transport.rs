//! The tokio driver around the sans-IO [`Endpoint`]: UDP and TCP sockets,
//! the clock, and a command channel for the call controller.
//!
//! One task owns the endpoint. Socket tasks frame and parse messages before
//! handing them over, so parsing runs on every core while the state machine
//! stays single-owner. When the endpoint falls behind, new INVITEs are
//! answered 503 with Retry-After straight from the socket task (cheap load
//! shedding) instead of being queued into a collapse of retransmissions.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use crate::endpoint::{
    CallHandle, ConnectionId, Counters, Endpoint, Event, OutgoingCall, Output, Peer, Transport,
};
use crate::registrar::Binding;
use crate::registration::{Registration, RegistrationId};
use crate::sdp::LocalMedia;
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
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            listen: vec![SocketAddr::from(([127, 0, 0, 1], 5060))],
            max_message_bytes: wire::DEFAULT_MAX_MESSAGE_BYTES,
            queue_capacity: 16_384,
            udp_readers: 2,
            retry_after: Duration::from_secs(5),
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
    Place(Box<OutgoingCall>, oneshot::Sender<CallHandle>),
    SetAccepting(bool),
    AddUser {
        user: String,
        password: String,
    },
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

/// A snapshot for metrics and the CLI.
#[derive(Debug, Clone, Default)]
pub struct SipStats {
    pub counters: Counters,
    pub active_calls: usize,
    pub active_transactions: usize,
    pub shed_invites: u64,
    pub dropped_datagrams: u64,
}

enum Input {
    Message(Peer, rsip::SipMessage),
    UnknownMethod(Peer, String, Box<rsip::Request>),
    ParseFailure,
    Command(Command),
    ConnectionOpened(ConnectionId, SocketAddr, mpsc::UnboundedSender<Vec<u8>>),
    ConnectionClosed(ConnectionId),
}

/// A cloneable handle to the running SIP layer.
#[derive(Debug, Clone)]
pub struct SipHandle {
    commands: mpsc::UnboundedSender<Command>,
    local_addrs: Arc<Vec<SocketAddr>>,
}

impl SipHandle {
    /// Sends a command; fails only if the driver has stopped.
    pub fn send(&self, command: Command) -> Result<(), TransportError> {
        self.commands
            .send(command)
            .map_err(|_| TransportError::Stopped)
    }

    /// Places an outgoing call and returns its handle.
    pub async fn place(&self, call: OutgoingCall) -> Result<CallHandle, TransportError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Place(Box::new(call), tx))?;
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
}

struct Shared {
    queue_depth: AtomicUsize,
    shed_invites: AtomicU64,
    dropped: AtomicU64,
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
    let shared = Arc::new(Shared {
        queue_depth: AtomicUsize::new(0),
        shed_invites: AtomicU64::new(0),
        dropped: AtomicU64::new(0),
    });
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
        tasks.spawn(tcp_acceptor(
            tcp,
            input_tx.clone(),
            shared.clone(),
            config.max_message_bytes,
        ));
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
        endpoint,
        udp: udp_sockets,
        connections: HashMap::new(),
        connection_by_addr: HashMap::new(),
        events: event_tx,
        shared: shared.clone(),
        input_tx,
        max_message_bytes: config.max_message_bytes,
    };
    tasks.spawn(driver.run(input_rx));
    Ok((
        SipHandle {
            commands: command_tx,
            local_addrs: Arc::new(bound),
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
                if shared.queue_depth.load(Ordering::Relaxed) > shed_above
                    && is_initial_invite(&message)
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

async fn tcp_acceptor(
    listener: TcpListener,
    input: mpsc::Sender<Input>,
    shared: Arc<Shared>,
    max_bytes: usize,
) {
    loop {
        let Ok((stream, addr)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        tokio::spawn(serve_connection(
            stream,
            addr,
            input.clone(),
            shared.clone(),
            max_bytes,
        ));
    }
}

async fn serve_connection(
    stream: TcpStream,
    addr: SocketAddr,
    input: mpsc::Sender<Input>,
    shared: Arc<Shared>,
    max_bytes: usize,
) {
    let id = ConnectionId(NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed));
    let _ = stream.set_nodelay(true);
    let (mut reader, mut writer) = stream.into_split();
    let (write_tx, mut write_rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let pong = write_tx.clone();
    if input
        .send(Input::ConnectionOpened(id, addr, write_tx))
        .await
        .is_err()
    {
        return;
    }
    let write_task = tokio::spawn(async move {
        while let Some(bytes) = write_rx.recv().await {
            if writer.write_all(&bytes).await.is_err() {
                break;
            }
        }
    });
    let mut framer = StreamFramer::new(max_bytes);
    let mut buf = vec![0u8; 16 * 1024];
    let peer = Peer {
        transport: Transport::Tcp,
        addr,
        connection: Some(id),
    };
    // Idle connections are closed after 10 minutes without a byte (keep-alives count).
    while let Ok(Ok(n)) =
        tokio::time::timeout(Duration::from_secs(600), reader.read(&mut buf)).await
    {
        if n == 0 {
            break;
        }
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
                    // RFC 5626 §4.4.1: pong with a single CRLF.
                    let _ = pong.send(b"\r\n".to_vec());
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
                    let _ = input.send(Input::ConnectionClosed(id)).await;
                    write_task.abort();
                    return;
                }
            }
        }
    }
    let _ = input.send(Input::ConnectionClosed(id)).await;
    write_task.abort();
}

struct Driver {
    endpoint: Endpoint,
    udp: Vec<Arc<UdpSocket>>,
    connections: HashMap<ConnectionId, mpsc::UnboundedSender<Vec<u8>>>,
    connection_by_addr: HashMap<SocketAddr, ConnectionId>,
    events: mpsc::UnboundedSender<Event>,
    shared: Arc<Shared>,
    input_tx: mpsc::Sender<Input>,
    max_message_bytes: usize,
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
            Input::ConnectionClosed(id) => {
                self.connections.remove(&id);
                self.connection_by_addr.retain(|_, c| *c != id);
            }
        }
    }

    fn command(&mut self, now: Instant, command: Command) {
        let ep = &mut self.endpoint;
        match command {
            Command::Ring(call) => ep.call_ring(now, call),
            Command::Answer(call, media) => ep.call_answer(now, call, media),
            Command::Reject(call, status) => ep.call_reject(now, call, status),
            Command::Hangup(call) => ep.call_hangup(now, call),
            Command::Place(outgoing, reply) => {
                let handle = ep.call_place(now, *outgoing);
                let _ = reply.send(handle);
            }
            Command::SetAccepting(accepting) => ep.set_accepting(accepting),
            Command::AddUser { user, password } => ep.registrar_mut().set_user(user, password),
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
                });
            }
        }
    }

    async fn flush(&mut self) {
        while let Some(output) = self.endpoint.poll_output() {
            match output {
                Output::Event(event) => {
                    let _ = self.events.send(event);
                }
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
            Transport::Tcp => {
                let id = peer
                    .connection
                    .filter(|c| self.connections.contains_key(c))
                    .or_else(|| self.connection_by_addr.get(&peer.addr).copied());
                if let Some(writer) = id.and_then(|id| self.connections.get(&id)) {
                    let _ = writer.send(bytes);
                    return;
                }
                // No open connection to that peer (a phone registered over TCP and
                // closed it): open one, and read from it like an accepted one.
                let input = self.input_tx.clone();
                let shared = self.shared.clone();
                let max = self.max_message_bytes;
                tokio::spawn(async move {
                    let Ok(Ok(stream)) =
                        tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(peer.addr))
                            .await
                    else {
                        return;
                    };
                    let mut stream = stream;
                    if stream.write_all(&bytes).await.is_ok() {
                        serve_connection(stream, peer.addr, input, shared, max).await;
                    }
                });
            }
        }
    }
}
