//! `GET /api/reports/cases`: the public-service report, cases by category
//! and department.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Extension;
use hotline_store::{CaseRow, SurveyFigures, TOTAL_KEY};
use hotline_types::Timestamp;

use crate::csv::{Cell, Table};
use crate::error::ConsoleError;
use crate::extract::QueryArgs;
use crate::openapi::{Fails, Forbidden, Invalid};
use crate::scope::Scope;
use crate::session::Authed;
use crate::{wall_clock, App};

use super::{answer, format_of, group_or, known_queues, pairs, resolve, Report, ReportArgs};

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
) -> Result<Report<CaseRow>, Fails<(Invalid, Forbidden)>> {
    let format = format_of(&args)?;
    let now = wall_clock();
    let interval = resolve(&args, app.stats().utc_offset_minutes, now.as_millis())?;
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
            }
            .into())
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
