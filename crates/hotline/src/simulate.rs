//! `hotline simulate`: drives a running hotline with simulated citizens
//! and agents, over real SIP and RTP, with the project's own UAC/UAS
//! (hotline-sip) and media legs (hotline-media); no SIPp needed.
//!
//! - Agents (`--agents N`): phones `agent1..agentN` register with digest
//!   (password `agentN-sip-pass`), log in to the console (`agentN-demo-pass`,
//!   the `serve --demo --demo-agents N` accounts), go available, answer
//!   offered calls after a random ring, talk with real audio, hang up or
//!   let the citizen do it, and set a disposition ([`agent`]).
//! - Callers (`--calls-per-minute`): Poisson arrivals with an optional ramp;
//!   each presses its keys through the menu, waits (some give up), talks,
//!   answers the survey ([`caller`]).
//! - A live one-line summary every few seconds and a final report
//!   ([`report`]); the run fails (non-zero exit) if any call failed in a way
//!   the hotline is to blame for.
//!
//! Owns only the simulator: it talks to the hotline from the outside, as
//! phones and browsers do, and changes nothing in it.

mod agent;
mod caller;
mod console;
mod plan;
mod report;
mod sip;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context};
use hotline_media::{EngineConfig, MediaEngine, Prompt};
use rand::Rng;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::config::Config;
use plan::{Arrivals, KeyPath, Spread};
use report::Tally;

/// A simulated leg with no RTP from the hotline for this long has lost its
/// media (the hotline always sends: prompts, music, comfort noise).
const DEAD_MEDIA_AFTER: Duration = Duration::from_secs(8);
/// Agents registering and logging in at the same time.
const AGENT_STARTS_AT_ONCE: usize = 4;

/// `hotline simulate` options.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// The hotline's SIP address (default: from the configuration, sip.advertised or sip.listen).
    #[arg(long)]
    sip: Option<SocketAddr>,
    /// The hotline's web address (default: http.listen from the configuration).
    #[arg(long)]
    http: Option<SocketAddr>,
    /// The number callers dial (default: the first of sip.numbers).
    #[arg(long)]
    number: Option<String>,
    /// Simulated agents: agent1..agentN of `serve --demo --demo-agents N`.
    #[arg(long, default_value_t = 0)]
    agents: u32,
    /// Caller arrivals per minute (a Poisson process); 0: agents only.
    #[arg(long, default_value_t = 0.0)]
    calls_per_minute: f64,
    /// Raise the arrival rate linearly from zero over this long.
    #[arg(long, default_value = "0s", value_parser = plan::parse_duration)]
    ramp: Duration,
    /// Stop placing calls after this long (default: at Ctrl-C).
    #[arg(long, value_parser = plan::parse_duration)]
    duration: Option<Duration>,
    /// Stop placing calls after this many.
    #[arg(long)]
    calls: Option<u64>,
    /// Keys through the menu, one step per comma, alternatives with `|`,
    /// `~12s` for a pause before the next key (the default reaches a
    /// department in the shipped menu in office hours: Mandarin, the
    /// welcome and the recording notice heard out and agreed to, report a
    /// problem, a department).
    #[arg(long, default_value = "1,~18s,2,1|2|3|4|0")]
    keys: KeyPath,
    /// Time before each key (and before the survey answer). Every duration
    /// option takes `5s` (fixed), `2s..8s` (uniform) or `exp:20s`
    /// (exponential with that mean).
    #[arg(long, default_value = "1.5s")]
    key_gap: Spread,
    /// Share of callers who hang up if they wait longer than their patience.
    #[arg(long, default_value_t = 0.1)]
    abandon_share: f64,
    /// How long an impatient caller waits after the last key.
    #[arg(long, default_value = "exp:20s")]
    patience: Spread,
    /// How long the agent's phone rings before the agent answers.
    #[arg(long, default_value = "0.5s..2s")]
    ring: Spread,
    /// How long agent and citizen talk.
    #[arg(long, default_value = "2s..8s")]
    talk: Spread,
    /// How long an agent takes to set the disposition after the call.
    #[arg(long, default_value = "0.5s..1.5s")]
    wrap_up: Spread,
    /// Share of calls the agent ends (the citizen ends the others).
    #[arg(long, default_value_t = 0.5)]
    agent_hangs_up: f64,
    /// After the last call is placed, wait this long for calls to end.
    #[arg(long, default_value = "60s", value_parser = plan::parse_duration)]
    drain: Duration,
    /// How often to print the live summary.
    #[arg(long, default_value = "5s", value_parser = plan::parse_duration)]
    report_every: Duration,
    /// Local RTP ports for the simulated phones (first-last).
    #[arg(long, default_value = "30000-39999")]
    rtp_ports: String,
    /// Media clock threads of the simulator.
    #[arg(long, default_value_t = 1)]
    media_threads: usize,
    /// Seed for every random choice (default: random).
    #[arg(long)]
    seed: Option<u64>,
}

/// What agents and callers share: the SIP side, the media engine, the
/// counters, and the directory through which an agent tells the caller
/// it answered (both run here) what happens next.
pub(crate) struct Shared {
    sip: sip::SipSide,
    media: MediaEngine,
    http: SocketAddr,
    number: String,
    tally: Arc<Tally>,
    plan: Plan,
    caller_voice: Arc<Prompt>,
    agent_voice: Arc<Prompt>,
    directory: Mutex<HashMap<String, mpsc::UnboundedSender<Note>>>,
}

/// The behaviour drawn from the options.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    keys: KeyPath,
    key_gap: Spread,
    abandon_share: f64,
    patience: Spread,
    ring: Spread,
    talk: Spread,
    wrap_up: Spread,
    agent_hangs_up: f64,
}

/// What a simulated agent tells the simulated caller it answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Note {
    /// The agent answered; the caller hangs up after this long (if the
    /// agent is not the one to end the call).
    Connected {
        caller_hangs_up_after: Option<Duration>,
    },
    /// The agent hung up: the survey comes.
    AgentHungUp,
}

impl Shared {
    fn listen(&self, number: &str, notes: mpsc::UnboundedSender<Note>) {
        self.directory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(number.to_owned(), notes);
    }

    fn forget(&self, number: &str) {
        self.directory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(number);
    }

    /// Tells the simulated caller with this number, if it is one of ours.
    fn notify(&self, number: &str, note: Note) {
        let directory = self.directory.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(caller) = directory.get(number) {
            let _ = caller.send(note);
        }
    }
}

fn media_codec(codec: hotline_sip::Codec) -> hotline_media::Codec {
    match codec {
        hotline_sip::Codec::Pcmu => hotline_media::Codec::Pcmu,
        hotline_sip::Codec::Pcma => hotline_media::Codec::Pcma,
    }
}

/// A voice-like test signal: a tone at `hz` whose loudness rises and falls
/// about four times a second, like syllables (and never a DTMF pair).
fn voice(name: &str, hz: f64) -> Arc<Prompt> {
    let samples: Vec<i16> = (0..16_000)
        .map(|i| {
            let t = f64::from(i) / 8000.0;
            let syllables = 0.55 + 0.45 * (t * 4.0 * std::f64::consts::TAU).sin();
            let sample = (t * hz * std::f64::consts::TAU).sin() * 6000.0 * syllables;
            sample as i16
        })
        .collect();
    Arc::new(Prompt::from_samples(name, &samples))
}

/// A loopback or unspecified address means "this machine".
fn reachable(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        SocketAddr::new(IpAddr::from([127, 0, 0, 1]), addr.port())
    } else {
        addr
    }
}

/// The local address the system would use to reach `target`.
fn local_ip_towards(target: SocketAddr) -> anyhow::Result<IpAddr> {
    let any: SocketAddr = if target.is_ipv4() {
        "0.0.0.0:0".parse()?
    } else {
        "[::]:0".parse()?
    };
    let socket = std::net::UdpSocket::bind(any)?;
    socket
        .connect(target)
        .with_context(|| format!("no route to the hotline at {target}"))?;
    Ok(socket.local_addr()?.ip())
}

fn port_range(text: &str) -> anyhow::Result<(u16, u16)> {
    let (first, last) = text
        .split_once('-')
        .with_context(|| format!("--rtp-ports {text:?}: write first-last, e.g. 30000-39999"))?;
    let (first, last): (u16, u16) = (first.trim().parse()?, last.trim().parse()?);
    if first < 1024 || last <= first {
        bail!("--rtp-ports {text:?}: a range above 1023, first below last");
    }
    Ok((first, last))
}

/// `hotline simulate`: runs until the arrivals end and the calls drain.
pub fn main(args: SimulateArgs, config: &Config) -> anyhow::Result<()> {
    for (name, share) in [
        ("--abandon-share", args.abandon_share),
        ("--agent-hangs-up", args.agent_hangs_up),
    ] {
        if !(0.0..=1.0).contains(&share) {
            bail!("{name} {share} must be between 0 and 1");
        }
    }
    if args.agents == 0 && args.calls_per_minute <= 0.0 {
        bail!("nothing to simulate: give --agents N, --calls-per-minute R, or both");
    }
    let sip = match args.sip {
        Some(sip) => sip,
        None => config.check()?.advertised,
    };
    let http = args.http.unwrap_or(config.http.listen);
    let number = args
        .number
        .clone()
        .or_else(|| config.sip.numbers.first().cloned())
        .unwrap_or_else(|| "12345".into());
    crate::runtime()?.block_on(run(args, reachable(sip), reachable(http), number))
}

async fn run(
    args: SimulateArgs,
    hotline: SocketAddr,
    http: SocketAddr,
    number: String,
) -> anyhow::Result<()> {
    let local_ip = local_ip_towards(hotline)?;
    let (port_first, port_last) = port_range(&args.rtp_ports)?;
    let media = MediaEngine::start(EngineConfig {
        bind_ip: local_ip,
        port_first,
        port_last,
        shards: args.media_threads.max(1),
    })
    .context("starting the simulator's media engine")?;
    let users = (1..=args.agents).map(|n| format!("agent{n}")).collect();
    let (sip, mut sip_tasks) = sip::SipSide::start(local_ip, hotline, users).await?;
    let seed = args.seed.unwrap_or_else(rand::random);
    let shared = Arc::new(Shared {
        sip,
        media,
        http,
        number,
        tally: Arc::new(Tally::default()),
        plan: Plan {
            keys: args.keys.clone(),
            key_gap: args.key_gap,
            abandon_share: args.abandon_share,
            patience: args.patience,
            ring: args.ring,
            talk: args.talk,
            wrap_up: args.wrap_up,
            agent_hangs_up: args.agent_hangs_up,
        },
        caller_voice: voice("citizen voice", 440.0),
        agent_voice: voice("agent voice", 330.0),
        directory: Mutex::new(HashMap::new()),
    });
    outln!(
        "hotline simulate: the hotline at sip:{}@{hotline} and http://{http}; simulated phones on {} (seed {seed})",
        shared.number, shared.sip.local
    );

    // Agents first: all registered and available before the first caller.
    let (stop_agents, agents_stop) = watch::channel(false);
    let mut agent_tasks = tokio::task::JoinSet::new();
    if args.agents > 10 {
        outln!(
            "logging in {} agents: the console takes console.login_attempts_per_minute logins a minute from one address (10 by default), the rest wait their turn",
            args.agents
        );
    }
    if args.agents > 0 {
        // A few at a time: each console login costs the hotline an argon2
        // verification, and two hundred at once would time out.
        use futures_util::StreamExt;
        let agents: Vec<_> = futures_util::stream::iter(1..=args.agents)
            .map(|n| agent::Agent::start(n, shared.clone(), seed.wrapping_add(u64::from(n))))
            .buffer_unordered(AGENT_STARTS_AT_ONCE)
            .collect()
            .await;
        let mut ready = Vec::new();
        for agent in agents {
            ready.push(agent.context(
                "an agent could not start: is the hotline running with `serve --demo --demo-agents N` (N at least --agents)?",
            )?);
        }
        outln!(
            "{} agents registered their phones, logged in and are taking calls",
            ready.len()
        );
        for agent in ready {
            agent_tasks.spawn(agent.run(agents_stop.clone()));
        }
    }

    let started = Instant::now();
    let callers_here = args.calls_per_minute > 0.0;
    let reporter = {
        let tally = shared.tally.clone();
        let every = args.report_every.max(Duration::from_millis(100));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(started + every, every);
            loop {
                tick.tick().await;
                outln!("{}", tally.live_line(started.elapsed(), callers_here));
            }
        })
    };

    let (stop_callers, callers_stop) = watch::channel(false);
    let mut callers = tokio::task::JoinSet::new();
    let interrupted = place_calls(&args, &shared, seed, &callers_stop, &mut callers).await;

    // Drain: calls in progress may end on their own for a while.
    let drain_until = Instant::now() + args.drain;
    while !callers.is_empty() {
        tokio::select! {
            _ = callers.join_next() => {}
            _ = tokio::time::sleep_until(drain_until) => break,
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    let _ = stop_callers.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        while callers.join_next().await.is_some() {}
    })
    .await;
    if args.calls_per_minute <= 0.0 && !interrupted {
        // Agents only (SIPp or people are the callers): work until Ctrl-C
        // or the duration.
        match args.duration {
            Some(duration) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(started + duration) => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    let elapsed = started.elapsed();
    let _ = stop_agents.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(15), async {
        while agent_tasks.join_next().await.is_some() {}
    })
    .await;
    reporter.abort();
    sip_tasks.abort_all();

    let tally = &shared.tally;
    outln!("{}", tally.live_line(elapsed, callers_here));
    out!("{}", tally.final_report(elapsed, callers_here));
    if callers_here
        && args.agents > 0
        && tally
            .reached_agent
            .load(std::sync::atomic::Ordering::Relaxed)
            == 0
        && tally.answered.load(std::sync::atomic::Ordering::Relaxed) > 0
    {
        outln!(
            "  note: no caller reached an agent. Outside office hours (Asia/Shanghai) the shipped menu offers self-service only; try `--keys` for your menu, or the test menu tests/ivr/agent_path.toml with `--keys 1|2`."
        );
    }
    let failed = tally.failed();
    if failed > 0 {
        bail!("{failed} calls failed in a way the hotline is to blame for (see the report above)");
    }
    Ok(())
}

/// Places calls at the arrival times until the duration, the number of
/// calls or Ctrl-C; true if interrupted.
async fn place_calls(
    args: &SimulateArgs,
    shared: &Arc<Shared>,
    seed: u64,
    stop: &watch::Receiver<bool>,
    callers: &mut tokio::task::JoinSet<()>,
) -> bool {
    if args.calls_per_minute <= 0.0 {
        return false;
    }
    let arrivals = Arrivals {
        per_minute: args.calls_per_minute,
        ramp: args.ramp,
    };
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
    let started = Instant::now();
    let mut at = Duration::ZERO;
    let mut placed = 0u64;
    loop {
        if args.calls.is_some_and(|limit| placed >= limit) {
            return false;
        }
        let Some(next) = arrivals.next_after(at, &mut rng) else {
            return false;
        };
        if args.duration.is_some_and(|d| next >= d) {
            if let Some(d) = args.duration {
                tokio::time::sleep_until(started + d).await;
            }
            return false;
        }
        at = next;
        tokio::select! {
            _ = tokio::time::sleep_until(started + at) => {}
            _ = tokio::signal::ctrl_c() => {
                outln!("stopping: no new calls; waiting for the calls in progress (Ctrl-C again to end them now)");
                return true;
            }
        }
        placed += 1;
        callers.spawn(caller::run(placed, shared.clone(), rng.gen(), stop.clone()));
        // Reap finished callers so the set does not grow with the run.
        while callers.try_join_next().is_some() {}
    }
}
