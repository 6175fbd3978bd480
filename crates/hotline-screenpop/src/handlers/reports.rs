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

use std::collections::{BTreeMap, HashMap};

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use hotline_store::{
    AgentRow, Bucket, CaseRow, IvrGrouping, IvrRow, OccupancyRow, QueueGrouping, QueueRow,
    ReportQuery, SurveyFigures, Thresholds, User, TOTAL_KEY, UNASSIGNED_DEPARTMENT,
};
use hotline_types::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::csv::{Cell, Table};
use crate::error::ConsoleError;
use crate::extract::QueryArgs;
use crate::scope::Scope;
use crate::session::Authed;
use crate::wallboard::{local_day_start, next_quarter, queue_thresholds};
use crate::{wall_clock, App};

const QUARTER_MS: i64 = 900_000;
const DAY_MS: i64 = 86_400_000;
/// Longest interval a report covers.
pub const MAX_REPORT_DAYS: i64 = 400;
/// Most buckets a report may have (a month in quarter hours).
pub const MAX_BUCKETS: i64 = 3_000;
/// Longest interval of the waiting-time distribution (one query per band
/// edge).
pub const MAX_WAITS_DAYS: i64 = 93;
/// The upper edges of the waiting-time bands, in seconds (the last band
/// is everything longer).
pub const WAIT_BANDS_SECS: [u64; 7] = [5, 10, 20, 30, 60, 120, 300];

/// The query string of every report.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportArgs {
    from: Option<String>,
    to: Option<String>,
    bucket: Option<String>,
    group: Option<String>,
    tz: Option<i32>,
    format: Option<String>,
    queue: Option<String>,
    agent: Option<String>,
    node: Option<String>,
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
        q.queue_thresholds = queue_thresholds(&app.stats);
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
) -> Response {
    match format {
        Format::Json => Json(json!({
            "from_ms": interval.from_ms,
            "to_ms": interval.to_ms,
            "tz": interval.tz,
            "bucket": interval.bucket,
            "group": group,
            "rows": rows,
        }))
        .into_response(),
        Format::Csv => {
            let day = |ms: i64| {
                local_time(ms, interval.tz)
                    .get(..10)
                    .unwrap_or("")
                    .replace('-', "")
            };
            let filename = format!(
                "hotline-{kind}-{}-{}.csv",
                day(interval.from_ms),
                day(interval.to_ms - 1)
            );
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{filename}\""),
                    ),
                ],
                csv(&rows, interval.tz).finish(),
            )
                .into_response()
        }
    }
}

/// Every queue the console knows, with its department: the configured
/// ones and those on the newest live board.
fn known_queues(app: &App) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = app
        .config
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

fn pairs(known: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> + Clone {
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

/// The queue report rows `scope` may see, per `group` (queue, department
/// or total), optionally for one queue.
async fn queue_rows(
    app: &App,
    scope: &Scope,
    query: &ReportQuery,
    group: &str,
    only: Option<&str>,
) -> Result<Vec<QueueRow>, ConsoleError> {
    let known = known_queues(app);
    if let Some(q) = only {
        if !scope.sees_queue(q, department_of(&known, q)) {
            return Err(NOT_YOURS);
        }
    }
    let wanted = |q: &str| only.is_none_or(|o| o == q);
    let everything = scope.is_all() && only.is_none();
    let grouping = match group {
        "queue" => QueueGrouping::Queue,
        "department" => QueueGrouping::Department(
            known
                .iter()
                .filter(|(q, d)| wanted(q) && scope.sees_queue(q, d))
                .map(|(q, d)| (q.clone(), d.clone()))
                .collect(),
        ),
        "total" if everything => QueueGrouping::Total,
        "total" => QueueGrouping::Department(
            known
                .iter()
                .filter(|(q, d)| wanted(q) && scope.sees_queue(q, d))
                .map(|(q, _)| (q.clone(), TOTAL_KEY.to_owned()))
                .collect(),
        ),
        other => {
            return Err(ConsoleError::Invalid {
                field: "group",
                reason: format!("{other:?} is not queue, department or total"),
            })
        }
    };
    let rows = app.store.queue_report(query, &grouping).await?;
    Ok(rows
        .into_iter()
        .filter(|r| match group {
            "queue" => wanted(&r.key) && scope.sees_queue(&r.key, department_of(&known, &r.key)),
            // Queues the mapping does not name (filtered out, or unknown
            // to the configuration) add up under "unassigned".
            _ => r.key != UNASSIGNED_DEPARTMENT || everything,
        })
        .collect())
}

fn queue_csv(rows: &[QueueRow], tz: i32) -> Table {
    let mut t = Table::new(&[
        "key",
        "bucket_start",
        "bucket_start_ms",
        "offered",
        "answered",
        "answered_within_threshold",
        "abandoned",
        "abandoned_within_threshold",
        "short_abandoned",
        "overflowed",
        "callback_requests",
        "callbacks_answered",
        "transferred_out",
        "ended_in_queue",
        "still_waiting",
        "ring_no_answers",
        "total_answer_wait_ms",
        "max_queued_ms",
        "handled",
        "talk_ms",
        "hold_ms",
        "wrap_ms",
        "service_level",
        "service_level_strict",
        "asa_ms",
        "aht_ms",
        "abandonment_rate",
        "survey_count",
        "survey_mean",
    ]);
    for r in rows {
        let f = &r.figures;
        t.row([
            Cell::from(r.key.as_str()),
            local_time(r.bucket_start_ms, tz).into(),
            r.bucket_start_ms.into(),
            f.offered.into(),
            f.answered.into(),
            f.answered_within_threshold.into(),
            f.abandoned.into(),
            f.abandoned_within_threshold.into(),
            f.short_abandoned.into(),
            f.overflowed.into(),
            f.callback_requests.into(),
            f.callbacks_answered.into(),
            f.transferred_out.into(),
            f.ended_in_queue.into(),
            f.still_waiting.into(),
            f.ring_no_answers.into(),
            f.total_answer_wait_ms.into(),
            f.max_queued_ms.into(),
            f.handled.into(),
            f.talk_ms.into(),
            f.hold_ms.into(),
            f.wrap_ms.into(),
            f.service_level.into(),
            f.service_level_strict.into(),
            f.asa_ms.into(),
            f.aht_ms.into(),
            f.abandonment_rate.into(),
            f.survey.count.into(),
            f.survey.mean.into(),
        ]);
    }
    t
}

fn group_or<'a>(args: &'a ReportArgs, default: &'a str) -> &'a str {
    args.group.as_deref().unwrap_or(default)
}

/// `GET /api/reports/queues` (supervisors, admins): per queue (default),
/// department or in total, and bucket.
pub(crate) async fn queues(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    QueryArgs(args): QueryArgs<ReportArgs>,
) -> Result<Response, ConsoleError> {
    let format = format_of(&args)?;
    let interval = resolve(
        &args,
        app.stats.utc_offset_minutes,
        wall_clock().as_millis(),
    )?;
    let group = group_or(&args, "queue");
    let scope = Scope::of(&me.user);
    let rows = queue_rows(
        &app,
        &scope,
        &interval.query(&app),
        group,
        args.queue.as_deref(),
    )
    .await?;
    Ok(answer(format, "queues", &interval, group, rows, queue_csv))
}

/// One waiting-time band: entries answered or abandoned with a wait in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct WaitBand {
    /// The band's upper edge (inclusive); `None` for the last band.
    pub up_to_secs: Option<u64>,
    pub answered: i64,
    pub abandoned: i64,
}

/// The waiting-time distribution of one queue, department or the total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct WaitRow {
    pub key: String,
    /// Answered entries (the bands' `answered` add up to it).
    pub answered: i64,
    /// Abandoned entries, short abandons included.
    pub abandoned: i64,
    pub bands: Vec<WaitBand>,
}

/// One key's answered and abandoned entries, and how many of each waited
/// at most each band edge.
#[derive(Debug, Default)]
struct Cumulative {
    answered: i64,
    abandoned: i64,
    within: Vec<(i64, i64)>,
}

/// `GET /api/reports/waits` (supervisors, admins): how long answered and
/// abandoned callers waited, in bands, over the whole interval. Computed
/// from the store's "answered (abandoned) within T" at each band edge.
pub(crate) async fn waits(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    QueryArgs(args): QueryArgs<ReportArgs>,
) -> Result<Response, ConsoleError> {
    let format = format_of(&args)?;
    let mut interval = resolve(
        &args,
        app.stats.utc_offset_minutes,
        wall_clock().as_millis(),
    )?;
    interval.bucket = Bucket::Whole;
    if interval.to_ms - interval.from_ms > MAX_WAITS_DAYS * DAY_MS {
        return Err(ConsoleError::Invalid {
            field: "to",
            reason: format!("the waiting-time distribution covers at most {MAX_WAITS_DAYS} days"),
        });
    }
    let group = group_or(&args, "queue");
    let scope = Scope::of(&me.user);
    let mut by_key: BTreeMap<String, Cumulative> = BTreeMap::new();
    for edge in WAIT_BANDS_SECS {
        let mut query = interval.query(&app);
        query.queue_thresholds.clear();
        query.thresholds = Thresholds {
            service_level_ms: i64::try_from(edge * 1000).unwrap_or(i64::MAX),
            // Every abandon counts here, however short.
            short_abandon_ms: 0,
        };
        for r in queue_rows(&app, &scope, &query, group, args.queue.as_deref()).await? {
            let entry = by_key.entry(r.key).or_default();
            entry.answered = r.figures.answered;
            entry.abandoned = r.figures.abandoned;
            entry.within.push((
                r.figures.answered_within_threshold,
                r.figures.abandoned_within_threshold,
            ));
        }
    }
    let rows: Vec<WaitRow> = by_key
        .into_iter()
        .map(|(key, c)| {
            let Cumulative {
                answered,
                abandoned,
                within,
            } = c;
            let mut bands = Vec::with_capacity(WAIT_BANDS_SECS.len() + 1);
            let mut below = (0, 0);
            for (edge, cumulative) in WAIT_BANDS_SECS.iter().zip(&within) {
                bands.push(WaitBand {
                    up_to_secs: Some(*edge),
                    answered: cumulative.0 - below.0,
                    abandoned: cumulative.1 - below.1,
                });
                below = *cumulative;
            }
            bands.push(WaitBand {
                up_to_secs: None,
                answered: answered - below.0,
                abandoned: abandoned - below.1,
            });
            WaitRow {
                key,
                answered,
                abandoned,
                bands,
            }
        })
        .collect();
    Ok(answer(
        format,
        "waits",
        &interval,
        group,
        rows,
        |rows, _| {
            let mut t = Table::new(&["key", "wait_up_to_secs", "answered", "abandoned"]);
            for r in rows {
                for b in &r.bands {
                    t.row([
                        Cell::from(r.key.as_str()),
                        b.up_to_secs
                            .map_or_else(|| Cell::from("more"), |s| Cell::Int(s as i64)),
                        b.answered.into(),
                        b.abandoned.into(),
                    ]);
                }
            }
            t
        },
    ))
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

/// `GET /api/reports/agents`: per agent and bucket. Agents get their own
/// rows only (`agent=` naming anyone else is refused).
pub(crate) async fn agents(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    QueryArgs(args): QueryArgs<ReportArgs>,
) -> Result<Response, ConsoleError> {
    let format = format_of(&args)?;
    let interval = resolve(
        &args,
        app.stats.utc_offset_minutes,
        wall_clock().as_millis(),
    )?;
    let scope = Scope::of(&me.user);
    let keep = agent_filter(&app, &scope, args.agent.as_deref()).await?;
    let rows: Vec<AgentRow> = app
        .store
        .agent_report(&interval.query(&app))
        .await?
        .into_iter()
        .filter(|r| keep(&r.agent))
        .collect();
    Ok(answer(
        format,
        "agents",
        &interval,
        "agent",
        rows,
        |rows, tz| {
            let mut t = Table::new(&[
                "agent",
                "bucket_start",
                "bucket_start_ms",
                "offers",
                "answered",
                "callbacks_answered",
                "ring_no_answers",
                "transferred_out",
                "handled",
                "talk_ms",
                "hold_ms",
                "wrap_ms",
                "aht_ms",
                "survey_count",
                "survey_mean",
            ]);
            for r in rows {
                let f = &r.figures;
                t.row([
                    Cell::from(r.agent.as_str()),
                    local_time(r.bucket_start_ms, tz).into(),
                    r.bucket_start_ms.into(),
                    f.offers.into(),
                    f.answered.into(),
                    f.callbacks_answered.into(),
                    f.ring_no_answers.into(),
                    f.transferred_out.into(),
                    f.handled.into(),
                    f.talk_ms.into(),
                    f.hold_ms.into(),
                    f.wrap_ms.into(),
                    f.aht_ms.into(),
                    f.survey.count.into(),
                    f.survey.mean.into(),
                ]);
            }
            t
        },
    ))
}

/// `GET /api/reports/occupancy`: per agent and bucket, from the agent
/// state history. Agents get their own rows only.
pub(crate) async fn occupancy(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    QueryArgs(args): QueryArgs<ReportArgs>,
) -> Result<Response, ConsoleError> {
    let format = format_of(&args)?;
    let interval = resolve(
        &args,
        app.stats.utc_offset_minutes,
        wall_clock().as_millis(),
    )?;
    let scope = Scope::of(&me.user);
    let keep = agent_filter(&app, &scope, args.agent.as_deref()).await?;
    let rows: Vec<OccupancyRow> = app
        .store
        .occupancy(&interval.query(&app))
        .await?
        .into_iter()
        .filter(|r| keep(&r.agent))
        .collect();
    Ok(answer(
        format,
        "occupancy",
        &interval,
        "agent",
        rows,
        |rows, tz| {
            let mut t = Table::new(&[
                "agent",
                "bucket_start",
                "bucket_start_ms",
                "on_call_ms",
                "wrap_up_ms",
                "available_ms",
                "offered_ms",
                "break_ms",
                "occupancy",
            ]);
            for r in rows {
                t.row([
                    Cell::from(r.agent.as_str()),
                    local_time(r.bucket_start_ms, tz).into(),
                    r.bucket_start_ms.into(),
                    r.on_call_ms.into(),
                    r.wrap_up_ms.into(),
                    r.available_ms.into(),
                    r.offered_ms.into(),
                    r.break_ms.into(),
                    r.occupancy.into(),
                ]);
            }
            t
        },
    ))
}

/// `GET /api/reports/ivr` (supervisors overseeing the whole centre,
/// admins): incoming calls per IVR path (`group=path`, default), per node
/// chosen after `node` (`group=after&node=main_menu`) or in total.
pub(crate) async fn ivr(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    QueryArgs(args): QueryArgs<ReportArgs>,
) -> Result<Response, ConsoleError> {
    if !Scope::of(&me.user).is_all() {
        return Err(ConsoleError::Forbidden {
            reason: "the IVR report covers the whole centre: it is for supervisors without a department and admins",
        });
    }
    let format = format_of(&args)?;
    let interval = resolve(
        &args,
        app.stats.utc_offset_minutes,
        wall_clock().as_millis(),
    )?;
    let group = group_or(&args, "path");
    let grouping = match (group, args.node.as_deref()) {
        ("path", _) => IvrGrouping::FullPath,
        ("total", _) => IvrGrouping::Total,
        ("after", Some(node)) if !node.trim().is_empty() => {
            IvrGrouping::After(node.trim().to_owned())
        }
        ("after", _) => {
            return Err(ConsoleError::Invalid {
                field: "node",
                reason: "group=after needs the node whose next choice to count".into(),
            })
        }
        (other, _) => {
            return Err(ConsoleError::Invalid {
                field: "group",
                reason: format!("{other:?} is not path, after or total"),
            })
        }
    };
    let rows: Vec<IvrRow> = app
        .store
        .ivr_report(&interval.query(&app), &grouping)
        .await?;
    Ok(answer(format, "ivr", &interval, group, rows, |rows, tz| {
        let mut t = Table::new(&[
            "key",
            "bucket_start",
            "bucket_start_ms",
            "calls",
            "answered",
            "queued",
            "agent_answered",
            "abandoned",
            "in_progress",
            "contained",
            "self_service",
            "voicemail",
            "callback_request",
            "caller_hung_up",
            "other_ended",
            "containment_rate",
        ]);
        for r in rows {
            let f = &r.figures;
            t.row([
                Cell::from(r.key.as_str()),
                local_time(r.bucket_start_ms, tz).into(),
                r.bucket_start_ms.into(),
                f.calls.into(),
                f.answered.into(),
                f.queued.into(),
                f.agent_answered.into(),
                f.abandoned.into(),
                f.in_progress.into(),
                f.contained.into(),
                f.self_service.into(),
                f.voicemail.into(),
                f.callback_request.into(),
                f.caller_hung_up.into(),
                f.other_ended.into(),
                f.containment_rate.into(),
            ]);
        }
        t
    }))
}

/// Case rows added up per department or per category: counts summed, the
/// on-time rate and the satisfaction mean recomputed with the store's
/// definitions (on_time / (on_time + late); mean of the scores).
fn add_up_cases(rows: Vec<CaseRow>, by_department: bool) -> Vec<CaseRow> {
    let mut out: BTreeMap<String, CaseRow> = BTreeMap::new();
    for r in rows {
        let key = if by_department {
            r.department.clone()
        } else {
            r.category.clone()
        };
        let sum = out.entry(key.clone()).or_insert_with(|| CaseRow {
            category: if by_department {
                TOTAL_KEY.to_owned()
            } else {
                key.clone()
            },
            department: if by_department {
                key
            } else {
                TOTAL_KEY.to_owned()
            },
            opened: 0,
            with_deadline: 0,
            on_time: 0,
            late: 0,
            pending: 0,
            on_time_rate: None,
            open_now: 0,
            overdue_now: 0,
            satisfaction: SurveyFigures::default(),
        });
        sum.opened += r.opened;
        sum.with_deadline += r.with_deadline;
        sum.on_time += r.on_time;
        sum.late += r.late;
        sum.pending += r.pending;
        sum.open_now += r.open_now;
        sum.overdue_now += r.overdue_now;
        for (total, n) in sum
            .satisfaction
            .distribution
            .iter_mut()
            .zip(r.satisfaction.distribution)
        {
            *total += n;
        }
    }
    out.into_values()
        .map(|mut r| {
            r.on_time_rate =
                (r.on_time + r.late > 0).then(|| r.on_time as f64 / (r.on_time + r.late) as f64);
            let d = r.satisfaction.distribution;
            let count: i64 = d.iter().sum();
            let points: i64 = d.iter().zip(1..).map(|(n, score)| n * score).sum();
            r.satisfaction.count = count;
            r.satisfaction.mean = (count > 0).then(|| points as f64 / count as f64);
            r
        })
        .collect()
}

/// `GET /api/reports/cases` (supervisors, admins): the public-service
/// report. Cases opened in the interval (on time, late, pending,
/// satisfaction) and open or overdue now, per category and department
/// (`group=category_department`, default), per `department` or per
/// `category`. Department supervisors see their departments' cases.
pub(crate) async fn cases(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    QueryArgs(args): QueryArgs<ReportArgs>,
) -> Result<Response, ConsoleError> {
    let format = format_of(&args)?;
    let now = wall_clock();
    let interval = resolve(&args, app.stats.utc_offset_minutes, now.as_millis())?;
    let group = group_or(&args, "category_department");
    let scope = Scope::of(&me.user);
    let known = known_queues(&app);
    let rows: Vec<CaseRow> = app
        .store
        .case_report(Timestamp(interval.from_ms), Timestamp(interval.to_ms), now)
        .await?
        .into_iter()
        .filter(|r| scope.sees_department(&r.department, pairs(&known)))
        .collect();
    let rows = match group {
        "category_department" => rows,
        "department" => add_up_cases(rows, true),
        "category" => add_up_cases(rows, false),
        other => {
            return Err(ConsoleError::Invalid {
                field: "group",
                reason: format!("{other:?} is not category_department, department or category"),
            })
        }
    };
    Ok(answer(
        format,
        "cases",
        &interval,
        group,
        rows,
        |rows, _| {
            let mut t = Table::new(&[
                "category",
                "department",
                "opened",
                "with_deadline",
                "on_time",
                "late",
                "pending",
                "on_time_rate",
                "open_now",
                "overdue_now",
                "satisfaction_count",
                "satisfaction_mean",
                "satisfaction_1",
                "satisfaction_2",
                "satisfaction_3",
                "satisfaction_4",
                "satisfaction_5",
            ]);
            for r in rows {
                let d = r.satisfaction.distribution;
                t.row([
                    Cell::from(r.category.as_str()),
                    Cell::from(r.department.as_str()),
                    r.opened.into(),
                    r.with_deadline.into(),
                    r.on_time.into(),
                    r.late.into(),
                    r.pending.into(),
                    r.on_time_rate.into(),
                    r.open_now.into(),
                    r.overdue_now.into(),
                    r.satisfaction.count.into(),
                    r.satisfaction.mean.into(),
                    d[0].into(),
                    d[1].into(),
                    d[2].into(),
                    d[3].into(),
                    d[4].into(),
                ]);
            }
            t
        },
    ))
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
