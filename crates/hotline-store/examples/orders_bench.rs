//! Work-order benchmarks (bench/orders/README.md): seed a store with
//! millions of synthetic orders over 500 departments by bulk SQL (the
//! `cases` projection, each order's `created` event, and the report's day
//! rows computed from each order's whole synthetic log by the store's own
//! `OrderFigureSlots`), then time a department inbox's first and next
//! pages, the overdue lists and a year's order report.
//!
//! ```text
//! cargo build --release -p hotline-store --example orders_bench
//! B=$CARGO_TARGET_DIR/release/examples/orders_bench
//! $B seed    --url sqlite:///var/tmp/ht-reports-bench/o10m.db --fresh --orders 10000000
//! $B measure --url sqlite:///var/tmp/ht-reports-bench/o10m.db --runs 200
//! $B seed    --url postgres://postgres@127.0.0.1:5432/test --schema orders_bench --fresh --orders 10000000
//! ```
//! `--days` (730) is the span of the orders, ending at END_MS;
//! `--departments` (500). `ORDERS_BENCH_ONLY=inbox` runs only the
//! measurements whose name contains that text.

use std::collections::HashMap;
use std::future::Future;
use std::time::Instant;

use hotline_orders::{Channel, Location, OrderChange, OrderEvent, Phase, UserId, WorkOrder};
use hotline_store::{
    case_status_of, InboxQuery, OrderBucket, OrderFigureSlots, OrderGrouping, OrderReportQuery,
    Store, StoreOptions,
};
use hotline_types::{CaseRef, CitizenId, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const KEY: &[u8] = b"benchmark-national-id-key-000000";
const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;
/// Asia/Shanghai, the offset the figures are kept in.
const OFFSET_MINUTES: i32 = 480;
const OFFSET_MS: i64 = 480 * 60_000;
/// The seeded orders end here (and "now" of the lists): 2026-11-23T00:00+08:00.
const END_MS: i64 = 1_795_363_200_000;
const DISTRICTS: usize = 16;
const STREETS_PER_DISTRICT: usize = 10;
const CATEGORIES_PER_DEPARTMENT: usize = 2;

struct Args {
    command: String,
    flags: HashMap<String, String>,
}

impl Args {
    fn parse() -> Result<Self, String> {
        let mut it = std::env::args().skip(1);
        let command = it
            .next()
            .ok_or("usage: orders_bench <seed|measure> --url URL [...]")?;
        let mut flags = HashMap::new();
        while let Some(flag) = it.next() {
            let name = flag
                .strip_prefix("--")
                .ok_or(format!("unexpected {flag:?}"))?
                .to_owned();
            if name == "fresh" || name == "no-migrate" {
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
    options.max_connections = 4;
    // A store seeded before its migrations last changed (indexes added by
    // hand to compare): measure without migrating.
    options.migrate_on_connect = !args.flags.contains_key("no-migrate");
    if url.starts_with("postgres") {
        let schema: String = args.get("schema", "orders_bench".to_string())?;
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

fn department(d: usize) -> String {
    format!("dept{d:03}")
}

/// Local midnight after `at` plus `days` (a stand-in for N working days:
/// the bench does not need the calendar, only deadlines at midnights).
fn midnight_after(at: i64, days: i64) -> i64 {
    ((at + OFFSET_MS).div_euclid(DAY) + 1 + days) * DAY - OFFSET_MS
}

/// One synthetic order's whole log, as the core would have written it.
/// Shape: 20% resolved on the call; the rest dispatched to one of the
/// departments (a few large ones get more), 3% returned and re-dispatched,
/// 5% ask for an extension (70% approved); closed after 2 hours to 12 days
/// (0.5% never); 70% have a reporter to call back, followed up 4 hours
/// after it falls due, 15% of them unsatisfied: reopened and closed again
/// 2 days later.
fn synthetic_log(rng: &mut StdRng, n: u64, created_ms: i64, departments: usize) -> Vec<OrderEvent> {
    let by = UserId::from("bench");
    let ev = |at: i64, change: OrderChange| OrderEvent {
        at: Timestamp(at),
        by: by.clone(),
        change,
    };
    let day_index = (created_ms + OFFSET_MS).div_euclid(DAY);
    let date = jiff::civil::date(1970, 1, 1)
        .checked_add(jiff::Span::new().days(day_index))
        .expect("a date");
    let reference = CaseRef::new(
        i32::from(date.year()),
        date.month() as u32,
        date.day() as u32,
        (n % 99_999) as u32 + 1,
    )
    .expect("a reference");
    // Skewed: department d gets weight 1 + (d < 50) * 4.
    let dept = if rng.gen_bool(0.3) {
        rng.gen_range(0..50.min(departments))
    } else {
        rng.gen_range(0..departments)
    };
    let category = format!(
        "cat{dept:03}{}",
        rng.gen_range(0..CATEGORIES_PER_DEPARTMENT)
    );
    let district = rng.gen_range(0..DISTRICTS);
    let citizen = rng.gen_bool(0.7).then_some(CitizenId(1));
    let mut log = vec![ev(
        created_ms,
        OrderChange::Created {
            reference: reference.clone(),
            channel: Channel::Call,
            category: category.into(),
            citizen,
            location: Location {
                address: String::new(),
                district: format!("district{district:02}"),
                street: format!("street{:02}", rng.gen_range(0..STREETS_PER_DISTRICT)),
                coordinates: None,
            },
            summary: String::new(),
        },
    )];
    if rng.gen_bool(0.2) {
        log.push(ev(
            created_ms + 60_000,
            OrderChange::Replied {
                text: String::new(),
            },
        ));
        log.push(ev(
            created_ms + 60_000,
            OrderChange::Closed {
                resolved_on_call: true,
            },
        ));
        return log;
    }
    let mut t = created_ms + 60_000;
    let mut deadline = midnight_after(created_ms, 7);
    let mut to = department(dept);
    log.push(ev(
        t,
        OrderChange::Dispatched {
            department: to.clone().into(),
            deadline: Timestamp(deadline),
        },
    ));
    if rng.gen_bool(0.03) {
        t += 2 * HOUR;
        log.push(ev(
            t,
            OrderChange::Returned {
                reason: String::new(),
            },
        ));
        t += HOUR;
        to = department(rng.gen_range(0..departments));
        deadline = midnight_after(t, 7);
        log.push(ev(
            t,
            OrderChange::Redispatched {
                department: to.clone().into(),
                deadline: Timestamp(deadline),
            },
        ));
    }
    let close_at = if rng.gen_bool(0.005) {
        i64::MAX
    } else {
        t + 2 * HOUR + rng.gen_range(0..12 * DAY)
    };
    let step = |log: &mut Vec<OrderEvent>, at: i64, change: OrderChange| -> bool {
        if at >= END_MS {
            return false;
        }
        log.push(ev(at, change));
        true
    };
    if !step(&mut log, t + HOUR, OrderChange::Accepted) {
        return log;
    }
    if rng.gen_bool(0.05) {
        let asked = t + 2 * HOUR;
        if !step(
            &mut log,
            asked,
            OrderChange::ExtensionRequested {
                working_days: 3,
                reason: String::new(),
            },
        ) {
            return log;
        }
        let approved = rng.gen_bool(0.7);
        deadline = if approved {
            deadline + 3 * DAY
        } else {
            deadline
        };
        if !step(
            &mut log,
            asked + HOUR,
            OrderChange::ExtensionDecided {
                approved,
                new_deadline: approved.then_some(Timestamp(deadline)),
            },
        ) {
            return log;
        }
    }
    let close_at = close_at.max(log.last().map_or(t, |e| e.at.as_millis()) + 2 * HOUR);
    if close_at == i64::MAX
        || !step(
            &mut log,
            close_at - HOUR,
            OrderChange::Replied {
                text: String::new(),
            },
        )
    {
        return log;
    }
    if !step(
        &mut log,
        close_at,
        OrderChange::Closed {
            resolved_on_call: false,
        },
    ) {
        return log;
    }
    if citizen.is_none() {
        return log;
    }
    let due = midnight_after(close_at, 0);
    log.push(ev(
        close_at,
        OrderChange::FollowUpDue {
            due_at: Timestamp(due),
        },
    ));
    let score = if rng.gen_bool(0.15) {
        rng.gen_range(1..=3)
    } else {
        rng.gen_range(4..=5)
    };
    if !step(
        &mut log,
        due + 4 * HOUR,
        OrderChange::FollowUpRecorded {
            reporter: reference,
            score,
            satisfied: score >= 4,
        },
    ) {
        return log;
    }
    if score < 4 {
        let at = due + 4 * HOUR;
        log.push(ev(
            at,
            OrderChange::Reopened {
                department: to.into(),
                deadline: Timestamp(midnight_after(at, 7)),
            },
        ));
        if step(&mut log, at + HOUR, OrderChange::Accepted)
            && step(
                &mut log,
                at + 2 * DAY - HOUR,
                OrderChange::Replied {
                    text: String::new(),
                },
            )
        {
            step(
                &mut log,
                at + 2 * DAY,
                OrderChange::Closed {
                    resolved_on_call: false,
                },
            );
        }
    }
    log
}

/// The `cases` columns the bench writes (the projection of `orders.rs`).
const CASE_COLUMNS: [&str; 33] = [
    "case_ref",
    "category",
    "department",
    "status",
    "summary",
    "opened_at_ms",
    "deadline_at_ms",
    "updated_at_ms",
    "closed_at_ms",
    "satisfaction",
    "event_count",
    "phase",
    "channel",
    "district",
    "street",
    "address",
    "created_by",
    "handler",
    "replied",
    "extension_pending",
    "resolved_on_call",
    "closed_on_time",
    "follow_up_due_at_ms",
    "follow_ups_awaited",
    "returns",
    "redispatches",
    "urges",
    "extensions_requested",
    "extensions_approved",
    "extensions_refused",
    "reopens",
    "follow_ups",
    "merged_into",
];

struct CaseValues {
    text: [Option<String>; 12],
    ints: [Option<i64>; 21],
}

fn projection(order: &WorkOrder, events: usize) -> CaseValues {
    let c = order.counters();
    let closure = order.closure();
    let l = order.location();
    CaseValues {
        text: [
            Some(order.reference().digits().to_owned()),
            Some(order.category().to_string()),
            Some(
                order
                    .department()
                    .map_or("unassigned".to_owned(), |d| d.to_string()),
            ),
            Some(case_status_of(order.phase()).as_str().to_owned()),
            Some(String::new()),
            Some(order.phase().name().to_owned()),
            Some("call".to_owned()),
            Some(l.district.clone()),
            Some(l.street.clone()),
            Some(l.address.clone()),
            Some("bench".to_owned()),
            order.handler().map(|h| h.to_string()),
        ],
        ints: [
            Some(order.created_at().as_millis()),
            order.deadline().map(|d| d.as_millis()),
            Some(order.updated_at().as_millis()),
            closure.map(|c| c.at.as_millis()),
            order.follow_ups().last().map(|f| i64::from(f.score)),
            Some(events as i64),
            Some(i64::from(order.reply().is_some())),
            Some(i64::from(order.pending_extension().is_some())),
            Some(i64::from(closure.is_some_and(|c| c.resolved_on_call))),
            order.closed_on_time().map(i64::from),
            order.follow_up_due().map(|d| d.as_millis()),
            Some(order.reporters_to_call().len() as i64),
            Some(i64::from(c.returns)),
            Some(i64::from(c.redispatches)),
            Some(i64::from(c.urges)),
            Some(i64::from(c.extensions_requested)),
            Some(i64::from(c.extensions_approved)),
            Some(i64::from(c.extensions_refused)),
            Some(i64::from(c.reopens)),
            Some(i64::from(c.follow_ups)),
            None,
        ],
    }
}

/// `INSERT INTO cases (...) VALUES ...` in the column order of
/// CASE_COLUMNS (texts bound first per row as listed there).
fn cases_sql(rows: usize) -> String {
    let mut values = Vec::with_capacity(rows);
    let mut n = 1;
    for _ in 0..rows {
        let row: Vec<String> = (0..CASE_COLUMNS.len())
            .map(|_| {
                n += 1;
                format!("${}", n - 1)
            })
            .collect();
        values.push(format!("({})", row.join(",")));
    }
    format!(
        "INSERT INTO cases ({}) VALUES {}",
        CASE_COLUMNS.join(", "),
        values.join(",")
    )
}

/// Binds in CASE_COLUMNS order.
fn column_order() -> Vec<(bool, usize)> {
    // (is_text, index into text or ints)
    let texts = [
        "case_ref",
        "category",
        "department",
        "status",
        "summary",
        "phase",
        "channel",
        "district",
        "street",
        "address",
        "created_by",
        "handler",
    ];
    let ints = [
        "opened_at_ms",
        "deadline_at_ms",
        "updated_at_ms",
        "closed_at_ms",
        "satisfaction",
        "event_count",
        "replied",
        "extension_pending",
        "resolved_on_call",
        "closed_on_time",
        "follow_up_due_at_ms",
        "follow_ups_awaited",
        "returns",
        "redispatches",
        "urges",
        "extensions_requested",
        "extensions_approved",
        "extensions_refused",
        "reopens",
        "follow_ups",
        "merged_into",
    ];
    CASE_COLUMNS
        .iter()
        .map(|c| match texts.iter().position(|t| t == c) {
            Some(i) => (true, i),
            None => (false, ints.iter().position(|t| t == c).expect("a column")),
        })
        .collect()
}

async fn run_seed(args: &Args) -> Result<(), String> {
    let store = connect(args).await?;
    let orders: u64 = args.get("orders", 1_000_000)?;
    let days: i64 = args.get("days", 730)?;
    let departments: usize = args.get("departments", 500)?;
    let url: String = args.get("url", String::new())?;
    let postgres = url.starts_with("postgres");
    // SQLite binds parameters by name at n² cost: ~1,000 per statement.
    let rows_per_insert = if postgres { 500 } else { 6 };
    let orders_per_transaction = if postgres { 2_000 } else { 3_000 };
    let start_ms = END_MS - days * DAY;
    let mut rng = StdRng::seed_from_u64(args.get("seed", 7u64)?);
    let order_of_columns = column_order();
    let mut slots = OrderFigureSlots::new(OFFSET_MINUTES).map_err(|e| e.to_string())?;
    // PostgreSQL keeps a dozen indexes on `cases`; maintained row by row
    // they fall out of shared_buffers after ~1M orders and the load slows
    // to a crawl (1,791 orders/s and falling at 1.6M). A bulk load drops
    // the secondary ones and builds them once at the end, as pg_restore does.
    let dropped = if postgres {
        drop_secondary_indexes(&url, args).await?
    } else {
        Vec::new()
    };
    let began = Instant::now();
    let mut batch: Vec<(CaseValues, OrderEvent)> = Vec::new();
    let (mut events_total, mut written) = (0u64, 0u64);
    let (mut rows_s, mut slots_s) = (0f64, 0f64);
    for n in 0..orders {
        let created = start_ms + (n as i64 * days * DAY) / orders as i64 + rng.gen_range(0..60_000);
        let log = synthetic_log(&mut rng, n, created, departments);
        let order = WorkOrder::from_events(&log).map_err(|e| format!("order {n}: {e}"))?;
        debug_assert!(order.phase() != Phase::Merged);
        slots.add_log(&log).map_err(|e| e.to_string())?;
        events_total += log.len() as u64;
        batch.push((projection(&order, log.len()), log[0].clone()));
        if batch.len() == orders_per_transaction || n + 1 == orders {
            let t = Instant::now();
            write_batch(&url, args, &batch, &order_of_columns, rows_per_insert).await?;
            rows_s += t.elapsed().as_secs_f64();
            written += batch.len() as u64;
            batch.clear();
        }
        if slots.len() > 200_000 || n + 1 == orders {
            let t = Instant::now();
            store
                .add_order_figures(&slots)
                .await
                .map_err(|e| e.to_string())?;
            slots_s += t.elapsed().as_secs_f64();
            slots.clear();
        }
        if (n + 1) % 100_000 == 0 {
            eprintln!(
                "{} orders, {:.0} s, {:.0}/s (rows {rows_s:.0} s, day rows {slots_s:.0} s)",
                n + 1,
                began.elapsed().as_secs_f64(),
                (n + 1) as f64 / began.elapsed().as_secs_f64()
            );
        }
    }
    let t = Instant::now();
    if postgres {
        rebuild_indexes(&url, args, &dropped).await?;
    }
    let indexes_s = t.elapsed().as_secs_f64();
    let seconds = began.elapsed().as_secs_f64();
    println!(
        "seed backend={:?} orders={written} events_in_synthetic_logs={events_total} seconds={seconds:.1} orders_per_s={:.0} writing_rows_s={rows_s:.1} adding_day_rows_s={slots_s:.1} building_indexes_s={indexes_s:.1}",
        store.backend(),
        written as f64 / seconds
    );
    store.close().await;
    Ok(())
}

/// Writes a batch of rows and their `created` events with the bench's own
/// connection (the store has no bulk-insert API for orders, on purpose).
async fn write_batch(
    url: &str,
    args: &Args,
    batch: &[(CaseValues, OrderEvent)],
    order_of_columns: &[(bool, usize)],
    rows_per_insert: usize,
) -> Result<(), String> {
    let full_sql = cases_sql(rows_per_insert);
    let events_sql = |rows: usize| {
        let placeholders: Vec<String> = (0..rows)
            .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
            .collect();
        format!(
            "WITH v (case_ref, payload) AS (VALUES {}) \
             INSERT INTO case_events (case_id, seq, at_ms, actor, kind, payload) \
             SELECT c.case_id, 1, c.opened_at_ms, 'bench', 'created', v.payload \
             FROM v JOIN cases c ON c.case_ref = v.case_ref",
            placeholders.join(",")
        )
    };
    let full_events_sql = events_sql(rows_per_insert);
    macro_rules! run {
        ($pool:expr) => {{
            let mut tx = $pool.begin().await.map_err(|e| e.to_string())?;
            for chunk in batch.chunks(rows_per_insert) {
                let sql = if chunk.len() == rows_per_insert {
                    full_sql.clone()
                } else {
                    cases_sql(chunk.len())
                };
                let mut q = sqlx::query(&sql);
                for (values, _) in chunk {
                    for (is_text, i) in order_of_columns {
                        q = if *is_text {
                            q.bind(values.text[*i].clone())
                        } else {
                            q.bind(values.ints[*i])
                        };
                    }
                }
                q.execute(&mut *tx).await.map_err(|e| e.to_string())?;
                // Minimal logs: each order's `created` event (its first),
                // tied to the row by its reference.
                let sql = if chunk.len() == rows_per_insert {
                    full_events_sql.clone()
                } else {
                    events_sql(chunk.len())
                };
                let mut q = sqlx::query(&sql);
                for (values, created) in chunk {
                    q = q
                        .bind(values.text[0].clone())
                        .bind(serde_json::to_string(&created.change).map_err(|e| e.to_string())?);
                }
                q.execute(&mut *tx).await.map_err(|e| e.to_string())?;
            }
            tx.commit().await.map_err(|e| e.to_string())?;
        }};
    }
    if url.starts_with("postgres") {
        let pool = pg_pool(url, args).await?;
        run!(pool);
    } else {
        let pool = sqlite_pool(url).await?;
        run!(pool);
    }
    Ok(())
}

/// Drops the indexes of `cases` and `case_events` that back no constraint
/// (the primary keys and the unique reference stay: the events' insert
/// joins on it) and answers their definitions, to be built again.
async fn drop_secondary_indexes(url: &str, args: &Args) -> Result<Vec<(String, String)>, String> {
    let schema: String = args.get("schema", "orders_bench".to_string())?;
    let pool = pg_pool(url, args).await?;
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT indexname::text, indexdef FROM pg_indexes \
         WHERE schemaname = $1 AND tablename IN ('cases', 'case_events') \
           AND indexdef NOT LIKE 'CREATE UNIQUE%' \
           AND indexname NOT IN (SELECT conname FROM pg_constraint) \
         ORDER BY indexname",
    )
    .bind(&schema)
    .fetch_all(pool)
    .await
    .map_err(|e| e.to_string())?;
    for (name, _) in &indexes {
        sqlx::query(&format!("DROP INDEX \"{schema}\".\"{name}\""))
            .execute(pool)
            .await
            .map_err(|e| e.to_string())?;
    }
    eprintln!("dropped {} secondary indexes for the load", indexes.len());
    Ok(indexes)
}

async fn rebuild_indexes(
    url: &str,
    args: &Args,
    indexes: &[(String, String)],
) -> Result<(), String> {
    let pool = pg_pool(url, args).await?;
    sqlx::query("SET maintenance_work_mem = '1GB'")
        .execute(pool)
        .await
        .map_err(|e| e.to_string())?;
    for (name, definition) in indexes {
        let t = Instant::now();
        sqlx::query(definition)
            .execute(pool)
            .await
            .map_err(|e| e.to_string())?;
        eprintln!("built {name} in {:.0} s", t.elapsed().as_secs_f64());
    }
    Ok(())
}

static SQLITE: tokio::sync::OnceCell<sqlx::SqlitePool> = tokio::sync::OnceCell::const_new();
static PG: tokio::sync::OnceCell<sqlx::PgPool> = tokio::sync::OnceCell::const_new();

async fn sqlite_pool(url: &str) -> Result<&'static sqlx::SqlitePool, String> {
    SQLITE
        .get_or_try_init(|| async {
            use std::str::FromStr;
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
                .map_err(|e| e.to_string())?
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal);
            sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await
                .map_err(|e| e.to_string())
        })
        .await
}

async fn pg_pool(url: &str, args: &Args) -> Result<&'static sqlx::PgPool, String> {
    let schema: String = args.get("schema", "orders_bench".to_string())?;
    PG.get_or_try_init(|| async {
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .after_connect(move |conn, _| {
                let schema = schema.clone();
                Box::pin(async move {
                    sqlx::query(&format!("SET search_path TO \"{schema}\""))
                        .execute(&mut *conn)
                        .await?;
                    // The bench's own writes: a crash loses a re-seed, not
                    // data anybody acknowledged.
                    sqlx::query("SET synchronous_commit = off")
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            })
            .connect(url)
            .await
            .map_err(|e| e.to_string())
    })
    .await
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

async fn time<F, Fut>(name: &str, runs: usize, mut f: F) -> Result<(), String>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = Result<usize, hotline_store::StoreError>>,
{
    if let Ok(only) = std::env::var("ORDERS_BENCH_ONLY") {
        if !name.contains(&only) {
            return Ok(());
        }
    }
    f(usize::MAX).await.map_err(|e| format!("{name}: {e}"))?;
    let mut ms = Vec::with_capacity(runs);
    let mut rows = 0;
    for run in 0..runs {
        let t = Instant::now();
        rows = f(run).await.map_err(|e| format!("{name}: {e}"))?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(|a, b| a.total_cmp(b));
    println!(
        "| {name} | {:.2} | {:.2} | {:.2} | {:.2} | {rows} | {runs} |",
        percentile(&ms, 0.5),
        percentile(&ms, 0.9),
        percentile(&ms, 0.99),
        ms[ms.len() - 1],
    );
    Ok(())
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

async fn run_measure(args: &Args) -> Result<(), String> {
    let store = connect(args).await?;
    let runs: usize = args.get("runs", 200)?;
    let year_runs: usize = args.get("year-runs", 20)?;
    let departments: usize = args.get("departments", 500)?;
    let now = Timestamp(END_MS);
    let due_soon_until = Timestamp(END_MS + DAY);
    let dept = |run: usize| department(run.wrapping_mul(7919) % departments);
    println!("load average before: {}", load());
    println!("| query | p50 ms | p90 ms | p99 ms | max ms | rows | runs |");
    println!("|---|---|---|---|---|---|---|");
    let inbox = |run: usize| InboxQuery {
        department: dept(run).into(),
        now,
        due_soon_until,
        class: None,
        limit: 50,
        after: None,
    };
    time("inbox, first page of 50", runs, |run| {
        let q = inbox(run);
        let store = &store;
        async move { Ok(store.department_inbox(&q).await?.orders.len()) }
    })
    .await?;
    // Cursors of the second and fifth pages, taken once per department.
    let mut cursors = Vec::new();
    for run in 0..runs.min(departments) {
        let mut q = inbox(run);
        let mut pages = Vec::new();
        for _ in 0..4 {
            match store
                .department_inbox(&q)
                .await
                .map_err(|e| e.to_string())?
                .next
            {
                Some(next) => {
                    pages.push(next);
                    q.after = Some(next);
                }
                None => break,
            }
        }
        cursors.push((run, pages));
    }
    for (page, label) in [
        (0usize, "inbox, next page (2nd)"),
        (3, "inbox, next page (5th)"),
    ] {
        time(label, runs, |run| {
            let (r, pages) = &cursors[run % cursors.len()];
            let mut q = inbox(*r);
            q.after = pages.get(page).copied();
            let store = &store;
            async move { Ok(store.department_inbox(&q).await?.orders.len()) }
        })
        .await?;
    }
    time("inbox counts by class", runs, |run| {
        let d = dept(run);
        let store = &store;
        async move {
            let c = store
                .department_inbox_counts(&d.into(), now, due_soon_until)
                .await?;
            Ok((c.new + c.in_progress + c.due_soon + c.overdue) as usize)
        }
    })
    .await?;
    time("overdue, one department, 50", runs, |run| {
        let d = dept(run);
        let store = &store;
        async move { Ok(store.overdue_orders(Some(&d.into()), now, 50).await?.len()) }
    })
    .await?;
    time("overdue, all departments, 50", runs, |_| {
        let store = &store;
        async move { Ok(store.overdue_orders(None, now, 50).await?.len()) }
    })
    .await?;
    let year = |grouping, bucket, only: Option<String>| OrderReportQuery {
        from: Timestamp(END_MS - 365 * DAY),
        to: Timestamp(END_MS),
        bucket,
        utc_offset_minutes: OFFSET_MINUTES,
        grouping,
        only,
        now,
    };
    time(
        "report: a year, one department, by month",
        year_runs,
        |run| {
            let q = year(
                OrderGrouping::Department,
                OrderBucket::Month,
                Some(dept(run)),
            );
            let store = &store;
            async move { Ok(store.order_report(&q).await?.len()) }
        },
    )
    .await?;
    time("report: a year, one department, by day", year_runs, |run| {
        let q = year(OrderGrouping::Department, OrderBucket::Day, Some(dept(run)));
        let store = &store;
        async move { Ok(store.order_report(&q).await?.len()) }
    })
    .await?;
    for (grouping, bucket, label) in [
        (
            OrderGrouping::Department,
            OrderBucket::Month,
            "report: a year, all departments, by month",
        ),
        (
            OrderGrouping::Department,
            OrderBucket::Whole,
            "report: a year, all departments, whole year",
        ),
        (
            OrderGrouping::District,
            OrderBucket::Month,
            "report: a year, all districts, by month",
        ),
        (
            OrderGrouping::Street,
            OrderBucket::Week,
            "report: a year, all streets, by week",
        ),
    ] {
        time(label, year_runs, |_| {
            let q = year(grouping, bucket, None);
            let store = &store;
            async move { Ok(store.order_report(&q).await?.len()) }
        })
        .await?;
    }
    measure_appends(&store, runs).await?;
    println!("load average after: {}", load());
    store.close().await;
    Ok(())
}

/// What a command costs on a store of this size: `runs` new orders taken
/// down through the store's own API (the real transaction: the day's next
/// reference, the core's decision, the row, the event, the report's day and
/// month rows, the audit row), then each carried through dispatch, accept,
/// a note, the reply and the close, one command timed at a time. They go in
/// the example catalogue's "request" category, a week after the seeded data
/// (the seed numbers references by itself, so a day it covers has none
/// free; and their figures land on a day no read above looks at).
async fn measure_appends(store: &Store, runs: usize) -> Result<(), String> {
    use hotline_orders::{Actor, CalendarSpec, Catalogue, Command, Rules, WorkingCalendar};
    use hotline_store::{Access, AuditContext, NewWorkOrder};
    let catalogue = Catalogue::example();
    let calendar = WorkingCalendar::new(CalendarSpec::monday_to_friday("Asia/Shanghai"))
        .map_err(|e| e.to_string())?;
    let rules = Rules {
        catalogue: &catalogue,
        calendar: &calendar,
    };
    let at = |run: usize| Timestamp(END_MS + 7 * DAY + 2 * HOUR + run as i64 * 1_000);
    let ctx = |run: usize| AuditContext {
        actor: "bench".into(),
        access: Access::Administration,
        reason: "benchmark".into(),
        at: at(run),
    };
    let agent = Actor::agent("bench.agent");
    let handler = Actor::handler("bench.housing", &["housing"]);
    let references = std::sync::Mutex::new(Vec::with_capacity(runs));
    time("append: take an order down (受理)", runs, |run| {
        let (store, ctx, agent, references) = (store, ctx(run), &agent, &references);
        async move {
            let new = NewWorkOrder {
                call: None,
                channel: Channel::Call,
                category: "request".into(),
                citizen: None,
                // A district and street of the example catalogue's list.
                location: Location {
                    address: "景山前街 4 号".into(),
                    district: "东城区".into(),
                    street: "景山街道".into(),
                    coordinates: None,
                },
                summary: "a benchmark request".into(),
            };
            let stored = store
                .create_work_order(&ctx, rules, at(run), agent, new)
                .await?;
            references
                .lock()
                .expect("references")
                .push(stored.order.reference().clone());
            Ok(stored.events as usize)
        }
    })
    .await?;
    // `time` warms up with run usize::MAX first: that order is the first
    // reference, and run r's is r + 1.
    let references = references.into_inner().expect("references");
    if references.len() <= runs {
        return Ok(()); // ORDERS_BENCH_ONLY left the orders untaken
    }
    type Step<'a> = (&'a str, &'a Actor, fn() -> Command);
    let steps: [Step; 5] = [
        ("append: dispatch (派单)", &agent, || Command::Dispatch),
        ("append: accept", &handler, || Command::Accept),
        ("append: a note", &handler, || Command::AddNote {
            text: "visited the site".into(),
        }),
        ("append: the reply (答复)", &handler, || Command::Reply {
            text: "repaired on site".into(),
        }),
        ("append: close (办结)", &handler, || Command::Close),
    ];
    for (label, actor, command) in steps {
        time(label, runs, |run| {
            let (store, ctx, reference) = (store, ctx(run), &references[run.wrapping_add(1)]);
            async move {
                let stored = store
                    .act_on_order(&ctx, rules, at(run), actor, reference, command())
                    .await?;
                Ok(stored.events as usize)
            }
        })
        .await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    let result = match Args::parse() {
        Ok(args) => match args.command.as_str() {
            "seed" => run_seed(&args).await,
            "measure" => run_measure(&args).await,
            other => Err(format!("unknown command {other:?}: seed or measure")),
        },
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        eprintln!("orders_bench: {e}");
        std::process::exit(1);
    }
}
