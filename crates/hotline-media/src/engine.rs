//! The media runtime: port allocation, the shared media clock, and the
//! handles the call controller holds.
//!
//! Each shard is one OS thread that owns a set of legs and their sockets.
//! It wakes every 20 ms on the media clock and, for each leg in turn, reads
//! whatever arrived (non-blocking), runs the sans-IO [`LegCore`] tick and
//! sends the packet of that tick. There is no timer and no task per call:
//! 2,000 calls cost one wake-up per shard per 20 ms. The shard is a thread
//! rather than a tokio task so that its timing does not depend on the tokio
//! timer wheel (1 ms granularity) or on other work queued on the tokio
//! workers; the controller still talks to it in async Rust (commands on a
//! channel, events on a tokio `mpsc` per leg, stats through a oneshot).
//!
//! Legs that exchange media are joined two by two: a bridge by one link
//! (a pair of channels of [`BridgeFrame`]s), a monitor by one more from
//! the supervisor's leg to each of the bridge's. A link works the same
//! whether both legs are on one shard or not, and a leg learns that its
//! peer has gone when the link disconnects. The shard keeps each leg's
//! links, with its part in the call, the monitor's mode and the hold, and
//! applies the routes [`crate::route`] decides to the leg's core, which
//! mixes what it hears.

use std::collections::{BTreeSet, HashMap};
use std::io::IoSliceMut;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{mpsc as std_mpsc, Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use nix::sys::socket::{self as nix_socket, MsgFlags, MultiHeaders, SockaddrStorage};
use tokio::sync::{mpsc, oneshot};

pub use crate::core::LegId;
use crate::core::{
    BridgeFrame, ComfortNoise, LegCore, LegParams, LegStats, MediaEvent, Outbox, PlaybackId, Port,
    RecordMode, RecordOptions, RecordingId, RecordingStop, TICK,
};
use crate::dtmf::{event_for_key, DtmfDigit};
use crate::prompt::Prompt;
use crate::recorder::{self, OpenRecording, RecorderMsg, RecorderSink};
use crate::route::{route_between, MonitorMode, Party, Route};
use crate::rtcp::ntp_timestamp;
use crate::transport::{MediaTransport, TRANSPORT_PEER};
use crate::MediaError;

/// Datagrams read from one socket per tick at most: a flood on one leg
/// cannot hold the clock back for the others (the kernel drops the rest).
const MAX_READS_PER_TICK: usize = 16;
/// Events a leg buffers for a slow controller before dropping (and counting).
const EVENT_QUEUE: usize = 256;
/// A shard this far behind skips ahead instead of bursting to catch up.
const MAX_CATCH_UP: Duration = Duration::from_millis(100);
/// The RTCP socket is read every this many ticks (legs spread over them).
const RTCP_POLL_TICKS: u64 = 10;

/// Engine settings (from the hotline's config file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    /// The address RTP sockets bind to (and the SDP announces).
    pub bind_ip: IpAddr,
    /// First port of the RTP range (even; RTCP uses port + 1).
    pub port_first: u16,
    /// Last port of the range.
    pub port_last: u16,
    /// Media clock threads; 0 means one per CPU.
    pub shards: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            bind_ip: IpAddr::from([127, 0, 0, 1]),
            port_first: 20_000,
            port_last: 29_999,
            shards: 0,
        }
    }
}

/// Engine-wide figures, for metrics and the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EngineStats {
    pub legs: u64,
    pub ticks: u64,
    /// Ticks that started later than 5 ms past their deadline.
    pub late_ticks: u64,
    /// Times a shard fell more than 100 ms behind and skipped ahead.
    pub clock_resyncs: u64,
    pub send_errors: u64,
    /// Time the clock threads spent working, summed over ticks (µs).
    pub busy_us: u64,
    /// The longest single tick of one shard (µs).
    pub busy_us_max: u64,
    /// Clock threads running under SCHED_FIFO.
    pub realtime_clock_threads: u64,
}

#[derive(Debug, Default)]
struct SharedStats {
    legs: AtomicU64,
    ticks: AtomicU64,
    late_ticks: AtomicU64,
    clock_resyncs: AtomicU64,
    send_errors: AtomicU64,
    busy_us: AtomicU64,
    busy_us_max: AtomicU64,
    realtime_threads: AtomicU64,
}

#[derive(Debug)]
struct PortPool {
    first: u16,
    last: u16,
    in_use: BTreeSet<u16>,
}

impl PortPool {
    fn release(&mut self, port: u16) {
        self.in_use.remove(&port);
    }
}

enum Command {
    Attach(Box<Slot>),
    Start(LegId, LegParams),
    Transport(LegId, Box<dyn MediaTransport>),
    Play(LegId, PlaybackId, Vec<Arc<Prompt>>, bool),
    StopPlayback(LegId),
    StartMusic(LegId, Arc<Prompt>),
    StopMusic(LegId),
    SendDtmf(LegId, Vec<DtmfDigit>),
    SipInfoDtmf(LegId, DtmfDigit),
    Record(LegId, RecordingId, RecordOptions, RecorderSink),
    StopRecording(LegId),
    Bridge(LegId, Link),
    Unbridge(LegId),
    Hold(LegId, bool),
    /// A monitor's links on one leg: the supervisor's two, or a bridged
    /// leg's one with the bridge partner it must still have.
    Monitor(LegId, Vec<Link>, Option<LegId>),
    SetMonitorMode(LegId, MonitorId, MonitorMode),
    Unmonitor(LegId, MonitorId),
    Stats(LegId, oneshot::Sender<LegStats>),
    Close(LegId),
}

/// Identifies one monitor within an engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MonitorId(u64);

/// One leg's end of the two channels between two legs that exchange media
/// (across shards or not): a bridge's, or a monitor's between the
/// supervisor and one of the bridge's legs. When the other end is dropped
/// (its leg closed, or left the call) the channel disconnects, and that is
/// how this leg learns it.
struct Link {
    peer: LegId,
    me: Party,
    peer_party: Party,
    /// The monitor this link belongs to, in its current mode; `None` for
    /// the bridge's own link.
    monitor: Option<(MonitorId, MonitorMode)>,
    to_peer: std_mpsc::Sender<BridgeFrame>,
    from_peer: std_mpsc::Receiver<BridgeFrame>,
}

impl Link {
    /// Both ends of a new link between `a` and `b`.
    fn pair(
        a: (LegId, Party),
        b: (LegId, Party),
        monitor: Option<(MonitorId, MonitorMode)>,
    ) -> (Link, Link) {
        let (a_to_b, b_from_a) = std_mpsc::channel();
        let (b_to_a, a_from_b) = std_mpsc::channel();
        let a_end = Link {
            peer: b.0,
            me: a.1,
            peer_party: b.1,
            monitor,
            to_peer: a_to_b,
            from_peer: a_from_b,
        };
        let b_end = Link {
            peer: a.0,
            me: b.1,
            peer_party: a.1,
            monitor,
            to_peer: b_to_a,
            from_peer: b_from_a,
        };
        (a_end, b_end)
    }

    /// What flows on this link now, with this leg's bridge held or not. A
    /// supervisor's leg has no bridge to hold: on the monitored call's
    /// hold, the citizen's leg cuts itself off from the supervisor.
    fn route(&self, bridge_held: bool) -> Route {
        let held = bridge_held && self.me != Party::Supervisor;
        route_between(
            self.monitor.map(|(_, mode)| mode),
            held,
            self.me,
            self.peer_party,
        )
    }
}

struct Slot {
    id: LegId,
    core: LegCore,
    rtp: UdpSocket,
    rtcp: UdpSocket,
    port: u16,
    events: mpsc::Sender<MediaEvent>,
    /// A bridge's link and its monitors' links, or (on a supervisor's leg)
    /// the links of the monitors; never both.
    links: Vec<Link>,
    /// This leg's bridge is on hold.
    held: bool,
    /// What stands between the socket and the core (a WebRTC leg's ICE,
    /// DTLS-SRTP and codec); `None`: the socket carries the core's RTP.
    transport: Option<Box<dyn MediaTransport>>,
}

impl Slot {
    /// Applies every link's route to the core (after a change of mode or hold).
    fn reroute(&mut self) {
        for link in &self.links {
            self.core.route_peer(link.peer, link.route(self.held));
        }
    }

    /// Drops every link of one monitor (and its routes).
    fn drop_monitor(&mut self, id: MonitorId) -> Vec<LegId> {
        let mut peers = Vec::new();
        self.links.retain(|l| {
            let of_it = l.monitor.is_some_and(|(m, _)| m == id);
            if of_it {
                peers.push(l.peer);
            }
            !of_it
        });
        for peer in &peers {
            self.core.unroute_peer(*peer);
        }
        peers
    }
}

struct ShardHandle {
    commands: std_mpsc::Sender<Command>,
}

struct EngineInner {
    config: EngineConfig,
    shards: Vec<ShardHandle>,
    next_shard: AtomicUsize,
    next_id: AtomicU64,
    next_monitor: AtomicU64,
    pool: Arc<Mutex<PortPool>>,
    noise: Arc<ComfortNoise>,
    recorder: Mutex<RecorderSink>,
    stats: Arc<SharedStats>,
}

/// The media engine: allocates legs and runs the media clock.
///
/// Cheap to clone; the clock threads stop when the engine and every leg
/// handle are dropped.
#[derive(Clone)]
pub struct MediaEngine {
    inner: Arc<EngineInner>,
}

impl std::fmt::Debug for MediaEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaEngine")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl MediaEngine {
    /// Starts the clock threads at normal priority. The port range must hold
    /// at least one even/odd pair.
    pub fn start(config: EngineConfig) -> Result<Self, MediaError> {
        Self::start_with_priority(config, None)
    }

    /// Starts the clock threads, with `realtime_priority` (1-99) running them
    /// under SCHED_FIFO, as media servers do (Asterisk `-p`, FreeSWITCH
    /// `-rp`): on a busy machine a normal-priority clock is woken late and
    /// a whole tick's packets are late with it (see bench/media). Only these
    /// threads are raised, not the rest of the process. If the system refuses
    /// (no CAP_SYS_NICE / RLIMIT_RTPRIO), the threads run at normal priority,
    /// a warning is logged and [`EngineStats::realtime_clock_threads`] says so.
    pub fn start_with_priority(
        config: EngineConfig,
        realtime_priority: Option<u8>,
    ) -> Result<Self, MediaError> {
        let first = config.port_first + config.port_first % 2;
        if first == 0 || config.port_last <= first || config.port_last == u16::MAX {
            return Err(MediaError::BadPortRange {
                first: config.port_first,
                last: config.port_last,
                reason: "needs at least one even port with its odd neighbour, above 0",
            });
        }
        let shard_count = if config.shards == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            config.shards
        };
        let pool = Arc::new(Mutex::new(PortPool {
            first,
            last: config.port_last,
            in_use: BTreeSet::new(),
        }));
        let stats = Arc::new(SharedStats::default());
        let mut shards = Vec::with_capacity(shard_count);
        for n in 0..shard_count {
            let (tx, rx) = std_mpsc::channel();
            let pool = Arc::clone(&pool);
            let stats = Arc::clone(&stats);
            std::thread::Builder::new()
                .name(format!("hotline-media-{n}"))
                .spawn(move || {
                    if let Some(priority) = realtime_priority {
                        raise_to_realtime(priority, &stats);
                    }
                    run_shard(rx, pool, stats)
                })?;
            shards.push(ShardHandle { commands: tx });
        }
        Ok(Self {
            inner: Arc::new(EngineInner {
                config,
                shards,
                next_shard: AtomicUsize::new(0),
                next_id: AtomicU64::new(1),
                next_monitor: AtomicU64::new(1),
                pool,
                noise: Arc::new(ComfortNoise::new()),
                recorder: Mutex::new(recorder::spawn_writer()?),
                stats,
            }),
        })
    }

    /// Engine-wide counters.
    pub fn stats(&self) -> EngineStats {
        let s = &self.inner.stats;
        EngineStats {
            legs: s.legs.load(Ordering::Relaxed),
            ticks: s.ticks.load(Ordering::Relaxed),
            late_ticks: s.late_ticks.load(Ordering::Relaxed),
            clock_resyncs: s.clock_resyncs.load(Ordering::Relaxed),
            send_errors: s.send_errors.load(Ordering::Relaxed),
            busy_us: s.busy_us.load(Ordering::Relaxed),
            busy_us_max: s.busy_us_max.load(Ordering::Relaxed),
            realtime_clock_threads: s.realtime_threads.load(Ordering::Relaxed),
        }
    }

    fn bind_pair(&self) -> Result<(UdpSocket, UdpSocket, u16), MediaError> {
        let ip = self.inner.config.bind_ip;
        let mut pool = self.inner.pool.lock().unwrap_or_else(|e| e.into_inner());
        let slots = (pool.last - pool.first) / 2 + 1;
        // A random pair, not the next one: ports handed out in sequence
        // tell a stranger which port the next caller gets, and whoever
        // sends there first could be heard (or latched) in their call.
        let start = rand::random::<u16>() % slots;
        for step in 0..slots {
            let port = pool.first + 2 * ((start + step) % slots);
            if port > pool.last - 1 {
                continue;
            }
            if pool.in_use.contains(&port) {
                continue;
            }
            // Another program may hold either port: skip the pair, try the next.
            let Ok(rtp) = UdpSocket::bind(SocketAddr::new(ip, port)) else {
                continue;
            };
            let Ok(rtcp) = UdpSocket::bind(SocketAddr::new(ip, port + 1)) else {
                continue;
            };
            rtp.set_nonblocking(true)?;
            rtcp.set_nonblocking(true)?;
            pool.in_use.insert(port);
            return Ok((rtp, rtcp, port));
        }
        Err(MediaError::NoFreePort {
            first: pool.first,
            last: pool.last,
        })
    }

    /// Allocates a leg: binds its RTP/RTCP ports (put `local_addr` in the SDP
    /// answer) and attaches it to a clock shard. It sends nothing until started.
    pub fn allocate_leg(&self) -> Result<Leg, MediaError> {
        let (rtp, rtcp, port) = self.bind_pair()?;
        let local_addr = rtp.local_addr()?;
        let id = LegId(self.inner.next_id.fetch_add(1, Ordering::Relaxed));
        let seed = random_u64(id.0);
        let core = LegCore::new(
            seed as u32,
            (seed >> 32) as u16,
            (seed >> 48) as u32 * 7919,
            Arc::clone(&self.inner.noise),
        );
        let (events_tx, events_rx) = mpsc::channel(EVENT_QUEUE);
        let shard = self.inner.next_shard.fetch_add(1, Ordering::Relaxed) % self.inner.shards.len();
        let commands = self.inner.shards[shard].commands.clone();
        let slot = Slot {
            id,
            core,
            rtp,
            rtcp,
            port,
            events: events_tx.clone(),
            links: Vec::new(),
            held: false,
            transport: None,
        };
        if commands.send(Command::Attach(Box::new(slot))).is_err() {
            self.inner
                .pool
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .release(port);
            return Err(MediaError::EngineStopped);
        }
        self.inner.stats.legs.fetch_add(1, Ordering::Relaxed);
        Ok(Leg {
            id,
            local_addr,
            commands,
            events: events_rx,
            events_tx: Some(events_tx),
            next_playback: AtomicU64::new(1),
            next_recording: AtomicU64::new(1),
            recorder: self
                .inner
                .recorder
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
            closed: false,
        })
    }

    /// Bridges two legs: each sends what the other receives, re-stamped in
    /// its own RTP stream (own SSRC, continuous sequence and timestamps),
    /// transcoded if their codecs differ; keys are passed through as RFC 4733.
    /// Prompts queued on a leg still play first. Dropping a leg ends the
    /// bridge and the other leg gets `MediaEvent::BridgeEnded`.
    pub fn bridge(&self, a: &Leg, b: &Leg) -> Result<Bridge, MediaError> {
        if a.id == b.id {
            return Err(MediaError::BridgeToSelf);
        }
        let (a_end, b_end) = Link::pair((a.id, Party::Citizen), (b.id, Party::Agent), None);
        a.send(Command::Bridge(a.id, a_end))?;
        b.send(Command::Bridge(b.id, b_end))?;
        Ok(Bridge {
            a: (a.id, a.commands.clone()),
            b: (b.id, b.commands.clone()),
        })
    }

    /// Lets `supervisor` monitor a bridge: hear it (`Listen`), coach its
    /// agent (`Whisper`) or join it (`Barge`); see [`MonitorMode`]. What
    /// each leg hears is mixed from the others ([`crate::core`]); the
    /// citizen never hears the supervisor except in `Barge`, and the
    /// citizen's recording holds what the citizen heard.
    ///
    /// The monitor lasts until [`Monitor::end`] (or the handle is dropped),
    /// the bridge ends, or one of the three legs closes; in the last two
    /// cases the supervisor's leg gets [`MediaEvent::MonitorEnded`]. The
    /// supervisor's leg takes part in no bridge meanwhile: one that is
    /// bridged gets `MonitorEnded` at once, and bridging it ends the monitor.
    pub fn monitor(
        &self,
        bridge: &Bridge,
        supervisor: &Leg,
        mode: MonitorMode,
    ) -> Result<Monitor, MediaError> {
        if supervisor.id == bridge.citizen() || supervisor.id == bridge.agent() {
            return Err(MediaError::SupervisorInBridge { leg: supervisor.id });
        }
        let id = MonitorId(self.inner.next_monitor.fetch_add(1, Ordering::Relaxed));
        let monitor = Some((id, mode));
        let s = (supervisor.id, Party::Supervisor);
        let (s_to_c, c_to_s) = Link::pair(s, (bridge.a.0, Party::Citizen), monitor);
        let (s_to_a, a_to_s) = Link::pair(s, (bridge.b.0, Party::Agent), monitor);
        supervisor.send(Command::Monitor(supervisor.id, vec![s_to_c, s_to_a], None))?;
        let handle = Monitor {
            id,
            citizen: bridge.a.clone(),
            agent: bridge.b.clone(),
            supervisor: (supervisor.id, supervisor.commands.clone()),
            mode: AtomicU8::new(mode_index(mode)),
            ended: false,
        };
        // From here on the handle ends whatever was set up if this fails.
        let (c, a) = (bridge.a.0, bridge.b.0);
        send_to(&bridge.a, Command::Monitor(c, vec![c_to_s], Some(a)))?;
        send_to(&bridge.b, Command::Monitor(a, vec![a_to_s], Some(c)))?;
        Ok(handle)
    }
}

fn raise_to_realtime(priority: u8, stats: &SharedStats) {
    use thread_priority::unix::{
        set_thread_priority_and_policy, thread_native_id, RealtimeThreadSchedulePolicy,
        ThreadSchedulePolicy,
    };
    let result = thread_priority::ThreadPriorityValue::try_from(priority.clamp(1, 99))
        .map_err(|e| e.to_string())
        .and_then(|value| {
            set_thread_priority_and_policy(
                thread_native_id(),
                thread_priority::ThreadPriority::Crossplatform(value),
                ThreadSchedulePolicy::Realtime(RealtimeThreadSchedulePolicy::Fifo),
            )
            .map_err(|e| format!("{e:?}"))
        });
    match result {
        Ok(()) => {
            stats.realtime_threads.fetch_add(1, Ordering::Relaxed);
        }
        Err(e) => tracing::warn!(
            error = %e,
            "media clock thread stays at normal priority (real-time scheduling refused)"
        ),
    }
}

fn random_u64(salt: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(salt);
    h.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

/// The controller's handle on one leg. Dropping it closes the leg.
pub struct Leg {
    id: LegId,
    local_addr: SocketAddr,
    commands: std_mpsc::Sender<Command>,
    events: mpsc::Receiver<MediaEvent>,
    /// For recordings to report through; dropped on close so that
    /// `next_event` ends once the last event is read.
    events_tx: Option<mpsc::Sender<MediaEvent>>,
    next_playback: AtomicU64,
    next_recording: AtomicU64,
    recorder: RecorderSink,
    closed: bool,
}

impl std::fmt::Debug for Leg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leg")
            .field("id", &self.id)
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl Leg {
    fn send(&self, cmd: Command) -> Result<(), MediaError> {
        if self.closed {
            return Err(MediaError::LegClosed);
        }
        self.commands
            .send(cmd)
            .map_err(|_| MediaError::EngineStopped)
    }

    /// This leg's id.
    pub fn id(&self) -> LegId {
        self.id
    }

    /// The local RTP address to put in the SDP (RTCP is on the next port).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Puts a transport between the leg's socket and its core (see
    /// [`crate::transport`]): from now on every datagram goes through it,
    /// and [`Leg::start`] takes only the codec, the telephone-event payload
    /// type and the dead-media time from its params (the transport is the
    /// peer). Attach it before starting the leg; a second one replaces the
    /// first, which is closed.
    pub fn attach_transport(&self, transport: Box<dyn MediaTransport>) -> Result<(), MediaError> {
        self.send(Command::Transport(self.id, transport))
    }

    /// Starts sending and receiving with what the SDP negotiated. Calling it
    /// again (re-INVITE) re-targets the leg and keeps its RTP stream going.
    pub fn start(&self, params: LegParams) -> Result<(), MediaError> {
        self.send(Command::Start(self.id, params))
    }

    /// Queues prompts to play in order; with `barge_in`, a key stops this
    /// playback (and queued barge-in playbacks after it) as soon as it is pressed.
    pub fn play(
        &self,
        prompts: Vec<Arc<Prompt>>,
        barge_in: bool,
    ) -> Result<PlaybackId, MediaError> {
        let id = PlaybackId(self.next_playback.fetch_add(1, Ordering::Relaxed));
        self.send(Command::Play(self.id, id, prompts, barge_in))?;
        Ok(id)
    }

    /// Stops the current and queued playbacks (each reports `Stopped`).
    pub fn stop_playback(&self) -> Result<(), MediaError> {
        self.send(Command::StopPlayback(self.id))
    }

    /// Loops a prompt whenever nothing else plays (music on hold).
    pub fn start_music(&self, music: Arc<Prompt>) -> Result<(), MediaError> {
        self.send(Command::StartMusic(self.id, music))
    }

    /// Stops the music.
    pub fn stop_music(&self) -> Result<(), MediaError> {
        self.send(Command::StopMusic(self.id))
    }

    /// Sends keys as RFC 4733 events (for calls the hotline places), or as
    /// in-band tones if the peer negotiated no telephone-event.
    pub fn send_dtmf(&self, keys: &str, duration: Duration) -> Result<(), MediaError> {
        let digits = keys
            .chars()
            .map(|key| event_for_key(key).map(|_| DtmfDigit { key, duration }))
            .collect::<Result<Vec<_>, _>>()?;
        self.send(Command::SendDtmf(self.id, digits))
    }

    /// A key that arrived by SIP INFO (see [`crate::dtmf::parse_sip_info`]):
    /// reported and barged-in like keys from RTP.
    pub fn sip_info_dtmf(&self, digit: DtmfDigit) -> Result<(), MediaError> {
        self.send(Command::SipInfoDtmf(self.id, digit))
    }

    /// Starts recording to a WAV file (8 kHz, 16-bit; stereo or mono by mode).
    /// The file is created now, so a bad path is an error here.
    pub fn record(&self, options: RecordOptions) -> Result<RecordingId, MediaError> {
        if self.closed {
            return Err(MediaError::LegClosed);
        }
        let id =
            RecordingId(self.next_recording.fetch_add(1, Ordering::Relaxed) | (self.id.0 << 24));
        let channels = if options.mode == RecordMode::Stereo {
            2
        } else {
            1
        };
        let events = self.events_tx.clone().ok_or(MediaError::LegClosed)?;
        let open = OpenRecording::create(&options.path, channels, events)?;
        self.recorder
            .send_control(id, RecorderMsg::Open(Box::new(open)))?;
        self.send(Command::Record(self.id, id, options, self.recorder.clone()))?;
        Ok(id)
    }

    /// Stops the running recording; `RecordingFinished` follows.
    pub fn stop_recording(&self) -> Result<(), MediaError> {
        self.send(Command::StopRecording(self.id))
    }

    /// Quality figures (answered at the next clock tick).
    pub async fn stats(&self) -> Result<LegStats, MediaError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Stats(self.id, tx))?;
        rx.await.map_err(|_| MediaError::EngineStopped)
    }

    /// The next event; `None` once the leg is closed and drained.
    pub async fn next_event(&mut self) -> Option<MediaEvent> {
        self.events.recv().await
    }

    /// Polls for the next event: for a driver that waits on several legs
    /// at once. `Ready(None)` once the engine has stopped.
    pub fn poll_event(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<MediaEvent>> {
        self.events.poll_recv(cx)
    }

    /// An event if one is waiting.
    pub fn try_event(&mut self) -> Option<MediaEvent> {
        self.events.try_recv().ok()
    }

    /// Closes the leg: playbacks report `Stopped`, a recording is finished,
    /// a bridge ends, the ports go back to the pool.
    pub fn close(&mut self) {
        if !self.closed {
            let _ = self.commands.send(Command::Close(self.id));
            self.closed = true;
            self.events_tx = None;
        }
    }
}

impl Drop for Leg {
    fn drop(&mut self) {
        self.close();
    }
}

fn send_to(leg: &(LegId, std_mpsc::Sender<Command>), cmd: Command) -> Result<(), MediaError> {
    leg.1.send(cmd).map_err(|_| MediaError::EngineStopped)
}

/// Two bridged legs: the citizen's (the first leg given to
/// [`MediaEngine::bridge`]) and the agent's.
pub struct Bridge {
    a: (LegId, std_mpsc::Sender<Command>),
    b: (LegId, std_mpsc::Sender<Command>),
}

impl std::fmt::Debug for Bridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bridge")
            .field("a", &self.a.0)
            .field("b", &self.b.0)
            .finish()
    }
}

impl Bridge {
    fn both(&self, cmd: impl Fn(LegId) -> Command) -> Result<(), MediaError> {
        for (id, tx) in [&self.a, &self.b] {
            tx.send(cmd(*id)).map_err(|_| MediaError::EngineStopped)?;
        }
        Ok(())
    }

    /// The citizen's leg (the first leg bridged).
    pub fn citizen(&self) -> LegId {
        self.a.0
    }

    /// The agent's leg (the second leg bridged).
    pub fn agent(&self) -> LegId {
        self.b.0
    }

    /// Puts the call on hold: nothing is relayed either way; `music`, if
    /// given, plays to the leg `held` (the citizen).
    ///
    /// Under a [`Monitor`], hold takes the citizen (the bridge's first leg,
    /// whichever leg `held` is) out of the call both ways
    /// (the citizen hears the music and nothing else, and nobody hears the
    /// citizen); the agent and the supervisor keep hearing each other as the
    /// mode says (in `Whisper` and `Barge` both ways, in `Listen` the
    /// supervisor hears the agent), so a supervisor can coach meanwhile.
    pub fn hold(&self, held: &Leg, music: Option<Arc<Prompt>>) -> Result<(), MediaError> {
        self.both(|id| Command::Hold(id, true))?;
        if let Some(m) = music {
            held.start_music(m)?;
        }
        Ok(())
    }

    /// Resumes the relay and stops the music on `held`.
    pub fn unhold(&self, held: &Leg) -> Result<(), MediaError> {
        held.stop_music()?;
        self.both(|id| Command::Hold(id, false))
    }

    /// Ends the bridge; both legs stay up on their own. A monitor of the
    /// bridge ends with it (its supervisor's leg gets `MonitorEnded`); its
    /// handle may still be ended or dropped, which then does nothing.
    pub fn end(self) -> Result<(), MediaError> {
        self.both(Command::Unbridge)
    }
}

/// A supervisor monitoring a bridge (see [`MediaEngine::monitor`]).
///
/// Dropping the handle ends the monitor, as [`Monitor::end`] does: a
/// supervisor is never left on a call that nobody controls.
#[must_use = "dropping a Monitor ends it at once"]
pub struct Monitor {
    id: MonitorId,
    citizen: (LegId, std_mpsc::Sender<Command>),
    agent: (LegId, std_mpsc::Sender<Command>),
    supervisor: (LegId, std_mpsc::Sender<Command>),
    /// The mode as the last `set_mode` left it (an index into `MonitorMode::ALL`).
    mode: AtomicU8,
    ended: bool,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("citizen", &self.citizen.0)
            .field("agent", &self.agent.0)
            .field("supervisor", &self.supervisor.0)
            .field("mode", &self.mode())
            .finish_non_exhaustive()
    }
}

fn mode_index(mode: MonitorMode) -> u8 {
    match mode {
        MonitorMode::Listen => 0,
        MonitorMode::Whisper => 1,
        MonitorMode::Barge => 2,
    }
}

impl Monitor {
    fn all(&self, cmd: impl Fn(LegId) -> Command) -> Result<(), MediaError> {
        // Each leg applies a change on its own shard's next tick; no order
        // between them is needed, as each gates what it hears itself.
        for leg in [&self.citizen, &self.agent, &self.supervisor] {
            send_to(leg, cmd(leg.0))?;
        }
        Ok(())
    }

    /// The supervisor's leg.
    pub fn supervisor(&self) -> LegId {
        self.supervisor.0
    }

    /// The mode set last.
    pub fn mode(&self) -> MonitorMode {
        MonitorMode::ALL[usize::from(self.mode.load(Ordering::Relaxed))]
    }

    /// Changes the mode from the next tick of each leg. The citizen's leg
    /// applies it by itself: when the citizen is to stop hearing the
    /// supervisor, not one more sample of the supervisor reaches the
    /// citizen once its leg has the command. Does nothing (and succeeds)
    /// if the monitor ended with its bridge.
    pub fn set_mode(&self, mode: MonitorMode) -> Result<(), MediaError> {
        self.mode.store(mode_index(mode), Ordering::Relaxed);
        let id = self.id;
        self.all(|leg| Command::SetMonitorMode(leg, id, mode))
    }

    /// Ends the monitor: the bridge goes on two-way as before, the
    /// supervisor's leg is on its own (no event: the caller knows).
    pub fn end(mut self) -> Result<(), MediaError> {
        self.ended = true;
        let id = self.id;
        self.all(|leg| Command::Unmonitor(leg, id))
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        if !self.ended {
            let id = self.id;
            let _ = self.all(|leg| Command::Unmonitor(leg, id));
        }
    }
}

fn run_shard(
    commands: std_mpsc::Receiver<Command>,
    pool: Arc<Mutex<PortPool>>,
    stats: Arc<SharedStats>,
) {
    let mut legs: Vec<Slot> = Vec::new();
    let mut index: HashMap<LegId, usize> = HashMap::new();
    let mut outbox = Outbox::new();
    let mut receiver = BatchReceiver::new();
    let mut next = Instant::now() + TICK;
    let mut tick: u64 = 0;
    loop {
        tick += 1;
        // Commands first, so a play or start takes effect on this very tick.
        loop {
            match commands.try_recv() {
                Ok(cmd) => apply(cmd, &mut legs, &mut index, &pool),
                Err(std_mpsc::TryRecvError::Empty) => break,
                Err(std_mpsc::TryRecvError::Disconnected) => {
                    for slot in &mut legs {
                        slot.core.close();
                    }
                    return;
                }
            }
        }
        let now = Instant::now();
        let wall = ntp_timestamp(SystemTime::now());
        for slot in &mut legs {
            service_leg(slot, tick, now, wall, &mut outbox, &mut receiver, &stats);
        }
        let busy_us = now.elapsed().as_micros() as u64;
        stats.busy_us.fetch_add(busy_us, Ordering::Relaxed);
        stats.busy_us_max.fetch_max(busy_us, Ordering::Relaxed);
        stats.ticks.fetch_add(1, Ordering::Relaxed);
        if now > next + Duration::from_millis(5) {
            stats.late_ticks.fetch_add(1, Ordering::Relaxed);
        }
        next += TICK;
        let after = Instant::now();
        if after > next + MAX_CATCH_UP {
            stats.clock_resyncs.fetch_add(1, Ordering::Relaxed);
            let behind = after - next;
            let skipped = (behind.as_micros() / TICK.as_micros()) as u32 + 1;
            for slot in &mut legs {
                slot.core.skip_ticks(skipped);
            }
            next += TICK * skipped;
        }
        if next > after {
            std::thread::sleep(next - after);
        }
    }
}

/// Reads datagrams in batches with `recvmmsg`: one system call fetches
/// everything queued on a socket (usually one packet per tick), where
/// `recv_from` needs a second call just to learn that nothing more is there.
struct BatchReceiver {
    headers: MultiHeaders<SockaddrStorage>,
    buffers: Box<[[u8; RECV_BUFFER]; RECV_BATCH]>,
    received: [(Option<SocketAddr>, usize); RECV_BATCH],
}

const RECV_BATCH: usize = 4;
/// Larger than any accepted packet, so an oversized one is seen as such.
const RECV_BUFFER: usize = 2048;

impl BatchReceiver {
    fn new() -> Self {
        Self {
            headers: MultiHeaders::preallocate(RECV_BATCH, None),
            buffers: Box::new([[0u8; RECV_BUFFER]; RECV_BATCH]),
            received: [(None, 0); RECV_BATCH],
        }
    }

    /// Reads up to [`RECV_BATCH`] datagrams; returns how many.
    fn read(&mut self, socket: &UdpSocket) -> usize {
        let count = {
            let mut iovs = self
                .buffers
                .each_mut()
                .map(|b| [IoSliceMut::new(&mut b[..])]);
            match nix_socket::recvmmsg(
                socket.as_raw_fd(),
                &mut self.headers,
                iovs.iter_mut(),
                MsgFlags::MSG_DONTWAIT,
                None,
            ) {
                Ok(results) => {
                    let mut k = 0;
                    for msg in results {
                        let from = msg.address.and_then(|a| {
                            a.as_sockaddr_in()
                                .map(|v4| SocketAddr::V4((*v4).into()))
                                .or_else(|| {
                                    a.as_sockaddr_in6().map(|v6| SocketAddr::V6((*v6).into()))
                                })
                        });
                        self.received[k] = (from, msg.bytes);
                        k += 1;
                    }
                    k
                }
                // Nothing queued (EAGAIN), or an ICMP error: nothing to read now.
                Err(_) => 0,
            }
        };
        count
    }

    fn datagram(&self, i: usize) -> Option<(SocketAddr, &[u8])> {
        let (from, len) = self.received[i];
        Some((from?, &self.buffers[i][..len.min(RECV_BUFFER)]))
    }
}

fn service_leg(
    slot: &mut Slot,
    tick: u64,
    now: Instant,
    wall: u64,
    outbox: &mut Outbox,
    receiver: &mut BatchReceiver,
    stats: &SharedStats,
) {
    for _ in 0..MAX_READS_PER_TICK / RECV_BATCH {
        let n = receiver.read(&slot.rtp);
        for i in 0..n {
            if let Some((from, datagram)) = receiver.datagram(i) {
                match &mut slot.transport {
                    Some(transport) => transport.handle_datagram(now, from, datagram),
                    None => slot.core.handle_rtp(now, from, datagram),
                }
            }
        }
        if n < RECV_BATCH {
            break;
        }
    }
    if let Some(transport) = &mut slot.transport {
        let core = &mut slot.core;
        transport.poll_rtp(&mut |packet| core.handle_rtp(now, TRANSPORT_PEER, packet));
    }
    // RTCP comes every few seconds: looking every 10th tick saves a system
    // call per leg per tick and delays a report by 200 ms at most. A leg
    // with a transport muxes RTCP on its one port (WebRTC).
    if slot.transport.is_none() && tick % RTCP_POLL_TICKS == slot.id.0 % RTCP_POLL_TICKS {
        let n = receiver.read(&slot.rtcp);
        for i in 0..n {
            if let Some((from, datagram)) = receiver.datagram(i) {
                slot.core.handle_rtcp(now, from, datagram);
            }
        }
    }
    let mut gone = Vec::new();
    for link in &slot.links {
        loop {
            match link.from_peer.try_recv() {
                Ok(frame) => slot.core.push_peer_frame(link.peer, frame),
                Err(std_mpsc::TryRecvError::Empty) => break,
                Err(std_mpsc::TryRecvError::Disconnected) => {
                    gone.push((link.peer, link.me, link.monitor.map(|(id, _)| id)));
                    break;
                }
            }
        }
    }
    for (peer, me, monitor) in gone {
        links_lost(slot, peer, me, monitor);
    }
    slot.core.tick(now, wall, outbox);
    match &mut slot.transport {
        Some(transport) => {
            for (port, to, bytes) in outbox.iter() {
                // The core's RTCP stays here: the transport's stack reports.
                if port == Port::Rtp && to == TRANSPORT_PEER && !is_rtcp(bytes) {
                    transport.send_rtp(now, bytes);
                }
            }
            transport.handle_timeout(now);
            let rtp = &slot.rtp;
            transport.poll_transmit(&mut |to, datagram| {
                if rtp.send_to(datagram, to).is_err() {
                    stats.send_errors.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        None => {
            for (port, to, bytes) in outbox.iter() {
                let socket = match port {
                    Port::Rtp => &slot.rtp,
                    Port::Rtcp => &slot.rtcp,
                };
                if socket.send_to(bytes, to).is_err() {
                    stats.send_errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
    outbox.clear();
    while let Some((peer, frame)) = slot.core.poll_peer_frame() {
        if let Some(link) = slot.links.iter().find(|l| l.peer == peer) {
            let _ = link.to_peer.send(frame);
        }
    }
    forward_events(slot);
}

/// The params a core behind a transport starts with: the transport is its
/// peer (trusted, no SRTP of the core's own, RTCP on the one port), and
/// keys come as RFC 4733 events only (a browser's key pad sends them so;
/// listening for tones in its audio too cost 5 % of a relayed call).
fn through_transport(params: LegParams) -> LegParams {
    LegParams {
        remote: TRANSPORT_PEER,
        latch: crate::core::LatchPolicy::SdpAddress,
        inband_dtmf: false,
        rtcp_mux: true,
        srtp: None,
        ..params
    }
}

/// RTCP on a muxed port (RFC 5761 §4: packet types 200–204 where RTP has
/// its marker bit and payload type).
fn is_rtcp(packet: &[u8]) -> bool {
    packet.get(1).is_some_and(|b| (200..=204).contains(b))
}

/// A transport that is done: it sends its goodbye (DTLS close_notify) on
/// the leg's socket before the socket closes.
fn say_goodbye(mut transport: Box<dyn MediaTransport>, socket: &UdpSocket, now: Instant) {
    transport.close(now);
    transport.poll_transmit(&mut |to, datagram| {
        let _ = socket.send_to(datagram, to);
    });
}

/// The other end of a link went away: its leg closed, or left the call.
fn links_lost(slot: &mut Slot, peer: LegId, me: Party, monitor: Option<MonitorId>) {
    match monitor {
        // The bridge partner: the bridge ends here, and its monitors with it
        // (the supervisor's leg sees its links go and ends its side).
        None => {
            slot.links.clear();
            slot.core.bridge_ended();
        }
        // One of the monitored legs: the call the supervisor was on is over.
        Some(id) if me == Party::Supervisor => {
            // Handled already if the other monitored leg went in the same tick.
            if slot
                .links
                .iter()
                .any(|l| l.monitor.is_some_and(|(m, _)| m == id))
            {
                let peers = slot.drop_monitor(id);
                slot.core.monitor_ended(peers);
            }
        }
        // The supervisor left: the bridge goes on.
        Some(_) => {
            slot.links.retain(|l| l.peer != peer);
            slot.core.unroute_peer(peer);
        }
    }
}

fn forward_events(slot: &mut Slot) {
    while let Some(event) = slot.core.poll_event() {
        if slot.events.try_send(event).is_err() {
            slot.core.count_dropped_event();
        }
    }
}

fn apply(
    cmd: Command,
    legs: &mut Vec<Slot>,
    index: &mut HashMap<LegId, usize>,
    pool: &Mutex<PortPool>,
) {
    let id = match &cmd {
        Command::Attach(slot) => slot.id,
        Command::Start(id, ..)
        | Command::Transport(id, ..)
        | Command::Play(id, ..)
        | Command::StopPlayback(id)
        | Command::StartMusic(id, ..)
        | Command::StopMusic(id)
        | Command::SendDtmf(id, ..)
        | Command::SipInfoDtmf(id, ..)
        | Command::Record(id, ..)
        | Command::StopRecording(id)
        | Command::Bridge(id, ..)
        | Command::Unbridge(id)
        | Command::Hold(id, ..)
        | Command::Monitor(id, ..)
        | Command::SetMonitorMode(id, ..)
        | Command::Unmonitor(id, ..)
        | Command::Stats(id, ..)
        | Command::Close(id) => *id,
    };
    if let Command::Attach(slot) = cmd {
        index.insert(id, legs.len());
        legs.push(*slot);
        return;
    }
    let Some(&at) = index.get(&id) else {
        return; // the leg was closed already
    };
    let now = Instant::now();
    let slot = &mut legs[at];
    match cmd {
        Command::Attach(_) => {}
        Command::Start(_, mut params) => {
            if slot.transport.is_some() {
                params = through_transport(params);
            }
            slot.core.start(now, params)
        }
        Command::Transport(_, transport) => {
            if let Some(old) = slot.transport.replace(transport) {
                say_goodbye(old, &slot.rtp, now);
            }
        }
        Command::Play(_, pid, prompts, barge_in) => slot.core.play(pid, prompts, barge_in),
        Command::StopPlayback(_) => slot.core.stop_playback(),
        Command::StartMusic(_, m) => slot.core.start_music(m),
        Command::StopMusic(_) => slot.core.stop_music(),
        Command::SendDtmf(_, digits) => slot.core.send_dtmf(digits),
        Command::SipInfoDtmf(_, d) => slot.core.sip_info_dtmf(d),
        Command::Record(_, rid, options, sink) => slot.core.start_recording(rid, options, sink),
        Command::StopRecording(_) => slot.core.stop_recording(RecordingStop::Stopped),
        Command::Bridge(_, link) => {
            // A leg is in one call at a time: a bridge it was in, or
            // calls it monitored, end here.
            slot.links.clear();
            slot.core.unroute_all();
            slot.links.push(link);
            slot.reroute();
        }
        Command::Unbridge(_) => {
            slot.links.clear();
            slot.core.unroute_all();
        }
        Command::Hold(_, held) => {
            slot.held = held;
            slot.reroute();
        }
        Command::Monitor(_, links, partner) => {
            let bridge_partner = slot
                .links
                .iter()
                .find(|l| l.monitor.is_none())
                .map(|l| l.peer);
            // A monitored leg must still be in that bridge (else the links
            // drop, and the supervisor's side ends); a supervisor's leg must
            // be in no bridge.
            if partner == bridge_partner {
                for link in links {
                    slot.core.route_peer(link.peer, link.route(slot.held));
                    slot.links.push(link);
                }
            } else if partner.is_none() {
                slot.core.monitor_ended([]);
            }
        }
        Command::SetMonitorMode(_, monitor, mode) => {
            for link in &mut slot.links {
                if let Some((m, current)) = &mut link.monitor {
                    if *m == monitor {
                        *current = mode;
                    }
                }
            }
            slot.reroute();
        }
        Command::Unmonitor(_, monitor) => {
            slot.drop_monitor(monitor);
        }
        Command::Stats(_, reply) => {
            let _ = reply.send(slot.core.stats());
        }
        Command::Close(_) => {
            slot.core.close();
            forward_events(slot);
            let removed = legs.swap_remove(at);
            index.remove(&id);
            if let Some(moved) = legs.get(at) {
                index.insert(moved.id, at);
            }
            let port = removed.port;
            let Slot { transport, rtp, .. } = removed;
            if let Some(transport) = transport {
                say_goodbye(transport, &rtp, now);
            }
            // Sockets close here; the bridge peer sees its channel disconnect.
            drop(rtp);
            pool.lock().unwrap_or_else(|e| e.into_inner()).release(port);
        }
    }
    // Events raised by the command itself (e.g. Stopped) go out now.
    if let Some(&at) = index.get(&id) {
        forward_events(&mut legs[at]);
    }
}
