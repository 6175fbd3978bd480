//! `GET /api/reports/agents`: the agent figures (offers, answers,
//! ring-no-answers, transfers, handle times, surveys) by bucket.

use axum::extract::State;
use axum::Extension;
use hotline_store::AgentRow;

use crate::csv::{Cell, Table};
use crate::extract::QueryArgs;
use crate::openapi::{Fails, Forbidden, Invalid};
use crate::scope::Scope;
use crate::session::Authed;
use crate::{wall_clock, App};

use super::{agent_filter, answer, format_of, local_time, resolve, Report, ReportArgs};

/// `GET /api/reports/agents`: per agent and bucket. Agents get their own
/// rows only (`agent=` naming anyone else is refused).
pub(crate) async fn agents(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    QueryArgs(args): QueryArgs<ReportArgs>,
) -> Result<Report<AgentRow>, Fails<(Invalid, Forbidden)>> {
    let format = format_of(&args)?;
    let interval = resolve(
        &args,
        app.stats().utc_offset_minutes,
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
