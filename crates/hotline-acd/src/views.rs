//! Read-only views for the wallboard, the console and the announcements:
//! agent states, a caller's position and estimated wait, queue and agent
//! snapshots, who conducts a call (`check_conducts`), and `check_invariants`, which cross-checks every index
//! against the states (used by the property test).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use hotline_types::{AgentId, CallId};

use crate::state::{avail_key, qualifies, CallStatus, Consult, Party, QueueIdx, Timer, WaitKey};
use crate::{Acd, AcdError, AgentSnapshot, AgentState, QueuePosition, QueueSnapshot};

impl Acd {
    /// The agent's state; `None` for an agent who never logged in.
    /// The agent a talking call is with (not a colleague they consult).
    pub fn call_agent(&self, call: CallId) -> Option<AgentId> {
        match self.calls.get(&call)?.status {
            CallStatus::Talking { agent } => Some(self.agents[agent].id.clone()),
            _ => None,
        }
    }

    pub fn agent_state(&self, agent: &AgentId) -> Option<AgentState> {
        let a = *self.agent_index.get(agent)?;
        Some(self.agents[a].state.clone())
    }

    /// The call `agent` conducts: they talk on it as its agent. A colleague
    /// they consult is on the line too, but conducts nothing.
    pub fn conducted_call(&self, agent: &AgentId) -> Option<CallId> {
        match self.agent_state(agent)? {
            AgentState::OnCall { call } if self.call_agent(call).as_ref() == Some(agent) => {
                Some(call)
            }
            _ => None,
        }
    }

    /// Whether `agent` may hold, transfer, consult or hang up `call`, or end
    /// its consultation: only the agent who conducts it may.
    pub fn check_conducts(&self, agent: &AgentId, call: CallId) -> Result<(), AcdError> {
        match self.agent_state(agent) {
            None => Err(AcdError::UnknownAgent(agent.clone())),
            Some(AgentState::OnCall { call: on }) if on == call => {
                if self.call_agent(call).as_ref() == Some(agent) {
                    Ok(())
                } else {
                    Err(AcdError::Consulted {
                        agent: agent.clone(),
                        call,
                    })
                }
            }
            Some(state) => Err(AcdError::NotOnThisCall {
                agent: agent.clone(),
                call,
                state: state.name(),
            }),
        }
    }

    /// Where a queued call stands; `None` when the ACD does not hold it or
    /// it is talking to an agent.
    pub fn position(&self, _now: Instant, call: CallId) -> Option<QueuePosition> {
        let entry = self.calls.get(&call)?;
        if let CallStatus::Talking { .. } = entry.status {
            return None;
        }
        let queue = &self.queues[entry.queue];
        let position = self.position_of(entry.queue, entry.key);
        Some(QueuePosition {
            queue: queue.id().clone(),
            position,
            waiting: count(queue.waiting.len() + queue.offered.len()),
            estimated_wait: self.estimated_wait(entry.queue, position),
        })
    }

    /// One line per configured queue, in configuration order.
    pub fn queue_snapshots(&self, now: Instant) -> Vec<QueueSnapshot> {
        self.display_order
            .iter()
            .map(|&q| {
                let queue = &self.queues[q];
                let longest_wait = queue
                    .waiting
                    .values()
                    .chain(queue.offered.values())
                    .filter_map(|id| self.calls.get(id))
                    .map(|c| now.saturating_duration_since(c.entered_at))
                    .max()
                    .unwrap_or(Duration::ZERO);
                let mut snapshot = QueueSnapshot {
                    queue: queue.id().clone(),
                    department: queue.config.department.clone(),
                    waiting: count(queue.waiting.len() + queue.offered.len()),
                    longest_wait,
                    agents_logged_in: count(queue.members.len()),
                    available: 0,
                    offered: 0,
                    on_call: 0,
                    wrap_up: 0,
                    on_break: 0,
                };
                for &a in &queue.members {
                    let slot = match &self.agents[a].state {
                        AgentState::LoggedOut => continue,
                        AgentState::Available => &mut snapshot.available,
                        AgentState::Offered { .. } => &mut snapshot.offered,
                        AgentState::OnCall { .. } => &mut snapshot.on_call,
                        AgentState::WrapUp { .. } => &mut snapshot.wrap_up,
                        AgentState::Break { .. } => &mut snapshot.on_break,
                    };
                    *slot += 1;
                }
                snapshot
            })
            .collect()
    }

    /// Every agent who ever logged in, in order of first login.
    pub fn agent_snapshots(&self, now: Instant) -> Vec<AgentSnapshot> {
        self.agents
            .iter()
            .map(|agent| AgentSnapshot {
                agent: agent.id.clone(),
                state: agent.state.clone(),
                in_state_for: now.saturating_duration_since(agent.since),
                calls_answered: agent.calls_answered,
                queues: agent.queue_ids.clone(),
                pending: agent.pending.clone(),
            })
            .collect()
    }

    /// 1-based place among the queue's unanswered calls (waiting and
    /// ringing), in queue order. Linear in the place.
    pub(crate) fn position_of(&self, q: QueueIdx, key: WaitKey) -> u32 {
        let queue = &self.queues[q];
        count(queue.waiting.range(..key).count() + queue.offered.range(..key).count() + 1)
    }

    /// The estimated wait at `position`: position × the mean handle time
    /// (answer to end of wrap-up) of the queue's last 20 calls ÷ the agents
    /// logged in to it and not on break. `None` without handle history or
    /// without such agents.
    pub(crate) fn estimated_wait(&self, q: QueueIdx, position: u32) -> Option<Duration> {
        let queue = &self.queues[q];
        let samples = u32::try_from(queue.handle_times.len())
            .ok()
            .filter(|&n| n > 0)?;
        let staffed = queue
            .members
            .iter()
            .filter(|&&a| {
                !matches!(
                    self.agents[a].state,
                    AgentState::Break { .. } | AgentState::LoggedOut
                )
            })
            .count();
        let staffed = u32::try_from(staffed).ok().filter(|&n| n > 0)?;
        let total = queue
            .handle_times
            .iter()
            .try_fold(Duration::ZERO, |sum, d| sum.checked_add(*d))?;
        (total / samples)
            .checked_mul(position)?
            .checked_div(staffed)
    }

    /// Cross-checks the indexes against the states; `Err` names the first
    /// inconsistency. For tests and debugging: linear in everything held.
    pub fn check_invariants(&self) -> Result<(), String> {
        if !self.dirty_agents.is_empty() || !self.dirty_calls.is_empty() {
            return Err("routing left work behind".into());
        }
        let mut in_sets = 0;
        for (q, queue) in self.queues.iter().enumerate() {
            for (key, id) in queue.waiting.iter().chain(queue.offered.iter()) {
                in_sets += 1;
                let entry = self
                    .calls
                    .get(id)
                    .ok_or_else(|| format!("queue {} holds unknown call {id}", queue.id()))?;
                if entry.queue != q || entry.key != *key {
                    return Err(format!("call {id} is filed under the wrong queue or key"));
                }
            }
            for (key, id) in &queue.waiting {
                let entry = &self.calls[id];
                if entry.status != CallStatus::Waiting {
                    return Err(format!(
                        "call {id} in the waiting order is {}",
                        entry.status.name()
                    ));
                }
                if !queue.active {
                    return Err(format!(
                        "call {id} waits in the removed queue {}",
                        queue.id()
                    ));
                }
                if entry.callback.is_none() && queue.members.is_empty() {
                    return Err(format!(
                        "call {id} waits in {} with nobody logged in",
                        queue.id()
                    ));
                }
                for &(_, _, a) in &queue.available {
                    if qualifies(&self.agents[a], entry) {
                        return Err(format!(
                            "call {id} (key {key:?}) waits while {} is available for it",
                            self.agents[a].id
                        ));
                    }
                }
            }
            for id in queue.offered.values() {
                if !matches!(self.calls[id].status, CallStatus::Offered { .. }) {
                    return Err(format!("call {id} in the offered set is not offered"));
                }
            }
            let expected_available: BTreeSet<_> = self
                .agents
                .iter()
                .enumerate()
                .filter(|(_, agent)| {
                    agent.state == AgentState::Available && agent.queues.contains(&q)
                })
                .map(|(a, agent)| avail_key(queue.config.strategy, agent, a))
                .collect();
            if expected_available != queue.available {
                return Err(format!(
                    "queue {}: the available order is stale",
                    queue.id()
                ));
            }
            let expected_members: BTreeSet<_> = self
                .agents
                .iter()
                .enumerate()
                .filter(|(_, agent)| {
                    agent.state != AgentState::LoggedOut && agent.queues.contains(&q)
                })
                .map(|(a, _)| a)
                .collect();
            if expected_members != queue.members {
                return Err(format!("queue {}: the member set is stale", queue.id()));
            }
        }
        let not_talking = self
            .calls
            .values()
            .filter(|c| !matches!(c.status, CallStatus::Talking { .. }))
            .count();
        if in_sets != not_talking {
            return Err(format!(
                "{not_talking} calls are queued but the queues hold {in_sets}"
            ));
        }
        for (id, entry) in &self.calls {
            match &entry.status {
                CallStatus::Waiting | CallStatus::Offered { .. } if entry.consult.is_some() => {
                    return Err(format!("call {id} consults while not talking"));
                }
                CallStatus::Waiting => {}
                CallStatus::Offered { agents } => {
                    if agents.is_empty() {
                        return Err(format!("call {id} is offered to nobody"));
                    }
                    for &a in agents {
                        if self.agents[a].state != (AgentState::Offered { call: *id }) {
                            return Err(format!(
                                "call {id} is offered to {} who is {}",
                                self.agents[a].id,
                                self.agents[a].state.name()
                            ));
                        }
                    }
                }
                CallStatus::Talking { agent } => {
                    if self.agents[*agent].state != (AgentState::OnCall { call: *id }) {
                        return Err(format!("call {id} talks to an agent who is not on it"));
                    }
                    if let Some(Consult {
                        party: Party::Agent(c),
                        answered,
                    }) = &entry.consult
                    {
                        let expected = if *answered {
                            AgentState::OnCall { call: *id }
                        } else {
                            AgentState::Offered { call: *id }
                        };
                        if self.agents[*c].state != expected || c == agent {
                            return Err(format!(
                                "call {id} consults {} who is {}",
                                self.agents[*c].id,
                                self.agents[*c].state.name()
                            ));
                        }
                    }
                }
            }
            if let Some(at) = entry.deadline {
                if !self.timers.contains(&(at, Timer::Call(*id))) {
                    return Err(format!("call {id} has a deadline without a timer"));
                }
            }
        }
        for (a, agent) in self.agents.iter().enumerate() {
            match &agent.state {
                AgentState::Offered { call } => {
                    let offered = self.calls.get(call).is_some_and(|c| {
                        matches!(&c.status, CallStatus::Offered { agents } if agents.contains(&a))
                            || c.consult
                                == Some(Consult {
                                    party: Party::Agent(a),
                                    answered: false,
                                })
                    });
                    if !offered {
                        return Err(format!(
                            "{} rings for call {call} that is not offered to them",
                            agent.id
                        ));
                    }
                }
                AgentState::OnCall { call } => {
                    let talking = self.calls.get(call).is_some_and(|c| {
                        c.status == CallStatus::Talking { agent: a }
                            || c.consult
                                == Some(Consult {
                                    party: Party::Agent(a),
                                    answered: true,
                                })
                    });
                    if !talking {
                        return Err(format!("{} is on call {call} that is not theirs", agent.id));
                    }
                }
                _ => {}
            }
            let needs_deadline = matches!(
                agent.state,
                AgentState::Offered { .. } | AgentState::WrapUp { .. }
            );
            if agent.deadline.is_some() && !needs_deadline {
                return Err(format!(
                    "{} has a deadline while {}",
                    agent.id,
                    agent.state.name()
                ));
            }
            if let Some(at) = agent.deadline {
                if !self.timers.contains(&(at, Timer::Agent(a))) {
                    return Err(format!("{} has a deadline without a timer", agent.id));
                }
            }
            if agent.pending.is_some()
                && !matches!(
                    agent.state,
                    AgentState::OnCall { .. } | AgentState::WrapUp { .. }
                )
            {
                return Err(format!(
                    "{} has a pending change while {}",
                    agent.id,
                    agent.state.name()
                ));
            }
        }
        for (at, timer) in &self.timers {
            let owned = match timer {
                Timer::Agent(a) => self.agents[*a].deadline == Some(*at),
                Timer::Call(id) => self.calls.get(id).is_some_and(|c| c.deadline == Some(*at)),
            };
            if !owned {
                return Err(format!("timer {timer:?} has no owner"));
            }
        }
        Ok(())
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
