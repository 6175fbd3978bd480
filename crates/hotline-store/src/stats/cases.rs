//! Case figures for the public-service report: on-time rates of the cases
//! opened in an interval, and open and overdue cases now, by category and
//! department (the case's own department, from the `cases` table).

use std::collections::BTreeMap;

use hotline_types::Timestamp;

use crate::db::with_pool;
use crate::error::{Result, StoreError};
use crate::stats::{CaseRow, SurveyFigures};
use crate::Store;

/// A case is done when resolved or closed; the time it was done is its
/// resolution (or its closing, if it was closed without one).
const DONE: &str = "status IN ('resolved', 'closed')";
const DONE_AT: &str = "COALESCE(resolved_at_ms, closed_at_ms)";

#[derive(sqlx::FromRow)]
struct OpenedRow {
    category: String,
    department: String,
    opened: i64,
    with_deadline: i64,
    on_time: i64,
    late: i64,
    pending: i64,
    s1: i64,
    s2: i64,
    s3: i64,
    s4: i64,
    s5: i64,
}

#[derive(sqlx::FromRow)]
struct OpenNowRow {
    category: String,
    department: String,
    open_now: i64,
    overdue_now: i64,
}

fn sum(condition: &str) -> String {
    format!("CAST(COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0) AS BIGINT)")
}

impl Store {
    /// Per category and department: of the cases opened in `[from, to)`,
    /// how many had a deadline and were done on time, late, or are still
    /// pending at `now`; and, whenever opened, how many are open now and
    /// overdue now ([`CaseRow`]). Duplicates merged into another case are
    /// left out. Sorted by category, then department.
    pub async fn case_report(
        &self,
        from: Timestamp,
        to: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<CaseRow>> {
        if to <= from {
            return Err(StoreError::InvalidValue {
                field: "interval",
                reason: "its end is not after its start".into(),
            });
        }
        let opened_sql = format!(
            "SELECT category, department, count(*) AS opened, {with_deadline} AS with_deadline, \
             {on_time} AS on_time, {late} AS late, {pending} AS pending, \
             {s1} AS s1, {s2} AS s2, {s3} AS s3, {s4} AS s4, {s5} AS s5 \
             FROM cases WHERE opened_at_ms >= $1 AND opened_at_ms < $2 AND merged_into IS NULL \
             GROUP BY category, department",
            with_deadline = sum("deadline_at_ms IS NOT NULL"),
            on_time = sum(&format!(
                "deadline_at_ms IS NOT NULL AND {DONE} AND {DONE_AT} <= deadline_at_ms"
            )),
            late = sum(&format!(
                "deadline_at_ms IS NOT NULL AND (({DONE} AND {DONE_AT} > deadline_at_ms) \
                 OR (NOT {DONE} AND deadline_at_ms < $3))"
            )),
            pending = sum(&format!(
                "deadline_at_ms IS NOT NULL AND NOT {DONE} AND deadline_at_ms >= $3"
            )),
            s1 = sum("satisfaction = 1"),
            s2 = sum("satisfaction = 2"),
            s3 = sum("satisfaction = 3"),
            s4 = sum("satisfaction = 4"),
            s5 = sum("satisfaction = 5"),
        );
        let open_sql = format!(
            "SELECT category, department, count(*) AS open_now, {overdue} AS overdue_now \
             FROM cases WHERE status IN ('accepted', 'dispatched', 'in_progress', 'reopened') \
             AND merged_into IS NULL GROUP BY category, department",
            overdue = sum("deadline_at_ms < $1"),
        );
        let (opened, open_now): (Vec<OpenedRow>, Vec<OpenNowRow>) = with_pool!(self, |pool| {
            let opened = sqlx::query_as(&opened_sql)
                .bind(from.as_millis())
                .bind(to.as_millis())
                .bind(now.as_millis())
                .fetch_all(pool)
                .await?;
            let open_now = sqlx::query_as(&open_sql)
                .bind(now.as_millis())
                .fetch_all(pool)
                .await?;
            (opened, open_now)
        });
        let empty = |category: &str, department: &str| CaseRow {
            category: category.to_owned(),
            department: department.to_owned(),
            opened: 0,
            with_deadline: 0,
            on_time: 0,
            late: 0,
            pending: 0,
            on_time_rate: None,
            open_now: 0,
            overdue_now: 0,
            satisfaction: SurveyFigures::default(),
        };
        let mut rows: BTreeMap<(String, String), CaseRow> = BTreeMap::new();
        for r in opened {
            let row = rows
                .entry((r.category.clone(), r.department.clone()))
                .or_insert_with(|| empty(&r.category, &r.department));
            row.opened = r.opened;
            row.with_deadline = r.with_deadline;
            row.on_time = r.on_time;
            row.late = r.late;
            row.pending = r.pending;
            row.on_time_rate =
                (r.on_time + r.late > 0).then(|| r.on_time as f64 / (r.on_time + r.late) as f64);
            let distribution = [r.s1, r.s2, r.s3, r.s4, r.s5];
            let count: i64 = distribution.iter().sum();
            let total: i64 = distribution
                .iter()
                .enumerate()
                .map(|(i, n)| (i as i64 + 1) * n)
                .sum();
            row.satisfaction = SurveyFigures {
                count,
                mean: (count > 0).then(|| total as f64 / count as f64),
                distribution,
            };
        }
        for r in open_now {
            let row = rows
                .entry((r.category.clone(), r.department.clone()))
                .or_insert_with(|| empty(&r.category, &r.department));
            row.open_now = r.open_now;
            row.overdue_now = r.overdue_now;
        }
        Ok(rows.into_values().collect())
    }
}
