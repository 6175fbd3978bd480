//! The whole centre's live picture: this node's board merged with the
//! boards the other nodes of a centre published through the store, so a
//! wallboard shows every node's callers and agents whichever node the
//! supervisor is on.
//!
//! A queue's figures add up over the nodes (each caller waits on one node,
//! each agent is logged in on one), its longest wait is the longest of
//! any node's. An agent the ACD of several nodes knows (every node knows
//! every agent account) is shown once, as the node where they are logged
//! in sees them; logged out everywhere, as logged out.

use std::collections::BTreeMap;

use crate::api::{LiveAgent, LiveBoard, LiveQueue};

/// A board older than this is a node that stopped publishing (dead, or
/// cut off from the store): left out.
pub const FRESH_MS: i64 = 5_000;

/// `local` with `others` merged in (those older than [`FRESH_MS`] before
/// `local` left out). The result keeps `local`'s time.
pub fn merge(local: &LiveBoard, others: &[LiveBoard]) -> LiveBoard {
    let fresh: Vec<&LiveBoard> = others
        .iter()
        .filter(|b| b.at_ms >= local.at_ms - FRESH_MS)
        .collect();
    if fresh.is_empty() {
        return local.clone();
    }
    let mut queues: BTreeMap<&str, LiveQueue> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    let mut agents: BTreeMap<&str, &LiveAgent> = BTreeMap::new();
    let mut agent_order: Vec<&str> = Vec::new();
    for board in std::iter::once(local).chain(fresh) {
        for q in &board.queues {
            match queues.get_mut(q.queue.as_str()) {
                Some(sum) => {
                    sum.waiting += q.waiting;
                    sum.longest_wait_ms = sum.longest_wait_ms.max(q.longest_wait_ms);
                    sum.agents_logged_in += q.agents_logged_in;
                    sum.available += q.available;
                    sum.offered += q.offered;
                    sum.on_call += q.on_call;
                    sum.wrap_up += q.wrap_up;
                    sum.on_break += q.on_break;
                }
                None => {
                    order.push(&q.queue);
                    queues.insert(&q.queue, q.clone());
                }
            }
        }
        for a in &board.agents {
            match agents.get(a.agent.as_str()) {
                Some(seen) if !prefer(a, seen) => {}
                Some(_) => {
                    agents.insert(&a.agent, a);
                }
                None => {
                    agent_order.push(&a.agent);
                    agents.insert(&a.agent, a);
                }
            }
        }
    }
    LiveBoard {
        at_ms: local.at_ms,
        queues: order.iter().filter_map(|q| queues.remove(q)).collect(),
        agents: agent_order
            .iter()
            .filter_map(|a| agents.get(a).map(|a| (*a).clone()))
            .collect(),
    }
}

/// Whether `candidate` is the better picture of an agent than `seen`: one
/// logged in beats one logged out; of two logged in, the one that changed
/// state last.
fn prefer(candidate: &LiveAgent, seen: &LiveAgent) -> bool {
    let logged_in = |a: &LiveAgent| a.state != "logged_out";
    match (logged_in(candidate), logged_in(seen)) {
        (true, false) => true,
        (false, _) => false,
        (true, true) => candidate.in_state_ms < seen.in_state_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(name: &str, waiting: u32, longest: u64, available: u32) -> LiveQueue {
        LiveQueue {
            queue: name.into(),
            department: "dept".into(),
            waiting,
            longest_wait_ms: longest,
            agents_logged_in: available,
            available,
            offered: 0,
            on_call: 0,
            wrap_up: 0,
            on_break: 0,
        }
    }

    fn agent(name: &str, state: &str, in_state_ms: u64) -> LiveAgent {
        LiveAgent {
            agent: name.into(),
            state: state.into(),
            reason: None,
            in_state_ms,
            calls_answered: 0,
            queues: vec!["general".into()],
        }
    }

    fn board(at_ms: i64, queues: Vec<LiveQueue>, agents: Vec<LiveAgent>) -> LiveBoard {
        LiveBoard {
            at_ms,
            queues,
            agents,
        }
    }

    #[test]
    fn queues_add_up_and_the_longest_wait_is_the_longest() {
        let local = board(
            10_000,
            vec![queue("general", 2, 30_000, 1), queue("tax", 0, 0, 0)],
            vec![],
        );
        let other = board(9_000, vec![queue("general", 3, 45_000, 2)], vec![]);
        let merged = merge(&local, &[other]);
        assert_eq!(merged.at_ms, 10_000);
        let names: Vec<_> = merged.queues.iter().map(|q| q.queue.as_str()).collect();
        assert_eq!(names, ["general", "tax"], "the local order");
        assert_eq!(merged.queues[0].waiting, 5);
        assert_eq!(merged.queues[0].longest_wait_ms, 45_000);
        assert_eq!(merged.queues[0].available, 3);
        assert_eq!(merged.queues[0].agents_logged_in, 3);
    }

    #[test]
    fn an_agent_is_shown_as_the_node_where_they_are_logged_in_sees_them() {
        let local = board(
            10_000,
            vec![],
            vec![
                agent("agent1", "logged_out", 900_000),
                agent("agent2", "available", 5_000),
            ],
        );
        let other = board(
            10_000,
            vec![],
            vec![
                agent("agent1", "on_call", 12_000),
                agent("agent2", "logged_out", 900_000),
            ],
        );
        let merged = merge(&local, &[other]);
        let states: Vec<_> = merged
            .agents
            .iter()
            .map(|a| (a.agent.as_str(), a.state.as_str()))
            .collect();
        assert_eq!(states, [("agent1", "on_call"), ("agent2", "available")]);
    }

    #[test]
    fn a_stale_board_is_left_out() {
        let local = board(100_000, vec![queue("general", 1, 1_000, 0)], vec![]);
        let stale = board(
            100_000 - FRESH_MS - 1,
            vec![queue("general", 9, 99_000, 4)],
            vec![agent("agent9", "available", 1)],
        );
        let merged = merge(&local, &[stale]);
        assert_eq!(merged.queues[0].waiting, 1);
        assert!(merged.agents.is_empty());
    }
}
