//! The audit log: who looked at or changed a citizen's record, when, through
//! which call or search, and why. Every function of the store that reads a
//! citizen's personal data takes an [`AuditContext`] and writes the entry in
//! the same transaction or right before returning the data.

use hotline_types::{CallId, CitizenId, Timestamp};
use serde::Serialize;

use crate::db::with_pool;
use crate::error::{Result, StoreError};
use crate::Store;

/// How the person came to see the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// A call of theirs concerns the citizen (screen-pop, agent on the call).
    Call(CallId),
    /// The IVR looked the caller up during a call (no person saw it).
    Ivr(CallId),
    /// An explicit search; the search terms are kept with the entry.
    Search(String),
    /// Administration: exports, erasure, data-protection requests.
    Administration,
}

/// Who reads or changes citizen data, how and why. Required by every
/// function that touches a citizen's personal data.
#[derive(Debug, Clone)]
pub struct AuditContext {
    /// The user's login, or `ivr` / `system`.
    pub actor: String,
    pub access: Access,
    /// Why, in the user's words or the system's (e.g. "incoming call").
    pub reason: String,
    /// When (the caller reads the clock).
    pub at: Timestamp,
}

impl AuditContext {
    /// A context for an agent handling a call.
    pub fn for_call(actor: impl Into<String>, call: CallId, at: Timestamp) -> Self {
        Self {
            actor: actor.into(),
            access: Access::Call(call),
            reason: "handling the citizen's call".into(),
            at,
        }
    }

    pub(crate) fn check(&self) -> Result<()> {
        if self.actor.trim().is_empty() {
            return Err(StoreError::InvalidValue {
                field: "actor",
                reason: "every access to citizen data needs a named actor".into(),
            });
        }
        if self.reason.trim().is_empty() {
            return Err(StoreError::InvalidValue {
                field: "reason",
                reason: "every access to citizen data needs a reason".into(),
            });
        }
        if let Access::Search(terms) = &self.access {
            if terms.trim().is_empty() {
                return Err(StoreError::InvalidValue {
                    field: "search",
                    reason: "a search access names its search terms".into(),
                });
            }
        }
        Ok(())
    }

    pub(crate) fn via_call(&self) -> Option<String> {
        match &self.access {
            Access::Call(c) | Access::Ivr(c) => Some(c.to_string()),
            _ => None,
        }
    }

    pub(crate) fn via_search(&self) -> Option<String> {
        match &self.access {
            Access::Search(s) => Some(s.clone()),
            Access::Ivr(_) => Some("ivr".into()),
            _ => None,
        }
    }
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, schemars::JsonSchema)]
pub struct AuditEntry {
    pub audit_id: i64,
    pub at_ms: i64,
    pub actor: String,
    /// What was done: `view`, `search`, `create`, `update`, `export`, `erase`...
    pub action: String,
    pub citizen_id: Option<i64>,
    pub case_ref: Option<String>,
    pub via_call: Option<String>,
    pub via_search: Option<String>,
    pub reason: String,
}

/// Inserts an audit entry with any executor (pool or transaction).
macro_rules! insert_audit {
    ($exec:expr, $ctx:expr, $action:expr, $citizen:expr, $case_ref:expr) => {{
        let ctx: &$crate::audit::AuditContext = $ctx;
        let citizen: Option<i64> = $citizen;
        let case_ref: Option<String> = $case_ref;
        sqlx::query(
            "INSERT INTO audit_log (at_ms, actor, action, citizen_id, case_ref, via_call, via_search, reason) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(ctx.at.as_millis())
        .bind(ctx.actor.as_str())
        .bind($action)
        .bind(citizen)
        .bind(case_ref)
        .bind(ctx.via_call())
        .bind(ctx.via_search())
        .bind(ctx.reason.as_str())
        .execute($exec)
        .await
    }};
}
pub(crate) use insert_audit;

impl Store {
    /// Records that `ctx.actor` joined (or left) the conversation of the
    /// call in `ctx` as a supervisor: `action` is `monitor_listen`,
    /// `monitor_whisper`, `monitor_barge` or `monitor_end`. Listening in on
    /// a citizen's conversation is access to their data, so it is audited
    /// like a view of their record.
    pub async fn audit_monitoring(&self, ctx: &AuditContext, action: &str) -> Result<()> {
        ctx.check()?;
        if !action.starts_with("monitor_") {
            return Err(StoreError::InvalidValue {
                field: "action",
                reason: format!("{action:?} is not a monitoring action"),
            });
        }
        with_pool!(self, |pool| {
            insert_audit!(pool, ctx, action, None, None)?;
            Ok(())
        })
    }

    /// The audit entries about one citizen, newest first. Reading the audit
    /// trail of a citizen is itself audited.
    pub async fn audit_trail(
        &self,
        ctx: &AuditContext,
        citizen: CitizenId,
    ) -> Result<Vec<AuditEntry>> {
        ctx.check()?;
        with_pool!(self, |pool| {
            insert_audit!(pool, ctx, "view_audit", Some(citizen.0), None)?;
            Ok(sqlx::query_as::<_, AuditEntry>(
                "SELECT audit_id, at_ms, actor, action, citizen_id, case_ref, via_call, via_search, reason \
                 FROM audit_log WHERE citizen_id = $1 ORDER BY at_ms DESC, audit_id DESC",
            )
            .bind(citizen.0)
            .fetch_all(pool)
            .await?)
        })
    }

    /// The audit entries made through one call (screen-pops, cases,
    /// supervisors listening in), newest first. Reading them is audited.
    pub async fn call_audit_trail(
        &self,
        ctx: &AuditContext,
        call: CallId,
    ) -> Result<Vec<AuditEntry>> {
        ctx.check()?;
        let call = call.to_string();
        with_pool!(self, |pool| {
            insert_audit!(pool, ctx, "view_audit", None, None)?;
            Ok(sqlx::query_as::<_, AuditEntry>(
                "SELECT audit_id, at_ms, actor, action, citizen_id, case_ref, via_call, via_search, reason \
                 FROM audit_log WHERE via_call = $1 ORDER BY at_ms DESC, audit_id DESC",
            )
            .bind(call.as_str())
            .fetch_all(pool)
            .await?)
        })
    }
}
