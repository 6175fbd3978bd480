//! WebRTC leg benchmark: concurrent agent legs in the media engine, each
//! bridged to a citizen's plain RTP leg, with audio both ways; PCMU
//! pass-through, Opus↔PCMU transcoding, and plain RTP↔RTP bridges as the
//! reference, in one run; then 1,000 browser-leg set-ups and tear-downs
//! with the engine's resident memory before and after.
//! See bench/webrtc/README.md for what is measured and how to read it.
//!
//! One binary, two roles: the orchestrator (default) is the load generator
//! (citizen RTP streams and `BrowserPeer`s, the browser stand-in made of
//! the same stack) and starts this binary again as `--role engine`, so that
//! the engine's CPU time and memory can be read from /proc on their own.
//! They talk over the child's stdin/stdout, one line per message (SDP with
//! its line ends written as `|`): signalling is not what is measured.

use std::collections::HashMap;
use std::future::Future;
use std::io::{BufRead, BufReader, IoSlice, IoSliceMut, Write};
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitCode, Stdio};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use hotline_media::g711::Codec;
use hotline_media::rtp::{self, RtpHeader};
use hotline_media::{
    Bridge, EngineConfig, Leg, LegParams, LegStats, MediaEngine, MediaError, TransportState,
    TRANSPORT_PEER,
};
use hotline_webrtc::client::{BrowserConfig, BrowserPeer};
use hotline_webrtc::{AudioCodec, SharedWebRtcLeg, WebRtcConfig, WebRtcLeg};
use nix::sys::socket::{
    self, sockopt, ControlMessage, ControlMessageOwned, MsgFlags, MultiHeaders, SockaddrIn,
};

const TICK: Duration = Duration::from_millis(20);
/// Streams per generator socket (sendmmsg/recvmmsg batches over them).
const STREAMS_PER_SOCKET: usize = 200;
const BATCH: usize = 64;
/// Calls set up and torn down together in the churn test.
const CHURN_BATCH: usize = 50;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

// ------------------------------------------------------------------ options

#[derive(Debug, Clone)]
struct Options {
    role: String,
    relay_levels: Vec<usize>,
    opus_levels: Vec<usize>,
    seconds: u64,
    warmup_seconds: u64,
    shards: usize,
    browser_threads: usize,
    churn_calls: usize,
    clock_priority: Option<u8>,
    /// Set MALLOC_ARENA_MAX for the engine process (glibc).
    arena_max: Option<usize>,
    /// Set MALLOC_TRIM_THRESHOLD_ for the engine process (glibc): free
    /// memory above this at the heap's top goes back to the system.
    trim_threshold: Option<usize>,
    /// Skip the plain RTP↔RTP reference levels.
    no_reference: bool,
}

fn parse_options() -> Result<Options, String> {
    let mut o = Options {
        role: "orchestrate".into(),
        relay_levels: vec![100, 200, 400],
        opus_levels: vec![50, 100, 200],
        seconds: 10,
        warmup_seconds: 3,
        shards: 2,
        browser_threads: 2,
        churn_calls: 1000,
        clock_priority: None,
        arena_max: None,
        trim_threshold: None,
        no_reference: false,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let flag = args[i].as_str();
        let value = args.get(i + 1).cloned().unwrap_or_default();
        let number = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag} needs a number, got {v:?}"))
        };
        let list = |v: &str| -> Result<Vec<usize>, String> {
            if v == "none" {
                return Ok(Vec::new());
            }
            v.split(',')
                .map(|n| n.parse().map_err(|_| format!("bad level {n:?}")))
                .collect()
        };
        match flag {
            "--role" => o.role = value,
            "--levels" => o.relay_levels = list(&value)?,
            "--opus-levels" => o.opus_levels = list(&value)?,
            "--seconds" => o.seconds = number(&value)?,
            "--warmup" => o.warmup_seconds = number(&value)?,
            "--shards" => o.shards = number(&value)? as usize,
            "--browser-threads" => o.browser_threads = number(&value)?.max(1) as usize,
            "--churn" => o.churn_calls = number(&value)? as usize,
            "--clock-priority" => o.clock_priority = Some(number(&value)?.clamp(1, 99) as u8),
            "--arena-max" => o.arena_max = Some(number(&value)? as usize),
            "--trim-threshold" => o.trim_threshold = Some(number(&value)? as usize),
            "--no-reference" => {
                o.no_reference = true;
                i += 1;
                continue;
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?} (see bench/webrtc/README.md)"
                ))
            }
        }
        i += 2;
    }
    Ok(o)
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("webrtc_bench: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match options.role.as_str() {
        "engine" => engine_role(&options),
        _ => orchestrate(&options),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("webrtc_bench ({}): {e}", options.role);
            ExitCode::FAILURE
        }
    }
}

/// What each call's agent leg is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A plain RTP agent phone: the reference.
    Plain,
    /// A browser, PCMU passed through.
    Relay,
    /// A browser, Opus transcoded to and from the citizen's PCMU.
    Opus,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Plain => "plain",
            Mode::Relay => "relay",
            Mode::Opus => "opus",
        }
    }

    fn parse(word: &str) -> Option<Mode> {
        [Mode::Plain, Mode::Relay, Mode::Opus]
            .into_iter()
            .find(|mode| mode.name() == word)
    }
}

fn escape_sdp(sdp: &str) -> String {
    sdp.replace("\r\n", "|")
}

fn unescape_sdp(line: &str) -> String {
    line.replace('|', "\r\n")
}

// -------------------------------------------------------------- engine role

struct Call {
    citizen: Leg,
    agent: Leg,
    _bridge: Bridge,
    webrtc: Option<SharedWebRtcLeg>,
}

/// Runs the engine's `Leg::stats` futures together (each one's answer comes
/// at the leg's next tick) without an async runtime.
fn all_stats(legs: Vec<&Leg>) -> Vec<LegStats> {
    type StatsFuture<'a> = Pin<Box<dyn Future<Output = Result<LegStats, MediaError>> + 'a>>;
    let mut futures: Vec<StatsFuture<'_>> = legs
        .into_iter()
        .map(|leg| Box::pin(leg.stats()) as StatsFuture<'_>)
        .collect();
    let mut results: Vec<Option<LegStats>> = vec![None; futures.len()];
    let mut context = Context::from_waker(Waker::noop());
    let deadline = Instant::now() + Duration::from_secs(5);
    while results.iter().any(Option::is_none) && Instant::now() < deadline {
        for (future, result) in futures.iter_mut().zip(results.iter_mut()) {
            if result.is_none() {
                if let Poll::Ready(stats) = future.as_mut().poll(&mut context) {
                    *result = Some(stats.unwrap_or_default());
                }
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    results.into_iter().map(Option::unwrap_or_default).collect()
}

fn engine_role(options: &Options) -> BenchResult<()> {
    let engine = MediaEngine::start_with_priority(
        EngineConfig {
            bind_ip: "127.0.0.1".parse()?,
            port_first: 20_000,
            port_last: 29_999,
            shards: options.shards,
        },
        options.clock_priority,
    )?;
    let mut calls: Vec<Call> = Vec::new();
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut out = std::io::BufWriter::new(std::io::stdout());
    while let Some(line) = lines.next() {
        let line = line?;
        let mut words = line.split_whitespace();
        match words.next() {
            // CALLS <mode> <citizen ports> [<agent ports>]: one call per
            // citizen port; answered with one CALL line each, then END.
            Some("CALLS") => {
                let mode = words.next().and_then(Mode::parse).ok_or("bad mode")?;
                let ports = |word: Option<&str>| -> BenchResult<Vec<u16>> {
                    Ok(word
                        .unwrap_or("")
                        .split(',')
                        .filter(|p| !p.is_empty())
                        .map(str::parse)
                        .collect::<Result<_, _>>()?)
                };
                let citizens = ports(words.next())?;
                let agents = ports(words.next())?;
                for (i, citizen_port) in citizens.iter().enumerate() {
                    let citizen = engine.allocate_leg()?;
                    let mut params = LegParams::new(
                        SocketAddr::from(([127, 0, 0, 1], *citizen_port)),
                        Codec::Pcmu,
                        Some(101),
                    );
                    params.dead_media_after = None;
                    citizen.start(params)?;
                    let agent = engine.allocate_leg()?;
                    let (webrtc, offer) = match mode {
                        Mode::Plain => {
                            let remote = SocketAddr::from(([127, 0, 0, 1], agents[i]));
                            let mut params = LegParams::new(remote, Codec::Pcmu, Some(101));
                            params.dead_media_after = None;
                            agent.start(params)?;
                            (None, "-".to_owned())
                        }
                        Mode::Relay | Mode::Opus => {
                            let config = WebRtcConfig {
                                prefer: if mode == Mode::Opus {
                                    AudioCodec::Opus
                                } else {
                                    AudioCodec::Pcmu
                                },
                                ..WebRtcConfig::default()
                            };
                            let (leg, offer) =
                                WebRtcLeg::offer(config, agent.local_addr(), Instant::now())?;
                            let shared = SharedWebRtcLeg::new(leg);
                            agent.attach_transport(Box::new(shared.clone()))?;
                            let mut params = LegParams::new(TRANSPORT_PEER, Codec::Pcmu, Some(101));
                            params.dead_media_after = None;
                            agent.start(params)?;
                            (Some(shared), escape_sdp(&offer))
                        }
                    };
                    let bridge = engine.bridge(&citizen, &agent)?;
                    writeln!(
                        out,
                        "CALL {} {} {offer}",
                        citizen.local_addr().port(),
                        agent.local_addr().port()
                    )?;
                    calls.push(Call {
                        citizen,
                        agent,
                        _bridge: bridge,
                        webrtc,
                    });
                }
                writeln!(out, "END")?;
            }
            // ANSWERS <n>, then n lines "<agent port> <answer>".
            Some("ANSWERS") => {
                let n: usize = words.next().unwrap_or("0").parse()?;
                let by_port: HashMap<u16, usize> = calls
                    .iter()
                    .enumerate()
                    .map(|(i, call)| (call.agent.local_addr().port(), i))
                    .collect();
                let mut failed = 0;
                for _ in 0..n {
                    let line = lines.next().ok_or("answers cut short")??;
                    let (port, sdp) = line.split_once(' ').ok_or("bad answer line")?;
                    let call = by_port.get(&port.parse()?).map(|&i| &calls[i]);
                    let accepted = call
                        .and_then(|call| call.webrtc.as_ref())
                        .map(|shared| shared.accept_answer(Instant::now(), &unescape_sdp(sdp)));
                    if !matches!(accepted, Some(Ok(()))) {
                        failed += 1;
                    }
                }
                writeln!(out, "ANSWERED failed={failed}")?;
            }
            Some("STATS") => {
                let (mut connected, mut packets_in, mut packets_out, mut not_sent) = (0, 0, 0, 0);
                let (mut transcoded, mut srtp_errors) = (0, 0);
                for shared in calls.iter().filter_map(|call| call.webrtc.as_ref()) {
                    let leg = shared.lock();
                    connected += u64::from(leg.state() == TransportState::Connected);
                    let stats = leg.stats();
                    packets_in += stats.packets_in;
                    packets_out += stats.packets_out;
                    not_sent += stats.packets_not_sent;
                    transcoded += stats.transcoded_frames;
                    srtp_errors += stats.srtp_errors;
                }
                let citizen = all_stats(calls.iter().map(|call| &call.citizen).collect());
                let agent = all_stats(calls.iter().map(|call| &call.agent).collect());
                let sum = |stats: &[LegStats]| -> (u64, u64) {
                    stats.iter().fold((0, 0), |(expected, lost), s| {
                        (expected + s.packets_expected, lost + s.packets_lost)
                    })
                };
                let (citizen_expected, citizen_lost) = sum(&citizen);
                let (agent_expected, agent_lost) = sum(&agent);
                let e = engine.stats();
                writeln!(
                    out,
                    "STATS calls={} connected={connected} packets_in={packets_in} packets_out={packets_out} not_sent={not_sent} transcoded={transcoded} srtp_errors={srtp_errors} citizen_expected={citizen_expected} citizen_lost={citizen_lost} agent_expected={agent_expected} agent_lost={agent_lost} late_ticks={} resyncs={} send_errors={} busy_max_ms={:.1}",
                    calls.len(),
                    e.late_ticks,
                    e.clock_resyncs,
                    e.send_errors,
                    e.busy_us_max as f64 / 1000.0,
                )?;
            }
            // CLOSE <settle ms>: every call hangs up.
            Some("CLOSE") => {
                let settle: u64 = words.next().unwrap_or("500").parse()?;
                calls.clear();
                std::thread::sleep(Duration::from_millis(settle));
                writeln!(out, "CLOSED")?;
            }
            Some("PING") => writeln!(out, "PONG")?,
            Some("QUIT") | None => break,
            Some(other) => return Err(format!("unknown command {other}").into()),
        }
        out.flush()?;
    }
    Ok(())
}

// ------------------------------------------------------------ engine child

struct EngineProc {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl EngineProc {
    fn spawn(options: &Options) -> BenchResult<Self> {
        let mut command = Command::new(std::env::current_exe()?);
        command.args(["--role", "engine", "--shards", &options.shards.to_string()]);
        if let Some(priority) = options.clock_priority {
            command.args(["--clock-priority", &priority.to_string()]);
        }
        if let Some(arenas) = options.arena_max {
            command.env("MALLOC_ARENA_MAX", arenas.to_string());
        }
        if let Some(bytes) = options.trim_threshold {
            command.env("MALLOC_TRIM_THRESHOLD_", bytes.to_string());
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut engine = EngineProc {
            child,
            stdin,
            stdout,
        };
        engine.ask("PING")?;
        Ok(engine)
    }

    fn send(&mut self, line: &str) -> BenchResult<()> {
        writeln!(self.stdin, "{line}")?;
        Ok(self.stdin.flush()?)
    }

    fn read(&mut self) -> BenchResult<String> {
        let mut answer = String::new();
        if self.stdout.read_line(&mut answer)? == 0 {
            return Err("the engine process ended".into());
        }
        Ok(answer.trim_end().to_owned())
    }

    fn ask(&mut self, line: &str) -> BenchResult<String> {
        self.send(line)?;
        self.read()
    }

    fn cpu_seconds(&self) -> f64 {
        cpu_seconds_of(&format!("/proc/{}/stat", self.child.id()))
    }

    fn rss_kib(&self) -> u64 {
        rss_kib_of(&format!("/proc/{}/status", self.child.id()))
    }
}

impl Drop for EngineProc {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "QUIT");
        let _ = self.stdin.flush();
        let _ = self.child.wait();
    }
}

/// User + system CPU seconds of a process, from its /proc stat file.
fn cpu_seconds_of(path: &str) -> f64 {
    let ticks = std::fs::read_to_string(path)
        .ok()
        .and_then(|stat| {
            // After the ")" of the command name, utime is the 12th field, stime the 13th.
            let after = stat.rsplit_once(')')?.1.to_owned();
            let fields: Vec<&str> = after.split_whitespace().collect();
            Some(fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?)
        })
        .unwrap_or(0.0);
    ticks / clock_ticks_per_second()
}

fn clock_ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

fn rss_kib_of(path: &str) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

// ------------------------------------------------------------ load generator

/// What arrived on one stream: (extended sequence, kernel arrival ns).
#[derive(Default)]
struct Stream {
    arrivals: Vec<(i64, i64)>,
    last: Option<u16>,
    cycles: i64,
}

impl Stream {
    fn on_packet(&mut self, sequence: u16, arrival_ns: i64) {
        if let Some(last) = self.last {
            if sequence < 0x1000 && last > 0xF000 {
                self.cycles += 1 << 16;
            }
        }
        self.last = Some(sequence);
        self.arrivals
            .push((self.cycles + i64::from(sequence), arrival_ns));
    }
}

/// The run's clock, shared by every generator thread.
#[derive(Clone, Copy)]
struct Window {
    start: Instant,
    measure_from: Instant,
    end: Instant,
}

impl Window {
    fn measuring(&self, now: Instant) -> bool {
        now >= self.measure_from
    }
}

/// One side's result: what arrived on each stream in the window.
struct Heard {
    streams: Vec<Stream>,
    /// Packets sent over the whole run.
    sent: u64,
    /// Browser peers connected at the end (browser side only).
    connected: usize,
}

/// recvmmsg with kernel receive timestamps (SO_TIMESTAMPNS) and sendmmsg
/// over one socket: the generator's own scheduling does not blur arrival
/// times, and a few system calls carry a tick's packets.
struct Batcher {
    recv_headers: MultiHeaders<SockaddrIn>,
    send_headers: MultiHeaders<SockaddrIn>,
    buffers: Vec<[u8; 1500]>,
    /// (source port, length, kernel arrival ns) of each datagram read.
    got: Vec<(u16, usize, i64)>,
    outgoing: Vec<(SockaddrIn, Vec<u8>)>,
    spare: Vec<Vec<u8>>,
}

impl Batcher {
    fn new() -> Self {
        Batcher {
            recv_headers: MultiHeaders::preallocate(
                BATCH,
                Some(nix::cmsg_space!(nix::sys::time::TimeSpec)),
            ),
            send_headers: MultiHeaders::preallocate(BATCH, None),
            buffers: vec![[0; 1500]; BATCH],
            got: Vec::with_capacity(BATCH),
            outgoing: Vec::new(),
            spare: Vec::new(),
        }
    }

    fn prepare(socket: &UdpSocket) -> BenchResult<()> {
        socket::setsockopt(socket, sockopt::ReceiveTimestampns, &true)?;
        let _ = socket::setsockopt(socket, sockopt::RcvBuf, &(4 << 20));
        let _ = socket::setsockopt(socket, sockopt::SndBuf, &(4 << 20));
        socket.set_nonblocking(true)?;
        Ok(())
    }

    /// Reads up to BATCH datagrams into `got`; false when nothing more is queued.
    fn read(&mut self, socket: &UdpSocket) -> bool {
        self.got.clear();
        let mut iovs: Vec<[IoSliceMut; 1]> = self
            .buffers
            .iter_mut()
            .map(|b| [IoSliceMut::new(&mut b[..])])
            .collect();
        let Ok(results) = socket::recvmmsg(
            socket.as_raw_fd(),
            &mut self.recv_headers,
            iovs.iter_mut(),
            MsgFlags::MSG_DONTWAIT,
            None,
        ) else {
            return false;
        };
        for message in results {
            let mut arrival = 0;
            if let Ok(cmsgs) = message.cmsgs() {
                for cmsg in cmsgs {
                    if let ControlMessageOwned::ScmTimestampns(ts) = cmsg {
                        arrival = ts.tv_sec() * 1_000_000_000 + ts.tv_nsec();
                    }
                }
            }
            let port = message.address.map_or(0, |a| a.port());
            self.got.push((port, message.bytes, arrival));
        }
        self.got.len() == BATCH
    }

    fn queue(&mut self, to: SocketAddr, datagram: &[u8]) {
        let SocketAddr::V4(v4) = to else { return };
        let mut buffer = self.spare.pop().unwrap_or_default();
        buffer.clear();
        buffer.extend_from_slice(datagram);
        self.outgoing.push((SockaddrIn::from(v4), buffer));
    }

    fn flush(&mut self, socket: &UdpSocket) -> u64 {
        let mut sent = 0;
        for chunk in self.outgoing.chunks(BATCH) {
            let addrs: Vec<Option<SockaddrIn>> = chunk.iter().map(|(to, _)| Some(*to)).collect();
            let iovs: Vec<[IoSlice; 1]> = chunk.iter().map(|(_, d)| [IoSlice::new(d)]).collect();
            let no_cmsgs: [ControlMessage; 0] = [];
            if let Ok(results) = socket::sendmmsg(
                socket.as_raw_fd(),
                &mut self.send_headers,
                iovs.iter(),
                &addrs,
                no_cmsgs,
                MsgFlags::MSG_DONTWAIT,
            ) {
                sent += results.count() as u64;
            }
        }
        for (_, buffer) in self.outgoing.drain(..) {
            self.spare.push(buffer);
        }
        sent
    }
}

fn sleep_until(next: &mut Instant) {
    *next += TICK;
    let now = Instant::now();
    if *next > now {
        std::thread::sleep(*next - now);
    } else if now - *next > Duration::from_millis(200) {
        *next = now; // the generator itself fell behind: do not burst
    }
}

/// Plain RTP phones (the citizens, or the reference's agents): 50 packets
/// per second of a PCMU tone to each engine leg in `targets`, stream i on
/// socket i % sockets.len(); what comes back is told apart by source port.
fn drive_phones(
    sockets: Vec<UdpSocket>,
    targets: Vec<u16>,
    frequency: f64,
    window: Window,
) -> BenchResult<Heard> {
    for socket in &sockets {
        Batcher::prepare(socket)?;
    }
    // 8000 samples: a whole number of periods of 440 Hz and 1 kHz.
    let voice: Vec<u8> = (0..8000)
        .map(|n| {
            let t = f64::from(n) / 8000.0;
            Codec::Pcmu.encode((6000.0 * (2.0 * std::f64::consts::PI * frequency * t).sin()) as i16)
        })
        .collect();
    let stream_of_port: HashMap<u16, usize> =
        targets.iter().enumerate().map(|(i, p)| (*p, i)).collect();
    let mut streams: Vec<Stream> = targets.iter().map(|_| Stream::default()).collect();
    let mut batchers: Vec<Batcher> = sockets.iter().map(|_| Batcher::new()).collect();
    let mut packet = Vec::with_capacity(200);
    let ssrc_base: u32 = rand::random();
    let (mut sent, mut tick) = (0u64, 0u32);
    let mut next = window.start;
    while Instant::now() < window.end {
        let offset = (tick as usize * 160) % 8000;
        for (i, port) in targets.iter().enumerate() {
            packet.clear();
            rtp::build(
                &RtpHeader {
                    marker: tick == 0,
                    payload_type: 0,
                    sequence: tick as u16,
                    timestamp: tick.wrapping_mul(160),
                    ssrc: ssrc_base.wrapping_add(i as u32),
                },
                &voice[offset..offset + 160],
                &mut packet,
            );
            batchers[i % sockets.len()].queue(SocketAddr::from(([127, 0, 0, 1], *port)), &packet);
        }
        let measuring = window.measuring(Instant::now());
        for (socket, batcher) in sockets.iter().zip(batchers.iter_mut()) {
            sent += batcher.flush(socket);
            loop {
                let more = batcher.read(socket);
                for (k, &(port, len, at)) in batcher.got.iter().enumerate() {
                    let (true, Some(&stream)) = (measuring, stream_of_port.get(&port)) else {
                        continue;
                    };
                    if let Ok(parsed) = rtp::parse(&batcher.buffers[k][..len]) {
                        if parsed.header.payload_type == 0 {
                            streams[stream].on_packet(parsed.header.sequence, at);
                        }
                    }
                }
                if !more {
                    break;
                }
            }
        }
        tick = tick.wrapping_add(1);
        sleep_until(&mut next);
    }
    Ok(Heard {
        streams,
        sent,
        connected: 0,
    })
}

/// Browser peers sharing one socket, told apart by the leg port they hear from.
struct BrowserGroup {
    socket: UdpSocket,
    peers: Vec<BrowserPeer>,
    leg_ports: Vec<u16>,
}

/// Drives the group's peers on a 20 ms clock: datagrams in (each one's
/// kernel arrival time kept for the audio frames it yields), timers,
/// 20 ms of a 1 kHz tone out per connected peer, datagrams out.
fn drive_browsers(mut group: BrowserGroup, window: Window) -> BenchResult<Heard> {
    Batcher::prepare(&group.socket)?;
    let peer_of_port: HashMap<u16, usize> = group
        .leg_ports
        .iter()
        .enumerate()
        .map(|(i, p)| (*p, i))
        .collect();
    let mut streams: Vec<Stream> = group.peers.iter().map(|_| Stream::default()).collect();
    let mut batcher = Batcher::new();
    let mut frame = [0i16; 160];
    for (n, sample) in frame.iter_mut().enumerate() {
        // 1 kHz: exactly 20 periods in 160 samples at 8 kHz.
        *sample = (6000.0 * (2.0 * std::f64::consts::PI * n as f64 / 8.0).sin()) as i16;
    }
    let mut next = window.start;
    while Instant::now() < window.end {
        let now = Instant::now();
        let measuring = window.measuring(now);
        loop {
            let more = batcher.read(&group.socket);
            for (k, &(port, len, at)) in batcher.got.iter().enumerate() {
                let Some(&i) = peer_of_port.get(&port) else {
                    continue;
                };
                let from = SocketAddr::from(([127, 0, 0, 1], port));
                let peer = &mut group.peers[i];
                peer.handle_datagram(now, from, &batcher.buffers[k][..len]);
                while let Some(heard) = peer.poll_audio() {
                    if measuring && !heard.pcm.is_empty() {
                        streams[i].on_packet(heard.sequence, at);
                    }
                }
            }
            if !more {
                break;
            }
        }
        for peer in group.peers.iter_mut() {
            peer.handle_timeout(now);
            if peer.is_connected() {
                peer.send_audio(now, &frame);
            }
            peer.poll_transmit(&mut |to, datagram| batcher.queue(to, datagram));
        }
        batcher.flush(&group.socket);
        sleep_until(&mut next);
    }
    Ok(Heard {
        streams,
        sent: group.peers.iter().map(BrowserPeer::packets_sent).sum(),
        connected: group.peers.iter().filter(|p| p.is_connected()).count(),
    })
}

#[derive(Default, Clone, Copy)]
struct Lateness {
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    received: u64,
    lost: u64,
}

/// Lateness of each packet against its stream's 20 ms grid, anchored at
/// the earliest-aligned packet of the stream (a stream's constant phase is
/// not lateness; jitter, stalls and catch-ups are); loss is sequence gaps.
fn lateness(streams: &[&Stream]) -> Lateness {
    let mut all: Vec<i64> = Vec::new();
    let (mut received, mut lost) = (0u64, 0u64);
    for stream in streams {
        let mut by_sequence: HashMap<i64, i64> = HashMap::with_capacity(stream.arrivals.len());
        for (sequence, at) in &stream.arrivals {
            by_sequence.entry(*sequence).or_insert(*at);
        }
        let (Some(first), Some(last)) = (
            by_sequence.keys().min().copied(),
            by_sequence.keys().max().copied(),
        ) else {
            continue;
        };
        received += by_sequence.len() as u64;
        lost += (last - first + 1) as u64 - by_sequence.len() as u64;
        let offsets: Vec<i64> = by_sequence
            .iter()
            .map(|(sequence, at)| at - (sequence - first) * 20_000_000)
            .collect();
        let anchor = offsets.iter().min().copied().unwrap_or(0);
        all.extend(offsets.iter().map(|o| o - anchor));
    }
    all.sort_unstable();
    let pick = |q: f64| {
        all.get(((all.len().max(1) - 1) as f64 * q).round() as usize)
            .map_or(0.0, |v| *v as f64 / 1e6)
    };
    Lateness {
        p50_ms: pick(0.5),
        p99_ms: pick(0.99),
        max_ms: all.last().map_or(0.0, |v| *v as f64 / 1e6),
        received,
        lost,
    }
}

fn field(stats: &str, name: &str) -> f64 {
    stats
        .split_whitespace()
        .find_map(|w| w.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
        .unwrap_or(0.0)
}

struct LevelFigures {
    mode: Mode,
    calls: usize,
    engine_cores: f64,
    generator_cores: f64,
    rss_before_kib: u64,
    rss_running_kib: u64,
    rss_after_kib: u64,
    to_citizens: Lateness,
    to_agents: Lateness,
    /// Packets lost on their way into the engine's legs (RFC 3550 counts).
    loss_in: f64,
    connected: usize,
    /// Packets each side should have received in the window (50/s/call).
    expected_per_side: u64,
    engine_stats: String,
}

fn bind_sockets(count: usize) -> BenchResult<Vec<UdpSocket>> {
    Ok((0..count)
        .map(|_| UdpSocket::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()?)
}

fn port_list(ports: impl Iterator<Item = u16>) -> String {
    ports.map(|p| p.to_string()).collect::<Vec<_>>().join(",")
}

/// Sets up `n` calls of `mode`, runs audio both ways for `warmup + measure`,
/// reads the figures, hangs up.
fn run_level(
    engine: &mut EngineProc,
    mode: Mode,
    n: usize,
    warmup: Duration,
    measure: Duration,
    options: &Options,
    settle_ms: u64,
) -> BenchResult<LevelFigures> {
    let rss_before_kib = engine.rss_kib();
    let sockets_per_side = n.div_ceil(STREAMS_PER_SOCKET).max(1);
    let citizen_sockets = bind_sockets(sockets_per_side)?;
    let agent_sockets = if mode == Mode::Plain {
        bind_sockets(sockets_per_side)?
    } else {
        Vec::new()
    };
    let remote_of = |sockets: &[UdpSocket], i: usize| -> u16 {
        sockets[i % sockets.len()]
            .local_addr()
            .map_or(0, |a| a.port())
    };
    let citizen_ports = port_list((0..n).map(|i| remote_of(&citizen_sockets, i)));
    let agent_ports = if mode == Mode::Plain {
        port_list((0..n).map(|i| remote_of(&agent_sockets, i)))
    } else {
        String::new()
    };
    engine.send(&format!(
        "CALLS {} {citizen_ports} {agent_ports}",
        mode.name()
    ))?;
    let mut citizen_legs = Vec::with_capacity(n);
    let mut agent_legs = Vec::with_capacity(n);
    let mut offers = Vec::new();
    loop {
        let line = engine.read()?;
        if line == "END" {
            break;
        }
        let mut words = line.splitn(4, ' ');
        let (Some("CALL"), Some(citizen), Some(agent), Some(offer)) =
            (words.next(), words.next(), words.next(), words.next())
        else {
            return Err(format!("unexpected answer {line:.60}").into());
        };
        citizen_legs.push(citizen.parse::<u16>()?);
        agent_legs.push(agent.parse::<u16>()?);
        offers.push(unescape_sdp(offer));
    }
    let now = Instant::now();
    let mut groups = Vec::new();
    if mode != Mode::Plain {
        let per_thread = n.div_ceil(options.browser_threads);
        let mut answers = Vec::with_capacity(n);
        for (chunk, ports) in offers.chunks(per_thread).zip(agent_legs.chunks(per_thread)) {
            let socket = UdpSocket::bind("127.0.0.1:0")?;
            let local = socket.local_addr()?;
            let mut peers = Vec::with_capacity(chunk.len());
            for (offer, port) in chunk.iter().zip(ports) {
                let mut peer = BrowserPeer::new(BrowserConfig::default(), local, now)?;
                answers.push(format!("{port} {}", escape_sdp(&peer.answer(now, offer)?)));
                peers.push(peer);
            }
            groups.push(BrowserGroup {
                socket,
                peers,
                leg_ports: ports.to_vec(),
            });
        }
        engine.send(&format!("ANSWERS {}", answers.len()))?;
        for answer in &answers {
            engine.send(answer)?;
        }
        let answered = engine.read()?;
        if field(&answered, "failed") > 0.0 {
            return Err(format!("the engine refused answers: {answered}").into());
        }
    }
    let start = Instant::now();
    let window = Window {
        start,
        measure_from: start + warmup,
        end: start + warmup + measure,
    };
    let self_stat = "/proc/self/stat";
    let (engine_cpu, generator_cpu, rss_running_kib, citizens, agents) =
        std::thread::scope(|scope| -> BenchResult<_> {
            let citizen_thread = scope.spawn(move || {
                drive_phones(citizen_sockets, citizen_legs, 440.0, window)
                    .map_err(|e| e.to_string())
            });
            let agent_threads: Vec<_> = if mode == Mode::Plain {
                vec![scope.spawn(move || {
                    drive_phones(agent_sockets, agent_legs, 1000.0, window)
                        .map_err(|e| e.to_string())
                })]
            } else {
                groups
                    .into_iter()
                    .map(|group| {
                        scope
                            .spawn(move || drive_browsers(group, window).map_err(|e| e.to_string()))
                    })
                    .collect()
            };
            // CPU at the window's edges, RSS at its end.
            std::thread::sleep(
                window
                    .measure_from
                    .saturating_duration_since(Instant::now()),
            );
            let (engine_a, generator_a) = (engine.cpu_seconds(), cpu_seconds_of(self_stat));
            let measured_from = Instant::now();
            std::thread::sleep(window.end.saturating_duration_since(Instant::now()));
            let (engine_b, generator_b) = (engine.cpu_seconds(), cpu_seconds_of(self_stat));
            let wall = measured_from.elapsed().as_secs_f64().max(1e-3);
            let rss = engine.rss_kib();
            let citizens = citizen_thread
                .join()
                .map_err(|_| "citizen thread panicked")??;
            let mut agents = Vec::new();
            for thread in agent_threads {
                agents.push(thread.join().map_err(|_| "agent thread panicked")??);
            }
            Ok((
                (engine_b - engine_a) / wall,
                (generator_b - generator_a) / wall,
                rss,
                citizens,
                agents,
            ))
        })?;
    // What is still in flight reaches the engine before it counts.
    std::thread::sleep(Duration::from_millis(100));
    let engine_stats = engine.ask("STATS")?;
    let closed = engine.ask(&format!("CLOSE {settle_ms}"))?;
    if closed != "CLOSED" {
        return Err(format!("unexpected answer {closed:.40}").into());
    }
    let rss_after_kib = engine.rss_kib();
    let agent_streams: Vec<&Stream> = agents.iter().flat_map(|h| h.streams.iter()).collect();
    let citizen_streams: Vec<&Stream> = citizens.streams.iter().collect();
    let browser_sent: u64 = agents.iter().map(|h| h.sent).sum();
    let loss_in = match mode {
        // The engine's WebRTC legs count what they handed their cores;
        // the browsers count what they sent.
        Mode::Relay | Mode::Opus => {
            let lost_from_browsers =
                (browser_sent as f64 - field(&engine_stats, "packets_in")).max(0.0);
            (lost_from_browsers + field(&engine_stats, "citizen_lost"))
                / (browser_sent as f64 + field(&engine_stats, "citizen_expected")).max(1.0)
        }
        Mode::Plain => {
            (field(&engine_stats, "citizen_lost") + field(&engine_stats, "agent_lost"))
                / (field(&engine_stats, "citizen_expected")
                    + field(&engine_stats, "agent_expected"))
                .max(1.0)
        }
    };
    Ok(LevelFigures {
        mode,
        calls: n,
        engine_cores: engine_cpu,
        generator_cores: generator_cpu,
        rss_before_kib,
        rss_running_kib,
        rss_after_kib,
        to_citizens: lateness(&citizen_streams),
        to_agents: lateness(&agent_streams),
        loss_in,
        connected: if mode == Mode::Plain {
            n
        } else {
            agents.iter().map(|h| h.connected).sum()
        },
        expected_per_side: (n as f64 * 50.0 * measure.as_secs_f64()) as u64,
        engine_stats,
    })
}

fn print_row(f: &LevelFigures, plain: Option<&LevelFigures>) {
    let both = Lateness {
        p50_ms: f.to_citizens.p50_ms.max(f.to_agents.p50_ms),
        p99_ms: f.to_citizens.p99_ms.max(f.to_agents.p99_ms),
        max_ms: f.to_citizens.max_ms.max(f.to_agents.max_ms),
        received: f.to_citizens.received + f.to_agents.received,
        lost: f.to_citizens.lost + f.to_agents.lost,
    };
    let loss_out = 100.0 * both.lost as f64 / (both.received + both.lost).max(1) as f64;
    let per_call_pct = 100.0 * f.engine_cores / f.calls as f64;
    // Gaps in sequence numbers miss the ticks an overloaded engine skips
    // (it skips ahead without sending): what arrived against 50/s says so.
    let delivered = |l: &Lateness| 100.0 * l.received as f64 / f.expected_per_side.max(1) as f64;
    let ratio = plain.map_or("–".to_owned(), |p| {
        format!("{:.2}", f.engine_cores / p.engine_cores.max(1e-9))
    });
    println!(
        "| {} | {} | {}/{} | {:.1} | {:.3} | {:.0} | {ratio} | {:.2} | {:.2} / {:.2} | {:.2} | {loss_out:.3} | {:.1} / {:.1} | {:.3} | {:.1} | {} | {} | {:.1} |",
        f.mode.name(),
        f.calls,
        f.connected,
        f.calls,
        100.0 * f.engine_cores,
        per_call_pct,
        f.calls as f64 / f.engine_cores.max(1e-9),
        both.p50_ms,
        f.to_citizens.p99_ms,
        f.to_agents.p99_ms,
        both.max_ms,
        delivered(&f.to_citizens),
        delivered(&f.to_agents),
        100.0 * f.loss_in,
        f.rss_running_kib.saturating_sub(f.rss_before_kib) as f64 / f.calls as f64,
        f.rss_running_kib,
        f.rss_after_kib,
        100.0 * f.generator_cores,
    );
    eprintln!(
        "  [{} {}] {} | received at citizens {} lost {}, at agents {} lost {}",
        f.mode.name(),
        f.calls,
        f.engine_stats,
        f.to_citizens.received,
        f.to_citizens.lost,
        f.to_agents.received,
        f.to_agents.lost
    );
}

/// 1,000 browser-leg set-ups and tear-downs in a fresh engine process:
/// batches of calls that offer, are answered, connect, carry half a
/// second of audio both ways, and hang up.
fn churn(options: &Options) -> BenchResult<()> {
    let mut engine = EngineProc::spawn(options)?;
    let fresh_kib = engine.rss_kib();
    let batches = options.churn_calls.div_ceil(CHURN_BATCH);
    let mut warm_kib = 0;
    let (mut set_up, mut connected) = (0, 0);
    let cpu_before = engine.cpu_seconds();
    let started = Instant::now();
    let mut after_each = Vec::new();
    for batch in 0..batches {
        let calls = CHURN_BATCH.min(options.churn_calls - batch * CHURN_BATCH);
        let figures = run_level(
            &mut engine,
            Mode::Relay,
            calls,
            Duration::from_millis(300),
            Duration::from_millis(500),
            options,
            100,
        )?;
        set_up += calls;
        connected += figures.connected;
        after_each.push(figures.rss_after_kib);
        if batch == 0 {
            warm_kib = figures.rss_after_kib;
        }
    }
    let cpu = engine.cpu_seconds() - cpu_before;
    let wall = started.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_secs(2));
    let after_kib = engine.rss_kib();
    let pct = |kib: u64, base: u64| 100.0 * (kib as f64 - base as f64) / base.max(1) as f64;
    println!();
    println!(
        "churn: {set_up} browser legs set up and torn down in batches of {CHURN_BATCH} ({connected} connected) in {wall:.1} s, engine CPU {cpu:.1} s (MALLOC_ARENA_MAX {}, MALLOC_TRIM_THRESHOLD_ {})",
        options
            .arena_max
            .map_or("unset".to_owned(), |n| n.to_string()),
        options
            .trim_threshold
            .map_or("unset".to_owned(), |n| n.to_string())
    );
    println!(
        "churn RSS KiB: fresh {fresh_kib}, after the first batch (idle, warm) {warm_kib}, after all + 2 s {after_kib} ({:+.1} % vs warm idle, {:+.1} % vs fresh)",
        pct(after_kib, warm_kib),
        pct(after_kib, fresh_kib),
    );
    let step = (after_each.len() / 10).max(1);
    let trail: Vec<String> = after_each
        .iter()
        .step_by(step)
        .map(|k| k.to_string())
        .collect();
    eprintln!(
        "  churn RSS after every {step}th batch (KiB): {}",
        trail.join(" ")
    );
    Ok(())
}

fn orchestrate(options: &Options) -> BenchResult<()> {
    println!(
        "webrtc_bench: relay levels {:?}, opus levels {:?}, {} s measured after {} s warm-up, engine shards {}, browser threads {}",
        options.relay_levels,
        options.opus_levels,
        options.seconds,
        options.warmup_seconds,
        options.shards,
        options.browser_threads
    );
    println!(
        "machine: {} CPUs, load average before the run: {}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    let mut engine = EngineProc::spawn(options)?;
    let idle_kib = engine.rss_kib();
    println!("engine RSS idle: {idle_kib} KiB");
    println!();
    println!("| mode | calls | connected | engine CPU % | CPU %/call | calls/core | × plain | p50 ms | p99 ms to citizen / agent | max ms | loss out % | delivered % to citizen / agent | loss in % | KiB/call | RSS running KiB | RSS after KiB | generator CPU % |");
    println!(
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let warmup = Duration::from_secs(options.warmup_seconds);
    let measure = Duration::from_secs(options.seconds);
    let mut plain_at: HashMap<usize, LevelFigures> = HashMap::new();
    for (mode, levels) in [
        (Mode::Relay, &options.relay_levels),
        (Mode::Opus, &options.opus_levels),
    ] {
        for &n in levels {
            if !options.no_reference && !plain_at.contains_key(&n) {
                let plain = run_level(&mut engine, Mode::Plain, n, warmup, measure, options, 500)?;
                print_row(&plain, None);
                plain_at.insert(n, plain);
            }
            let figures = run_level(&mut engine, mode, n, warmup, measure, options, 500)?;
            print_row(&figures, plain_at.get(&n));
        }
    }
    println!();
    println!(
        "engine RSS idle at start {idle_kib} KiB, after the last level closed {} KiB",
        engine.rss_kib()
    );
    drop(engine);
    if options.churn_calls > 0 {
        churn(options)?;
    }
    Ok(())
}
