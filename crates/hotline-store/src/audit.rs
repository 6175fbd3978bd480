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
    /// An explicit search; the terms are kept with the entry only masked
    /// and as a keyed hash ([`SearchTerms`]), never in clear.
    Search(SearchTerms),
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
            if terms.0.trim().is_empty() {
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
            Access::Search(s) => Some(s.0.clone()),
            Access::Ivr(_) => Some("ivr".into()),
            _ => None,
        }
    }
}

/// Search terms as the audit log keeps them: masked for a reader (`138****8000`,
/// `张*`, `**************1234`) and a keyed hash of their normal form, so an
/// investigator holding the key can tell whether a given number was searched
/// and an erasure finds the searches made with the citizen's numbers, name or
/// national ID, while a copy of the log gives away no one's number. Made by
/// [`Store::search_terms`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerms(String);

impl SearchTerms {
    /// The audit form of `typed` under the keyed hash's `key` (the store's
    /// national-ID key: [`Store::search_terms`]).
    pub fn under_key(key: &[u8], typed: &str) -> Self {
        let (canonical, kind) = crate::citizens::canonical_term(typed);
        let hash = crate::citizens::keyed_hash(key, &canonical);
        SearchTerms(format!(
            "{} #{}",
            mask_term(&canonical, kind),
            &hash[..SEARCH_HASH_HEX]
        ))
    }

    /// The form written to `audit_log.via_search`: `<masked> #<hash>`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How many hex digits of the keyed hash the audit log keeps: 64 bits tell
/// the searches apart without being the whole hash.
const SEARCH_HASH_HEX: usize = 16;

/// Masks a search term for the audit log: a phone number keeps its first
/// three and last four digits when it has eleven or more, the last two
/// otherwise; a national ID its last four characters; a name its first
/// character.
pub(crate) fn mask_term(canonical: &str, kind: TermKind) -> String {
    let chars: Vec<char> = canonical.chars().collect();
    let n = chars.len();
    let (head, tail) = match kind {
        TermKind::Phone if n >= 11 => (3, 4),
        TermKind::Phone => (0, 2.min(n)),
        TermKind::NationalId => (0, 4.min(n)),
        TermKind::Name => (1.min(n), 0),
    };
    let hidden = n.saturating_sub(head + tail).max(1);
    let mut out: String = chars[..head.min(n)].iter().collect();
    out.push_str(&"*".repeat(hidden));
    if tail > 0 && n > head {
        out.extend(&chars[n - tail..]);
    }
    out
}

/// What a search term looks like, which decides its normal form and mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TermKind {
    Phone,
    NationalId,
    Name,
}

impl Store {
    /// The audit form of what a user typed into a search: masked, plus the
    /// keyed hash of its normal form (a phone number as stored, a national
    /// ID upper-cased without separators, so its hash begins the stored
    /// `national_id_hmac`; anything else trimmed and lower-cased).
    pub fn search_terms(&self, typed: &str) -> SearchTerms {
        SearchTerms::under_key(&self.inner.national_id_key, typed)
    }

    /// The `#<hash>` suffix [`Store::search_terms`] gives a term of this
    /// normal form: what an erasure looks for in the audit log.
    pub(crate) fn search_hash_suffix(&self, canonical: &str) -> String {
        format!("#{}", &self.keyed_hash(canonical)[..SEARCH_HASH_HEX])
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
    /// Masked terms and keyed hash ([`SearchTerms`]).
    pub via_search: Option<String>,
    pub reason: String,
    /// What a change replaced (a rectification's old values), blanked by
    /// an erasure.
    pub detail: Option<String>,
}

/// The columns of [`AuditEntry`], in its order.
pub(crate) const AUDIT_COLUMNS: &str =
    "audit_id, at_ms, actor, action, citizen_id, case_ref, via_call, via_search, reason, detail";

/// Inserts an audit entry with any executor (pool or transaction).
macro_rules! insert_audit {
    ($exec:expr, $ctx:expr, $action:expr, $citizen:expr, $case_ref:expr) => {
        $crate::audit::insert_audit!($exec, $ctx, $action, $citizen, $case_ref, None::<String>)
    };
    ($exec:expr, $ctx:expr, $action:expr, $citizen:expr, $case_ref:expr, $detail:expr) => {{
        let ctx: &$crate::audit::AuditContext = $ctx;
        let citizen: Option<i64> = $citizen;
        let case_ref: Option<String> = $case_ref;
        let detail: Option<String> = $detail;
        sqlx::query(
            "INSERT INTO audit_log (at_ms, actor, action, citizen_id, case_ref, via_call, via_search, reason, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(ctx.at.as_millis())
        .bind(ctx.actor.as_str())
        .bind($action)
        .bind(citizen)
        .bind(case_ref)
        .bind(ctx.via_call())
        .bind(ctx.via_search())
        .bind(ctx.reason.as_str())
        .bind(detail)
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
            Ok(sqlx::query_as::<_, AuditEntry>(&format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE citizen_id = $1 \
                     ORDER BY at_ms DESC, audit_id DESC"
            ))
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
            Ok(sqlx::query_as::<_, AuditEntry>(&format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE via_call = $1 \
                     ORDER BY at_ms DESC, audit_id DESC"
            ))
            .bind(call.as_str())
            .fetch_all(pool)
            .await?)
        })
    }
}
