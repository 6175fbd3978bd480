//! Cases: what a citizen asked for, with a reference number they can read
//! out on the phone, a status lifecycle, deadlines per category, notes,
//! satisfaction and merging of duplicates.
//!
//! Reference numbers come from a per-day sequence row, incremented with one
//! atomic upsert, so concurrent agents on any number of nodes never get the
//! same number (PostgreSQL row lock; SQLite's single writer). Work orders
//! (`orders.rs`) take theirs from the same sequence.
//!
//! This module's API changes cases without an event log only: a work
//! order's row is the projection of its log, and the changes here refuse
//! it ([`StoreError::WorkOrderCase`]); reads (`case_status`, `case_detail`,
//! the screen-pop) show both kinds.

use std::fmt;
use std::time::Duration;

use hotline_types::{CallId, CaseRef, CitizenId, Timestamp};
use serde::Serialize;

use crate::audit::{insert_audit, AuditContext};
use crate::citizens::{check_free_text, check_name};
use crate::db::{with_pool, BeginWrite};
use crate::error::{Result, StoreError};
use crate::Store;

/// Where a case is in its life.
///
/// Allowed moves: accepted → dispatched → in_progress → resolved → closed;
/// accepted → resolved (settled during the call); resolved or closed →
/// reopened; reopened → dispatched, in_progress or resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Accepted,
    Dispatched,
    InProgress,
    Resolved,
    Closed,
    Reopened,
}

impl CaseStatus {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Accepted => "accepted",
            CaseStatus::Dispatched => "dispatched",
            CaseStatus::InProgress => "in_progress",
            CaseStatus::Resolved => "resolved",
            CaseStatus::Closed => "closed",
            CaseStatus::Reopened => "reopened",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "accepted" => CaseStatus::Accepted,
            "dispatched" => CaseStatus::Dispatched,
            "in_progress" => CaseStatus::InProgress,
            "resolved" => CaseStatus::Resolved,
            "closed" => CaseStatus::Closed,
            "reopened" => CaseStatus::Reopened,
            _ => return None,
        })
    }

    /// Whether the lifecycle allows going from `self` to `next`.
    pub fn can_become(self, next: CaseStatus) -> bool {
        use CaseStatus::*;
        matches!(
            (self, next),
            (Accepted, Dispatched)
                | (Accepted, Resolved)
                | (Dispatched, InProgress)
                | (InProgress, Resolved)
                | (Resolved, Closed)
                | (Resolved, Reopened)
                | (Closed, Reopened)
                | (Reopened, Dispatched)
                | (Reopened, InProgress)
                | (Reopened, Resolved)
        )
    }

    /// Still needs work (shown in the screen-pop).
    pub fn is_open(self) -> bool {
        !matches!(self, CaseStatus::Resolved | CaseStatus::Closed)
    }
}

impl fmt::Display for CaseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A case to open.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub citizen: Option<CitizenId>,
    /// The call during which it was opened.
    pub call: Option<CallId>,
    pub category: String,
    pub department: String,
    pub summary: String,
}

/// A case as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CaseSummary {
    pub case_ref: CaseRef,
    pub citizen: Option<CitizenId>,
    pub category: String,
    pub department: String,
    pub status: CaseStatus,
    pub summary: String,
    pub opened_at_ms: i64,
    pub deadline_at_ms: Option<i64>,
    pub updated_at_ms: i64,
    pub satisfaction: Option<i64>,
    /// Set when this case was merged into another (a duplicate).
    pub merged_into: Option<String>,
}

/// What the IVR may say about a case: no personal data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseStatusInfo {
    pub case_ref: CaseRef,
    pub status: CaseStatus,
    pub category: String,
    pub department: String,
    pub opened_at_ms: i64,
    pub deadline_at_ms: Option<i64>,
    pub updated_at_ms: i64,
    pub merged_into: Option<String>,
    /// The department's latest reply to the citizen (答复), if it has
    /// replied since the order was last (re)opened; for a merged
    /// duplicate, its master's. Public like the rest (Open311 shows it as
    /// `status_notes`).
    pub reply: Option<String>,
}

/// A note on a case.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, schemars::JsonSchema)]
pub struct CaseNote {
    pub author: String,
    pub at_ms: i64,
    pub body: String,
}

/// A case with its notes.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CaseDetail {
    pub case: CaseSummary,
    pub call_id: Option<String>,
    pub notes: Vec<CaseNote>,
}

pub(crate) const CASE_SUMMARY_COLUMNS: &str =
    "case_ref, citizen_id, category, department, status, summary, \
     opened_at_ms, deadline_at_ms, updated_at_ms, satisfaction, merged_into, event_count";

#[derive(sqlx::FromRow)]
pub(crate) struct CaseRow {
    case_ref: String,
    citizen_id: Option<i64>,
    category: String,
    department: String,
    status: String,
    summary: String,
    opened_at_ms: i64,
    deadline_at_ms: Option<i64>,
    updated_at_ms: i64,
    satisfaction: Option<i64>,
    merged_into: Option<String>,
    /// Events in its work-order log; 0 for a case of this module's API.
    pub(crate) event_count: i64,
}

impl TryFrom<CaseRow> for CaseSummary {
    type Error = StoreError;
    fn try_from(r: CaseRow) -> Result<Self> {
        Ok(CaseSummary {
            case_ref: CaseRef::parse(&r.case_ref).map_err(|e| StoreError::CorruptData {
                what: "case reference",
                detail: e.to_string(),
            })?,
            citizen: r.citizen_id.map(CitizenId),
            category: r.category,
            department: r.department,
            status: CaseStatus::parse(&r.status).ok_or_else(|| StoreError::CorruptData {
                what: "case status",
                detail: r.status.clone(),
            })?,
            summary: r.summary,
            opened_at_ms: r.opened_at_ms,
            deadline_at_ms: r.deadline_at_ms,
            updated_at_ms: r.updated_at_ms,
            satisfaction: r.satisfaction,
            merged_into: r.merged_into,
        })
    }
}

/// The UTC calendar date of a unix-millisecond time (Howard Hinnant's
/// days-to-civil algorithm).
pub(crate) fn utc_date(at: Timestamp) -> (i32, u32, u32) {
    let days = at.as_millis().div_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (year, month, day)
}

/// Allocates the next reference of the UTC day of `$at` inside the
/// caller's write transaction (`$exec`): one atomic upsert of the day's
/// sequence row, so no two writers on any node get the same number, and a
/// rolled-back transaction gives its number back.
macro_rules! next_case_ref {
    ($exec:expr, $at:expr) => {{
        let at: hotline_types::Timestamp = $at;
        let (year, month, day) = $crate::cases::utc_date(at);
        let day_key = format!("{:02}{month:02}{day:02}", year.rem_euclid(100));
        match sqlx::query_scalar::<_, i64>(
            "INSERT INTO case_sequences (day, last_seq) VALUES ($1, 1) \
             ON CONFLICT (day) DO UPDATE SET last_seq = case_sequences.last_seq + 1 \
             RETURNING last_seq",
        )
        .bind(&day_key)
        .fetch_one($exec)
        .await
        {
            Ok(seq) => {
                let seq = u32::try_from(seq).unwrap_or(u32::MAX);
                hotline_types::CaseRef::new(year, month, day, seq).map_err(|e| {
                    $crate::error::StoreError::InvalidValue {
                        field: "case reference",
                        reason: format!("{e}: more cases than references today"),
                    }
                })
            }
            Err(e) => Err($crate::error::StoreError::from(e)),
        }
    }};
}
pub(crate) use next_case_ref;

impl Store {
    /// Sets how long cases of a category may take before they are late.
    pub async fn set_category_deadline(&self, category: &str, deadline: Duration) -> Result<()> {
        check_name("category", category, 64)?;
        let ms = i64::try_from(deadline.as_millis()).map_err(|_| StoreError::InvalidValue {
            field: "deadline",
            reason: "it is too long".into(),
        })?;
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO category_deadlines (category, deadline_ms) VALUES ($1, $2) \
                 ON CONFLICT (category) DO UPDATE SET deadline_ms = excluded.deadline_ms",
            )
            .bind(category)
            .bind(ms)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Opens a case with a fresh reference number for the day of `ctx.at`
    /// (UTC), with the category's deadline if one is set.
    pub async fn create_case(&self, ctx: &AuditContext, new: &NewCase) -> Result<CaseSummary> {
        ctx.check()?;
        check_name("category", &new.category, 64)?;
        check_name("department", &new.department, 64)?;
        check_free_text("summary", &new.summary, 4000)?;
        let at = ctx.at.as_millis();
        let row = with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let case_ref = next_case_ref!(&mut *tx, ctx.at)?;
            let deadline_ms: Option<i64> = sqlx::query_scalar(
                "SELECT deadline_ms FROM category_deadlines WHERE category = $1",
            )
            .bind(&new.category)
            .fetch_optional(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO cases (case_ref, citizen_id, call_id, category, department, status, summary, \
                 opened_at_ms, deadline_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8)",
            )
            .bind(case_ref.digits())
            .bind(new.citizen.map(|c| c.0))
            .bind(new.call.map(|c| c.to_string()))
            .bind(new.category.trim())
            .bind(new.department.trim())
            .bind(CaseStatus::Accepted.as_str())
            .bind(new.summary.as_str())
            .bind(at)
            .bind(deadline_ms.map(|d| at.saturating_add(d)))
            .execute(&mut *tx)
            .await?;
            insert_audit!(
                &mut *tx,
                ctx,
                "create_case",
                new.citizen.map(|c| c.0),
                Some(case_ref.digits().to_owned())
            )?;
            let sql = format!("SELECT {CASE_SUMMARY_COLUMNS} FROM cases WHERE case_ref = $1");
            let row = sqlx::query_as::<_, CaseRow>(&sql)
                .bind(case_ref.digits())
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            row
        });
        CaseSummary::try_from(row)
    }

    async fn case_row(&self, case_ref: &CaseRef) -> Result<Option<CaseRow>> {
        let sql = format!("SELECT {CASE_SUMMARY_COLUMNS} FROM cases WHERE case_ref = $1");
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, CaseRow>(&sql)
                .bind(case_ref.digits())
                .fetch_optional(pool)
                .await?)
        })
    }

    /// What the IVR tells a caller who keys in a reference: status,
    /// category, department, dates and the department's reply. Holds no
    /// personal data, so it is not audited.
    pub async fn case_status(&self, case_ref: &CaseRef) -> Result<Option<CaseStatusInfo>> {
        let Some(row) = self.case_row(case_ref).await? else {
            return Ok(None);
        };
        let c = CaseSummary::try_from(row)?;
        let replied_on = match c.merged_into.as_deref().map(CaseRef::parse) {
            Some(Ok(master)) => master,
            Some(Err(_)) | None => case_ref.clone(),
        };
        let reply = match self.load_order(&replied_on).await {
            Ok(loaded) => loaded.and_then(|l| l.order.reply().map(str::to_owned)),
            // A case from before work orders has no log, and no reply.
            Err(StoreError::LegacyCase { .. }) => None,
            Err(e) => return Err(e),
        };
        Ok(Some(CaseStatusInfo {
            case_ref: c.case_ref,
            status: c.status,
            category: c.category,
            department: c.department,
            opened_at_ms: c.opened_at_ms,
            deadline_at_ms: c.deadline_at_ms,
            updated_at_ms: c.updated_at_ms,
            merged_into: c.merged_into,
            reply,
        }))
    }

    /// A case with its notes (audited: notes may hold personal data).
    pub async fn case_detail(
        &self,
        ctx: &AuditContext,
        case_ref: &CaseRef,
    ) -> Result<Option<CaseDetail>> {
        ctx.check()?;
        let Some(row) = self.case_row(case_ref).await? else {
            return Ok(None);
        };
        let case = CaseSummary::try_from(row)?;
        with_pool!(self, |pool| {
            insert_audit!(
                pool,
                ctx,
                "view_case",
                case.citizen.map(|c| c.0),
                Some(case_ref.digits().to_owned())
            )?;
            let call_id: Option<String> =
                sqlx::query_scalar("SELECT call_id FROM cases WHERE case_ref = $1")
                    .bind(case_ref.digits())
                    .fetch_one(pool)
                    .await?;
            let notes = sqlx::query_as::<_, CaseNote>(
                "SELECT n.author, n.at_ms, n.body FROM case_notes n JOIN cases c ON c.case_id = n.case_id \
                 WHERE c.case_ref = $1 ORDER BY n.at_ms, n.note_id",
            )
            .bind(case_ref.digits())
            .fetch_all(pool)
            .await?;
            Ok(Some(CaseDetail {
                case,
                call_id,
                notes,
            }))
        })
    }

    /// Moves a case to a new status if the lifecycle allows it. A
    /// compare-and-set on the old status makes concurrent changes safe.
    pub async fn transition_case(
        &self,
        ctx: &AuditContext,
        case_ref: &CaseRef,
        next: CaseStatus,
    ) -> Result<CaseSummary> {
        ctx.check()?;
        let row = self
            .case_row(case_ref)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "case",
                key: case_ref.to_string(),
            })?;
        if row.event_count > 0 {
            return Err(StoreError::WorkOrderCase {
                case_ref: case_ref.clone(),
            });
        }
        let current = CaseSummary::try_from(row)?;
        if current.merged_into.is_some() || !current.status.can_become(next) {
            return Err(StoreError::InvalidTransition {
                case_ref: case_ref.to_string(),
                from: current.status.as_str(),
                to: next.as_str(),
            });
        }
        let at = ctx.at.as_millis();
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let changed = sqlx::query(
                "UPDATE cases SET status = $1, updated_at_ms = $2, \
                 resolved_at_ms = CASE WHEN $1 = 'resolved' THEN $2 ELSE resolved_at_ms END, \
                 closed_at_ms = CASE WHEN $1 = 'closed' THEN $2 ELSE closed_at_ms END \
                 WHERE case_ref = $3 AND status = $4 AND event_count = 0",
            )
            .bind(next.as_str())
            .bind(at)
            .bind(case_ref.digits())
            .bind(current.status.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Err(StoreError::Concurrent { what: "the case" });
            }
            insert_audit!(
                &mut *tx,
                ctx,
                "case_status",
                current.citizen.map(|c| c.0),
                Some(case_ref.digits().to_owned())
            )?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        Ok(CaseSummary {
            status: next,
            updated_at_ms: at,
            ..current
        })
    }

    /// Adds a note by `ctx.actor`.
    pub async fn add_case_note(
        &self,
        ctx: &AuditContext,
        case_ref: &CaseRef,
        body: &str,
    ) -> Result<()> {
        ctx.check()?;
        check_name("note", body, 8000)?;
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let found: Option<(i64, Option<i64>, i64)> = sqlx::query_as(
                "SELECT case_id, citizen_id, event_count FROM cases WHERE case_ref = $1",
            )
            .bind(case_ref.digits())
            .fetch_optional(&mut *tx)
            .await?;
            let Some((case_id, citizen, events)) = found else {
                return Err(StoreError::NotFound {
                    what: "case",
                    key: case_ref.to_string(),
                });
            };
            if events > 0 {
                // A work order's notes are events of its log.
                return Err(StoreError::WorkOrderCase {
                    case_ref: case_ref.clone(),
                });
            }
            sqlx::query(
                "INSERT INTO case_notes (case_id, author, at_ms, body) VALUES ($1, $2, $3, $4)",
            )
            .bind(case_id)
            .bind(ctx.actor.as_str())
            .bind(ctx.at.as_millis())
            .bind(body)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE cases SET updated_at_ms = $1 WHERE case_id = $2")
                .bind(ctx.at.as_millis())
                .bind(case_id)
                .execute(&mut *tx)
                .await?;
            insert_audit!(
                &mut *tx,
                ctx,
                "case_note",
                citizen,
                Some(case_ref.digits().to_owned())
            )?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Stores the survey score (1 worst to 5 best) of a case.
    pub async fn set_case_satisfaction(&self, case_ref: &CaseRef, score: u8) -> Result<()> {
        if !(1..=5).contains(&score) {
            return Err(StoreError::InvalidValue {
                field: "satisfaction",
                reason: format!("{score} is not a score from 1 to 5"),
            });
        }
        with_pool!(self, |pool| {
            let n = sqlx::query(
                "UPDATE cases SET satisfaction = $1 WHERE case_ref = $2 AND event_count = 0",
            )
            .bind(i64::from(score))
            .bind(case_ref.digits())
            .execute(pool)
            .await?
            .rows_affected();
            if n == 0 {
                let events: Option<i64> =
                    sqlx::query_scalar("SELECT event_count FROM cases WHERE case_ref = $1")
                        .bind(case_ref.digits())
                        .fetch_optional(pool)
                        .await?;
                return Err(match events {
                    // A work order's evaluation is its follow-up (回访).
                    Some(_) => StoreError::WorkOrderCase {
                        case_ref: case_ref.clone(),
                    },
                    None => StoreError::NotFound {
                        what: "case",
                        key: case_ref.to_string(),
                    },
                });
            }
            Ok(())
        })
    }

    /// Merges a duplicate into the case that stays: the duplicate's notes
    /// move over, it is closed and points at the survivor (a citizen who
    /// keys in the old reference hears the new one).
    pub async fn merge_cases(
        &self,
        ctx: &AuditContext,
        duplicate: &CaseRef,
        into: &CaseRef,
    ) -> Result<()> {
        ctx.check()?;
        if duplicate == into {
            return Err(StoreError::InvalidValue {
                field: "case reference",
                reason: "a case cannot be merged into itself".into(),
            });
        }
        let at = ctx.at.as_millis();
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let dup: Option<(i64, Option<i64>, Option<String>, i64)> = sqlx::query_as(
                "SELECT case_id, citizen_id, merged_into, event_count FROM cases WHERE case_ref = $1",
            )
            .bind(duplicate.digits())
            .fetch_optional(&mut *tx)
            .await?;
            let target: Option<(i64, Option<String>, i64)> = sqlx::query_as(
                "SELECT case_id, merged_into, event_count FROM cases WHERE case_ref = $1",
            )
            .bind(into.digits())
            .fetch_optional(&mut *tx)
            .await?;
            let (
                Some((dup_id, citizen, dup_merged, dup_events)),
                Some((target_id, target_merged, target_events)),
            ) = (dup, target)
            else {
                return Err(StoreError::NotFound {
                    what: "case",
                    key: format!("{duplicate} or {into}"),
                });
            };
            // Work orders merge with merge_orders, through their logs.
            for (case_ref, events) in [(duplicate, dup_events), (into, target_events)] {
                if events > 0 {
                    return Err(StoreError::WorkOrderCase {
                        case_ref: case_ref.clone(),
                    });
                }
            }
            if dup_merged.is_some() || target_merged.is_some() {
                return Err(StoreError::InvalidValue {
                    field: "case reference",
                    reason: "one of the cases is already merged into another".into(),
                });
            }
            sqlx::query("UPDATE case_notes SET case_id = $1 WHERE case_id = $2")
                .bind(target_id)
                .bind(dup_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE cases SET status = 'closed', merged_into = $1, closed_at_ms = $2, updated_at_ms = $2 \
                 WHERE case_id = $3",
            )
            .bind(into.digits())
            .bind(at)
            .bind(dup_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE cases SET updated_at_ms = $1 WHERE case_id = $2")
                .bind(at)
                .bind(target_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO case_notes (case_id, author, at_ms, body) VALUES ($1, $2, $3, $4)",
            )
            .bind(target_id)
            .bind(ctx.actor.as_str())
            .bind(at)
            .bind(format!("merged duplicate case {duplicate}"))
            .execute(&mut *tx)
            .await?;
            insert_audit!(
                &mut *tx,
                ctx,
                "merge_case",
                citizen,
                Some(duplicate.digits().to_owned())
            )?;
            tx.commit().await?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates_match_known_days() {
        assert_eq!(utc_date(Timestamp(0)), (1970, 1, 1));
        // 2026-11-22T08:00:00Z
        assert_eq!(utc_date(Timestamp(1_795_334_400_000)), (2026, 11, 22));
        // 2024-02-29T23:59:59.999Z, a leap day
        assert_eq!(utc_date(Timestamp(1_709_251_199_999)), (2024, 2, 29));
    }

    #[test]
    fn lifecycle_allows_only_listed_moves() {
        use CaseStatus::*;
        assert!(Accepted.can_become(Dispatched));
        assert!(Closed.can_become(Reopened));
        assert!(!Closed.can_become(InProgress));
        assert!(!Accepted.can_become(Closed));
        assert!(!Resolved.can_become(Accepted));
    }
}
