//! The wallboard's cost per second: a console over a store holding a busy
//! day (50 queues, 2,000 agents), a live picture published every second as
//! the binary does, and supervisors' wallboards open on real WebSockets.
//!
//! ```text
//! cargo run --release -p hotline-screenpop --example wallboard_cost -- --db /var/tmp/wallboard.db
//! ```
//!
//! Options: `--queues N` (50), `--agents N` (2000), `--calls N` (calls
//! today, 40000), `--days N` (also the N-1 days before, for the reports;
//! 1), `--watchers N` (open wallboards, 10: half see everything, half one
//! department of five queues), `--seconds N` (per phase, 30), `--db PATH`
//! (SQLite file to reuse; data is generated only when it holds none for
//! today), `--serve ADDR` (afterwards keep serving and publishing on ADDR,
//! login `wallboard` / `wallboard-bench-pass`, to look at the pages).
//!
//! The wallboards run in a child process (this example started again with
//! `--watch`), so this process's CPU time is the server's: the store
//! reads, the merge, the encoding and the pushes. Reported: the references
//! measured in the same run (the store's two "today" queries, encoding the
//! bare live picture), one view's build and encoding, the CPU time per
//! second with nobody watching and with the wallboards open, and the
//! publish → received latency at the wallboards.

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use futures_util::StreamExt;
use hotline_screenpop::{
    AgentRequest, Console, ConsoleConfig, LiveAgent, LiveBoard, LiveQueue, QueueInfo,
    StatisticsConfig,
};
use hotline_store::{Bucket, NewUser, QueueGrouping, ReportQuery, Role, Store};
use hotline_types::{AgentId, CallEvent, CallEventRecord, CallId, HangupSide, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tower::ServiceExt;

const PASSWORD: &str = "wallboard-bench-pass";
const TZ: i32 = 480;
const DAY_MS: i64 = 86_400_000;
const QUEUES_PER_DEPARTMENT: usize = 5;

struct Args {
    queues: usize,
    agents: usize,
    calls: usize,
    days: i64,
    watchers: usize,
    seconds: u64,
    db: Option<String>,
    serve: Option<SocketAddr>,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut args = Args {
        queues: 50,
        agents: 2_000,
        calls: 40_000,
        days: 1,
        watchers: 10,
        seconds: 30,
        db: None,
        serve: None,
    };
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let bad = |e: std::num::ParseIntError| format!("{flag} {value}: {e}");
        match flag.as_str() {
            "--queues" => args.queues = value.parse().map_err(bad)?,
            "--agents" => args.agents = value.parse().map_err(bad)?,
            "--calls" => args.calls = value.parse().map_err(bad)?,
            "--days" => args.days = value.parse().map_err(bad)?,
            "--watchers" => args.watchers = value.parse().map_err(bad)?,
            "--seconds" => args.seconds = value.parse().map_err(bad)?,
            "--db" => args.db = Some(value),
            "--serve" => args.serve = Some(value.parse().map_err(|e| format!("--serve: {e}"))?),
            other => return Err(format!("unknown option {other}")),
        }
    }
    if args.queues == 0 || args.agents == 0 || args.days < 1 || args.seconds == 0 {
        return Err("--queues, --agents, --days and --seconds must be positive".into());
    }
    Ok(args)
}

fn now_ms() -> i64 {
    Timestamp::from_system_time(SystemTime::now()).as_millis()
}

fn queue_name(i: usize) -> String {
    format!("q{:02}", i + 1)
}

fn department(i: usize) -> String {
    format!("Department {:02}", i / QUEUES_PER_DEPARTMENT + 1)
}

fn agent_name(i: usize) -> String {
    format!("a{:04}", i + 1)
}

/// The queues agent `i` serves: two or three neighbouring ones.
fn agent_queues(i: usize, queues: usize) -> Vec<usize> {
    let first = (i * 7) % queues;
    let n = 2 + i % 2;
    (0..n).map(|k| (first + k) % queues).collect()
}

/// CPU time of this process (all threads), from /proc/self/stat.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime and
    // stime are the 12th and 13th, in clock ticks of 1/100 s.
    let rest = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

fn percentile(samples: &mut [f64], q: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples
        .get(((samples.len() as f64 * q) as usize).min(samples.len().saturating_sub(1)))
        .copied()
        .unwrap_or(f64::NAN)
}

fn record(call: CallId, at: i64, event: CallEvent) -> CallEventRecord {
    CallEventRecord::new(call, Timestamp(at), event)
}

/// The events of one call: queued, then answered (85 %) or abandoned.
fn call_events(rng: &mut StdRng, args: &Args, start: i64) -> Vec<CallEventRecord> {
    let call = CallId::new();
    let q = rng.gen_range(0..args.queues);
    let queue = queue_name(q);
    let queued = start + rng.gen_range(5_000..40_000);
    let wait = rng.gen_range(0..90_000u64);
    let mut events = vec![
        record(
            call,
            start,
            CallEvent::CallStarted {
                caller: format!("+86139{:08}", rng.gen_range(0..100_000_000u64)),
                called: "12345".into(),
                sip_call_id: format!("{call}@bench"),
                node: None,
                linked_call: None,
            },
        ),
        record(call, start + 300, CallEvent::Answered),
        record(
            call,
            start + 400,
            CallEvent::IvrNodeEntered {
                script: "hotline".into(),
                version: 1,
                node: "main_menu".into(),
            },
        ),
        record(
            call,
            queued,
            CallEvent::Queued {
                queue: queue.as_str().into(),
                priority: 1,
                skills: vec![],
            },
        ),
    ];
    let end = queued + wait as i64;
    if rng.gen_bool(0.85) {
        // An agent who serves the queue.
        let agent = loop {
            let a = rng.gen_range(0..args.agents);
            if agent_queues(a, args.queues).contains(&q) {
                break AgentId::from(agent_name(a).as_str());
            }
        };
        let talk = rng.gen_range(30_000..400_000);
        events.extend([
            record(
                call,
                end - 2_000,
                CallEvent::Offered {
                    queue: queue.as_str().into(),
                    agent: agent.clone(),
                },
            ),
            record(
                call,
                end,
                CallEvent::AgentAnswered {
                    queue: queue.as_str().into(),
                    agent: agent.clone(),
                    wait_ms: wait,
                },
            ),
            record(
                call,
                end + talk,
                CallEvent::Ended {
                    side: HangupSide::Caller,
                    cause: "bye".into(),
                },
            ),
            record(
                call,
                end + talk + 20_000,
                CallEvent::WrapUpDone {
                    agent,
                    disposition: "information_given".into(),
                    wrap_ms: 20_000,
                },
            ),
        ]);
    } else {
        events.extend([
            record(
                call,
                end,
                CallEvent::Abandoned {
                    queue: queue.as_str().into(),
                    wait_ms: wait,
                    position: 3,
                },
            ),
            record(
                call,
                end,
                CallEvent::Ended {
                    side: HangupSide::Caller,
                    cause: "bye".into(),
                },
            ),
        ]);
    }
    events
}

fn today_query(at_ms: i64) -> ReportQuery {
    let day_start =
        (at_ms + i64::from(TZ) * 60_000).div_euclid(DAY_MS) * DAY_MS - i64::from(TZ) * 60_000;
    ReportQuery::new(
        Timestamp(day_start),
        Timestamp(at_ms.div_euclid(900_000) * 900_000 + 900_000),
        Bucket::Whole,
        TZ,
    )
}

/// Fills the store with `--calls` calls today (and as many on each earlier
/// day), unless it already holds calls today.
async fn fill(store: &Store, args: &Args) -> Result<(), String> {
    let now = now_ms();
    let query = today_query(now);
    let present = store
        .queue_report(&query, &QueueGrouping::Total)
        .await
        .map_err(|e| e.to_string())?;
    if present.first().is_some_and(|r| r.figures.offered > 0) {
        eprintln!(
            "the store already holds {} queue entries today",
            present[0].figures.offered
        );
        return Ok(());
    }
    let mut rng = StdRng::seed_from_u64(12_345);
    let day_start = query.from.as_millis();
    let started = Instant::now();
    for day in (0..args.days).rev() {
        // Today: from local midnight (or 12 h ago) to 10 minutes ago.
        let (from, to) = if day == 0 {
            ((now - 12 * 3_600_000).max(day_start), now - 600_000)
        } else {
            let start = day_start - day * DAY_MS;
            (start + 7 * 3_600_000, start + 21 * 3_600_000)
        };
        if to <= from {
            continue;
        }
        let mut batch = Vec::new();
        for i in 0..args.calls {
            let start = from + (to - from) * i as i64 / args.calls as i64;
            batch.extend(call_events(&mut rng, args, start));
            if batch.len() >= 5_000 {
                store
                    .append_events(&batch)
                    .await
                    .map_err(|e| e.to_string())?;
                batch.clear();
            }
        }
        store
            .append_events(&batch)
            .await
            .map_err(|e| e.to_string())?;
        add_cases(store, &mut rng, args, from, to).await?;
        eprintln!(
            "  {} calls written for day -{day} ({:.0} s so far)",
            args.calls,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// A case for one call in a hundred, for the department view: some done
/// on time, some late, some still open; a satisfaction score on some.
async fn add_cases(
    store: &Store,
    rng: &mut StdRng,
    args: &Args,
    from: i64,
    to: i64,
) -> Result<(), String> {
    const CATEGORIES: [(&str, u64); 4] = [
        ("complaint", 3),
        ("repair_request", 5),
        ("information", 1),
        ("suggestion", 10),
    ];
    for (category, days) in CATEGORIES {
        store
            .set_category_deadline(category, Duration::from_secs(days * 86_400))
            .await
            .map_err(|e| e.to_string())?;
    }
    let cases = args.calls / 100;
    for i in 0..cases {
        let opened = from + (to - from) * i as i64 / cases.max(1) as i64;
        let (category, days) = CATEGORIES[rng.gen_range(0..CATEGORIES.len())];
        let ctx = |at: i64| hotline_store::AuditContext {
            actor: "bench".into(),
            access: hotline_store::Access::Administration,
            reason: "benchmark data".into(),
            at: Timestamp(at),
        };
        let case = store
            .create_case(
                &ctx(opened),
                &hotline_store::NewCase {
                    citizen: None,
                    call: None,
                    category: category.into(),
                    department: department(rng.gen_range(0..args.queues)),
                    summary: "Synthetic case".into(),
                },
            )
            .await
            .map_err(|e| e.to_string())?;
        // Done within 0 to 1.5 times the deadline, or still open.
        if rng.gen_bool(0.7) {
            let done = opened + (days as f64 * 1.5 * DAY_MS as f64 * rng.gen::<f64>()) as i64;
            if done < now_ms() {
                store
                    .transition_case(
                        &ctx(done),
                        &case.case_ref,
                        hotline_store::CaseStatus::Resolved,
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                if rng.gen_bool(0.6) {
                    store
                        .set_case_satisfaction(&case.case_ref, rng.gen_range(2..=5))
                        .await
                        .map_err(|e| e.to_string())?;
                }
            }
        }
    }
    Ok(())
}

/// The live picture: agents moving between states, queues counting them.
struct Simulation {
    rng: StdRng,
    queues: usize,
    agents: Vec<(String, &'static str, i64, u32, Vec<usize>)>,
}

impl Simulation {
    fn new(queues: usize, agents: usize, now: i64) -> Self {
        let mut rng = StdRng::seed_from_u64(7);
        let agents = (0..agents)
            .map(|i| {
                let state =
                    ["available", "on_call", "on_call", "wrap_up", "break"][rng.gen_range(0..5)];
                (
                    agent_name(i),
                    state,
                    now - rng.gen_range(0..600_000),
                    rng.gen_range(0..40),
                    agent_queues(i, queues),
                )
            })
            .collect();
        Self {
            rng,
            queues,
            agents,
        }
    }

    fn board(&mut self, now: i64) -> LiveBoard {
        for agent in &mut self.agents {
            if self.rng.gen_bool(0.02) {
                agent.1 = match agent.1 {
                    "available" => "offered",
                    "offered" => "on_call",
                    "on_call" => "wrap_up",
                    "wrap_up" => {
                        agent.3 += 1;
                        "available"
                    }
                    _ => "available",
                };
                agent.2 = now;
            }
        }
        let mut queues: Vec<LiveQueue> = (0..self.queues)
            .map(|q| LiveQueue {
                queue: queue_name(q),
                department: department(q),
                waiting: self.rng.gen_range(0..12),
                longest_wait_ms: self.rng.gen_range(0..150_000),
                agents_logged_in: 0,
                available: 0,
                offered: 0,
                on_call: 0,
                wrap_up: 0,
                on_break: 0,
            })
            .collect();
        for (_, state, _, _, served) in &self.agents {
            for q in served {
                let lq = &mut queues[*q];
                lq.agents_logged_in += 1;
                match *state {
                    "available" => lq.available += 1,
                    "offered" => lq.offered += 1,
                    "on_call" => lq.on_call += 1,
                    "wrap_up" => lq.wrap_up += 1,
                    _ => lq.on_break += 1,
                }
            }
        }
        LiveBoard {
            at_ms: now,
            queues,
            agents: self
                .agents
                .iter()
                .map(|(name, state, since, answered, served)| LiveAgent {
                    agent: name.clone(),
                    state: (*state).into(),
                    reason: (*state == "break").then(|| "rest".to_owned()),
                    in_state_ms: u64::try_from(now - since).unwrap_or(0),
                    calls_answered: *answered,
                    queues: served.iter().map(|q| queue_name(*q)).collect(),
                })
                .collect(),
        }
    }
}

async fn call_side(mut rx: mpsc::UnboundedReceiver<AgentRequest>) {
    while let Some(request) = rx.recv().await {
        if let AgentRequest::Status { reply, .. } = request {
            let _ = reply.send(None);
        }
    }
}

async fn login(router: &axum::Router, addr: SocketAddr, user: &str) -> Result<String, String> {
    let body = serde_json::json!({ "login": user, "password": PASSWORD }).to_string();
    let req = Request::post("/api/login")
        .header(header::HOST, addr.to_string())
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .map_err(|e| e.to_string())?;
    let response = router
        .clone()
        .oneshot(req)
        .await
        .map_err(|e| e.to_string())?;
    if response.status() != StatusCode::OK {
        return Err(format!("login {user}: {}", response.status()));
    }
    response
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .ok_or_else(|| "no cookie".into())
}

/// `--watch ADDR SECONDS COOKIE...`: the wallboards, in their own process.
async fn watch(mut it: impl Iterator<Item = String>) -> Result<(), String> {
    let addr = it.next().ok_or("--watch ADDR SECONDS COOKIES...")?;
    let seconds: u64 = it.next().and_then(|s| s.parse().ok()).ok_or("seconds")?;
    let (tx, mut rx) = mpsc::unbounded_channel::<(f64, usize)>();
    let mut opened = 0;
    for cookie in it {
        let mut request = format!("ws://{addr}/api/supervisor/ws")
            .into_client_request()
            .map_err(|e| e.to_string())?;
        request
            .headers_mut()
            .insert(header::COOKIE, cookie.parse().map_err(|_| "cookie")?);
        let (mut socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .map_err(|e| e.to_string())?;
        opened += 1;
        let tx = tx.clone();
        tokio::spawn(async move {
            // The first message is the picture current when the socket
            // opened (up to a second old): not a push.
            let mut first = true;
            while let Some(Ok(message)) = socket.next().await {
                if let Message::Text(text) = message {
                    if std::mem::take(&mut first) {
                        continue;
                    }
                    let Ok(view) = serde_json::from_str::<serde_json::Value>(&text) else {
                        continue;
                    };
                    let latency = (now_ms() - view["at_ms"].as_i64().unwrap_or(0)) as f64;
                    let _ = tx.send((latency, text.len()));
                }
            }
        });
    }
    drop(tx);
    println!("OPEN {opened}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    let (mut latencies, mut bytes) = (Vec::new(), 0usize);
    while let Ok(Some((latency, len))) = tokio::time::timeout_at(deadline, rx.recv()).await {
        latencies.push(latency);
        bytes += len;
    }
    let n = latencies.len();
    println!(
        "WATCHED messages={n} bytes={bytes} p50_ms={:.1} p99_ms={:.1} max_ms={:.1}",
        percentile(&mut latencies, 0.5),
        percentile(&mut latencies, 0.99),
        percentile(&mut latencies, 1.0)
    );
    Ok(())
}

/// Publishes a picture every second for `seconds`; returns the CPU time
/// this process used per second meanwhile.
async fn publish_for(console: &Console, sim: &mut Simulation, seconds: u64) -> f64 {
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    ticks.tick().await;
    let (cpu0, t0) = (cpu_time(), Instant::now());
    for _ in 0..seconds {
        ticks.tick().await;
        console.publish_live(sim.board(now_ms()));
    }
    // Let the last push go out.
    tokio::time::sleep(Duration::from_millis(300)).await;
    (cpu_time() - cpu0).as_secs_f64() * 1000.0 / t0.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let mut raw = std::env::args().skip(1).peekable();
    if raw.peek().map(String::as_str) == Some("--watch") {
        raw.next();
        return watch(raw).await;
    }
    let args = parse_args(raw)?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = args
        .db
        .clone()
        .unwrap_or_else(|| dir.path().join("wallboard.db").display().to_string());
    let store = Store::connect(
        &format!("sqlite://{path}"),
        *b"wallboard-benchmark-key-000000",
    )
    .await
    .map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    eprintln!("filling {path} (if needed)...");
    fill(&store, &args).await?;

    let departments = args.queues.div_ceil(QUEUES_PER_DEPARTMENT);
    let mut users = vec![("wallboard".to_owned(), None)];
    users.extend((0..departments).map(|d| {
        (
            format!("sup{:02}", d + 1),
            Some(department(d * QUEUES_PER_DEPARTMENT)),
        )
    }));
    for (login, department) in &users {
        if store.user(login).await.ok().flatten().is_none() {
            store
                .create_user(
                    &NewUser {
                        login: login.clone(),
                        display_name: login.clone(),
                        role: Role::Supervisor,
                        department: department.clone(),
                        password: PASSWORD.into(),
                        must_change_password: false,
                        skills: vec![],
                    },
                    Timestamp(now_ms()),
                )
                .await
                .map_err(|e| e.to_string())?;
        }
    }

    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(call_side(rx));
    let config = ConsoleConfig {
        secure_cookies: false,
        login_attempts_per_minute: 1_000_000,
        queues: (0..args.queues)
            .map(|q| QueueInfo {
                name: queue_name(q),
                department: department(q),
            })
            .collect(),
        ..ConsoleConfig::default()
    };
    let stats = StatisticsConfig {
        queue_targets: Vec::new(),
        utc_offset_minutes: TZ,
    };
    let console = Console::with_statistics(store.clone(), config, stats, tx);
    let router = console.router();
    let listener = tokio::net::TcpListener::bind(args.serve.unwrap_or(([127, 0, 0, 1], 0).into()))
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let served = router.clone();
    tokio::spawn(async move {
        let service = served.into_make_service_with_connect_info::<SocketAddr>();
        let _ = axum::serve(listener, service).await;
    });

    // References, in this run: the store's two "today" queries, and
    // encoding the bare live picture.
    let mut sim = Simulation::new(args.queues, args.agents, now_ms());
    let mut store_ms = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let query = today_query(now_ms());
        store
            .queue_report(&query, &QueueGrouping::Queue)
            .await
            .map_err(|e| e.to_string())?;
        store
            .agent_report(&query)
            .await
            .map_err(|e| e.to_string())?;
        store_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let board = sim.board(now_ms());
    let mut bare_ms = Vec::new();
    let mut bare_len = 0;
    for _ in 0..20 {
        let t = Instant::now();
        bare_len = serde_json::to_string(&board)
            .map_err(|e| e.to_string())?
            .len();
        bare_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    console.publish_live(board);
    let _ = console.wallboard().await;
    let mut view_ms = Vec::new();
    let mut view_len = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let view = console.wallboard().await;
        view_len = serde_json::to_string(&view)
            .map_err(|e| e.to_string())?
            .len();
        view_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "{} queues, {} agents, SQLite {path}",
        args.queues, args.agents
    );
    println!(
        "reference: store 'today' queries (queue + agent report) p50 {:.1} ms, max {:.1} ms",
        percentile(&mut store_ms.clone(), 0.5),
        percentile(&mut store_ms, 1.0)
    );
    println!(
        "reference: encoding the bare live picture ({bare_len} bytes) p50 {:.2} ms",
        percentile(&mut bare_ms, 0.5)
    );
    println!(
        "one full view, cached figures, built + encoded ({view_len} bytes) p50 {:.2} ms",
        percentile(&mut view_ms, 0.5)
    );

    let idle = publish_for(&console, &mut sim, args.seconds).await;
    println!("CPU with nobody watching: {idle:.1} ms per second (publish + simulation)");

    let mut cookies = Vec::new();
    let mut watching: Vec<String> = Vec::new();
    for i in 0..args.watchers {
        let user = if i % 2 == 0 {
            "wallboard".to_owned()
        } else {
            users[1 + (i / 2) % departments].0.clone()
        };
        cookies.push(login(&router, addr, &user).await?);
        if !watching.contains(&user) {
            watching.push(user);
        }
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = tokio::process::Command::new(exe)
        .arg("--watch")
        .arg(addr.to_string())
        .arg((args.seconds + 1).to_string())
        .args(&cookies)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let stdout = child.stdout.take().ok_or("child stdout")?;
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
    let opened = lines.next_line().await.map_err(|e| e.to_string())?;
    eprintln!("wallboards: {opened:?}");
    let watched = publish_for(&console, &mut sim, args.seconds).await;
    let report = lines.next_line().await.map_err(|e| e.to_string())?;
    let _ = child.wait().await;
    println!(
        "CPU with {} wallboards open ({} scopes): {watched:.1} ms per second; the wallboard's share {:.1} ms per second ({:.1} % of one core)",
        args.watchers,
        watching.len(),
        watched - idle,
        (watched - idle) / 10.0
    );
    println!("wallboards: {}", report.unwrap_or_default());

    if let Some(serve) = args.serve {
        println!(
            "serving on http://{serve}/wallboard/ (login wallboard / {PASSWORD}); Ctrl-C to stop"
        );
        let mut ticks = tokio::time::interval(Duration::from_secs(1));
        loop {
            ticks.tick().await;
            console.publish_live(sim.board(now_ms()));
        }
    }
    Ok(())
}
