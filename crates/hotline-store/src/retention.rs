//! Retention: each kind of personal data the call log holds is kept for a
//! time of its own and then forgotten, on a cut-off the caller computes
//! (the store never reads the clock).
//!
//! Owns, per kind, what "forgotten" means and which records are exempt:
//!
//! - **conversation recordings** (`calls.recording`) of calls started
//!   before the cut-off: the path is forgotten (NULL) and returned for the
//!   caller to delete the file;
//! - **voice messages** (`calls.voicemail_recording`): likewise, except a
//!   voice message whose case (the call record's `case_ref`: the order the
//!   message opened, or a case linked to the call later) is not closed, or
//!   was merged into an order that is not closed: the department may still
//!   need to listen to it. It goes at the first run after the case closed.
//!   The column keeps [`EXPIRED`] instead of the path, because whether a
//!   call left a voice message is a statistic (the IVR report's
//!   `voicemail`), recomputed from the call record by
//!   [`Store::rebuild_statistics`];
//! - **personal fields of call records**: caller, called number and SIP
//!   Call-ID set NULL, the callback number and the transfer target replaced
//!   by [`ERASED`] (their presence is a statistic too: `callback_request`,
//!   `self_service`), and every event of the call redacted as an erasure
//!   does (`privacy::redact_event`). A call with a callback still open
//!   (pending or being placed) keeps its number: the hotline still has to
//!   dial it. Closed callbacks requested before the cut-off are deleted:
//!   a callback row is little but a number;
//! - **audit log** entries written before the cut-off are deleted.
//!
//! Statistics (15-minute slots, queue segments, order figures) are not
//! touched and do not change, not even when rebuilt from the calls and
//! their events. Cases and work orders are not touched: they have a life
//! of their own.
//!
//! The work is done in batches of [`RETENTION_BATCH`] rows, each its own
//! short write transaction, so that a first run over years of calls never
//! holds SQLite's one write lock for long: candidates are read outside any
//! transaction, in start order after a cursor, then each batch is checked
//! again and changed inside its transaction (a path is returned only if
//! this run cleared it). Every run may be interrupted and started again.

use std::collections::{HashMap, HashSet};

use hotline_types::{CallEvent, Timestamp};
use serde::Serialize;

use crate::audit::{insert_audit, AuditContext};
use crate::cases::CaseStatus;
use crate::db::{list_placeholders, with_pool, BeginWrite};
use crate::error::{Result, StoreError};
use crate::privacy::redact_event;
use crate::Store;

/// Rows changed in one write transaction, at most.
pub const RETENTION_BATCH: usize = 500;

/// What replaces a forgotten callback number or transfer target: the text
/// an erasure writes into events (`privacy`'s own), so both read alike.
pub const ERASED: &str = "[erased]";

/// What replaces the path of a voice message whose file was deleted.
pub const EXPIRED: &str = "[expired]";

/// The callback statuses in which the hotline still has to dial the number.
const OPEN_CALLBACKS: &str = "'pending', 'placing'";

/// For each kind, the oldest moment whose data is kept; `None` keeps that
/// kind for ever. Computed by the caller from its clock and its policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct RetentionCutoffs {
    /// Conversation recordings of calls started before this.
    pub recordings: Option<Timestamp>,
    /// Voice messages of calls started before this (unless their case is open).
    pub voice_messages: Option<Timestamp>,
    /// Numbers and SIP ids of calls started before this (unless a callback
    /// is open), and closed callbacks requested before it.
    pub call_personal: Option<Timestamp>,
    /// Audit entries written before this.
    pub audit: Option<Timestamp>,
}

/// Whether a pass changes the store or only counts what it would change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionMode {
    Apply,
    /// Counts, and lists the files that would be deleted; writes nothing.
    DryRun,
}

/// What a pass over recordings or voice messages did (or would do).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct FilesExpired {
    /// Call records whose file was forgotten.
    pub forgotten: u64,
    /// Past the cut-off but kept: voice messages of cases still open.
    pub kept: u64,
    /// The files to delete, as the call records named them, sorted.
    pub files: Vec<String>,
}

/// What a pass over the personal fields of call records did (or would do).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CallsAnonymised {
    pub calls: u64,
    /// Events whose payload changed.
    pub events: u64,
    /// Events whose payload does not parse: they could not be redacted and
    /// are left as they are (each run counts them again).
    pub unreadable_events: u64,
    /// Past the cut-off but kept: calls with a callback still open.
    pub kept_for_open_callbacks: u64,
    /// Closed callbacks requested before the cut-off, deleted.
    pub callbacks_deleted: u64,
}

/// Everything one retention run did, kind by kind.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct RetentionReport {
    pub recordings: FilesExpired,
    pub voice_messages: FilesExpired,
    pub calls: CallsAnonymised,
    pub audit_entries_deleted: u64,
}

impl RetentionReport {
    /// The figures in one line, for the log and the audit entry.
    pub fn summary(&self) -> String {
        format!(
            "recordings {}, voice messages {} (kept for open cases {}), calls anonymised {} \
             (events {}, kept for open callbacks {}, unreadable events {}), callbacks deleted {}, \
             audit entries deleted {}",
            self.recordings.forgotten,
            self.voice_messages.forgotten,
            self.voice_messages.kept,
            self.calls.calls,
            self.calls.events,
            self.calls.kept_for_open_callbacks,
            self.calls.unreadable_events,
            self.calls.callbacks_deleted,
            self.audit_entries_deleted,
        )
    }
}

/// Where a scan over old calls has got to: the last call seen, in
/// (`started_at_ms`, `call_id`) order.
struct Cursor {
    started_at_ms: i64,
    call_id: String,
}

impl Cursor {
    fn start() -> Self {
        Self {
            started_at_ms: i64::MIN,
            call_id: String::new(),
        }
    }
}

/// One old call found by a scan: id, start, and up to two columns.
type OldCall = (String, i64, Option<String>, Option<String>);

fn parse_event(payload: &str) -> Option<CallEvent> {
    serde_json::from_str(payload).ok()
}

fn print_event(event: &CallEvent) -> Result<String> {
    serde_json::to_string(event).map_err(|e| StoreError::CorruptData {
        what: "event payload",
        detail: e.to_string(),
    })
}

impl Store {
    /// Runs every kind whose cut-off is set, in this order: recordings,
    /// voice messages, personal fields, audit log. An applied run is
    /// audited (`retention`, the figures as its reason) after the work.
    pub async fn apply_retention(
        &self,
        ctx: &AuditContext,
        cutoffs: &RetentionCutoffs,
        mode: RetentionMode,
    ) -> Result<RetentionReport> {
        ctx.check()?;
        let mut report = RetentionReport::default();
        if let Some(before) = cutoffs.recordings {
            report.recordings = self.expire_conversation_recordings(before, mode).await?;
        }
        if let Some(before) = cutoffs.voice_messages {
            report.voice_messages = self.expire_voice_messages(before, mode).await?;
        }
        if let Some(before) = cutoffs.call_personal {
            report.calls = self.anonymise_old_calls(before, mode).await?;
        }
        if let Some(before) = cutoffs.audit {
            report.audit_entries_deleted = self.expire_audit_log(before, mode).await?;
        }
        if mode == RetentionMode::Apply {
            let entry = AuditContext {
                reason: format!("{}: {}", ctx.reason, report.summary()),
                ..ctx.clone()
            };
            with_pool!(self, |pool| {
                insert_audit!(pool, &entry, "retention", None, None)?;
            });
        }
        Ok(report)
    }

    /// Calls started before `before` matching `condition` (SQL over
    /// `calls`), after `cursor`, in start order: at most one batch, with
    /// the two `columns` asked for (SQL expressions, text or NULL).
    async fn old_calls_after(
        &self,
        before: Timestamp,
        cursor: &Cursor,
        condition: &str,
        columns: [&str; 2],
    ) -> Result<Vec<OldCall>> {
        // `>= cursor` keeps the index range on started_at_ms usable; the
        // cursor's own start is then narrowed by call_id.
        let sql = format!(
            "SELECT call_id, started_at_ms, {}, {} FROM calls \
             WHERE started_at_ms < $1 AND started_at_ms >= $2 \
             AND NOT (started_at_ms = $2 AND call_id <= $3) AND ({condition}) \
             ORDER BY started_at_ms, call_id LIMIT $4",
            columns[0], columns[1]
        );
        let rows = with_pool!(self, |pool| {
            sqlx::query_as::<_, OldCall>(&sql)
                .bind(before.as_millis())
                .bind(cursor.started_at_ms)
                .bind(cursor.call_id.as_str())
                .bind(RETENTION_BATCH as i64)
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }

    /// Forgets the conversation recordings of calls started before
    /// `before` and answers the files to delete.
    pub async fn expire_conversation_recordings(
        &self,
        before: Timestamp,
        mode: RetentionMode,
    ) -> Result<FilesExpired> {
        let mut out = FilesExpired::default();
        let mut cursor = Cursor::start();
        loop {
            let page = self
                .old_calls_after(
                    before,
                    &cursor,
                    "recording IS NOT NULL",
                    ["recording", "CAST(NULL AS TEXT)"],
                )
                .await?;
            let Some(last) = page.last() else { break };
            cursor = Cursor {
                started_at_ms: last.1,
                call_id: last.0.clone(),
            };
            let full = page.len() == RETENTION_BATCH;
            let batch: Vec<(String, String)> = page
                .into_iter()
                .filter_map(|(id, _, path, _)| Some((id, path?)))
                .collect();
            let cleared = match mode {
                RetentionMode::DryRun => batch,
                RetentionMode::Apply => self.set_file_column("recording", None, batch).await?,
            };
            out.forgotten += cleared.len() as u64;
            out.files.extend(cleared.into_iter().map(|(_, path)| path));
            if !full {
                break;
            }
        }
        out.files.sort();
        out.files.dedup();
        Ok(out)
    }

    /// In one transaction, replaces `column`'s value of each (call, path)
    /// by `value` where it still is that path: the pairs it replaced.
    async fn set_file_column(
        &self,
        column: &str,
        value: Option<&str>,
        batch: Vec<(String, String)>,
    ) -> Result<Vec<(String, String)>> {
        let sql = format!("UPDATE calls SET {column} = $1 WHERE call_id = $2 AND {column} = $3");
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let mut cleared = Vec::with_capacity(batch.len());
            for (call_id, path) in batch {
                let done = sqlx::query(&sql)
                    .bind(value)
                    .bind(call_id.as_str())
                    .bind(path.as_str())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if done > 0 {
                    cleared.push((call_id, path));
                }
            }
            tx.commit().await?;
            Ok(cleared)
        })
    }

    /// Forgets the voice messages of calls started before `before`, except
    /// those whose case is open, and answers the files to delete.
    pub async fn expire_voice_messages(
        &self,
        before: Timestamp,
        mode: RetentionMode,
    ) -> Result<FilesExpired> {
        let mut out = FilesExpired::default();
        let mut cursor = Cursor::start();
        let condition =
            format!("voicemail_recording IS NOT NULL AND voicemail_recording <> '{EXPIRED}'");
        loop {
            let page = self
                .old_calls_after(
                    before,
                    &cursor,
                    &condition,
                    ["voicemail_recording", "case_ref"],
                )
                .await?;
            let Some(last) = page.last() else { break };
            cursor = Cursor {
                started_at_ms: last.1,
                call_id: last.0.clone(),
            };
            let full = page.len() == RETENTION_BATCH;
            let refs: Vec<&str> = page.iter().filter_map(|c| c.3.as_deref()).collect();
            let open = self.open_cases_among(&refs).await?;
            let mut batch = Vec::with_capacity(page.len());
            for (call_id, _, path, case_ref) in page {
                let Some(path) = path else { continue };
                if case_ref.as_deref().is_some_and(|r| open.contains(r)) {
                    out.kept += 1;
                } else {
                    batch.push((call_id, path));
                }
            }
            let cleared = match mode {
                RetentionMode::DryRun => batch,
                RetentionMode::Apply => {
                    self.set_file_column("voicemail_recording", Some(EXPIRED), batch)
                        .await?
                }
            };
            out.forgotten += cleared.len() as u64;
            out.files.extend(cleared.into_iter().map(|(_, path)| path));
            if !full {
                break;
            }
        }
        out.files.sort();
        out.files.dedup();
        Ok(out)
    }

    /// Of these case references, the cases not closed, and those merged
    /// into an order that is not closed. An unknown status counts as open:
    /// keeping a message a day longer is the safe mistake.
    async fn open_cases_among(&self, refs: &[&str]) -> Result<HashSet<String>> {
        if refs.is_empty() {
            return Ok(HashSet::new());
        }
        let sql = format!(
            "SELECT c.case_ref, c.status, m.status FROM cases c \
             LEFT JOIN cases m ON m.case_ref = c.merged_into WHERE c.case_ref IN ({})",
            list_placeholders(1, refs.len())
        );
        let rows: Vec<(String, String, Option<String>)> = with_pool!(self, |pool| {
            let mut q = sqlx::query_as(&sql);
            for r in refs {
                q = q.bind(*r);
            }
            q.fetch_all(pool).await?
        });
        let open = |status: &str| CaseStatus::parse(status) != Some(CaseStatus::Closed);
        Ok(rows
            .into_iter()
            .filter(|(_, own, master)| open(own) || master.as_deref().is_some_and(open))
            .map(|(case_ref, _, _)| case_ref)
            .collect())
    }

    /// Forgets the numbers and SIP ids of calls started before `before`
    /// (and redacts their events), except calls with a callback still open;
    /// deletes the closed callbacks requested before it.
    pub async fn anonymise_old_calls(
        &self,
        before: Timestamp,
        mode: RetentionMode,
    ) -> Result<CallsAnonymised> {
        let mut out = CallsAnonymised::default();
        let mut cursor = Cursor::start();
        let condition = format!(
            "caller IS NOT NULL OR called IS NOT NULL OR sip_call_id IS NOT NULL \
             OR (callback_number IS NOT NULL AND callback_number <> '{ERASED}') \
             OR (transferred_to IS NOT NULL AND transferred_to <> '{ERASED}')"
        );
        loop {
            let page = self
                .old_calls_after(
                    before,
                    &cursor,
                    &condition,
                    ["CAST(NULL AS TEXT)", "CAST(NULL AS TEXT)"],
                )
                .await?;
            let Some(last) = page.last() else { break };
            cursor = Cursor {
                started_at_ms: last.1,
                call_id: last.0.clone(),
            };
            let full = page.len() == RETENTION_BATCH;
            let calls: Vec<String> = page.into_iter().map(|c| c.0).collect();
            self.anonymise_batch(&calls, mode, &mut out).await?;
            if !full {
                break;
            }
        }
        out.callbacks_deleted = self.delete_closed_callbacks(before, mode).await?;
        Ok(out)
    }

    /// One batch of calls: skips those with an open callback, anonymises
    /// the rest and redacts their events, in one transaction (or counts).
    async fn anonymise_batch(
        &self,
        calls: &[String],
        mode: RetentionMode,
        out: &mut CallsAnonymised,
    ) -> Result<()> {
        let n = calls.len();
        let open_callbacks = format!(
            "SELECT call_id, last_call_id FROM callbacks WHERE status IN ({OPEN_CALLBACKS}) \
             AND (call_id IN ({}) OR last_call_id IN ({}))",
            list_placeholders(1, n),
            list_placeholders(n + 1, n)
        );
        with_pool!(self, |pool| {
            // A dry run only reads: no write lock for it.
            let mut tx = match mode {
                RetentionMode::Apply => pool.begin_write().await?,
                RetentionMode::DryRun => pool.begin().await?,
            };
            let mut q = sqlx::query_as::<_, (String, Option<String>)>(&open_callbacks);
            for _ in 0..2 {
                for c in calls {
                    q = q.bind(c.as_str());
                }
            }
            let kept: HashSet<String> = q
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .flat_map(|(call, last)| std::iter::once(call).chain(last))
                .collect();
            let chosen: Vec<&str> = calls
                .iter()
                .map(String::as_str)
                .filter(|c| !kept.contains(*c))
                .collect();
            out.kept_for_open_callbacks += (n - chosen.len()) as u64;
            if chosen.is_empty() {
                return Ok(());
            }
            let events_sql = format!(
                "SELECT event_id, payload FROM call_events WHERE call_id IN ({})",
                list_placeholders(1, chosen.len())
            );
            let mut q = sqlx::query_as::<_, (String, String)>(&events_sql);
            for c in &chosen {
                q = q.bind(*c);
            }
            let events = q.fetch_all(&mut *tx).await?;
            let mut redacted = HashMap::new();
            for (event_id, payload) in events {
                let Some(mut event) = parse_event(&payload) else {
                    out.unreadable_events += 1;
                    continue;
                };
                redact_event(&mut event);
                let text = print_event(&event)?;
                if text != payload {
                    redacted.insert(event_id, text);
                }
            }
            out.events += redacted.len() as u64;
            if mode == RetentionMode::DryRun {
                out.calls += chosen.len() as u64;
                return Ok(());
            }
            let update = format!(
                "UPDATE calls SET caller = NULL, called = NULL, sip_call_id = NULL, \
                 callback_number = CASE WHEN callback_number IS NULL THEN NULL ELSE $1 END, \
                 transferred_to = CASE WHEN transferred_to IS NULL THEN NULL ELSE $1 END \
                 WHERE call_id IN ({})",
                list_placeholders(2, chosen.len())
            );
            let mut q = sqlx::query(&update).bind(ERASED);
            for c in &chosen {
                q = q.bind(*c);
            }
            out.calls += q.execute(&mut *tx).await?.rows_affected();
            for (event_id, payload) in &redacted {
                sqlx::query("UPDATE call_events SET payload = $1 WHERE event_id = $2")
                    .bind(payload.as_str())
                    .bind(event_id.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Deletes (or counts) the closed callbacks requested before `before`.
    async fn delete_closed_callbacks(&self, before: Timestamp, mode: RetentionMode) -> Result<u64> {
        let closed = format!("requested_at_ms < $1 AND status NOT IN ({OPEN_CALLBACKS})");
        if mode == RetentionMode::DryRun {
            let sql = format!("SELECT COUNT(*) FROM callbacks WHERE {closed}");
            let n: i64 = with_pool!(self, |pool| {
                sqlx::query_scalar(&sql)
                    .bind(before.as_millis())
                    .fetch_one(pool)
                    .await?
            });
            return Ok(n as u64);
        }
        let sql = format!(
            "DELETE FROM callbacks WHERE callback_id IN \
             (SELECT callback_id FROM callbacks WHERE {closed} LIMIT $2)"
        );
        let mut deleted = 0;
        loop {
            let n = with_pool!(self, |pool| {
                let mut tx = pool.begin_write().await?;
                let n = sqlx::query(&sql)
                    .bind(before.as_millis())
                    .bind(RETENTION_BATCH as i64)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                tx.commit().await?;
                n
            });
            deleted += n;
            if n < RETENTION_BATCH as u64 {
                return Ok(deleted);
            }
        }
    }

    /// Deletes (or counts) the audit entries written before `before`.
    pub async fn expire_audit_log(&self, before: Timestamp, mode: RetentionMode) -> Result<u64> {
        let mut deleted = 0;
        let mut after = i64::MIN;
        loop {
            let page: Vec<i64> = with_pool!(self, |pool| {
                sqlx::query_scalar(
                    "SELECT audit_id FROM audit_log WHERE at_ms < $1 AND audit_id > $2 \
                     ORDER BY audit_id LIMIT $3",
                )
                .bind(before.as_millis())
                .bind(after)
                .bind(RETENTION_BATCH as i64)
                .fetch_all(pool)
                .await?
            });
            let Some(&last) = page.last() else { break };
            after = last;
            deleted += match mode {
                RetentionMode::DryRun => page.len() as u64,
                RetentionMode::Apply => {
                    let sql = format!(
                        "DELETE FROM audit_log WHERE at_ms < $1 AND audit_id IN ({})",
                        list_placeholders(2, page.len())
                    );
                    with_pool!(self, |pool| {
                        let mut tx = pool.begin_write().await?;
                        let mut q = sqlx::query(&sql).bind(before.as_millis());
                        for id in &page {
                            q = q.bind(*id);
                        }
                        let n = q.execute(&mut *tx).await?.rows_affected();
                        tx.commit().await?;
                        n
                    })
                }
            };
            if page.len() < RETENTION_BATCH {
                break;
            }
        }
        Ok(deleted)
    }
}
