//! Store benchmarks: event ingestion through the batching writer, the
//! screen-pop lookup at scale, and a day's statistics.
//!
//! ```text
//! cargo run --release -p hotline-store --example store_bench -- ingest    --url sqlite:///tmp/b.db --events 1000000
//! cargo run --release -p hotline-store --example store_bench -- seed      --url sqlite:///tmp/b.db --citizens 1000000 --calls 10000000
//! cargo run --release -p hotline-store --example store_bench -- screenpop --url sqlite:///tmp/b.db --lookups 20000
//! cargo run --release -p hotline-store --example store_bench -- stats     --url sqlite:///tmp/b.db --runs 20
//! ```
//! For PostgreSQL use `--url postgres://postgres@127.0.0.1:5432/test --schema bench`
//! (the schema is created if missing; `--fresh` drops it first, or deletes
//! the SQLite file).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use hotline_store::{
    seed, seed_phone, AuditContext, EventWriter, EventWriterOptions, SeedOptions, StatsOptions,
    Store, StoreOptions,
};
use hotline_types::{CallEvent, CallEventRecord, CallId, HangupSide, Timestamp};
use rand::{Rng, SeedableRng};

const KEY: &[u8] = b"benchmark-national-id-key-000000";
/// The seeded data ends here: 2026-11-22T00:00:00Z.
const END_MS: i64 = 1_795_305_600_000;

struct Args {
    command: String,
    flags: HashMap<String, String>,
}

impl Args {
    fn parse() -> Result<Self, String> {
        let mut it = std::env::args().skip(1);
        let command = it
            .next()
            .ok_or("usage: store_bench <ingest|seed|screenpop|stats> --url URL [...]")?;
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

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn call_events(call: CallId, start_ms: i64, i: u64) -> Vec<CallEventRecord> {
    let r = |off: i64, e: CallEvent| CallEventRecord::new(call, Timestamp(start_ms + off), e);
    let queue = ["housing", "transport", "water", "noise"][(i % 4) as usize];
    vec![
        r(
            0,
            CallEvent::CallStarted {
                caller: format!("+86139{:08}", i % 100_000_000),
                called: "12345".into(),
                sip_call_id: format!("{call}@bench"),
                node: Some("bench".into()),
                linked_call: None,
            },
        ),
        r(300, CallEvent::Answered),
        r(
            400,
            CallEvent::IvrNodeEntered {
                script: "main".into(),
                version: 1,
                node: "welcome".into(),
            },
        ),
        r(
            4_000,
            CallEvent::DigitsCollected {
                node: "welcome".into(),
                digits: "2".into(),
            },
        ),
        r(
            4_100,
            CallEvent::IvrNodeEntered {
                script: "main".into(),
                version: 1,
                node: "department".into(),
            },
        ),
        r(
            9_000,
            CallEvent::Queued {
                queue: queue.into(),
                priority: 1,
                skills: vec![],
            },
        ),
        r(
            20_000,
            CallEvent::Offered {
                queue: queue.into(),
                agent: "agent001".into(),
            },
        ),
        r(
            21_000,
            CallEvent::AgentAnswered {
                queue: queue.into(),
                agent: "agent001".into(),
                wait_ms: 12_000,
            },
        ),
        r(60_000, CallEvent::HoldStarted),
        r(70_000, CallEvent::HoldEnded),
        r(
            200_000,
            CallEvent::Ended {
                side: HangupSide::Caller,
                cause: "bye".into(),
            },
        ),
        r(
            230_000,
            CallEvent::WrapUpDone {
                agent: "agent001".into(),
                disposition: "information_given".into(),
                wrap_ms: 30_000,
            },
        ),
    ]
}

async fn connect(args: &Args) -> Result<Store, String> {
    let url: String = args.get("url", String::new())?;
    if url.is_empty() {
        return Err("--url is required".into());
    }
    let mut options = StoreOptions::new(KEY);
    options.max_connections = args.get("connections", 8u32)?;
    if url.starts_with("postgres") {
        let schema: String = args.get("schema", "bench".to_string())?;
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

async fn ingest(args: &Args) -> Result<(), String> {
    let store = connect(args).await?;
    let events: u64 = args.get("events", 1_000_000u64)?;
    let batch: usize = args.get("batch", 2_000usize)?;
    let defaults = EventWriterOptions::default();
    let transactions: usize = args.get("transactions", defaults.transactions_per_batch)?;
    let spool = std::env::temp_dir().join(format!("store-bench-spool-{}", std::process::id()));
    let writer = EventWriter::spawn(
        store.clone(),
        &spool,
        EventWriterOptions {
            max_batch: batch,
            transactions_per_batch: transactions,
            close_out_crashed_calls: None,
            ..defaults
        },
    );
    let before = store.event_count().await.map_err(|e| e.to_string())?;
    let calls = events.div_ceil(12);
    // Build the events first so the measurement is the store, not the generator.
    let all: Vec<CallEventRecord> = (0..calls)
        .flat_map(|i| call_events(CallId::new(), END_MS + i as i64 * 50, i))
        .take(events as usize)
        .collect();
    let started = Instant::now();
    let mut refused_retries = 0u64;
    for e in all {
        let mut e = Some(e);
        while let Some(ev) = e.take() {
            if !writer.submit(ev.clone()) {
                // The channel is full: a real call would log and move on;
                // the benchmark waits so that it measures sustained rate.
                refused_retries += 1;
                tokio::time::sleep(Duration::from_millis(1)).await;
                e = Some(ev);
            }
        }
    }
    let stats = writer.shutdown().await.map_err(|e| e.to_string())?;
    let elapsed = started.elapsed();
    let after = store.event_count().await.map_err(|e| e.to_string())?;
    println!(
        "ingest backend={:?} events={} stored={} elapsed_s={:.2} events_per_s={:.0} batches={} transactions_per_batch={} spooled={} full_channel_retries={}",
        store.backend(),
        events,
        after - before,
        elapsed.as_secs_f64(),
        events as f64 / elapsed.as_secs_f64(),
        stats.batches,
        transactions,
        stats.spooled,
        refused_retries
    );
    let _ = std::fs::remove_dir_all(spool);
    Ok(())
}

async fn run_seed(args: &Args) -> Result<(), String> {
    let store = connect(args).await?;
    let mut options = SeedOptions::new(
        args.get("citizens", 100_000u64)?,
        args.get("calls", 1_000_000u64)?,
        args.get("seed", 1u64)?,
        Timestamp(END_MS),
    );
    options.days = args.get("days", 180u32)?;
    let report = seed(&store, &options).await.map_err(|e| e.to_string())?;
    println!(
        "seed backend={:?} citizens={} phones={} calls={} cases={} seconds={:.1}",
        store.backend(),
        report.citizens,
        report.phones,
        report.calls,
        report.cases,
        report.seconds
    );
    Ok(())
}

async fn screenpop(args: &Args) -> Result<(), String> {
    let store = connect(args).await?;
    let lookups: usize = args.get("lookups", 20_000usize)?;
    let citizens: u64 = args.get("citizens", 1_000_000u64)?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    // Warm the caches the way a running server has them warm.
    for i in 0..1_000u64 {
        let ctx = AuditContext::for_call("bench", CallId::new(), Timestamp(END_MS));
        store
            .citizen_by_phone(&ctx, &seed_phone(i % citizens + 1))
            .await
            .map_err(|e| e.to_string())?;
    }
    let mut times = Vec::with_capacity(lookups);
    let mut calls_shown = 0usize;
    let mut found = 0usize;
    for _ in 0..lookups {
        // Callers weighted like the seed's: frequent callers call more.
        let u: f64 = rng.gen();
        let i = ((u * u) * citizens as f64) as u64 + 1;
        let ctx = AuditContext::for_call("bench", CallId::new(), Timestamp(END_MS));
        let t = Instant::now();
        let r = store
            .citizen_by_phone(&ctx, &seed_phone(i))
            .await
            .map_err(|e| e.to_string())?;
        times.push(t.elapsed());
        found += r.len();
        calls_shown += r.iter().map(|c| c.recent_calls.len()).sum::<usize>();
    }
    times.sort();
    println!(
        "screenpop backend={:?} lookups={} found={} mean_calls_shown={:.1} p50_us={} p90_us={} p99_us={} max_us={}",
        store.backend(),
        lookups,
        found,
        calls_shown as f64 / lookups.max(1) as f64,
        percentile(&times, 0.5).as_micros(),
        percentile(&times, 0.9).as_micros(),
        percentile(&times, 0.99).as_micros(),
        times.last().copied().unwrap_or_default().as_micros()
    );
    Ok(())
}

async fn stats(args: &Args) -> Result<(), String> {
    let store = connect(args).await?;
    let runs: usize = args.get("runs", 20usize)?;
    let days_back: i64 = args.get("days-back", 3i64)?;
    let day_start = END_MS - days_back * 86_400_000;
    let options = StatsOptions {
        bucket: Some(Duration::from_secs(900)),
        ..StatsOptions::per_queue(Timestamp(day_start), Timestamp(day_start + 86_400_000))
    };
    let mut times = Vec::with_capacity(runs);
    let mut rows = 0;
    let mut offered = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let r = store
            .statistics(&options)
            .await
            .map_err(|e| e.to_string())?;
        times.push(t.elapsed());
        rows = r.len();
        offered = r.iter().map(|x| x.offered).sum::<i64>();
    }
    let mut whole_day = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        store
            .statistics(&StatsOptions::per_queue(
                Timestamp(day_start),
                Timestamp(day_start + 86_400_000),
            ))
            .await
            .map_err(|e| e.to_string())?;
        whole_day.push(t.elapsed());
    }
    times.sort();
    whole_day.sort();
    println!(
        "stats backend={:?} day_offered={} rows_15min={} p50_ms_15min={:.1} max_ms_15min={:.1} p50_ms_whole_day={:.1} max_ms_whole_day={:.1}",
        store.backend(),
        offered,
        rows,
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        times.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        percentile(&whole_day, 0.5).as_secs_f64() * 1e3,
        whole_day.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    Ok(())
}

#[tokio::main]
async fn main() {
    let result = match Args::parse() {
        Ok(args) => match args.command.as_str() {
            "ingest" => ingest(&args).await,
            "seed" => run_seed(&args).await,
            "screenpop" => screenpop(&args).await,
            "stats" => stats(&args).await,
            other => Err(format!("unknown command {other:?}")),
        },
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        eprintln!("store_bench: {e}");
        std::process::exit(1);
    }
}
