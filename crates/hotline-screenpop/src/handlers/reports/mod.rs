//! The historical reports, `GET /api/reports/*`, as JSON or CSV: queues
//! (per queue, department or in total), the waiting-time distribution,
//! agents, occupancy, IVR paths and cases. Figures come from the store's
//! report API unchanged; this module resolves the query parameters, applies
//! who may see what ([`Scope`]) and writes the answer.
//!
//! Parameters (all optional):
//! - `from`, `to`: a local date (`2026-11-22`; `to` inclusive) or Unix ms
//!   (`from` rounded down, `to` up, to a quarter hour). Default: today so
//!   far.
//! - `bucket`: `15min`, `hour`, `day` (default), `week` or `whole`.
//! - `tz`: local time minus UTC in minutes (default: the configured one).
//! - `group`: per report, below. `queue`, `agent`: only that one.
//! - `format`: `json` (default) or `csv`.
//!
//! Access: supervisors see the queues, agents and cases of their
//! department(s) (all of them without a department), admins everything,
//! agents only their own agent and occupancy figures.
//!
//! One file per report, named after its route: `queues.rs`, `waits.rs`,
//! `agents.rs`, `occupancy.rs`, `ivr.rs`, `cases.rs`. This file holds what
//! they share: the query parameters and the interval they resolve to, the
//! JSON or CSV answer, and which queues and agents a user may see.

mod agents;
mod cases;
mod ivr;
mod occupancy;
mod orders;
mod queues;
mod waits;

use std::collections::HashMap;

use aide::generate::GenContext;
use aide::openapi::Operation;
use aide::OperationOutput;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use hotline_store::{Bucket, ReportQuery, User};
use hotline_types::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::csv::Table;
use crate::error::ConsoleError;
use crate::openapi::media;
use crate::scope::Scope;
use crate::wallboard::{local_day_start, next_quarter, queue_thresholds};
use crate::App;

pub(crate) use agents::agents;
pub(crate) use cases::cases;
pub(crate) use ivr::ivr;
pub(crate) use occupancy::occupancy;
pub(crate) use orders::orders;
pub(crate) use queues::queues;
pub(crate) use waits::waits;

const QUARTER_MS: i64 = 900_000;
const DAY_MS: i64 = 86_400_000;
/// Longest interval a report covers.
pub const MAX_REPORT_DAYS: i64 = 400;
/// Most buckets a report may have (a month in quarter hours).
pub const MAX_BUCKETS: i64 = 3_000;

/// The query string of every report (each reads the parameters it names).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportArgs {
    /// First local day (2026-11-22) or Unix ms (rounded down to a quarter
    /// hour). Default: today.
    from: Option<String>,
    /// Last local day, included, or Unix ms, excluded (rounded up to a
    /// quarter hour). Default: now. At most 400 days.
    to: Option<String>,
    /// 15min, hour, day (default), week or whole (the work-order report:
    /// day, week, month or whole).
    bucket: Option<String>,
    /// The report's grouping (each report names its own).
    group: Option<String>,
    /// Local time minus UTC in minutes, a multiple of 15 (480 for
    /// Asia/Shanghai). Default: the hotline's.
    #[schemars(range(min = -1080, max = 1080))]
    tz: Option<i32>,
    /// json (default) or csv (UTF-8 with a byte-order mark; a download).
    #[schemars(extend("enum" = ["json", "csv"]))]
    format: Option<String>,
    /// Only this queue (queue and wait reports).
    queue: Option<String>,
    /// Only this agent (agent and occupancy reports).
    agent: Option<String>,
    /// With group=after (IVR report): count the node chosen after this one.
    node: Option<String>,
}

/// A report's JSON answer.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ReportAnswer<R> {
    from_ms: i64,
    to_ms: i64,
    tz: i32,
    bucket: String,
    group: String,
    rows: Vec<R>,
}

/// A report as JSON, or as CSV to download (`format=csv`).
#[derive(Debug)]
pub(crate) enum Report<R> {
    Json(ReportAnswer<R>),
    Csv { filename: String, text: String },
}

impl<R: Serialize> IntoResponse for Report<R> {
    fn into_response(self) -> Response {
        match self {
            Report::Json(answer) => Json(answer).into_response(),
            Report::Csv { filename, text } => (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{filename}\""),
                    ),
                ],
                text,
            )
                .into_response(),
        }
    }
}

impl<R: JsonSchema> OperationOutput for Report<R> {
    type Inner = ReportAnswer<R>;

    fn inferred_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<u16>, aide::openapi::Response)> {
        let mut answers =
            <Json<ReportAnswer<R>> as OperationOutput>::inferred_responses(ctx, operation);
        for (_, answer) in &mut answers {
            answer.description =
                "The report; with format=csv the same rows as text/csv, one line per row.".into();
            answer.content.insert(
                "text/csv; charset=utf-8".into(),
                media(schemars::json_schema!({ "type": "string" })),
            );
        }
        answers
    }
}

/// The interval, time zone and bucket a report was made for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
struct Interval {
    from_ms: i64,
    to_ms: i64,
    tz: i32,
    bucket: Bucket,
}

impl Interval {
    fn query(&self, app: &App) -> ReportQuery {
        let mut q = ReportQuery::new(
            Timestamp(self.from_ms),
            Timestamp(self.to_ms),
            self.bucket,
            self.tz,
        );
        q.queue_thresholds = queue_thresholds(&app.stats());
        q
    }
}

enum Bound {
    Ms(i64),
    Date(jiff::civil::Date),
}

fn parse_bound(field: &'static str, text: &str) -> Result<Bound, ConsoleError> {
    let text = text.trim();
    if !text.is_empty() && text.len() <= 15 && text.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(ms) = text.parse() {
            return Ok(Bound::Ms(ms));
        }
    }
    text.parse()
        .map(Bound::Date)
        .map_err(|_| ConsoleError::Invalid {
            field,
            reason: "use a date (2026-11-22) or Unix milliseconds".into(),
        })
}

/// UTC ms of local midnight starting `date`.
fn local_midnight(date: jiff::civil::Date, tz: i32) -> Result<i64, ConsoleError> {
    let utc = date
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map_err(|_| ConsoleError::Invalid {
            field: "from",
            reason: "the date is out of range".into(),
        })?;
    Ok(utc.timestamp().as_millisecond() - i64::from(tz) * 60_000)
}

fn parse_bucket(text: Option<&str>) -> Result<Bucket, ConsoleError> {
    Ok(match text.unwrap_or("day") {
        "15min" | "minutes15" | "quarter" => Bucket::Minutes15,
        "hour" => Bucket::Hour,
        "day" => Bucket::Day,
        "week" => Bucket::Week,
        "whole" => Bucket::Whole,
        other => {
            return Err(ConsoleError::Invalid {
                field: "bucket",
                reason: format!("{other:?} is not 15min, hour, day, week or whole"),
            })
        }
    })
}

fn bucket_ms(bucket: Bucket) -> Option<i64> {
    match bucket {
        Bucket::Minutes15 => Some(QUARTER_MS),
        Bucket::Hour => Some(4 * QUARTER_MS),
        Bucket::Day => Some(DAY_MS),
        Bucket::Week => Some(7 * DAY_MS),
        Bucket::Whole => None,
    }
}

fn resolve(args: &ReportArgs, default_tz: i32, now_ms: i64) -> Result<Interval, ConsoleError> {
    let tz = args.tz.unwrap_or(default_tz);
    if tz % 15 != 0 || tz.abs() > 18 * 60 {
        return Err(ConsoleError::Invalid {
            field: "tz",
            reason: "use minutes east of UTC, a multiple of 15 between -1080 and 1080".into(),
        });
    }
    let from_ms = match args
        .from
        .as_deref()
        .map(|t| parse_bound("from", t))
        .transpose()?
    {
        None => local_day_start(now_ms, tz),
        Some(Bound::Ms(ms)) => ms.div_euclid(QUARTER_MS) * QUARTER_MS,
        Some(Bound::Date(d)) => local_midnight(d, tz)?,
    };
    let to_ms = match args
        .to
        .as_deref()
        .map(|t| parse_bound("to", t))
        .transpose()?
    {
        None => next_quarter(now_ms),
        Some(Bound::Ms(ms)) => (ms + QUARTER_MS - 1).div_euclid(QUARTER_MS) * QUARTER_MS,
        Some(Bound::Date(d)) => local_midnight(d, tz)? + DAY_MS,
    };
    if to_ms <= from_ms {
        return Err(ConsoleError::Invalid {
            field: "to",
            reason: "the end is not after the start".into(),
        });
    }
    if to_ms - from_ms > MAX_REPORT_DAYS * DAY_MS {
        return Err(ConsoleError::Invalid {
            field: "to",
            reason: format!("a report covers at most {MAX_REPORT_DAYS} days"),
        });
    }
    let bucket = parse_bucket(args.bucket.as_deref())?;
    if bucket_ms(bucket).is_some_and(|len| (to_ms - from_ms) / len > MAX_BUCKETS) {
        return Err(ConsoleError::Invalid {
            field: "bucket",
            reason: format!(
                "more than {MAX_BUCKETS} buckets: choose a longer bucket or a shorter interval"
            ),
        });
    }
    Ok(Interval {
        from_ms,
        to_ms,
        tz,
        bucket,
    })
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Json,
    Csv,
}

fn format_of(args: &ReportArgs) -> Result<Format, ConsoleError> {
    match args.format.as_deref().unwrap_or("json") {
        "json" => Ok(Format::Json),
        "csv" => Ok(Format::Csv),
        other => Err(ConsoleError::Invalid {
            field: "format",
            reason: format!("{other:?} is not json or csv"),
        }),
    }
}

/// A local time for the CSV: `2026-11-22 16:00`.
fn local_time(ms: i64, tz: i32) -> String {
    let Ok(ts) = jiff::Timestamp::from_millisecond(ms) else {
        return String::new();
    };
    let Ok(offset) = jiff::tz::Offset::from_seconds(tz * 60) else {
        return String::new();
    };
    ts.to_zoned(jiff::tz::TimeZone::fixed(offset))
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// The answer: `{from_ms, to_ms, tz, bucket, group, rows}` or CSV.
fn answer<R: Serialize>(
    format: Format,
    kind: &str,
    interval: &Interval,
    group: &str,
    rows: Vec<R>,
    csv: impl FnOnce(&[R], i32) -> Table,
) -> Report<R> {
    let bucket = match serde_json::to_value(interval.bucket) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    };
    answer_rows(
        format,
        kind,
        (interval.from_ms, interval.to_ms, interval.tz, bucket),
        group,
        rows,
        csv,
    )
}

/// [`answer`] for any kind of bucket: `(from_ms, to_ms, tz, bucket)`.
fn answer_rows<R: Serialize>(
    format: Format,
    kind: &str,
    (from_ms, to_ms, tz, bucket): (i64, i64, i32, String),
    group: &str,
    rows: Vec<R>,
    csv: impl FnOnce(&[R], i32) -> Table,
) -> Report<R> {
    match format {
        Format::Json => Report::Json(ReportAnswer {
            from_ms,
            to_ms,
            tz,
            bucket,
            group: group.to_owned(),
            rows,
        }),
        Format::Csv => {
            let day = |ms: i64| local_time(ms, tz).get(..10).unwrap_or("").replace('-', "");
            let filename = format!("hotline-{kind}-{}-{}.csv", day(from_ms), day(to_ms - 1));
            Report::Csv {
                filename,
                text: csv(&rows, tz).finish(),
            }
        }
    }
}

/// Every queue the console knows, with its department: the configured
/// ones and those on the newest live board.
pub(crate) fn known_queues(app: &App) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = app
        .config()
        .queues
        .iter()
        .map(|q| (q.name.clone(), q.department.clone()))
        .collect();
    if let Some(board) = app.wallboard.latest() {
        for q in &board.queues {
            if !out.iter().any(|(name, _)| *name == q.queue) {
                out.push((q.queue.clone(), q.department.clone()));
            }
        }
    }
    out
}

pub(crate) fn pairs(known: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> + Clone {
    known.iter().map(|(q, d)| (q.as_str(), d.as_str()))
}

fn department_of<'a>(known: &'a [(String, String)], queue: &str) -> &'a str {
    known
        .iter()
        .find(|(q, _)| q == queue)
        .map_or("", |(_, d)| d.as_str())
}

const NOT_YOURS: ConsoleError = ConsoleError::Forbidden {
    reason: "this is outside the departments you supervise",
};

fn group_or<'a>(args: &'a ReportArgs, default: &'a str) -> &'a str {
    args.group.as_deref().unwrap_or(default)
}

/// Who among the agents `scope` may see: checks `only` (refused when not
/// theirs) and gives the filter for the rows.
async fn agent_filter(
    app: &App,
    scope: &Scope,
    only: Option<&str>,
) -> Result<impl Fn(&str) -> bool, ConsoleError> {
    let users: HashMap<String, User> = match scope {
        Scope::Departments(_) => app
            .store
            .list_users()
            .await?
            .into_iter()
            .map(|u| (u.login.clone(), u))
            .collect(),
        _ => HashMap::new(),
    };
    let known = known_queues(app);
    let scope = scope.clone();
    let sees = move |agent: &str| scope.sees_agent(agent, users.get(agent), pairs(&known));
    if let Some(agent) = only {
        if !sees(agent) {
            return Err(ConsoleError::Forbidden {
                reason: "you may see only your own figures or those of your departments' agents",
            });
        }
    }
    let only = only.map(str::to_owned);
    Ok(move |agent: &str| only.as_deref().is_none_or(|o| o == agent) && sees(agent))
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-11-22T08:00:00Z, 16:00 in Shanghai.
    const T0: i64 = 1_795_334_400_000;

    fn args(from: Option<&str>, to: Option<&str>, bucket: Option<&str>) -> ReportArgs {
        ReportArgs {
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
            bucket: bucket.map(str::to_owned),
            ..ReportArgs::default()
        }
    }

    #[test]
    fn dates_are_local_days_and_the_end_date_is_included() {
        let i = resolve(&args(Some("2026-11-22"), Some("2026-11-22"), None), 480, T0).unwrap();
        assert_eq!(i.from_ms, T0 - 16 * 3_600_000);
        assert_eq!(i.to_ms, i.from_ms + DAY_MS);
        assert_eq!(i.bucket, Bucket::Day);
        let ny = resolve(
            &ReportArgs {
                tz: Some(-300),
                ..args(Some("2026-11-22"), Some("2026-11-23"), Some("hour"))
            },
            480,
            T0,
        )
        .unwrap();
        assert_eq!(ny.from_ms, T0 - 8 * 3_600_000 + 5 * 3_600_000);
        assert_eq!(ny.to_ms - ny.from_ms, 2 * DAY_MS);
    }

    #[test]
    fn milliseconds_widen_to_quarter_hours_and_the_default_is_today_so_far() {
        let i = resolve(
            &args(
                Some(&(T0 + 1).to_string()),
                Some(&(T0 + 1).to_string()),
                None,
            ),
            480,
            T0,
        )
        .unwrap();
        assert_eq!((i.from_ms, i.to_ms), (T0, T0 + QUARTER_MS));
        let today = resolve(&ReportArgs::default(), 480, T0 + 60_000).unwrap();
        assert_eq!(today.from_ms, T0 - 16 * 3_600_000);
        assert_eq!(today.to_ms, T0 + QUARTER_MS);
    }

    #[test]
    fn bad_intervals_name_the_field_at_fault() {
        let field = |a: ReportArgs| match resolve(&a, 480, T0) {
            Err(ConsoleError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(args(Some("yesterday"), None, None)), "from");
        assert_eq!(
            field(args(Some("2026-11-23"), Some("2026-11-22"), None)),
            "to"
        );
        assert_eq!(
            field(args(Some("2025-01-01"), Some("2026-11-22"), None)),
            "to"
        );
        assert_eq!(
            field(args(Some("2026-10-01"), Some("2026-11-22"), Some("15min"))),
            "bucket"
        );
        assert_eq!(field(args(None, None, Some("month"))), "bucket");
        assert_eq!(
            field(ReportArgs {
                tz: Some(7),
                ..ReportArgs::default()
            }),
            "tz"
        );
    }

    #[test]
    fn csv_times_are_local() {
        assert_eq!(local_time(T0, 480), "2026-11-22 16:00");
        assert_eq!(local_time(T0, -300), "2026-11-22 03:00");
    }
}
