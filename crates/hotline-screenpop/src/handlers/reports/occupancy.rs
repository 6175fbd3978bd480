//! `GET /api/reports/occupancy`: agent occupancy by bucket, from the agent
//! state history.

use axum::extract::State;
use axum::Extension;
use hotline_store::OccupancyRow;

use crate::csv::{Cell, Table};
use crate::extract::QueryArgs;
use crate::openapi::{Fails, Forbidden, Invalid};
use crate::scope::Scope;
use crate::session::Authed;
use crate::{wall_clock, App};

use super::{agent_filter, answer, format_of, local_time, resolve, Report, ReportArgs};

/// `GET /api/reports/occupancy`: per agent and bucket, from the agent
/// state history. Agents get their own rows only.
pub(crate) async fn occupancy(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    QueryArgs(args): QueryArgs<ReportArgs>,
) -> Result<Report<OccupancyRow>, Fails<(Invalid, Forbidden)>> {
    let format = format_of(&args)?;
    let interval = resolve(
        &args,
        app.stats().utc_offset_minutes,
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
