//! The append-only call-event log and the call record (CDR) derived from it.
//!
//! Events are inserted idempotently (the event id is the primary key); only
//! the events that were new are applied to the call records, in the same
//! transaction, so the record is always exactly the fold of the log and
//! reading it is one primary-key lookup. The statistics tables (queue
//! segments, 15-minute slots) are derived in the same transaction, by
//! `stats::derive`, and so are the consents callers gave in the IVR, by
//! `ivr_consents`.

use std::collections::{HashMap, HashSet};

use hotline_types::{CallEvent, CallEventRecord, CallId, EventId, HangupSide, Timestamp};
use serde::Serialize;

use crate::db::{list_placeholders, values_placeholders, with_pool, BeginWrite};
use crate::error::{Result, StoreError};
use crate::ivr_consents::DeriveConsents;
use crate::stats::derive::{CallChange, DeriveStatistics};
use crate::Store;

/// The IVR path is kept readable, not unbounded: a caller looping in a menu
/// for an hour must not grow one row without limit.
const IVR_PATH_MAX_CHARS: usize = 1000;
/// Rows per multi-row statement on SQLite. Only these sizes are used, so
/// that the few distinct statements stay in the per-connection statement
/// cache: compiling a statement with thousands of placeholders costs more
/// than running it. Binding a parameter through sqlx looks it up by name,
/// which costs n² in the statement's width (measured: 57 % of SQLite's
/// ingest time went there with 256 rows, and `store_bench ingest` went from
/// about 42k to about 60k events/s with 16). PostgreSQL takes each column
/// as one array instead (see [`CallLog`]).
const SQLITE_STATEMENT_ROWS: [usize; 5] = [16, 8, 4, 2, 1];
/// Rows per statement elsewhere (close-out).
const ROWS_PER_STATEMENT: usize = 64;
/// [`Store::append_events_split`]: at most this many transactions at once
/// (the pool has connections for other work too), and no transaction
/// for fewer events than this (each costs a commit and a dozen round trips).
const MAX_SPLIT_TRANSACTIONS: usize = 4;
const MIN_EVENTS_PER_SPLIT: usize = 200;

/// Splits `items` into consecutive chunks whose lengths are all in `sizes`
/// (largest first, ending with 1).
pub(crate) fn statement_chunks<'a, T>(items: &'a [T], sizes: &[usize]) -> Vec<&'a [T]> {
    let mut out = Vec::new();
    let mut rest = items;
    while !rest.is_empty() {
        let size = sizes
            .iter()
            .copied()
            .find(|s| *s <= rest.len())
            .unwrap_or(1);
        let (head, tail) = rest.split_at(size);
        out.push(head);
        rest = tail;
    }
    out
}

/// The call record: everything the hotline knows about one call, derived
/// from its events. Times are unix milliseconds.
#[derive(Debug, Clone, PartialEq, Default, Serialize, sqlx::FromRow)]
pub struct CallRecord {
    pub call_id: String,
    pub caller: Option<String>,
    pub called: Option<String>,
    pub sip_call_id: Option<String>,
    pub node: Option<String>,
    /// The call this one continues (a callback) or was transferred from.
    pub linked_call: Option<String>,
    pub started_at_ms: Option<i64>,
    pub answered_at_ms: Option<i64>,
    pub ended_at_ms: Option<i64>,
    pub last_event_at_ms: i64,
    pub language: Option<String>,
    /// IVR nodes in the order entered, joined with `>`.
    pub ivr_path: Option<String>,
    /// The last queue the call entered.
    pub queue: Option<String>,
    /// When the call first entered a queue (waits count from here).
    pub queued_at_ms: Option<i64>,
    pub offered_count: i64,
    pub agent: Option<String>,
    pub agent_answered_at_ms: Option<i64>,
    /// Queue entry to agent answer, as the ACD measured it.
    pub wait_ms: Option<i64>,
    /// 1 when the caller hung up while queued.
    pub abandoned: i64,
    pub abandon_wait_ms: Option<i64>,
    /// Set while the citizen is on hold.
    pub hold_started_at_ms: Option<i64>,
    pub hold_ms: i64,
    /// Agent answer to end of call, minus hold.
    pub talk_ms: Option<i64>,
    pub wrap_ms: Option<i64>,
    pub disposition: Option<String>,
    pub hangup_side: Option<String>,
    pub hangup_cause: Option<String>,
    /// `[erased]` once retention forgot it (a transfer still happened).
    pub transferred_to: Option<String>,
    /// `[erased]` once retention forgot it (a callback was still asked for).
    pub callback_number: Option<String>,
    pub recording: Option<String>,
    /// `[expired]` once retention deleted the file (a message was still left).
    pub voicemail_recording: Option<String>,
    pub case_ref: Option<String>,
    pub survey_score: Option<i64>,
    pub packets_lost: i64,
    pub max_jitter_ms: Option<f64>,
    pub event_count: i64,
    /// 1 when the hotline placed this call to call a citizen back (its
    /// `call_started` names the request's call in `linked_call`).
    pub outbound_callback: i64,
}

/// Column list of `calls`, in [`CallRecord`] field order.
pub(crate) const CALL_COLUMNS: &[&str] = &[
    "call_id",
    "caller",
    "called",
    "sip_call_id",
    "node",
    "linked_call",
    "started_at_ms",
    "answered_at_ms",
    "ended_at_ms",
    "last_event_at_ms",
    "language",
    "ivr_path",
    "queue",
    "queued_at_ms",
    "offered_count",
    "agent",
    "agent_answered_at_ms",
    "wait_ms",
    "abandoned",
    "abandon_wait_ms",
    "hold_started_at_ms",
    "hold_ms",
    "talk_ms",
    "wrap_ms",
    "disposition",
    "hangup_side",
    "hangup_cause",
    "transferred_to",
    "callback_number",
    "recording",
    "voicemail_recording",
    "case_ref",
    "survey_score",
    "packets_lost",
    "max_jitter_ms",
    "event_count",
    "outbound_callback",
];

/// Binds every field of a [`CallRecord`] in column order.
macro_rules! bind_call_record {
    ($q:expr, $r:expr) => {{
        let r: &CallRecord = $r;
        $q.bind(r.call_id.clone())
            .bind(r.caller.clone())
            .bind(r.called.clone())
            .bind(r.sip_call_id.clone())
            .bind(r.node.clone())
            .bind(r.linked_call.clone())
            .bind(r.started_at_ms)
            .bind(r.answered_at_ms)
            .bind(r.ended_at_ms)
            .bind(r.last_event_at_ms)
            .bind(r.language.clone())
            .bind(r.ivr_path.clone())
            .bind(r.queue.clone())
            .bind(r.queued_at_ms)
            .bind(r.offered_count)
            .bind(r.agent.clone())
            .bind(r.agent_answered_at_ms)
            .bind(r.wait_ms)
            .bind(r.abandoned)
            .bind(r.abandon_wait_ms)
            .bind(r.hold_started_at_ms)
            .bind(r.hold_ms)
            .bind(r.talk_ms)
            .bind(r.wrap_ms)
            .bind(r.disposition.clone())
            .bind(r.hangup_side.clone())
            .bind(r.hangup_cause.clone())
            .bind(r.transferred_to.clone())
            .bind(r.callback_number.clone())
            .bind(r.recording.clone())
            .bind(r.voicemail_recording.clone())
            .bind(r.case_ref.clone())
            .bind(r.survey_score)
            .bind(r.packets_lost)
            .bind(r.max_jitter_ms)
            .bind(r.event_count)
            .bind(r.outbound_callback)
    }};
}
pub(crate) use bind_call_record;

/// `INSERT INTO calls (...) VALUES ... ON CONFLICT (call_id) DO UPDATE SET
/// every column = excluded.column` for `rows` rows.
pub(crate) fn upsert_calls_sql(rows: usize) -> String {
    let updates = crate::db::set_from_excluded(CALL_COLUMNS[1..].iter().copied());
    format!(
        "INSERT INTO calls ({}) VALUES {} ON CONFLICT (call_id) DO UPDATE SET {updates}",
        CALL_COLUMNS.join(", "),
        values_placeholders(rows, CALL_COLUMNS.len())
    )
}

/// PostgreSQL's type of each column of `calls`, in [`CALL_COLUMNS`] order.
const CALL_COLUMN_TYPES: [&str; 37] = [
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "bigint",
    "bigint",
    "bigint",
    "bigint",
    "text",
    "text",
    "text",
    "bigint",
    "bigint",
    "text",
    "bigint",
    "bigint",
    "bigint",
    "bigint",
    "bigint",
    "bigint",
    "bigint",
    "bigint",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "bigint",
    "bigint",
    "double precision",
    "bigint",
    "bigint",
];
const _: () = assert!(CALL_COLUMN_TYPES.len() == CALL_COLUMNS.len());

/// `UNNEST($1::t1[], $2::t2[], ...)`: one array parameter per column, in
/// `types` order (PostgreSQL).
pub(crate) fn unnest_arrays(types: &[&str]) -> String {
    let arrays = types
        .iter()
        .enumerate()
        .map(|(i, t)| format!("${}::{t}[]", i + 1))
        .collect::<Vec<_>>()
        .join(", ");
    format!("UNNEST({arrays})")
}

/// The upsert of [`upsert_calls_sql`] taking every column as one array
/// (PostgreSQL): one statement for any number of calls.
fn upsert_calls_unnest_sql() -> String {
    let updates = crate::db::set_from_excluded(CALL_COLUMNS[1..].iter().copied());
    format!(
        "INSERT INTO calls ({}) SELECT * FROM {} ON CONFLICT (call_id) DO UPDATE SET {updates}",
        CALL_COLUMNS.join(", "),
        unnest_arrays(&CALL_COLUMN_TYPES)
    )
}

/// Binds the named fields of every record as one array per field, in the
/// order given (the arrays of an `UNNEST` insert).
macro_rules! bind_columns {
    ($q:expr, $rows:expr, $($field:ident),* $(,)?) => {{
        let rows = $rows;
        $q$(.bind(rows.iter().map(|r| r.$field.clone()).collect::<Vec<_>>()))*
    }};
}
pub(crate) use bind_columns;

/// Plain multi-row `INSERT INTO calls` for `rows` rows (bulk loads).
pub(crate) fn insert_calls_sql(rows: usize) -> String {
    format!(
        "INSERT INTO calls ({}) VALUES {}",
        CALL_COLUMNS.join(", "),
        values_placeholders(rows, CALL_COLUMNS.len())
    )
}

fn hangup_side_name(side: HangupSide) -> &'static str {
    match side {
        HangupSide::Caller => "caller",
        HangupSide::Agent => "agent",
        HangupSide::System => "system",
    }
}

fn set_min(slot: &mut Option<i64>, at: i64) {
    *slot = Some(slot.map_or(at, |old| old.min(at)));
}

fn clamp_u64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl CallRecord {
    /// An empty record for a call whose first event is at `at`.
    pub fn new(call_id: CallId, at: Timestamp) -> Self {
        Self {
            call_id: call_id.to_string(),
            last_event_at_ms: at.as_millis(),
            ..Self::default()
        }
    }

    /// Folds one event into the record. Pure: the same events in the same
    /// order always give the same record.
    pub fn apply(&mut self, at: Timestamp, event: &CallEvent) {
        let at = at.as_millis();
        self.event_count += 1;
        self.last_event_at_ms = self.last_event_at_ms.max(at);
        match event {
            CallEvent::CallStarted {
                caller,
                called,
                sip_call_id,
                node,
                linked_call,
            } => {
                self.caller = Some(caller.clone());
                self.called = Some(called.clone());
                self.sip_call_id = Some(sip_call_id.clone());
                self.node = node.clone();
                if let Some(linked) = linked_call {
                    self.linked_call = Some(linked.to_string());
                    self.outbound_callback = 1;
                }
                set_min(&mut self.started_at_ms, at);
            }
            CallEvent::Answered => set_min(&mut self.answered_at_ms, at),
            CallEvent::IvrNodeEntered { node, .. } => {
                let path = self.ivr_path.get_or_insert_with(String::new);
                if path.len() + node.len() < IVR_PATH_MAX_CHARS {
                    if !path.is_empty() {
                        path.push('>');
                    }
                    path.push_str(node);
                }
            }
            CallEvent::LanguageSelected { language } => self.language = Some(language.clone()),
            CallEvent::Queued { queue, .. } => {
                self.queue = Some(queue.to_string());
                set_min(&mut self.queued_at_ms, at);
            }
            CallEvent::Offered { queue, agent } => {
                self.offered_count += 1;
                self.queue = Some(queue.to_string());
                if self.agent_answered_at_ms.is_none() {
                    self.agent = Some(agent.to_string());
                }
            }
            CallEvent::AgentAnswered {
                queue,
                agent,
                wait_ms,
            } => {
                self.queue = Some(queue.to_string());
                self.agent = Some(agent.to_string());
                set_min(&mut self.agent_answered_at_ms, at);
                self.wait_ms = Some(clamp_u64(*wait_ms));
            }
            CallEvent::Abandoned { queue, wait_ms, .. } => {
                self.queue = Some(queue.to_string());
                self.abandoned = 1;
                self.abandon_wait_ms = Some(clamp_u64(*wait_ms));
            }
            CallEvent::CallbackRequested { number, .. } => {
                self.callback_number = Some(number.clone());
            }
            CallEvent::CallbackPlaced { callback_call, .. } => {
                self.linked_call = Some(callback_call.to_string());
            }
            CallEvent::HoldStarted => {
                // A second hold start without an end keeps the first.
                self.hold_started_at_ms.get_or_insert(at);
            }
            CallEvent::HoldEnded => {
                if let Some(started) = self.hold_started_at_ms.take() {
                    self.hold_ms += (at - started).max(0);
                }
            }
            CallEvent::Transferred { to, .. } => self.transferred_to = Some(to.clone()),
            CallEvent::VoicemailRecorded {
                recording,
                case_ref,
                ..
            } => {
                self.voicemail_recording = Some(recording.clone());
                if let Some(case_ref) = case_ref {
                    self.case_ref = Some(case_ref.digits().to_owned());
                }
            }
            CallEvent::RecordingStarted { recording } => self.recording = Some(recording.clone()),
            CallEvent::CaseLinked { case_ref } => {
                self.case_ref = Some(case_ref.digits().to_owned())
            }
            CallEvent::WrapUpDone {
                agent,
                disposition,
                wrap_ms,
            } => {
                self.agent = Some(agent.to_string());
                self.disposition = Some(disposition.clone());
                self.wrap_ms = Some(clamp_u64(*wrap_ms));
            }
            CallEvent::SurveyAnswered { score } => self.survey_score = Some(i64::from(*score)),
            CallEvent::MediaQuality {
                packets_lost,
                jitter_ms,
                ..
            } => {
                self.packets_lost = self.packets_lost.saturating_add(clamp_u64(*packets_lost));
                if jitter_ms.is_finite() {
                    self.max_jitter_ms =
                        Some(self.max_jitter_ms.map_or(*jitter_ms, |j| j.max(*jitter_ms)));
                }
            }
            CallEvent::Ended { side, cause } => {
                if self.ended_at_ms.is_none() {
                    self.ended_at_ms = Some(at);
                    self.hangup_side = Some(hangup_side_name(*side).to_owned());
                    self.hangup_cause = Some(cause.clone());
                }
                if let Some(started) = self.hold_started_at_ms.take() {
                    self.hold_ms += (at - started).max(0);
                }
            }
            // Events that do not change the record (prompts, digits,
            // retries, variables, lookups, overflows, ring-no-answer) and
            // variants added later stay in the event log only.
            _ => {}
        }
        if let (Some(answered), Some(ended)) = (self.agent_answered_at_ms, self.ended_at_ms) {
            self.talk_ms = Some((ended - answered - self.hold_ms).max(0));
        }
    }
}

/// What one [`Store::append_events`] call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AppendOutcome {
    /// Events written for the first time.
    pub inserted: usize,
    /// Events whose id was already in the log (a replay); skipped.
    pub duplicates: usize,
}

/// Parses a stored call id.
pub(crate) fn parse_call_id(s: &str) -> Result<CallId> {
    uuid::Uuid::parse_str(s)
        .map(CallId)
        .map_err(|e| StoreError::CorruptData {
            what: "call id",
            detail: e.to_string(),
        })
}

/// The event log's and the call records' rows, per backend: what
/// [`Store::append_events`] reads and writes besides the statistics.
/// SQLite takes multi-row `VALUES` statements of the widths in
/// [`SQLITE_STATEMENT_ROWS`]; PostgreSQL takes each column as one array
/// (`INSERT ... SELECT * FROM UNNEST(...)`, `= ANY($1)`), one statement per
/// step whatever the batch size (see bench/store/README.md for why).
pub(crate) trait CallLog {
    /// Inserts `events` (distinct ids; `payloads[i]` is the JSON of
    /// `events[i]`), skipping ids already stored. Returns the ids inserted.
    async fn insert_new_events(
        &mut self,
        events: &[&CallEventRecord],
        payloads: &[String],
    ) -> Result<HashSet<String>>;

    /// The stored records of `call_ids`, by call id (absent ones omitted).
    async fn load_calls(&mut self, call_ids: &[CallId]) -> Result<HashMap<String, CallRecord>>;

    /// Writes `records` (distinct call ids) over whatever is stored.
    async fn upsert_calls(&mut self, records: &[CallRecord]) -> Result<()>;
}

impl CallLog for sqlx::SqliteConnection {
    async fn insert_new_events(
        &mut self,
        events: &[&CallEventRecord],
        payloads: &[String],
    ) -> Result<HashSet<String>> {
        let mut inserted = HashSet::with_capacity(events.len());
        let payload_chunks = statement_chunks(payloads, &SQLITE_STATEMENT_ROWS);
        for (chunk, chunk_payloads) in statement_chunks(events, &SQLITE_STATEMENT_ROWS)
            .into_iter()
            .zip(payload_chunks)
        {
            let sql = format!(
                "INSERT INTO call_events (event_id, call_id, at_ms, kind, payload) VALUES {} \
                 ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
                values_placeholders(chunk.len(), 5)
            );
            let mut q = sqlx::query_scalar::<_, String>(&sql);
            for (e, payload) in chunk.iter().zip(chunk_payloads) {
                q = q
                    .bind(e.id.to_string())
                    .bind(e.call_id.to_string())
                    .bind(e.at.as_millis())
                    .bind(e.event.kind())
                    .bind(payload.as_str());
            }
            inserted.extend(q.fetch_all(&mut *self).await?);
        }
        Ok(inserted)
    }

    async fn load_calls(&mut self, call_ids: &[CallId]) -> Result<HashMap<String, CallRecord>> {
        let mut records = HashMap::with_capacity(call_ids.len());
        for chunk in statement_chunks(call_ids, &SQLITE_STATEMENT_ROWS) {
            let sql = format!(
                "SELECT {} FROM calls WHERE call_id IN ({})",
                CALL_COLUMNS.join(", "),
                list_placeholders(1, chunk.len())
            );
            let mut q = sqlx::query_as::<_, CallRecord>(&sql);
            for id in chunk {
                q = q.bind(id.to_string());
            }
            for r in q.fetch_all(&mut *self).await? {
                records.insert(r.call_id.clone(), r);
            }
        }
        Ok(records)
    }

    async fn upsert_calls(&mut self, records: &[CallRecord]) -> Result<()> {
        for chunk in statement_chunks(records, &SQLITE_STATEMENT_ROWS) {
            let sql = upsert_calls_sql(chunk.len());
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = bind_call_record!(q, r);
            }
            q.execute(&mut *self).await?;
        }
        Ok(())
    }
}

impl CallLog for sqlx::PgConnection {
    async fn insert_new_events(
        &mut self,
        events: &[&CallEventRecord],
        payloads: &[String],
    ) -> Result<HashSet<String>> {
        if events.is_empty() {
            return Ok(HashSet::new());
        }
        let ids: Vec<String> = events.iter().map(|e| e.id.to_string()).collect();
        let call_ids: Vec<String> = events.iter().map(|e| e.call_id.to_string()).collect();
        let at_ms: Vec<i64> = events.iter().map(|e| e.at.as_millis()).collect();
        let kinds: Vec<&str> = events.iter().map(|e| e.event.kind()).collect();
        let inserted: Vec<String> = sqlx::query_scalar(
            "INSERT INTO call_events (event_id, call_id, at_ms, kind, payload) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[]) \
             ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
        )
        .bind(ids)
        .bind(call_ids)
        .bind(at_ms)
        .bind(kinds)
        .bind(payloads)
        .fetch_all(&mut *self)
        .await?;
        Ok(inserted.into_iter().collect())
    }

    /// One index probe per id (the `OFFSET 0` keeps the subquery a
    /// parameterised scan inside a nested loop). `call_id = ANY($1)` or a
    /// plain join leave the choice to the planner, which on a table not yet
    /// analysed (a new node, the benchmark) guesses a large share of rows
    /// match and scans the whole table: measured, on 17k calls that was
    /// 6 ms per batch against 0.3 ms, and growing with the table.
    async fn load_calls(&mut self, call_ids: &[CallId]) -> Result<HashMap<String, CallRecord>> {
        if call_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT c.* FROM UNNEST($1::text[]) AS k(id), \
             LATERAL (SELECT {} FROM calls WHERE call_id = k.id OFFSET 0) AS c",
            CALL_COLUMNS.join(", ")
        );
        let ids: Vec<String> = call_ids.iter().map(|id| id.to_string()).collect();
        let rows = sqlx::query_as::<_, CallRecord>(&sql)
            .bind(ids)
            .fetch_all(&mut *self)
            .await?;
        Ok(rows.into_iter().map(|r| (r.call_id.clone(), r)).collect())
    }

    async fn upsert_calls(&mut self, records: &[CallRecord]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let sql = upsert_calls_unnest_sql();
        // In CALL_COLUMNS order.
        let q = bind_columns!(
            sqlx::query(&sql),
            records,
            call_id,
            caller,
            called,
            sip_call_id,
            node,
            linked_call,
            started_at_ms,
            answered_at_ms,
            ended_at_ms,
            last_event_at_ms,
            language,
            ivr_path,
            queue,
            queued_at_ms,
            offered_count,
            agent,
            agent_answered_at_ms,
            wait_ms,
            abandoned,
            abandon_wait_ms,
            hold_started_at_ms,
            hold_ms,
            talk_ms,
            wrap_ms,
            disposition,
            hangup_side,
            hangup_cause,
            transferred_to,
            callback_number,
            recording,
            voicemail_recording,
            case_ref,
            survey_score,
            packets_lost,
            max_jitter_ms,
            event_count,
            outbound_callback,
        );
        q.execute(&mut *self).await?;
        Ok(())
    }
}

impl Store {
    /// Appends events to the log and updates the call records they concern,
    /// in one transaction. Idempotent: an event id already stored is
    /// skipped, so replaying a batch is harmless.
    pub async fn append_events(&self, events: &[CallEventRecord]) -> Result<AppendOutcome> {
        let events: Vec<&CallEventRecord> = events.iter().collect();
        self.append_event_refs(&events).await
    }

    /// [`Store::append_events`] in up to `transactions` transactions run at
    /// once, on PostgreSQL: the calls are split between them, each call's
    /// events staying together and in order, so every call record is
    /// still the fold of its events. The statistics are kept right by the
    /// same means as for several nodes writing at once (see `stats::derive`).
    /// What one transaction wrote stays when another fails; the error is
    /// returned, and writing the events again skips what is stored. SQLite
    /// has one writer at a time: one transaction.
    pub async fn append_events_split(
        &self,
        events: &[CallEventRecord],
        transactions: usize,
    ) -> Result<AppendOutcome> {
        let parts = match self.backend() {
            crate::Backend::Sqlite => 1,
            crate::Backend::Postgres => transactions.clamp(1, MAX_SPLIT_TRANSACTIONS),
        };
        if parts == 1 || events.len() < MIN_EVENTS_PER_SPLIT * 2 {
            return self.append_events(events).await;
        }
        let parts = parts.min(events.len() / MIN_EVENTS_PER_SPLIT);
        let mut groups: Vec<Vec<&CallEventRecord>> = vec![Vec::new(); parts];
        for e in events {
            // Version 7 ids end in random bits: the calls spread evenly.
            let part = (e.call_id.0.as_u128() % parts as u128) as usize;
            groups[part].push(e);
        }
        let outcomes = futures_util::future::join_all(
            groups
                .iter()
                .filter(|g| !g.is_empty())
                .map(|g| self.append_event_refs(g)),
        )
        .await;
        let mut total = AppendOutcome::default();
        for outcome in outcomes {
            let outcome = outcome?;
            total.inserted += outcome.inserted;
            total.duplicates += outcome.duplicates;
        }
        Ok(total)
    }

    /// [`Store::append_events`] on borrowed records.
    async fn append_event_refs(&self, events: &[&CallEventRecord]) -> Result<AppendOutcome> {
        if events.is_empty() {
            return Ok(AppendOutcome::default());
        }
        // The same event twice in one batch counts once.
        let mut seen = HashSet::with_capacity(events.len());
        let unique: Vec<&CallEventRecord> = events
            .iter()
            .copied()
            .filter(|e| seen.insert(e.id))
            .collect();
        let mut payloads = Vec::with_capacity(unique.len());
        for e in &unique {
            payloads.push(serde_json::to_string(&e.event).map_err(|err| {
                StoreError::InvalidValue {
                    field: "event",
                    reason: err.to_string(),
                }
            })?);
        }
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let inserted_ids = tx.insert_new_events(&unique, &payloads).await?;
            // Group the new events by call, keeping their order.
            let mut by_call: HashMap<CallId, Vec<&CallEventRecord>> = HashMap::new();
            for e in &unique {
                if inserted_ids.contains(&e.id.to_string()) {
                    by_call.entry(e.call_id).or_default().push(e);
                }
            }
            let call_ids: Vec<CallId> = by_call.keys().copied().collect();
            let mut records = tx.load_calls(&call_ids).await?;
            let mut updated = Vec::with_capacity(by_call.len());
            let mut changes = Vec::with_capacity(by_call.len());
            for (call_id, mut evs) in by_call {
                evs.sort_by_key(|e| e.at);
                let key = call_id.to_string();
                let before = records.remove(&key);
                let mut record = before
                    .clone()
                    .unwrap_or_else(|| CallRecord::new(call_id, evs[0].at));
                for e in &evs {
                    record.apply(e.at, &e.event);
                }
                changes.push(CallChange {
                    call_id: key,
                    before,
                    after: record.clone(),
                    events: evs,
                });
                updated.push(record);
            }
            tx.upsert_calls(&updated).await?;
            // Queue segments and statistics slots, in the same transaction.
            tx.derive_statistics(&changes).await?;
            // The callers' consents onto the citizens' records, likewise.
            tx.derive_consents(&changes).await?;
            tx.commit().await?;
            Ok(AppendOutcome {
                inserted: inserted_ids.len(),
                duplicates: events.len() - inserted_ids.len(),
            })
        })
    }

    /// The call record of one call, if any event of it was stored.
    pub async fn call_record(&self, call_id: CallId) -> Result<Option<CallRecord>> {
        let sql = format!(
            "SELECT {} FROM calls WHERE call_id = $1",
            CALL_COLUMNS.join(", ")
        );
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, CallRecord>(&sql)
                .bind(call_id.to_string())
                .fetch_optional(pool)
                .await?)
        })
    }

    /// The stored events of one call, in time order.
    pub async fn call_events(&self, call_id: CallId) -> Result<Vec<CallEventRecord>> {
        let rows: Vec<(String, i64, String)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT event_id, at_ms, payload FROM call_events WHERE call_id = $1 \
                 ORDER BY at_ms, event_id",
            )
            .bind(call_id.to_string())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(id, at, payload)| {
                let id = uuid::Uuid::parse_str(&id).map_err(|e| StoreError::CorruptData {
                    what: "event id",
                    detail: e.to_string(),
                })?;
                let event =
                    serde_json::from_str(&payload).map_err(|e| StoreError::CorruptData {
                        what: "event payload",
                        detail: e.to_string(),
                    })?;
                Ok(CallEventRecord {
                    id: EventId(id),
                    call_id,
                    at: Timestamp(at),
                    event,
                })
            })
            .collect()
    }

    /// The numbers the hotline dialled out to (one entry per `dialled`
    /// event, so a number dialled twice is listed twice) at or after
    /// `since`: what the dial plan's daily limit counts, read back at start
    /// so that a restart does not reset it: callbacks and work orders'
    /// follow-up calls alike (a follow-up continues no call, so the calls
    /// are not filtered on `linked_call`). Only calls started in the day
    /// before `since` or later are looked at, through the calls' start
    /// index; only outbound calls have `dialled` events.
    pub async fn numbers_dialled_since(&self, since: Timestamp) -> Result<Vec<String>> {
        const DAY_MS: i64 = 24 * 3600 * 1000;
        let payloads: Vec<String> = with_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT e.payload FROM calls c JOIN call_events e ON e.call_id = c.call_id \
                 WHERE c.started_at_ms >= $1 AND e.kind = 'dialled' AND e.at_ms >= $2",
            )
            .bind(since.as_millis().saturating_sub(DAY_MS))
            .bind(since.as_millis())
            .fetch_all(pool)
            .await?
        });
        payloads
            .iter()
            .map(|payload| match serde_json::from_str(payload) {
                Ok(CallEvent::Dialled { number, .. }) => Ok(number),
                Ok(other) => Err(StoreError::CorruptData {
                    what: "dialled event",
                    detail: format!("a {} event under the kind dialled", other.kind()),
                }),
                Err(e) => Err(StoreError::CorruptData {
                    what: "event payload",
                    detail: e.to_string(),
                }),
            })
            .collect()
    }

    /// Number of events in the log (for tests, benchmarks and health pages).
    pub async fn event_count(&self) -> Result<i64> {
        with_pool!(self, |pool| {
            Ok(
                sqlx::query_scalar::<_, i64>("SELECT count(*) FROM call_events")
                    .fetch_one(pool)
                    .await?,
            )
        })
    }

    /// Ends every call that has no `ended` event, as a process that crashed
    /// left them: appends an `Ended { side: System, cause: "crashed_process" }`
    /// event at the call's last known event time. With `node`, only calls
    /// taken by that node are closed (other nodes' calls are alive).
    /// Returns the calls closed.
    pub async fn close_out_crashed_calls(&self, node: Option<&str>) -> Result<Vec<CallId>> {
        let rows: Vec<(String, i64)> = with_pool!(self, |pool| {
            match node {
                Some(node) => {
                    sqlx::query_as(
                        "SELECT call_id, last_event_at_ms FROM calls \
                         WHERE ended_at_ms IS NULL AND node = $1",
                    )
                    .bind(node)
                    .fetch_all(pool)
                    .await?
                }
                None => {
                    sqlx::query_as(
                        "SELECT call_id, last_event_at_ms FROM calls WHERE ended_at_ms IS NULL",
                    )
                    .fetch_all(pool)
                    .await?
                }
            }
        });
        let mut closed = Vec::with_capacity(rows.len());
        let mut events = Vec::with_capacity(rows.len());
        for (id, last) in rows {
            let call_id = parse_call_id(&id)?;
            closed.push(call_id);
            events.push(CallEventRecord::new(
                call_id,
                Timestamp(last),
                CallEvent::Ended {
                    side: HangupSide::System,
                    cause: "crashed_process".into(),
                },
            ));
        }
        for chunk in events.chunks(ROWS_PER_STATEMENT) {
            self.append_events(chunk).await?;
        }
        Ok(closed)
    }
}
