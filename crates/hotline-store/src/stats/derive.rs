//! Keeping the statistics tables up to date as events are appended, in the
//! transaction that appends them (`Store::append_events` calls
//! [`DeriveStatistics::derive_statistics`] with the events that were new),
//! so the event-id deduplication makes this idempotent too.
//!
//! 1. The calls' queue segments are loaded, the new events folded in, and
//!    the changed segments written back.
//! 2. Each queue slot holding a changed segment is read, the segment's old
//!    share taken away and its new share added (rebuilt from the slot's
//!    segments when that cannot be exact), and written back. On PostgreSQL
//!    an advisory lock per slot (taken in a fixed order) serialises nodes
//!    updating the same slot, so none works from a stale read. SQLite has
//!    one writer at a time.
//! 3. Agent and IVR slots get the difference between the old and new
//!    contributions of each changed segment and call record, added in SQL
//!    (`x = x + excluded.x`): commutative, so concurrent nodes need no lock.
//!    Rows are written in key order, so two transactions never wait on each
//!    other in opposite orders.

use std::collections::{BTreeMap, HashMap};

use hotline_types::CallEventRecord;
use sha2::{Digest, Sha256};

use crate::db::list_placeholders;
use crate::db::values_placeholders;
use crate::error::Result;
use crate::events::{bind_columns, unnest_arrays, CallRecord};
use crate::stats::aggregate::{
    bind_queue_slot, slot_of, AgentSlot, IvrSlot, QueueSlot, AGENT_SLOT_VALUES, IVR_SLOT_VALUES,
    QUEUE_SLOT_COLUMNS, QUEUE_SLOT_COLUMN_COUNT, SLOT_MS,
};
use crate::stats::segments::{
    bind_segment, AgentTouch, CallSegments, QueueSegment, SegmentRow, SEGMENT_COLUMNS,
    SEGMENT_COLUMN_COUNT,
};

/// Rows per multi-row statement, largest first; only these sizes are used
/// so the statements stay in the statement cache. Small on SQLite: sqlx
/// binds SQLite parameters by name, and SQLite finds a name by walking the
/// statement's parameter list, so binding costs grow with the square of a
/// statement's parameter count. PostgreSQL prefers fewer round trips.
const SQLITE_ROWS: &[usize] = &[16, 4, 1];
const POSTGRES_ROWS: &[usize] = &[256, 64, 16, 4, 1];

/// Splits `items` into chunks whose lengths are in `sizes` (largest first).
fn chunks_of<'a, T>(items: &'a [T], sizes: &[usize]) -> Vec<&'a [T]> {
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

/// Chunks for statements on either backend (the SQLite sizes, which are
/// right for both when the volume is small).
pub(crate) fn stats_chunks<T>(items: &[T]) -> Vec<&[T]> {
    chunks_of(items, SQLITE_ROWS)
}

/// One call's new events, with its record before and after them.
pub(crate) struct CallChange<'a> {
    pub call_id: String,
    pub before: Option<CallRecord>,
    pub after: CallRecord,
    /// In the order they were applied.
    pub events: Vec<&'a CallEventRecord>,
}

/// A segment before (if it existed) and after new events.
pub(crate) type SegmentChange = (Option<QueueSegment>, QueueSegment);

/// What the new events change, computed before anything is written.
#[derive(Default)]
pub(crate) struct Derived {
    /// Segments to write (new or changed).
    pub segments: Vec<QueueSegment>,
    /// Changed segments by queue slot (queue, slot start). A segment never
    /// changes queue or entry time, so before and after are in one slot.
    pub queue_slots: BTreeMap<(String, i64), Vec<SegmentChange>>,
    /// Differences to add, by (slot start, agent).
    pub agents: BTreeMap<(i64, String), AgentSlot>,
    /// Differences to add, by (slot start, IVR path).
    pub ivr: BTreeMap<(i64, String), IvrSlot>,
}

/// Folds the new events of `changes` into the calls' `stored` segments.
pub(crate) fn derive(
    changes: &[CallChange<'_>],
    mut stored: HashMap<String, Vec<QueueSegment>>,
) -> Derived {
    let mut d = Derived::default();
    for change in changes {
        let before = stored.remove(&change.call_id).unwrap_or_default();
        let mut call = CallSegments::new(&change.call_id, before.clone());
        let mut touches = Vec::new();
        for e in &change.events {
            call.apply(e.at.as_millis(), &e.event, &mut touches);
        }
        for touch in touches {
            let (agent, at, slot) = match touch {
                AgentTouch::Offered { agent, at } => (
                    agent,
                    at,
                    AgentSlot {
                        offers: 1,
                        ..AgentSlot::default()
                    },
                ),
                AgentTouch::RingNoAnswer { agent, at } => (
                    agent,
                    at,
                    AgentSlot {
                        ring_no_answers: 1,
                        ..AgentSlot::default()
                    },
                ),
            };
            d.agents
                .entry((slot_of(at), agent))
                .or_default()
                .add(&slot, 1);
        }
        let old_by_seq: HashMap<i64, &QueueSegment> = before.iter().map(|s| (s.seq, s)).collect();
        for new in call.segments {
            let old = old_by_seq.get(&new.seq).copied();
            if old == Some(&new) {
                continue;
            }
            if let Some(old) = old {
                if let Some((key, contribution)) = AgentSlot::of_segment(old) {
                    d.agents.entry(key).or_default().add(&contribution, -1);
                }
            }
            d.queue_slots
                .entry((new.queue.clone(), slot_of(new.entered_at_ms)))
                .or_default()
                .push((old.cloned(), new.clone()));
            if let Some((key, contribution)) = AgentSlot::of_segment(&new) {
                d.agents.entry(key).or_default().add(&contribution, 1);
            }
            d.segments.push(new);
        }
        if let Some((key, contribution)) = change.before.as_ref().and_then(IvrSlot::of_call) {
            d.ivr.entry(key).or_default().add(&contribution, -1);
        }
        if let Some((key, contribution)) = IvrSlot::of_call(&change.after) {
            d.ivr.entry(key).or_default().add(&contribution, 1);
        }
    }
    d.agents.retain(|_, v| !v.is_zero());
    d.ivr.retain(|_, v| !v.is_zero());
    d
}

/// `INSERT ... ON CONFLICT (call_id, seq) DO UPDATE` of `rows` segments.
pub(crate) fn upsert_segments_sql(rows: usize) -> String {
    let updates = crate::db::set_from_excluded(SEGMENT_COLUMNS.split(", ").skip(2));
    format!(
        "INSERT INTO queue_segments ({SEGMENT_COLUMNS}) VALUES {} \
         ON CONFLICT (call_id, seq) DO UPDATE SET {updates}",
        values_placeholders(rows, SEGMENT_COLUMN_COUNT)
    )
}

/// PostgreSQL's type of each column of `queue_segments`, in
/// [`SEGMENT_COLUMNS`] order.
const SEGMENT_COLUMN_TYPES: [&str; SEGMENT_COLUMN_COUNT] = [
    "text", "bigint", "text", "bigint", "text", "bigint", "bigint", "bigint", "bigint", "text",
    "bigint", "bigint", "bigint", "bigint", "bigint", "bigint", "text", "bigint",
];

/// The upsert of [`upsert_segments_sql`] taking every column as one array
/// (PostgreSQL): one statement for any number of segments.
fn upsert_segments_unnest_sql() -> String {
    let updates = crate::db::set_from_excluded(SEGMENT_COLUMNS.split(", ").skip(2));
    format!(
        "INSERT INTO queue_segments ({SEGMENT_COLUMNS}) SELECT * FROM {} \
         ON CONFLICT (call_id, seq) DO UPDATE SET {updates}",
        unnest_arrays(&SEGMENT_COLUMN_TYPES)
    )
}

/// `INSERT ... ON CONFLICT DO UPDATE SET x = table.x + excluded.x` of
/// `rows` differences into an additive slot table.
pub(crate) fn add_slots_sql(table: &str, key: &str, values: &[&str], rows: usize) -> String {
    let updates = values
        .iter()
        .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO {table} (slot_ms, {key}, {}) VALUES {} \
         ON CONFLICT (slot_ms, {key}) DO UPDATE SET {updates}",
        values.join(", "),
        values_placeholders(rows, values.len() + 2)
    )
}

/// Plain multi-row insert into a slot table (bulk loads).
pub(crate) fn insert_slots_sql(table: &str, key: &str, values: &[&str], rows: usize) -> String {
    format!(
        "INSERT INTO {table} (slot_ms, {key}, {}) VALUES {}",
        values.join(", "),
        values_placeholders(rows, values.len() + 2)
    )
}

/// `INSERT ... ON CONFLICT DO UPDATE` replacing `rows` queue slot rows.
pub(crate) fn upsert_queue_slots_sql(rows: usize) -> String {
    let updates = crate::db::set_from_excluded(QUEUE_SLOT_COLUMNS.split(", ").skip(2));
    format!(
        "INSERT INTO queue_stats_15min ({QUEUE_SLOT_COLUMNS}) VALUES {} \
         ON CONFLICT (slot_ms, queue) DO UPDATE SET {updates}",
        values_placeholders(rows, QUEUE_SLOT_COLUMN_COUNT)
    )
}

/// The advisory lock id of one queue slot (PostgreSQL).
fn slot_lock_id(queue: &str, slot_ms: i64) -> i64 {
    let mut h = Sha256::new();
    h.update(b"hotline queue slot\0");
    h.update(queue.as_bytes());
    h.update([0]);
    h.update(slot_ms.to_be_bytes());
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// Serialising writers of the same queue slots, per backend.
pub(crate) trait LockSlots {
    /// Takes the transaction-scoped locks `ids` (sorted).
    async fn lock_slots(&mut self, ids: &[i64]) -> Result<()>;
}

impl LockSlots for sqlx::SqliteConnection {
    /// SQLite's write transaction (`BEGIN IMMEDIATE`) already excludes
    /// every other writer.
    async fn lock_slots(&mut self, _ids: &[i64]) -> Result<()> {
        Ok(())
    }
}

impl LockSlots for sqlx::PgConnection {
    /// Advisory locks, released at commit. One statement; the locks are
    /// taken in sorted order (a volatile function is evaluated after the
    /// sort), so two writers never wait on each other in opposite orders.
    async fn lock_slots(&mut self, ids: &[i64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "SELECT pg_advisory_xact_lock(k) FROM \
             (SELECT unnest($1::bigint[]) AS k) AS l ORDER BY k",
        )
        .bind(ids)
        .execute(&mut *self)
        .await?;
        Ok(())
    }
}

/// The queue segments' rows, per backend, as `events::CallLog` does for
/// the calls: multi-row `VALUES` on SQLite, one array per column on
/// PostgreSQL.
pub(crate) trait SegmentLog {
    /// The stored segments of `call_ids`, by call id.
    async fn load_segments(
        &mut self,
        call_ids: &[&str],
    ) -> Result<HashMap<String, Vec<QueueSegment>>>;

    /// Writes `segments` (distinct (call, seq) keys) over what is stored.
    async fn upsert_segments(&mut self, segments: &[QueueSegment]) -> Result<()>;
}

/// Groups segment rows by call.
fn by_call(rows: Vec<SegmentRow>) -> Result<HashMap<String, Vec<QueueSegment>>> {
    let mut stored: HashMap<String, Vec<QueueSegment>> = HashMap::new();
    for row in rows {
        let s = QueueSegment::try_from(row)?;
        stored.entry(s.call_id.clone()).or_default().push(s);
    }
    Ok(stored)
}

impl SegmentLog for sqlx::SqliteConnection {
    async fn load_segments(
        &mut self,
        call_ids: &[&str],
    ) -> Result<HashMap<String, Vec<QueueSegment>>> {
        let mut rows = Vec::new();
        for chunk in chunks_of(call_ids, SQLITE_ROWS) {
            let sql = format!(
                "SELECT {SEGMENT_COLUMNS} FROM queue_segments WHERE call_id IN ({})",
                list_placeholders(1, chunk.len())
            );
            let mut q = sqlx::query_as::<_, SegmentRow>(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            rows.extend(q.fetch_all(&mut *self).await?);
        }
        by_call(rows)
    }

    async fn upsert_segments(&mut self, segments: &[QueueSegment]) -> Result<()> {
        for chunk in chunks_of(segments, SQLITE_ROWS) {
            let sql = upsert_segments_sql(chunk.len());
            let mut q = sqlx::query(&sql);
            for s in chunk {
                q = bind_segment!(q, s);
            }
            q.execute(&mut *self).await?;
        }
        Ok(())
    }
}

impl SegmentLog for sqlx::PgConnection {
    async fn load_segments(
        &mut self,
        call_ids: &[&str],
    ) -> Result<HashMap<String, Vec<QueueSegment>>> {
        if call_ids.is_empty() {
            return Ok(HashMap::new());
        }
        // One index probe per call, whatever the planner knows of the
        // table: see `CallLog::load_calls` on PostgreSQL.
        let rows: Vec<SegmentRow> = sqlx::query_as(&format!(
            "SELECT s.* FROM UNNEST($1::text[]) AS k(id), LATERAL \
             (SELECT {SEGMENT_COLUMNS} FROM queue_segments WHERE call_id = k.id OFFSET 0) AS s"
        ))
        .bind(call_ids)
        .fetch_all(&mut *self)
        .await?;
        by_call(rows)
    }

    async fn upsert_segments(&mut self, segments: &[QueueSegment]) -> Result<()> {
        if segments.is_empty() {
            return Ok(());
        }
        let outcomes: Vec<&str> = segments.iter().map(|s| s.outcome.as_str()).collect();
        let sql = upsert_segments_unnest_sql();
        // In SEGMENT_COLUMNS order.
        let q = sqlx::query(&sql);
        let q = bind_columns!(q, segments, call_id, seq, queue, entered_at_ms).bind(outcomes);
        let q = bind_columns!(
            q,
            segments,
            left_at_ms,
            wait_ms,
            offers,
            ring_no_answers,
            agent,
            agent_answered_at_ms,
            hold_started_at_ms,
            hold_ms,
            talk_ms,
            wrap_ms,
            wrapped_at_ms,
            next_destination,
            survey_score,
        );
        q.execute(&mut *self).await?;
        Ok(())
    }
}

/// The statistics half of an append, on one backend's transaction.
pub(crate) trait DeriveStatistics {
    /// Updates segments and slots for the new events of `changes`.
    async fn derive_statistics(&mut self, changes: &[CallChange<'_>]) -> Result<()>;
}

macro_rules! impl_derive_statistics {
    ($db:ty, $postgres:expr) => {
        impl DeriveStatistics for sqlx::Transaction<'static, $db> {
            async fn derive_statistics(&mut self, changes: &[CallChange<'_>]) -> Result<()> {
                if changes.is_empty() {
                    return Ok(());
                }
                let conn = &mut **self;
                let sizes = if $postgres {
                    POSTGRES_ROWS
                } else {
                    SQLITE_ROWS
                };
                // 1. Segments.
                let ids: Vec<&str> = changes.iter().map(|c| c.call_id.as_str()).collect();
                let stored = conn.load_segments(&ids).await?;
                let d = derive(changes, stored);
                conn.upsert_segments(&d.segments).await?;
                // 2. Queue slots, recomputed.
                let mut locks: Vec<i64> = d
                    .queue_slots
                    .keys()
                    .map(|(queue, slot)| slot_lock_id(queue, *slot))
                    .collect();
                locks.sort_unstable();
                locks.dedup();
                conn.lock_slots(&locks).await?;
                // Read every touched slot, apply the changes, write them back.
                let keys: Vec<&(String, i64)> = d.queue_slots.keys().collect();
                let mut stored: HashMap<(String, i64), QueueSlot> = HashMap::new();
                for chunk in chunks_of(&keys, sizes) {
                    let sql = format!(
                        "SELECT {QUEUE_SLOT_COLUMNS} FROM queue_stats_15min WHERE {}",
                        (0..chunk.len())
                            .map(|i| format!(
                                "(slot_ms = ${} AND queue = ${})",
                                2 * i + 1,
                                2 * i + 2
                            ))
                            .collect::<Vec<_>>()
                            .join(" OR ")
                    );
                    let mut q = sqlx::query_as::<_, QueueSlot>(&sql);
                    for (queue, slot_ms) in chunk {
                        q = q.bind(*slot_ms).bind(queue.as_str());
                    }
                    for slot in q.fetch_all(&mut *conn).await? {
                        stored.insert((slot.queue.clone(), slot.slot_ms), slot);
                    }
                }
                let select_segments = format!(
                    "SELECT {SEGMENT_COLUMNS} FROM queue_segments \
                     WHERE queue = $1 AND entered_at_ms >= $2 AND entered_at_ms < $3"
                );
                let mut slots = Vec::with_capacity(d.queue_slots.len());
                for ((queue, slot_ms), changes) in &d.queue_slots {
                    let mut slot = stored
                        .remove(&(queue.clone(), *slot_ms))
                        .unwrap_or_else(|| QueueSlot::build(*slot_ms, queue, []));
                    let mut exact = true;
                    for (old, new) in changes {
                        exact &= slot.replace(old.as_ref(), new);
                    }
                    if !exact {
                        let rows: Vec<SegmentRow> = sqlx::query_as(&select_segments)
                            .bind(queue.as_str())
                            .bind(*slot_ms)
                            .bind(*slot_ms + SLOT_MS)
                            .fetch_all(&mut *conn)
                            .await?;
                        let segments = rows
                            .into_iter()
                            .map(QueueSegment::try_from)
                            .collect::<Result<Vec<_>>>()?;
                        slot = QueueSlot::build(*slot_ms, queue, &segments);
                    }
                    if slot.offered == 0 {
                        sqlx::query(
                            "DELETE FROM queue_stats_15min WHERE slot_ms = $1 AND queue = $2",
                        )
                        .bind(*slot_ms)
                        .bind(queue.as_str())
                        .execute(&mut *conn)
                        .await?;
                    } else {
                        slots.push(slot);
                    }
                }
                for chunk in chunks_of(&slots, sizes) {
                    let sql = upsert_queue_slots_sql(chunk.len());
                    let mut q = sqlx::query(&sql);
                    for slot in chunk {
                        q = bind_queue_slot!(q, slot);
                    }
                    q.execute(&mut *conn).await?;
                }
                // 3. Agent and IVR slots, by difference, in key order.
                let agents: Vec<(&(i64, String), &AgentSlot)> = d.agents.iter().collect();
                for chunk in chunks_of(&agents, sizes) {
                    let sql = add_slots_sql(
                        "agent_stats_15min",
                        "agent",
                        &AGENT_SLOT_VALUES,
                        chunk.len(),
                    );
                    let mut q = sqlx::query(&sql);
                    for ((slot_ms, agent), values) in chunk {
                        q = q.bind(*slot_ms).bind(agent.as_str());
                        for v in values.values() {
                            q = q.bind(v);
                        }
                    }
                    q.execute(&mut *conn).await?;
                }
                let ivr: Vec<(&(i64, String), &IvrSlot)> = d.ivr.iter().collect();
                for chunk in chunks_of(&ivr, sizes) {
                    let sql =
                        add_slots_sql("ivr_stats_15min", "ivr_path", &IVR_SLOT_VALUES, chunk.len());
                    let mut q = sqlx::query(&sql);
                    for ((slot_ms, path), values) in chunk {
                        q = q.bind(*slot_ms).bind(path.as_str());
                        for v in values.values() {
                            q = q.bind(v);
                        }
                    }
                    q.execute(&mut *conn).await?;
                }
                Ok(())
            }
        }
    };
}

impl_derive_statistics!(sqlx::Sqlite, false);
impl_derive_statistics!(sqlx::Postgres, true);
