//! `hotline bench-routing` (bench/centre/run.sh): how long the centre's
//! ACD takes from an agent becoming free to the order that rings their
//! phone reaching the call's node, with `--nodes` nodes in one process on
//! one PostgreSQL schema, `--agents` agents and `--callers` callers kept
//! waiting.
//!
//! Each node is the real thing but its edges: its ACD task
//! (`acd_task::start`: the desk, the bus, the leader's lock), its console
//! (the screen-pop's citizen lookup in the store), its event writer, its
//! registrar (the agents' phones are found in the store's registrations,
//! as another node's would be). Calls are stand-ins for call tasks: each
//! takes the ACD's orders on its channel, answers a `RingAgent` at once,
//! talks `--talk-ms`, then ends; a new caller takes its place, so the
//! queues stay `--callers` long. Agents' consoles and callers are spread
//! over the nodes in turn, so most offers cross nodes: the call's node
//! tells the leader the talk ended, the leader offers the agent's next
//! call, the agent's console node makes the pop and answers, the leader
//! orders the ring at the next call's node. Not measured: SIP (the
//! INVITE to the phone and its 180, bench/sip) and media.
//!
//! With `--nodes 1` the node runs alone without a bus: the single-node
//! reference of the same run.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use hotline_call::call::{Order, WaitingCall};
use hotline_call::desk;
use hotline_screenpop::{AgentRequest, Console, ConsoleConfig};
use hotline_sip::endpoint::{Endpoint, EndpointConfig};
use hotline_sip::transport::{self, TransportConfig};
use hotline_store::{EventWriter, EventWriterOptions, Registration, Role, Store, User};
use hotline_types::{AgentId, CallId, Timestamp};
use tokio::sync::{mpsc, oneshot};

use crate::acd_task::{self, AcdHandle, AcdInput, AcdOrder};
use crate::call::CallInput;
use crate::config::QueueConfig;
use crate::{callback_list, centre, events, softphone};

/// `hotline bench-routing` options.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// PostgreSQL, with the search path set to an empty schema of the
    /// run's own (bench/centre/run.sh makes and drops it).
    #[arg(long)]
    url: String,
    #[arg(long, default_value_t = 3)]
    nodes: usize,
    #[arg(long, default_value_t = 500)]
    agents: usize,
    /// Callers kept waiting.
    #[arg(long, default_value_t = 5_000)]
    callers: usize,
    /// Queues (departments); agents and callers spread over them.
    #[arg(long, default_value_t = 5)]
    queues: usize,
    /// How long a conversation lasts on average (0.5 to 1.5 times this).
    #[arg(long, default_value_t = 5_000)]
    talk_ms: u64,
    /// How long to measure, after a warm-up of one talk time.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
}

/// When each agent became free (the call's end was told), by agent.
type FreeSince = Arc<Mutex<HashMap<AgentId, Instant>>>;

struct Run {
    nodes: Vec<AcdHandle>,
    consoles: Vec<mpsc::UnboundedSender<AgentRequest>>,
    free_since: FreeSince,
    samples: Arc<Mutex<Vec<Duration>>>,
    measuring: Arc<std::sync::atomic::AtomicBool>,
    talk: Duration,
    queues: usize,
    next: Arc<std::sync::atomic::AtomicUsize>,
    /// Callers the ACD sent away (none are expected).
    overflowed: std::sync::atomic::AtomicUsize,
}

pub fn main(args: BenchArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(args))
}

fn queue_config(i: usize) -> anyhow::Result<QueueConfig> {
    Ok(toml::from_str(&format!(
        "name = \"q{i}\"\ndepartment = \"d{i}\"\nwrap_up_secs = 0\nring_timeout_secs = 20\nannounce_every_secs = 0\n"
    ))?)
}

async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let args = &args;
    let url = args.url.as_str();
    let dir = std::env::temp_dir().join(format!("hotline-bench-routing-{}", std::process::id()));
    let queues: Vec<QueueConfig> = (1..=args.queues)
        .map(queue_config)
        .collect::<anyhow::Result<_>>()?;
    let mut nodes = Vec::new();
    let mut consoles = Vec::new();
    let mut stores = Vec::new();
    for n in 0..args.nodes {
        let mut options = hotline_store::StoreOptions::new(*b"bench-routing-national-id-key-01");
        options.max_connections = std::env::var("BENCH_POOL")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(8);
        let store = Store::connect_with(url, options).await?;
        store.migrate().await?;
        let name = format!("n{}", n + 1);
        let (console_tx, console_rx) = mpsc::unbounded_channel();
        let console = Console::new(store.clone(), ConsoleConfig::default(), console_tx.clone());
        let endpoint = Endpoint::new(EndpointConfig::default(), rand::random(), Instant::now());
        let (sip, _sip_events, sip_tasks) = transport::start(
            TransportConfig {
                listen: vec!["127.0.0.1:0".parse()?],
                ..TransportConfig::default()
            },
            endpoint,
        )
        .await?;
        // The transports run as long as the process (a dropped JoinSet
        // would stop them).
        std::mem::forget(sip_tasks);
        let writer = EventWriter::spawn(
            store.clone(),
            dir.join(format!("spool-{name}")),
            EventWriterOptions::default(),
        );
        let bus = match args.nodes {
            1 => None,
            _ => Some(centre::Bus::new(
                store.clone(),
                store.centre_name().await?,
                name.clone(),
            )),
        };
        let phones = softphone::Phones {
            sip: sip.clone(),
            softphone: softphone::Softphone::new(console.clone(), false, Default::default()),
            shared: Some(centre::SharedPhones::new(store.clone())),
        };
        let acd = acd_task::start(
            &queues,
            phones,
            console,
            events::EventSink::new(writer),
            console_rx,
            acd_task::Callbacks {
                launcher: None,
                list: callback_list::channel(Some(name.clone())).0,
            },
            store.clone(),
            bus,
        );
        if n == 0 && args.nodes > 1 {
            // The first node leads: wait for its lock before the others
            // start trying.
            tokio::time::sleep(centre::HEARTBEAT + Duration::from_millis(300)).await;
        }
        nodes.push(acd);
        consoles.push(console_tx);
        stores.push(store);
    }
    // Followers hear the leader's first announcement.
    tokio::time::sleep(centre::HEARTBEAT * 2).await;

    // The agents' phones, registered with some other node.
    let now_ms = Timestamp::from_system_time(SystemTime::now()).as_millis();
    let phones: Vec<Registration> = (1..=args.agents)
        .map(|i| Registration {
            sip_user: format!("agent{i}"),
            contact: format!("sip:agent{i}@127.0.0.1:9"),
            source: "127.0.0.1:9".into(),
            transport: "Udp".into(),
            digest: None,
            expires_at_ms: now_ms + 3_600_000,
            node_id: "phones".into(),
        })
        .collect();
    stores[0].put_registrations("phones", &phones).await?;

    let run = Arc::new(Run {
        nodes,
        consoles,
        free_since: FreeSince::default(),
        samples: Arc::default(),
        measuring: Arc::default(),
        talk: Duration::from_millis(args.talk_ms),
        queues: args.queues,
        next: Arc::default(),
        overflowed: Default::default(),
    });
    // Agents log in first (a queue with nobody logged in sends its callers
    // away), then the callers queue.
    let mut logins = Vec::new();
    for i in 1..=args.agents {
        let node = i % run.consoles.len();
        let (reply, answer) = oneshot::channel();
        let user = User {
            id: i as i64,
            login: format!("agent{i}"),
            display_name: format!("Agent {i}"),
            role: Role::Agent,
            department: Some(format!("d{}", 1 + i % args.queues)),
            disabled: false,
            must_change_password: false,
            skills: vec![],
        };
        let _ = run.consoles[node].send(AgentRequest::Login {
            agent: AgentId::from(user.login.as_str()),
            user,
            reply,
        });
        logins.push(answer);
    }
    let mut refused = 0;
    for answer in logins {
        if !matches!(answer.await, Ok(Ok(_))) {
            refused += 1;
        }
    }
    anyhow::ensure!(refused == 0, "{refused} agents could not log in");
    for _ in 0..args.callers {
        run.clone().caller();
    }
    // Warm-up: every agent's first offer is a burst.
    tokio::time::sleep(run.talk + Duration::from_secs(2)).await;
    run.measuring
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let started = Instant::now();
    let cpu_before = (
        cpu_ticks(|pid, _| pid == std::process::id()),
        cpu_ticks(|_, name| name == "postgres"),
    );
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    let cpu_after = (
        cpu_ticks(|pid, _| pid == std::process::id()),
        cpu_ticks(|_, name| name == "postgres"),
    );
    run.measuring
        .store(false, std::sync::atomic::Ordering::Relaxed);
    let elapsed = started.elapsed();
    let mut samples = run.samples.lock().unwrap().clone();
    samples.sort();
    anyhow::ensure!(!samples.is_empty(), "no offer was rung");
    let overflowed = run.overflowed.load(std::sync::atomic::Ordering::Relaxed);
    anyhow::ensure!(overflowed == 0, "{overflowed} callers were sent away");
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    // CPU ms per offer measured: the nodes (this process) and PostgreSQL.
    let tick_ms = 1000.0 / 100.0;
    let per_offer =
        |before: u64, after: u64| (after - before) as f64 * tick_ms / samples.len() as f64;
    outln!(
        "| {} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
        args.nodes,
        args.agents,
        args.callers,
        samples.len(),
        samples.len() as f64 / elapsed.as_secs_f64(),
        ms(at(0.5)),
        ms(at(0.9)),
        ms(at(0.99)),
        ms(*samples.last().unwrap()),
        per_offer(cpu_before.0, cpu_after.0),
        per_offer(cpu_before.1, cpu_after.1),
    );
    Ok(())
}

/// User and system CPU ticks (1/100 s) of the processes `pick` chooses
/// by pid and command name, from /proc.
fn cpu_ticks(pick: impl Fn(u32, &str) -> bool) -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let (head, rest) = stat.rsplit_once(')')?;
            let name = head.split_once('(')?.1;
            if !pick(pid, name) {
                return None;
            }
            let fields: Vec<&str> = rest.split_whitespace().collect();
            Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
        })
        .sum()
}

impl Run {
    /// A new caller on the next node, in the next queue; served once.
    fn caller(self: Arc<Self>) {
        let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let node = i % self.nodes.len();
        let call = CallId::new();
        let (tx, mut orders) = mpsc::unbounded_channel();
        self.nodes[node].send(AcdInput::Desk {
            input: desk::Input::Enqueue {
                call,
                request: hotline_acd::EnqueueRequest {
                    queue: format!("q{}", 1 + i % self.queues).as_str().into(),
                    priority: 0,
                    skills: vec![],
                },
                info: WaitingCall {
                    caller: format!("139{:08}", i % 100_000_000),
                    ..WaitingCall::default()
                },
            },
            route: Some(tx),
        });
        tokio::spawn(async move {
            let acd = &self.nodes[node];
            while let Some(input) = orders.recv().await {
                let CallInput::Acd(AcdOrder::Order(order)) = input else {
                    continue;
                };
                match order {
                    Order::RingAgent { agent, .. } => {
                        let free = self.free_since.lock().unwrap().remove(&agent);
                        if let Some(free) = free {
                            if self.measuring.load(std::sync::atomic::Ordering::Relaxed) {
                                self.samples.lock().unwrap().push(free.elapsed());
                            }
                        }
                        acd.send(desk::Input::OfferAnswered { call, agent }.into());
                    }
                    Order::Connect { agent } => {
                        // Conversations last 0.5 to 1.5 times the talk
                        // time, so agents come free one by one, not in
                        // bursts of the first offers' rhythm.
                        let talk = self.talk.mul_f64(0.5 + rand::random::<f64>());
                        tokio::time::sleep(talk).await;
                        self.free_since
                            .lock()
                            .unwrap()
                            .insert(agent.clone(), Instant::now());
                        acd.send(desk::Input::TalkEnded { call }.into());
                        acd.send(
                            desk::Input::CallGone {
                                call,
                                callback: false,
                            }
                            .into(),
                        );
                        self.clone().caller();
                        return;
                    }
                    Order::Overflow { .. } => {
                        self.overflowed
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        acd.send(
                            desk::Input::CallGone {
                                call,
                                callback: false,
                            }
                            .into(),
                        );
                        return;
                    }
                    _ => {}
                }
            }
        });
    }
}
