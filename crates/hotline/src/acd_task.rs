//! The ACD task: one tokio task owns the ACD decision core
//! (`hotline_acd::Acd`), the only place where queue and agent state lives.
//!
//! It takes inputs from two sides and carries out the core's actions:
//! - call tasks (`crate::call`) queue their caller, report the agent's phone
//!   answering or failing, the caller hanging up, the conversation ending;
//! - the agent console (`hotline_screenpop`) asks for agent state changes,
//!   hold, transfer, hang-up, wrap-up, and links cases to calls.
//!
//! An offer is carried out in this order, so the console shows the citizen
//! before the phone rings: the agent's SIP binding is looked up, the
//! screen-pop is pushed (`Console::offer`), and only then is the call task
//! told to ring the phone. Call events decided by the ACD go to the event
//! sink with the wall-clock time at which the ACD decided them.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use hotline_acd::{
    Acd, AcdConfig, Action, AgentProfile, AgentState, ConsultOutcome, ConsultTarget, Consultee,
    EnqueueRequest, Overflow,
};
use hotline_screenpop::{
    AgentRequest, AgentStatus, Console, ConsoleEvent, ConsultRequest, LiveAgent, LiveBoard,
    LiveQueue, MonitorAction, Offer, Refused, RequestedState,
};
use hotline_sip::registrar::Binding;
use hotline_sip::transport::SipHandle;
use hotline_store::{AgentStateRecord, Store, User};
use hotline_types::{AgentId, CallEvent, CallEventRecord, CallId, QueueId, Timestamp};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, warn};

use crate::call::CallInput;
use crate::callback::CallbackJob;
use crate::callback_list::CallbackList;
use crate::config::{QueueConfig, QueueStrategy};
use crate::events::EventSink;
use crate::refusal;

pub use hotline_call::call::WaitingCall;
use hotline_call::call::{ConsultParty, Order, Refusal};
use hotline_media::MonitorMode;

/// Inputs of the ACD task.
#[derive(Debug)]
pub enum AcdInput {
    /// The IVR queued the call; `call_task` is where the ACD's orders go.
    Enqueue {
        call: CallId,
        request: EnqueueRequest,
        info: WaitingCall,
        call_task: mpsc::UnboundedSender<CallInput>,
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
    /// (`callback`) serving its entry.
    CallGone { call: CallId, callback: bool },
    /// The screen-pop of offer `seq` is done: ring the agent's phone if the
    /// offer still stands.
    RingReady {
        call: CallId,
        agent: AgentId,
        seq: u64,
        binding: Binding,
        /// The agent is consulted about the call, not offered it.
        consult: bool,
    },
    /// A console login whose phone binding was found.
    LoginChecked {
        agent: AgentId,
        user: User,
        reply: oneshot::Sender<Result<AgentStatus, Refused>>,
    },
    /// A request from the agent console.
    Console(AgentRequest),
}

/// Orders from the ACD task to a call task: the core's own [`Order`]s, and
/// the console's requests that the call answers at once.
#[derive(Debug)]
pub enum AcdOrder {
    Order(Order),
    /// Put the citizen on hold (music) or take them off it.
    Hold {
        on: bool,
        reply: oneshot::Sender<Result<(), Refused>>,
    },
    /// The agent ends the conversation from the console.
    HangupAgent {
        reply: oneshot::Sender<Result<(), Refused>>,
    },
    /// A supervisor joins the conversation through their phone, or
    /// changes how they take part.
    Monitor {
        supervisor: String,
        binding: Binding,
        mode: MonitorMode,
        reply: oneshot::Sender<Result<(), Refusal>>,
    },
    /// The supervisor leaves the conversation.
    EndMonitor {
        supervisor: String,
        reply: oneshot::Sender<Result<(), Refusal>>,
    },
}

impl From<Order> for AcdOrder {
    fn from(order: Order) -> Self {
        AcdOrder::Order(order)
    }
}

/// The ACD task's handle, given to call tasks and the console glue.
#[derive(Debug, Clone)]
pub struct AcdHandle {
    inputs: mpsc::UnboundedSender<AcdInput>,
}

impl AcdHandle {
    pub fn send(&self, input: AcdInput) {
        // The task runs for the whole life of the process.
        let _ = self.inputs.send(input);
    }
}

fn now_ms() -> i64 {
    Timestamp::from_system_time(SystemTime::now()).as_millis()
}

/// The core's view of the configured queues.
pub fn acd_config(queues: &[QueueConfig]) -> AcdConfig {
    let overflow = |target: &str| match target {
        "voicemail" => Overflow::Voicemail,
        "callback" => Overflow::Callback,
        other => match other.strip_prefix("queue:") {
            Some(queue) => Overflow::Queue(QueueId::from(queue)),
            None => Overflow::Fallback,
        },
    };
    AcdConfig {
        queues: queues
            .iter()
            .map(|q| {
                let mut c = hotline_acd::QueueConfig::new(
                    QueueId::from(q.name.as_str()),
                    q.department.clone().unwrap_or_else(|| q.name.clone()),
                );
                c.strategy = match q.strategy {
                    QueueStrategy::LongestIdle => hotline_acd::Strategy::LongestIdle,
                    QueueStrategy::RoundRobin => hotline_acd::Strategy::RoundRobin,
                    QueueStrategy::FewestCalls => hotline_acd::Strategy::FewestCalls,
                    QueueStrategy::RingAll => hotline_acd::Strategy::RingAll,
                    QueueStrategy::Skills => hotline_acd::Strategy::Skills,
                };
                c.ring_timeout = Duration::from_secs(q.ring_timeout_secs.max(1));
                c.wrap_up = Duration::from_secs(q.wrap_up_secs);
                c.max_wait = q.max_wait_secs.map(Duration::from_secs);
                c.max_waiting = q.max_waiting;
                c.overflow = overflow(&q.overflow);
                c.no_agents = overflow(&q.no_agents);
                c.announce_every =
                    (q.announce_every_secs > 0).then(|| Duration::from_secs(q.announce_every_secs));
                c.escalation = q
                    .escalation
                    .iter()
                    .map(|e| hotline_acd::EscalationStep {
                        after: Duration::from_secs(e.after_secs),
                        min_level: e.min_level,
                        drop_skills: e.drop_skills,
                        raise_priority: e.raise_priority,
                    })
                    .collect();
                c
            })
            .collect(),
    }
}

/// Which queues an agent serves: those named by one of their skills, those
/// of their department, or every queue when they have neither.
pub fn agent_profile(user: &User, queues: &[QueueConfig]) -> AgentProfile {
    let skills: Vec<(String, u8)> = user
        .skills
        .iter()
        .map(|s| {
            (
                s.skill.clone(),
                u8::try_from(s.level.clamp(1, 10)).unwrap_or(1),
            )
        })
        .collect();
    let department = user.department.as_deref().map(str::to_ascii_lowercase);
    let mut served: Vec<QueueId> = queues
        .iter()
        .filter(|q| {
            skills.iter().any(|(s, _)| *s == q.name)
                || department.as_deref().is_some_and(|d| {
                    d == q.name
                        || q.department
                            .as_deref()
                            .is_some_and(|qd| qd.eq_ignore_ascii_case(d))
                })
        })
        .map(|q| QueueId::from(q.name.as_str()))
        .collect();
    if served.is_empty() {
        served = queues
            .iter()
            .map(|q| QueueId::from(q.name.as_str()))
            .collect();
    }
    AgentProfile {
        queues: served,
        skills,
    }
}

struct CallEntry {
    task: mpsc::UnboundedSender<CallInput>,
    info: WaitingCall,
    queue: QueueId,
    queued_at: Instant,
    /// The number to call back, once the caller asked for it.
    callback: Option<String>,
    /// A callback task (not the caller's own call) serves the entry.
    calling_back: bool,
    /// The live offer to each agent, numbered: a phone is rung only if its
    /// offer is still the ACD's when the screen-pop is done.
    offers: HashMap<AgentId, u64>,
}

struct AcdTask {
    acd: Acd,
    sip: SipHandle,
    console: Console,
    events: EventSink,
    inputs: mpsc::UnboundedSender<AcdInput>,
    calls: HashMap<CallId, CallEntry>,
    /// When each agent entered their current state (wall clock, for the console).
    since: HashMap<AgentId, i64>,
    queues: Vec<QueueConfig>,
    /// Where callbacks are launched; None when no outbound trunk is configured.
    callbacks: Option<mpsc::UnboundedSender<CallbackJob>>,
    /// Agent state changes on their way to the store (occupancy statistics).
    agent_log: mpsc::UnboundedSender<AgentStateRecord>,
    /// Supervisors' changes to the callback list go there.
    callback_list: CallbackList,
    /// The number of the last offer made.
    last_offer: u64,
}

/// Writes agent state changes to the store in order, in batches; while the
/// database is unavailable they wait in memory (bounded) and are retried.
async fn write_agent_states(store: Store, mut records: mpsc::UnboundedReceiver<AgentStateRecord>) {
    const MAX_PENDING: usize = 100_000;
    let mut pending: Vec<AgentStateRecord> = Vec::new();
    loop {
        if pending.is_empty() {
            match records.recv().await {
                Some(r) => pending.push(r),
                None => return,
            }
        }
        while let Ok(r) = records.try_recv() {
            pending.push(r);
        }
        match store.append_agent_states(&pending).await {
            Ok(()) => pending.clear(),
            Err(e) => {
                warn!(error = %e, pending = pending.len(), "agent states wait for the database");
                if pending.len() > MAX_PENDING {
                    let dropped = pending.len() - MAX_PENDING;
                    pending.drain(..dropped);
                    warn!(
                        dropped,
                        "oldest agent states dropped: the database has been away too long"
                    );
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// How the ACD task reaches the callback side.
#[derive(Debug)]
pub struct Callbacks {
    /// Where callback tasks are launched; None without an outbound trunk.
    pub launcher: Option<mpsc::UnboundedSender<CallbackJob>>,
    /// The callback list, for supervisors' changes.
    pub list: CallbackList,
}

/// Starts the ACD task.
pub fn start(
    queues: &[QueueConfig],
    sip: SipHandle,
    console: Console,
    events: EventSink,
    mut console_requests: mpsc::UnboundedReceiver<AgentRequest>,
    callbacks: Callbacks,
    store: Store,
) -> AcdHandle {
    let (agent_log, agent_states) = mpsc::unbounded_channel();
    tokio::spawn(write_agent_states(store, agent_states));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let handle = AcdHandle { inputs: tx.clone() };
    let forward = tx.clone();
    tokio::spawn(async move {
        while let Some(request) = console_requests.recv().await {
            if forward.send(AcdInput::Console(request)).is_err() {
                return;
            }
        }
    });
    let mut task = AcdTask {
        acd: Acd::new(acd_config(queues)),
        sip,
        console,
        events,
        inputs: tx,
        calls: HashMap::new(),
        since: HashMap::new(),
        queues: queues.to_vec(),
        callbacks: callbacks.launcher,
        callback_list: callbacks.list,
        last_offer: 0,
        agent_log,
    };
    tokio::spawn(async move {
        let mut gauges = tokio::time::interval(Duration::from_secs(1));
        gauges.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            let deadline = task.acd.poll_timeout();
            let timer = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                input = rx.recv() => match input {
                    Some(input) => task.handle(input),
                    None => return,
                },
                _ = timer => task.acd.handle_timeout(Instant::now()),
                _ = gauges.tick() => task.publish_gauges(),
            }
            task.run_actions();
        }
    });
    handle
}

impl AcdTask {
    /// The live picture, once a second: per-queue figures and agent counts
    /// for `/metrics` (labelled by queue and state), and the whole board for
    /// the supervisors' wallboard.
    fn publish_gauges(&self) {
        let now = Instant::now();
        let queues = self.acd.queue_snapshots(now);
        let agents = self.acd.agent_snapshots(now);
        self.console.publish_live(LiveBoard {
            at_ms: now_ms(),
            queues: queues
                .iter()
                .map(|q| LiveQueue {
                    queue: q.queue.as_str().to_owned(),
                    department: q.department.clone(),
                    waiting: q.waiting,
                    longest_wait_ms: u64::try_from(q.longest_wait.as_millis()).unwrap_or(u64::MAX),
                    agents_logged_in: q.agents_logged_in,
                    available: q.available,
                    offered: q.offered,
                    on_call: q.on_call,
                    wrap_up: q.wrap_up,
                    on_break: q.on_break,
                })
                .collect(),
            agents: agents
                .iter()
                .filter(|a| !matches!(a.state, AgentState::LoggedOut))
                .map(|a| {
                    let status = status_of(&a.state, 0);
                    LiveAgent {
                        agent: a.agent.as_str().to_owned(),
                        state: status.state,
                        reason: status.reason,
                        in_state_ms: u64::try_from(a.in_state_for.as_millis()).unwrap_or(u64::MAX),
                        calls_answered: a.calls_answered,
                        queues: a.queues.iter().map(|q| q.as_str().to_owned()).collect(),
                    }
                })
                .collect(),
        });
        for q in queues {
            let queue = q.queue.as_str().to_owned();
            metrics::gauge!("hotline_queue_waiting", "queue" => queue.clone())
                .set(f64::from(q.waiting));
            metrics::gauge!("hotline_queue_longest_wait_seconds", "queue" => queue.clone())
                .set(q.longest_wait.as_secs_f64());
            for (state, count) in [
                ("available", q.available),
                ("offered", q.offered),
                ("on_call", q.on_call),
                ("wrap_up", q.wrap_up),
                ("break", q.on_break),
            ] {
                metrics::gauge!("hotline_queue_agents", "queue" => queue.clone(), "state" => state)
                    .set(f64::from(count));
            }
        }
        metrics::gauge!("hotline_agents_logged_in").set(
            agents
                .iter()
                .filter(|a| !matches!(a.state, AgentState::LoggedOut))
                .count() as f64,
        );
        metrics::gauge!("hotline_console_sockets").set(self.console.open_sockets() as f64);
        metrics::gauge!("hotline_wallboard_sockets").set(self.console.supervisor_sockets() as f64);
    }

    fn handle(&mut self, input: AcdInput) {
        let now = Instant::now();
        match input {
            AcdInput::Enqueue {
                call,
                request,
                info,
                call_task,
            } => {
                let queue = request.queue.clone();
                self.calls.insert(
                    call,
                    CallEntry {
                        task: call_task.clone(),
                        info,
                        queue: queue.clone(),
                        queued_at: now,
                        callback: None,
                        calling_back: false,
                        offers: HashMap::new(),
                    },
                );
                if let Err(e) = self.acd.enqueue(now, call, request) {
                    warn!(%call, %queue, error = %e, "the call cannot be queued: the IVR's overflow branch takes it");
                    let _ = call_task.send(CallInput::Acd(
                        Order::Overflow {
                            to: Overflow::Fallback,
                            reason: "unknown_queue".into(),
                        }
                        .into(),
                    ));
                }
            }
            AcdInput::Abandon { call } => {
                if let Err(e) = self.acd.abandon(now, call) {
                    debug!(%call, error = %e, "abandon of a call the ACD no longer holds");
                }
            }
            AcdInput::Leave { call } => {
                if let Err(e) = self
                    .acd
                    .leave(now, call, Overflow::Voicemail, "caller_choice")
                {
                    debug!(%call, error = %e, "the caller cannot leave the queue now");
                }
            }
            AcdInput::OfferAnswered { call, agent } => {
                let order = match self.acd.offer_answered(now, call, &agent) {
                    Ok(()) => Order::Connect {
                        agent: agent.clone(),
                    },
                    Err(e) => {
                        info!(%call, %agent, error = %e, "the agent answered too late: dropping their leg");
                        Order::DropAgent {
                            agent: agent.clone(),
                        }
                    }
                };
                let connected = matches!(order, Order::Connect { .. });
                self.order(call, order);
                if connected {
                    self.console.push(&agent, ConsoleEvent::Answered { call });
                }
            }
            AcdInput::OfferFailed { call, agent } => {
                if let Err(e) = self.acd.offer_failed(now, call, &agent) {
                    debug!(%call, %agent, error = %e, "failed offer the ACD had already withdrawn");
                }
            }
            AcdInput::TalkEnded { call } => {
                if let Err(e) = self.acd.talk_ended(now, call) {
                    debug!(%call, error = %e, "talk ended for a call the ACD does not hold");
                }
            }
            AcdInput::RequestCallback { call, number } => {
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
            AcdInput::WithdrawCallback { call } => {
                if let Err(e) = self
                    .acd
                    .leave(now, call, Overflow::Fallback, "callback_cancelled")
                {
                    debug!(%call, error = %e, "a cancelled callback the ACD no longer holds");
                }
                self.calls.remove(&call);
            }
            AcdInput::EnqueueCallback {
                call,
                request,
                number,
                language,
            } => {
                // No call task: a closed channel makes `offer` start the
                // callback task in its place.
                let (task, _) = mpsc::unbounded_channel();
                let queue = request.queue.clone();
                match self
                    .acd
                    .enqueue_callback(now, call, request, number.clone())
                {
                    Ok(()) => {
                        self.calls.insert(
                            call,
                            CallEntry {
                                task,
                                info: WaitingCall {
                                    caller: number.clone(),
                                    ivr_path: Vec::new(),
                                    ivr_vars: vec![("language".to_owned(), language)],
                                    citizen_hint: None,
                                },
                                queue,
                                queued_at: now,
                                callback: Some(number),
                                calling_back: false,
                                offers: HashMap::new(),
                            },
                        );
                    }
                    Err(e) => {
                        warn!(%call, %queue, error = %e, "a due callback cannot be queued");
                    }
                }
            }
            AcdInput::TransferFromPhone { call, agent, queue } => {
                match self.acd.transfer(now, call, queue.clone(), Some(agent)) {
                    Ok(()) => {
                        if let Some(entry) = self.calls.get_mut(&call) {
                            entry.queue = queue;
                        }
                        self.order(call, Order::Requeued);
                    }
                    Err(e) => {
                        warn!(%call, error = %e, "transfer from the phone refused");
                        self.order(call, Order::TransferRefused);
                    }
                }
            }
            AcdInput::RingReady {
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
                        let _ = entry.task.send(CallInput::Acd(order.into()));
                    }
                    _ => debug!(%call, %agent, "offer withdrawn before the phone rang"),
                }
            }
            AcdInput::ConsultAnswered { call } => {
                if let Err(e) = self.acd.consult_answered(now, call) {
                    debug!(%call, error = %e, "a consulted leg answered after the consultation ended");
                }
            }
            AcdInput::ConsultGone { call } => {
                if let Err(e) = self.acd.consult_gone(now, call) {
                    debug!(%call, error = %e, "a consulted leg ended after the consultation");
                }
            }
            AcdInput::CompleteConsult { call } => {
                if let Err(e) = self.acd.complete_consult(now, call) {
                    info!(%call, error = %e, "the consultation cannot be completed");
                    self.order(call, Order::ConsultEnded(ConsultOutcome::Returned));
                }
            }
            AcdInput::CallGone { call, callback } => {
                // The caller's own call saying goodbye after asking for the
                // callback that now serves the entry changes nothing.
                let superseded = self
                    .calls
                    .get(&call)
                    .is_some_and(|entry| entry.calling_back && !callback);
                if !superseded {
                    if let Some(entry) = self.calls.get_mut(&call) {
                        entry.calling_back = false;
                    }
                    // A callback entry keeps its place (and its screen-pop
                    // data) after the caller hung up; the ACD forgets it when
                    // it is done.
                    let waiting_for_callback = self
                        .calls
                        .get(&call)
                        .is_some_and(|entry| entry.callback.is_some())
                        && self.acd.position(now, call).is_some();
                    if !waiting_for_callback {
                        self.calls.remove(&call);
                    }
                }
            }
            AcdInput::LoginChecked { agent, user, reply } => {
                let profile = agent_profile(&user, &self.queues);
                let result = self.acd.login(now, agent.clone(), profile);
                self.run_actions();
                let _ = reply.send(self.status_after(&agent, result));
            }
            AcdInput::Console(request) => self.console_request(now, request),
        }
    }

    fn order(&self, call: CallId, order: impl Into<AcdOrder>) {
        if let Some(entry) = self.calls.get(&call) {
            let _ = entry.task.send(CallInput::Acd(order.into()));
        }
    }

    fn status(&self, agent: &AgentId) -> Option<AgentStatus> {
        let state = self.acd.agent_state(agent)?;
        Some(status_of(
            &state,
            self.since.get(agent).copied().unwrap_or_else(now_ms),
        ))
    }

    fn console_request(&mut self, now: Instant, request: AgentRequest) {
        match request {
            AgentRequest::Login { agent, user, reply } => {
                // The phone must be registered: that is where calls will ring.
                let sip = self.sip.clone();
                let inputs = self.inputs.clone();
                tokio::spawn(async move {
                    if matches!(sip.binding(agent.as_str()).await, Ok(Some(_))) {
                        let _ = inputs.send(AcdInput::LoginChecked { agent, user, reply });
                    } else {
                        let _ = reply.send(Err(Refused::PhoneNotRegistered {
                            sip_user: agent.to_string(),
                        }));
                    }
                });
            }
            AgentRequest::SetState {
                agent,
                state,
                reply,
            } => {
                let result = match state {
                    RequestedState::Available => self.acd.set_available(now, &agent),
                    RequestedState::Break { reason } => self.acd.set_break(now, &agent, &reason),
                    RequestedState::LoggedOut => self.acd.logout(now, &agent),
                };
                self.run_actions();
                let _ = reply.send(self.status_after(&agent, result));
            }
            AgentRequest::Hold {
                agent,
                call,
                on,
                reply,
            } => match self.talking(&agent, call) {
                Ok(()) => self.order(call, AcdOrder::Hold { on, reply }),
                Err(e) => {
                    let _ = reply.send(Err(e));
                }
            },
            AgentRequest::Hangup { agent, call, reply } => match self.talking(&agent, call) {
                Ok(()) => self.order(call, AcdOrder::HangupAgent { reply }),
                Err(e) => {
                    let _ = reply.send(Err(e));
                }
            },
            AgentRequest::Transfer {
                agent,
                call,
                queue,
                reply,
            } => {
                let result = self.talking(&agent, call).and_then(|()| {
                    self.acd
                        .transfer(now, call, queue.clone(), Some(agent.clone()))
                        .map_err(refusal::of_acd)
                });
                if result.is_ok() {
                    if let Some(entry) = self.calls.get_mut(&call) {
                        entry.queue = queue;
                    }
                    self.order(call, Order::Requeued);
                }
                let _ = reply.send(result);
            }
            AgentRequest::Consult {
                agent,
                call,
                target,
                reply,
            } => {
                let target = match target {
                    ConsultRequest::Agent(a) => ConsultTarget::Agent(a),
                    ConsultRequest::Queue(q) => ConsultTarget::Queue(q),
                    ConsultRequest::Destination(d) => ConsultTarget::Destination(d),
                };
                let result = self.talking(&agent, call).and_then(|()| {
                    self.acd
                        .consult(now, call, target)
                        .map(|consultee| match consultee {
                            Consultee::Agent { agent, .. } => agent.to_string(),
                            Consultee::Destination(name) => name,
                        })
                        .map_err(refusal::of_acd)
                });
                let _ = reply.send(result);
            }
            AgentRequest::EndConsult {
                agent,
                call,
                complete,
                reply,
            } => {
                let result = self.talking(&agent, call).and_then(|()| {
                    if complete {
                        self.acd.complete_consult(now, call)
                    } else {
                        self.acd.return_from_consult(now, call)
                    }
                    .map_err(refusal::of_acd)
                });
                let _ = reply.send(result);
            }
            AgentRequest::WrapUp {
                agent,
                call: _,
                disposition,
                reply,
            } => {
                let result = self.acd.wrap_up_done(now, &agent, &disposition);
                self.run_actions();
                let _ = reply.send(self.status_after(&agent, result));
            }
            AgentRequest::ExtendWrapUp {
                agent,
                extra,
                reply,
            } => {
                let result = self.acd.extend_wrap_up(now, &agent, extra);
                let _ = reply.send(self.status_after(&agent, result));
            }
            AgentRequest::CaseLinked {
                agent,
                call,
                case_ref,
            } => {
                debug!(%call, %agent, %case_ref, "case linked from the console");
                self.events.submit(CallEventRecord::new(
                    call,
                    Timestamp(now_ms()),
                    CallEvent::CaseLinked { case_ref },
                ));
            }
            AgentRequest::Status { agent, reply } => {
                let _ = reply.send(self.status(&agent));
            }
            AgentRequest::Callback {
                by,
                id,
                change,
                reply,
            } => self.callback_list.change(id, change, by, reply),
            AgentRequest::Monitor {
                supervisor,
                agent,
                action,
                reply,
            } => self.monitor(supervisor, &agent, action, reply),
        }
    }

    /// A supervisor joins, changes or leaves the conversation of `agent`:
    /// their phone's binding is looked up off this task, then the call
    /// task answers (its refusal, or the call's id).
    fn monitor(
        &self,
        supervisor: String,
        agent: &AgentId,
        action: MonitorAction,
        reply: oneshot::Sender<Result<CallId, Refused>>,
    ) {
        let Some(call) = self.acd.conducted_call(agent) else {
            let _ = reply.send(Err(Refused::NotTalking {
                agent: agent.to_string(),
            }));
            return;
        };
        let Some(task) = self.calls.get(&call).map(|entry| entry.task.clone()) else {
            let _ = reply.send(Err(Refused::CallEnded));
            return;
        };
        let sip = self.sip.clone();
        tokio::spawn(async move {
            let (tx, rx) = oneshot::channel();
            let mode = match action {
                MonitorAction::Listen => Some(MonitorMode::Listen),
                MonitorAction::Whisper => Some(MonitorMode::Whisper),
                MonitorAction::Barge => Some(MonitorMode::Barge),
                MonitorAction::Stop => None,
            };
            let order = match mode {
                None => AcdOrder::EndMonitor {
                    supervisor,
                    reply: tx,
                },
                Some(mode) => match sip.binding(&supervisor).await {
                    Ok(Some(binding)) => AcdOrder::Monitor {
                        supervisor,
                        binding,
                        mode,
                        reply: tx,
                    },
                    _ => {
                        let _ = reply.send(Err(Refused::PhoneNotRegistered {
                            sip_user: supervisor,
                        }));
                        return;
                    }
                },
            };
            if task.send(CallInput::Acd(order)).is_err() {
                let _ = reply.send(Err(Refused::CallEnded));
                return;
            }
            let answer = match rx.await {
                Ok(Ok(())) => Ok(call),
                Ok(Err(refused)) => Err(refusal::of_call(refused)),
                Err(_) => Err(Refused::CallEnded),
            };
            let _ = reply.send(answer);
        });
    }

    /// The answer to a console request that changed an agent: their new
    /// status, or why the change was refused.
    fn status_after(
        &self,
        agent: &AgentId,
        result: Result<(), hotline_acd::AcdError>,
    ) -> Result<AgentStatus, Refused> {
        result
            .map_err(refusal::of_acd)
            .and_then(|()| self.status(agent).ok_or(Refused::NotLoggedIn))
    }

    /// The agent conducts this call (so may hold, transfer, consult or hang
    /// it up); a colleague they consult does not.
    fn talking(&self, agent: &AgentId, call: CallId) -> Result<(), Refused> {
        self.acd.check_conducts(agent, call).map_err(|e| match e {
            // At the console this is an agent who has not logged in.
            hotline_acd::AcdError::UnknownAgent(_) => Refused::NotLoggedIn,
            other => refusal::of_acd(other),
        })
    }

    fn run_actions(&mut self) {
        while let Some(action) = self.acd.poll_action() {
            match action {
                Action::Offer {
                    call,
                    agent,
                    queue,
                    callback,
                } => self.offer(call, agent, queue, callback),

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
                    self.console.push(
                        &agent,
                        ConsoleEvent::Ended {
                            call,
                            by: format!("{reason:?}").to_ascii_lowercase(),
                        },
                    );
                }
                Action::Consult {
                    call,
                    by,
                    consultee,
                } => match consultee {
                    Consultee::Agent { agent, queue } => {
                        self.pop_and_ring(call, agent, queue, None, Some(by))
                    }
                    Consultee::Destination(name) => {
                        self.order(call, Order::Consult(ConsultParty::Destination(name)))
                    }
                },
                Action::ConsultEnded { call, outcome } => {
                    // After completion the call's agent is the consulted one,
                    // now talking to the caller; otherwise it is still the
                    // agent who consulted.
                    if let Some(agent) = self.acd.call_agent(call) {
                        let event = if outcome == ConsultOutcome::Completed {
                            ConsoleEvent::Answered { call }
                        } else {
                            ConsoleEvent::ConsultEnded {
                                call,
                                outcome: outcome.name().to_string(),
                            }
                        };
                        self.console.push(&agent, event);
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
                    let since = now_ms();
                    self.since.insert(agent.clone(), since);
                    let status = status_of(&state, since);
                    let _ = self.agent_log.send(AgentStateRecord {
                        agent: agent.as_str().to_owned(),
                        state: status.state.clone(),
                        reason: status.reason.clone(),
                        call: status.call,
                        at: Timestamp(since),
                    });
                    if let AgentState::WrapUp { call } = &state {
                        let wrap_up = self
                            .calls
                            .get(call)
                            .and_then(|c| self.queues.iter().find(|q| q.name == c.queue.as_str()))
                            .map_or(30, |q| q.wrap_up_secs);
                        let until_ms = since + i64::try_from(wrap_up * 1000).unwrap_or(0);
                        self.console.push(
                            &agent,
                            ConsoleEvent::WrapUp {
                                call: *call,
                                until_ms,
                            },
                        );
                    }
                    self.console
                        .push(&agent, ConsoleEvent::State(status_of(&state, since)));
                }
                Action::Event { call, event } => {
                    metrics::counter!("hotline_acd_decisions_total", "kind" => event.kind())
                        .increment(1);
                    self.events
                        .submit(CallEventRecord::new(call, Timestamp(now_ms()), event));
                }
            }
        }
    }

    /// Pops the citizen on the agent's console, then rings their phone.
    fn offer(&mut self, call: CallId, agent: AgentId, queue: QueueId, callback: Option<String>) {
        if let (Some(number), Some(entry)) = (&callback, self.calls.get_mut(&call)) {
            if !entry.calling_back || entry.task.is_closed() {
                // The caller asked for a callback (and hangs up, or is
                // saying goodbye): a callback task takes the call's place
                // for the ACD's orders.
                let (tx, rx) = mpsc::unbounded_channel();
                let launched = self.callbacks.as_ref().is_some_and(|launcher| {
                    launcher
                        .send(CallbackJob {
                            call,
                            number: number.clone(),
                            language: entry
                                .info
                                .ivr_vars
                                .iter()
                                .find(|(name, _)| name == "language")
                                .map(|(_, value)| value.clone()),
                            inputs: tx.clone(),
                            orders: rx,
                        })
                        .is_ok()
                });
                if launched {
                    entry.task = tx;
                    entry.calling_back = true;
                } else {
                    warn!(%call, "a callback is due but no outbound trunk is configured (sip.outbound_uri)");
                }
            }
        }
        self.pop_and_ring(call, agent, queue, callback, None);
    }

    /// Pops the call on the agent's console, then (through the ACD task, as
    /// `RingReady`) rings their phone: for an offer, or for a consultation
    /// by `consulted_by`.
    fn pop_and_ring(
        &mut self,
        call: CallId,
        agent: AgentId,
        queue: QueueId,
        callback: Option<String>,
        consulted_by: Option<AgentId>,
    ) {
        let consult = consulted_by.is_some();
        let failed = move |call, agent| {
            if consult {
                AcdInput::ConsultGone { call }
            } else {
                AcdInput::OfferFailed { call, agent }
            }
        };
        self.last_offer += 1;
        let seq = self.last_offer;
        let Some(entry) = self.calls.get_mut(&call) else {
            warn!(%call, %agent, "offer for a call the ACD task does not know: treated as a failed offer");
            let _ = self.inputs.send(failed(call, agent));
            return;
        };
        let waited = entry.queued_at.elapsed();
        let offer = Offer {
            agent: agent.clone(),
            call,
            queue: queue.clone(),
            caller: entry.info.caller.clone(),
            waited,
            ivr_path: entry.info.ivr_path.clone(),
            ivr_vars: entry.info.ivr_vars.clone(),
            citizen_hint: entry.info.citizen_hint,
            callback: callback.is_some(),
            consulted_by,
        };
        entry.offers.insert(agent.clone(), seq);
        let sip = self.sip.clone();
        let console = self.console.clone();
        let inputs = self.inputs.clone();
        tokio::spawn(async move {
            let binding = match sip.binding(agent.as_str()).await {
                Ok(Some(binding)) => binding,
                _ => {
                    info!(%call, %agent, "the agent's phone is not registered: offer failed");
                    let _ = inputs.send(failed(call, agent));
                    return;
                }
            };
            match console.offer(offer).await {
                Ok(true) => info!(%call, %agent, "screen-pop handed to the agent's console"),
                Ok(false) => {
                    debug!(%call, %agent, "no console open for the agent; ringing the phone anyway")
                }
                Err(e) => {
                    warn!(%call, %agent, error = %e, "screen-pop failed; ringing the phone anyway")
                }
            }
            // Through the ACD task, in order with its other orders: an
            // offer withdrawn meanwhile rings no phone.
            let _ = inputs.send(AcdInput::RingReady {
                call,
                agent,
                seq,
                binding,
                consult,
            });
        });
    }
}

fn status_of(state: &AgentState, since_ms: i64) -> AgentStatus {
    let (reason, call) = match state {
        AgentState::Break { reason } => (Some(reason.clone()), None),
        AgentState::Offered { call }
        | AgentState::OnCall { call }
        | AgentState::WrapUp { call } => (None, Some(*call)),
        AgentState::LoggedOut | AgentState::Available => (None, None),
    };
    AgentStatus {
        state: state.name().to_owned(),
        reason,
        call,
        since_ms,
    }
}
