//! The shared citizen record: people, their phone numbers, national ID
//! (keyed hash for lookup plus a masked form, never in clear), preferred
//! language, consents and tags, and the screen-pop query.
//!
//! Every read of personal data goes through a function that takes an
//! [`AuditContext`] and writes the audit entry.

use hmac::{Hmac, Mac};
use hotline_types::CitizenId;
use serde::Serialize;
use sha2::Sha256;

use crate::audit::{insert_audit, AuditContext};
use crate::cases::{CaseSummary, CASE_SUMMARY_COLUMNS};
use crate::db::{list_placeholders, with_pool, BeginWrite};
use crate::error::{Result, StoreError};
use crate::Store;

/// How many past calls the screen-pop shows.
pub const SCREEN_POP_CALLS: i64 = 20;

/// A citizen to be added to the record.
#[derive(Debug, Clone, Default)]
pub struct NewCitizen {
    pub full_name: String,
    /// In clear, as typed; stored only as a keyed hash and a masked form.
    pub national_id: Option<String>,
    pub preferred_language: Option<String>,
    pub phones: Vec<String>,
    pub tags: Vec<String>,
}

/// A consent given or withdrawn.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, schemars::JsonSchema)]
pub struct Consent {
    /// What the consent is for, e.g. `recording`, `sms_updates`, `survey`.
    pub what: String,
    /// 1 when given, 0 when withdrawn.
    pub granted: i64,
    /// Through which channel: `phone_ivr`, `agent`, `web`...
    pub channel: String,
    pub at_ms: i64,
    /// Who recorded it: the agent's login on the citizen's word, `ivr` for
    /// the caller's own key, the privacy officer; absent on older rows.
    pub actor: Option<String>,
    /// The call it was given on, if any.
    pub via_call: Option<String>,
}

/// The person, without their history.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Citizen {
    pub id: CitizenId,
    pub full_name: Option<String>,
    /// E.g. `**************1234`; the full number is never stored.
    pub national_id_masked: Option<String>,
    pub preferred_language: Option<String>,
    pub phones: Vec<String>,
    pub tags: Vec<String>,
    /// Latest first.
    pub consents: Vec<Consent>,
    pub created_at_ms: i64,
    /// Since when the record is restricted (not to be used for follow-up
    /// calls or analytics), or `None`.
    pub restricted_at_ms: Option<i64>,
}

/// One past call, as the screen-pop lists it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, schemars::JsonSchema)]
pub struct CallSummary {
    pub call_id: String,
    pub caller: Option<String>,
    pub started_at_ms: Option<i64>,
    pub ended_at_ms: Option<i64>,
    pub queue: Option<String>,
    pub agent: Option<String>,
    pub disposition: Option<String>,
    pub case_ref: Option<String>,
    pub abandoned: i64,
}

/// What the agent sees when a call is offered: the person, their last
/// [`SCREEN_POP_CALLS`] calls and their open cases.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CitizenRecord {
    pub citizen: Citizen,
    /// Newest first.
    pub recent_calls: Vec<CallSummary>,
    /// Oldest first.
    pub open_cases: Vec<CaseSummary>,
}

#[derive(sqlx::FromRow)]
struct CitizenRow {
    full_name: Option<String>,
    national_id_masked: Option<String>,
    preferred_language: Option<String>,
    created_at_ms: i64,
    restricted_at_ms: Option<i64>,
}

/// Checks and normalises a phone number: digits with an optional leading
/// `+`; spaces, dashes, dots and brackets are dropped.
pub fn normalize_phone(input: &str) -> Result<String> {
    let mut out = String::with_capacity(input.len());
    for (i, c) in input.trim().chars().enumerate() {
        match c {
            '0'..='9' => out.push(c),
            '+' if i == 0 => out.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            other => {
                return Err(StoreError::InvalidValue {
                    field: "phone number",
                    reason: format!(
                        "{other:?} is not allowed; use digits and an optional leading +"
                    ),
                })
            }
        }
    }
    let digits = out.trim_start_matches('+').len();
    if !(3..=20).contains(&digits) {
        return Err(StoreError::InvalidValue {
            field: "phone number",
            reason: format!("it has {digits} digits; expected 3 to 20"),
        });
    }
    Ok(out)
}

/// Checks and normalises a national ID: letters and digits, upper-cased;
/// spaces and dashes dropped.
pub(crate) fn normalize_national_id(input: &str) -> Result<String> {
    let mut out = String::with_capacity(input.len());
    for c in input.trim().chars() {
        match c {
            c if c.is_ascii_alphanumeric() => out.push(c.to_ascii_uppercase()),
            ' ' | '-' => {}
            other => {
                return Err(StoreError::InvalidValue {
                    field: "national ID",
                    reason: format!("{other:?} is not allowed; use letters and digits"),
                })
            }
        }
    }
    if !(5..=32).contains(&out.len()) {
        return Err(StoreError::InvalidValue {
            field: "national ID",
            reason: format!("it has {} characters; expected 5 to 32", out.len()),
        });
    }
    Ok(out)
}

/// A search term's normal form and kind, as the audit log hashes it: a phone
/// number as stored, a national ID as its keyed hash is made, a name
/// trimmed and lower-cased. A term that is both a valid number and ID
/// (all digits) counts as a number when it has at most 15 digits.
pub(crate) fn canonical_term(typed: &str) -> (String, crate::audit::TermKind) {
    use crate::audit::TermKind;
    let typed = typed.trim();
    if let Ok(number) = normalize_phone(typed) {
        if number.trim_start_matches('+').len() <= 15 {
            return (number, TermKind::Phone);
        }
    }
    if typed.chars().any(|c| c.is_ascii_digit()) {
        if let Ok(id) = normalize_national_id(typed) {
            return (id, TermKind::NationalId);
        }
    }
    (typed.to_lowercase(), TermKind::Name)
}

/// HMAC-SHA256 of `normalized` under `key`, in hex.
pub(crate) fn keyed_hash(key: &[u8], normalized: &str) -> String {
    // HMAC accepts keys of any length.
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key).expect("HMAC-SHA256 takes keys of any length");
    mac.update(normalized.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Only the last four characters stay readable.
pub(crate) fn mask_national_id(normalized: &str) -> String {
    let keep = 4.min(normalized.len());
    let hidden = normalized.len() - keep;
    format!("{}{}", "*".repeat(hidden), &normalized[hidden..])
}

fn check_text(field: &'static str, value: &str, max_chars: usize) -> Result<()> {
    if value.chars().count() > max_chars {
        return Err(StoreError::InvalidValue {
            field,
            reason: format!("it is longer than {max_chars} characters"),
        });
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(StoreError::InvalidValue {
            field,
            reason: "it contains control characters".into(),
        });
    }
    Ok(())
}

pub(crate) fn check_name(field: &'static str, value: &str, max_chars: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(StoreError::InvalidValue {
            field,
            reason: "it is empty".into(),
        });
    }
    check_text(field, value, max_chars)
}

pub(crate) fn check_free_text(field: &'static str, value: &str, max_chars: usize) -> Result<()> {
    check_text(field, value, max_chars)
}

impl Store {
    /// The keyed hash under which a (normalised) national ID is stored.
    fn national_id_hmac(&self, normalized: &str) -> String {
        self.keyed_hash(normalized)
    }

    /// HMAC-SHA256 under the store's key, in hex: national IDs and the
    /// audit log's search terms.
    pub(crate) fn keyed_hash(&self, normalized: &str) -> String {
        keyed_hash(&self.inner.national_id_key, normalized)
    }

    /// Adds a citizen; returns the new id.
    pub async fn create_citizen(&self, ctx: &AuditContext, new: &NewCitizen) -> Result<CitizenId> {
        ctx.check()?;
        check_name("full name", &new.full_name, 200)?;
        let national = match &new.national_id {
            Some(id) => {
                let n = normalize_national_id(id)?;
                Some((self.national_id_hmac(&n), mask_national_id(&n)))
            }
            None => None,
        };
        if let Some(lang) = &new.preferred_language {
            check_name("preferred language", lang, 16)?;
        }
        let phones = new
            .phones
            .iter()
            .map(|p| normalize_phone(p))
            .collect::<Result<Vec<_>>>()?;
        for tag in &new.tags {
            check_name("tag", tag, 64)?;
        }
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO citizens (full_name, national_id_hmac, national_id_masked, preferred_language, created_at_ms) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING citizen_id",
            )
            .bind(new.full_name.trim())
            .bind(national.as_ref().map(|n| n.0.clone()))
            .bind(national.as_ref().map(|n| n.1.clone()))
            .bind(new.preferred_language.clone())
            .bind(ctx.at.as_millis())
            .fetch_one(&mut *tx)
            .await?;
            for number in &phones {
                sqlx::query("INSERT INTO citizen_phones (citizen_id, number) VALUES ($1, $2)")
                    .bind(id)
                    .bind(number)
                    .execute(&mut *tx)
                    .await?;
            }
            for tag in &new.tags {
                sqlx::query(
                    "INSERT INTO citizen_tags (citizen_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(tag.trim())
                .execute(&mut *tx)
                .await?;
            }
            insert_audit!(&mut *tx, ctx, "create", Some(id), None)?;
            tx.commit().await?;
            Ok(CitizenId(id))
        })
    }

    /// Adds a phone number to a citizen (a number may belong to several).
    pub async fn add_phone(
        &self,
        ctx: &AuditContext,
        citizen: CitizenId,
        number: &str,
    ) -> Result<()> {
        ctx.check()?;
        let number = normalize_phone(number)?;
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let exists: Option<i64> = sqlx::query_scalar(
                "SELECT citizen_id FROM citizens WHERE citizen_id = $1 AND erased_at_ms IS NULL",
            )
            .bind(citizen.0)
            .fetch_optional(&mut *tx)
            .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound {
                    what: "citizen",
                    key: citizen.to_string(),
                });
            }
            sqlx::query("INSERT INTO citizen_phones (citizen_id, number) VALUES ($1, $2)")
                .bind(citizen.0)
                .bind(&number)
                .execute(&mut *tx)
                .await?;
            insert_audit!(&mut *tx, ctx, "add_phone", Some(citizen.0), None)?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Records a consent given or withdrawn (the history is kept), with who
    /// recorded it and on which call (the context's), audited.
    pub async fn record_consent(
        &self,
        ctx: &AuditContext,
        citizen: CitizenId,
        what: &str,
        granted: bool,
        channel: &str,
    ) -> Result<()> {
        ctx.check()?;
        check_name("consent", what, 64)?;
        check_name("channel", channel, 32)?;
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO consents (citizen_id, what, granted, channel, at_ms, actor, via_call) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(citizen.0)
            .bind(what)
            .bind(i64::from(granted))
            .bind(channel)
            .bind(ctx.at.as_millis())
            .bind(ctx.actor.as_str())
            .bind(ctx.via_call())
            .execute(&mut *tx)
            .await?;
            let detail = format!("{what}: {}", if granted { "granted" } else { "withdrawn" });
            insert_audit!(
                &mut *tx,
                ctx,
                "record_consent",
                Some(citizen.0),
                None,
                Some(detail)
            )?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Replaces the citizen's tags (segments such as `elderly`, `vip`).
    pub async fn set_tags(
        &self,
        ctx: &AuditContext,
        citizen: CitizenId,
        tags: &[String],
    ) -> Result<()> {
        ctx.check()?;
        for tag in tags {
            check_name("tag", tag, 64)?;
        }
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM citizen_tags WHERE citizen_id = $1")
                .bind(citizen.0)
                .execute(&mut *tx)
                .await?;
            for tag in tags {
                sqlx::query(
                    "INSERT INTO citizen_tags (citizen_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                )
                .bind(citizen.0)
                .bind(tag.trim())
                .execute(&mut *tx)
                .await?;
            }
            insert_audit!(&mut *tx, ctx, "set_tags", Some(citizen.0), None)?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// The screen-pop query: every citizen who has this number (usually
    /// one; a shared landline gives several), each with their last
    /// [`SCREEN_POP_CALLS`] calls and open cases. Audited per citizen shown.
    pub async fn citizen_by_phone(
        &self,
        ctx: &AuditContext,
        number: &str,
    ) -> Result<Vec<CitizenRecord>> {
        ctx.check()?;
        let number = normalize_phone(number)?;
        let ids: Vec<i64> = with_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT p.citizen_id FROM citizen_phones p JOIN citizens c ON c.citizen_id = p.citizen_id \
                 WHERE p.number = $1 AND c.erased_at_ms IS NULL ORDER BY p.citizen_id LIMIT 10",
            )
            .bind(&number)
            .fetch_all(pool)
            .await?
        });
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(record) = self.citizen_record(ctx, CitizenId(id), "view").await? {
                out.push(record);
            }
        }
        Ok(out)
    }

    /// Looks a citizen up by national ID (an audited search).
    pub async fn citizen_by_national_id(
        &self,
        ctx: &AuditContext,
        national_id: &str,
    ) -> Result<Option<CitizenRecord>> {
        ctx.check()?;
        let n = normalize_national_id(national_id)?;
        let hmac = self.national_id_hmac(&n);
        let id: Option<i64> = with_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT citizen_id FROM citizens WHERE national_id_hmac = $1 AND erased_at_ms IS NULL",
            )
            .bind(hmac)
            .fetch_optional(pool)
            .await?
        });
        match id {
            Some(id) => self.citizen_record(ctx, CitizenId(id), "search").await,
            None => Ok(None),
        }
    }

    /// One citizen's record by id (audited).
    pub async fn citizen(
        &self,
        ctx: &AuditContext,
        id: CitizenId,
    ) -> Result<Option<CitizenRecord>> {
        ctx.check()?;
        self.citizen_record(ctx, id, "view").await
    }

    pub(crate) async fn citizen_record(
        &self,
        ctx: &AuditContext,
        id: CitizenId,
        action: &str,
    ) -> Result<Option<CitizenRecord>> {
        with_pool!(self, |pool| {
            let mut conn = pool.acquire().await?;
            let Some(row) = sqlx::query_as::<_, CitizenRow>(
                "SELECT full_name, national_id_masked, preferred_language, created_at_ms, restricted_at_ms \
                 FROM citizens WHERE citizen_id = $1 AND erased_at_ms IS NULL",
            )
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await?
            else {
                return Ok(None);
            };
            // The entry is written before the data is returned: no read
            // without its trace.
            insert_audit!(&mut *conn, ctx, action, Some(id.0), None)?;
            let phones: Vec<String> = sqlx::query_scalar(
                "SELECT number FROM citizen_phones WHERE citizen_id = $1 ORDER BY number",
            )
            .bind(id.0)
            .fetch_all(&mut *conn)
            .await?;
            let tags: Vec<String> = sqlx::query_scalar(
                "SELECT tag FROM citizen_tags WHERE citizen_id = $1 ORDER BY tag",
            )
            .bind(id.0)
            .fetch_all(&mut *conn)
            .await?;
            let consents = sqlx::query_as::<_, Consent>(
                "SELECT what, granted, channel, at_ms, actor, via_call FROM consents WHERE citizen_id = $1 \
                 ORDER BY at_ms DESC, consent_id DESC",
            )
            .bind(id.0)
            .fetch_all(&mut *conn)
            .await?;
            let recent_calls = if phones.is_empty() {
                Vec::new()
            } else {
                let sql = format!(
                    "SELECT call_id, caller, started_at_ms, ended_at_ms, queue, agent, disposition, case_ref, abandoned \
                     FROM calls WHERE caller IN ({}) ORDER BY started_at_ms DESC LIMIT {SCREEN_POP_CALLS}",
                    list_placeholders(1, phones.len())
                );
                let mut q = sqlx::query_as::<_, CallSummary>(&sql);
                for p in &phones {
                    q = q.bind(p.as_str());
                }
                q.fetch_all(&mut *conn).await?
            };
            let sql = format!(
                "SELECT {CASE_SUMMARY_COLUMNS} FROM cases WHERE citizen_id = $1 \
                 AND status NOT IN ('resolved', 'closed') AND merged_into IS NULL ORDER BY opened_at_ms"
            );
            let open_cases = sqlx::query_as::<_, crate::cases::CaseRow>(&sql)
                .bind(id.0)
                .fetch_all(&mut *conn)
                .await?
                .into_iter()
                .map(CaseSummary::try_from)
                .collect::<Result<Vec<_>>>()?;
            Ok(Some(CitizenRecord {
                citizen: Citizen {
                    id,
                    full_name: row.full_name,
                    national_id_masked: row.national_id_masked,
                    preferred_language: row.preferred_language,
                    phones,
                    tags,
                    consents,
                    created_at_ms: row.created_at_ms,
                    restricted_at_ms: row.restricted_at_ms,
                },
                recent_calls,
                open_cases,
            }))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_normalised_or_refused() {
        assert_eq!(
            normalize_phone("+1 (555) 010-2030").unwrap(),
            "+15550102030"
        );
        assert!(normalize_phone("12a4").is_err());
        assert!(normalize_phone("1+2").is_err());
        assert!(normalize_phone("12").is_err());
    }

    #[test]
    fn national_ids_keep_only_four_characters_readable() {
        let n = normalize_national_id("1101 0519-9001 0112 3x").unwrap();
        assert_eq!(n, "11010519900101123X");
        assert_eq!(mask_national_id(&n), "**************123X");
        assert!(normalize_national_id("12").is_err());
        assert!(normalize_national_id("1234;DROP").is_err());
    }
}
