//! This node's membership in a centre of several nodes on one PostgreSQL
//! (`[cluster] node`; deploy/kamailio/README.md): it joins with a lease,
//! renews it every third of `lease_secs`, and on each renewal takes over
//! the nodes whose lease ran out (closing out their calls, the store's
//! `take_over_lapsed_nodes`) and adopts the callbacks no live node works,
//! which go onto this node's callback list. It leaves on a clean stop,
//! handing its open callbacks back. Every second it shares its live board
//! (the ACD's queues and agents now) through the store and hands the other
//! nodes' boards to its console, so a wallboard on any node shows the
//! whole centre.
//!
//! A single node (no `cluster.node`) has no membership: it closes out
//! every open call at start and works the whole callback list, as before.

use std::time::{Duration, SystemTime};

use hotline_store::Store;
use hotline_types::Timestamp;
use tracing::{error, info, warn};

use crate::callback_list::CallbackList;

fn now_ts() -> Timestamp {
    Timestamp::from_system_time(SystemTime::now())
}

/// Since when this node has seen the store without a break: only a node
/// that has seen it for a whole lease may judge another node silent (after
/// a database outage longer than the lease every lease has run out, and the
/// first node back must not take over the others).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seeing {
    since: Option<Timestamp>,
}

impl Seeing {
    fn since(at: Timestamp) -> Self {
        Self { since: Some(at) }
    }

    fn saw(&mut self, at: Timestamp) {
        self.since.get_or_insert(at);
    }

    fn lost(&mut self) {
        self.since = None;
    }

    fn for_a_lease(&self, now: Timestamp, lease_ms: i64) -> bool {
        self.since
            .is_some_and(|since| now.as_millis() - since.as_millis() >= lease_ms)
    }
}

/// A node of a centre.
#[derive(Debug, Clone)]
pub struct Membership {
    store: Store,
    node: String,
    sip: String,
    http: String,
    lease: Duration,
}

impl Membership {
    pub fn new(store: Store, node: String, sip: String, http: String, lease: Duration) -> Self {
        Self {
            store,
            node,
            sip,
            http,
            lease,
        }
    }

    fn lease_ms(&self) -> i64 {
        i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX)
    }

    /// Joins (or rejoins after a restart). Waits for the database, which
    /// may be away at start; the node serves calls meanwhile.
    async fn join(&self) {
        loop {
            match self
                .store
                .join_node(&self.node, &self.sip, &self.http, now_ts(), self.lease_ms())
                .await
            {
                Ok(()) => {
                    info!(
                        node = self.node,
                        lease_secs = self.lease.as_secs(),
                        "joined the centre"
                    );
                    metrics::gauge!("hotline_cluster_member").set(1.0);
                    return;
                }
                Err(e) => {
                    warn!(node = self.node, error = %e, "cannot join the centre yet: the database is away");
                    tokio::time::sleep(self.lease / 3).await;
                }
            }
        }
    }

    /// Joins, then renews, takes over and adopts until the process stops.
    pub fn spawn(self, callbacks: CallbackList) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            self.join().await;
            let mut every = tokio::time::interval(self.lease / 3);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut seeing = Seeing::since(now_ts());
            loop {
                every.tick().await;
                self.round(&callbacks, &mut seeing).await;
            }
        })
    }

    /// Shares this node's live board and takes in the others', every
    /// second, until the process stops.
    pub fn spawn_boards(&self, console: hotline_screenpop::Console) -> tokio::task::JoinHandle<()> {
        let store = self.store.clone();
        let node = self.node.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(1));
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                every.tick().await;
                if let Some(board) = console.local_board() {
                    match serde_json::to_string(&board) {
                        Ok(json) => {
                            if let Err(e) = store
                                .put_live_board(&node, Timestamp(board.at_ms), &json)
                                .await
                            {
                                tracing::debug!(error = %e, "the live board could not be shared");
                            }
                        }
                        Err(e) => warn!(error = %e, "the live board could not be encoded"),
                    }
                }
                let since = Timestamp(now_ts().as_millis() - hotline_screenpop::CENTRE_FRESH_MS);
                match store.live_boards(&node, since).await {
                    Ok(boards) => console.set_other_boards(
                        boards
                            .iter()
                            .filter_map(|b| match serde_json::from_str(b) {
                                Ok(board) => Some(board),
                                Err(e) => {
                                    warn!(error = %e, "another node's live board is unreadable: left out");
                                    None
                                }
                            })
                            .collect(),
                    ),
                    // The store is away: keep merging what was read last;
                    // the wallboard drops boards older than 5 s by itself.
                    Err(e) => tracing::debug!(error = %e, "the other nodes' boards could not be read"),
                }
            }
        })
    }

    /// One renewal round.
    async fn round(&self, callbacks: &CallbackList, seeing: &mut Seeing) {
        let now = now_ts();
        match self
            .store
            .renew_node(&self.node, now, self.lease_ms())
            .await
        {
            Ok(true) => seeing.saw(now),
            Ok(false) => {
                // Another node found this one silent past its lease (cut off
                // from the database): it closed out this node's calls in the
                // record. Rejoin; live calls go on and log on.
                error!(
                    node = self.node,
                    "this node was taken over by another while it was cut off: rejoining"
                );
                metrics::counter!("hotline_cluster_rejoins_total").increment(1);
                self.join().await;
                seeing.saw(now);
            }
            Err(e) => {
                warn!(node = self.node, error = %e, "the lease could not be renewed");
                seeing.lost();
                return;
            }
        }
        if !seeing.for_a_lease(now, self.lease_ms()) {
            // Just (re)started, or back from a database outage in which
            // every node's lease may have run out: the others get a whole
            // lease to renew theirs before anyone is taken over.
            return;
        }
        match self.store.take_over_lapsed_nodes(&self.node, now).await {
            Ok(taken) => {
                for t in taken {
                    warn!(
                        node = self.node,
                        dead = t.node,
                        calls = t.calls.len(),
                        callbacks = t.callbacks,
                        "took over a node whose lease ran out: its calls are closed out, its callbacks handed round"
                    );
                    metrics::counter!("hotline_cluster_takeovers_total").increment(1);
                }
            }
            Err(e) => warn!(node = self.node, error = %e, "lapsed nodes could not be taken over"),
        }
        match self.store.adopt_callbacks(&self.node).await {
            Ok(adopted) => callbacks.adopt(adopted),
            Err(e) => warn!(node = self.node, error = %e, "callbacks could not be adopted"),
        }
        if let Ok(nodes) = self.store.nodes().await {
            let alive = nodes.iter().filter(|n| n.is_alive(now)).count();
            metrics::gauge!("hotline_cluster_nodes_alive").set(alive as f64);
        }
    }

    /// A clean stop: this node's callbacks go back for the others.
    pub async fn leave(&self) {
        match self.store.leave_node(&self.node, now_ts()).await {
            Ok(released) => info!(node = self.node, callbacks = released, "left the centre"),
            Err(e) => {
                warn!(node = self.node, error = %e, "could not leave the centre cleanly: the others will take it over when its lease runs out")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_node_that_saw_the_store_for_a_whole_lease_takes_others_over() {
        let lease = 10_000;
        let mut seeing = Seeing::since(Timestamp(0));
        assert!(!seeing.for_a_lease(Timestamp(9_999), lease), "just joined");
        seeing.saw(Timestamp(3_000));
        assert!(seeing.for_a_lease(Timestamp(10_000), lease));
        // The database goes away, and comes back at 40 s.
        seeing.lost();
        assert!(!seeing.for_a_lease(Timestamp(40_000), lease));
        seeing.saw(Timestamp(40_000));
        seeing.saw(Timestamp(43_000));
        assert!(
            !seeing.for_a_lease(Timestamp(49_999), lease),
            "the others get a lease to renew"
        );
        assert!(seeing.for_a_lease(Timestamp(50_000), lease));
    }
}
