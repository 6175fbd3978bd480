//! The state changes behind the inputs: agent state transitions (which keep
//! the per-queue availability orders and memberships in step), call entry
//! and exit, offers and their withdrawal, overflow, wrap-up and the per-call
//! timer. Every change of an agent's state goes through `set_agent_state`
//! and every deadline through `set_agent_deadline` / `reschedule_call`, so
//! the indexes cannot drift from the states.

use std::cmp::Reverse;
use std::time::Instant;

use hotline_types::{CallEvent, CallId};

use crate::acd::millis;
use crate::state::{
    avail_key, AgentIdx, CallEntry, CallStatus, QueueIdx, Timer, WaitKey, HANDLE_SAMPLES,
};
use crate::{Acd, Action, AgentState, EscalationStep, Overflow, PendingChange, Strategy};

impl Acd {
    /// Moves an agent to `state`, keeping indexes in step, and tells the
    /// owner (`AgentChanged`). `fresh_idle`: on becoming available, the agent
    /// goes to the back of the idle order (after a call, login, break);
    /// otherwise (an offer withdrawn through no fault of theirs) they keep
    /// their place.
    pub(crate) fn set_agent_state(
        &mut self,
        now: Instant,
        a: AgentIdx,
        state: AgentState,
        fresh_idle: bool,
    ) {
        let was_available = self.agents[a].state == AgentState::Available;
        let was_logged_out = self.agents[a].state == AgentState::LoggedOut;
        let is_available = state == AgentState::Available;
        let is_logged_out = state == AgentState::LoggedOut;
        if was_available {
            self.unindex_available(a);
        }
        if is_available && fresh_idle {
            self.agents[a].idle_seq = self.next_idle_seq;
            self.next_idle_seq += 1;
        }
        let agent = &mut self.agents[a];
        agent.state = state.clone();
        agent.since = now;
        let id = agent.id.clone();
        if was_logged_out && !is_logged_out {
            for &q in &self.agents[a].queues {
                self.queues[q].members.insert(a);
            }
        } else if !was_logged_out && is_logged_out {
            for &q in &self.agents[a].queues {
                self.queues[q].members.remove(&a);
            }
        }
        if is_available {
            self.index_available(a);
            self.dirty_agents.push(a);
        }
        self.actions
            .push_back(Action::AgentChanged { agent: id, state });
    }

    pub(crate) fn index_available(&mut self, a: AgentIdx) {
        let agent = &self.agents[a];
        for &q in &agent.queues {
            let queue = &mut self.queues[q];
            queue
                .available
                .insert(avail_key(queue.config.strategy, agent, a));
        }
    }

    fn unindex_available(&mut self, a: AgentIdx) {
        let agent = &self.agents[a];
        for &q in &agent.queues {
            let queue = &mut self.queues[q];
            queue
                .available
                .remove(&avail_key(queue.config.strategy, agent, a));
        }
    }

    pub(crate) fn set_agent_deadline(&mut self, a: AgentIdx, deadline: Option<Instant>) {
        if let Some(old) = self.agents[a].deadline.take() {
            self.timers.remove(&(old, Timer::Agent(a)));
        }
        if let Some(at) = deadline {
            self.timers.insert((at, Timer::Agent(a)));
        }
        self.agents[a].deadline = deadline;
    }

    /// Recomputes a call's one deadline: the earliest of its maximum wait,
    /// its next escalation step and its next announcement (waiting calls
    /// only; callback entries only escalate).
    pub(crate) fn reschedule_call(&mut self, id: CallId) {
        let Some(entry) = self.calls.get(&id) else {
            return;
        };
        let mut deadline: Option<Instant> = None;
        if entry.status == CallStatus::Waiting {
            let config = &self.queues[entry.queue].config;
            let mut consider = |at: Option<Instant>| {
                if let Some(at) = at {
                    deadline = Some(deadline.map_or(at, |d| d.min(at)));
                }
            };
            if let Some(step) = config.escalation.get(entry.next_step) {
                consider(entry.entered_at.checked_add(step.after));
            }
            if entry.callback.is_none() {
                consider(
                    config
                        .max_wait
                        .and_then(|m| entry.entered_at.checked_add(m)),
                );
                consider(entry.next_announce);
            }
        }
        if let Some(entry) = self.calls.get_mut(&id) {
            if let Some(old) = entry.deadline.take() {
                self.timers.remove(&(old, Timer::Call(id)));
            }
            entry.deadline = deadline;
            if let Some(at) = deadline {
                self.timers.insert((at, Timer::Call(id)));
            }
        }
    }

    /// Puts the entry (in no set yet) into its queue's waiting order and
    /// asks routing to look at it.
    pub(crate) fn start_waiting(&mut self, now: Instant, id: CallId) {
        let Some(entry) = self.calls.get_mut(&id) else {
            return;
        };
        let queue = &mut self.queues[entry.queue];
        entry.status = CallStatus::Waiting;
        entry.next_announce = match entry.callback {
            Some(_) => None,
            None => queue
                .config
                .announce_every
                .filter(|d| !d.is_zero())
                .and_then(|every| now.checked_add(every)),
        };
        queue.waiting.insert(entry.key, id);
        self.dirty_calls.insert((entry.key, id));
        self.reschedule_call(id);
    }

    /// Takes a waiting entry out of its queue's order (it stays in `calls`).
    pub(crate) fn leave_waiting(&mut self, id: CallId) {
        if let Some(entry) = self.calls.get(&id) {
            self.queues[entry.queue].waiting.remove(&entry.key);
        }
        self.reschedule_call_none(id);
    }

    fn reschedule_call_none(&mut self, id: CallId) {
        if let Some(entry) = self.calls.get_mut(&id) {
            if let Some(old) = entry.deadline.take() {
                self.timers.remove(&(old, Timer::Call(id)));
            }
        }
    }

    /// Removes the call from the ACD entirely and returns its entry.
    pub(crate) fn forget_call(&mut self, id: CallId) -> Option<CallEntry> {
        self.reschedule_call_none(id);
        let entry = self.calls.remove(&id)?;
        let queue = &mut self.queues[entry.queue];
        match entry.status {
            CallStatus::Waiting => {
                queue.waiting.remove(&entry.key);
            }
            CallStatus::Offered { .. } => {
                queue.offered.remove(&entry.key);
            }
            CallStatus::Talking { .. } => {}
        }
        Some(entry)
    }

    /// Queues a call (new, transferred or overflowed into `q`): emits
    /// `Queued`, then overflows at once if nobody is logged in or the queue
    /// is full; otherwise the call waits (and routing will look at it).
    pub(crate) fn enqueue_into(
        &mut self,
        now: Instant,
        id: CallId,
        q: QueueIdx,
        priority: u8,
        skills: Vec<String>,
        overflow_path: Vec<QueueIdx>,
    ) {
        let queue = &self.queues[q];
        self.actions.push_back(Action::Event {
            call: id,
            event: CallEvent::Queued {
                queue: queue.id().clone(),
                priority,
                skills: skills.clone(),
            },
        });
        let no_agents = queue.members.is_empty();
        let full = queue
            .config
            .max_waiting
            .is_some_and(|max| queue.waiting.len() + queue.offered.len() >= max);
        let entry = self.new_entry(now, q, priority, skills, None, overflow_path);
        let queue = &self.queues[q];
        let (no_agents_to, overflow_to) = (
            queue.config.no_agents.clone(),
            queue.config.overflow.clone(),
        );
        self.calls.insert(id, entry);
        if no_agents {
            self.overflow_call(now, id, no_agents_to, "no_agents");
        } else if full {
            self.overflow_call(now, id, overflow_to, "queue_full");
        } else {
            self.start_waiting(now, id);
        }
    }

    /// A callback entry straight from the callback list: waiting, with its
    /// number, in the queue's order by priority and arrival.
    pub(crate) fn insert_callback_entry(
        &mut self,
        now: Instant,
        id: CallId,
        q: QueueIdx,
        priority: u8,
        skills: Vec<String>,
        number: String,
    ) {
        let entry = self.new_entry(now, q, priority, skills, Some(number), Vec::new());
        self.calls.insert(id, entry);
        self.start_waiting(now, id);
    }

    /// A waiting entry for queue `q`, next in arrival order, with the
    /// queue's escalation steps due by `now` applied.
    fn new_entry(
        &mut self,
        now: Instant,
        q: QueueIdx,
        priority: u8,
        skills: Vec<String>,
        callback: Option<String>,
        overflow_path: Vec<QueueIdx>,
    ) -> CallEntry {
        let seq = self.next_call_seq;
        self.next_call_seq += 1;
        let mut entry = CallEntry {
            queue: q,
            base_priority: priority,
            skills,
            key: WaitKey {
                priority: Reverse(priority),
                seq,
            },
            entered_at: now,
            min_level: 1,
            skills_dropped: false,
            next_step: 0,
            status: CallStatus::Waiting,
            callback,
            next_announce: None,
            deadline: None,
            overflow_path,
            consult: None,
        };
        apply_escalation(&mut entry, &self.queues[q].config.escalation, now);
        entry
    }

    /// Sends a call (in `calls`, in no queue set) on: `Overflowed`, then
    /// either queued in the target queue or handed to the IVR. A target that
    /// is not an active queue, or one this call already overflowed out of
    /// (a loop), becomes the IVR's fallback.
    pub(crate) fn overflow_call(
        &mut self,
        now: Instant,
        id: CallId,
        target: Overflow,
        reason: &str,
    ) {
        self.reschedule_call_none(id);
        let Some(mut entry) = self.calls.remove(&id) else {
            return;
        };
        let from = entry.queue;
        let into = match &target {
            Overflow::Queue(name) => self
                .active_queue(name)
                .filter(|&t| t != from && !entry.overflow_path.contains(&t)),
            _ => None,
        };
        let target = match (&target, into) {
            (Overflow::Queue(_), None) => Overflow::Fallback,
            _ => target,
        };
        self.actions.push_back(Action::Event {
            call: id,
            event: CallEvent::Overflowed {
                from: self.queues[from].id().clone(),
                to: target.label(),
                reason: reason.to_owned(),
            },
        });
        match into {
            Some(t) => {
                entry.overflow_path.push(from);
                self.enqueue_into(
                    now,
                    id,
                    t,
                    entry.base_priority,
                    entry.skills,
                    entry.overflow_path,
                );
            }
            None => self.actions.push_back(Action::Overflow {
                call: id,
                to: target,
                reason: reason.to_owned(),
            }),
        }
    }

    /// Offers a waiting call to these available agents (one, or all for
    /// ring-all): `Offered` event, agent state, `Offer` action, ring timer.
    pub(crate) fn offer(&mut self, now: Instant, id: CallId, agents: Vec<AgentIdx>) {
        self.leave_waiting(id);
        let Some(entry) = self.calls.get_mut(&id) else {
            return;
        };
        entry.status = CallStatus::Offered {
            agents: agents.clone(),
        };
        entry.next_announce = None;
        let callback = entry.callback.clone();
        let q = entry.queue;
        self.queues[q].offered.insert(entry.key, id);
        let queue_id = self.queues[q].id().clone();
        let ring_timeout = self.queues[q].config.ring_timeout;
        let round_robin = self.queues[q].config.strategy == Strategy::RoundRobin;
        for a in agents {
            let agent = self.agents[a].id.clone();
            self.actions.push_back(Action::Event {
                call: id,
                event: CallEvent::Offered {
                    queue: queue_id.clone(),
                    agent: agent.clone(),
                },
            });
            self.set_agent_state(now, a, AgentState::Offered { call: id }, false);
            self.agents[a].offered_at = now;
            self.set_agent_deadline(a, now.checked_add(ring_timeout));
            self.actions.push_back(Action::Offer {
                call: id,
                agent,
                queue: queue_id.clone(),
                callback: callback.clone(),
            });
            if round_robin {
                self.queues[q].rr_last = Some(a);
            }
        }
    }

    /// Takes one agent off a call's offer (their ring timer too; their state
    /// is the caller's business). With no offer left the call goes back to
    /// its place at the head of the queue.
    pub(crate) fn withdraw_offer(&mut self, now: Instant, id: CallId, a: AgentIdx) {
        self.set_agent_deadline(a, None);
        let Some(entry) = self.calls.get_mut(&id) else {
            return;
        };
        let CallStatus::Offered { agents } = &mut entry.status else {
            return;
        };
        agents.retain(|&other| other != a);
        if !agents.is_empty() {
            return;
        }
        let q = entry.queue;
        self.queues[q].offered.remove(&entry.key);
        if self.queues[q].active {
            self.start_waiting(now, id);
        } else {
            self.overflow_call(now, id, Overflow::Fallback, "queue_removed");
        }
    }

    /// The agent answered: `AgentAnswered`, on call; other ring-all offers
    /// are cancelled and those agents keep their idle place.
    pub(crate) fn answer(&mut self, now: Instant, id: CallId, a: AgentIdx) {
        let Some(entry) = self.calls.get_mut(&id) else {
            return;
        };
        let others = match &entry.status {
            CallStatus::Offered { agents } => agents.iter().copied().filter(|&o| o != a).collect(),
            _ => Vec::new(),
        };
        entry.status = CallStatus::Talking { agent: a };
        let q = entry.queue;
        let wait = now.saturating_duration_since(entry.entered_at);
        self.queues[q].offered.remove(&entry.key);
        self.actions.push_back(Action::Event {
            call: id,
            event: CallEvent::AgentAnswered {
                queue: self.queues[q].id().clone(),
                agent: self.agents[a].id.clone(),
                wait_ms: millis(wait),
            },
        });
        self.set_agent_deadline(a, None);
        let agent = &mut self.agents[a];
        agent.calls_answered = agent.calls_answered.saturating_add(1);
        agent.handling = Some((q, now));
        self.set_agent_state(now, a, AgentState::OnCall { call: id }, false);
        for other in others {
            self.actions.push_back(Action::CancelOffer {
                call: id,
                agent: self.agents[other].id.clone(),
                reason: crate::CancelReason::AnsweredElsewhere,
            });
            self.set_agent_deadline(other, None);
            self.set_agent_state(now, other, AgentState::Available, false);
        }
    }

    /// The agent's phone rang out (`timed_out`) or failed: `RingNoAnswer`,
    /// the call back to the head when nobody else rings for it, the agent on
    /// break (`ring_no_answer`) or, without `rna_not_ready`, at the back of
    /// the idle order.
    pub(crate) fn ring_no_answer(
        &mut self,
        now: Instant,
        id: CallId,
        a: AgentIdx,
        timed_out: bool,
    ) {
        let Some(entry) = self.calls.get(&id) else {
            return;
        };
        let queue = &self.queues[entry.queue];
        let not_ready = queue.config.rna_not_ready;
        let agent = self.agents[a].id.clone();
        self.actions.push_back(Action::Event {
            call: id,
            event: CallEvent::RingNoAnswer {
                queue: queue.id().clone(),
                agent: agent.clone(),
                ring_ms: millis(now.saturating_duration_since(self.agents[a].offered_at)),
            },
        });
        if timed_out {
            self.actions.push_back(Action::CancelOffer {
                call: id,
                agent,
                reason: crate::CancelReason::RingTimeout,
            });
        }
        self.withdraw_offer(now, id, a);
        if not_ready {
            let state = AgentState::Break {
                reason: "ring_no_answer".into(),
            };
            self.set_agent_state(now, a, state, false);
        } else {
            self.set_agent_state(now, a, AgentState::Available, true);
        }
    }

    pub(crate) fn start_wrap_up(&mut self, now: Instant, a: AgentIdx, call: CallId, q: QueueIdx) {
        let end = now.checked_add(self.queues[q].config.wrap_up);
        self.agents[a].wrap_started = now;
        self.set_agent_state(now, a, AgentState::WrapUp { call }, false);
        self.set_agent_deadline(a, end);
    }

    /// Ends wrap-up: `WrapUpDone`, a handle-time sample for the queue, then
    /// available or the pending break or logout.
    pub(crate) fn finish_wrap_up(
        &mut self,
        now: Instant,
        a: AgentIdx,
        call: CallId,
        disposition: &str,
    ) {
        self.set_agent_deadline(a, None);
        let agent = &mut self.agents[a];
        let wrap = now.saturating_duration_since(agent.wrap_started);
        let handled = agent.handling.take();
        let pending = agent.pending.take();
        self.actions.push_back(Action::Event {
            call,
            event: CallEvent::WrapUpDone {
                agent: agent.id.clone(),
                disposition: disposition.to_owned(),
                wrap_ms: millis(wrap),
            },
        });
        if let Some((q, answered_at)) = handled {
            let samples = &mut self.queues[q].handle_times;
            samples.push_back(now.saturating_duration_since(answered_at));
            while samples.len() > HANDLE_SAMPLES {
                samples.pop_front();
            }
        }
        match pending {
            None => self.set_agent_state(now, a, AgentState::Available, true),
            Some(PendingChange::Break { reason }) => {
                self.set_agent_state(now, a, AgentState::Break { reason }, false)
            }
            Some(PendingChange::Logout) => self.log_agent_out(now, a),
        }
    }

    /// Logged out; a queue left without anyone logged in sends its waiting
    /// callers (not callback entries) to its `no_agents` target.
    pub(crate) fn log_agent_out(&mut self, now: Instant, a: AgentIdx) {
        self.set_agent_deadline(a, None);
        self.agents[a].pending = None;
        self.set_agent_state(now, a, AgentState::LoggedOut, false);
        for q in self.agents[a].queues.clone() {
            if !self.queues[q].members.is_empty() {
                continue;
            }
            let stranded: Vec<CallId> = self.queues[q]
                .waiting
                .values()
                .copied()
                .filter(|id| self.calls.get(id).is_some_and(|c| c.callback.is_none()))
                .collect();
            let target = self.queues[q].config.no_agents.clone();
            for id in stranded {
                self.leave_waiting(id);
                self.overflow_call(now, id, target.clone(), "no_agents");
            }
        }
    }

    /// A waiting call's deadline: maximum wait, escalation, announcement.
    pub(crate) fn call_timer(&mut self, now: Instant, id: CallId) {
        let Some(entry) = self.calls.get_mut(&id) else {
            return;
        };
        if entry.status != CallStatus::Waiting {
            return;
        }
        let q = entry.queue;
        let config = &self.queues[q].config;
        let past_max_wait = entry.callback.is_none()
            && config
                .max_wait
                .and_then(|m| entry.entered_at.checked_add(m))
                .is_some_and(|at| at <= now);
        if past_max_wait {
            let target = config.overflow.clone();
            self.leave_waiting(id);
            self.overflow_call(now, id, target, "max_wait");
            return;
        }
        let old_key = entry.key;
        if apply_escalation(entry, &config.escalation, now) {
            let waiting = &mut self.queues[q].waiting;
            waiting.remove(&old_key);
            waiting.insert(entry.key, id);
            self.dirty_calls.insert((entry.key, id));
        }
        let announce = entry.callback.is_none() && entry.next_announce.is_some_and(|at| at <= now);
        if announce {
            entry.next_announce = self.queues[q]
                .announce_every()
                .and_then(|every| now.checked_add(every));
            let key = entry.key;
            let position = self.position_of(q, key);
            self.actions.push_back(Action::Announce {
                call: id,
                position,
                estimated_wait: self.estimated_wait(q, position),
            });
        }
        self.reschedule_call(id);
    }
}

/// Applies the escalation steps that are due; true if any was.
fn apply_escalation(entry: &mut CallEntry, steps: &[EscalationStep], now: Instant) -> bool {
    let mut applied = false;
    while let Some(step) = steps.get(entry.next_step) {
        if entry
            .entered_at
            .checked_add(step.after)
            .is_none_or(|at| at > now)
        {
            break;
        }
        entry.key.priority = Reverse(entry.key.priority().saturating_add(step.raise_priority));
        if let Some(level) = step.min_level {
            entry.min_level = level;
        }
        if step.drop_skills {
            entry.skills_dropped = true;
        }
        entry.next_step += 1;
        applied = true;
    }
    applied
}
