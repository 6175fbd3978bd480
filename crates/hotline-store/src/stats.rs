//! Supervisor statistics with standard definitions, computed from the
//! append-only event log (so a restart never resets them). The definitions
//! are written out in `docs/statistics.md`; each is repeated on the field
//! that holds it ([`QueueFigures`], [`AgentFigures`], [`IvrFigures`],
//! [`OccupancyRow`], [`CaseRow`]) and computed in one place
//! (`aggregate.rs`, `occupancy.rs`, `cases.rs`).
//!
//! How the numbers are kept:
//!
//! - `queue_segments`: one row per (call, queue entry), folded from the
//!   events as they are appended (`segments.rs`, in the same transaction as
//!   the call record, so event-id deduplication makes it idempotent).
//! - `queue_stats_15min`, `agent_stats_15min`, `ivr_stats_15min`: per
//!   15-minute slot, maintained in the same transaction (`derive.rs`).
//!   Reports read slots only, so a month by hour reads a few thousand rows
//!   whatever the number of calls. Thresholds are applied when reading:
//!   the queue slots keep every answered and abandoned wait.
//! - `agent_states`: the agent state history the binary appends
//!   ([`Store::append_agent_states`]), for occupancy.
//!
//! The public entry points: [`Store::queue_report`], [`Store::agent_report`],
//! [`Store::ivr_report`], [`Store::occupancy`], [`Store::case_report`],
//! [`Store::append_agent_states`], [`Store::queue_segments`],
//! [`Store::rebuild_statistics`], and the first version's
//! [`Store::statistics`], kept for its callers.
//!
//! Must not touch: the call record (`events.rs` owns it), the ACD's live
//! figures (callers waiting now, longest wait now: the ACD has them).

mod aggregate;
mod cases;
pub(crate) mod derive;
mod legacy;
mod occupancy;
mod rebuild;
mod report;
pub(crate) mod segments;
pub(crate) mod synth;

use std::collections::BTreeMap;

use hotline_types::{CallId, Timestamp};
use serde::{Deserialize, Serialize};

pub use legacy::{StatsGrouping, StatsOptions, StatsRow};
pub use occupancy::{AgentStateRecord, AGENT_STATES};
pub use rebuild::RebuildReport;
pub use segments::{QueueSegment, SegmentOutcome};

pub(crate) use aggregate::SLOT_MS;

/// The key of rows that add up everything ([`QueueGrouping::Total`],
/// [`IvrGrouping::Total`]).
pub const TOTAL_KEY: &str = "all";
/// Department of queues the [`QueueGrouping::Department`] mapping does not name.
pub const UNASSIGNED_DEPARTMENT: &str = "unassigned";
/// [`IvrGrouping::After`]: calls that never reached the node.
pub const IVR_NOT_REACHED: &str = "(not reached)";
/// [`IvrGrouping::After`]: calls that reached the node and went no further.
pub const IVR_STOPPED_THERE: &str = "(stopped there)";

/// The thresholds of one queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    /// T of the service level: answered (or abandoned) with a wait of at
    /// most this is "within T". Default 20 s.
    pub service_level_ms: i64,
    /// Abandons with a wait below this are short abandons. Default 5 s.
    pub short_abandon_ms: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            service_level_ms: 20_000,
            short_abandon_ms: 5_000,
        }
    }
}

/// The size of the report's time buckets. Buckets are aligned on local
/// time (UTC + the query's offset): hours and days start on the local hour
/// and at local midnight, weeks on Monday at local midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    Minutes15,
    Hour,
    Day,
    Week,
    /// One bucket for the whole interval (its start is `from`).
    Whole,
}

/// The interval, bucket, time zone and thresholds of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportQuery {
    /// Start of the interval (inclusive), on a 15-minute boundary.
    pub from: Timestamp,
    /// End of the interval (exclusive), on a 15-minute boundary. For
    /// "today so far", the next quarter hour after now.
    pub to: Timestamp,
    pub bucket: Bucket,
    /// Local time minus UTC, in minutes, a multiple of 15 (480 for
    /// Asia/Shanghai). Buckets of an hour or more start on local time.
    pub utc_offset_minutes: i32,
    /// Thresholds of every queue not in `queue_thresholds`.
    #[serde(default)]
    pub thresholds: Thresholds,
    /// Per-queue thresholds (each queue's own service-level target).
    #[serde(default)]
    pub queue_thresholds: BTreeMap<String, Thresholds>,
}

impl ReportQuery {
    /// `[from, to)` in `bucket`s at `utc_offset_minutes`, default thresholds.
    pub fn new(from: Timestamp, to: Timestamp, bucket: Bucket, utc_offset_minutes: i32) -> Self {
        Self {
            from,
            to,
            bucket,
            utc_offset_minutes,
            thresholds: Thresholds::default(),
            queue_thresholds: BTreeMap::new(),
        }
    }

    /// The thresholds that apply to `queue`.
    pub fn thresholds_for(&self, queue: &str) -> &Thresholds {
        self.queue_thresholds.get(queue).unwrap_or(&self.thresholds)
    }
}

/// What queue report rows are per.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueGrouping {
    Queue,
    /// Per department, given the queue → department mapping of the
    /// configuration; queues it does not name go to
    /// [`UNASSIGNED_DEPARTMENT`]. Each queue keeps its own thresholds.
    Department(BTreeMap<String, String>),
    /// Every queue added up (key [`TOTAL_KEY`]). Queue entries, not
    /// calls: a transferred call counts in each queue it entered.
    Total,
}

/// What IVR report rows are per. The IVR path of a call is the list of
/// the nodes it visited, each once, in first-visit order
/// (`language>welcome>main_menu>info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IvrGrouping {
    /// The whole path.
    FullPath,
    /// The first node after `node` (the main menu, typically: which
    /// choice callers made), or [`IVR_NOT_REACHED`] /
    /// [`IVR_STOPPED_THERE`].
    After(String),
    /// Every call (key [`TOTAL_KEY`]).
    Total,
}

/// Post-call survey scores (1 worst to 5 best).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, schemars::JsonSchema)]
pub struct SurveyFigures {
    /// Surveys answered.
    pub count: i64,
    /// Mean score; `None` without surveys.
    pub mean: Option<f64>,
    /// How many gave 1, 2, 3, 4 and 5.
    pub distribution: [i64; 5],
}

/// One queue's (or department's, or all queues') figures in one bucket.
/// Every figure counts queue entries, placed in the bucket in which they
/// entered the queue. The outcomes add up:
/// `offered = answered + abandoned + short_abandoned + overflowed +
/// callback_requests + ended_in_queue + still_waiting`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QueueFigures {
    /// Entries into the queue. A call transferred from A to B is offered
    /// to both; IVR hang-ups before queueing are not offered anywhere;
    /// a ring-no-answer does not offer the entry again.
    pub offered: i64,
    /// Entries an agent answered (those then transferred on included).
    /// Callbacks are not here but in `callback_requests`.
    pub answered: i64,
    /// Answered with a wait of at most T.
    pub answered_within_threshold: i64,
    /// The caller hung up while queued (or while an agent's phone rang)
    /// after waiting at least the short-abandon threshold.
    pub abandoned: i64,
    /// Abandoned (not short) with a wait of at most T.
    pub abandoned_within_threshold: i64,
    /// Hung up while queued before the short-abandon threshold: counted
    /// apart and never as abandoned, in no ratio but as part of offered.
    pub short_abandoned: i64,
    /// Sent on by a queue rule (max wait, queue full, no agents): neither
    /// answered nor abandoned here; the next queue counts its own outcome.
    pub overflowed: i64,
    /// Callers who asked to be called back while queued: not abandons.
    pub callback_requests: i64,
    /// Of those, callbacks an agent has taken.
    pub callbacks_answered: i64,
    /// Answered entries the agent transferred on (already in `answered`).
    pub transferred_out: i64,
    /// Ended while queued without an abandon (shutdown, crash, failure).
    pub ended_in_queue: i64,
    /// Still queued when the report was made.
    pub still_waiting: i64,
    /// Offers that rang out or were rejected (the entry stays offered once).
    pub ring_no_answers: i64,
    /// Sum of the waits of answered entries (ASA's numerator).
    pub total_answer_wait_ms: i64,
    /// The longest time an entry spent in the queue (answered, abandoned,
    /// overflowed, callback or ended; short abandons included).
    pub max_queued_ms: Option<i64>,
    /// Answered entries (callbacks included) whose wrap-up is done: AHT's
    /// denominator.
    pub handled: i64,
    /// Talk (agent answer to hang-up or transfer, minus hold), hold and
    /// wrap-up of the handled entries.
    pub talk_ms: i64,
    pub hold_ms: i64,
    pub wrap_ms: i64,
    /// answered_within_threshold / answered.
    pub service_level: Option<f64>,
    /// (answered_within_threshold + abandoned_within_threshold) /
    /// (answered + abandoned); short abandons are in neither.
    pub service_level_strict: Option<f64>,
    /// Average speed of answer: total_answer_wait_ms / answered.
    pub asa_ms: Option<f64>,
    /// Average handle time: (talk_ms + hold_ms + wrap_ms) / handled, i.e.
    /// agent answer to end of wrap-up.
    pub aht_ms: Option<f64>,
    /// abandoned / offered. Short abandons are not in the numerator and,
    /// like every entry, are in offered; so the outcome shares of offered
    /// (answered, abandoned, short, overflowed...) add up to 1.
    pub abandonment_rate: Option<f64>,
    /// Surveys after this queue's agents' talks.
    pub survey: SurveyFigures,
}

/// A queue report row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QueueRow {
    /// Queue, department, or [`TOTAL_KEY`].
    pub key: String,
    /// UTC start of the bucket (local-time aligned).
    pub bucket_start_ms: i64,
    pub figures: QueueFigures,
}

/// One agent's figures in one bucket. Offers and ring-no-answers are
/// placed by when they happened; everything else by when the agent
/// answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AgentFigures {
    /// Times the agent's phone rang for a call (or callback).
    pub offers: i64,
    /// Queue entries the agent answered, callbacks included.
    pub answered: i64,
    /// Of those, callbacks.
    pub callbacks_answered: i64,
    /// Offers that rang out or that the phone rejected.
    pub ring_no_answers: i64,
    /// Answered entries the agent transferred on.
    pub transferred_out: i64,
    /// Answered entries whose wrap-up is done.
    pub handled: i64,
    pub talk_ms: i64,
    pub hold_ms: i64,
    pub wrap_ms: i64,
    /// (talk_ms + hold_ms + wrap_ms) / handled.
    pub aht_ms: Option<f64>,
    /// Surveys after this agent's talks.
    pub survey: SurveyFigures,
}

/// An agent report row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AgentRow {
    pub agent: String,
    pub bucket_start_ms: i64,
    pub figures: AgentFigures,
}

/// Incoming calls by IVR path, placed in the bucket of the call's start.
/// Outgoing callback calls are not counted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IvrFigures {
    /// Incoming calls.
    pub calls: i64,
    /// Answered by the hotline (the IVR took them).
    pub answered: i64,
    /// Entered a queue at least once.
    pub queued: i64,
    /// An agent answered them (a callback counts).
    pub agent_answered: i64,
    /// The caller hung up while queued.
    pub abandoned: i64,
    /// Answered, not queued, not ended yet.
    pub in_progress: i64,
    /// Answered calls that ended without ever being queued: the sum of
    /// the five reasons below.
    pub contained: i64,
    /// The IVR ended the call (a hang-up node, after self-service).
    pub self_service: i64,
    /// The caller left a voice message.
    pub voicemail: i64,
    /// The caller asked in the IVR to be called back.
    pub callback_request: i64,
    /// The caller hung up in the IVR.
    pub caller_hung_up: i64,
    /// Anything else: a transfer out of the IVR, a failure (shutdown,
    /// dead media...).
    pub other_ended: i64,
    /// IVR containment: contained / answered.
    pub containment_rate: Option<f64>,
}

/// An IVR report row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IvrRow {
    /// Path, next node, or [`TOTAL_KEY`].
    pub key: String,
    pub bucket_start_ms: i64,
    pub figures: IvrFigures,
}

/// One agent's time in one bucket, from the agent state history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OccupancyRow {
    pub agent: String,
    pub bucket_start_ms: i64,
    /// Time in `on_call`.
    pub on_call_ms: i64,
    /// Time in `wrap_up`.
    pub wrap_up_ms: i64,
    /// Time in `available`.
    pub available_ms: i64,
    /// Time in `offered` (the phone ringing): idle time, not work.
    pub offered_ms: i64,
    /// Time on break (any reason, ring-no-answer included).
    pub break_ms: i64,
    /// (on_call_ms + wrap_up_ms) / (on_call_ms + wrap_up_ms +
    /// available_ms + offered_ms): time on calls over time on calls plus
    /// available idle time. Break and logged-out time are in neither.
    pub occupancy: Option<f64>,
}

/// Cases of one category and department: on-time figures for the cases
/// opened in the interval, open and overdue figures as of `now`. Cases
/// merged into another (duplicates) are left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CaseRow {
    pub category: String,
    pub department: String,
    /// Cases opened in the interval.
    pub opened: i64,
    /// Of those, with a deadline.
    pub with_deadline: i64,
    /// With a deadline, resolved or closed (first of the two) at or
    /// before it.
    pub on_time: i64,
    /// With a deadline, resolved or closed after it, or still open past it.
    pub late: i64,
    /// With a deadline, still open, deadline not reached yet at `now`.
    pub pending: i64,
    /// on_time / (on_time + late): cases whose outcome is known. Pending
    /// cases are left out, or a recent interval would look late.
    pub on_time_rate: Option<f64>,
    /// Open now (any opening date): accepted, dispatched, in progress or
    /// reopened.
    pub open_now: i64,
    /// Of those, past their deadline now.
    pub overdue_now: i64,
    /// Satisfaction scores recorded on the cases opened in the interval.
    pub satisfaction: SurveyFigures,
}

/// Checks a query's interval (on quarter hours), offset and thresholds.
pub(crate) fn check_query(q: &ReportQuery) -> crate::Result<()> {
    check_query_times(q, true)
}

/// Checks a query's interval, offset and thresholds; `on_slots`: whether
/// the interval must start and end on quarter hours.
pub(crate) fn check_query_times(q: &ReportQuery, on_slots: bool) -> crate::Result<()> {
    use crate::StoreError;
    let (from, to) = (q.from.as_millis(), q.to.as_millis());
    if to <= from {
        return Err(StoreError::InvalidValue {
            field: "interval",
            reason: "its end is not after its start".into(),
        });
    }
    if on_slots && (from % SLOT_MS != 0 || to % SLOT_MS != 0) {
        return Err(StoreError::InvalidValue {
            field: "interval",
            reason: "start and end must be on a quarter hour (reports read 15-minute slots)".into(),
        });
    }
    if q.utc_offset_minutes % 15 != 0 || q.utc_offset_minutes.abs() > 18 * 60 {
        return Err(StoreError::InvalidValue {
            field: "utc_offset_minutes",
            reason: "use a multiple of 15 between -1080 and 1080".into(),
        });
    }
    for t in std::iter::once(&q.thresholds).chain(q.queue_thresholds.values()) {
        if t.service_level_ms < 0 || t.short_abandon_ms < 0 {
            return Err(StoreError::InvalidValue {
                field: "thresholds",
                reason: "they cannot be negative".into(),
            });
        }
    }
    Ok(())
}

/// `shift` and `length` such that a bucket starts at
/// `((t + shift) / length) * length - shift` for every `t` in the query's
/// interval (`t + shift` is never negative there, so SQL's integer division
/// floors): the same arithmetic as [`bucket_start`], for GROUP BY.
pub(crate) fn bucket_arithmetic(q: &ReportQuery) -> (i64, i64) {
    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;
    const MONDAY: i64 = 4 * DAY;
    let offset = i64::from(q.utc_offset_minutes) * 60_000;
    match q.bucket {
        Bucket::Minutes15 => (offset, SLOT_MS),
        Bucket::Hour => (offset, HOUR),
        Bucket::Day => (offset, DAY),
        Bucket::Week => (offset - MONDAY, 7 * DAY),
        Bucket::Whole => (-q.from.as_millis(), q.to.as_millis() - q.from.as_millis()),
    }
}

/// UTC start of the bucket holding `at_ms`.
pub(crate) fn bucket_start(q: &ReportQuery, at_ms: i64) -> i64 {
    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;
    // 1970-01-05 was a Monday.
    const MONDAY: i64 = 4 * DAY;
    let offset = i64::from(q.utc_offset_minutes) * 60_000;
    let local = at_ms + offset;
    let floor = |len: i64, origin: i64| (local - origin).div_euclid(len) * len + origin - offset;
    match q.bucket {
        Bucket::Minutes15 => floor(SLOT_MS, 0),
        Bucket::Hour => floor(HOUR, 0),
        Bucket::Day => floor(DAY, 0),
        Bucket::Week => floor(7 * DAY, MONDAY),
        Bucket::Whole => q.from.as_millis(),
    }
}

impl crate::Store {
    /// The queue entries of one call, in order (for a call's detail page
    /// and to check what the statistics count).
    pub async fn queue_segments(&self, call: CallId) -> crate::Result<Vec<QueueSegment>> {
        use crate::db::with_pool;
        let sql = format!(
            "SELECT {} FROM queue_segments WHERE call_id = $1 ORDER BY seq",
            segments::SEGMENT_COLUMNS
        );
        let rows: Vec<segments::SegmentRow> = with_pool!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(call.to_string())
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(QueueSegment::try_from).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_start_on_local_time() {
        // 2026-11-22T08:00:00Z is 16:00 in Shanghai, a Sunday.
        let t0 = 1_795_334_400_000i64;
        let mut q = ReportQuery::new(Timestamp(t0), Timestamp(t0 + 900_000), Bucket::Day, 480);
        // Local midnight of the 22nd is 16:00 UTC on the 21st.
        assert_eq!(bucket_start(&q, t0), t0 - 16 * 3_600_000);
        q.bucket = Bucket::Week;
        // Monday the 16th, local midnight.
        assert_eq!(bucket_start(&q, t0), t0 - 16 * 3_600_000 - 6 * 86_400_000);
        let (shift, length) = bucket_arithmetic(&q);
        assert_eq!(
            ((t0 + shift) / length) * length - shift,
            bucket_start(&q, t0)
        );
        q.bucket = Bucket::Hour;
        q.utc_offset_minutes = 330;
        // India: 13:30 local, the hour starts at 13:00 local = 07:30 UTC.
        assert_eq!(bucket_start(&q, t0), t0 - 1_800_000);
    }
}
