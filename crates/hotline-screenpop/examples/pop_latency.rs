//! Screen-pop latency: from the ACD's `Console::offer` call to the pop
//! arriving at the agent's WebSocket client, with many agents logged in
//! over real WebSockets and a seeded store.
//!
//! ```text
//! cargo run --release -p hotline-screenpop --example pop_latency -- --agents 500 --citizens 100000
//! ```
//!
//! Options: `--calls N` (seeded past calls, default = citizens), `--offers N`
//! (measured, default 5000, after 200 warm-up offers), `--rate N` (offers a
//! second, default 200), `--db PATH` (SQLite file to reuse; seeding and
//! users are skipped when it already has them; default: a fresh temporary
//! file). Everything runs in one process on one machine: the server, the
//! store and the 500 WebSocket clients share the cores.
//!
//! Reported, each as p50 / p99 / max: the store's screen-pop query alone
//! (the reference, measured in the same run on the same callers), the time
//! `offer()` takes to return, and offer → pop received and parsed by the
//! client.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use futures_util::StreamExt;
use hotline_screenpop::{AgentRequest, Console, ConsoleConfig, Offer, QueueInfo, Refused};
use hotline_store::{seed, seed_phone, AuditContext, NewUser, Role, SeedOptions, Store};
use hotline_types::{CallId, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tower::ServiceExt;

const PASSWORD: &str = "benchmark password";
const WARM_UP: usize = 200;

struct Args {
    agents: usize,
    citizens: u64,
    calls: Option<u64>,
    offers: usize,
    rate: u64,
    db: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        agents: 500,
        citizens: 100_000,
        calls: None,
        offers: 5_000,
        rate: 200,
        db: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let bad = |e: std::num::ParseIntError| format!("{flag} {value}: {e}");
        match flag.as_str() {
            "--agents" => args.agents = value.parse().map_err(bad)?,
            "--citizens" => args.citizens = value.parse().map_err(bad)?,
            "--calls" => args.calls = Some(value.parse().map_err(bad)?),
            "--offers" => args.offers = value.parse().map_err(bad)?,
            "--rate" => args.rate = value.parse().map_err(bad)?,
            "--db" => args.db = Some(value),
            other => return Err(format!("unknown option {other}")),
        }
    }
    if args.agents == 0 || args.citizens == 0 || args.rate == 0 {
        return Err("--agents, --citizens and --rate must be positive".into());
    }
    Ok(args)
}

fn now_ts() -> Timestamp {
    Timestamp::from_system_time(SystemTime::now())
}

fn summary(name: &str, mut samples: Vec<Duration>) -> String {
    samples.sort();
    if samples.is_empty() {
        return format!("{name}: no samples");
    }
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "{name:<34} n={:<6} p50 {:>7.3} ms   p99 {:>7.3} ms   max {:>7.3} ms",
        samples.len(),
        ms(at(0.50)),
        ms(at(0.99)),
        ms(*samples.last().unwrap_or(&Duration::ZERO)),
    )
}

/// Answers the console like the binary would: every agent can log in and
/// every status request gets an answer.
async fn call_side(mut rx: mpsc::UnboundedReceiver<AgentRequest>) {
    while let Some(request) = rx.recv().await {
        match request {
            AgentRequest::Status { reply, .. } => {
                let _ = reply.send(Some(hotline_screenpop::AgentStatus {
                    state: "available".into(),
                    reason: None,
                    call: None,
                    since_ms: now_ts().as_millis(),
                }));
            }
            AgentRequest::Login { reply, .. } => {
                let _ = reply.send(Err(Refused::Other {
                    message: "not used by the benchmark".into(),
                }));
            }
            _ => {}
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = parse_args()?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = args
        .db
        .clone()
        .unwrap_or_else(|| dir.path().join("pop.db").display().to_string());
    let store = Store::connect(&format!("sqlite://{path}"), *b"pop-latency-benchmark-key")
        .await
        .map_err(|e| e.to_string())?;

    let probe = AuditContext {
        actor: "bench".into(),
        access: hotline_store::Access::Administration,
        reason: "benchmark set-up".into(),
        at: now_ts(),
    };
    let seeded = store
        .citizen_by_phone(&probe, &seed_phone(1))
        .await
        .map_err(|e| e.to_string())?;
    if seeded.is_empty() {
        let calls = args.calls.unwrap_or(args.citizens);
        eprintln!(
            "seeding {} citizens and {calls} calls into {path}...",
            args.citizens
        );
        let mut options = SeedOptions::new(args.citizens, calls, 7, now_ts());
        options.agents = 60;
        let report = seed(&store, &options).await.map_err(|e| e.to_string())?;
        eprintln!("seeded in {:.0} s", report.seconds);
    }

    eprintln!("creating {} agents...", args.agents);
    let logins: Vec<String> = (1..=args.agents).map(|i| format!("bench{i:04}")).collect();
    let mut creating = tokio::task::JoinSet::new();
    for chunk in logins.chunks(50) {
        let store = store.clone();
        let chunk = chunk.to_vec();
        creating.spawn(async move {
            for login in chunk {
                if store.user(&login).await.ok().flatten().is_some() {
                    continue;
                }
                let new = NewUser {
                    login: login.clone(),
                    display_name: login.clone(),
                    role: Role::Agent,
                    department: None,
                    password: PASSWORD.into(),
                    must_change_password: false,
                    skills: vec![],
                };
                store
                    .create_user(&new, now_ts())
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Ok::<(), String>(())
        });
    }
    while let Some(done) = creating.join_next().await {
        done.map_err(|e| e.to_string())??;
    }

    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(call_side(rx));
    let config = ConsoleConfig {
        secure_cookies: false,
        login_attempts_per_minute: 1_000_000,
        queues: vec![QueueInfo {
            name: "housing".into(),
            department: "Housing Bureau".into(),
        }],
        ..ConsoleConfig::default()
    };
    let console = Console::new(store.clone(), config, tx);
    let router = console.router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let served = router.clone();
    tokio::spawn(async move {
        let service = served.into_make_service_with_connect_info::<SocketAddr>();
        let _ = axum::serve(listener, service).await;
    });

    eprintln!(
        "logging {} agents in and opening their WebSockets...",
        args.agents
    );
    let (pops_tx, mut pops_rx) = mpsc::unbounded_channel::<(CallId, Instant)>();
    let mut logging_in = tokio::task::JoinSet::new();
    for chunk in logins.chunks(50) {
        let chunk = chunk.to_vec();
        let router = router.clone();
        let pops_tx = pops_tx.clone();
        logging_in.spawn(async move {
            for login in chunk {
                let body = serde_json::json!({ "login": login, "password": PASSWORD }).to_string();
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
                    return Err(format!("login {login}: {}", response.status()));
                }
                let cookie = response
                    .headers()
                    .get(header::SET_COOKIE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.split(';').next())
                    .ok_or("no cookie")?
                    .to_owned();
                let mut request = format!("ws://{addr}/api/agent/ws")
                    .into_client_request()
                    .map_err(|e| e.to_string())?;
                request
                    .headers_mut()
                    .insert(header::COOKIE, cookie.parse().map_err(|_| "cookie")?);
                let (mut socket, _) = tokio_tungstenite::connect_async(request)
                    .await
                    .map_err(|e| e.to_string())?;
                // The first message is the agent's state.
                socket.next().await;
                let pops_tx = pops_tx.clone();
                tokio::spawn(async move {
                    while let Some(Ok(message)) = socket.next().await {
                        if let Message::Text(text) = message {
                            let received = Instant::now();
                            let Ok(event) = serde_json::from_str::<serde_json::Value>(&text) else {
                                continue;
                            };
                            if event["type"] == "pop" {
                                if let Ok(call) =
                                    serde_json::from_value::<CallId>(event["call"].clone())
                                {
                                    let _ = pops_tx.send((call, received));
                                }
                            }
                        }
                    }
                });
            }
            Ok::<(), String>(())
        });
    }
    while let Some(done) = logging_in.join_next().await {
        done.map_err(|e| e.to_string())??;
    }
    drop(pops_tx);
    eprintln!("{} agent sockets open", console.open_sockets());

    // Reference: the store's screen-pop query alone, same kind of callers.
    let mut rng = StdRng::seed_from_u64(11);
    let mut reference = Vec::with_capacity(args.offers);
    for _ in 0..args.offers.min(2_000) {
        let caller = seed_phone(rng.gen_range(1..=args.citizens));
        let ctx = AuditContext::for_call("reference", CallId::new(), now_ts());
        let t0 = Instant::now();
        store
            .citizen_by_phone(&ctx, &caller)
            .await
            .map_err(|e| e.to_string())?;
        reference.push(t0.elapsed());
    }

    eprintln!(
        "offering {} calls at {}/s...",
        WARM_UP + args.offers,
        args.rate
    );
    let sent_at: Arc<Mutex<HashMap<CallId, (Instant, bool)>>> = Arc::default();
    let returns: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / args.rate as f64));
    let mut offering = tokio::task::JoinSet::new();
    let mut matched_citizens = 0usize;
    for i in 0..WARM_UP + args.offers {
        ticker.tick().await;
        let offer = Offer {
            agent: logins[rng.gen_range(0..logins.len())].as_str().into(),
            call: CallId::new(),
            queue: "housing".into(),
            caller: seed_phone(rng.gen_range(1..=args.citizens)),
            waited: Duration::from_secs(rng.gen_range(0..120)),
            ivr_path: vec!["welcome".into(), "language".into(), "main".into()],
            ivr_vars: vec![("language".into(), "zh".into())],
            citizen_hint: None,
            callback: false,
            consulted_by: None,
        };
        let measured = i >= WARM_UP;
        let console = console.clone();
        let sent_at = sent_at.clone();
        let returns = returns.clone();
        offering.spawn(async move {
            let t0 = Instant::now();
            sent_at
                .lock()
                .map_err(|_| "lock")?
                .insert(offer.call, (t0, measured));
            let delivered = console.offer(offer).await.map_err(|e| e.to_string())?;
            if measured {
                returns.lock().map_err(|_| "lock")?.push(t0.elapsed());
            }
            Ok::<bool, String>(delivered)
        });
        while let Some(done) = offering.try_join_next() {
            if !done.map_err(|e| e.to_string())?? {
                return Err("an offer found no socket".into());
            }
        }
    }
    while let Some(done) = offering.join_next().await {
        if !done.map_err(|e| e.to_string())?? {
            return Err("an offer found no socket".into());
        }
    }

    let mut end_to_end = Vec::with_capacity(args.offers);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut received = 0;
    while received < WARM_UP + args.offers {
        let Ok(Some((call, at))) = tokio::time::timeout_at(deadline, pops_rx.recv()).await else {
            break;
        };
        received += 1;
        let sent = sent_at.lock().map_err(|_| "lock")?.get(&call).copied();
        if let Some((t0, true)) = sent {
            end_to_end.push(at.duration_since(t0));
        }
    }
    // Shows the lookups were real: how many callers matched a citizen.
    for _ in 0..100 {
        let caller = seed_phone(rng.gen_range(1..=args.citizens));
        let ctx = AuditContext::for_call("check", CallId::new(), now_ts());
        if !store
            .citizen_by_phone(&ctx, &caller)
            .await
            .map_err(|e| e.to_string())?
            .is_empty()
        {
            matched_citizens += 1;
        }
    }

    let returns = returns.lock().map_err(|_| "lock")?.clone();
    println!(
        "pop_latency: {} agents (sockets open: {}), {} citizens, {} offers at {}/s (+{WARM_UP} warm-up), {}/100 sampled callers matched a citizen",
        args.agents,
        console.open_sockets(),
        args.citizens,
        args.offers,
        args.rate,
        matched_citizens
    );
    println!("{}", summary("reference: store lookup alone", reference));
    println!("{}", summary("offer() returned", returns));
    println!(
        "{}",
        summary("offer -> pop received at client", end_to_end.clone())
    );
    if end_to_end.len() < args.offers {
        println!(
            "MISSING: {} pops never arrived",
            args.offers - end_to_end.len()
        );
    }
    Ok(())
}
