//! Data-protection operations: export everything held about a citizen and
//! erase a citizen (anonymise everywhere, keep anonymous statistics). The
//! requests around them are `rights`; the retention job is `retention`.
//!
//! Erasure finds the citizen's calls by their phone numbers (as caller, as
//! called party of a callback, as callback number). A number shared with
//! another citizen is anonymised too: the calls on it cannot be told apart.

use std::collections::HashSet;

use hotline_orders::OrderChange;
use hotline_types::{CallEvent, CitizenId};
use serde::Serialize;
use serde_json::json;

use crate::audit::{insert_audit, Access, AuditContext, AuditEntry, AUDIT_COLUMNS};
use crate::cases::{CaseNote, CaseSummary, CASE_SUMMARY_COLUMNS};
use crate::db::{list_placeholders, with_pool, BeginWrite};
use crate::error::{Result, StoreError};
use crate::events::{CallRecord, CALL_COLUMNS};
use crate::orders::{change_payload, parse_change};
use crate::Store;

use crate::retention::ERASED;

/// What an erasure did; the caller deletes the recording files.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ErasureReport {
    pub citizen: i64,
    /// Recording and voicemail files of the citizen's calls: delete them.
    pub recordings_to_delete: Vec<String>,
    pub calls_anonymised: u64,
    pub events_anonymised: u64,
    pub cases_anonymised: u64,
    /// Events of their work orders whose texts were blanked.
    pub order_events_anonymised: u64,
    /// Callbacks owed to them, open or closed.
    pub callbacks_deleted: u64,
    /// Files added to their work orders.
    pub attachments_deleted: u64,
    /// Their phone numbers, consents and tags.
    pub phones_deleted: u64,
    pub consents_deleted: u64,
    pub tags_deleted: u64,
    /// Audit entries that lost search terms or replaced values naming them
    /// (the entries stay: who saw the record remains provable).
    pub audit_entries_anonymised: u64,
}

/// The details of the citizen's rectifications: the phone numbers their
/// record held before (their calls from those numbers are theirs too).
const FORMER_PHONES_SQL: &str =
    "SELECT detail FROM audit_log WHERE citizen_id = $1 AND action = 'rectify' AND detail IS NOT NULL";

/// Adds the numbers a rectification replaced (kept in its audit detail as
/// `{"phones": [...]}`) to `phones`, once each.
fn add_former_phones(phones: &mut Vec<String>, details: Vec<Option<String>>) {
    for detail in details.into_iter().flatten() {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&detail) else {
            continue;
        };
        for number in value["phones"].as_array().into_iter().flatten() {
            if let Some(number) = number.as_str() {
                if !phones.iter().any(|p| p == number) {
                    phones.push(number.to_owned());
                }
            }
        }
    }
}

/// Blanks the personal data an event may carry (the fields the event
/// vocabulary names as personal).
pub(crate) fn redact_event(event: &mut CallEvent) {
    for field in event.personal_fields_mut() {
        *field = ERASED.into();
    }
}

/// A work order's event as exported: seq, at_ms, actor, payload.
type OrderEventRow = (i64, i64, String, String);

/// Blanks the texts a work-order event may carry: what the citizen said,
/// where they are, and what was written about it. Times, authors,
/// categories, departments, districts and streets stay (statistics), and so
/// do citizen ids: they point at the erased record, and the log must still
/// fold (a follow-up was due because a reporter could be called).
fn redact_order_change(change: &mut OrderChange) {
    match change {
        OrderChange::Created {
            summary, location, ..
        } => {
            *summary = ERASED.into();
            location.address = ERASED.into();
            location.coordinates = None;
        }
        OrderChange::NoteAdded { text } | OrderChange::Replied { text } => *text = ERASED.into(),
        OrderChange::ExtensionRequested { reason, .. } | OrderChange::Returned { reason } => {
            *reason = ERASED.into()
        }
        OrderChange::Urged { note } => *note = ERASED.into(),
        // The file itself is deleted; its name may say whose it was.
        OrderChange::AttachmentAdded { name, sha256, .. } => {
            *name = ERASED.into();
            *sha256 = ERASED.into();
        }
        _ => {}
    }
}

impl Store {
    /// Everything held about a citizen, as JSON: the record, phones,
    /// consents, tags, cases with notes, call records and events of their
    /// calls, and the audit entries about them. Audited as `export`.
    pub async fn export_citizen(
        &self,
        ctx: &AuditContext,
        id: CitizenId,
    ) -> Result<serde_json::Value> {
        ctx.check()?;
        let Some(record) = self.citizen_record(ctx, id, "export").await? else {
            return Err(StoreError::NotFound {
                what: "citizen",
                key: id.to_string(),
            });
        };
        let mut phones = record.citizen.phones.clone();
        let replaced: Vec<Option<String>> = with_pool!(self, |pool| {
            sqlx::query_scalar(FORMER_PHONES_SQL)
                .bind(id.0)
                .fetch_all(pool)
                .await?
        });
        add_former_phones(&mut phones, replaced);
        let calls: Vec<CallRecord> = if phones.is_empty() {
            Vec::new()
        } else {
            let n = phones.len();
            let sql = format!(
                "SELECT {} FROM calls WHERE caller IN ({}) OR called IN ({}) OR callback_number IN ({}) \
                 ORDER BY started_at_ms",
                CALL_COLUMNS.join(", "),
                list_placeholders(1, n),
                list_placeholders(n + 1, n),
                list_placeholders(2 * n + 1, n),
            );
            with_pool!(self, |pool| {
                let mut q = sqlx::query_as::<_, CallRecord>(&sql);
                for _ in 0..3 {
                    for p in &phones {
                        q = q.bind(p.as_str());
                    }
                }
                q.fetch_all(pool).await?
            })
        };
        let mut events = Vec::new();
        for call in &calls {
            let call_id = crate::events::parse_call_id(&call.call_id)?;
            events.extend(self.call_events(call_id).await?);
        }
        let case_sql = format!(
            "SELECT {CASE_SUMMARY_COLUMNS} FROM cases WHERE citizen_id = $1 ORDER BY opened_at_ms"
        );
        let (cases, audit): (Vec<crate::cases::CaseRow>, Vec<AuditEntry>) = with_pool!(
            self,
            |pool| {
                let cases = sqlx::query_as(&case_sql).bind(id.0).fetch_all(pool).await?;
                let audit = sqlx::query_as(&format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE citizen_id = $1 ORDER BY at_ms, audit_id"
                ))
            .bind(id.0)
            .fetch_all(pool)
            .await?;
                (cases, audit)
            }
        );
        let mut case_values = Vec::with_capacity(cases.len());
        for row in cases {
            let case = CaseSummary::try_from(row)?;
            let (notes, order_events): (Vec<CaseNote>, Vec<OrderEventRow>) = with_pool!(
                self,
                |pool| {
                    let notes = sqlx::query_as(
                        "SELECT n.author, n.at_ms, n.body FROM case_notes n JOIN cases c ON c.case_id = n.case_id \
                         WHERE c.case_ref = $1 ORDER BY n.at_ms, n.note_id",
                    )
                    .bind(case.case_ref.digits())
                    .fetch_all(pool)
                    .await?;
                    let order_events = sqlx::query_as(
                        "SELECT e.seq, e.at_ms, e.actor, e.payload FROM case_events e \
                         JOIN cases c ON c.case_id = e.case_id WHERE c.case_ref = $1 ORDER BY e.seq",
                    )
                    .bind(case.case_ref.digits())
                    .fetch_all(pool)
                    .await?;
                    (notes, order_events)
                }
            );
            let mut value = json!({ "case": case, "notes": notes });
            if !order_events.is_empty() {
                let mut events = Vec::with_capacity(order_events.len());
                for (seq, at_ms, actor, payload) in order_events {
                    events.push(json!({
                        "seq": seq,
                        "at_ms": at_ms,
                        "by": actor,
                        "change": parse_change(&payload)?,
                    }));
                }
                value["work_order_events"] = serde_json::Value::Array(events);
            }
            case_values.push(value);
        }
        let mut callbacks = Vec::new();
        for phone in &phones {
            callbacks.extend(self.callbacks_of_number(phone.as_str()).await?);
        }
        Ok(json!({
            "exported_at_ms": ctx.at.as_millis(),
            "citizen": record.citizen,
            "cases": case_values,
            "callbacks": callbacks,
            "calls": calls,
            "call_events": events,
            "audit_log": audit,
        }))
    }

    /// Erases a citizen: name, national ID, phones, consents and tags go;
    /// their calls lose numbers, SIP ids, recordings and event payload
    /// details; their cases lose summary, notes and the link to them (work
    /// orders also their address and the texts of their log); audit
    /// entries about them lose search terms. Queues, times, dispositions and
    /// categories stay, so statistics do not change. Returns the recording
    /// files to delete.
    pub async fn erase_citizen(&self, ctx: &AuditContext, id: CitizenId) -> Result<ErasureReport> {
        ctx.check()?;
        if matches!(ctx.access, Access::Search(_)) {
            return Err(StoreError::InvalidValue {
                field: "access",
                reason: "erasure is an administration access, not a search".into(),
            });
        }
        let at = ctx.at.as_millis();
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let exists: Option<(Option<String>, Option<String>)> = sqlx::query_as(
                "SELECT full_name, national_id_hmac FROM citizens WHERE citizen_id = $1 AND erased_at_ms IS NULL",
            )
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((full_name, national_id_hmac)) = exists else {
                return Err(StoreError::NotFound {
                    what: "citizen",
                    key: id.to_string(),
                });
            };
            let mut phones: Vec<String> =
                sqlx::query_scalar("SELECT number FROM citizen_phones WHERE citizen_id = $1")
                    .bind(id.0)
                    .fetch_all(&mut *tx)
                    .await?;
            let replaced: Vec<Option<String>> = sqlx::query_scalar(FORMER_PHONES_SQL)
                .bind(id.0)
                .fetch_all(&mut *tx)
                .await?;
            add_former_phones(&mut phones, replaced);
            let mut report = ErasureReport {
                citizen: id.0,
                ..ErasureReport::default()
            };
            let citizen_calls: Vec<String>;
            {
                // The citizen's calls: from, to or called back on one of
                // their numbers, or the call a case of theirs was opened on
                // (a call from a number they never gave).
                let n = phones.len();
                let by_case = format!(
                    "call_id IN (SELECT call_id FROM cases WHERE citizen_id = ${} AND call_id IS NOT NULL)",
                    3 * n + 1
                );
                let sql = if n == 0 {
                    format!(
                        "SELECT call_id, recording, voicemail_recording FROM calls WHERE {by_case}"
                    )
                } else {
                    format!(
                        "SELECT call_id, recording, voicemail_recording FROM calls \
                         WHERE caller IN ({}) OR called IN ({}) OR callback_number IN ({}) OR {by_case}",
                        list_placeholders(1, n),
                        list_placeholders(n + 1, n),
                        list_placeholders(2 * n + 1, n),
                    )
                };
                let mut q = sqlx::query_as::<_, (String, Option<String>, Option<String>)>(&sql);
                for _ in 0..3 {
                    for p in &phones {
                        q = q.bind(p.as_str());
                    }
                }
                q = q.bind(id.0);
                let calls = q.fetch_all(&mut *tx).await?;
                let mut recordings = HashSet::new();
                for (call_id, recording, voicemail) in &calls {
                    recordings.extend(recording.iter().cloned());
                    recordings.extend(voicemail.iter().cloned());
                    // What the IVR report counts by (a voice message left,
                    // a callback asked for, a transfer) keeps a marker, so
                    // a rebuild of the statistics gives the same figures.
                    sqlx::query(
                        "UPDATE calls SET caller = NULL, called = NULL, sip_call_id = NULL, \
                         callback_number = CASE WHEN callback_number IS NULL THEN NULL ELSE $2 END, \
                         recording = NULL, \
                         voicemail_recording = CASE WHEN voicemail_recording IS NULL THEN NULL ELSE $2 END, \
                         transferred_to = CASE WHEN transferred_to IS NULL THEN NULL ELSE $2 END \
                         WHERE call_id = $1",
                    )
                    .bind(call_id)
                    .bind(ERASED)
                    .execute(&mut *tx)
                    .await?;
                    let events: Vec<(String, String)> = sqlx::query_as(
                        "SELECT event_id, payload FROM call_events WHERE call_id = $1",
                    )
                    .bind(call_id)
                    .fetch_all(&mut *tx)
                    .await?;
                    for (event_id, payload) in events {
                        let mut event: CallEvent = serde_json::from_str(&payload).map_err(|e| {
                            StoreError::CorruptData {
                                what: "event payload",
                                detail: e.to_string(),
                            }
                        })?;
                        redact_event(&mut event);
                        let redacted =
                            serde_json::to_string(&event).map_err(|e| StoreError::CorruptData {
                                what: "event payload",
                                detail: e.to_string(),
                            })?;
                        if redacted != payload {
                            sqlx::query("UPDATE call_events SET payload = $1 WHERE event_id = $2")
                                .bind(redacted)
                                .bind(&event_id)
                                .execute(&mut *tx)
                                .await?;
                            report.events_anonymised += 1;
                        }
                    }
                }
                report.calls_anonymised = calls.len() as u64;
                citizen_calls = calls
                    .iter()
                    .map(|(call_id, _, _)| call_id.clone())
                    .collect();
                let mut recordings: Vec<String> = recordings.into_iter().collect();
                recordings.sort();
                report.recordings_to_delete = recordings;
                // Promises to call them back: the number is all a callback
                // is, so the row goes (open ones too: an erased citizen is
                // not called).
                for (call_id, _, _) in &calls {
                    report.callbacks_deleted +=
                        sqlx::query("DELETE FROM callbacks WHERE call_id = $1")
                            .bind(call_id)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                }
                for p in &phones {
                    report.callbacks_deleted +=
                        sqlx::query("DELETE FROM callbacks WHERE number = $1")
                            .bind(p.as_str())
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                }
                // Searches made with the citizen's numbers, national ID or
                // full name, found by the keyed hash the audit log keeps
                // (Store::search_terms), whoever they found.
                let mut suffixes: Vec<String> =
                    phones.iter().map(|p| self.search_hash_suffix(p)).collect();
                if let Some(hmac) = national_id_hmac.as_deref() {
                    suffixes.push(format!("#{}", &hmac[..hmac.len().min(16)]));
                }
                if let Some(name) = full_name.as_deref() {
                    let (canonical, _) = crate::citizens::canonical_term(name);
                    suffixes.push(self.search_hash_suffix(&canonical));
                }
                for suffix in &suffixes {
                    report.audit_entries_anonymised += sqlx::query(
                        "UPDATE audit_log SET via_search = NULL WHERE via_search LIKE $1",
                    )
                    .bind(format!("% {suffix}"))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
            }
            // Their cases, and the orders opened on their calls without a
            // link to them (a voice message from a number not on record).
            let mut case_ids: Vec<i64> =
                sqlx::query_scalar("SELECT case_id FROM cases WHERE citizen_id = $1")
                    .bind(id.0)
                    .fetch_all(&mut *tx)
                    .await?;
            for call_id in &citizen_calls {
                let on_call: Vec<i64> =
                    sqlx::query_scalar("SELECT case_id FROM cases WHERE call_id = $1")
                        .bind(call_id)
                        .fetch_all(&mut *tx)
                        .await?;
                for case_id in on_call {
                    if !case_ids.contains(&case_id) {
                        case_ids.push(case_id);
                    }
                }
            }
            for case_id in &case_ids {
                sqlx::query("UPDATE case_notes SET body = $1 WHERE case_id = $2")
                    .bind(ERASED)
                    .bind(case_id)
                    .execute(&mut *tx)
                    .await?;
                report.attachments_deleted +=
                    sqlx::query("DELETE FROM order_attachments WHERE case_id = $1")
                        .bind(case_id)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                // A work order's address is in its row only while it is
                // not erased; the log keeps its place in the sequence.
                sqlx::query(
                    "UPDATE cases SET summary = $1, citizen_id = NULL, \
                     address = CASE WHEN address IS NULL THEN NULL ELSE $1 END, \
                     latitude = NULL, longitude = NULL WHERE case_id = $2",
                )
                .bind(ERASED)
                .bind(case_id)
                .execute(&mut *tx)
                .await?;
                let events: Vec<(i64, String)> =
                    sqlx::query_as("SELECT seq, payload FROM case_events WHERE case_id = $1")
                        .bind(case_id)
                        .fetch_all(&mut *tx)
                        .await?;
                for (seq, payload) in events {
                    let mut change = parse_change(&payload)?;
                    redact_order_change(&mut change);
                    let redacted = change_payload(&change)?;
                    if redacted != payload {
                        sqlx::query(
                            "UPDATE case_events SET payload = $1 WHERE case_id = $2 AND seq = $3",
                        )
                        .bind(redacted)
                        .bind(case_id)
                        .bind(seq)
                        .execute(&mut *tx)
                        .await?;
                        report.order_events_anonymised += 1;
                    }
                }
            }
            report.cases_anonymised = case_ids.len() as u64;
            report.audit_entries_anonymised += sqlx::query(
                "UPDATE audit_log SET via_search = NULL, detail = NULL WHERE citizen_id = $1 \
                 AND (via_search IS NOT NULL OR detail IS NOT NULL)",
            )
            .bind(id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            for (table, count) in [
                ("citizen_phones", &mut report.phones_deleted),
                ("consents", &mut report.consents_deleted),
                ("citizen_tags", &mut report.tags_deleted),
            ] {
                *count = sqlx::query(&format!("DELETE FROM {table} WHERE citizen_id = $1"))
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            sqlx::query(
                "UPDATE citizens SET full_name = NULL, national_id_hmac = NULL, national_id_masked = NULL, \
                 preferred_language = NULL, restricted_at_ms = NULL, erased_at_ms = $1 WHERE citizen_id = $2",
            )
            .bind(at)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            insert_audit!(&mut *tx, ctx, "erase", Some(id.0), None)?;
            tx.commit().await?;
            Ok(report)
        })
    }
}
