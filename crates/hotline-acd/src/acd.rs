//! [`Acd`]: the public inputs of the decision core (agents from the console,
//! calls from the call tasks, time) and its outputs (actions, the next
//! deadline). Each input is checked first and refused whole with an
//! [`AcdError`], so a refused input changes nothing; then it changes state
//! through the operations in `ops.rs` and routing runs.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use hotline_types::{AgentId, CallEvent, CallId, QueueId};

use crate::state::{
    AgentIdx, AgentSlot, CallEntry, CallStatus, QueueIdx, QueueState, Timer, WaitKey,
};
use crate::{
    AcdConfig, AcdError, Action, AgentProfile, AgentState, CancelReason, ConsultOutcome,
    EnqueueRequest, Overflow, PendingChange,
};

/// The automatic call distributor: queues, agents and routing, for the
/// whole hotline. See the crate docs for the I/O contract.
#[derive(Debug)]
pub struct Acd {
    pub(crate) queues: Vec<QueueState>,
    pub(crate) queue_index: HashMap<QueueId, QueueIdx>,
    /// Active queues in configuration order.
    pub(crate) display_order: Vec<QueueIdx>,
    pub(crate) agents: Vec<AgentSlot>,
    pub(crate) agent_index: HashMap<AgentId, AgentIdx>,
    pub(crate) calls: HashMap<CallId, CallEntry>,
    pub(crate) timers: BTreeSet<(Instant, Timer)>,
    pub(crate) actions: VecDeque<Action>,
    pub(crate) next_call_seq: u64,
    pub(crate) next_idle_seq: u64,
    /// Agents that became available since routing last ran.
    pub(crate) dirty_agents: Vec<AgentIdx>,
    /// Calls that became routable (entered, returned, escalated) since routing last ran.
    pub(crate) dirty_calls: BTreeSet<(WaitKey, CallId)>,
}

impl Acd {
    /// An ACD with these queues, no agents and no calls.
    pub fn new(config: AcdConfig) -> Self {
        let mut acd = Self {
            queues: Vec::new(),
            queue_index: HashMap::new(),
            display_order: Vec::new(),
            agents: Vec::new(),
            agent_index: HashMap::new(),
            calls: HashMap::new(),
            timers: BTreeSet::new(),
            actions: VecDeque::new(),
            next_call_seq: 0,
            next_idle_seq: 0,
            dirty_agents: Vec::new(),
            dirty_calls: BTreeSet::new(),
        };
        acd.install(config);
        acd
    }

    /// Replaces the queue configuration (reload); callers and agents are
    /// kept. A queue named twice keeps its first definition. Callers of a
    /// queue that is no longer configured overflow to the IVR's fallback
    /// (`queue_removed`); its ringing and talking calls finish normally.
    /// New strategies, limits and timers apply at once (a caller already
    /// past a new `max_wait` overflows at the next `handle_timeout`).
    pub fn configure(&mut self, now: Instant, config: AcdConfig) {
        let removed = self.install(config);
        for q in removed {
            let waiting: Vec<CallId> = self.queues[q].waiting.values().copied().collect();
            for id in waiting {
                self.leave_waiting(id);
                self.overflow_call(now, id, Overflow::Fallback, "queue_removed");
            }
        }
        // A strategy may have changed: every preference order is rebuilt.
        for queue in &mut self.queues {
            queue.available.clear();
        }
        for a in 0..self.agents.len() {
            if self.agents[a].state == AgentState::Available {
                self.index_available(a);
                self.dirty_agents.push(a);
            }
        }
        let waiting: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(_, c)| c.status == CallStatus::Waiting)
            .map(|(id, _)| *id)
            .collect();
        for id in waiting {
            let Some(entry) = self.calls.get_mut(&id) else {
                continue;
            };
            let queue = &self.queues[entry.queue];
            entry.next_step = entry.next_step.min(queue.config.escalation.len());
            entry.next_announce = match queue.announce_every() {
                _ if entry.callback.is_some() => None,
                None => None,
                Some(every) => entry.next_announce.or_else(|| now.checked_add(every)),
            };
            self.reschedule_call(id);
        }
        self.route(now);
    }

    /// Installs a configuration; returns the queues it deactivated.
    fn install(&mut self, config: AcdConfig) -> Vec<QueueIdx> {
        let before: Vec<QueueIdx> = std::mem::take(&mut self.display_order);
        let mut now_active = HashSet::new();
        for mut qc in config.queues {
            qc.escalation.sort_by_key(|step| step.after);
            let q = match self.queue_index.get(&qc.id) {
                Some(&q) if now_active.contains(&q) => continue,
                Some(&q) => {
                    self.queues[q].config = qc;
                    self.queues[q].active = true;
                    q
                }
                None => {
                    let q = self.queues.len();
                    self.queue_index.insert(qc.id.clone(), q);
                    self.queues.push(QueueState::new(qc));
                    q
                }
            };
            now_active.insert(q);
            self.display_order.push(q);
        }
        let mut removed = Vec::new();
        for q in before {
            if !now_active.contains(&q) {
                self.queues[q].active = false;
                removed.push(q);
            }
        }
        removed
    }

    // --- agents (from the console) ---

    /// Logs the agent in as available, serving `profile.queues` (all must be
    /// configured, else `UnknownQueue`). Counters (`calls_answered`) restart.
    pub fn login(
        &mut self,
        now: Instant,
        agent: AgentId,
        profile: AgentProfile,
    ) -> Result<(), AcdError> {
        let mut queues = Vec::new();
        let mut queue_ids = Vec::new();
        for id in &profile.queues {
            match self.active_queue(id) {
                Some(q) if !queues.contains(&q) => {
                    queues.push(q);
                    queue_ids.push(id.clone());
                }
                Some(_) => {}
                None => return Err(AcdError::UnknownQueue(id.clone())),
            }
        }
        let a = match self.agent_index.get(&agent) {
            Some(&a) => {
                let state = &self.agents[a].state;
                if *state != AgentState::LoggedOut {
                    return Err(AcdError::InvalidState {
                        agent,
                        state: state.name(),
                        wanted: "logged_out",
                    });
                }
                a
            }
            None => {
                let a = self.agents.len();
                self.agent_index.insert(agent.clone(), a);
                self.agents.push(AgentSlot {
                    id: agent,
                    state: AgentState::LoggedOut,
                    since: now,
                    queue_ids: Vec::new(),
                    queues: Vec::new(),
                    skills: Vec::new(),
                    idle_seq: 0,
                    calls_answered: 0,
                    pending: None,
                    deadline: None,
                    offered_at: now,
                    wrap_started: now,
                    handling: None,
                });
                a
            }
        };
        let slot = &mut self.agents[a];
        slot.queues = queues;
        slot.queue_ids = queue_ids;
        slot.skills = profile.skills;
        slot.calls_answered = 0;
        slot.pending = None;
        slot.handling = None;
        self.set_agent_state(now, a, AgentState::Available, true);
        self.route(now);
        Ok(())
    }

    /// Back to available from a break (a no-op when already available).
    /// Any other state is `InvalidState`: wrap-up ends with `wrap_up_done`.
    pub fn set_available(&mut self, now: Instant, agent: &AgentId) -> Result<(), AcdError> {
        let a = self.agent(agent)?;
        match &self.agents[a].state {
            AgentState::Available => Ok(()),
            AgentState::Break { .. } => {
                self.set_agent_state(now, a, AgentState::Available, true);
                self.route(now);
                Ok(())
            }
            other => Err(AcdError::InvalidState {
                agent: agent.clone(),
                state: other.name(),
                wanted: "break",
            }),
        }
    }

    /// Break with a reason code. During an offer the offer is withdrawn
    /// (`CancelOffer { AgentBreak }`), the call goes back to the head of its
    /// queue and is routed again at once, and the agent is on break. During
    /// a call or wrap-up the break is pending and starts when wrap-up ends.
    /// On break already: the reason changes.
    pub fn set_break(
        &mut self,
        now: Instant,
        agent: &AgentId,
        reason: &str,
    ) -> Result<(), AcdError> {
        let a = self.agent(agent)?;
        let on_break = AgentState::Break {
            reason: reason.to_owned(),
        };
        match self.agents[a].state.clone() {
            AgentState::LoggedOut => {
                return Err(AcdError::InvalidState {
                    agent: agent.clone(),
                    state: "logged_out",
                    wanted: "logged_in",
                })
            }
            AgentState::Available => self.set_agent_state(now, a, on_break, false),
            AgentState::Break { reason: old } => {
                if old != reason {
                    self.set_agent_state(now, a, on_break, false);
                }
            }
            AgentState::Offered { call } if self.is_consultee(call, a) => {
                self.drop_consult(
                    call,
                    ConsultOutcome::Failed,
                    Some(CancelReason::AgentBreak),
                    true,
                );
                self.set_agent_state(now, a, on_break, false);
            }
            AgentState::Offered { call } => {
                self.actions.push_back(Action::CancelOffer {
                    call,
                    agent: agent.clone(),
                    reason: CancelReason::AgentBreak,
                });
                self.withdraw_offer(now, call, a);
                self.set_agent_state(now, a, on_break, false);
            }
            AgentState::OnCall { .. } | AgentState::WrapUp { .. } => {
                self.agents[a].pending = Some(PendingChange::Break {
                    reason: reason.to_owned(),
                });
            }
        }
        self.route(now);
        Ok(())
    }

    /// Logout: like a break (an offer is withdrawn; pending if on a call or
    /// in wrap-up), then logged out. When the last logged-in agent of a
    /// queue leaves, its waiting callers get the queue's `no_agents`
    /// overflow (callback entries keep waiting for agents to return).
    pub fn logout(&mut self, now: Instant, agent: &AgentId) -> Result<(), AcdError> {
        let a = self.agent(agent)?;
        match self.agents[a].state.clone() {
            AgentState::LoggedOut => {
                return Err(AcdError::InvalidState {
                    agent: agent.clone(),
                    state: "logged_out",
                    wanted: "logged_in",
                })
            }
            AgentState::Available | AgentState::Break { .. } => self.log_agent_out(now, a),
            AgentState::Offered { call } if self.is_consultee(call, a) => {
                self.drop_consult(
                    call,
                    ConsultOutcome::Failed,
                    Some(CancelReason::AgentLogout),
                    true,
                );
                self.log_agent_out(now, a);
            }
            AgentState::Offered { call } => {
                self.actions.push_back(Action::CancelOffer {
                    call,
                    agent: agent.clone(),
                    reason: CancelReason::AgentLogout,
                });
                self.withdraw_offer(now, call, a);
                self.log_agent_out(now, a);
            }
            AgentState::OnCall { .. } | AgentState::WrapUp { .. } => {
                self.agents[a].pending = Some(PendingChange::Logout);
            }
        }
        self.route(now);
        Ok(())
    }

    /// Ends wrap-up: emits `WrapUpDone { agent, disposition, wrap_ms }` for
    /// the call; the agent becomes available, or takes the pending break or
    /// logout.
    pub fn wrap_up_done(
        &mut self,
        now: Instant,
        agent: &AgentId,
        disposition: &str,
    ) -> Result<(), AcdError> {
        let a = self.agent(agent)?;
        match self.agents[a].state.clone() {
            AgentState::WrapUp { call } => {
                self.finish_wrap_up(now, a, call, disposition);
                self.route(now);
                Ok(())
            }
            other => Err(AcdError::InvalidState {
                agent: agent.clone(),
                state: other.name(),
                wanted: "wrap_up",
            }),
        }
    }

    /// Gives the agent `extra` more wrap-up time.
    pub fn extend_wrap_up(
        &mut self,
        _now: Instant,
        agent: &AgentId,
        extra: Duration,
    ) -> Result<(), AcdError> {
        let a = self.agent(agent)?;
        match &self.agents[a].state {
            AgentState::WrapUp { .. } => {
                // An end beyond what `Instant` can hold means no end.
                let end = self.agents[a].deadline.and_then(|d| d.checked_add(extra));
                self.set_agent_deadline(a, end);
                Ok(())
            }
            other => Err(AcdError::InvalidState {
                agent: agent.clone(),
                state: other.name(),
                wanted: "wrap_up",
            }),
        }
    }

    // --- calls (from the call tasks) ---

    /// The IVR queued the call: emits `Queued`. With no agent logged in to
    /// the queue, the queue's `no_agents` overflow follows at once; with
    /// `max_waiting` calls already there, its `overflow` at once.
    pub fn enqueue(
        &mut self,
        now: Instant,
        call: CallId,
        request: EnqueueRequest,
    ) -> Result<(), AcdError> {
        let q = self
            .active_queue(&request.queue)
            .ok_or_else(|| AcdError::UnknownQueue(request.queue.clone()))?;
        if let Some(entry) = self.calls.get(&call) {
            return Err(AcdError::AlreadyQueued {
                call,
                queue: self.queues[entry.queue].id().clone(),
            });
        }
        self.enqueue_into(now, call, q, request.priority, request.skills, Vec::new());
        self.route(now);
        Ok(())
    }

    /// A callback from the callback list (asked for after hours, or kept
    /// across a restart): the entry starts as a callback, with no caller on
    /// the line. No `Queued` event (the request was counted when it was
    /// made) and no overflow: with no agent logged in, or the queue full,
    /// it waits like an in-queue callback until an agent is free, then is
    /// offered with `Action::Offer { callback: Some(number) }`.
    pub fn enqueue_callback(
        &mut self,
        now: Instant,
        call: CallId,
        request: EnqueueRequest,
        number: String,
    ) -> Result<(), AcdError> {
        let q = self
            .active_queue(&request.queue)
            .ok_or_else(|| AcdError::UnknownQueue(request.queue.clone()))?;
        if let Some(entry) = self.calls.get(&call) {
            return Err(AcdError::AlreadyQueued {
                call,
                queue: self.queues[entry.queue].id().clone(),
            });
        }
        self.insert_callback_entry(now, call, q, request.priority, request.skills, number);
        self.route(now);
        Ok(())
    }

    /// The agent's phone answered the offer: emits `AgentAnswered` (its
    /// `wait_ms` from entry into this queue; a withdrawn offer does not
    /// reset it). Ring-all: the other offers are cancelled. If the offer was
    /// already withdrawn: `StaleOffer`, and the owner hangs the agent's leg up.
    pub fn offer_answered(
        &mut self,
        now: Instant,
        call: CallId,
        agent: &AgentId,
    ) -> Result<(), AcdError> {
        let a = self.live_offer(call, agent)?;
        self.answer(now, call, a);
        self.route(now);
        Ok(())
    }

    /// The agent's phone rejected the call, was busy or unreachable: as a
    /// ring-no-answer (`RingNoAnswer` event, the call back to the head, the
    /// agent on break `ring_no_answer` when the queue's `rna_not_ready`),
    /// without a `CancelOffer` (the owner already knows the leg failed).
    pub fn offer_failed(
        &mut self,
        now: Instant,
        call: CallId,
        agent: &AgentId,
    ) -> Result<(), AcdError> {
        let a = self.live_offer(call, agent)?;
        self.ring_no_answer(now, call, a, false);
        self.route(now);
        Ok(())
    }

    /// The caller hung up while waiting or while being offered: emits
    /// `Abandoned { queue, wait_ms, position }` (position 1-based at that
    /// moment); offers are cancelled (`CallerGone`) and those agents are
    /// available again, keeping their place in the idle order. A callback
    /// entry has no caller on the line any more: its hang-up is expected
    /// and ignored (`Ok`). A talking call is `InvalidCallState`
    /// (use `talk_ended`).
    pub fn abandon(&mut self, now: Instant, call: CallId) -> Result<(), AcdError> {
        let entry = self.calls.get(&call).ok_or(AcdError::UnknownCall(call))?;
        if entry.callback.is_some() {
            return Ok(());
        }
        let (q, key, entered_at) = (entry.queue, entry.key, entry.entered_at);
        let offered_to = match &entry.status {
            CallStatus::Talking { .. } => {
                return Err(AcdError::InvalidCallState {
                    call,
                    state: "talking",
                    wanted: "waiting or offered",
                })
            }
            CallStatus::Waiting => Vec::new(),
            CallStatus::Offered { agents } => agents.clone(),
        };
        let position = self.position_of(q, key);
        self.actions.push_back(Action::Event {
            call,
            event: CallEvent::Abandoned {
                queue: self.queues[q].id().clone(),
                wait_ms: millis(now.saturating_duration_since(entered_at)),
                position,
            },
        });
        for a in offered_to {
            self.actions.push_back(Action::CancelOffer {
                call,
                agent: self.agents[a].id.clone(),
                reason: CancelReason::CallerGone,
            });
            self.set_agent_deadline(a, None);
            self.set_agent_state(now, a, AgentState::Available, false);
        }
        self.forget_call(call);
        self.route(now);
        Ok(())
    }

    /// The waiting caller chose to leave the queue (a key pressed to leave a
    /// voice message instead of waiting): emits `Overflowed { to, reason }`
    /// and hands the call to the IVR with `Action::Overflow` (or queues it
    /// in `to` if that is a queue). Ringing offers are cancelled
    /// (`CallerGone`), those agents available again keeping their place. Not
    /// an abandon: the caller is still on the line. A talking call is
    /// `InvalidCallState`.
    pub fn leave(
        &mut self,
        now: Instant,
        call: CallId,
        to: Overflow,
        reason: &str,
    ) -> Result<(), AcdError> {
        let entry = self.calls.get(&call).ok_or(AcdError::UnknownCall(call))?;
        let offered_to = match &entry.status {
            CallStatus::Talking { .. } => {
                return Err(AcdError::InvalidCallState {
                    call,
                    state: "talking",
                    wanted: "waiting or offered",
                })
            }
            CallStatus::Waiting => Vec::new(),
            CallStatus::Offered { agents } => agents.clone(),
        };
        for a in offered_to {
            self.actions.push_back(Action::CancelOffer {
                call,
                agent: self.agents[a].id.clone(),
                reason: CancelReason::CallerGone,
            });
            self.set_agent_deadline(a, None);
            self.set_agent_state(now, a, AgentState::Available, false);
        }
        // Out of the waiting or offered set, but kept for `overflow_call`.
        if let Some(entry) = self.calls.get_mut(&call) {
            let queue = &mut self.queues[entry.queue];
            queue.waiting.remove(&entry.key);
            queue.offered.remove(&entry.key);
            entry.status = CallStatus::Waiting;
        }
        self.overflow_call(now, call, to, reason);
        self.route(now);
        Ok(())
    }

    /// The conversation between citizen and agent ended (either side). A
    /// consultation in progress ends (`CallerGone`) and frees the consulted
    /// agent. The agent goes to wrap-up for the queue's `wrap_up` time; when it runs
    /// out, wrap-up ends with disposition `timeout` and `WrapUpDone` is
    /// emitted. The ACD forgets the call (its wrap-up stays with the agent).
    pub fn talk_ended(&mut self, now: Instant, call: CallId) -> Result<(), AcdError> {
        let (a, q) = self.talking(call)?;
        self.end_consult(
            now,
            call,
            ConsultOutcome::CallerGone,
            Some(CancelReason::CallerGone),
            false,
        );
        self.forget_call(call);
        self.start_wrap_up(now, a, call, q);
        self.route(now);
        Ok(())
    }

    /// Blind transfer of a talking call to a queue: emits
    /// `Transferred { to, kind: "queue", by }`, the agent goes to wrap-up,
    /// and the call is queued again in `to` (`Queued` again, with the
    /// priority and skills the IVR asked for; its wait there starts now).
    pub fn transfer(
        &mut self,
        now: Instant,
        call: CallId,
        to: QueueId,
        by: Option<AgentId>,
    ) -> Result<(), AcdError> {
        let target = self
            .active_queue(&to)
            .ok_or_else(|| AcdError::UnknownQueue(to.clone()))?;
        let (a, q) = self.talking(call)?;
        if self.calls.get(&call).is_some_and(|c| c.consult.is_some()) {
            return Err(AcdError::InvalidCallState {
                call,
                state: "consulting",
                wanted: "talking",
            });
        }
        self.actions.push_back(Action::Event {
            call,
            event: CallEvent::Transferred {
                to: to.to_string(),
                kind: "queue".into(),
                by,
            },
        });
        let Some(entry) = self.forget_call(call) else {
            return Err(AcdError::UnknownCall(call));
        };
        self.start_wrap_up(now, a, call, q);
        self.enqueue_into(
            now,
            call,
            target,
            entry.base_priority,
            entry.skills,
            Vec::new(),
        );
        self.route(now);
        Ok(())
    }

    /// The waiting caller asks to be called back and hangs up, keeping
    /// their place: emits `CallbackRequested { queue, number }`. The entry
    /// hears no announcements and does not overflow on `max_wait` or
    /// `no_agents`; when its turn comes and an agent is free it is offered
    /// like a call, with `Action::Offer { callback: Some(number) }`. If the
    /// call was being offered, the offers are withdrawn (`CallerGone`) and
    /// it is offered again at once as a callback.
    pub fn request_callback(
        &mut self,
        now: Instant,
        call: CallId,
        number: String,
    ) -> Result<(), AcdError> {
        let entry = self
            .calls
            .get_mut(&call)
            .ok_or(AcdError::UnknownCall(call))?;
        if entry.callback.is_some() {
            return Err(AcdError::InvalidCallState {
                call,
                state: "callback",
                wanted: "waiting or offered",
            });
        }
        let offered_to = match &entry.status {
            CallStatus::Talking { .. } => {
                return Err(AcdError::InvalidCallState {
                    call,
                    state: "talking",
                    wanted: "waiting or offered",
                })
            }
            CallStatus::Waiting => None,
            CallStatus::Offered { agents } => Some(agents.clone()),
        };
        entry.callback = Some(number.clone());
        entry.next_announce = None;
        let queue = self.queues[entry.queue].id().clone();
        self.actions.push_back(Action::Event {
            call,
            event: CallEvent::CallbackRequested {
                queue: Some(queue),
                number,
            },
        });
        match offered_to {
            None => self.reschedule_call(call),
            Some(agents) => {
                for a in agents {
                    self.actions.push_back(Action::CancelOffer {
                        call,
                        agent: self.agents[a].id.clone(),
                        reason: CancelReason::CallerGone,
                    });
                    self.withdraw_offer(now, call, a);
                    self.set_agent_state(now, a, AgentState::Available, false);
                }
            }
        }
        self.route(now);
        Ok(())
    }

    // --- time ---

    /// Runs everything due at `now`: ring timeouts, wrap-up ends, maximum
    /// waits, escalation steps, announcements. Deadlines that fall due while
    /// handling them (e.g. a returned caller already past `max_wait`) are
    /// left for the next call, so one call always ends.
    pub fn handle_timeout(&mut self, now: Instant) {
        let due: Vec<(Instant, Timer)> = self
            .timers
            .iter()
            .take_while(|(at, _)| *at <= now)
            .copied()
            .collect();
        for timer in due {
            // An earlier timer of this batch may have cancelled or moved it.
            if !self.timers.remove(&timer) {
                continue;
            }
            match timer.1 {
                Timer::Agent(a) => {
                    self.agents[a].deadline = None;
                    match self.agents[a].state.clone() {
                        AgentState::Offered { call } if self.is_consultee(call, a) => self
                            .end_consult(
                                now,
                                call,
                                ConsultOutcome::NoAnswer,
                                Some(CancelReason::RingTimeout),
                                true,
                            ),
                        AgentState::Offered { call } => self.ring_no_answer(now, call, a, true),
                        AgentState::WrapUp { call } => self.finish_wrap_up(now, a, call, "timeout"),
                        _ => {}
                    }
                }
                Timer::Call(call) => {
                    if let Some(entry) = self.calls.get_mut(&call) {
                        entry.deadline = None;
                    }
                    self.call_timer(now, call);
                }
            }
            self.route(now);
        }
    }

    /// When `handle_timeout` is next due. Changes after every input; ask
    /// again after each.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.first().map(|(at, _)| *at)
    }

    /// The next action to carry out, in order. Poll until `None` after every
    /// input and every `handle_timeout`.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    // --- helpers for the inputs above ---

    pub(crate) fn active_queue(&self, id: &QueueId) -> Option<QueueIdx> {
        self.queue_index
            .get(id)
            .copied()
            .filter(|&q| self.queues[q].active)
    }

    pub(crate) fn agent(&self, agent: &AgentId) -> Result<AgentIdx, AcdError> {
        self.agent_index
            .get(agent)
            .copied()
            .ok_or_else(|| AcdError::UnknownAgent(agent.clone()))
    }

    /// The agent is being offered exactly this call.
    fn live_offer(&self, call: CallId, agent: &AgentId) -> Result<AgentIdx, AcdError> {
        let a = self.agent(agent)?;
        let offered = self.agents[a].state == AgentState::Offered { call }
            && self.calls.get(&call).is_some_and(
                |c| matches!(&c.status, CallStatus::Offered { agents } if agents.contains(&a)),
            );
        if offered {
            Ok(a)
        } else {
            Err(AcdError::StaleOffer {
                call,
                agent: agent.clone(),
            })
        }
    }

    /// Whether `call` is offered to `agent` now (its phone may ring).
    pub fn is_offered(&self, call: CallId, agent: &AgentId) -> bool {
        self.live_offer(call, agent).is_ok()
    }

    /// The agent and queue of a talking call.
    pub(crate) fn talking(&self, call: CallId) -> Result<(AgentIdx, QueueIdx), AcdError> {
        let entry = self.calls.get(&call).ok_or(AcdError::UnknownCall(call))?;
        match entry.status {
            CallStatus::Talking { agent } => Ok((agent, entry.queue)),
            ref other => Err(AcdError::InvalidCallState {
                call,
                state: other.name(),
                wanted: "talking",
            }),
        }
    }
}

/// Whole milliseconds, saturating.
pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
