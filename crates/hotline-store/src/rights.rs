//! Citizens' data rights as operations a privacy officer performs on a
//! citizen's request: access (one archive of everything held, recordings
//! and voice messages included), rectification (old values only in the
//! audit), restriction (no follow-up calls, no analytics) and erasure
//! (the database, the recording and voice-message files, nothing left in
//! the SQLite file's free pages or WAL), each leaving a receipt in
//! `privacy_requests`.
//!
//! A receipt proves what was done without holding what it was done to:
//! counts, field names, file names (call ids) and the request's
//! reference, never a number, name or ID. It outlives the erasure.
//!
//! The files live outside the database: [`DataFiles`] says where the
//! recordings and the event spool are, so an erasure deletes only files
//! inside the recordings folder, and refuses while call events wait in
//! the spool (they would bring the citizen's number back after it).

use std::path::{Path, PathBuf};

use hotline_types::CitizenId;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::json;

use crate::audit::{insert_audit, Access, AuditContext};
use crate::citizens::{check_name, mask_national_id, normalize_national_id, normalize_phone};
use crate::db::{with_pool, BeginWrite, Pool};
use crate::error::{Result, StoreError};
use crate::Store;

/// Where the hotline keeps the files a citizen's data is in.
#[derive(Debug, Clone)]
pub struct DataFiles {
    /// Conversation recordings and voice messages (`<data_dir>/recordings`).
    pub recordings_dir: PathBuf,
    /// The call-event spool (`<data_dir>/spool`).
    pub spool_dir: PathBuf,
}

impl DataFiles {
    /// The folders of a data directory as `serve` lays it out.
    pub fn in_data_dir(data_dir: &Path) -> Self {
        Self {
            recordings_dir: data_dir.join("recordings"),
            spool_dir: data_dir.join("spool"),
        }
    }
}

/// What a privacy officer did, on which request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// Everything held, exported as one archive.
    Access,
    Rectification,
    Restriction,
    /// The restriction lifted.
    RestrictionLifted,
    Erasure,
}

impl RequestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Access => "access",
            RequestKind::Rectification => "rectification",
            RequestKind::Restriction => "restriction",
            RequestKind::RestrictionLifted => "restriction_lifted",
            RequestKind::Erasure => "erasure",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "access" => RequestKind::Access,
            "rectification" => RequestKind::Rectification,
            "restriction" => RequestKind::Restriction,
            "restriction_lifted" => RequestKind::RestrictionLifted,
            "erasure" => RequestKind::Erasure,
            _ => return None,
        })
    }
}

/// The receipt of one request: what was done, when, by whom, under which
/// request reference.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Receipt {
    pub request_id: i64,
    pub kind: RequestKind,
    pub citizen: i64,
    /// The citizen's request as the office files it (e.g. `DPR-2026-0042`).
    pub request_ref: String,
    /// The privacy officer's login.
    pub officer: String,
    pub at_ms: i64,
    /// What was exported, changed, removed or anonymised: counts, field
    /// and file names.
    pub details: serde_json::Value,
}

/// Corrections to a citizen's record; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct Rectification {
    pub full_name: Option<String>,
    /// `Some("")` removes the national ID.
    pub national_id: Option<String>,
    pub preferred_language: Option<String>,
    /// The full new list of phone numbers.
    pub phones: Option<Vec<String>>,
}

/// What happened to one file an erasure named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct FileOutcome {
    /// The file's name (a call id and what it holds), never a folder.
    pub file: String,
    /// `deleted`, `missing` (already gone) or `refused` (outside the
    /// recordings folder: left alone, delete it by hand).
    pub outcome: String,
}

/// A request reference: what the office files the request under. Letters,
/// digits and `-_./` only, so it cannot carry a name into the receipt.
pub fn check_request_ref(reference: &str) -> Result<()> {
    let ok = (1..=64).contains(&reference.len())
        && reference
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidValue {
            field: "request",
            reason: "give the request's reference: 1 to 64 letters, digits or -_./".into(),
        })
    }
}

/// Where a recording a call row names is: found inside the recordings
/// folder (a direct child, links followed), not there, or somewhere else.
enum Located {
    Inside(PathBuf),
    Missing,
    Outside,
}

impl DataFiles {
    /// The file name of the recording at `path` and where it is: `path`
    /// as given, else by its file name in the recordings folder (the CLI
    /// may run from another folder than `serve`, and a relative path is
    /// serve's). The first of the two that exists decides.
    fn locate_recording(&self, path: &str) -> (String, Located) {
        let given = Path::new(path);
        let file = given
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Ok(dir) = self.recordings_dir.canonicalize() else {
            return (file, Located::Missing);
        };
        let candidates = [given.to_path_buf(), dir.join(&file)];
        let located = match candidates.iter().find_map(|p| p.canonicalize().ok()) {
            None => Located::Missing,
            Some(found) if found.parent() == Some(dir.as_path()) => Located::Inside(found),
            Some(_) => Located::Outside,
        };
        (file, located)
    }

    /// Deletes the recording at `path` if it is inside the recordings
    /// folder.
    fn delete_recording(&self, path: &str) -> FileOutcome {
        let (file, located) = self.locate_recording(path);
        let outcome = match located {
            Located::Missing => "missing",
            Located::Outside => "refused",
            Located::Inside(found) => match std::fs::remove_file(&found) {
                Ok(()) => "deleted",
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => "missing",
                Err(e) => {
                    tracing::warn!(file = %file, error = %e, "erasure: a recording could not be deleted");
                    "refused"
                }
            },
        };
        FileOutcome {
            file,
            outcome: outcome.into(),
        }
    }
}

/// Events still in the spool file (not yet in the database).
fn spooled_lines(spool_dir: &Path) -> Result<usize> {
    let path = spool_dir.join(crate::writer::SPOOL_FILE_NAME);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(text.lines().filter(|l| !l.trim().is_empty()).count()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(source) => Err(StoreError::Spool { path, source }),
    }
}

fn officer_context(ctx: &AuditContext) -> Result<()> {
    ctx.check()?;
    if !matches!(ctx.access, Access::Administration) {
        return Err(StoreError::InvalidValue {
            field: "access",
            reason: "a data-protection request is an administration access".into(),
        });
    }
    Ok(())
}

impl Store {
    /// Writes the receipt of a request and returns it.
    async fn write_receipt(
        &self,
        ctx: &AuditContext,
        kind: RequestKind,
        citizen: CitizenId,
        request_ref: &str,
        details: serde_json::Value,
    ) -> Result<Receipt> {
        let text = details.to_string();
        let id: i64 = with_pool!(self, |pool| {
            sqlx::query_scalar(
                "INSERT INTO privacy_requests (kind, citizen_id, request_ref, officer, at_ms, receipt) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING request_id",
            )
            .bind(kind.as_str())
            .bind(citizen.0)
            .bind(request_ref)
            .bind(ctx.actor.as_str())
            .bind(ctx.at.as_millis())
            .bind(text)
            .fetch_one(pool)
            .await?
        });
        Ok(Receipt {
            request_id: id,
            kind,
            citizen: citizen.0,
            request_ref: request_ref.into(),
            officer: ctx.actor.clone(),
            at_ms: ctx.at.as_millis(),
            details,
        })
    }

    /// The receipts of every request about a citizen (or all, newest
    /// first, at most `limit`).
    pub async fn privacy_requests(
        &self,
        citizen: Option<CitizenId>,
        limit: u32,
    ) -> Result<Vec<Receipt>> {
        type Row = (i64, String, Option<i64>, String, String, i64, String);
        const COLUMNS: &str = "request_id, kind, citizen_id, request_ref, officer, at_ms, receipt";
        let limit = i64::from(limit.clamp(1, 1000));
        let rows: Vec<Row> = with_pool!(self, |pool| {
            match citizen {
                Some(c) => {
                    sqlx::query_as(&format!(
                        "SELECT {COLUMNS} FROM privacy_requests WHERE citizen_id = $1 \
                         ORDER BY at_ms DESC, request_id DESC LIMIT $2"
                    ))
                    .bind(c.0)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?
                }
                None => {
                    sqlx::query_as(&format!(
                        "SELECT {COLUMNS} FROM privacy_requests \
                         ORDER BY at_ms DESC, request_id DESC LIMIT $1"
                    ))
                    .bind(limit)
                    .fetch_all(pool)
                    .await?
                }
            }
        });
        rows.into_iter()
            .map(
                |(request_id, kind, citizen, request_ref, officer, at_ms, receipt)| {
                    Ok(Receipt {
                        request_id,
                        kind: RequestKind::parse(&kind).ok_or_else(|| StoreError::CorruptData {
                            what: "privacy request kind",
                            detail: kind.clone(),
                        })?,
                        citizen: citizen.unwrap_or_default(),
                        request_ref,
                        officer,
                        at_ms,
                        details: serde_json::from_str(&receipt).map_err(|e| {
                            StoreError::CorruptData {
                                what: "privacy receipt",
                                detail: e.to_string(),
                            }
                        })?,
                    })
                },
            )
            .collect()
    }

    /// The erasures after request `after` (request id, citizen), oldest
    /// first: a node gives the newest it saw to forget what it holds in
    /// memory about citizens erased elsewhere (another node, the CLI).
    pub async fn erasures_after(&self, after: i64) -> Result<Vec<(i64, CitizenId)>> {
        let rows: Vec<(i64, Option<i64>)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT request_id, citizen_id FROM privacy_requests \
                 WHERE kind = 'erasure' AND request_id > $1 ORDER BY request_id",
            )
            .bind(after)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|(id, c)| c.map(|c| (id, CitizenId(c))))
            .collect())
    }

    /// Access: everything held about the citizen as one tar archive:
    /// `citizen.json` (the record, consents, cases and work orders, calls
    /// and their events, callbacks, the audit log of who saw the record,
    /// earlier requests) and `recordings/` (every conversation recording
    /// and voice message of their calls still on disk). Audited as
    /// `export`; the receipt lists the files.
    pub async fn export_archive(
        &self,
        ctx: &AuditContext,
        id: CitizenId,
        request_ref: &str,
        files: &DataFiles,
    ) -> Result<(Vec<u8>, Receipt)> {
        officer_context(ctx)?;
        check_request_ref(request_ref)?;
        let mut export = self.export_citizen(ctx, id).await?;
        let earlier = self.privacy_requests(Some(id), 1000).await?;
        export["privacy_requests"] = serde_json::to_value(&earlier).unwrap_or_default();
        export["request_ref"] = json!(request_ref);
        let mut recordings: Vec<String> = Vec::new();
        if let Some(calls) = export["calls"].as_array() {
            for call in calls {
                for key in ["recording", "voicemail_recording"] {
                    if let Some(path) = call[key].as_str() {
                        recordings.push(path.to_owned());
                    }
                }
            }
        }
        recordings.sort();
        recordings.dedup();
        let json = serde_json::to_vec_pretty(&export).map_err(|e| StoreError::CorruptData {
            what: "export",
            detail: e.to_string(),
        })?;
        let mut archive = tar::Builder::new(Vec::new());
        let mut included = Vec::new();
        let mut missing = Vec::new();
        let io = |e: std::io::Error| StoreError::Unavailable {
            detail: format!("cannot build the archive: {e}"),
        };
        append_bytes(&mut archive, "citizen.json", &json, ctx.at.as_millis()).map_err(io)?;
        for path in &recordings {
            let (name, located) = files.locate_recording(path);
            match located {
                Located::Inside(found) => match std::fs::read(found) {
                    Ok(bytes) => {
                        append_bytes(
                            &mut archive,
                            &format!("recordings/{name}"),
                            &bytes,
                            ctx.at.as_millis(),
                        )
                        .map_err(io)?;
                        included.push(name);
                    }
                    Err(_) => missing.push(name),
                },
                Located::Missing | Located::Outside => missing.push(name),
            }
        }
        let bytes = archive.into_inner().map_err(io)?;
        let details = json!({
            "archive_bytes": bytes.len(),
            "calls": export["calls"].as_array().map_or(0, Vec::len),
            "cases": export["cases"].as_array().map_or(0, Vec::len),
            "audit_entries": export["audit_log"].as_array().map_or(0, Vec::len),
            "recordings": included,
            "recordings_missing": missing,
        });
        let receipt = self
            .write_receipt(ctx, RequestKind::Access, id, request_ref, details)
            .await?;
        Ok((bytes, receipt))
    }

    /// Rectification: corrects the record's fields; the values replaced
    /// are kept only in the audit entry's `detail` (blanked if the
    /// citizen is later erased). The receipt names the fields changed.
    pub async fn rectify_citizen(
        &self,
        ctx: &AuditContext,
        id: CitizenId,
        request_ref: &str,
        change: &Rectification,
    ) -> Result<Receipt> {
        officer_context(ctx)?;
        check_request_ref(request_ref)?;
        if let Some(name) = &change.full_name {
            check_name("full name", name, 200)?;
        }
        if let Some(lang) = &change.preferred_language {
            check_name("preferred language", lang, 16)?;
        }
        let national_id = match change.national_id.as_deref().map(str::trim) {
            None => None,
            Some("") => Some(None),
            Some(typed) => Some(Some(normalize_national_id(typed)?)),
        };
        let phones = match &change.phones {
            None => None,
            Some(list) => {
                let mut out = Vec::with_capacity(list.len());
                for p in list {
                    let n = normalize_phone(p)?;
                    if !out.contains(&n) {
                        out.push(n);
                    }
                }
                Some(out)
            }
        };
        let id_hash = national_id.as_ref().map(|n| {
            n.as_ref()
                .map(|n| (self.keyed_hash(n), mask_national_id(n)))
        });
        let mut changed: Vec<&str> = Vec::new();
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let old: Option<(Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
                "SELECT full_name, national_id_masked, preferred_language FROM citizens \
                 WHERE citizen_id = $1 AND erased_at_ms IS NULL",
            )
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((old_name, old_id, old_lang)) = old else {
                return Err(StoreError::NotFound {
                    what: "citizen",
                    key: id.to_string(),
                });
            };
            let old_phones: Vec<String> = sqlx::query_scalar(
                "SELECT number FROM citizen_phones WHERE citizen_id = $1 ORDER BY number",
            )
            .bind(id.0)
            .fetch_all(&mut *tx)
            .await?;
            let mut replaced = serde_json::Map::new();
            if let Some(name) = &change.full_name {
                if old_name.as_deref() != Some(name.trim()) {
                    sqlx::query("UPDATE citizens SET full_name = $1 WHERE citizen_id = $2")
                        .bind(name.trim())
                        .bind(id.0)
                        .execute(&mut *tx)
                        .await?;
                    replaced.insert("full_name".into(), json!(old_name));
                    changed.push("full_name");
                }
            }
            if let Some(lang) = &change.preferred_language {
                if old_lang.as_deref() != Some(lang.trim()) {
                    sqlx::query(
                        "UPDATE citizens SET preferred_language = $1 WHERE citizen_id = $2",
                    )
                    .bind(lang.trim())
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                    replaced.insert("preferred_language".into(), json!(old_lang));
                    changed.push("preferred_language");
                }
            }
            if let Some(new_id) = &id_hash {
                let (hash, masked) = match new_id {
                    Some((h, m)) => (Some(h.as_str()), Some(m.as_str())),
                    None => (None, None),
                };
                if old_id.as_deref() != masked || hash.is_none() != old_id.is_none() {
                    let taken: Option<i64> = match hash {
                        Some(h) => {
                            sqlx::query_scalar(
                                "SELECT citizen_id FROM citizens WHERE national_id_hmac = $1 AND citizen_id <> $2",
                            )
                            .bind(h)
                            .bind(id.0)
                            .fetch_optional(&mut *tx)
                            .await?
                        }
                        None => None,
                    };
                    if taken.is_some() {
                        return Err(StoreError::AlreadyExists {
                            field: "national ID",
                        });
                    }
                    sqlx::query(
                        "UPDATE citizens SET national_id_hmac = $1, national_id_masked = $2 WHERE citizen_id = $3",
                    )
                    .bind(hash)
                    .bind(masked)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                    // The full old ID was never stored: its mask is what it replaced.
                    replaced.insert("national_id_masked".into(), json!(old_id));
                    changed.push("national_id");
                }
            }
            if let Some(new_phones) = &phones {
                let mut sorted = new_phones.clone();
                sorted.sort();
                if sorted != old_phones {
                    sqlx::query("DELETE FROM citizen_phones WHERE citizen_id = $1")
                        .bind(id.0)
                        .execute(&mut *tx)
                        .await?;
                    for p in new_phones {
                        sqlx::query(
                            "INSERT INTO citizen_phones (citizen_id, number) VALUES ($1, $2)",
                        )
                        .bind(id.0)
                        .bind(p.as_str())
                        .execute(&mut *tx)
                        .await?;
                    }
                    replaced.insert("phones".into(), json!(old_phones));
                    changed.push("phones");
                }
            }
            let detail = serde_json::Value::Object(replaced).to_string();
            insert_audit!(&mut *tx, ctx, "rectify", Some(id.0), None, Some(detail))?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })?;
        self.write_receipt(
            ctx,
            RequestKind::Rectification,
            id,
            request_ref,
            json!({ "fields_changed": changed }),
        )
        .await
    }

    /// Restriction: the record is kept but not used for follow-up calls or
    /// analytics (`restricted = false` lifts it). Audited; a receipt.
    pub async fn restrict_citizen(
        &self,
        ctx: &AuditContext,
        id: CitizenId,
        request_ref: &str,
        restricted: bool,
    ) -> Result<Receipt> {
        officer_context(ctx)?;
        check_request_ref(request_ref)?;
        let at = ctx.at.as_millis();
        let changed = with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let rows = sqlx::query(
                "UPDATE citizens SET restricted_at_ms = CASE WHEN $1 = 1 THEN COALESCE(restricted_at_ms, $2) ELSE NULL END \
                 WHERE citizen_id = $3 AND erased_at_ms IS NULL",
            )
            .bind(i64::from(restricted))
            .bind(at)
            .bind(id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if rows == 0 {
                return Err(StoreError::NotFound {
                    what: "citizen",
                    key: id.to_string(),
                });
            }
            let action = if restricted {
                "restrict"
            } else {
                "lift_restriction"
            };
            insert_audit!(&mut *tx, ctx, action, Some(id.0), None)?;
            tx.commit().await?;
            Ok::<_, StoreError>(rows)
        })?;
        let kind = if restricted {
            RequestKind::Restriction
        } else {
            RequestKind::RestrictionLifted
        };
        self.write_receipt(
            ctx,
            kind,
            id,
            request_ref,
            json!({ "restricted": restricted, "records": changed,
                    "applies_to": ["follow_up_calls", "analytics"] }),
        )
        .await
    }

    /// Whether the citizen's record is restricted (no follow-up calls).
    pub async fn is_restricted(&self, id: CitizenId) -> Result<bool> {
        let at: Option<Option<i64>> = with_pool!(self, |pool| {
            sqlx::query_scalar("SELECT restricted_at_ms FROM citizens WHERE citizen_id = $1")
                .bind(id.0)
                .fetch_optional(pool)
                .await?
        });
        Ok(matches!(at, Some(Some(_))))
    }

    /// Erasure: [`Store::erase_citizen`] in the database, then every
    /// recording and voice-message file of their calls deleted, the SQLite
    /// WAL checkpointed (with `secure_delete` on, the old rows' bytes are
    /// gone from the file), and the receipt written. Refused while call
    /// events wait in the spool: replayed after the erasure they would
    /// bring the citizen's number back (flush the writer first).
    pub async fn erase_citizen_everywhere(
        &self,
        ctx: &AuditContext,
        id: CitizenId,
        request_ref: &str,
        files: &DataFiles,
    ) -> Result<Receipt> {
        officer_context(ctx)?;
        check_request_ref(request_ref)?;
        let waiting = spooled_lines(&files.spool_dir)?;
        if waiting > 0 {
            return Err(StoreError::EventsSpooled { events: waiting });
        }
        let report = self.erase_citizen(ctx, id).await?;
        let outcomes: Vec<FileOutcome> = report
            .recordings_to_delete
            .iter()
            .map(|path| files.delete_recording(path))
            .collect();
        let checkpointed = self.checkpoint().await?;
        let count = |o: &str| outcomes.iter().filter(|f| f.outcome == o).count();
        let details = json!({
            "removed": {
                "record": ["full_name", "national_id", "preferred_language"],
                "phones": report.phones_deleted,
                "consents": report.consents_deleted,
                "tags": report.tags_deleted,
                "callbacks": report.callbacks_deleted,
                "attachments": report.attachments_deleted,
                "recording_files": count("deleted"),
            },
            "anonymised": {
                "calls": report.calls_anonymised,
                "call_events": report.events_anonymised,
                "cases_and_work_orders": report.cases_anonymised,
                "work_order_events": report.order_events_anonymised,
                "audit_entries": report.audit_entries_anonymised,
            },
            "files": outcomes,
            "spool": "empty",
            "database_file_checkpointed": checkpointed,
            "kept": "the calls' times, queues, dispositions and categories, and the work orders' \
                     departments and deadlines, without anything that identifies the citizen, so \
                     the statistics stay true",
        });
        self.write_receipt(ctx, RequestKind::Erasure, id, request_ref, details)
            .await
    }

    /// Moves every committed page from SQLite's WAL into the database file
    /// and truncates the WAL, so no old page version (an erased row's) is
    /// left in it; `true` when it completed (a long reader can hold it
    /// off). PostgreSQL: nothing to do here (its own vacuum reclaims dead
    /// rows), `true`.
    pub async fn checkpoint(&self) -> Result<bool> {
        let Pool::Sqlite(pool) = self.pool() else {
            return Ok(true);
        };
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(pool)
            .await?;
        Ok(busy == 0)
    }
}

fn append_bytes(
    archive: &mut tar::Builder<Vec<u8>>,
    name: &str,
    bytes: &[u8],
    at_ms: i64,
) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o600);
    header.set_mtime(u64::try_from(at_ms / 1000).unwrap_or_default());
    header.set_cksum();
    archive.append_data(&mut header, name, bytes)
}
