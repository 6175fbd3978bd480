//! Media engine benchmark: concurrent legs playing a prompt with RTP coming
//! in, against a bare tokio UDP echo at the same packet rate, in one run.
//! See bench/media/README.md for what is measured and how to read it.
//!
//! One binary, three roles: the orchestrator (default) runs the load
//! generator in its own threads and starts this same binary twice more as
//! child processes, `--role engine` (the media engine under test) and
//! `--role reference` (the bare echo), so that each one's CPU time and memory
//! can be read from /proc on its own. They talk over stdin/stdout lines.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, IoSlice, IoSliceMut, Write};
use std::net::UdpSocket;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_media::rtp::{self, RtpHeader};
use hotline_media::{Codec, EngineConfig, LegParams, MediaEngine, MediaEvent, PromptCache};
use nix::sys::socket::{
    self, sockopt, ControlMessage, ControlMessageOwned, MsgFlags, MultiHeaders, SockaddrIn,
};

const TICK: Duration = Duration::from_millis(20);

#[derive(Debug, Clone)]
struct Options {
    role: String,
    levels: Vec<usize>,
    seconds: u64,
    warmup_seconds: u64,
    shards: usize,
    repeat_last: bool,
    churn_rate: usize,
    churn_seconds: u64,
    prompt: PathBuf,
    /// Run both children under `chrt -f 10` (what `-p` does for Asterisk,
    /// `CPUSchedulingPolicy=fifo` in a systemd unit).
    realtime: bool,
    /// SCHED_FIFO priority for the engine's clock threads only
    /// (`MediaEngine::start_with_priority`).
    clock_priority: Option<u8>,
}

fn parse_options() -> Result<Options, String> {
    let mut o = Options {
        role: "orchestrate".into(),
        levels: vec![500, 1000, 2000],
        seconds: 15,
        warmup_seconds: 3,
        shards: 1,
        repeat_last: true,
        churn_rate: 500,
        churn_seconds: 10,
        prompt: PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../ivr_scripts/prompts/en/welcome.wav"),
        realtime: false,
        clock_priority: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        let number = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{} needs a number, got {v:?}", args[i]))
        };
        match args[i].as_str() {
            "--role" => o.role = value,
            "--levels" => {
                o.levels = value
                    .split(',')
                    .map(|v| v.parse().map_err(|_| format!("bad level {v:?}")))
                    .collect::<Result<_, _>>()?
            }
            "--seconds" => o.seconds = number(&value)?,
            "--warmup" => o.warmup_seconds = number(&value)?,
            "--shards" => o.shards = number(&value)? as usize,
            "--no-repeat" => {
                o.repeat_last = false;
                i += 1;
                continue;
            }
            "--realtime" => {
                o.realtime = true;
                i += 1;
                continue;
            }
            "--churn-rate" => o.churn_rate = number(&value)? as usize,
            "--churn-seconds" => o.churn_seconds = number(&value)?,
            "--prompt" => o.prompt = PathBuf::from(value),
            "--clock-priority" => o.clock_priority = Some(number(&value)?.clamp(1, 99) as u8),
            other => {
                return Err(format!(
                    "unknown argument {other:?} (see bench/media/README.md)"
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
            eprintln!("media_bench: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match options.role.as_str() {
        "engine" => engine_role(&options),
        "reference" => reference_role(),
        _ => orchestrate(&options),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("media_bench ({}): {e}", options.role);
            ExitCode::FAILURE
        }
    }
}

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

// ---------------------------------------------------------------- engine role

fn engine_role(options: &Options) -> BenchResult<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let engine = MediaEngine::start_with_priority(
        EngineConfig {
            bind_ip: "127.0.0.1".parse()?,
            port_first: 20_000,
            port_last: 29_999,
            shards: options.shards,
        },
        options.clock_priority,
    )?;
    let cache = PromptCache::new();
    let prompt = cache.get(&options.prompt)?;
    let mut legs = Vec::new();
    let stdin = std::io::stdin();
    let mut out = std::io::stdout();
    for line in stdin.lock().lines() {
        let line = line?;
        let mut words = line.split_whitespace();
        match words.next() {
            Some("ALLOC") => {
                let n: usize = words.next().unwrap_or("0").parse()?;
                let mut ports = Vec::with_capacity(n);
                for _ in 0..n {
                    let leg = engine.allocate_leg()?;
                    ports.push(leg.local_addr().port().to_string());
                    legs.push(leg);
                }
                writeln!(out, "PORTS {}", ports.join(","))?;
            }
            Some("START") => {
                let remotes: Vec<u16> = words
                    .next()
                    .unwrap_or("")
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()?;
                // Enough repeats of the prompt to outlast the measurement.
                let repeats = (3600 / prompt.duration().as_secs().max(1)) as usize;
                for (leg, port) in legs.iter().zip(remotes) {
                    leg.play(vec![Arc::clone(&prompt); repeats], false)?;
                    let mut params = LegParams::new(
                        format!("127.0.0.1:{port}").parse()?,
                        Codec::Pcmu,
                        Some(101),
                    );
                    params.dead_media_after = None;
                    leg.start(params)?;
                }
                writeln!(out, "STARTED")?;
            }
            Some("STATS") => {
                let (mut expected, mut lost, mut malformed, mut events_dropped) = (0, 0, 0, 0);
                let mut jitter_sum = 0.0;
                for leg in &legs {
                    let s = runtime.block_on(leg.stats())?;
                    expected += s.packets_expected;
                    lost += s.packets_lost;
                    malformed += s.counters.malformed_dropped;
                    events_dropped += s.counters.events_dropped;
                    jitter_sum += s.jitter_ms;
                }
                let e = engine.stats();
                writeln!(
                    out,
                    "STATS expected={expected} lost={lost} malformed={malformed} events_dropped={events_dropped} mean_jitter_ms={:.2} late_ticks={} resyncs={} send_errors={} busy_ms_per_tick={:.2} busy_max_ms={:.1} realtime_clock_threads={}",
                    jitter_sum / legs.len().max(1) as f64,
                    e.late_ticks,
                    e.clock_resyncs,
                    e.send_errors,
                    e.busy_us as f64 / 1000.0 / e.ticks.max(1) as f64,
                    e.busy_us_max as f64 / 1000.0,
                    e.realtime_clock_threads
                )?;
            }
            Some("CLOSE") => {
                legs.clear();
                std::thread::sleep(Duration::from_millis(500));
                writeln!(out, "CLOSED")?;
            }
            Some("CHURN") => {
                let rate: usize = words.next().unwrap_or("0").parse()?;
                let seconds: u64 = words.next().unwrap_or("0").parse()?;
                let sink: u16 = words.next().unwrap_or("0").parse()?;
                let report =
                    runtime.block_on(churn(&engine, &cache, options, rate, seconds, sink))?;
                writeln!(out, "CHURNED {report}")?;
            }
            Some("QUIT") | None => break,
            Some(other) => return Err(format!("unknown command {other}").into()),
        }
        out.flush()?;
    }
    Ok(())
}

/// Answer + 3 s prompt + hang-up at `rate` calls per second: one controller
/// task per call, as the hotline binary will have.
async fn churn(
    engine: &MediaEngine,
    cache: &PromptCache,
    options: &Options,
    rate: usize,
    seconds: u64,
    sink: u16,
) -> BenchResult<String> {
    // A three-second prompt: the first 3 s of the benchmark prompt's samples.
    let source = hotline_media::prompt::load_wav_8k_mono(&options.prompt)?;
    let three_s = Arc::new(hotline_media::Prompt::from_samples(
        "three-seconds",
        &source[..source.len().min(24_000)],
    ));
    let _ = cache;
    let completed = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let failed = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let started_at = Instant::now();
    let mut interval = tokio::time::interval(Duration::from_millis(10));
    let per_tick = rate as f64 / 100.0;
    let mut owed = 0.0;
    let mut started = 0u64;
    let mut tasks = Vec::new();
    while started_at.elapsed() < Duration::from_secs(seconds) {
        interval.tick().await;
        owed += per_tick;
        while owed >= 1.0 {
            owed -= 1.0;
            started += 1;
            match engine.allocate_leg() {
                Ok(mut leg) => {
                    let prompt = Arc::clone(&three_s);
                    let completed = Arc::clone(&completed);
                    let failed = Arc::clone(&failed);
                    tasks.push(tokio::spawn(async move {
                        let mut params = LegParams::new(
                            std::net::SocketAddr::from(([127, 0, 0, 1], sink)),
                            Codec::Pcmu,
                            None,
                        );
                        params.dead_media_after = None;
                        if leg.play(vec![prompt], false).is_err() || leg.start(params).is_err() {
                            failed.fetch_add(1, Ordering::Relaxed);
                            return;
                        }
                        loop {
                            match tokio::time::timeout(Duration::from_secs(10), leg.next_event())
                                .await
                            {
                                Ok(Some(MediaEvent::PlaybackFinished { .. })) => {
                                    completed.fetch_add(1, Ordering::Relaxed);
                                    break;
                                }
                                Ok(Some(_)) => {}
                                _ => {
                                    failed.fetch_add(1, Ordering::Relaxed);
                                    break;
                                }
                            }
                        }
                        leg.close();
                    }));
                }
                Err(_) => {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
    for t in tasks {
        let _ = t.await;
    }
    let wall = started_at.elapsed().as_secs_f64();
    let e = engine.stats();
    Ok(format!(
        "started={started} completed={} failed={} wall_s={wall:.1} late_ticks={} resyncs={}",
        completed.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
        e.late_ticks,
        e.clock_resyncs
    ))
}

// ------------------------------------------------------------- reference role

/// The bare reference: one tokio task per socket echoing every packet.
fn reference_role() -> BenchResult<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut sockets: Vec<std::net::UdpSocket> = Vec::new();
    let mut tasks = Vec::new();
    let stdin = std::io::stdin();
    let mut out = std::io::stdout();
    let echoed = Arc::new(std::sync::atomic::AtomicU64::new(0));
    for line in stdin.lock().lines() {
        let line = line?;
        let mut words = line.split_whitespace();
        match words.next() {
            Some("ALLOC") => {
                let n: usize = words.next().unwrap_or("0").parse()?;
                let mut ports = Vec::with_capacity(n);
                for _ in 0..n {
                    let s = std::net::UdpSocket::bind("127.0.0.1:0")?;
                    s.set_nonblocking(true)?;
                    ports.push(s.local_addr()?.port().to_string());
                    sockets.push(s);
                }
                writeln!(out, "PORTS {}", ports.join(","))?;
            }
            Some("START") => {
                let _guard = runtime.enter();
                for s in sockets.drain(..) {
                    let socket = tokio::net::UdpSocket::from_std(s)?;
                    let echoed = Arc::clone(&echoed);
                    tasks.push(runtime.spawn(async move {
                        let mut buf = [0u8; 2048];
                        while let Ok((n, from)) = socket.recv_from(&mut buf).await {
                            if socket.send_to(&buf[..n], from).await.is_ok() {
                                echoed.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }));
                }
                writeln!(out, "STARTED")?;
            }
            Some("STATS") => {
                writeln!(out, "STATS echoed={}", echoed.load(Ordering::Relaxed))?;
            }
            Some("CLOSE") => {
                for t in tasks.drain(..) {
                    t.abort();
                }
                std::thread::sleep(Duration::from_millis(500));
                writeln!(out, "CLOSED")?;
            }
            Some("QUIT") | None => break,
            Some(other) => return Err(format!("unknown command {other}").into()),
        }
        out.flush()?;
    }
    Ok(())
}

// --------------------------------------------------------------- orchestrator

struct ChildProc {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl ChildProc {
    fn spawn(role: &str, options: &Options) -> BenchResult<Self> {
        let exe = std::env::current_exe()?;
        let mut command = if options.realtime {
            let mut c = Command::new("chrt");
            c.args(["-f", "10"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        if let Some(p) = options.clock_priority {
            command.args(["--clock-priority", &p.to_string()]);
        }
        let mut child = command
            .args([
                "--role",
                role,
                "--shards",
                &options.shards.to_string(),
                "--prompt",
                &options.prompt.to_string_lossy(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        Ok(Self {
            child,
            stdin,
            stdout,
        })
    }

    fn ask(&mut self, line: &str) -> BenchResult<String> {
        writeln!(self.stdin, "{line}")?;
        self.stdin.flush()?;
        let mut answer = String::new();
        if self.stdout.read_line(&mut answer)? == 0 {
            return Err(format!("child ended while answering {line:.20}").into());
        }
        Ok(answer.trim().to_owned())
    }

    fn cpu_seconds(&self) -> BenchResult<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))?;
        // Fields after the ")" of the command name: utime is the 12th, stime the 13th.
        let after = stat.rsplit_once(')').ok_or("bad /proc stat")?.1;
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
        Ok(ticks / clock_ticks_per_second())
    }

    fn rss_kib(&self) -> BenchResult<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let line = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .ok_or("no VmRSS")?;
        Ok(line.split_whitespace().nth(1).ok_or("bad VmRSS")?.parse()?)
    }
}

impl Drop for ChildProc {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "QUIT");
        let _ = self.child.wait();
    }
}

fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// What the load generator saw on one leg.
#[derive(Default)]
struct LegCapture {
    /// (extended sequence, kernel arrival time in ns) of packets from the engine.
    arrivals: Vec<(i64, i64)>,
    last_seq: Option<u16>,
    cycles: i64,
}

impl LegCapture {
    fn on_packet(&mut self, seq: u16, arrival_ns: i64) {
        if let Some(last) = self.last_seq {
            if seq < 0x1000 && last > 0xF000 {
                self.cycles += 1 << 16;
            }
        }
        self.last_seq = Some(seq);
        self.arrivals
            .push((self.cycles + i64::from(seq), arrival_ns));
    }
}

struct LoadResult {
    captures: Vec<LegCapture>,
    sent: u64,
}

/// Legs per load-generator socket: a few sockets with batched system calls
/// (sendmmsg/recvmmsg) keep the generator's own CPU small next to the
/// engine's, on a machine where they share two cores.
const LEGS_PER_GENERATOR_SOCKET: usize = 250;
const BATCH: usize = 64;

/// Sends 50 packets per second to each leg and records, with kernel receive
/// timestamps (SO_TIMESTAMPNS), when each packet from each leg arrived: the
/// generator's own scheduling does not blur the measurement. Legs are told
/// apart by the port they send from.
fn run_load(
    sockets: &[UdpSocket],
    targets: &[u16],
    warmup: Duration,
    measure: Duration,
) -> BenchResult<LoadResult> {
    for s in sockets {
        socket::setsockopt(s, sockopt::ReceiveTimestampns, &true)?;
        // Room for a few tens of milliseconds of every leg's packets.
        let _ = socket::setsockopt(s, sockopt::RcvBuf, &(4 << 20));
        s.set_nonblocking(true)?;
    }
    let leg_of_port: HashMap<u16, usize> =
        targets.iter().enumerate().map(|(i, p)| (*p, i)).collect();
    let mut captures: Vec<LegCapture> = (0..targets.len()).map(|_| LegCapture::default()).collect();
    // A quiet 300 Hz hum as the callers' voice (the engine's in-band detector runs on it).
    let voice: Vec<u8> = (0..8000)
        .map(|i| {
            Codec::Pcmu.encode(
                (300.0 * (2.0 * std::f64::consts::PI * 300.0 * i as f64 / 8000.0).sin()) as i16,
            )
        })
        .collect();
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + measure;
    let mut next = start;
    let mut sent = 0u64;
    let mut tick: u32 = 0;
    let mut send_headers = MultiHeaders::<SockaddrIn>::preallocate(BATCH, None);
    let mut recv_headers = MultiHeaders::<SockaddrIn>::preallocate(
        BATCH,
        Some(nix::cmsg_space!(nix::sys::time::TimeSpec)),
    );
    let mut recv_buffers = vec![[0u8; 256]; BATCH];
    let mut packets: Vec<Vec<u8>> = (0..BATCH).map(|_| Vec::with_capacity(200)).collect();
    while Instant::now() < end {
        let measuring = Instant::now() >= measure_from;
        let offset = (tick as usize * 160) % (voice.len() - 160);
        for (socket_index, s) in sockets.iter().enumerate() {
            let legs: Vec<usize> = (socket_index..targets.len())
                .step_by(sockets.len())
                .collect();
            for chunk in legs.chunks(BATCH) {
                let mut addrs = Vec::with_capacity(chunk.len());
                for (slot, leg) in chunk.iter().enumerate() {
                    packets[slot].clear();
                    rtp::build(
                        &RtpHeader {
                            marker: false,
                            payload_type: 0,
                            sequence: tick as u16,
                            timestamp: tick.wrapping_mul(160),
                            ssrc: 0x1000 + *leg as u32,
                        },
                        &voice[offset..offset + 160],
                        &mut packets[slot],
                    );
                    addrs.push(Some(SockaddrIn::new(127, 0, 0, 1, targets[*leg])));
                }
                let iovs: Vec<[IoSlice; 1]> = packets[..chunk.len()]
                    .iter()
                    .map(|p| [IoSlice::new(p)])
                    .collect();
                let no_cmsgs: [ControlMessage; 0] = [];
                if let Ok(results) = socket::sendmmsg(
                    s.as_raw_fd(),
                    &mut send_headers,
                    iovs.iter(),
                    &addrs,
                    no_cmsgs,
                    MsgFlags::MSG_DONTWAIT,
                ) {
                    if measuring {
                        sent += results.count() as u64;
                    }
                }
            }
            // Everything that has arrived on this socket.
            loop {
                let mut got: Vec<(u16, usize, Option<i64>)> = Vec::with_capacity(BATCH);
                {
                    let mut iovs: Vec<[IoSliceMut; 1]> = recv_buffers
                        .iter_mut()
                        .map(|b| [IoSliceMut::new(&mut b[..])])
                        .collect();
                    let Ok(results) = socket::recvmmsg(
                        s.as_raw_fd(),
                        &mut recv_headers,
                        iovs.iter_mut(),
                        MsgFlags::MSG_DONTWAIT,
                        None,
                    ) else {
                        break;
                    };
                    for msg in results {
                        let mut arrival = None;
                        if let Ok(cmsgs) = msg.cmsgs() {
                            for c in cmsgs {
                                if let ControlMessageOwned::ScmTimestampns(ts) = c {
                                    arrival = Some(ts.tv_sec() * 1_000_000_000 + ts.tv_nsec());
                                }
                            }
                        }
                        let port = msg.address.map_or(0, |a| a.port());
                        got.push((port, msg.bytes, arrival));
                    }
                }
                for (i, (port, len, arrival)) in got.iter().enumerate() {
                    let (Some(at), true, Some(leg)) = (arrival, measuring, leg_of_port.get(port))
                    else {
                        continue;
                    };
                    if let Ok(p) = rtp::parse(&recv_buffers[i][..*len]) {
                        if p.header.payload_type == 0 {
                            captures[*leg].on_packet(p.header.sequence, *at);
                        }
                    }
                }
                if got.len() < BATCH {
                    break;
                }
            }
        }
        tick = tick.wrapping_add(1);
        next += TICK;
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        } else if now - next > Duration::from_millis(200) {
            next = now; // the generator itself fell behind: do not burst
        }
    }
    Ok(LoadResult { captures, sent })
}

struct Lateness {
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    received: u64,
    lost: u64,
}

/// Lateness of each packet against its leg's 20 ms grid, anchored at the
/// earliest-aligned packet of that leg (so a leg's constant phase is not
/// counted, only delay beyond it).
fn lateness(captures: &[LegCapture]) -> Lateness {
    let mut all: Vec<i64> = Vec::new();
    let (mut received, mut lost) = (0u64, 0u64);
    for c in captures {
        if c.arrivals.is_empty() {
            continue;
        }
        let mut by_seq: HashMap<i64, i64> = HashMap::with_capacity(c.arrivals.len());
        for (s, at) in &c.arrivals {
            by_seq.entry(*s).or_insert(*at);
        }
        let first = by_seq.keys().min().copied().unwrap_or(0);
        let last = by_seq.keys().max().copied().unwrap_or(0);
        received += by_seq.len() as u64;
        lost += (last - first + 1) as u64 - by_seq.len() as u64;
        let offsets: Vec<i64> = by_seq
            .iter()
            .map(|(s, at)| at - (s - first) * 20_000_000)
            .collect();
        let anchor = offsets.iter().min().copied().unwrap_or(0);
        all.extend(offsets.iter().map(|o| o - anchor));
    }
    all.sort_unstable();
    let pick = |q: f64| {
        if all.is_empty() {
            return 0.0;
        }
        let i = ((all.len() - 1) as f64 * q).round() as usize;
        all[i] as f64 / 1e6
    };
    Lateness {
        p50_ms: pick(0.5),
        p99_ms: pick(0.99),
        max_ms: all.last().map_or(0.0, |v| *v as f64 / 1e6),
        received,
        lost,
    }
}

struct LevelFigures {
    cpu_s: f64,
    packets: u64,
    rss_before_kib: u64,
    rss_running_kib: u64,
    rss_after_kib: u64,
    late: Lateness,
    sent: u64,
    child_stats: String,
}

fn run_level(
    child: &mut ChildProc,
    n: usize,
    options: &Options,
    timed_replies: bool,
) -> BenchResult<LevelFigures> {
    let rss_before_kib = child.rss_kib()?;
    let ports_line = child.ask(&format!("ALLOC {n}"))?;
    let ports: Vec<u16> = ports_line
        .strip_prefix("PORTS ")
        .ok_or_else(|| format!("unexpected answer {ports_line:.40}"))?
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let socket_count = n.div_ceil(LEGS_PER_GENERATOR_SOCKET).max(1);
    let sockets: Vec<UdpSocket> = (0..socket_count)
        .map(|_| UdpSocket::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()?;
    // Leg i talks to generator socket i % socket_count (as run_load sends).
    let remotes: Vec<String> = (0..n)
        .map(|i| {
            sockets[i % socket_count]
                .local_addr()
                .map(|a| a.port().to_string())
        })
        .collect::<Result<_, _>>()?;
    let started = child.ask(&format!("START {}", remotes.join(",")))?;
    if started != "STARTED" {
        return Err(format!("unexpected answer {started:.40}").into());
    }
    let warmup = Duration::from_secs(options.warmup_seconds);
    let measure = Duration::from_secs(options.seconds);
    // CPU is read at the edges of the measured window from a helper thread.
    let stop = Arc::new(AtomicBool::new(false));
    let pid = child.child.id();
    let sampler = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || -> (f64, f64, u64) {
            let read = || -> f64 {
                std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .ok()
                    .and_then(|s| {
                        let after = s.rsplit_once(')')?.1.to_owned();
                        let f: Vec<&str> = after.split_whitespace().collect();
                        Some(f[11].parse::<f64>().ok()? + f[12].parse::<f64>().ok()?)
                    })
                    .unwrap_or(0.0)
                    / clock_ticks_per_second()
            };
            std::thread::sleep(warmup);
            let a = read();
            let t0 = Instant::now();
            while !stop.load(Ordering::Relaxed) && t0.elapsed() < measure {
                std::thread::sleep(Duration::from_millis(50));
            }
            let b = read();
            let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find(|l| l.starts_with("VmRSS:"))?
                        .split_whitespace()
                        .nth(1)?
                        .parse()
                        .ok()
                })
                .unwrap_or(0);
            (a, b, rss)
        })
    };
    let load = run_load(&sockets, &ports, warmup, measure)?;
    stop.store(true, Ordering::Relaxed);
    let (cpu_a, cpu_b, rss_running_kib) = sampler.join().map_err(|_| "sampler panicked")?;
    let child_stats = child.ask("STATS")?;
    let closed = child.ask("CLOSE")?;
    if closed != "CLOSED" {
        return Err(format!("unexpected answer {closed:.40}").into());
    }
    let rss_after_kib = child.rss_kib()?;
    let late = if timed_replies {
        lateness(&load.captures)
    } else {
        Lateness {
            p50_ms: 0.0,
            p99_ms: 0.0,
            max_ms: 0.0,
            received: load.captures.iter().map(|c| c.arrivals.len() as u64).sum(),
            lost: 0,
        }
    };
    // Packets the child handled in the window: what it received plus what it sent.
    let packets = load.sent + late.received;
    Ok(LevelFigures {
        cpu_s: cpu_b - cpu_a,
        packets,
        rss_before_kib,
        rss_running_kib,
        rss_after_kib,
        late,
        sent: load.sent,
        child_stats,
    })
}

fn orchestrate(options: &Options) -> BenchResult<()> {
    println!(
        "media_bench: levels {:?}, {} s measured after {} s warm-up, engine shards {}, prompt {}",
        options.levels,
        options.seconds,
        options.warmup_seconds,
        options.shards,
        options.prompt.display()
    );
    println!(
        "machine: {} CPUs, load average before the run: {}, children under chrt -f 10: {}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim(),
        options.realtime
    );
    let mut engine = ChildProc::spawn("engine", options)?;
    let mut reference = ChildProc::spawn("reference", options)?;
    // A first answer means the child has started and loaded the prompt.
    engine.ask("STATS")?;
    reference.ask("STATS")?;
    let idle_engine_kib = engine.rss_kib()?;
    let mut levels = options.levels.clone();
    if options.repeat_last {
        if let Some(last) = levels.last().copied() {
            levels.push(last);
        }
    }
    println!();
    println!("| legs | engine CPU % | engine µs/pkt | ref µs/pkt | ratio | p50 ms | p99 ms | max ms | loss out % | loss in % | KiB/leg | RSS after close KiB |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for n in levels {
        let e = run_level(&mut engine, n, options, true)?;
        let r = run_level(&mut reference, n, options, false)?;
        let e_us = e.cpu_s * 1e6 / e.packets.max(1) as f64;
        let r_us = r.cpu_s * 1e6 / r.packets.max(1) as f64;
        let loss_out = 100.0 * e.late.lost as f64 / (e.late.received + e.late.lost).max(1) as f64;
        let field = |name: &str| -> f64 {
            e.child_stats
                .split_whitespace()
                .find_map(|w| {
                    w.strip_prefix(&format!("{name}="))
                        .and_then(|v| v.parse().ok())
                })
                .unwrap_or(0.0)
        };
        let loss_in = 100.0 * field("lost") / field("expected").max(1.0);
        let per_leg = (e.rss_running_kib.saturating_sub(e.rss_before_kib)) as f64 / n as f64;
        println!(
            "| {n} | {:.1} | {e_us:.2} | {r_us:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {loss_out:.3} | {loss_in:.3} | {per_leg:.1} | {} |",
            100.0 * e.cpu_s / options.seconds as f64,
            e_us / r_us.max(1e-9),
            e.late.p50_ms,
            e.late.p99_ms,
            e.late.max_ms,
            e.rss_after_kib
        );
        eprintln!(
            "  [{n} legs] engine: {} | sent {} received {} | reference: {} sent {} echoed back {} lost {:.3}% | engine idle RSS {idle_engine_kib} KiB",
            e.child_stats,
            e.sent,
            e.late.received,
            r.child_stats,
            r.sent,
            r.late.received,
            100.0 * (r.sent.saturating_sub(r.late.received)) as f64 / r.sent.max(1) as f64
        );
    }
    if options.churn_rate > 0 {
        let sink = UdpSocket::bind("127.0.0.1:0")?;
        let cpu_a = engine.cpu_seconds()?;
        let answer = engine.ask(&format!(
            "CHURN {} {} {}",
            options.churn_rate,
            options.churn_seconds,
            sink.local_addr()?.port()
        ))?;
        let cpu_b = engine.cpu_seconds()?;
        println!();
        println!(
            "churn: {} calls/s of answer + 3 s prompt + hang-up for {} s: {answer}; engine CPU {:.1} s; RSS after {} KiB (idle at start {idle_engine_kib} KiB)",
            options.churn_rate,
            options.churn_seconds,
            cpu_b - cpu_a,
            engine.rss_kib()?
        );
    }
    Ok(())
}
