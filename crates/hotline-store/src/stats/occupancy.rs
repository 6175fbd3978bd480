//! Agent state history and occupancy. The binary appends every agent state
//! change the ACD makes ([`Store::append_agent_states`]); occupancy over an
//! interval is computed from the changes inside it and each agent's state
//! at its start (the last change before it).

use std::collections::BTreeMap;

use hotline_types::{CallId, Timestamp};
use serde::{Deserialize, Serialize};

use crate::citizens::{check_free_text, check_name};
use crate::db::{values_placeholders, with_pool, BeginWrite};
use crate::error::{Result, StoreError};
use crate::stats::derive::stats_chunks;
use crate::stats::{bucket_start, check_query_times, Bucket, OccupancyRow, ReportQuery, SLOT_MS};
use crate::Store;

/// The agent states the history knows, as the ACD names them.
pub const AGENT_STATES: [&str; 6] = [
    "logged_out",
    "available",
    "offered",
    "on_call",
    "wrap_up",
    "break",
];

/// One agent state change, as the binary records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentStateRecord {
    pub agent: String,
    /// One of [`AGENT_STATES`]: logged_out | available | offered | on_call
    /// | wrap_up | break.
    pub state: String,
    /// Why (a break's reason, e.g. "lunch" or "ring_no_answer").
    pub reason: Option<String>,
    /// The call of an offered, on_call or wrap_up state.
    pub call: Option<CallId>,
    pub at: Timestamp,
}

/// Time spent per state, in ms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct StateTimes {
    on_call: i64,
    wrap_up: i64,
    available: i64,
    offered: i64,
    on_break: i64,
}

impl StateTimes {
    fn add(&mut self, state: &str, ms: i64) {
        match state {
            "on_call" => self.on_call += ms,
            "wrap_up" => self.wrap_up += ms,
            "available" => self.available += ms,
            "offered" => self.offered += ms,
            "break" => self.on_break += ms,
            // Logged out: not working time.
            _ => {}
        }
    }

    fn is_zero(&self) -> bool {
        *self == StateTimes::default()
    }

    /// Time on calls (talk and wrap-up) over that plus available idle time
    /// (ringing included: a ringing phone is not work yet).
    fn row(&self, agent: String, bucket_start_ms: i64) -> OccupancyRow {
        let busy = self.on_call + self.wrap_up;
        let den = busy + self.available + self.offered;
        OccupancyRow {
            agent,
            bucket_start_ms,
            on_call_ms: self.on_call,
            wrap_up_ms: self.wrap_up,
            available_ms: self.available,
            offered_ms: self.offered,
            break_ms: self.on_break,
            occupancy: (den > 0).then(|| busy as f64 / den as f64),
        }
    }
}

/// The fixed length of the query's buckets (the whole interval for `Whole`).
fn bucket_len(q: &ReportQuery) -> i64 {
    const HOUR: i64 = 3_600_000;
    match q.bucket {
        Bucket::Minutes15 => SLOT_MS,
        Bucket::Hour => HOUR,
        Bucket::Day => 24 * HOUR,
        Bucket::Week => 7 * 24 * HOUR,
        Bucket::Whole => q.to.as_millis() - q.from.as_millis(),
    }
}

/// Adds `[start, end)` in `state` to the buckets it overlaps.
fn spread(
    q: &ReportQuery,
    times: &mut BTreeMap<(String, i64), StateTimes>,
    agent: &str,
    state: &str,
    start: i64,
    end: i64,
) {
    let (start, end) = (start.max(q.from.as_millis()), end.min(q.to.as_millis()));
    let len = bucket_len(q);
    let mut at = start;
    while at < end {
        let bucket = bucket_start(q, at);
        let bucket_end = (bucket + len).min(end);
        times
            .entry((agent.to_owned(), bucket))
            .or_default()
            .add(state, bucket_end - at);
        at = bucket_end;
    }
}

#[derive(sqlx::FromRow)]
struct StateRow {
    agent: String,
    state: String,
    at_ms: i64,
}

impl Store {
    /// Appends agent state changes (in the order given, which also orders
    /// changes of the same millisecond). A change already stored (same
    /// agent, time and state) is skipped, so a retried batch is harmless.
    pub async fn append_agent_states(&self, records: &[AgentStateRecord]) -> Result<()> {
        for r in records {
            check_name("agent", &r.agent, 128)?;
            if !AGENT_STATES.contains(&r.state.as_str()) {
                return Err(StoreError::InvalidValue {
                    field: "agent state",
                    reason: format!(
                        "{:?} is not one of {}",
                        r.state.chars().take(40).collect::<String>(),
                        AGENT_STATES.join(", ")
                    ),
                });
            }
            if let Some(reason) = &r.reason {
                check_free_text("agent state reason", reason, 200)?;
            }
        }
        if records.is_empty() {
            return Ok(());
        }
        // The latest change of each agent in this batch.
        let mut latest: BTreeMap<&str, &AgentStateRecord> = BTreeMap::new();
        for r in records {
            let keep = latest.get(r.agent.as_str()).is_some_and(|l| l.at > r.at);
            if !keep {
                latest.insert(&r.agent, r);
            }
        }
        let latest: Vec<&AgentStateRecord> = latest.into_values().collect();
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            for chunk in stats_chunks(records) {
                let sql = format!(
                    "INSERT INTO agent_states (agent, state, reason, call_id, at_ms) VALUES {} \
                     ON CONFLICT (agent, at_ms, state) DO NOTHING",
                    values_placeholders(chunk.len(), 5)
                );
                let mut q = sqlx::query(&sql);
                for r in chunk {
                    q = q
                        .bind(r.agent.as_str())
                        .bind(r.state.as_str())
                        .bind(r.reason.as_deref())
                        .bind(r.call.map(|c| c.to_string()))
                        .bind(r.at.as_millis());
                }
                q.execute(&mut *tx).await?;
            }
            for chunk in stats_chunks(&latest) {
                let sql = format!(
                    "INSERT INTO agent_latest_states (agent, state, at_ms) VALUES {} \
                     ON CONFLICT (agent) DO UPDATE SET state = excluded.state, at_ms = excluded.at_ms \
                     WHERE excluded.at_ms >= agent_latest_states.at_ms",
                    values_placeholders(chunk.len(), 3)
                );
                let mut q = sqlx::query(&sql);
                for r in chunk {
                    q = q
                        .bind(r.agent.as_str())
                        .bind(r.state.as_str())
                        .bind(r.at.as_millis());
                }
                q.execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Per agent and bucket: time on call, in wrap-up, available, ringing
    /// and on break, and occupancy ([`OccupancyRow`]). An agent's state at
    /// `from` is their last change before it; their last state lasts until
    /// `to`, so for "today so far" pass the current time as `to`. Unlike the
    /// slot reports, `from` and `to` may be any millisecond. Sorted by
    /// agent, then bucket; agents with no time in a bucket are left out.
    pub async fn occupancy(&self, query: &ReportQuery) -> Result<Vec<OccupancyRow>> {
        check_query_times(query, false)?;
        let (from, to) = (query.from.as_millis(), query.to.as_millis());
        let (at_start, inside): (Vec<StateRow>, Vec<StateRow>) = with_pool!(self, |pool| {
            let at_start = sqlx::query_as(
                "SELECT s.agent, s.state, s.at_ms FROM agent_latest_states l \
                 JOIN agent_states s ON s.state_id = (SELECT x.state_id FROM agent_states x \
                   WHERE x.agent = l.agent AND x.at_ms < $1 \
                   ORDER BY x.at_ms DESC, x.state_id DESC LIMIT 1)",
            )
            .bind(from)
            .fetch_all(pool)
            .await?;
            let inside = sqlx::query_as(
                "SELECT agent, state, at_ms FROM agent_states \
                 WHERE at_ms >= $1 AND at_ms < $2 ORDER BY agent, at_ms, state_id",
            )
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await?;
            (at_start, inside)
        });
        let mut current: BTreeMap<String, (String, i64)> = at_start
            .into_iter()
            .map(|r| (r.agent, (r.state, from)))
            .collect();
        let mut times: BTreeMap<(String, i64), StateTimes> = BTreeMap::new();
        for row in inside {
            if let Some((state, since)) = current.get(&row.agent) {
                spread(query, &mut times, &row.agent, state, *since, row.at_ms);
            }
            current.insert(row.agent, (row.state, row.at_ms));
        }
        for (agent, (state, since)) in &current {
            spread(query, &mut times, agent, state, *since, to);
        }
        Ok(times
            .into_iter()
            .filter(|(_, t)| !t.is_zero())
            .map(|((agent, bucket), t)| t.row(agent, bucket))
            .collect())
    }
}
