//! Supervisor statistics over the call records, per queue or agent and
//! time bucket. The definitions (ARCHITECTURE.md, "Statistics"):
//!
//! - **offered**: calls that entered the queue in the interval (by their
//!   first queue entry). Calls that hang up in the IVR before queueing are
//!   not counted at all, so they are never abandons.
//! - **answered**: offered calls an agent answered.
//! - **abandoned**: offered calls whose caller hung up while queued after
//!   waiting at least the short-abandon threshold (default 5 s).
//! - **short abandons**: the same, below the threshold; counted apart and
//!   left out of abandoned, the strict service level and the abandonment rate.
//! - **service level**: answered within T / answered (T default 20 s).
//! - **strict service level**: (answered within T + abandoned within T) /
//!   (answered + abandoned).
//! - **ASA**: mean of queue entry to agent answer over answered calls.
//! - **AHT**: mean of talk + hold + wrap-up over answered calls that have
//!   ended (agent answer to end of wrap-up).
//! - **abandonment rate**: abandoned / offered.
//! - **max wait**: the longest queue wait (answered or abandoned).
//!
//! Ratios are `None` when their denominator is zero.

use std::time::Duration;

use hotline_types::Timestamp;
use serde::Serialize;

use crate::db::with_pool;
use crate::error::{Result, StoreError};
use crate::Store;

/// What the rows are per.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsGrouping {
    Queue,
    /// Only calls an agent answered or was last offered.
    Agent,
}

/// The interval, bucket and thresholds of a statistics query.
#[derive(Debug, Clone)]
pub struct StatsOptions {
    /// Start of the interval (inclusive).
    pub from: Timestamp,
    /// End of the interval (exclusive).
    pub to: Timestamp,
    /// Bucket length (e.g. 15 min); `None` for one bucket over the interval.
    pub bucket: Option<Duration>,
    pub grouping: StatsGrouping,
    /// T of the service level.
    pub service_level_threshold: Duration,
    /// Abandons quicker than this are short abandons.
    pub short_abandon_threshold: Duration,
}

impl StatsOptions {
    /// Per queue over `[from, to)`, one bucket, T = 20 s, short abandon 5 s.
    pub fn per_queue(from: Timestamp, to: Timestamp) -> Self {
        Self {
            from,
            to,
            bucket: None,
            grouping: StatsGrouping::Queue,
            service_level_threshold: Duration::from_secs(20),
            short_abandon_threshold: Duration::from_secs(5),
        }
    }
}

/// One queue's (or agent's) figures in one bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatsRow {
    /// The queue or agent name.
    pub key: String,
    pub bucket_start_ms: i64,
    pub offered: i64,
    pub answered: i64,
    pub abandoned: i64,
    pub short_abandoned: i64,
    pub answered_within_threshold: i64,
    pub abandoned_within_threshold: i64,
    pub service_level: Option<f64>,
    pub service_level_strict: Option<f64>,
    pub asa_ms: Option<f64>,
    pub aht_ms: Option<f64>,
    pub abandonment_rate: Option<f64>,
    pub max_wait_ms: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct RawRow {
    key: String,
    bucket: i64,
    offered: i64,
    answered: i64,
    abandoned: i64,
    short_abandoned: i64,
    answered_within: i64,
    abandoned_within: i64,
    total_wait_ms: i64,
    handled: i64,
    total_handle_ms: i64,
    max_wait_ms: Option<i64>,
}

fn ratio(num: i64, den: i64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

fn millis(field: &'static str, d: Duration) -> Result<i64> {
    i64::try_from(d.as_millis()).map_err(|_| StoreError::InvalidValue {
        field,
        reason: "it is too long".into(),
    })
}

impl Store {
    /// Statistics per queue or agent and bucket; see the module docs for
    /// the definitions. Rows are sorted by key, then bucket.
    pub async fn statistics(&self, options: &StatsOptions) -> Result<Vec<StatsRow>> {
        let from = options.from.as_millis();
        let to = options.to.as_millis();
        if to <= from {
            return Err(StoreError::InvalidValue {
                field: "interval",
                reason: "its end is not after its start".into(),
            });
        }
        let bucket_ms = match options.bucket {
            Some(b) => millis("bucket", b)?,
            None => to - from,
        };
        if bucket_ms <= 0 {
            return Err(StoreError::InvalidValue {
                field: "bucket",
                reason: "it must be longer than 0".into(),
            });
        }
        let t = millis("service level threshold", options.service_level_threshold)?;
        let short = millis("short abandon threshold", options.short_abandon_threshold)?;
        let key = match options.grouping {
            StatsGrouping::Queue => "queue",
            StatsGrouping::Agent => "agent",
        };
        let sql = format!(
            "SELECT {key} AS key, (queued_at_ms - $1) / $3 AS bucket, \
             count(*) AS offered, \
             CAST(COALESCE(SUM(CASE WHEN agent_answered_at_ms IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS answered, \
             CAST(COALESCE(SUM(CASE WHEN abandoned = 1 AND abandon_wait_ms >= $4 THEN 1 ELSE 0 END), 0) AS BIGINT) AS abandoned, \
             CAST(COALESCE(SUM(CASE WHEN abandoned = 1 AND abandon_wait_ms < $4 THEN 1 ELSE 0 END), 0) AS BIGINT) AS short_abandoned, \
             CAST(COALESCE(SUM(CASE WHEN agent_answered_at_ms IS NOT NULL AND wait_ms <= $5 THEN 1 ELSE 0 END), 0) AS BIGINT) AS answered_within, \
             CAST(COALESCE(SUM(CASE WHEN abandoned = 1 AND abandon_wait_ms >= $4 AND abandon_wait_ms <= $5 THEN 1 ELSE 0 END), 0) AS BIGINT) AS abandoned_within, \
             CAST(COALESCE(SUM(CASE WHEN agent_answered_at_ms IS NOT NULL THEN COALESCE(wait_ms, 0) ELSE 0 END), 0) AS BIGINT) AS total_wait_ms, \
             CAST(COALESCE(SUM(CASE WHEN agent_answered_at_ms IS NOT NULL AND talk_ms IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS handled, \
             CAST(COALESCE(SUM(CASE WHEN agent_answered_at_ms IS NOT NULL AND talk_ms IS NOT NULL \
                  THEN talk_ms + hold_ms + COALESCE(wrap_ms, 0) ELSE 0 END), 0) AS BIGINT) AS total_handle_ms, \
             MAX(COALESCE(wait_ms, abandon_wait_ms)) AS max_wait_ms \
             FROM calls WHERE queued_at_ms >= $1 AND queued_at_ms < $2 AND {key} IS NOT NULL \
             GROUP BY 1, 2 ORDER BY 1, 2"
        );
        let rows: Vec<RawRow> = with_pool!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(from)
                .bind(to)
                .bind(bucket_ms)
                .bind(short)
                .bind(t)
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|r| StatsRow {
                bucket_start_ms: from + r.bucket * bucket_ms,
                service_level: ratio(r.answered_within, r.answered),
                service_level_strict: ratio(
                    r.answered_within + r.abandoned_within,
                    r.answered + r.abandoned,
                ),
                asa_ms: ratio(r.total_wait_ms, r.answered),
                aht_ms: ratio(r.total_handle_ms, r.handled),
                abandonment_rate: ratio(r.abandoned, r.offered),
                key: r.key,
                offered: r.offered,
                answered: r.answered,
                abandoned: r.abandoned,
                short_abandoned: r.short_abandoned,
                answered_within_threshold: r.answered_within,
                abandoned_within_threshold: r.abandoned_within,
                max_wait_ms: r.max_wait_ms,
            })
            .collect())
    }
}
