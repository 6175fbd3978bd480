//! Statistics benchmarks: seeding a store (calls with their queue segments,
//! agent states and 15-minute slots), then timing the report queries the
//! supervisor pages make, in Asia/Shanghai local days.
//!
//! ```text
//! cargo build --release -p hotline-store --example stats_bench
//! B=target/release/examples/stats_bench
//! $B seed   --url sqlite:///tmp/stats.db --fresh --calls 10000000 --citizens 1000000 --days 365 --agents 400
//! $B report --url sqlite:///tmp/stats.db --runs 20
//! $B ingest --url sqlite:///tmp/ingest.db --fresh --calls 20000
//! ```
//! `ingest` appends synthetic calls' events straight to the store (event
//! log, call records and statistics upkeep), one call starting every
//! `--spacing-ms` (1,300 ms: a busy city's peak hour).
//! `STATS_BENCH_ONLY="month queues"` runs only the measurements whose name
//! contains that text. For PostgreSQL use `--url postgres://postgres@127.0.0.1:5432/test --schema stats_bench`
//! (`--fresh` drops the schema first, or deletes the SQLite file).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::time::{Duration, Instant};

use hotline_store::{
    seed, Bucket, IvrGrouping, QueueGrouping, ReportQuery, SeedOptions, StatsOptions, Store,
    StoreOptions,
};
use hotline_types::{CallEvent, CallEventRecord, CallId, HangupSide, Timestamp};

const KEY: &[u8] = b"benchmark-national-id-key-000000";
/// The seeded data ends here: 2026-11-22T00:00:00Z.
const END_MS: i64 = 1_795_305_600_000;
const DAY: i64 = 86_400_000;
/// Asia/Shanghai.
const OFFSET_MINUTES: i32 = 480;

struct Args {
    command: String,
    flags: HashMap<String, String>,
}

impl Args {
    fn parse() -> Result<Self, String> {
        let mut it = std::env::args().skip(1);
        let command = it
            .next()
            .ok_or("usage: stats_bench <seed|report|ingest> --url URL [...]")?;
        let mut flags = HashMap::new();
        while let Some(flag) = it.next() {
            let name = flag
                .strip_prefix("--")
                .ok_or(format!("unexpected {flag:?}"))?
                .to_owned();
            if name == "fresh" {
                flags.insert(name, "true".into());
                continue;
            }
            let value = it.next().ok_or(format!("--{name} needs a value"))?;
            flags.insert(name, value);
        }
        Ok(Self { command, flags })
    }

    fn get<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.flags.get(name) {
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{name}: cannot parse {v:?}")),
            None => Ok(default),
        }
    }
}

async fn connect(args: &Args) -> Result<Store, String> {
    let url: String = args.get("url", String::new())?;
    if url.is_empty() {
        return Err("--url is required".into());
    }
    let mut options = StoreOptions::new(KEY);
    if url.starts_with("postgres") {
        let schema: String = args.get("schema", "stats_bench".to_string())?;
        if args.flags.contains_key("fresh") {
            let admin = sqlx::PgPool::connect(&url)
                .await
                .map_err(|e| e.to_string())?;
            sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                .execute(&admin)
                .await
                .map_err(|e| e.to_string())?;
            admin.close().await;
        }
        options.postgres_schema = Some(schema);
    } else if args.flags.contains_key("fresh") {
        let path = url.trim_start_matches("sqlite://");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }
    Store::connect_with(&url, options)
        .await
        .map_err(|e| e.to_string())
}

async fn run_seed(args: &Args) -> Result<(), String> {
    let store = connect(args).await?;
    let mut options = SeedOptions::new(
        args.get("citizens", 100_000u64)?,
        args.get("calls", 1_000_000u64)?,
        args.get("seed", 1u64)?,
        Timestamp(END_MS),
    );
    options.days = args.get("days", 365u32)?;
    options.agents = args.get("agents", 400u32)?;
    let report = seed(&store, &options).await.map_err(|e| e.to_string())?;
    println!(
        "seed backend={:?} citizens={} calls={} cases={} seconds={:.1} calls_per_s={:.0}",
        store.backend(),
        report.citizens,
        report.calls,
        report.cases,
        report.seconds,
        report.calls as f64 / report.seconds.max(1e-9)
    );
    Ok(())
}

/// The events of one synthetic call `i` starting at `start_ms`: answered
/// after a wait of 0-60 s in one of eight queues (6% abandon, 3% are
/// transferred to another queue), talk with hold, wrap-up, a survey.
fn call_events(i: u64, start_ms: i64) -> Vec<CallEventRecord> {
    let call = CallId::new();
    let queues = [
        "housing",
        "transport",
        "water",
        "noise",
        "health",
        "education",
        "social_security",
        "general",
    ];
    let queue = queues[(i % 8) as usize];
    let agent = format!("agent{:03}", i % 400);
    let wait = (i * 7_919 % 60_000) as i64;
    let mut t = start_ms;
    let mut out = Vec::with_capacity(14);
    let mut at = |dt: i64, e: CallEvent| {
        t += dt;
        out.push(CallEventRecord::new(call, Timestamp(t), e));
    };
    at(
        0,
        CallEvent::CallStarted {
            caller: format!("+86139{:08}", i % 100_000_000),
            called: "12345".into(),
            sip_call_id: format!("{call}@bench"),
            node: Some("bench".into()),
            linked_call: None,
        },
    );
    at(300, CallEvent::Answered);
    for node in ["language", "welcome", "main_menu"] {
        at(
            2_000,
            CallEvent::IvrNodeEntered {
                script: "hotline".into(),
                version: 1,
                node: node.into(),
            },
        );
    }
    at(
        5_000,
        CallEvent::Queued {
            queue: queue.into(),
            priority: 1,
            skills: vec![],
        },
    );
    if i % 50 < 3 {
        at(
            wait,
            CallEvent::Abandoned {
                queue: queue.into(),
                wait_ms: wait as u64,
                position: 1,
            },
        );
        at(
            0,
            CallEvent::Ended {
                side: HangupSide::Caller,
                cause: "bye".into(),
            },
        );
        return out;
    }
    at(
        (wait - 2_000).max(0),
        CallEvent::Offered {
            queue: queue.into(),
            agent: agent.as_str().into(),
        },
    );
    at(
        2_000.min(wait),
        CallEvent::AgentAnswered {
            queue: queue.into(),
            agent: agent.as_str().into(),
            wait_ms: wait as u64,
        },
    );
    at(60_000, CallEvent::HoldStarted);
    at(10_000, CallEvent::HoldEnded);
    at(
        90_000,
        CallEvent::Ended {
            side: HangupSide::Caller,
            cause: "bye".into(),
        },
    );
    at(
        30_000,
        CallEvent::WrapUpDone {
            agent: agent.as_str().into(),
            disposition: "information_given".into(),
            wrap_ms: 30_000,
        },
    );
    at(
        1_000,
        CallEvent::SurveyAnswered {
            score: (i % 5 + 1) as u8,
        },
    );
    out
}

/// Appends synthetic calls' events straight to the store in batches (no
/// writer, no spool): the cost of the event log, the call records and the
/// statistics upkeep together. Events are sent in time order across calls,
/// as the writer would batch them.
async fn ingest(args: &Args) -> Result<(), String> {
    let store = connect(args).await?;
    let calls: u64 = args.get("calls", 20_000u64)?;
    let batch: usize = args.get("batch", 2_000usize)?;
    let spacing_ms: i64 = args.get("spacing-ms", 1_300i64)?;
    let mut events: Vec<CallEventRecord> = (0..calls)
        .flat_map(|i| call_events(i, END_MS + i as i64 * spacing_ms))
        .collect();
    events.sort_by_key(|e| e.at);
    let started = Instant::now();
    for chunk in events.chunks(batch) {
        store
            .append_events(chunk)
            .await
            .map_err(|e| e.to_string())?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "ingest backend={:?} calls={calls} events={} batch={batch} spacing_ms={spacing_ms} seconds={elapsed:.2} events_per_s={:.0}",
        store.backend(),
        events.len(),
        events.len() as f64 / elapsed
    );
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

/// Runs `query` once to warm up, then `runs` times; prints the timings.
/// With `--only TEXT`, only the measurements whose name contains TEXT run.
async fn time<F, Fut>(name: &str, runs: usize, mut query: F) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<String, hotline_store::StoreError>>,
{
    if let Ok(only) = std::env::var("STATS_BENCH_ONLY") {
        if !name.contains(only.as_str()) {
            return Ok(());
        }
    }
    let what = query().await.map_err(|e| format!("{name}: {e}"))?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        query().await.map_err(|e| format!("{name}: {e}"))?;
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "{name:<28} p50_ms={:>8.1} p90_ms={:>8.1} max_ms={:>8.1}  {what}",
        percentile(&times, 0.5),
        percentile(&times, 0.9),
        percentile(&times, 1.0),
    );
    Ok(())
}

async fn report(args: &Args) -> Result<(), String> {
    let store = connect(args).await?;
    let runs: usize = args.get("runs", 20usize)?;
    let days_back: i64 = args.get("days-back", 3i64)?;
    // Local midnight in Shanghai is 16:00 UTC the day before.
    let day_start = END_MS - days_back * DAY - 8 * 3_600_000;
    let day = |bucket| {
        ReportQuery::new(
            Timestamp(day_start),
            Timestamp(day_start + DAY),
            bucket,
            OFFSET_MINUTES,
        )
    };
    let month_start = day_start + DAY - 30 * DAY;
    let month = |bucket| {
        ReportQuery::new(
            Timestamp(month_start),
            Timestamp(day_start + DAY),
            bucket,
            OFFSET_MINUTES,
        )
    };
    let departments: BTreeMap<String, String> = [
        ("housing", "construction"),
        ("water", "construction"),
        ("transport", "transport"),
        ("noise", "environment"),
        ("health", "health"),
        ("social_security", "social_security"),
        ("education", "education"),
    ]
    .into_iter()
    .map(|(q, d)| (q.to_owned(), d.to_owned()))
    .collect();
    println!(
        "report backend={:?} runs={runs} day={} month={}..{}",
        store.backend(),
        day_start,
        month_start,
        day_start + DAY
    );
    let s = &store;
    let queues = |q: ReportQuery, g: QueueGrouping| async move {
        let rows = s.queue_report(&q, &g).await?;
        let offered: i64 = rows.iter().map(|r| r.figures.offered).sum();
        Ok(format!("rows={} offered={offered}", rows.len()))
    };
    time("day queues by 15 min", runs, || {
        queues(day(Bucket::Minutes15), QueueGrouping::Queue)
    })
    .await?;
    time("day queues whole", runs, || {
        queues(day(Bucket::Whole), QueueGrouping::Queue)
    })
    .await?;
    time("day departments by hour", runs, || {
        queues(
            day(Bucket::Hour),
            QueueGrouping::Department(departments.clone()),
        )
    })
    .await?;
    time("month queues by hour", runs, || {
        queues(month(Bucket::Hour), QueueGrouping::Queue)
    })
    .await?;
    time("month total by day", runs, || {
        queues(month(Bucket::Day), QueueGrouping::Total)
    })
    .await?;
    time("day agents by hour", runs, || async {
        let rows = s.agent_report(&day(Bucket::Hour)).await?;
        Ok(format!("rows={}", rows.len()))
    })
    .await?;
    time("month agents by day", runs, || async {
        let rows = s.agent_report(&month(Bucket::Day)).await?;
        Ok(format!("rows={}", rows.len()))
    })
    .await?;
    time("day IVR choices by hour", runs, || async {
        let rows = s
            .ivr_report(&day(Bucket::Hour), &IvrGrouping::After("main".into()))
            .await?;
        Ok(format!("rows={}", rows.len()))
    })
    .await?;
    time("month IVR paths by hour", runs, || async {
        let rows = s
            .ivr_report(&month(Bucket::Hour), &IvrGrouping::FullPath)
            .await?;
        Ok(format!("rows={}", rows.len()))
    })
    .await?;
    time("day occupancy by hour", runs, || async {
        let rows = s.occupancy(&day(Bucket::Hour)).await?;
        Ok(format!("rows={}", rows.len()))
    })
    .await?;
    time("month cases", runs, || async {
        let rows = s
            .case_report(
                Timestamp(month_start),
                Timestamp(day_start + DAY),
                Timestamp(END_MS),
            )
            .await?;
        let opened: i64 = rows.iter().map(|r| r.opened).sum();
        Ok(format!("rows={} opened={opened}", rows.len()))
    })
    .await?;
    time("day legacy by 15 min", runs, || async {
        let rows = s
            .statistics(&StatsOptions {
                bucket: Some(Duration::from_secs(900)),
                ..StatsOptions::per_queue(Timestamp(day_start), Timestamp(day_start + DAY))
            })
            .await?;
        Ok(format!("rows={} (queue segments)", rows.len()))
    })
    .await?;
    Ok(())
}

#[tokio::main]
async fn main() {
    let result = match Args::parse() {
        Ok(args) => match args.command.as_str() {
            "seed" => run_seed(&args).await,
            "report" => report(&args).await,
            "ingest" => ingest(&args).await,
            other => Err(format!("unknown command {other:?}")),
        },
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        eprintln!("stats_bench: {e}");
        std::process::exit(1);
    }
}
