//! `GET /api/reports/waits`: how long answered and abandoned callers
//! waited, in bands, over the whole interval.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Extension;
use hotline_store::{Bucket, Thresholds};
use serde::Serialize;

use crate::csv::{Cell, Table};
use crate::error::ConsoleError;
use crate::extract::QueryArgs;
use crate::openapi::{Fails, Forbidden, Invalid};
use crate::scope::Scope;
use crate::session::Authed;
use crate::{wall_clock, App};

use super::queues::queue_rows;
use super::{answer, format_of, group_or, resolve, Report, ReportArgs, DAY_MS};

/// Longest interval of the waiting-time distribution (one query per band
/// edge).
pub const MAX_WAITS_DAYS: i64 = 93;
/// The upper edges of the waiting-time bands, in seconds (the last band
/// is everything longer).
pub const WAIT_BANDS_SECS: [u64; 7] = [5, 10, 20, 30, 60, 120, 300];

/// One waiting-time band: entries answered or abandoned with a wait in it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct WaitBand {
    /// The band's upper edge (inclusive); `None` for the last band.
    pub up_to_secs: Option<u64>,
    pub answered: i64,
    pub abandoned: i64,
}

/// The waiting-time distribution of one queue, department or the total.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
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
) -> Result<Report<WaitRow>, Fails<(Invalid, Forbidden)>> {
    let format = format_of(&args)?;
    let mut interval = resolve(
        &args,
        app.stats().utc_offset_minutes,
        wall_clock().as_millis(),
    )?;
    interval.bucket = Bucket::Whole;
    if interval.to_ms - interval.from_ms > MAX_WAITS_DAYS * DAY_MS {
        return Err(ConsoleError::Invalid {
            field: "to",
            reason: format!("the waiting-time distribution covers at most {MAX_WAITS_DAYS} days"),
        }
        .into());
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
