//! Rebuilding every statistics table from the event log: once after
//! upgrading a store that has events from before the statistics tables
//! existed, and as the proof that the incremental upkeep is right (a test
//! compares the two).

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use hotline_types::{CallEvent, CallEventRecord, CallId, EventId, Timestamp};

use crate::db::{with_pool, BeginWrite};
use crate::error::{Result, StoreError};
use crate::events::{parse_call_id, CallRecord, CALL_COLUMNS};
use crate::stats::aggregate::{slot_of, AgentSlot, IvrSlot, QueueSlotBuilder};
use crate::stats::derive::{derive, stats_chunks, upsert_segments_sql, CallChange};
use crate::stats::segments::bind_segment;
use crate::Store;

/// What [`Store::rebuild_statistics`] did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RebuildReport {
    pub calls: u64,
    pub events: u64,
    /// Stored events whose payload no longer parses (skipped).
    pub unreadable_events: u64,
    pub segments: u64,
    pub seconds: f64,
}

/// Calls read per round.
const CALLS_PER_PAGE: i64 = 2_000;

/// Queue slots, agent and IVR slots, accumulated over the whole log.
#[derive(Default)]
pub(crate) struct SlotTotals {
    pub queues: BTreeMap<(i64, String), QueueSlotBuilder>,
    pub agents: BTreeMap<(i64, String), AgentSlot>,
    pub ivr: BTreeMap<(i64, String), IvrSlot>,
}

impl SlotTotals {
    pub fn add_segment(&mut self, s: &crate::stats::QueueSegment) {
        let slot = slot_of(s.entered_at_ms);
        self.queues
            .entry((slot, s.queue.clone()))
            .or_insert_with(|| QueueSlotBuilder::new(slot, &s.queue))
            .add(s);
    }
}

/// Writes accumulated slots with plain inserts (the tables are empty).
macro_rules! write_slots {
    ($conn:expr, $totals:expr) => {{
        let totals: $crate::stats::rebuild::SlotTotals = $totals;
        let queues: Vec<_> = totals.queues.into_values().map(|b| b.finish()).collect();
        for chunk in $crate::stats::derive::stats_chunks(&queues) {
            let sql = format!(
                "INSERT INTO queue_stats_15min ({}) VALUES {}",
                $crate::stats::aggregate::QUEUE_SLOT_COLUMNS,
                $crate::db::values_placeholders(
                    chunk.len(),
                    $crate::stats::aggregate::QUEUE_SLOT_COLUMN_COUNT
                )
            );
            let mut q = sqlx::query(&sql);
            for s in chunk {
                q = $crate::stats::aggregate::bind_queue_slot!(q, s);
            }
            q.execute(&mut *$conn).await?;
        }
        let agents: Vec<_> = totals
            .agents
            .into_iter()
            .filter(|(_, v)| !v.is_zero())
            .collect();
        for chunk in $crate::stats::derive::stats_chunks(&agents) {
            let sql = $crate::stats::derive::insert_slots_sql(
                "agent_stats_15min",
                "agent",
                &$crate::stats::aggregate::AGENT_SLOT_VALUES,
                chunk.len(),
            );
            let mut q = sqlx::query(&sql);
            for ((slot, agent), v) in chunk {
                q = q.bind(*slot).bind(agent.as_str());
                for x in v.values() {
                    q = q.bind(x);
                }
            }
            q.execute(&mut *$conn).await?;
        }
        let ivr: Vec<_> = totals
            .ivr
            .into_iter()
            .filter(|(_, v)| !v.is_zero())
            .collect();
        for chunk in $crate::stats::derive::stats_chunks(&ivr) {
            let sql = $crate::stats::derive::insert_slots_sql(
                "ivr_stats_15min",
                "ivr_path",
                &$crate::stats::aggregate::IVR_SLOT_VALUES,
                chunk.len(),
            );
            let mut q = sqlx::query(&sql);
            for ((slot, path), v) in chunk {
                q = q.bind(*slot).bind(path.as_str());
                for x in v.values() {
                    q = q.bind(x);
                }
            }
            q.execute(&mut *$conn).await?;
        }
    }};
}
pub(crate) use write_slots;

impl Store {
    /// Replaces the queue segments and the 15-minute slots with what the
    /// event log says, in one transaction (event writes wait or spool
    /// meanwhile). Agent state history and cases are not derived from
    /// events and are left alone. Run it once after upgrading a store whose
    /// events predate the statistics tables. A seeded store has no event
    /// log: rebuilding it empties its statistics.
    pub async fn rebuild_statistics(&self) -> Result<RebuildReport> {
        let started = Instant::now();
        let mut report = RebuildReport {
            calls: 0,
            events: 0,
            unreadable_events: 0,
            segments: 0,
            seconds: 0.0,
        };
        let select_calls = format!(
            "SELECT {} FROM calls WHERE call_id > $1 ORDER BY call_id LIMIT $2",
            CALL_COLUMNS.join(", ")
        );
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            for table in [
                "queue_segments",
                "queue_stats_15min",
                "agent_stats_15min",
                "ivr_stats_15min",
            ] {
                sqlx::query(&format!("DELETE FROM {table}"))
                    .execute(&mut *tx)
                    .await?;
            }
            let mut totals = SlotTotals::default();
            let mut last = String::new();
            loop {
                let records: Vec<CallRecord> = sqlx::query_as(&select_calls)
                    .bind(last.as_str())
                    .bind(CALLS_PER_PAGE)
                    .fetch_all(&mut *tx)
                    .await?;
                let (Some(first), Some(end)) = (records.first(), records.last()) else {
                    break;
                };
                let rows: Vec<(String, String, i64, String)> = sqlx::query_as(
                    "SELECT call_id, event_id, at_ms, payload FROM call_events \
                     WHERE call_id >= $1 AND call_id <= $2 ORDER BY call_id, at_ms, event_id",
                )
                .bind(first.call_id.as_str())
                .bind(end.call_id.as_str())
                .fetch_all(&mut *tx)
                .await?;
                last = end.call_id.clone();
                let mut events: HashMap<String, Vec<CallEventRecord>> = HashMap::new();
                for (call_id, event_id, at, payload) in rows {
                    report.events += 1;
                    let Ok(event) = serde_json::from_str::<CallEvent>(&payload) else {
                        report.unreadable_events += 1;
                        continue;
                    };
                    let id =
                        uuid::Uuid::parse_str(&event_id).map_err(|e| StoreError::CorruptData {
                            what: "event id",
                            detail: e.to_string(),
                        })?;
                    let call: CallId = parse_call_id(&call_id)?;
                    events.entry(call_id).or_default().push(CallEventRecord {
                        id: EventId(id),
                        call_id: call,
                        at: Timestamp(at),
                        event,
                    });
                }
                report.calls += records.len() as u64;
                let changes: Vec<CallChange<'_>> = records
                    .iter()
                    .map(|r| CallChange {
                        call_id: r.call_id.clone(),
                        before: None,
                        after: r.clone(),
                        events: events
                            .get(&r.call_id)
                            .map(|v| v.iter().collect())
                            .unwrap_or_default(),
                    })
                    .collect();
                let d = derive(&changes, HashMap::new());
                for s in &d.segments {
                    totals.add_segment(s);
                }
                for (key, v) in d.agents {
                    totals.agents.entry(key).or_default().add(&v, 1);
                }
                for (key, v) in d.ivr {
                    totals.ivr.entry(key).or_default().add(&v, 1);
                }
                report.segments += d.segments.len() as u64;
                for chunk in stats_chunks(&d.segments) {
                    let sql = upsert_segments_sql(chunk.len());
                    let mut q = sqlx::query(&sql);
                    for s in chunk {
                        q = bind_segment!(q, s);
                    }
                    q.execute(&mut *tx).await?;
                }
            }
            write_slots!(tx, totals);
            tx.commit().await?;
        });
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }
}
