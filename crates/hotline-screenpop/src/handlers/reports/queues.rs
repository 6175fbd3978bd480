//! `GET /api/reports/queues`: the queue figures per queue, department or
//! in total, by bucket. The waiting-time distribution (`waits.rs`) builds
//! on the same rows.

use axum::extract::State;
use axum::Extension;
use hotline_store::{QueueGrouping, QueueRow, ReportQuery, TOTAL_KEY, UNASSIGNED_DEPARTMENT};

use crate::csv::{Cell, Table};
use crate::error::ConsoleError;
use crate::extract::QueryArgs;
use crate::openapi::{Fails, Forbidden, Invalid};
use crate::scope::Scope;
use crate::session::Authed;
use crate::{wall_clock, App};

use super::{
    answer, department_of, format_of, group_or, known_queues, local_time, resolve, Report,
    ReportArgs, NOT_YOURS,
};

/// `GET /api/reports/queues` (supervisors, admins): per queue (default),
/// department or in total, and bucket.
pub(crate) async fn queues(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    QueryArgs(args): QueryArgs<ReportArgs>,
) -> Result<Report<QueueRow>, Fails<(Invalid, Forbidden)>> {
    let format = format_of(&args)?;
    let interval = resolve(
        &args,
        app.stats().utc_offset_minutes,
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

/// The queue report rows `scope` may see, per `group` (queue, department
/// or total), optionally for one queue.
pub(super) async fn queue_rows(
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
