//! Queue, department, agent and IVR-path reports by bucket, read from the
//! 15-minute slots and added up in Rust (where each queue's thresholds are
//! applied to its own slots).

use std::collections::BTreeMap;

use crate::db::with_pool;
use crate::error::Result;
use crate::stats::aggregate::{
    AgentSlot, IvrSlot, QueueSlot, QueueTotals, AGENT_SLOT_VALUES, IVR_SLOT_VALUES,
    QUEUE_SLOT_COLUMNS,
};
use crate::stats::{
    bucket_arithmetic, check_query, AgentRow, IvrGrouping, IvrRow, QueueGrouping, QueueRow,
    ReportQuery, IVR_NOT_REACHED, IVR_STOPPED_THERE, TOTAL_KEY, UNASSIGNED_DEPARTMENT,
};
use crate::{Backend, Store};

#[derive(sqlx::FromRow)]
struct AgentBucketRow {
    agent: String,
    bucket: i64,
    #[sqlx(flatten)]
    values: AgentSlot,
}

#[derive(sqlx::FromRow)]
struct IvrBucketRow {
    ivr_path: String,
    bucket: i64,
    #[sqlx(flatten)]
    values: IvrSlot,
}

/// `SELECT key, bucket, SUM(value)... GROUP BY key, bucket` over one of the
/// additive slot tables: the database adds up the slots of each bucket.
fn sum_by_bucket_sql(table: &str, key: &str, values: &[&str]) -> String {
    let sums = values
        .iter()
        .map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT {key}, ((slot_ms + $3) / $4) * $4 - $3 AS bucket, {sums} FROM {table} \
         WHERE slot_ms >= $1 AND slot_ms < $2 GROUP BY 1, 2"
    )
}

/// The report key of an IVR path.
fn ivr_key(path: &str, grouping: &IvrGrouping) -> String {
    match grouping {
        IvrGrouping::FullPath => path.to_owned(),
        IvrGrouping::Total => TOTAL_KEY.to_owned(),
        IvrGrouping::After(node) => {
            let mut nodes = path.split('>');
            if !nodes.any(|n| n == node) {
                IVR_NOT_REACHED.to_owned()
            } else {
                nodes
                    .next()
                    .map_or_else(|| IVR_STOPPED_THERE.to_owned(), str::to_owned)
            }
        }
    }
}

impl Store {
    /// Per queue, department or in total, and bucket: offered, answered,
    /// abandoned, service levels, ASA, AHT... ([`crate::QueueFigures`]),
    /// each queue under its own thresholds. Queue entries are placed in the
    /// bucket in which they entered the queue. Only buckets with entries
    /// appear; rows are sorted by key, then bucket.
    pub async fn queue_report(
        &self,
        query: &ReportQuery,
        grouping: &QueueGrouping,
    ) -> Result<Vec<QueueRow>> {
        check_query(query)?;
        // The database adds each queue's slots up per bucket (fewer rows to
        // decode); the waits are concatenated, thresholds applied below.
        let concat = |c: &str| match self.backend() {
            Backend::Sqlite => format!("CAST(group_concat({c}, '') AS BLOB) AS {c}"),
            Backend::Postgres => format!("string_agg({c}, ''::bytea) AS {c}"),
        };
        let columns: Vec<String> = QUEUE_SLOT_COLUMNS
            .split(", ")
            .map(|c| match c {
                "slot_ms" => "((slot_ms + $3) / $4) * $4 - $3 AS slot_ms".to_owned(),
                "queue" => c.to_owned(),
                "max_queued_ms" => format!("MAX({c}) AS {c}"),
                "answered_waits" | "abandon_waits" => concat(c),
                _ => format!("CAST(SUM({c}) AS BIGINT) AS {c}"),
            })
            .collect();
        let sql = format!(
            "SELECT {} FROM queue_stats_15min WHERE slot_ms >= $1 AND slot_ms < $2 \
             GROUP BY queue, ((slot_ms + $3) / $4) * $4 - $3",
            columns.join(", ")
        );
        let (shift, length) = bucket_arithmetic(query);
        let slots: Vec<QueueSlot> = with_pool!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(query.from.as_millis())
                .bind(query.to.as_millis())
                .bind(shift)
                .bind(length)
                .fetch_all(pool)
                .await?
        });
        let mut totals: BTreeMap<(String, i64), QueueTotals> = BTreeMap::new();
        for slot in &slots {
            let key = match grouping {
                QueueGrouping::Queue => slot.queue.clone(),
                QueueGrouping::Department(departments) => departments
                    .get(&slot.queue)
                    .cloned()
                    .unwrap_or_else(|| UNASSIGNED_DEPARTMENT.to_owned()),
                QueueGrouping::Total => TOTAL_KEY.to_owned(),
            };
            totals
                .entry((key, slot.slot_ms))
                .or_default()
                .add_slot(slot, query.thresholds_for(&slot.queue))?;
        }
        Ok(totals
            .into_iter()
            .map(|((key, bucket_start_ms), t)| QueueRow {
                key,
                bucket_start_ms,
                figures: t.figures(),
            })
            .collect())
    }

    /// Per agent and bucket: offers, answers, ring-no-answers, transfers,
    /// handle times, surveys ([`crate::AgentFigures`]). Offers and
    /// ring-no-answers are placed by when they happened, the rest by when
    /// the agent answered. Sorted by agent, then bucket.
    pub async fn agent_report(&self, query: &ReportQuery) -> Result<Vec<AgentRow>> {
        check_query(query)?;
        let sql = sum_by_bucket_sql("agent_stats_15min", "agent", &AGENT_SLOT_VALUES);
        let (shift, length) = bucket_arithmetic(query);
        let rows: Vec<AgentBucketRow> = with_pool!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(query.from.as_millis())
                .bind(query.to.as_millis())
                .bind(shift)
                .bind(length)
                .fetch_all(pool)
                .await?
        });
        let totals: BTreeMap<(String, i64), AgentSlot> = rows
            .into_iter()
            .map(|r| ((r.agent, r.bucket), r.values))
            .collect();
        Ok(totals
            .into_iter()
            .filter(|(_, t)| !t.is_zero())
            .map(|((agent, bucket_start_ms), t)| AgentRow {
                agent,
                bucket_start_ms,
                figures: t.figures(),
            })
            .collect())
    }

    /// Incoming calls per IVR path (or the node after a menu, or in total)
    /// and bucket of the call's start: how many reached a queue, and how
    /// the others left the IVR, with the containment rate
    /// ([`crate::IvrFigures`]). Sorted by key, then bucket.
    pub async fn ivr_report(
        &self,
        query: &ReportQuery,
        grouping: &IvrGrouping,
    ) -> Result<Vec<IvrRow>> {
        check_query(query)?;
        let sql = sum_by_bucket_sql("ivr_stats_15min", "ivr_path", &IVR_SLOT_VALUES);
        let (shift, length) = bucket_arithmetic(query);
        let rows: Vec<IvrBucketRow> = with_pool!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(query.from.as_millis())
                .bind(query.to.as_millis())
                .bind(shift)
                .bind(length)
                .fetch_all(pool)
                .await?
        });
        let mut totals: BTreeMap<(String, i64), IvrSlot> = BTreeMap::new();
        for row in rows {
            totals
                .entry((ivr_key(&row.ivr_path, grouping), row.bucket))
                .or_default()
                .add(&row.values, 1);
        }
        Ok(totals
            .into_iter()
            .filter(|(_, t)| !t.is_zero())
            .map(|((key, bucket_start_ms), t)| IvrRow {
                key,
                bucket_start_ms,
                figures: t.figures(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_node_after_a_menu_keys_the_ivr_report() {
        let after = IvrGrouping::After("main_menu".into());
        assert_eq!(ivr_key("language>main_menu>info", &after), "info");
        assert_eq!(ivr_key("language>main_menu", &after), IVR_STOPPED_THERE);
        assert_eq!(ivr_key("language", &after), IVR_NOT_REACHED);
        assert_eq!(ivr_key("a>b", &IvrGrouping::FullPath), "a>b");
    }
}
