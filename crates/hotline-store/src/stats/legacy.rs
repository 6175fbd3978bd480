//! The first version's statistics call, [`Store::statistics`], kept for its
//! callers: any interval and any bucket length, per queue or per agent. It
//! now reads the queue segments directly (not the 15-minute slots), so it
//! follows the same definitions as [`Store::queue_report`] but costs a scan
//! of the interval's queue entries; prefer `queue_report` for reports.

use std::collections::BTreeMap;
use std::time::Duration;

use hotline_types::Timestamp;
use serde::Serialize;

use crate::db::with_pool;
use crate::error::{Result, StoreError};
use crate::stats::aggregate::QueueTotals;
use crate::stats::segments::{QueueSegment, SegmentRow, SEGMENT_COLUMNS};
use crate::stats::Thresholds;
use crate::Store;

/// What the rows are per.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsGrouping {
    Queue,
    /// Per agent who answered: only entries an agent answered.
    Agent,
}

/// The interval, bucket and thresholds of a statistics query.
#[derive(Debug, Clone)]
pub struct StatsOptions {
    /// Start of the interval (inclusive).
    pub from: Timestamp,
    /// End of the interval (exclusive).
    pub to: Timestamp,
    /// Bucket length (e.g. 15 min), counted from `from`; `None` for one
    /// bucket over the interval.
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

/// One queue's (or agent's) figures in one bucket; the fields mean what
/// the same names in [`crate::QueueFigures`] mean (`max_wait_ms` is its
/// `max_queued_ms`).
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

fn millis(field: &'static str, d: Duration) -> Result<i64> {
    i64::try_from(d.as_millis()).map_err(|_| StoreError::InvalidValue {
        field,
        reason: "it is too long".into(),
    })
}

impl Store {
    /// Statistics per queue or agent and bucket, by queue entry time; see
    /// [`crate::QueueFigures`] for the definitions. Rows are sorted by key,
    /// then bucket.
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
        let thresholds = Thresholds {
            service_level_ms: millis("service level threshold", options.service_level_threshold)?,
            short_abandon_ms: millis("short abandon threshold", options.short_abandon_threshold)?,
        };
        let sql = format!(
            "SELECT {SEGMENT_COLUMNS} FROM queue_segments \
             WHERE entered_at_ms >= $1 AND entered_at_ms < $2"
        );
        let rows: Vec<SegmentRow> = with_pool!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(from)
                .bind(to)
                .fetch_all(pool)
                .await?
        });
        let mut totals: BTreeMap<(String, i64), QueueTotals> = BTreeMap::new();
        for row in rows {
            let segment = QueueSegment::try_from(row)?;
            let key = match options.grouping {
                StatsGrouping::Queue => segment.queue.clone(),
                StatsGrouping::Agent => match &segment.agent {
                    Some(agent) => agent.clone(),
                    None => continue,
                },
            };
            let bucket = from + (segment.entered_at_ms - from) / bucket_ms * bucket_ms;
            totals
                .entry((key, bucket))
                .or_default()
                .add_segment(&segment, &thresholds)?;
        }
        Ok(totals
            .into_iter()
            .map(|((key, bucket_start_ms), t)| {
                let f = t.figures();
                StatsRow {
                    key,
                    bucket_start_ms,
                    offered: f.offered,
                    answered: f.answered,
                    abandoned: f.abandoned,
                    short_abandoned: f.short_abandoned,
                    answered_within_threshold: f.answered_within_threshold,
                    abandoned_within_threshold: f.abandoned_within_threshold,
                    service_level: f.service_level,
                    service_level_strict: f.service_level_strict,
                    asa_ms: f.asa_ms,
                    aht_ms: f.aht_ms,
                    abandonment_rate: f.abandonment_rate,
                    max_wait_ms: f.max_queued_ms,
                }
            })
            .collect())
    }
}
