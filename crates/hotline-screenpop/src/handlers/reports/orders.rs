//! `GET /api/reports/orders`: the official work-order figures (the store's
//! [`hotline_store::Store::order_report`], defined in docs/statistics.md):
//! per department (default), category, district or street, by local day
//! (default), week, month or the whole interval. `from` and `to` are local
//! dates (`to` inclusive; default today). Figures are kept in one local
//! offset (the store's); `tz`, when given, must be it.
//!
//! Access: admins and supervisors without a department see everything; a
//! department's supervisor sees their departments' rows of the department
//! grouping only (the other groupings mix every department).

use axum::extract::State;
use axum::Extension;
use hotline_store::{OrderBucket, OrderGrouping, OrderReportQuery, OrderReportRow};
use hotline_types::Timestamp;

use super::{
    answer_rows, format_of, local_midnight, parse_bound, Bound, Report, ReportArgs, DAY_MS,
};
use crate::csv::{Cell, Table};
use crate::error::ConsoleError;
use crate::extract::QueryArgs;
use crate::openapi::{Fails, Forbidden, Invalid};
use crate::scope::Scope;
use crate::session::Authed;
use crate::wallboard::local_day_start;
use crate::{wall_clock, App};

/// The local midnight a date bound names (a report of orders counts days).
fn day_bound(field: &'static str, text: &str, tz: i32) -> Result<i64, ConsoleError> {
    match parse_bound(field, text)? {
        Bound::Date(d) => local_midnight(d, tz),
        Bound::Ms(_) => Err(ConsoleError::Invalid {
            field,
            reason: "the work-order report counts whole days: give a date (2026-11-22)".into(),
        }),
    }
}

pub(crate) async fn orders(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    QueryArgs(args): QueryArgs<ReportArgs>,
) -> Result<Report<OrderReportRow>, Fails<(Invalid, Forbidden)>> {
    let format = format_of(&args)?;
    let now = wall_clock();
    let kept = app.store.order_report_offset().await?;
    let tz = args.tz.unwrap_or(kept);
    let from_ms = match args.from.as_deref() {
        Some(text) => day_bound("from", text, tz)?,
        None => local_day_start(now.as_millis(), tz),
    };
    let to_ms = match args.to.as_deref() {
        Some(text) => day_bound("to", text, tz)? + DAY_MS,
        None => from_ms.max(local_day_start(now.as_millis(), tz)) + DAY_MS,
    };
    let bucket: OrderBucket = args.bucket.as_deref().unwrap_or("day").parse()?;
    let group = args.group.as_deref().unwrap_or("department");
    let grouping: OrderGrouping = group.parse()?;
    let scope = Scope::of(&me.user);
    if !scope.is_all() && grouping != OrderGrouping::Department {
        return Err(ConsoleError::Forbidden {
            reason: "a department's supervisor reads the department grouping only",
        }
        .into());
    }
    let rows: Vec<OrderReportRow> = app
        .store
        .order_report(&OrderReportQuery {
            from: Timestamp(from_ms),
            to: Timestamp(to_ms),
            bucket,
            utc_offset_minutes: tz,
            grouping,
            only: None,
            now,
        })
        .await?
        .into_iter()
        .filter(|r| scope.sees_department(&r.key, std::iter::empty()))
        .collect();
    Ok(answer_rows(
        format,
        "orders",
        (from_ms, to_ms, tz, bucket.name().to_owned()),
        group,
        rows,
        |rows, tz| {
            let mut t = Table::new(&[
                "key",
                "bucket_start",
                "accepted",
                "resolved_on_call",
                "dispatched",
                "redispatched",
                "returned",
                "return_rate",
                "extensions_requested",
                "extensions_approved",
                "extensions_refused",
                "closed",
                "closed_on_time",
                "closed_late",
                "on_time_rate",
                "became_overdue",
                "overdue_at_end",
                "reopened",
                "reopen_rate",
                "follow_ups_due",
                "followed_up",
                "follow_up_rate",
                "scored",
                "satisfied",
                "satisfaction_rate",
                "mean_score",
                "merged",
                "close_hours_mean",
                "close_hours_median",
                "close_hours_p90",
            ]);
            for r in rows {
                let f = &r.figures;
                t.row([
                    Cell::from(r.key.as_str()),
                    Cell::from(super::local_time(r.bucket_start_ms, tz)),
                    f.accepted.into(),
                    f.resolved_on_call.into(),
                    f.dispatched.into(),
                    f.redispatched.into(),
                    f.returned.into(),
                    f.return_rate.into(),
                    f.extensions_requested.into(),
                    f.extensions_approved.into(),
                    f.extensions_refused.into(),
                    f.closed.into(),
                    f.closed_on_time.into(),
                    f.closed_late.into(),
                    f.on_time_rate.into(),
                    f.became_overdue.into(),
                    f.overdue_at_end.into(),
                    f.reopened.into(),
                    f.reopen_rate.into(),
                    f.follow_ups_due.into(),
                    f.followed_up.into(),
                    f.follow_up_rate.into(),
                    f.scored.into(),
                    f.satisfied.into(),
                    f.satisfaction_rate.into(),
                    f.mean_score.into(),
                    f.merged.into(),
                    f.time_to_close.mean_hours.into(),
                    f.time_to_close.median_hours.into(),
                    f.time_to_close.p90_hours.into(),
                ]);
            }
            t
        },
    ))
}
