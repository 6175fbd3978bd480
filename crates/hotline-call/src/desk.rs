//! The ACD desk: the ACD decision core (`hotline_acd::Acd`) and the
//! bookkeeping of the calls it holds, as one sans-IO state machine.
//!
//! The ACD decides queues, offers and agent states; the desk remembers what
//! the rest of the hotline needs to carry those decisions out: which call
//! is served by its caller's task, by a callback task or by nobody (a
//! callback keeps its place after the caller hung up), what the screen-pop
//! shows (the caller, the IVR's path and values, the wait), which offer to
//! each agent is the live one (a phone rings only if its offer still stands
//! once the screen-pop is done), when each agent entered their state, and
//! how long their wrap-up lasts.
//!
//! An offer is carried out in this order, so the console shows the citizen
//! before the phone rings: [`Output::Pop`] (the driver looks up the agent's
//! SIP binding and pushes the screen-pop), then the driver answers with
//! [`Input::RingReady`] and the desk orders the call to ring the phone
//! ([`Order::RingAgent`]) only if that offer is still the ACD's.
//!
//! Inputs come from call tasks ([`Desk::handle`]), the clock
//! ([`Desk::handle_timeout`]) and the console (the methods named after
//! its requests); every one of them takes the monotonic `now` and the wall
//! clock `wall` (for agents' "since" and the events' times). Outputs are
//! drained with [`Desk::poll_output`] after each. The desk never awaits,
//! reads the clock or touches a socket; the binary's ACD driver does.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use hotline_acd::{
    Acd, AcdConfig, AcdError, Action, AgentProfile, AgentState, CancelReason, ConsultOutcome,
    ConsultTarget, Consultee, EnqueueRequest, Overflow,
};
use hotline_sip::registrar::Binding;
use hotline_types::{AgentId, CallEventRecord, CallId, CitizenId, QueueId, Timestamp};
use tracing::{debug, info, warn};

use crate::call::{ConsultParty, Order, ToAcd, WaitingCall};

/// The wrap-up an agent gets when the call's queue is no longer known.
const DEFAULT_WRAP_UP: Duration = Duration::from_secs(30);

/// What call tasks (and the driver's lookups) tell the desk.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum Input {
    /// The IVR queued the call; its task takes the desk's orders.
    Enqueue {
        call: CallId,
        request: EnqueueRequest,
        info: WaitingCall,
    },
    /// The caller hung up while waiting or while an agent's phone rang.
    Abandon { call: CallId },
    /// The waiting caller chose to leave a message instead of waiting.
    Leave { call: CallId },
    /// The agent's phone answered the offer.
    OfferAnswered { call: CallId, agent: AgentId },
    /// The agent's phone rejected the call, was busy or unreachable.
    OfferFailed { call: CallId, agent: AgentId },
    /// Citizen and agent stopped talking (either hung up).
    TalkEnded { call: CallId },
    /// The waiting caller asked to be called back, keeping their place.
    RequestCallback { call: CallId, number: String },
    /// A supervisor cancelled a callback waiting in the ACD: take it out.
    WithdrawCallback { call: CallId },
    /// A callback from the callback list is due: queue it under the call it
    /// was asked on, offered (agent first) when an agent is free.
    EnqueueCallback {
        call: CallId,
        request: EnqueueRequest,
        number: String,
        /// The citizen's language: the callback script speaks it.
        language: String,
    },
    /// The agent's phone asked for a blind transfer (SIP REFER) to a queue.
    TransferFromPhone {
        call: CallId,
        agent: AgentId,
        queue: QueueId,
    },
    /// The consulted phone or destination answered (attended transfer).
    ConsultAnswered { call: CallId },
    /// The consulted leg failed or hung up.
    ConsultGone { call: CallId },
    /// The agent hung up after the consulted party answered: put through.
    CompleteConsult { call: CallId },
    /// A call task has ended: the caller's own call, or a callback task
    /// serving its entry.
    CallGone { call: CallId, callback: bool },
    /// The screen-pop of offer `seq` is done and the agent's phone is at
    /// `binding`: ring it if the offer still stands.
    RingReady {
        call: CallId,
        agent: AgentId,
        seq: u64,
        binding: Binding,
        /// The agent is consulted about the call, not offered it.
        consult: bool,
    },
}

impl Input {
    /// A call's request to the ACD as the desk takes it; `by_callback`
    /// when a callback task (not the caller's own call) serves the call.
    pub fn from_call(call: CallId, request: ToAcd, by_callback: bool) -> Input {
        match request {
            ToAcd::Enqueue { request, info } => Input::Enqueue {
                call,
                request,
                info,
            },
            ToAcd::Abandon => Input::Abandon { call },
            ToAcd::Leave => Input::Leave { call },
            ToAcd::OfferAnswered { agent } => Input::OfferAnswered { call, agent },
            ToAcd::OfferFailed { agent } => Input::OfferFailed { call, agent },
            ToAcd::TalkEnded => Input::TalkEnded { call },
            ToAcd::RequestCallback { number } => Input::RequestCallback { call, number },
            ToAcd::TransferFromPhone { agent, queue } => {
                Input::TransferFromPhone { call, agent, queue }
            }
            ToAcd::ConsultAnswered => Input::ConsultAnswered { call },
            ToAcd::ConsultGone => Input::ConsultGone { call },
            ToAcd::CompleteConsult => Input::CompleteConsult { call },
            ToAcd::CallGone => Input::CallGone {
                call,
                callback: by_callback,
            },
        }
    }
}

/// What the desk asks the driver to do.
#[derive(Debug, Clone)]
pub enum Output {
    /// An order for the task serving the call (dropped if none does).
    Order { call: CallId, order: Order },
    /// Look up the agent's phone and pop the call on their console, then
    /// answer with [`Input::RingReady`] carrying `seq`, or with
    /// [`Pop::failed`] when the phone is not registered.
    Pop { seq: u64, pop: Pop },
    /// Start a callback task in place of the caller's (who hung up after
    /// asking): from now on it takes the call's orders.
    StartCallback {
        call: CallId,
        number: String,
        language: Option<String>,
    },
    /// No task serves the call any more: forget where its orders went.
    Detach { call: CallId },
    /// Tell an agent's console.
    Console { agent: AgentId, notice: Notice },
    /// An agent's state changed at `at` (for the store: occupancy figures).
    AgentChanged {
        agent: AgentId,
        state: AgentState,
        at: Timestamp,
    },
    /// A call event to record.
    Event(CallEventRecord),
}

/// What an agent's console is told.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Notice {
    /// The agent is now talking with the citizen of this call.
    Answered { call: CallId },
    /// The offer or the call ended, and why.
    Ended { call: CallId, by: CancelReason },
    /// The consultation ended without putting the citizen through.
    ConsultEnded {
        call: CallId,
        outcome: ConsultOutcome,
    },
    /// Wrap-up of this call lasts until `until`.
    WrapUp { call: CallId, until: Timestamp },
    /// The agent's state, entered at `since`.
    State { state: AgentState, since: Timestamp },
}

/// The screen-pop of an offer (or of a consultation).
#[derive(Debug, Clone, PartialEq)]
pub struct Pop {
    pub agent: AgentId,
    pub call: CallId,
    pub queue: QueueId,
    pub caller: String,
    pub waited: Duration,
    pub ivr_path: Vec<String>,
    pub ivr_vars: Vec<(String, String)>,
    pub citizen_hint: Option<CitizenId>,
    /// A callback: the agent is rung first, then the citizen is dialled.
    pub callback: bool,
    /// The agent is consulted by this colleague, not offered the call.
    pub consulted_by: Option<AgentId>,
}

impl Pop {
    /// What the desk is told when the agent's phone cannot be rung.
    pub fn failed(&self) -> Input {
        if self.consulted_by.is_some() {
            Input::ConsultGone { call: self.call }
        } else {
            Input::OfferFailed {
                call: self.call,
                agent: self.agent.clone(),
            }
        }
    }
}

/// An agent's state change asked for at the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    Available,
    Break { reason: String },
    LoggedOut,
}

/// Who serves a call the ACD holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    /// The caller's own call task.
    Caller,
    /// A callback task, started by the desk.
    Callback,
    /// Nobody: a callback entry whose caller hung up, or one queued from
    /// the callback list; orders to it are dropped until a callback task
    /// is started.
    Nobody,
}

#[derive(Debug)]
struct Entry {
    info: WaitingCall,
    queue: QueueId,
    queued_at: Instant,
    /// The number to call back, once the caller asked for it.
    callback: Option<String>,
    server: Server,
    /// The live offer to each agent, numbered.
    offers: HashMap<AgentId, u64>,
}

/// The ACD and the calls it holds.
#[derive(Debug)]
pub struct Desk {
    acd: Acd,
    calls: HashMap<CallId, Entry>,
    /// When each agent entered their current state (wall clock).
    since: HashMap<AgentId, Timestamp>,
    wrap_up: HashMap<QueueId, Duration>,
    /// Whether callback tasks can be started (an outbound trunk exists).
    can_call_back: bool,
    last_offer: u64,
    /// Offers that could not be popped, failed at the next timeout (not
    /// at once: the ACD would offer the same call again in the same step).
    failed_pops: Vec<Input>,
    failed_pops_at: Option<Instant>,
    outputs: VecDeque<Output>,
}

impl Desk {
    /// A desk over these queues; `can_call_back` says whether an outbound
    /// trunk is configured for callback tasks.
    pub fn new(config: AcdConfig, can_call_back: bool) -> Self {
        let wrap_up = config
            .queues
            .iter()
            .map(|q| (q.id.clone(), q.wrap_up))
            .collect();
        Desk {
            acd: Acd::new(config),
            calls: HashMap::new(),
            since: HashMap::new(),
            wrap_up,
            can_call_back,
            last_offer: 0,
            failed_pops: Vec::new(),
            failed_pops_at: None,
            outputs: VecDeque::new(),
        }
    }

    /// The ACD, for its read-only views (snapshots, who conducts a call,
    /// whether an agent may act on a call).
    pub fn acd(&self) -> &Acd {
        &self.acd
    }

    /// The next thing to carry out.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When [`Desk::handle_timeout`] is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.acd.poll_timeout(), self.failed_pops_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn handle_timeout(&mut self, now: Instant, wall: Timestamp) {
        self.failed_pops_at = None;
        for input in std::mem::take(&mut self.failed_pops) {
            self.apply(now, input);
        }
        self.acd.handle_timeout(now);
        self.run_actions(now, wall);
    }

    pub fn handle(&mut self, now: Instant, wall: Timestamp, input: Input) {
        self.apply(now, input);
        self.run_actions(now, wall);
    }

    /// A reload: the queues as `config` has them from now on
    /// ([`Acd::configure`]: callers and agents stay; callers of a removed
    /// queue go to the IVR's fallback, its live calls finish). Wrap-up
    /// times apply to calls that end from now on.
    pub fn configure(&mut self, now: Instant, wall: Timestamp, config: AcdConfig) {
        self.wrap_up = config
            .queues
            .iter()
            .map(|q| (q.id.clone(), q.wrap_up))
            .collect();
        self.acd.configure(now, config);
        self.run_actions(now, wall);
    }

    /// The agent's state and when they entered it (`wall`, now, for an
    /// agent whose state has not changed since the desk started).
    pub fn agent(&self, agent: &AgentId, wall: Timestamp) -> Option<(AgentState, Timestamp)> {
        let state = self.acd.agent_state(agent)?;
        let since = self.since.get(agent).copied().unwrap_or(wall);
        Some((state, since))
    }

    /// A console login whose phone is registered.
    pub fn login(
        &mut self,
        now: Instant,
        wall: Timestamp,
        agent: AgentId,
        profile: AgentProfile,
    ) -> Result<(), AcdError> {
        let result = self.acd.login(now, agent, profile);
        self.run_actions(now, wall);
        result
    }

    pub fn set_state(
        &mut self,
        now: Instant,
        wall: Timestamp,
        agent: &AgentId,
        wanted: Wanted,
    ) -> Result<(), AcdError> {
        let result = match wanted {
            Wanted::Available => self.acd.set_available(now, agent),
            Wanted::Break { reason } => self.acd.set_break(now, agent, &reason),
            Wanted::LoggedOut => self.acd.logout(now, agent),
        };
        self.run_actions(now, wall);
        result
    }

    pub fn wrap_up_done(
        &mut self,
        now: Instant,
        wall: Timestamp,
        agent: &AgentId,
        disposition: &str,
    ) -> Result<(), AcdError> {
        let result = self.acd.wrap_up_done(now, agent, disposition);
        self.run_actions(now, wall);
        result
    }

    pub fn extend_wrap_up(
        &mut self,
        now: Instant,
        wall: Timestamp,
        agent: &AgentId,
        extra: Duration,
    ) -> Result<(), AcdError> {
        let result = self.acd.extend_wrap_up(now, agent, extra);
        self.run_actions(now, wall);
        result
    }

    /// The agent transfers the call to a queue from the console (the
    /// phone's REFER is [`Input::TransferFromPhone`]).
    pub fn transfer(
        &mut self,
        now: Instant,
        wall: Timestamp,
        agent: AgentId,
        call: CallId,
        queue: QueueId,
    ) -> Result<(), AcdError> {
        let result = self.requeue(now, call, queue, agent);
        self.run_actions(now, wall);
        result
    }

    /// The ACD takes the call from `agent` into `queue`; the call waits
    /// again there.
    fn requeue(
        &mut self,
        now: Instant,
        call: CallId,
        queue: QueueId,
        agent: AgentId,
    ) -> Result<(), AcdError> {
        self.acd.transfer(now, call, queue.clone(), Some(agent))?;
        if let Some(entry) = self.calls.get_mut(&call) {
            entry.queue = queue;
        }
        self.order(call, Order::Requeued);
        Ok(())
    }

    /// The agent consults a colleague, a queue's next agent or a
    /// destination while the citizen holds; the name of whom is consulted.
    pub fn consult(
        &mut self,
        now: Instant,
        wall: Timestamp,
        call: CallId,
        target: ConsultTarget,
    ) -> Result<String, AcdError> {
        let result = self
            .acd
            .consult(now, call, target)
            .map(|consultee| match consultee {
                Consultee::Agent { agent, .. } => agent.to_string(),
                Consultee::Destination(name) => name,
            });
        self.run_actions(now, wall);
        result
    }

    /// The agent ends the consultation: puts the citizen through
    /// (`complete`) or takes them back.
    pub fn end_consult(
        &mut self,
        now: Instant,
        wall: Timestamp,
        call: CallId,
        complete: bool,
    ) -> Result<(), AcdError> {
        let result = if complete {
            self.acd.complete_consult(now, call)
        } else {
            self.acd.return_from_consult(now, call)
        };
        self.run_actions(now, wall);
        result
    }

    fn apply(&mut self, now: Instant, input: Input) {
        match input {
            Input::Enqueue {
                call,
                request,
                info,
            } => {
                let queue = request.queue.clone();
                self.calls.insert(
                    call,
                    Entry {
                        info,
                        queue: queue.clone(),
                        queued_at: now,
                        callback: None,
                        server: Server::Caller,
                        offers: HashMap::new(),
                    },
                );
                if let Err(e) = self.acd.enqueue(now, call, request) {
                    warn!(%call, %queue, error = %e, "the call cannot be queued: the IVR's overflow branch takes it");
                    self.order(
                        call,
                        Order::Overflow {
                            to: Overflow::Fallback,
                            reason: "unknown_queue".into(),
                        },
                    );
                }
            }
            Input::Abandon { call } => {
                if let Err(e) = self.acd.abandon(now, call) {
                    debug!(%call, error = %e, "abandon of a call the ACD no longer holds");
                }
            }
            Input::Leave { call } => {
                if let Err(e) = self
                    .acd
                    .leave(now, call, Overflow::Voicemail, "caller_choice")
                {
                    debug!(%call, error = %e, "the caller cannot leave the queue now");
                }
            }
            Input::OfferAnswered { call, agent } => {
                match self.acd.offer_answered(now, call, &agent) {
                    Ok(()) => {
                        self.order(
                            call,
                            Order::Connect {
                                agent: agent.clone(),
                            },
                        );
                        self.notify(agent, Notice::Answered { call });
                    }
                    Err(e) => {
                        info!(%call, %agent, error = %e, "the agent answered too late: dropping their leg");
                        self.order(call, Order::DropAgent { agent });
                    }
                }
            }
            Input::OfferFailed { call, agent } => {
                if let Err(e) = self.acd.offer_failed(now, call, &agent) {
                    debug!(%call, %agent, error = %e, "failed offer the ACD had already withdrawn");
                }
            }
            Input::TalkEnded { call } => {
                if let Err(e) = self.acd.talk_ended(now, call) {
                    debug!(%call, error = %e, "talk ended for a call the ACD does not hold");
                }
            }
            Input::RequestCallback { call, number } => {
                match self.acd.request_callback(now, call, number.clone()) {
                    Ok(()) => {
                        if let Some(entry) = self.calls.get_mut(&call) {
                            entry.callback = Some(number);
                        }
                    }
                    Err(e) => warn!(%call, error = %e, "callback request refused"),
                }
                // The caller hangs up; the entry keeps its place without a task.
            }
            Input::WithdrawCallback { call } => {
                if let Err(e) = self
                    .acd
                    .leave(now, call, Overflow::Fallback, "callback_cancelled")
                {
                    debug!(%call, error = %e, "a cancelled callback the ACD no longer holds");
                }
                self.forget(call);
            }
            Input::EnqueueCallback {
                call,
                request,
                number,
                language,
            } => {
                let queue = request.queue.clone();
                match self
                    .acd
                    .enqueue_callback(now, call, request, number.clone())
                {
                    Ok(()) => {
                        self.calls.insert(
                            call,
                            Entry {
                                info: WaitingCall {
                                    caller: number.clone(),
                                    ivr_path: Vec::new(),
                                    ivr_vars: vec![("language".to_owned(), language)],
                                    citizen_hint: None,
                                },
                                queue,
                                queued_at: now,
                                callback: Some(number),
                                server: Server::Nobody,
                                offers: HashMap::new(),
                            },
                        );
                    }
                    Err(e) => warn!(%call, %queue, error = %e, "a due callback cannot be queued"),
                }
            }
            Input::TransferFromPhone { call, agent, queue } => {
                if let Err(e) = self.requeue(now, call, queue, agent) {
                    warn!(%call, error = %e, "transfer from the phone refused");
                    self.order(call, Order::TransferRefused);
                }
            }
            Input::RingReady {
                call,
                agent,
                seq,
                binding,
                consult,
            } => {
                let live = if consult {
                    self.acd.agent_state(&agent) == Some(AgentState::Offered { call })
                } else {
                    self.acd.is_offered(call, &agent)
                };
                match self.calls.get_mut(&call) {
                    Some(entry) if live && entry.offers.get(&agent) == Some(&seq) => {
                        entry.offers.remove(&agent);
                        let order = if consult {
                            Order::Consult(ConsultParty::Agent { agent, binding })
                        } else {
                            Order::RingAgent { agent, binding }
                        };
                        self.order(call, order);
                    }
                    _ => debug!(%call, %agent, "offer withdrawn before the phone rang"),
                }
            }
            Input::ConsultAnswered { call } => {
                if let Err(e) = self.acd.consult_answered(now, call) {
                    debug!(%call, error = %e, "a consulted leg answered after the consultation ended");
                }
            }
            Input::ConsultGone { call } => {
                if let Err(e) = self.acd.consult_gone(now, call) {
                    debug!(%call, error = %e, "a consulted leg ended after the consultation");
                }
            }
            Input::CompleteConsult { call } => {
                if let Err(e) = self.acd.complete_consult(now, call) {
                    info!(%call, error = %e, "the consultation cannot be completed");
                    self.order(call, Order::ConsultEnded(ConsultOutcome::Returned));
                }
            }
            Input::CallGone { call, callback } => self.call_gone(now, call, callback),
        }
    }

    /// A task serving `call` ended.
    fn call_gone(&mut self, now: Instant, call: CallId, callback: bool) {
        let Some(entry) = self.calls.get_mut(&call) else {
            return;
        };
        // The caller's own call saying goodbye after asking for the
        // callback that now serves the entry changes nothing.
        if entry.server == Server::Callback && !callback {
            return;
        }
        entry.server = Server::Nobody;
        // A callback entry keeps its place (and its screen-pop data) after
        // the caller hung up; the desk forgets it when the ACD is done.
        let waiting_for_callback =
            entry.callback.is_some() && self.acd.position(now, call).is_some();
        if waiting_for_callback {
            self.outputs.push_back(Output::Detach { call });
        } else {
            self.forget(call);
        }
    }

    fn forget(&mut self, call: CallId) {
        if self.calls.remove(&call).is_some() {
            self.outputs.push_back(Output::Detach { call });
        }
    }

    fn order(&mut self, call: CallId, order: Order) {
        if self
            .calls
            .get(&call)
            .is_some_and(|entry| entry.server != Server::Nobody)
        {
            self.outputs.push_back(Output::Order { call, order });
        }
    }

    fn notify(&mut self, agent: AgentId, notice: Notice) {
        self.outputs.push_back(Output::Console { agent, notice });
    }

    fn run_actions(&mut self, now: Instant, wall: Timestamp) {
        while let Some(action) = self.acd.poll_action() {
            match action {
                Action::Offer {
                    call,
                    agent,
                    queue,
                    callback,
                } => {
                    if let Some(number) = &callback {
                        self.start_callback(call, number);
                    }
                    self.pop(now, call, agent, queue, callback.is_some(), None);
                }
                Action::CancelOffer {
                    call,
                    agent,
                    reason,
                } => {
                    debug!(%call, %agent, ?reason, "offer withdrawn");
                    self.order(
                        call,
                        Order::CancelOffer {
                            agent: agent.clone(),
                        },
                    );
                    self.notify(agent, Notice::Ended { call, by: reason });
                }
                Action::Consult {
                    call,
                    by,
                    consultee,
                } => match consultee {
                    Consultee::Agent { agent, queue } => {
                        self.pop(now, call, agent, queue, false, Some(by));
                    }
                    Consultee::Destination(name) => {
                        self.order(call, Order::Consult(ConsultParty::Destination(name)));
                    }
                },
                Action::ConsultEnded { call, outcome } => {
                    // After completion the call's agent is the consulted one,
                    // now talking to the caller; otherwise it is still the
                    // agent who consulted.
                    if let Some(agent) = self.acd.call_agent(call) {
                        let notice = if outcome == ConsultOutcome::Completed {
                            Notice::Answered { call }
                        } else {
                            Notice::ConsultEnded { call, outcome }
                        };
                        self.notify(agent, notice);
                    }
                    self.order(call, Order::ConsultEnded(outcome));
                }
                Action::Overflow { call, to, reason } => {
                    self.order(call, Order::Overflow { to, reason });
                }
                Action::Announce {
                    call,
                    position,
                    estimated_wait,
                } => self.order(
                    call,
                    Order::Announce {
                        position,
                        estimated_wait,
                    },
                ),
                Action::AgentChanged { agent, state } => {
                    self.since.insert(agent.clone(), wall);
                    self.outputs.push_back(Output::AgentChanged {
                        agent: agent.clone(),
                        state: state.clone(),
                        at: wall,
                    });
                    if let AgentState::WrapUp { call } = &state {
                        let wrap_up = self
                            .calls
                            .get(call)
                            .and_then(|entry| self.wrap_up.get(&entry.queue))
                            .copied()
                            .unwrap_or(DEFAULT_WRAP_UP);
                        let until = Timestamp(
                            wall.as_millis() + i64::try_from(wrap_up.as_millis()).unwrap_or(0),
                        );
                        self.notify(agent.clone(), Notice::WrapUp { call: *call, until });
                    }
                    self.notify(agent, Notice::State { state, since: wall });
                }
                Action::Event { call, event } => {
                    self.outputs
                        .push_back(Output::Event(CallEventRecord::new(call, wall, event)));
                }
            }
        }
    }

    /// The caller asked for a callback (and hung up, or is saying
    /// goodbye): unless a callback task already serves the entry, one
    /// takes the call's place for the desk's orders.
    fn start_callback(&mut self, call: CallId, number: &str) {
        let Some(entry) = self.calls.get_mut(&call) else {
            return;
        };
        if entry.server == Server::Callback {
            return;
        }
        if !self.can_call_back {
            warn!(%call, "a callback is due but no outbound trunk is configured (sip.outbound_uri)");
            return;
        }
        entry.server = Server::Callback;
        let language = entry
            .info
            .ivr_vars
            .iter()
            .find(|(name, _)| name == "language")
            .map(|(_, value)| value.clone());
        self.outputs.push_back(Output::StartCallback {
            call,
            number: number.to_owned(),
            language,
        });
    }

    /// Pops the call on the agent's console; the driver answers with
    /// `RingReady` for this offer's number.
    fn pop(
        &mut self,
        now: Instant,
        call: CallId,
        agent: AgentId,
        queue: QueueId,
        callback: bool,
        consulted_by: Option<AgentId>,
    ) {
        self.last_offer += 1;
        let seq = self.last_offer;
        let Some(entry) = self.calls.get_mut(&call) else {
            warn!(%call, %agent, "offer for a call the desk does not know: treated as a failed offer");
            let failed = if consulted_by.is_some() {
                Input::ConsultGone { call }
            } else {
                Input::OfferFailed { call, agent }
            };
            self.failed_pops.push(failed);
            self.failed_pops_at.get_or_insert(now);
            return;
        };
        entry.offers.insert(agent.clone(), seq);
        let pop = Pop {
            agent,
            call,
            queue,
            caller: entry.info.caller.clone(),
            waited: now.saturating_duration_since(entry.queued_at),
            ivr_path: entry.info.ivr_path.clone(),
            ivr_vars: entry.info.ivr_vars.clone(),
            citizen_hint: entry.info.citizen_hint,
            callback,
            consulted_by,
        };
        self.outputs.push_back(Output::Pop { seq, pop });
    }
}
