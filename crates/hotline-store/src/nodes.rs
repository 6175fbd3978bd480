//! The nodes of a centre of several (`cluster.node`): who is alive, by a
//! lease each node renews, and what happens to a node that stops renewing.
//!
//! A node whose lease ran out is *taken over* by exactly one of the others
//! (the first whose conditional update claims it): the taker closes out
//! the dead node's calls (their records end with `crashed_process`, as a
//! restart would) and hands its open callbacks back to the pool, from which
//! the live nodes adopt them. A node that stops cleanly hands its
//! callbacks back itself. A single node (no `cluster.node`) writes nothing
//! here and works the whole callback list.

use hotline_types::{CallId, Timestamp};
use serde::Serialize;

use crate::callbacks::{from_row, Row, COLUMNS};
use crate::citizens::check_name;
use crate::db::with_pool;
use crate::error::Result;
use crate::{Callback, Store};

/// One node as the store knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct NodeLease {
    pub node_id: String,
    pub sip: String,
    pub http: String,
    pub started_at_ms: i64,
    pub renewed_at_ms: i64,
    pub lease_until_ms: i64,
    pub stopped_at_ms: Option<i64>,
    pub taken_over_by: Option<String>,
    pub taken_over_at_ms: Option<i64>,
}

impl NodeLease {
    /// Alive at `now`: its lease runs and it has neither stopped nor been
    /// taken over.
    pub fn is_alive(&self, now: Timestamp) -> bool {
        self.stopped_at_ms.is_none()
            && self.taken_over_by.is_none()
            && self.lease_until_ms >= now.as_millis()
    }
}

/// What taking over one dead node did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakeOver {
    pub node: String,
    /// Its calls, closed out.
    pub calls: Vec<CallId>,
    /// Its open callbacks, handed back for the live nodes to adopt.
    pub callbacks: u64,
}

/// Open callbacks adopted in one go at most (the rest at the next round).
const ADOPT_AT_ONCE: i64 = 500;

impl Store {
    /// `node` joins (or rejoins, after a restart) with a lease until
    /// `now + lease_ms`. A rejoining node is alive again, whatever it was.
    pub async fn join_node(
        &self,
        node: &str,
        sip: &str,
        http: &str,
        now: Timestamp,
        lease_ms: i64,
    ) -> Result<()> {
        check_name("node", node, 64)?;
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO nodes (node_id, sip, http, started_at_ms, renewed_at_ms, lease_until_ms) \
                 VALUES ($1, $2, $3, $4, $4, $5) \
                 ON CONFLICT (node_id) DO UPDATE SET sip = $2, http = $3, started_at_ms = $4, \
                 renewed_at_ms = $4, lease_until_ms = $5, stopped_at_ms = NULL, \
                 taken_over_by = NULL, taken_over_at_ms = NULL",
            )
            .bind(node)
            .bind(sip)
            .bind(http)
            .bind(now.as_millis())
            .bind(now.as_millis().saturating_add(lease_ms))
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Renews `node`'s lease. `false`: the node had been taken over (it was
    /// silent longer than its lease, e.g. cut off from the database) and
    /// must rejoin; its calls' records were closed out meanwhile.
    pub async fn renew_node(&self, node: &str, now: Timestamp, lease_ms: i64) -> Result<bool> {
        let done = with_pool!(self, |pool| {
            sqlx::query(
                "UPDATE nodes SET renewed_at_ms = $2, lease_until_ms = $3 \
                 WHERE node_id = $1 AND taken_over_by IS NULL AND stopped_at_ms IS NULL",
            )
            .bind(node)
            .bind(now.as_millis())
            .bind(now.as_millis().saturating_add(lease_ms))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// `node` stops cleanly (its calls are drained): it is no longer alive
    /// and its open callbacks go back to the pool. Returns how many.
    pub async fn leave_node(&self, node: &str, now: Timestamp) -> Result<u64> {
        with_pool!(self, |pool| {
            let mut tx = crate::db::BeginWrite::begin_write(pool).await?;
            sqlx::query("UPDATE nodes SET stopped_at_ms = $2 WHERE node_id = $1")
                .bind(node)
                .bind(now.as_millis())
                .execute(&mut *tx)
                .await?;
            let released = sqlx::query(
                "UPDATE callbacks SET node = NULL \
                 WHERE node = $1 AND status IN ('pending', 'placing')",
            )
            .bind(node)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok(released)
        })
    }

    /// Takes over every node other than `me` whose lease ran out before
    /// `now`: each is claimed by one conditional update, so of several live
    /// nodes sweeping at once exactly one takes a given dead node. Closes
    /// out the taken nodes' calls and hands their callbacks back.
    pub async fn take_over_lapsed_nodes(&self, me: &str, now: Timestamp) -> Result<Vec<TakeOver>> {
        let lapsed: Vec<String> = with_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT node_id FROM nodes WHERE lease_until_ms < $1 AND stopped_at_ms IS NULL \
                 AND taken_over_by IS NULL AND node_id <> $2 ORDER BY node_id",
            )
            .bind(now.as_millis())
            .bind(me)
            .fetch_all(pool)
            .await?
        });
        let mut taken = Vec::new();
        for node in lapsed {
            let claimed = with_pool!(self, |pool| {
                sqlx::query(
                    "UPDATE nodes SET taken_over_by = $2, taken_over_at_ms = $3 \
                     WHERE node_id = $1 AND lease_until_ms < $3 AND stopped_at_ms IS NULL \
                     AND taken_over_by IS NULL",
                )
                .bind(&node)
                .bind(me)
                .bind(now.as_millis())
                .execute(pool)
                .await?
                .rows_affected()
            });
            if claimed != 1 {
                continue;
            }
            let calls = self.close_out_crashed_calls(Some(&node)).await?;
            let callbacks = with_pool!(self, |pool| {
                sqlx::query(
                    "UPDATE callbacks SET node = NULL \
                     WHERE node = $1 AND status IN ('pending', 'placing')",
                )
                .bind(&node)
                .execute(pool)
                .await?
                .rows_affected()
            });
            taken.push(TakeOver {
                node,
                calls,
                callbacks,
            });
        }
        Ok(taken)
    }

    /// `me` adopts open callbacks no live node works: those handed back
    /// (no node) and those of nodes stopped or taken over. Each row goes to
    /// one node however many adopt at once. Returns what `me` got.
    pub async fn adopt_callbacks(&self, me: &str) -> Result<Vec<Callback>> {
        let sql = format!(
            "UPDATE callbacks SET node = $1 WHERE callback_id IN (\
             SELECT callback_id FROM callbacks WHERE status IN ('pending', 'placing') \
             AND (node IS NULL OR node IN (SELECT node_id FROM nodes \
             WHERE stopped_at_ms IS NOT NULL OR taken_over_by IS NOT NULL)) \
             ORDER BY priority DESC, requested_at_ms LIMIT $2) \
             AND status IN ('pending', 'placing') \
             AND (node IS NULL OR node IN (SELECT node_id FROM nodes \
             WHERE stopped_at_ms IS NOT NULL OR taken_over_by IS NOT NULL)) \
             RETURNING {COLUMNS}"
        );
        let rows: Vec<Row> = with_pool!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(me)
                .bind(ADOPT_AT_ONCE)
                .fetch_all(pool)
                .await
        })?;
        let mut adopted = rows.into_iter().map(from_row).collect::<Result<Vec<_>>>()?;
        adopted.sort_by(|a, b| {
            b.priority
                .cmp(&a.priority)
                .then(a.requested_at.cmp(&b.requested_at))
        });
        Ok(adopted)
    }

    /// Every node the store has seen, by name.
    pub async fn nodes(&self) -> Result<Vec<NodeLease>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, NodeLease>(
                "SELECT node_id, sip, http, started_at_ms, renewed_at_ms, lease_until_ms, \
                 stopped_at_ms, taken_over_by, taken_over_at_ms FROM nodes ORDER BY node_id",
            )
            .fetch_all(pool)
            .await?)
        })
    }
}

/// The most boards read back at once (a centre has a handful of nodes).
const MAX_BOARDS: i64 = 64;

impl Store {
    /// Stores `node`'s live picture (opaque JSON to the store) taken at
    /// `at`, replacing its previous one.
    pub async fn put_live_board(&self, node: &str, at: Timestamp, board: &str) -> Result<()> {
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO live_boards (node_id, at_ms, board) VALUES ($1, $2, $3) \
                 ON CONFLICT (node_id) DO UPDATE SET at_ms = $2, board = $3",
            )
            .bind(node)
            .bind(at.as_millis())
            .bind(board)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// The live pictures of the nodes other than `except` taken at `since`
    /// or later.
    pub async fn live_boards(&self, except: &str, since: Timestamp) -> Result<Vec<String>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_scalar(
                "SELECT board FROM live_boards WHERE node_id <> $1 AND at_ms >= $2 \
                 ORDER BY node_id LIMIT $3",
            )
            .bind(except)
            .bind(since.as_millis())
            .bind(MAX_BOARDS)
            .fetch_all(pool)
            .await?)
        })
    }
}
