//! Routing: which waiting call goes to which available agent.
//!
//! The ACD keeps one invariant between inputs: no waiting call has an
//! available agent who serves its queue and qualifies for it. So only what
//! changed needs looking at: agents that became available nominate the
//! best call they qualify for across their queues (highest priority, then
//! longest wait), and calls that became routable (new, returned to the
//! head, escalated) together with the nominated ones are served best first,
//! each by its queue's strategy among all available qualifying agents. The
//! loop repeats until nothing more can be offered. Per decision this is a
//! few ordered-set lookups, not a scan of the waiting callers.

use std::time::Instant;

use hotline_types::CallId;

use crate::state::{qualifies, skill_score, AgentIdx, CallStatus, WaitKey};
use crate::{Acd, AgentState, Strategy};

impl Acd {
    /// Offers whatever can be offered now.
    pub(crate) fn route(&mut self, now: Instant) {
        loop {
            let mut dirty = std::mem::take(&mut self.dirty_agents);
            dirty.sort_unstable();
            dirty.dedup();
            let mut nominating = Vec::new();
            for a in dirty {
                if self.agents[a].state != AgentState::Available {
                    continue;
                }
                if let Some(best) = self.best_call_for(a) {
                    self.dirty_calls.insert(best);
                    nominating.push(a);
                }
            }
            let mut offered_any = false;
            while let Some((key, id)) = self.dirty_calls.pop_first() {
                let current = self
                    .calls
                    .get(&id)
                    .is_some_and(|c| c.status == CallStatus::Waiting && c.key == key);
                if !current {
                    continue;
                }
                let agents = self.pick_agents(id);
                if !agents.is_empty() {
                    self.offer(now, id, agents);
                    offered_any = true;
                }
            }
            // Agents whose nominee went to someone else look again.
            self.dirty_agents = nominating;
            if !offered_any || self.dirty_agents.is_empty() {
                self.dirty_agents.clear();
                return;
            }
        }
    }

    /// The best waiting call across the agent's queues that the agent
    /// qualifies for: highest priority, then longest wait.
    fn best_call_for(&self, a: AgentIdx) -> Option<(WaitKey, CallId)> {
        let agent = &self.agents[a];
        let mut best: Option<(WaitKey, CallId)> = None;
        for &q in &agent.queues {
            let queue = &self.queues[q];
            if !queue.active {
                continue;
            }
            for (&key, &id) in &queue.waiting {
                if best.is_some_and(|(b, _)| key >= b) {
                    break;
                }
                if self.calls.get(&id).is_some_and(|c| qualifies(agent, c)) {
                    best = Some((key, id));
                    break;
                }
            }
        }
        best
    }

    /// The agents the call's queue strategy picks among the available ones
    /// who qualify: one, or all of them for ring-all. Empty when none.
    ///
    /// A callback entry rings one agent even in a ring-all queue: the
    /// agent's phone rings first and the citizen is dialled once that one
    /// agent answers, so ringing every phone would only keep the others
    /// from live callers (and count their offers as unanswered).
    fn pick_agents(&self, id: CallId) -> Vec<AgentIdx> {
        let Some(call) = self.calls.get(&id) else {
            return Vec::new();
        };
        let queue = &self.queues[call.queue];
        let ok = |&a: &AgentIdx| qualifies(&self.agents[a], call);
        let in_order = || queue.available.iter().map(|&(_, _, a)| a);
        match queue.config.strategy {
            Strategy::LongestIdle | Strategy::FewestCalls => {
                in_order().find(ok).into_iter().collect()
            }
            Strategy::RingAll if call.callback.is_some() => {
                in_order().find(ok).into_iter().collect()
            }
            Strategy::RingAll => in_order().filter(ok).collect(),
            Strategy::RoundRobin => {
                let start = queue.rr_last.map_or(0, |last| last as u64 + 1);
                queue
                    .available
                    .range((start, 0, 0)..)
                    .chain(queue.available.range(..(start, 0, 0)))
                    .map(|&(_, _, a)| a)
                    .find(ok)
                    .into_iter()
                    .collect()
            }
            Strategy::Skills if call.skills_dropped || call.skills.is_empty() => {
                in_order().next().into_iter().collect()
            }
            Strategy::Skills => {
                // Highest score wins; in idle order, so ties go to the longest idle.
                let mut best: Option<(u32, AgentIdx)> = None;
                for a in in_order().filter(ok) {
                    let score = skill_score(&self.agents[a], call);
                    if best.is_none_or(|(s, _)| score > s) {
                        best = Some((score, a));
                    }
                }
                best.map(|(_, a)| a).into_iter().collect()
            }
        }
    }
}
