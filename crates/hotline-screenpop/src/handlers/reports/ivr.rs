//! `GET /api/reports/ivr`: incoming calls per IVR path, with containment.

use axum::extract::State;
use axum::Extension;
use hotline_store::{IvrGrouping, IvrRow};

use crate::csv::{Cell, Table};
use crate::error::ConsoleError;
use crate::extract::QueryArgs;
use crate::openapi::{Fails, Forbidden, Invalid};
use crate::scope::Scope;
use crate::session::Authed;
use crate::{wall_clock, App};

use super::{answer, format_of, group_or, local_time, resolve, Report, ReportArgs};

/// `GET /api/reports/ivr` (supervisors overseeing the whole centre,
/// admins): incoming calls per IVR path (`group=path`, default), per node
/// chosen after `node` (`group=after&node=main_menu`) or in total.
pub(crate) async fn ivr(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    QueryArgs(args): QueryArgs<ReportArgs>,
) -> Result<Report<IvrRow>, Fails<(Invalid, Forbidden)>> {
    if !Scope::of(&me.user).is_all() {
        return Err(ConsoleError::Forbidden {
            reason: "the IVR report covers the whole centre: it is for supervisors without a department and admins",
        }
.into());
    }
    let format = format_of(&args)?;
    let interval = resolve(
        &args,
        app.stats().utc_offset_minutes,
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
            }
            .into())
        }
        (other, _) => {
            return Err(ConsoleError::Invalid {
                field: "group",
                reason: format!("{other:?} is not path, after or total"),
            }
            .into())
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
