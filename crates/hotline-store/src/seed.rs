//! Synthetic data for demos and benchmarks: citizens with names, numbers
//! and national IDs; months of calls with daily and weekly peaks, queues,
//! agents, abandons and IVR-only calls; cases for some answered calls.
//!
//! Calls are written as call records directly (no event log), in bulk
//! multi-row inserts, which is what makes ten million calls feasible; their
//! queue segments, agent state history and statistics slots come from
//! `stats::synth`, consistent with the records.
//! Deterministic for a given seed.

use std::time::Instant;

use hotline_types::{CaseRef, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::cases::utc_date;
use crate::db::{migration_sql, values_placeholders, with_pool, BeginWrite, Pool};
use crate::error::{Result, StoreError};
use crate::events::{bind_call_record, insert_calls_sql, CallRecord, CALL_COLUMNS};
use crate::stats::synth::{bulk_rows, SeedStats};
use crate::Store;

const FIRST_NAMES: &[&str] = &[
    "Wei", "Fang", "Li", "Min", "Jing", "Lei", "Yan", "Jun", "Maria", "James", "Aisha", "Carlos",
    "Olga", "Kenji", "Priya", "Tomasz", "Fatima", "David", "Mei", "Sofia", "Ahmed", "Elena",
    "Ivan", "Grace", "Omar", "Lucia", "Chen", "Hana", "Mateo", "Zara",
];
const LAST_NAMES: &[&str] = &[
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Garcia", "Smith", "Johnson",
    "Nguyen", "Kowalski", "Müller", "Rossi", "Silva", "Khan", "Ivanova", "Tanaka", "Okafor",
    "Haddad", "Novak", "Brown", "Lopez", "Kim", "Patel", "Cohen", "Jensen", "Moreau", "Santos",
];
const QUEUES: &[&str] = &[
    "housing",
    "transport",
    "water",
    "noise",
    "social_security",
    "health",
    "education",
    "general",
];
const CATEGORIES: &[&str] = &[
    "complaint",
    "repair_request",
    "information",
    "noise_report",
    "benefit_question",
    "suggestion",
];
const IVR_PATHS: &[&str] = &[
    "welcome>language>main",
    "welcome>language>main>case_status",
    "welcome>language>main>department",
    "welcome>language>main>department>confirm",
];
/// Relative call volume per hour of day: a morning and an afternoon peak.
const HOURLY_WEIGHT: [u32; 24] = [
    1, 1, 1, 1, 1, 2, 4, 10, 22, 30, 32, 26, 18, 22, 28, 30, 24, 16, 10, 7, 5, 3, 2, 1,
];
/// Relative call volume per weekday, Monday first.
const DAILY_WEIGHT: [u32; 7] = [14, 12, 11, 11, 12, 6, 4];

/// How much to generate.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub citizens: u64,
    pub calls: u64,
    /// The RNG seed: the same seed gives the same data.
    pub seed: u64,
    /// Calls are spread over the `days` days before `end`.
    pub days: u32,
    pub end: Timestamp,
    pub agents: u32,
    /// Share of answered calls that open a case.
    pub case_share: f64,
}

impl SeedOptions {
    /// `citizens` and `calls` over the 180 days before `end`.
    pub fn new(citizens: u64, calls: u64, seed: u64, end: Timestamp) -> Self {
        Self {
            citizens,
            calls,
            seed,
            days: 180,
            end,
            agents: 60,
            case_share: 0.1,
        }
    }
}

/// What was generated and how long it took.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedReport {
    pub citizens: u64,
    pub phones: u64,
    pub calls: u64,
    pub cases: u64,
    pub seconds: f64,
}

/// The phone number of the `i`-th synthetic citizen's first line; numbers
/// are unique and look like Chinese mobile numbers.
pub fn seed_phone(i: u64) -> String {
    format!("+86139{:08}", i % 100_000_000)
}

fn second_phone(i: u64) -> String {
    format!("+86021{:08}", i % 100_000_000)
}

fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items[rng.gen_range(0..items.len())]
}

fn weighted(rng: &mut StdRng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut x = rng.gen_range(0..total);
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// Exponentially distributed integer with the given mean.
fn exp_ms(rng: &mut StdRng, mean_ms: f64) -> i64 {
    let u: f64 = rng.gen_range(f64::EPSILON..1.0);
    (-u.ln() * mean_ms) as i64
}

/// Tables whose secondary indexes are dropped during a bulk load and
/// rebuilt after it: building an index once from sorted data is several
/// times faster than updating it row by row.
const BULK_TABLES: [&str; 5] = [
    "calls",
    "citizen_phones",
    "cases",
    "queue_segments",
    "agent_states",
];

/// `(name, CREATE INDEX statement)` of the secondary indexes of the bulk
/// tables, taken from the embedded migrations so they cannot drift.
fn bulk_indexes(store: &Store) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for sql in migration_sql(store.backend()) {
        for statement in sql.split(';') {
            let statement: String = statement
                .lines()
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join(" ");
            let statement = statement.trim();
            let Some(rest) = statement.strip_prefix("CREATE INDEX ") else {
                continue;
            };
            let mut words = rest.split_whitespace();
            let (Some(name), Some("ON"), Some(table)) = (words.next(), words.next(), words.next())
            else {
                continue;
            };
            if BULK_TABLES.contains(&table) {
                out.push((
                    name.to_owned(),
                    statement.replacen("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1),
                ));
            }
        }
    }
    out
}

async fn run_statements(store: &Store, statements: &[String]) -> Result<()> {
    for sql in statements {
        with_pool!(store, |pool| {
            sqlx::query(sql).execute(pool).await?;
        });
    }
    Ok(())
}

/// Fills the store with synthetic data. Intended for empty stores (demo,
/// benchmark); it refuses a store that already has citizens. The bulk
/// tables' indexes are dropped during the load and rebuilt at the end (also
/// when the load fails).
pub async fn seed(store: &Store, options: &SeedOptions) -> Result<SeedReport> {
    let started = Instant::now();
    let indexes = bulk_indexes(store);
    if indexes.len() < 5 {
        return Err(StoreError::CorruptData {
            what: "embedded migrations",
            detail: format!("found only {} bulk-table indexes", indexes.len()),
        });
    }
    let existing: i64 = with_pool!(store, |pool| {
        sqlx::query_scalar("SELECT count(*) FROM citizens")
            .fetch_one(pool)
            .await?
    });
    if existing > 0 {
        return Err(StoreError::InvalidValue {
            field: "store",
            reason: "seed only fills an empty store; it already has citizens".into(),
        });
    }
    let drops: Vec<String> = indexes
        .iter()
        .map(|(name, _)| format!("DROP INDEX IF EXISTS {name}"))
        .collect();
    let creates: Vec<String> = indexes.into_iter().map(|(_, create)| create).collect();
    run_statements(store, &drops).await?;
    let loaded = load(store, options, started).await;
    let rebuilt = run_statements(store, &creates).await;
    let mut report = loaded?;
    rebuilt?;
    // Fresh statistics for the query planner after a bulk load.
    with_pool!(store, |pool| {
        sqlx::query("ANALYZE").execute(pool).await?;
    });
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

async fn load(store: &Store, options: &SeedOptions, started: Instant) -> Result<SeedReport> {
    let mut rng = StdRng::seed_from_u64(options.seed);
    let backend = store.backend();
    let mut report = SeedReport {
        citizens: options.citizens,
        phones: 0,
        calls: 0,
        cases: 0,
        seconds: 0.0,
    };

    // Citizens, their phones and national IDs.
    const CITIZEN_CHUNK: u64 = 2_000;
    let mut next = 1u64;
    while next <= options.citizens {
        let end = (next + CITIZEN_CHUNK).min(options.citizens + 1);
        let mut citizens = Vec::with_capacity((end - next) as usize);
        let mut phones = Vec::with_capacity((end - next) as usize * 2);
        for i in next..end {
            let name = format!(
                "{} {}",
                pick(&mut rng, FIRST_NAMES),
                pick(&mut rng, LAST_NAMES)
            );
            let national = if rng.gen_bool(0.7) {
                let id = format!(
                    "{:06}{:08}{:04}",
                    110_000 + i % 600_000,
                    19_400_101 + (i * 7919) % 800_000,
                    i % 10_000
                );
                Some((
                    store.seed_national_id_hmac(&id),
                    format!("**************{}", &id[14..]),
                ))
            } else {
                None
            };
            let lang = if rng.gen_bool(0.85) { "zh" } else { "en" };
            let created = options.end.as_millis()
                - i64::from(options.days) * 86_400_000
                - rng.gen_range(0..86_400_000i64 * 365);
            citizens.push((i as i64, name, national, lang, created));
            phones.push((i as i64, seed_phone(i), "mobile"));
            if rng.gen_bool(0.1) {
                phones.push((i as i64, second_phone(i), "home"));
            }
        }
        report.phones += phones.len() as u64;
        with_pool!(store, |pool| {
            let mut tx = pool.begin_write().await?;
            for chunk in citizens.chunks(bulk_rows(backend, 6)) {
                let sql = format!(
                    "INSERT INTO citizens (citizen_id, full_name, national_id_hmac, national_id_masked, preferred_language, created_at_ms) VALUES {}",
                    values_placeholders(chunk.len(), 6)
                );
                let mut q = sqlx::query(&sql);
                for (id, name, national, lang, created) in chunk {
                    q = q
                        .bind(*id)
                        .bind(name.as_str())
                        .bind(national.as_ref().map(|n| n.0.clone()))
                        .bind(national.as_ref().map(|n| n.1.clone()))
                        .bind(*lang)
                        .bind(*created);
                }
                q.execute(&mut *tx).await?;
            }
            for chunk in phones.chunks(bulk_rows(backend, 3)) {
                let sql = format!(
                    "INSERT INTO citizen_phones (citizen_id, number, label) VALUES {}",
                    values_placeholders(chunk.len(), 3)
                );
                let mut q = sqlx::query(&sql);
                for (id, number, label) in chunk {
                    q = q.bind(*id).bind(number.as_str()).bind(*label);
                }
                q.execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        next = end;
    }
    if let Pool::Postgres(pool) = store.pool() {
        // Explicit ids do not advance the identity sequence.
        sqlx::query("SELECT setval(pg_get_serial_sequence('citizens', 'citizen_id'), GREATEST((SELECT max(citizen_id) FROM citizens), 1))")
            .execute(pool)
            .await?;
    }

    // Calls, in time order, with cases for some answered ones.
    let days = i64::from(options.days.max(1));
    let first_day_ms = (options.end.as_millis() / 86_400_000 - days) * 86_400_000;
    // Calls per day follow the weekday weights.
    let day_weights: Vec<u32> = (0..days)
        .map(|d| {
            // 1970-01-01 was a Thursday (index 3 with Monday = 0).
            let weekday = ((first_day_ms / 86_400_000 + d + 3) % 7) as usize;
            DAILY_WEIGHT[weekday]
        })
        .collect();
    let weight_total: u64 = day_weights.iter().map(|w| u64::from(*w)).sum();
    let mut case_seq_by_day: std::collections::BTreeMap<String, u32> = Default::default();
    let mut stats = SeedStats::new(options.agents, QUEUES);
    let mut remaining = options.calls;
    for (d, w) in day_weights.iter().enumerate() {
        let mut n = options.calls * u64::from(*w) / weight_total.max(1);
        if d as i64 == days - 1 {
            n = remaining;
        }
        n = n.min(remaining);
        remaining -= n;
        let day_start = first_day_ms + d as i64 * 86_400_000;
        let mut starts: Vec<i64> = (0..n)
            .map(|_| {
                let hour = weighted(&mut rng, &HOURLY_WEIGHT) as i64;
                day_start + hour * 3_600_000 + rng.gen_range(0..3_600_000)
            })
            .collect();
        starts.sort_unstable();
        let mut calls = Vec::with_capacity(starts.len());
        let mut cases = Vec::new();
        for start in starts {
            let (record, case) =
                synth_call(&mut rng, options, start, &mut case_seq_by_day, &mut stats)?;
            stats.add_call(&record);
            calls.push(record);
            if let Some(c) = case {
                cases.push(c);
            }
        }
        report.calls += calls.len() as u64;
        report.cases += cases.len() as u64;
        with_pool!(store, |pool| {
            let mut tx = pool.begin_write().await?;
            for chunk in calls.chunks(bulk_rows(backend, CALL_COLUMNS.len())) {
                let sql = insert_calls_sql(chunk.len());
                let mut q = sqlx::query(&sql);
                for r in chunk {
                    q = bind_call_record!(q, r);
                }
                q.execute(&mut *tx).await?;
            }
            for chunk in cases.chunks(bulk_rows(backend, 13)) {
                let sql = format!(
                    "INSERT INTO cases (case_ref, citizen_id, call_id, category, department, status, summary, opened_at_ms, deadline_at_ms, updated_at_ms, resolved_at_ms, closed_at_ms, satisfaction) VALUES {}",
                    values_placeholders(chunk.len(), 13)
                );
                let mut q = sqlx::query(&sql);
                for c in chunk {
                    q = q
                        .bind(c.case_ref.clone())
                        .bind(c.citizen)
                        .bind(c.call_id.clone())
                        .bind(c.category)
                        .bind(c.department)
                        .bind(c.status)
                        .bind(c.summary.clone())
                        .bind(c.opened_at_ms)
                        .bind(c.opened_at_ms + 7 * 86_400_000)
                        .bind(
                            c.closed_at_ms
                                .or(c.resolved_at_ms)
                                .unwrap_or(c.opened_at_ms),
                        )
                        .bind(c.resolved_at_ms)
                        .bind(c.closed_at_ms)
                        .bind(c.satisfaction);
                }
                q.execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        stats
            .write(store, Some(Timestamp(day_start + 86_400_000)))
            .await?;
    }
    stats.finish(store).await?;
    with_pool!(store, |pool| {
        let mut tx = pool.begin_write().await?;
        for (day, seq) in &case_seq_by_day {
            sqlx::query(
                "INSERT INTO case_sequences (day, last_seq) VALUES ($1, $2) \
                 ON CONFLICT (day) DO UPDATE SET last_seq = excluded.last_seq",
            )
            .bind(day)
            .bind(i64::from(*seq))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
    });
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

struct SeedCase {
    case_ref: String,
    citizen: Option<i64>,
    call_id: String,
    category: &'static str,
    department: &'static str,
    status: &'static str,
    summary: String,
    opened_at_ms: i64,
    resolved_at_ms: Option<i64>,
    closed_at_ms: Option<i64>,
    satisfaction: Option<i64>,
}

fn synth_call(
    rng: &mut StdRng,
    options: &SeedOptions,
    start: i64,
    case_seq_by_day: &mut std::collections::BTreeMap<String, u32>,
    stats: &mut SeedStats,
) -> Result<(CallRecord, Option<SeedCase>)> {
    let mut random = [0u8; 10];
    rng.fill(&mut random);
    let call_id = uuid::Builder::from_unix_timestamp_millis(start as u64, &random)
        .into_uuid()
        .to_string();
    // Frequent callers: a squared uniform favours low citizen numbers.
    let known = options.citizens > 0 && rng.gen_bool(0.85);
    let citizen = if known {
        let u: f64 = rng.gen();
        Some(((u * u) * options.citizens as f64) as u64 + 1)
    } else {
        None
    };
    let caller = match citizen {
        Some(i) => seed_phone(i.min(options.citizens)),
        None => format!("+86186{:08}", rng.gen_range(0..100_000_000u64)),
    };
    let answered_at = start + rng.gen_range(500..3_000);
    let ivr_ms = rng.gen_range(15_000..90_000);
    let mut r = CallRecord {
        call_id: call_id.clone(),
        caller: Some(caller),
        called: Some("12345".into()),
        sip_call_id: Some(format!("{call_id}@trunk")),
        node: Some("node-1".into()),
        started_at_ms: Some(start),
        answered_at_ms: Some(answered_at),
        language: Some(if rng.gen_bool(0.85) { "zh" } else { "en" }.into()),
        ivr_path: Some(pick(rng, IVR_PATHS).into()),
        event_count: 8,
        ..CallRecord::default()
    };
    let mut case = None;
    let self_service = rng.gen_bool(0.25);
    let end;
    if self_service {
        end = answered_at + ivr_ms;
        SeedStats::ivr_only(rng, &mut r);
        r.ended_at_ms = Some(end);
        r.last_event_at_ms = end;
    } else {
        let queued_at = answered_at + ivr_ms;
        let queue = pick(rng, QUEUES);
        let part = stats.queued_call(rng, &mut r, queue, queued_at);
        end = part.end_ms;
        r.ended_at_ms = Some(end);
        r.last_event_at_ms = part.last_event_ms.max(end);
        if let Some(answered) = part.answered_at_ms {
            if rng.gen_bool(0.3) {
                r.recording = Some(format!("recordings/{call_id}.wav"));
            }
            if rng.gen_bool(options.case_share) {
                let (y, m, d) = utc_date(Timestamp(answered));
                let key = format!("{:02}{m:02}{d:02}", y.rem_euclid(100));
                let seq = case_seq_by_day.entry(key).or_insert(0);
                *seq += 1;
                let case_ref =
                    CaseRef::new(y, m, d, *seq).map_err(|e| StoreError::InvalidValue {
                        field: "case reference",
                        reason: e.to_string(),
                    })?;
                r.case_ref = Some(case_ref.digits().to_owned());
                let status = match rng.gen_range(0..10) {
                    0..=5 => "closed",
                    6 => "resolved",
                    7 => "in_progress",
                    8 => "dispatched",
                    _ => "accepted",
                };
                // Done cases took days (some longer than their 7-day deadline).
                let done = matches!(status, "closed" | "resolved");
                let resolved_at = done.then(|| answered + exp_ms(rng, 3.0 * 86_400_000.0));
                let closed_at = (status == "closed")
                    .then(|| resolved_at.map(|t| t + rng.gen_range(3_600_000..86_400_000)))
                    .flatten();
                case = Some(SeedCase {
                    case_ref: case_ref.digits().to_owned(),
                    citizen: citizen.map(|c| c as i64),
                    call_id: call_id.clone(),
                    category: pick(rng, CATEGORIES),
                    department: queue,
                    status,
                    summary: format!("synthetic {} about {}", pick(rng, CATEGORIES), queue),
                    opened_at_ms: answered,
                    resolved_at_ms: resolved_at,
                    closed_at_ms: closed_at,
                    satisfaction: (done && rng.gen_bool(0.4)).then(|| rng.gen_range(1..=5)),
                });
            }
        }
    }
    Ok((r, case))
}

impl Store {
    fn seed_national_id_hmac(&self, id: &str) -> String {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&self.inner.national_id_key)
            .expect("HMAC-SHA256 takes keys of any length");
        mac.update(id.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}
