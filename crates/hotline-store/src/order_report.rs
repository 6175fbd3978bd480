//! The official work-order figures (受理, 直办, 派单, 按时办结率, 超期, 延期,
//! 退单, 重办, 回访, 满意率, 办结时长) per department, category, district or
//! street, by local day, week or month: [`Store::order_report`].
//!
//! Every figure counts events of the orders' logs, placed at the time they
//! happened (or, for the follow-up and overdue figures, at the time they
//! fall due). What each event adds is decided in one place, [`OrderTally`]
//! by way of [`OrderFigureSlots::add_events`], and kept per local day in
//! `order_stats_day` (migration 0006), written in the transaction that
//! appends the events ([`record_order_figures!`], called from `orders.rs`)
//! by adding differences, so concurrent nodes need no lock, and per local
//! month in `order_stats_month`. Reports add up days and months, never
//! orders: a year for 500 departments by month reads 6,000 month rows
//! whatever the number of orders. The definitions are in
//! `docs/statistics.md` ("Work orders") and on [`OrderFigures`].
//!
//! Days are local days at one offset kept in the database
//! (`order_stats_zone`, UTC+8 unless rebuilt), so a report must ask in that
//! offset; [`Store::rebuild_order_report`] recomputes everything from the
//! logs, at another offset or after upgrading a store whose orders predate
//! migration 0006.
//!
//! Must not touch: the logs and the `cases` projection (`orders.rs` owns
//! them), what a command means (the order core decides).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use hotline_orders::{OrderChange, OrderEvent, UserId, WorkOrder};
use hotline_types::Timestamp;
use serde::{Deserialize, Serialize};

use crate::db::{values_placeholders, with_pool, BeginWrite};
use crate::error::{Result, StoreError};
use crate::orders::parse_change;
use crate::stats::UNASSIGNED_DEPARTMENT;
use crate::{Backend, Store};

const DAY_MS: i64 = 86_400_000;
const WEEK_MS: i64 = 7 * DAY_MS;
/// 1970-01-05 was a Monday.
const MONDAY_MS: i64 = 4 * DAY_MS;

/// What an order report's rows are per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderGrouping {
    /// The department the event concerns: the one an order was dispatched,
    /// re-dispatched or reopened to, or the one it was with when it was
    /// returned, closed, extended, followed up or merged. What happens at
    /// the hotline before any dispatch (acceptance, resolution on the call,
    /// and the follow-ups of orders resolved on the call) is
    /// [`UNASSIGNED_DEPARTMENT`].
    Department,
    /// The order's category (fixed at acceptance).
    Category,
    /// The district of the order's location.
    District,
    /// The street (街道) of the order's location, keyed `district/street`.
    Street,
}

impl OrderGrouping {
    pub const ALL: [OrderGrouping; 4] = [
        OrderGrouping::Department,
        OrderGrouping::Category,
        OrderGrouping::District,
        OrderGrouping::Street,
    ];

    /// Its name, as stored in `order_stats_day.dimension` and in URLs.
    pub fn name(self) -> &'static str {
        match self {
            OrderGrouping::Department => "department",
            OrderGrouping::Category => "category",
            OrderGrouping::District => "district",
            OrderGrouping::Street => "street",
        }
    }
}

impl fmt::Display for OrderGrouping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OrderGrouping {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|g| g.name() == s)
            .ok_or_else(|| StoreError::InvalidValue {
                field: "grouping",
                reason: format!("{s:?} is not one of department, category, district, street"),
            })
    }
}

/// The size of an order report's buckets, in the report's local days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderBucket {
    Day,
    /// Monday to Sunday.
    Week,
    /// Calendar months.
    Month,
    /// One bucket for the whole interval (its start is `from`).
    Whole,
}

impl OrderBucket {
    pub fn name(self) -> &'static str {
        match self {
            OrderBucket::Day => "day",
            OrderBucket::Week => "week",
            OrderBucket::Month => "month",
            OrderBucket::Whole => "whole",
        }
    }
}

impl FromStr for OrderBucket {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        [
            OrderBucket::Day,
            OrderBucket::Week,
            OrderBucket::Month,
            OrderBucket::Whole,
        ]
        .into_iter()
        .find(|b| b.name() == s)
        .ok_or_else(|| StoreError::InvalidValue {
            field: "bucket",
            reason: format!("{s:?} is not one of day, week, month, whole"),
        })
    }
}

/// What [`Store::order_report`] is asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderReportQuery {
    /// Start of the interval (inclusive): a local midnight.
    pub from: Timestamp,
    /// End of the interval (exclusive): a local midnight after `from`.
    pub to: Timestamp,
    pub bucket: OrderBucket,
    /// Local time minus UTC, in minutes (480 for Asia/Shanghai): must be
    /// the offset the figures are kept in ([`Store::order_report_offset`]).
    pub utc_offset_minutes: i32,
    pub grouping: OrderGrouping,
    /// Only this key of the grouping (one department's report); `None`
    /// for every key.
    pub only: Option<String>,
    /// When the report is made: the overdue figures of a bucket that has
    /// not ended by then are `None` (not known yet).
    pub now: Timestamp,
}

/// The time from acceptance (受理) to a department's close (办结), in
/// calendar hours, over the closes counted in [`OrderFigures::closed`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CloseTimes {
    /// Closes timed (= `closed`).
    pub count: i64,
    pub mean_hours: Option<f64>,
    /// Nearest-rank median: the ⌈n/2⌉th shortest (the lower middle of an
    /// even count).
    pub median_hours: Option<f64>,
    /// Nearest-rank 90th percentile: the ⌈0.9·n⌉th shortest.
    pub p90_hours: Option<f64>,
}

/// One key's work-order figures in one bucket. Counts are events placed
/// in the bucket in which they happened, unless said otherwise; ratios are
/// of counts of the same bucket, and `None` when the denominator is 0.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OrderFigures {
    /// Orders accepted (受理: created), merged duplicates included.
    pub accepted: i64,
    /// Orders closed during the call by the agent (直接办结), never dispatched.
    pub resolved_on_call: i64,
    /// resolved_on_call / accepted (直办率).
    pub resolved_on_call_rate: Option<f64>,
    /// Dispatches (派单) to a department: first dispatches and
    /// re-dispatches after a return; reopens are not dispatches.
    pub dispatched: i64,
    /// Of those, re-dispatches after a return (二次派单).
    pub redispatched: i64,
    /// Returns by the department (退单).
    pub returned: i64,
    /// returned / dispatched (退单率).
    pub return_rate: Option<f64>,
    /// Extension requests (延期申请).
    pub extensions_requested: i64,
    /// extensions_requested / dispatched (延期申请率).
    pub extension_request_rate: Option<f64>,
    /// Requests a supervisor approved, and refused.
    pub extensions_approved: i64,
    pub extensions_refused: i64,
    /// extensions_approved / (extensions_approved + extensions_refused):
    /// of the requests decided in the bucket (延期批准率).
    pub extension_approval_rate: Option<f64>,
    /// Closes (办结) by a department, each close of a reopened order again.
    /// Resolutions on the call are not here but in `resolved_on_call`.
    pub closed: i64,
    /// Of those, closed at or before the deadline in force then (the
    /// original, an approved extension's, or a reopen's).
    pub closed_on_time: i64,
    /// closed − closed_on_time: closed after their deadline (超期办结).
    pub closed_late: i64,
    /// closed_on_time / closed (按时办结率): of the closes in the bucket.
    /// Orders still open past their deadline are not in it (they are in
    /// `overdue_at_end`), so read the two together.
    pub on_time_rate: Option<f64>,
    /// Orders whose deadline passed during the bucket while they were with
    /// their department (not closed, returned or merged by then); `None`
    /// while the bucket has not ended at the report's `now`.
    pub became_overdue: Option<i64>,
    /// Orders with a department at the end of the bucket and past their
    /// deadline (超期未办结): a stock, whenever they were accepted; `None`
    /// while the bucket has not ended at `now`.
    pub overdue_at_end: Option<i64>,
    /// Reopens (重办) after an unsatisfied follow-up.
    pub reopened: i64,
    /// reopened / (closed + resolved_on_call) (重办率).
    pub reopen_rate: Option<f64>,
    /// Reporters whose follow-up call (回访) fell due in the bucket (placed
    /// at the time it is due, not at the close); reporters left uncalled
    /// because another reporter's unsatisfied follow-up reopened the order
    /// are taken out again.
    pub follow_ups_due: i64,
    /// Of those, followed up (so far: a later follow-up still counts in the
    /// bucket in which it fell due).
    pub followed_up: i64,
    /// followed_up / follow_ups_due (回访率).
    pub follow_up_rate: Option<f64>,
    /// Follow-ups recorded in the bucket, each with a score 1–5 (评价).
    pub scored: i64,
    /// Of those, satisfied (the catalogue's satisfied-from score or more).
    pub satisfied: i64,
    /// satisfied / scored (满意率).
    pub satisfaction_rate: Option<f64>,
    /// Mean score of the follow-ups recorded in the bucket.
    pub mean_score: Option<f64>,
    /// Orders merged into another as duplicates (in `accepted` when they
    /// were accepted).
    pub merged: i64,
    /// Acceptance to close, for the closes in `closed`.
    pub time_to_close: CloseTimes,
}

/// A report row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OrderReportRow {
    /// The department, category, district or `district/street`.
    pub key: String,
    /// UTC start of the bucket (a local midnight; a week's Monday, a
    /// month's first day, even when the interval starts later).
    pub bucket_start_ms: i64,
    pub figures: OrderFigures,
}

/// Names of [`OrderTally`]'s counts, in its order (the columns of
/// `order_stats_day`).
const COUNTS: [&str; 19] = [
    "accepted",
    "resolved_on_call",
    "dispatched",
    "redispatched",
    "returned",
    "extensions_requested",
    "extensions_approved",
    "extensions_refused",
    "closed",
    "closed_on_time",
    "reopened",
    "follow_ups_due",
    "followed_up",
    "scored",
    "satisfied",
    "score_sum",
    "merged",
    "overdue_entered",
    "overdue_left",
];

/// What events add to one key's figures on one day (differences: a count
/// may be negative, e.g. an overdue entry taken back).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct OrderTally {
    pub(crate) counts: [i64; 19],
    /// Acceptance to close of each department close, in seconds.
    pub(crate) close_secs: Vec<u32>,
}

/// Index of each count in [`OrderTally::counts`].
#[derive(Debug, Clone, Copy)]
enum Count {
    Accepted,
    ResolvedOnCall,
    Dispatched,
    Redispatched,
    Returned,
    ExtensionsRequested,
    ExtensionsApproved,
    ExtensionsRefused,
    Closed,
    ClosedOnTime,
    Reopened,
    FollowUpsDue,
    FollowedUp,
    Scored,
    Satisfied,
    ScoreSum,
    Merged,
    OverdueEntered,
    OverdueLeft,
}

impl OrderTally {
    fn get(&self, c: Count) -> i64 {
        self.counts[c as usize]
    }

    fn add(&mut self, other: &OrderTally) {
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            *a += b;
        }
        self.close_secs.extend_from_slice(&other.close_secs);
    }

    fn is_zero(&self) -> bool {
        self.counts.iter().all(|c| *c == 0) && self.close_secs.is_empty()
    }

    pub(crate) fn close_bytes(&self) -> Vec<u8> {
        self.close_secs
            .iter()
            .flat_map(|s| s.to_le_bytes())
            .collect()
    }
}

/// One contribution of one event, before it is placed in a day.
#[derive(Debug, Clone)]
struct Fact {
    at_ms: i64,
    /// `None`: at the hotline ([`UNASSIGNED_DEPARTMENT`]).
    department: Option<String>,
    count: Count,
    value: i64,
    close_secs: Option<u32>,
}

/// The facts of `event`, folded onto `before` (the order as it was just
/// before; `None` for the `created` event). The one place that says what
/// each event counts as.
fn facts_of(before: Option<&WorkOrder>, event: &OrderEvent, after: &WorkOrder) -> Vec<Fact> {
    let at = event.at.as_millis();
    let department = before.and_then(|o| o.department()).map(|d| d.to_string());
    let fact = |at_ms: i64, department: Option<String>, count: Count, value: i64| Fact {
        at_ms,
        department,
        count,
        value,
        close_secs: None,
    };
    let mut facts = Vec::new();
    // The order leaves its department at `at`: an overdue entry that has
    // not happened yet is taken back, one that has is ended.
    let leave = |facts: &mut Vec<Fact>| {
        if let Some(deadline) = before.and_then(|o| o.deadline()).map(|d| d.as_millis()) {
            if at <= deadline {
                facts.push(fact(
                    deadline,
                    department.clone(),
                    Count::OverdueEntered,
                    -1,
                ));
            } else {
                facts.push(fact(at, department.clone(), Count::OverdueLeft, 1));
            }
        }
    };
    // A deadline set at `at`: the order becomes overdue when it passes (at
    // once if it already has).
    let enter = |facts: &mut Vec<Fact>, department: &str, deadline: Timestamp| {
        facts.push(fact(
            deadline.as_millis().max(at),
            Some(department.to_owned()),
            Count::OverdueEntered,
            1,
        ));
    };
    match &event.change {
        OrderChange::Created { .. } => facts.push(fact(at, None, Count::Accepted, 1)),
        OrderChange::Dispatched {
            department: to,
            deadline,
        } => {
            facts.push(fact(at, Some(to.to_string()), Count::Dispatched, 1));
            enter(&mut facts, to.as_str(), *deadline);
        }
        OrderChange::Redispatched {
            department: to,
            deadline,
        } => {
            facts.push(fact(at, Some(to.to_string()), Count::Dispatched, 1));
            facts.push(fact(at, Some(to.to_string()), Count::Redispatched, 1));
            enter(&mut facts, to.as_str(), *deadline);
        }
        OrderChange::ExtensionRequested { .. } => {
            facts.push(fact(at, department.clone(), Count::ExtensionsRequested, 1));
        }
        OrderChange::ExtensionDecided {
            approved,
            new_deadline,
        } => {
            if *approved {
                facts.push(fact(at, department.clone(), Count::ExtensionsApproved, 1));
                if let (Some(new_deadline), Some(d)) = (new_deadline, &department) {
                    leave(&mut facts);
                    enter(&mut facts, d, *new_deadline);
                }
            } else {
                facts.push(fact(at, department.clone(), Count::ExtensionsRefused, 1));
            }
        }
        OrderChange::Returned { .. } => {
            facts.push(fact(at, department.clone(), Count::Returned, 1));
            leave(&mut facts);
        }
        OrderChange::Closed { resolved_on_call } => {
            if *resolved_on_call {
                facts.push(fact(at, None, Count::ResolvedOnCall, 1));
            } else {
                let on_time = after.closed_on_time().unwrap_or(false);
                let secs = (at - after.created_at().as_millis()).max(0) / 1000;
                facts.push(Fact {
                    close_secs: Some(u32::try_from(secs).unwrap_or(u32::MAX)),
                    ..fact(at, department.clone(), Count::Closed, 1)
                });
                if on_time {
                    facts.push(fact(at, department.clone(), Count::ClosedOnTime, 1));
                }
                leave(&mut facts);
            }
        }
        OrderChange::FollowUpDue { due_at } => {
            let reporters = after.reporters_to_call().len() as i64;
            facts.push(fact(
                due_at.as_millis(),
                department.clone(),
                Count::FollowUpsDue,
                reporters,
            ));
        }
        OrderChange::FollowUpRecorded {
            score, satisfied, ..
        } => {
            facts.push(fact(at, department.clone(), Count::Scored, 1));
            facts.push(fact(
                at,
                department.clone(),
                Count::ScoreSum,
                i64::from(*score),
            ));
            if *satisfied {
                facts.push(fact(at, department.clone(), Count::Satisfied, 1));
            }
            if let Some(due) = before.and_then(|o| o.follow_up_due()) {
                facts.push(fact(
                    due.as_millis(),
                    department.clone(),
                    Count::FollowedUp,
                    1,
                ));
            }
        }
        OrderChange::Reopened {
            department: to,
            deadline,
        } => {
            facts.push(fact(at, Some(to.to_string()), Count::Reopened, 1));
            if let Some(before) = before {
                let uncalled = before.reporters_to_call().len() as i64;
                if let (Some(due), true) = (before.follow_up_due(), uncalled > 0) {
                    facts.push(fact(
                        due.as_millis(),
                        department.clone(),
                        Count::FollowUpsDue,
                        -uncalled,
                    ));
                }
            }
            enter(&mut facts, to.as_str(), *deadline);
        }
        OrderChange::MergedInto { .. } => {
            facts.push(fact(at, department.clone(), Count::Merged, 1));
            if before.is_some_and(|o| o.phase().is_with_department()) {
                leave(&mut facts);
            }
        }
        // Steps that no official figure counts.
        OrderChange::Accepted
        | OrderChange::NoteAdded { .. }
        | OrderChange::Urged { .. }
        | OrderChange::Reminded { .. }
        | OrderChange::Replied { .. }
        | OrderChange::ReporterLinked { .. } => {}
        // A kind added to the core later counts for nothing until it is
        // defined here.
        _ => {}
    }
    facts
}

/// UTC start of the local day holding `at_ms`.
fn day_start(at_ms: i64, offset_ms: i64) -> i64 {
    (at_ms + offset_ms).div_euclid(DAY_MS) * DAY_MS - offset_ms
}

/// Days since 1970-01-01 → (year, month 1..=12, day 1..=31) (H. Hinnant).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// (year, month, day) → days since 1970-01-01 (H. Hinnant).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// UTC start of the local month holding `at_ms`, and of the next one.
fn month_bounds(at_ms: i64, offset_ms: i64) -> (i64, i64) {
    let (y, m, _) = civil_from_days((at_ms + offset_ms).div_euclid(DAY_MS));
    let start = days_from_civil(y, m, 1) * DAY_MS - offset_ms;
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (start, days_from_civil(ny, nm, 1) * DAY_MS - offset_ms)
}

/// The offset's range, as the other reports have it.
fn check_offset(utc_offset_minutes: i32) -> Result<()> {
    if utc_offset_minutes % 15 != 0 || utc_offset_minutes.abs() > 18 * 60 {
        return Err(StoreError::InvalidValue {
            field: "utc_offset_minutes",
            reason: "use a multiple of 15 between -1080 and 1080".into(),
        });
    }
    Ok(())
}

/// Order figures added up per dimension, key and local day, ready to be
/// added to `order_stats_day` ([`Store::add_order_figures`]). The store
/// fills one for every append; bulk loaders (benchmarks, rebuilds) fill one
/// from whole logs.
#[derive(Debug, Clone)]
pub struct OrderFigureSlots {
    offset_ms: i64,
    /// (dimension, key, day_ms) → (month_ms, tally).
    slots: BTreeMap<(OrderGrouping, String, i64), (i64, OrderTally)>,
    /// (dimension, key, month_ms) → tally: the same sums per month.
    months: BTreeMap<(OrderGrouping, String, i64), OrderTally>,
}

impl OrderFigureSlots {
    /// Empty, for local days at `utc_offset_minutes`.
    pub fn new(utc_offset_minutes: i32) -> Result<Self> {
        check_offset(utc_offset_minutes)?;
        Ok(Self {
            offset_ms: i64::from(utc_offset_minutes) * 60_000,
            slots: BTreeMap::new(),
            months: BTreeMap::new(),
        })
    }

    /// Adds what `events` count, appended to the order `before` (`None`
    /// when they start with `created`). The events must fold onto it.
    pub fn add_events(&mut self, before: Option<WorkOrder>, events: &[OrderEvent]) -> Result<()> {
        let corrupt = |e: hotline_orders::OrderError| StoreError::CorruptData {
            what: "work-order log",
            detail: e.to_string(),
        };
        let mut order = before;
        for event in events {
            let after = match &order {
                None => WorkOrder::from_created(event).map_err(corrupt)?,
                Some(o) => {
                    let mut next = o.clone();
                    next.apply(event).map_err(corrupt)?;
                    next
                }
            };
            let facts = facts_of(order.as_ref(), event, &after);
            let location = after.location();
            let fixed = [
                (OrderGrouping::Category, after.category().to_string()),
                (OrderGrouping::District, location.district.clone()),
                (
                    OrderGrouping::Street,
                    format!("{}/{}", location.district, location.street),
                ),
            ];
            for f in facts {
                let department = f
                    .department
                    .clone()
                    .unwrap_or_else(|| UNASSIGNED_DEPARTMENT.to_owned());
                let keys = std::iter::once((OrderGrouping::Department, department))
                    .chain(fixed.iter().cloned());
                for (grouping, key) in keys {
                    self.add_fact(grouping, key, &f);
                }
            }
            order = Some(after);
        }
        Ok(())
    }

    /// Adds what a whole log counts (it starts with `created`).
    pub fn add_log(&mut self, log: &[OrderEvent]) -> Result<()> {
        self.add_events(None, log)
    }

    fn add_fact(&mut self, grouping: OrderGrouping, key: String, f: &Fact) {
        let day = day_start(f.at_ms, self.offset_ms);
        let month = month_bounds(f.at_ms, self.offset_ms).0;
        let month_tally = self
            .months
            .entry((grouping, key.clone(), month))
            .or_default();
        month_tally.counts[f.count as usize] += f.value;
        if let Some(secs) = f.close_secs {
            month_tally.close_secs.push(secs);
        }
        let (_, tally) = self
            .slots
            .entry((grouping, key, day))
            .or_insert_with(|| (month, OrderTally::default()));
        tally.counts[f.count as usize] += f.value;
        if let Some(secs) = f.close_secs {
            tally.close_secs.push(secs);
        }
    }

    /// Day rows held.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn clear(&mut self) {
        self.slots.clear();
        self.months.clear();
    }

    pub fn utc_offset_minutes(&self) -> i32 {
        i32::try_from(self.offset_ms / 60_000).unwrap_or(0)
    }
}

/// Rows per statement: SQLite binds by name at a cost of n² per statement,
/// so statements stay near 250 parameters (bench/orders: 40 rows of 24
/// took 3 times longer per row).
const SLOT_ROWS_PER_STATEMENT: usize = 10;

/// `INSERT ... ON CONFLICT DO UPDATE SET x = x + excluded.x` of `rows`
/// day rows (`months`: month rows); close times are appended (on SQLite
/// `||` of two blobs is their bytes one after the other, read back with a
/// cast to BLOB).
pub(crate) fn add_slots_sql(months: bool, rows: usize) -> String {
    let (table, time, columns) = if months {
        ("order_stats_month", "month_ms", 3)
    } else {
        ("order_stats_day", "day_ms", 4)
    };
    let updates = COUNTS
        .iter()
        .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
        .chain(std::iter::once(format!(
            "close_secs = {table}.close_secs || excluded.close_secs"
        )))
        .collect::<Vec<_>>()
        .join(", ");
    let keys = if months {
        "dimension, group_key, month_ms"
    } else {
        "dimension, group_key, day_ms, month_ms"
    };
    format!(
        "INSERT INTO {table} ({keys}, {}, close_secs) \
         VALUES {} ON CONFLICT (dimension, {time}, group_key) DO UPDATE SET {updates}",
        COUNTS.join(", "),
        values_placeholders(rows, columns + COUNTS.len() + 1)
    )
}

/// Adds `$slots` ([`OrderFigureSlots`]) to `order_stats_day` on the
/// executor `$exec` (a pool or `&mut *tx`, used once per statement).
macro_rules! add_order_slots {
    ($exec:expr, $slots:expr) => {{
        let slots: &$crate::order_report::OrderFigureSlots = $slots;
        async {
            let per = $crate::order_report::slot_rows_per_statement();
            for chunk in slots.rows().chunks(per) {
                let sql = $crate::order_report::add_slots_sql(false, chunk.len());
                let mut q = sqlx::query(&sql);
                for (grouping, key, day_ms, month_ms, tally) in chunk {
                    q = q
                        .bind(grouping.name())
                        .bind(key.as_str())
                        .bind(*day_ms)
                        .bind(*month_ms);
                    for c in tally.counts {
                        q = q.bind(c);
                    }
                    q = q.bind(tally.close_bytes());
                }
                q.execute($exec).await?;
            }
            for chunk in slots.month_rows().chunks(per) {
                let sql = $crate::order_report::add_slots_sql(true, chunk.len());
                let mut q = sqlx::query(&sql);
                for (grouping, key, month_ms, tally) in chunk {
                    q = q.bind(grouping.name()).bind(key.as_str()).bind(*month_ms);
                    for c in tally.counts {
                        q = q.bind(c);
                    }
                    q = q.bind(tally.close_bytes());
                }
                q.execute($exec).await?;
            }
            Ok::<(), $crate::StoreError>(())
        }
        .await
    }};
}
pub(crate) use add_order_slots;

pub(crate) fn slot_rows_per_statement() -> usize {
    SLOT_ROWS_PER_STATEMENT
}

impl OrderFigureSlots {
    /// The rows to write: (dimension, key, day_ms, month_ms, tally).
    pub(crate) fn rows(&self) -> Vec<(OrderGrouping, &String, i64, i64, &OrderTally)> {
        self.slots
            .iter()
            .filter(|(_, (_, t))| !t.is_zero())
            .map(|((g, k, d), (m, t))| (*g, k, *d, *m, t))
            .collect()
    }

    /// The month rows to write: (dimension, key, month_ms, tally).
    pub(crate) fn month_rows(&self) -> Vec<(OrderGrouping, &String, i64, &OrderTally)> {
        self.months
            .iter()
            .filter(|(_, t)| !t.is_zero())
            .map(|((g, k, m), t)| (*g, k, *m, t))
            .collect()
    }
}

/// One stored event, as read to fold an order.
#[derive(sqlx::FromRow)]
pub(crate) struct LogRow {
    pub(crate) at_ms: i64,
    pub(crate) actor: String,
    pub(crate) payload: String,
}

pub(crate) fn log_event(row: LogRow) -> Result<OrderEvent> {
    Ok(OrderEvent {
        at: Timestamp(row.at_ms),
        by: UserId::from(row.actor),
        change: parse_change(&row.payload)?,
    })
}

pub(crate) fn fold_log(events: &[OrderEvent]) -> Result<WorkOrder> {
    WorkOrder::from_events(events).map_err(|e| StoreError::CorruptData {
        what: "work-order log",
        detail: e.to_string(),
    })
}

/// Inside the transaction that appended `$events` to order `$case_id`
/// after its first `$expected` events (already in `case_events`), adds
/// what they count to `order_stats_day`. `$tx` is the transaction.
macro_rules! record_order_figures {
    ($tx:expr, $case_id:expr, $expected:expr, $events:expr) => {{
        let case_id: i64 = $case_id;
        let expected: u64 = $expected;
        let events: &[hotline_orders::OrderEvent] = $events;
        async {
            let offset: Option<i64> =
                sqlx::query_scalar("SELECT utc_offset_minutes FROM order_stats_zone")
                    .fetch_optional(&mut *$tx)
                    .await?;
            let offset = offset.ok_or($crate::StoreError::CorruptData {
                what: "order_stats_zone",
                detail: "it has no row (migration 0006 inserts one)".into(),
            })?;
            let before = if expected == 0 {
                None
            } else {
                let rows: Vec<$crate::order_report::LogRow> = sqlx::query_as(
                    "SELECT at_ms, actor, payload FROM case_events \
                     WHERE case_id = $1 AND seq <= $2 ORDER BY seq",
                )
                .bind(case_id)
                .bind(i64::try_from(expected).unwrap_or(i64::MAX))
                .fetch_all(&mut *$tx)
                .await?;
                let log = rows
                    .into_iter()
                    .map($crate::order_report::log_event)
                    .collect::<$crate::Result<Vec<_>>>()?;
                Some($crate::order_report::fold_log(&log)?)
            };
            let mut slots = $crate::order_report::OrderFigureSlots::new(
                i32::try_from(offset).unwrap_or(i32::MAX),
            )?;
            slots.add_events(before, events)?;
            $crate::order_report::add_order_slots!(&mut *$tx, &slots)
        }
        .await
    }};
}
pub(crate) use record_order_figures;

#[derive(sqlx::FromRow)]
struct BucketRow {
    group_key: String,
    bucket_ms: i64,
    accepted: i64,
    resolved_on_call: i64,
    dispatched: i64,
    redispatched: i64,
    returned: i64,
    extensions_requested: i64,
    extensions_approved: i64,
    extensions_refused: i64,
    closed: i64,
    closed_on_time: i64,
    reopened: i64,
    follow_ups_due: i64,
    followed_up: i64,
    scored: i64,
    satisfied: i64,
    score_sum: i64,
    merged: i64,
    overdue_entered: i64,
    overdue_left: i64,
    close_secs: Option<Vec<u8>>,
}

impl BucketRow {
    fn tally(&self) -> Result<OrderTally> {
        let bytes = self.close_secs.as_deref().unwrap_or_default();
        if bytes.len() % 4 != 0 {
            return Err(StoreError::CorruptData {
                what: "order_stats_day.close_secs",
                detail: format!(
                    "{} bytes is not a whole number of 4-byte times",
                    bytes.len()
                ),
            });
        }
        Ok(OrderTally {
            counts: [
                self.accepted,
                self.resolved_on_call,
                self.dispatched,
                self.redispatched,
                self.returned,
                self.extensions_requested,
                self.extensions_approved,
                self.extensions_refused,
                self.closed,
                self.closed_on_time,
                self.reopened,
                self.follow_ups_due,
                self.followed_up,
                self.scored,
                self.satisfied,
                self.score_sum,
                self.merged,
                self.overdue_entered,
                self.overdue_left,
            ],
            close_secs: bytes
                .chunks_exact(4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
        })
    }
}

fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// The nearest-rank `p` quantile (0 < p ≤ 1) of `values`, in hours: the
/// ⌈p·n⌉th smallest, found without sorting them all (reorders `values`).
fn nearest_rank_hours(values: &mut [u32], p: f64) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let rank = ((p * n as f64).ceil() as usize).clamp(1, n);
    let (_, value, _) = values.select_nth_unstable(rank - 1);
    Some(f64::from(*value) / 3600.0)
}

fn close_times(mut secs: Vec<u32>) -> CloseTimes {
    let total: u64 = secs.iter().map(|s| u64::from(*s)).sum();
    CloseTimes {
        count: secs.len() as i64,
        mean_hours: (!secs.is_empty()).then(|| total as f64 / secs.len() as f64 / 3600.0),
        median_hours: nearest_rank_hours(&mut secs, 0.5),
        p90_hours: nearest_rank_hours(&mut secs, 0.9),
    }
}

/// The figures of one bucket's tally; `overdue`: (became, at end) once
/// the bucket has ended.
fn figures(t: OrderTally, overdue: Option<(i64, i64)>) -> OrderFigures {
    let n = |c: Count| t.get(c);
    let closed = n(Count::Closed);
    let decided = n(Count::ExtensionsApproved) + n(Count::ExtensionsRefused);
    OrderFigures {
        accepted: n(Count::Accepted),
        resolved_on_call: n(Count::ResolvedOnCall),
        resolved_on_call_rate: ratio(n(Count::ResolvedOnCall), n(Count::Accepted)),
        dispatched: n(Count::Dispatched),
        redispatched: n(Count::Redispatched),
        returned: n(Count::Returned),
        return_rate: ratio(n(Count::Returned), n(Count::Dispatched)),
        extensions_requested: n(Count::ExtensionsRequested),
        extension_request_rate: ratio(n(Count::ExtensionsRequested), n(Count::Dispatched)),
        extensions_approved: n(Count::ExtensionsApproved),
        extensions_refused: n(Count::ExtensionsRefused),
        extension_approval_rate: ratio(n(Count::ExtensionsApproved), decided),
        closed,
        closed_on_time: n(Count::ClosedOnTime),
        closed_late: closed - n(Count::ClosedOnTime),
        on_time_rate: ratio(n(Count::ClosedOnTime), closed),
        became_overdue: overdue.map(|(became, _)| became),
        overdue_at_end: overdue.map(|(_, at_end)| at_end),
        reopened: n(Count::Reopened),
        reopen_rate: ratio(n(Count::Reopened), closed + n(Count::ResolvedOnCall)),
        follow_ups_due: n(Count::FollowUpsDue),
        followed_up: n(Count::FollowedUp),
        follow_up_rate: ratio(n(Count::FollowedUp), n(Count::FollowUpsDue)),
        scored: n(Count::Scored),
        satisfied: n(Count::Satisfied),
        satisfaction_rate: ratio(n(Count::Satisfied), n(Count::Scored)),
        mean_score: ratio(n(Count::ScoreSum), n(Count::Scored)),
        merged: n(Count::Merged),
        time_to_close: close_times(t.close_secs),
    }
}

impl Store {
    /// The offset from UTC (minutes) of the local days the work-order
    /// figures are kept in: [`OrderReportQuery::utc_offset_minutes`] must
    /// be this.
    pub async fn order_report_offset(&self) -> Result<i32> {
        let offset: Option<i64> = with_pool!(self, |pool| {
            sqlx::query_scalar("SELECT utc_offset_minutes FROM order_stats_zone")
                .fetch_optional(pool)
                .await?
        });
        let offset = offset.ok_or(StoreError::CorruptData {
            what: "order_stats_zone",
            detail: "it has no row (migration 0006 inserts one)".into(),
        })?;
        i32::try_from(offset).map_err(|_| StoreError::CorruptData {
            what: "order_stats_zone",
            detail: format!("offset {offset} minutes"),
        })
    }

    /// The official work-order figures ([`OrderFigures`]) per key of the
    /// grouping and bucket of `[from, to)`, from the day rows only. Rows
    /// appear for buckets in which something was counted (or orders were
    /// overdue at the end), sorted by key, then bucket.
    ///
    /// Bad input is [`StoreError::InvalidValue`]: an interval that ends
    /// before it starts or not on local midnights, an offset other than
    /// the one the figures are kept in, an empty key.
    pub async fn order_report(&self, query: &OrderReportQuery) -> Result<Vec<OrderReportRow>> {
        check_offset(query.utc_offset_minutes)?;
        let (from, to) = (query.from.as_millis(), query.to.as_millis());
        if to <= from {
            return Err(StoreError::InvalidValue {
                field: "interval",
                reason: "its end is not after its start".into(),
            });
        }
        let kept = self.order_report_offset().await?;
        if kept != query.utc_offset_minutes {
            return Err(StoreError::InvalidValue {
                field: "utc_offset_minutes",
                reason: format!(
                    "the work-order figures are kept in local days at {kept} minutes from UTC; \
                     ask in that offset, or recompute them at {} with \
                     Store::rebuild_order_report",
                    query.utc_offset_minutes
                ),
            });
        }
        let offset_ms = i64::from(kept) * 60_000;
        if day_start(from, offset_ms) != from || day_start(to, offset_ms) != to {
            return Err(StoreError::InvalidValue {
                field: "interval",
                reason: "start and end must be local midnights (the figures are kept per day)"
                    .into(),
            });
        }
        if query.only.as_deref().is_some_and(|k| k.trim().is_empty()) {
            return Err(StoreError::InvalidValue {
                field: "only",
                reason: "an empty key selects nothing; leave it out for every key".into(),
            });
        }
        let week_shift = offset_ms - MONDAY_MS;
        if query.bucket == OrderBucket::Week && from + week_shift < 0 {
            return Err(StoreError::InvalidValue {
                field: "interval",
                reason: "weekly buckets start on 1970-01-05 at the earliest".into(),
            });
        }

        // Whole months of a monthly or whole-interval report are read from
        // the month rows, the rest from the day rows.
        let (first_month, last_month) = {
            let (start, next) = month_bounds(from, offset_ms);
            let first = if start == from { from } else { next };
            (first, month_bounds(to, offset_ms).0)
        };
        let mut ranges = Vec::new();
        if matches!(query.bucket, OrderBucket::Month | OrderBucket::Whole)
            && first_month < last_month
        {
            ranges.push((Table::Days, from, first_month));
            ranges.push((Table::Months, first_month, last_month));
            ranges.push((Table::Days, last_month, to));
        } else {
            ranges.push((Table::Days, from, to));
        }
        let mut rows = Vec::new();
        for (table, lo, hi) in ranges {
            if lo < hi {
                rows.extend(
                    self.read_order_rows(query, table, lo, hi, week_shift)
                        .await?,
                );
            }
        }
        // The overdue stock when the interval starts: the months before its
        // month, then the days of its month before it.
        let month_of_from = month_bounds(from, offset_ms).0;
        let mut before: BTreeMap<String, i64> = BTreeMap::new();
        for (table, hi) in [(Table::Months, month_of_from), (Table::Days, from)] {
            let lo = if table == Table::Days {
                month_of_from
            } else {
                i64::MIN
            };
            for (key, n) in self.overdue_stock(query, table, lo, hi).await? {
                *before.entry(key).or_default() += n;
            }
        }

        let mut tallies: BTreeMap<(String, i64), OrderTally> = BTreeMap::new();
        for row in rows {
            let start = if query.bucket == OrderBucket::Whole {
                from
            } else {
                row.bucket_ms
            };
            tallies
                .entry((row.group_key.clone(), start))
                .or_default()
                .add(&row.tally()?);
        }
        // Overdue stock at the start of the interval, per key; every bucket
        // of a key is visited in order, so that the stock carries on
        // through buckets in which nothing else happened.
        let mut stock = before;
        let mut keys: Vec<String> = stock
            .iter()
            .filter(|(_, n)| **n != 0)
            .map(|(k, _)| k.clone())
            .chain(tallies.keys().map(|(k, _)| k.clone()))
            .collect();
        keys.sort();
        keys.dedup();
        let buckets = bucket_starts(query, offset_ms);
        let now = query.now.as_millis();
        let mut out = Vec::new();
        for key in keys {
            let at_end = stock.entry(key.clone()).or_default();
            for &(start, end) in &buckets {
                let tally = tallies.remove(&(key.clone(), start)).unwrap_or_default();
                let became = tally.get(Count::OverdueEntered);
                *at_end += became - tally.get(Count::OverdueLeft);
                let overdue = (end <= now).then_some((became, *at_end));
                let figures = figures(tally, overdue);
                if figures_are_empty(&figures) {
                    continue;
                }
                out.push(OrderReportRow {
                    key: key.clone(),
                    bucket_start_ms: start,
                    figures,
                });
            }
        }
        Ok(out)
    }

    /// The rows of `table` for `[lo, hi)`, summed per key and bucket.
    async fn read_order_rows(
        &self,
        query: &OrderReportQuery,
        table: Table,
        lo: i64,
        hi: i64,
        week_shift: i64,
    ) -> Result<Vec<BucketRow>> {
        // Parameters: $1 dimension, $2 lo, $3 hi, then the key, then the
        // week's shift, each only when used (PostgreSQL refuses unused ones).
        let mut next = 4;
        let key_filter = if query.only.is_some() {
            next += 1;
            " AND group_key = $4".to_owned()
        } else {
            String::new()
        };
        let (name, time) = table.names();
        let bucket_expr = match query.bucket {
            OrderBucket::Day => "day_ms".to_owned(),
            OrderBucket::Month => "month_ms".to_owned(),
            OrderBucket::Week => format!("((day_ms + ${next}) / {WEEK_MS}) * {WEEK_MS} - ${next}"),
            OrderBucket::Whole => "CAST(0 AS BIGINT)".to_owned(),
        };
        let group_by = if query.bucket == OrderBucket::Whole {
            "GROUP BY group_key"
        } else {
            "GROUP BY 1, 2"
        };
        let concat = match self.backend() {
            Backend::Sqlite => "CAST(group_concat(close_secs, '') AS BLOB) AS close_secs",
            Backend::Postgres => "string_agg(close_secs, ''::bytea) AS close_secs",
        };
        let sums = COUNTS
            .iter()
            .map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}"))
            .collect::<Vec<_>>()
            .join(", ");
        // A month row is already one key's month: read as it is (the
        // buckets' sums are added in Rust), which spares the database
        // concatenating every close time of the year.
        let sql = if table == Table::Months {
            format!(
                "SELECT group_key, {bucket_expr} AS bucket_ms, {}, close_secs FROM {name} \
                 WHERE dimension = $1 AND {time} >= $2 AND {time} < $3{key_filter}",
                COUNTS.join(", ")
            )
        } else {
            format!(
                "SELECT group_key, {bucket_expr} AS bucket_ms, {sums}, {concat} FROM {name} \
                 WHERE dimension = $1 AND {time} >= $2 AND {time} < $3{key_filter} {group_by}"
            )
        };
        let dimension = query.grouping.name();
        Ok(with_pool!(self, |pool| {
            let mut q = sqlx::query_as::<_, BucketRow>(&sql)
                .bind(dimension)
                .bind(lo)
                .bind(hi);
            if let Some(key) = &query.only {
                q = q.bind(key.as_str());
            }
            if query.bucket == OrderBucket::Week {
                q = q.bind(week_shift);
            }
            q.fetch_all(pool).await?
        }))
    }

    /// Overdue entries minus leaves in `table` for `[lo, hi)`, per key.
    async fn overdue_stock(
        &self,
        query: &OrderReportQuery,
        table: Table,
        lo: i64,
        hi: i64,
    ) -> Result<Vec<(String, i64)>> {
        let (name, time) = table.names();
        let sql = format!(
            "SELECT group_key, CAST(SUM(overdue_entered - overdue_left) AS BIGINT) FROM {name} \
             WHERE dimension = $1 AND {time} >= $2 AND {time} < $3{} GROUP BY group_key",
            if query.only.is_some() {
                " AND group_key = $4"
            } else {
                ""
            }
        );
        let dimension = query.grouping.name();
        Ok(with_pool!(self, |pool| {
            let mut q = sqlx::query_as::<_, (String, i64)>(&sql)
                .bind(dimension)
                .bind(lo)
                .bind(hi);
            if let Some(key) = &query.only {
                q = q.bind(key.as_str());
            }
            q.fetch_all(pool).await?
        }))
    }

    /// Adds `slots` to the stored figures (additive: adding the same
    /// events twice counts them twice). For bulk loads of orders written
    /// without [`Store::act_on_order`]; `slots` must be at the offset the
    /// figures are kept in.
    pub async fn add_order_figures(&self, slots: &OrderFigureSlots) -> Result<()> {
        let kept = self.order_report_offset().await?;
        if kept != slots.utc_offset_minutes() {
            return Err(StoreError::InvalidValue {
                field: "utc_offset_minutes",
                reason: format!(
                    "the figures are kept at {kept} minutes from UTC, these are at {}",
                    slots.utc_offset_minutes()
                ),
            });
        }
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            add_order_slots!(&mut *tx, slots)?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Recomputes every work-order figure from the orders' logs, in local
    /// days at `utc_offset_minutes` (which reports must then use), in one
    /// transaction. Run once after upgrading a store whose orders predate
    /// migration 0006. Returns the number of orders read.
    pub async fn rebuild_order_report(&self, utc_offset_minutes: i32) -> Result<u64> {
        check_offset(utc_offset_minutes)?;
        const ORDERS_PER_READ: i64 = 1_000;
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM order_stats_day")
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM order_stats_month")
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM order_stats_zone")
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO order_stats_zone (utc_offset_minutes) VALUES ($1)")
                .bind(i64::from(utc_offset_minutes))
                .execute(&mut *tx)
                .await?;
            let mut slots = OrderFigureSlots::new(utc_offset_minutes)?;
            let mut after = 0i64;
            let mut orders = 0u64;
            loop {
                let ids: Vec<i64> = sqlx::query_scalar(
                    "SELECT case_id FROM cases WHERE event_count > 0 AND case_id > $1 \
                     ORDER BY case_id LIMIT $2",
                )
                .bind(after)
                .bind(ORDERS_PER_READ)
                .fetch_all(&mut *tx)
                .await?;
                let (Some(first), Some(last)) = (ids.first(), ids.last()) else {
                    break;
                };
                let rows: Vec<(i64, i64, String, String)> = sqlx::query_as(
                    "SELECT case_id, at_ms, actor, payload FROM case_events \
                     WHERE case_id >= $1 AND case_id <= $2 ORDER BY case_id, seq",
                )
                .bind(*first)
                .bind(*last)
                .fetch_all(&mut *tx)
                .await?;
                let mut log: Vec<OrderEvent> = Vec::new();
                let mut current = None;
                for (case_id, at_ms, actor, payload) in rows {
                    if current != Some(case_id) {
                        if !log.is_empty() {
                            slots.add_log(&log)?;
                            orders += 1;
                        }
                        log.clear();
                        current = Some(case_id);
                    }
                    log.push(log_event(LogRow {
                        at_ms,
                        actor,
                        payload,
                    })?);
                }
                if !log.is_empty() {
                    slots.add_log(&log)?;
                    orders += 1;
                }
                after = *last;
                if slots.len() > 50_000 {
                    add_order_slots!(&mut *tx, &slots)?;
                    slots.clear();
                }
            }
            add_order_slots!(&mut *tx, &slots)?;
            tx.commit().await?;
            Ok(orders)
        })
    }
}

/// Each bucket of the query's interval: its start (as the SQL computes
/// it) and its end, cut at the interval's end.
fn bucket_starts(query: &OrderReportQuery, offset_ms: i64) -> Vec<(i64, i64)> {
    let (from, to) = (query.from.as_millis(), query.to.as_millis());
    let mut out = Vec::new();
    let mut start = match query.bucket {
        OrderBucket::Day | OrderBucket::Whole => from,
        OrderBucket::Week => {
            let shift = offset_ms - MONDAY_MS;
            (from + shift).div_euclid(WEEK_MS) * WEEK_MS - shift
        }
        OrderBucket::Month => month_bounds(from, offset_ms).0,
    };
    while start < to {
        let end = match query.bucket {
            OrderBucket::Day => start + DAY_MS,
            OrderBucket::Week => start + WEEK_MS,
            OrderBucket::Month => month_bounds(start, offset_ms).1,
            OrderBucket::Whole => to,
        };
        out.push((start, end.min(to)));
        start = end;
    }
    out
}

/// Which rows a report reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Table {
    Days,
    Months,
}

impl Table {
    /// The table and its time column.
    fn names(self) -> (&'static str, &'static str) {
        match self {
            Table::Days => ("order_stats_day", "day_ms"),
            Table::Months => ("order_stats_month", "month_ms"),
        }
    }
}

fn figures_are_empty(f: &OrderFigures) -> bool {
    let counts = [
        f.accepted,
        f.resolved_on_call,
        f.dispatched,
        f.returned,
        f.extensions_requested,
        f.extensions_approved,
        f.extensions_refused,
        f.closed,
        f.reopened,
        f.follow_ups_due,
        f.followed_up,
        f.scored,
        f.merged,
        f.became_overdue.unwrap_or(0),
        f.overdue_at_end.unwrap_or(0),
    ];
    counts.iter().all(|c| *c == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_days_and_months_start_at_local_midnight() {
        let offset = 480 * 60_000;
        // 2026-10-01T00:30+08:00 is 2026-09-30T16:30Z.
        let t = 1_790_785_800_000;
        assert_eq!(day_start(t, offset), 1_790_784_000_000);
        // October starts at 2026-09-30T16:00Z, November at 2026-10-31T16:00Z.
        assert_eq!(
            month_bounds(t, offset),
            (1_790_784_000_000, 1_793_462_400_000)
        );
        for days in [-800_000, -1, 0, 1, 59, 10_957, 20_727, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        // December rolls over into January.
        let (start, end) = month_bounds(1_797_955_200_000, offset); // 2026-12-23 local
        assert_eq!(civil_from_days((start + offset) / DAY_MS), (2026, 12, 1));
        assert_eq!(civil_from_days((end + offset) / DAY_MS), (2027, 1, 1));
    }

    #[test]
    fn nearest_rank_takes_the_lower_middle() {
        let h = |x: u32| x * 3600;
        let times = close_times(vec![h(4), h(1), h(3), h(2)]);
        assert_eq!(times.median_hours, Some(2.0));
        assert_eq!(times.p90_hours, Some(4.0));
        assert_eq!(times.mean_hours, Some(2.5));
        assert_eq!(close_times(vec![]).median_hours, None);
    }

    #[test]
    fn names_read_back_and_bad_ones_are_refused() {
        for g in OrderGrouping::ALL {
            assert_eq!(g.name().parse::<OrderGrouping>().unwrap(), g);
        }
        assert!(matches!(
            "queue".parse::<OrderGrouping>(),
            Err(StoreError::InvalidValue {
                field: "grouping",
                ..
            })
        ));
        assert!("fortnight".parse::<OrderBucket>().is_err());
        assert_eq!("month".parse::<OrderBucket>().unwrap(), OrderBucket::Month);
    }
}
