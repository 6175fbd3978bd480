//! The ACD driver: one tokio task owns the ACD desk
//! (`hotline_call::desk::Desk`: the ACD decision core and the calls it
//! holds) and carries out what it asks.
//!
//! Inputs come from two sides:
//! - call tasks (`crate::call`) queue their caller, report the agent's phone
//!   answering or failing, the caller hanging up, the conversation ending;
//! - the agent console (`hotline_screenpop`) asks for agent state changes,
//!   hold, transfer, hang-up, wrap-up, and links cases to calls.
//!
//! The driver keeps where each call's orders go (the task serving it),
//! looks up agents' phones off its loop and pushes screen-pops before
//! telling the desk the phone may ring, starts callback tasks, sends agent
//! states to the store's writer, events to the event sink, and the live
//! board to the wallboard once a second.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use crate::softphone::Phones;
use hotline_acd::{AcdConfig, AgentProfile, AgentState, ConsultTarget, Overflow};
use hotline_call::desk::{self, Desk, Notice, Pop, Wanted};
use hotline_screenpop::{
    AgentRequest, AgentStatus, Console, ConsoleEvent, ConsultRequest, LiveAgent, LiveBoard,
    LiveQueue, MonitorAction, Offer, Refused, RequestedState,
};
use hotline_sip::registrar::Binding;
use hotline_store::{AgentStateRecord, Store, User};
use hotline_types::{AgentId, CallEvent, CallEventRecord, CallId, QueueId, Timestamp};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, warn};

use crate::call::CallInput;
use crate::callback::CallbackJob;
use crate::callback_list::CallbackList;
use crate::centre::{self, Answer, Ask, Bus, CallOrder, Known, Wire};
use crate::config::{QueueConfig, QueueStrategy};
use crate::events::EventSink;
use crate::refusal;

use hotline_call::call::Order;
use hotline_media::MonitorMode;

/// Inputs of the ACD task.
#[derive(Debug)]
pub enum AcdInput {
    /// For the desk; `route`, when the IVR queues the caller, is where the
    /// call's orders go from now on.
    Desk {
        input: desk::Input,
        route: Option<mpsc::UnboundedSender<CallInput>>,
    },
    /// A console login whose phone binding was found.
    LoginChecked {
        agent: AgentId,
        profile: AgentProfile,
        reply: oneshot::Sender<Result<AgentStatus, Refused>>,
    },
    /// A request from the agent console.
    Console(AgentRequest),
    /// A reload: the queues from now on (callers and agents stay).
    Configure(Vec<QueueConfig>),
    /// A centre of several nodes: a message from another node.
    Bus(Box<Wire>),
    /// Messages from other nodes may have been missed.
    BusLost,
    /// This node took (`true`) or lost the centre's ACD lock.
    Lead(bool),
}

/// Where a call's orders go: its task on this node, or the node that
/// carries it (a centre's leader only).
#[derive(Debug, Clone)]
enum Route {
    Local(mpsc::UnboundedSender<CallInput>),
    Node(String),
}

/// This node's part in a centre of several nodes (`crate::centre`).
struct CentreRole {
    bus: Bus,
    /// This node runs the centre's desk.
    leading: bool,
    /// The node that does, when known (this one while leading).
    leader: Option<String>,
    /// When the leader was last heard.
    heard: Instant,
    /// Leader: the node holding each agent's console, when not this one.
    consoles: HashMap<AgentId, String>,
    /// This node's calls waiting and consoles, for a new leader.
    known: Known,
}

impl From<desk::Input> for AcdInput {
    fn from(input: desk::Input) -> Self {
        AcdInput::Desk { input, route: None }
    }
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
        reply: oneshot::Sender<Result<(), Refused>>,
    },
    /// The supervisor leaves the conversation.
    EndMonitor {
        supervisor: String,
        reply: oneshot::Sender<Result<(), Refused>>,
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

fn wall() -> Timestamp {
    Timestamp::from_system_time(SystemTime::now())
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

struct AcdTask {
    desk: Desk,
    /// Where agents' and supervisors' calls ring: SIP phones, or an
    /// agent's browser.
    phones: Phones,
    console: Console,
    events: EventSink,
    inputs: mpsc::UnboundedSender<AcdInput>,
    /// Where each call's orders go: the task serving it, if any.
    routes: HashMap<CallId, Route>,
    /// Where callbacks are launched; None when no outbound trunk is configured.
    callbacks: Option<mpsc::UnboundedSender<CallbackJob>>,
    /// Agent state changes on their way to the store (occupancy statistics).
    agent_log: mpsc::UnboundedSender<AgentStateRecord>,
    /// Supervisors' changes to the callback list go there.
    callback_list: CallbackList,
    queues: Vec<QueueConfig>,
    /// In a centre of several nodes: this node's part.
    centre: Option<CentreRole>,
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

/// Starts the ACD task; with `centre` (this node's bus in a centre of
/// several nodes) it leads the centre's ACD or follows the node that does.
#[allow(clippy::too_many_arguments)]
pub fn start(
    queues: &[QueueConfig],
    phones: Phones,
    console: Console,
    events: EventSink,
    mut console_requests: mpsc::UnboundedReceiver<AgentRequest>,
    callbacks: Callbacks,
    store: Store,
    centre: Option<Bus>,
) -> AcdHandle {
    let (agent_log, agent_states) = mpsc::unbounded_channel();
    tokio::spawn(write_agent_states(store.clone(), agent_states));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let handle = AcdHandle { inputs: tx.clone() };
    if let Some(bus) = &centre {
        bus.listen(handle.clone());
        centre::spawn_leadership(store, bus.clone(), handle.clone());
    }
    let forward = tx.clone();
    tokio::spawn(async move {
        while let Some(request) = console_requests.recv().await {
            if forward.send(AcdInput::Console(request)).is_err() {
                return;
            }
        }
    });
    let mut task = AcdTask {
        desk: Desk::new(acd_config(queues), callbacks.launcher.is_some()),
        phones,
        console,
        events,
        inputs: tx,
        routes: HashMap::new(),
        callbacks: callbacks.launcher,
        callback_list: callbacks.list,
        agent_log,
        queues: queues.to_vec(),
        centre: centre.map(|bus| CentreRole {
            bus,
            leading: false,
            leader: None,
            heard: Instant::now(),
            consoles: HashMap::new(),
            known: Known::default(),
        }),
    };
    tokio::spawn(async move {
        let mut gauges = tokio::time::interval(Duration::from_secs(1));
        gauges.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            let deadline = task.desk.poll_timeout();
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
                _ = timer => task.desk.handle_timeout(Instant::now(), wall()),
                _ = gauges.tick() => {
                    task.check_leader();
                    task.publish_gauges();
                }
            }
            task.carry_out();
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
        let (lines, legs) = self.phones.softphone.counts();
        metrics::gauge!("hotline_browser_lines").set(lines as f64);
        metrics::gauge!("hotline_browser_legs").set(legs as f64);
        let queues = self.desk.acd().queue_snapshots(now);
        let agents = self.desk.acd().agent_snapshots(now);
        self.console.publish_live(LiveBoard {
            at_ms: wall().as_millis(),
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
            AcdInput::Desk { input, route } => {
                if let Some(route) = route {
                    if let desk::Input::Enqueue { call, .. } = &input {
                        self.routes.insert(*call, Route::Local(route));
                    }
                }
                match &mut self.centre {
                    None => self.desk.handle(now, wall(), input),
                    Some(c) => {
                        c.known.told(&input);
                        if c.leading {
                            self.desk.handle(now, wall(), input);
                        } else if let Some(leader) = &c.leader {
                            let from = c.bus.node.clone();
                            c.bus.send(leader, &Wire::Desk { from, input });
                        } else {
                            // A new leader hears of the waiting callers when
                            // it announces itself; the rest died with the old.
                            debug!(?input, "no leader of the centre's ACD for now");
                        }
                    }
                }
            }
            AcdInput::LoginChecked {
                agent,
                profile,
                reply,
            } => {
                let result = self.desk.login(now, wall(), agent.clone(), profile);
                let _ = reply.send(self.status_after(&agent, result));
            }
            AcdInput::Console(request) => match self.centre.as_mut() {
                Some(c) if !c.leading => self.ask_leader(request),
                Some(c) => {
                    if let AgentRequest::Login { agent, user, .. } = &request {
                        c.known
                            .logging_in(agent, &agent_profile(user, &self.queues));
                    }
                    if let Some(agent) = request_agent(&request) {
                        c.consoles.remove(agent);
                    }
                    self.console_request(now, request);
                }
                None => self.console_request(now, request),
            },
            AcdInput::Configure(queues) => {
                self.desk.configure(now, wall(), acd_config(&queues));
                self.queues = queues;
            }
            AcdInput::Bus(message) => self.bus_message(now, *message),
            AcdInput::BusLost => {
                if let Some(c) = self.centre.as_mut() {
                    if !c.leading {
                        // The next announcement replays this node's calls
                        // and consoles to the leader.
                        c.leader = None;
                    }
                }
            }
            AcdInput::Lead(leading) => self.lead(now, leading),
        }
    }

    /// A leader not heard for [`centre::LEADER_SILENT`] is gone: until the
    /// next one announces itself, this node's callers wait here.
    fn check_leader(&mut self) {
        if let Some(c) = self.centre.as_mut() {
            if !c.leading && c.leader.is_some() && c.heard.elapsed() > centre::LEADER_SILENT {
                warn!(leader = ?c.leader, "the leader of the centre's ACD went silent");
                c.leader = None;
            }
        }
    }

    /// A follower's console request: sent to the leader, answered when it
    /// answers (or refused after [`centre::ANSWER_WITHIN`]).
    fn ask_leader(&mut self, request: AgentRequest) {
        let queues = &self.queues;
        let split = centre::split(request, |user| agent_profile(user, queues));
        let (ask, reply) = match split {
            Ok(split) => split,
            Err(local) => return self.console_request(Instant::now(), *local),
        };
        let Some(c) = self.centre.as_mut() else {
            return;
        };
        if let Ask::Login { agent, profile } = &ask {
            c.known.logging_in(agent, profile);
        }
        let Some(leader) = c.leader.clone() else {
            reply.refuse(Refused::Other {
                message: "the centre's ACD is changing nodes: try again in a few seconds".into(),
            });
            return;
        };
        let (id, answer) = c.bus.expect();
        let from = c.bus.node.clone();
        c.bus.send(&leader, &Wire::Ask { from, id, ask });
        tokio::spawn(async move {
            match answer.await {
                Ok(answer) => reply.answer(answer),
                Err(_) => reply.refuse(Refused::Other {
                    message: "the centre's ACD did not answer in time: try again".into(),
                }),
            }
        });
    }

    /// This node took the centre's lock (a fresh desk, fed with what this
    /// node knows; the others replay theirs when they hear it), or lost it.
    fn lead(&mut self, now: Instant, leading: bool) {
        let Some(c) = self.centre.as_mut() else {
            return;
        };
        c.leading = leading;
        c.leader = leading.then(|| c.bus.node.clone());
        c.consoles.clear();
        let (agents, waiting) = c.known.replay();
        self.desk = Desk::new(acd_config(&self.queues), self.callbacks.is_some());
        self.routes
            .retain(|_, route| matches!(route, Route::Local(_)));
        if !leading {
            return;
        }
        for r in agents {
            self.rejoin(now, r.agent, r.profile, r.on_break);
        }
        for input in waiting {
            self.desk.handle(now, wall(), input);
        }
    }

    /// An agent logged in before the leader changed: logged in again
    /// without the phone check, on the break they were on.
    fn rejoin(
        &mut self,
        now: Instant,
        agent: AgentId,
        profile: AgentProfile,
        on_break: Option<String>,
    ) {
        if self
            .desk
            .agent(&agent, wall())
            .is_some_and(|(state, _)| !matches!(state, AgentState::LoggedOut))
        {
            // Replayed to the same leader: it knows them.
            return;
        }
        if let Err(e) = self.desk.login(now, wall(), agent.clone(), profile) {
            warn!(%agent, error = %e, "an agent could not be logged in again after the leader changed");
            return;
        }
        if let Some(reason) = on_break {
            let _ = self
                .desk
                .set_state(now, wall(), &agent, Wanted::Break { reason });
        }
        info!(%agent, "agent logged in again after the centre's ACD moved");
    }

    /// A message from another node.
    fn bus_message(&mut self, now: Instant, message: Wire) {
        let Some(c) = self.centre.as_mut() else {
            return;
        };
        match message {
            Wire::Leader { node } => {
                if node == c.bus.node {
                    return;
                }
                c.heard = Instant::now();
                if c.leading {
                    warn!(other = %node, "another node says it leads the centre's ACD");
                } else if c.leader.as_deref() != Some(node.as_str()) {
                    info!(leader = %node, "the centre's ACD is led by another node");
                    c.leader = Some(node.clone());
                    self.replay_to(&node);
                }
            }
            Wire::Desk { from, input } => {
                if !c.leading {
                    return debug!(%from, "not the leader: a call's request dropped");
                }
                if let desk::Input::Enqueue { call, .. }
                | desk::Input::EnqueueCallback { call, .. } = &input
                {
                    // A node that lost the messages for a moment replays
                    // its waiting callers to the same leader: already here.
                    if self.routes.contains_key(call) {
                        return debug!(%call, %from, "a waiting caller replayed twice");
                    }
                    self.routes.insert(*call, Route::Node(from));
                }
                self.desk.handle(now, wall(), input);
            }
            Wire::Ask { from, id, ask } => {
                if !c.leading {
                    return debug!(%from, "not the leader: a console request dropped");
                }
                if let Some(agent) = ask.agent() {
                    c.consoles.insert(agent.clone(), from.clone());
                }
                match ask {
                    Ask::Login { agent, profile } => {
                        let reply = centre::answer_to(&c.bus, from, id, Answer::Status);
                        self.login(agent, profile, reply);
                    }
                    Ask::Rejoin {
                        agent,
                        profile,
                        on_break,
                    } => self.rejoin(now, agent, profile, on_break),
                    ask => {
                        if let Some(request) = centre::rebuild(&c.bus, from, id, ask) {
                            self.console_request(now, request);
                        }
                    }
                }
            }
            Wire::Answer { id, answer } => c.bus.resolve(id, answer),
            Wire::Order { call, order } => self.order_from_leader(call, order),
            Wire::Event(record) => self.events.submit(record),
            Wire::StartCallback {
                call,
                number,
                language,
            } => self.start_callback(call, number, language),
            Wire::Detach { call } => {
                c.known.detached(call);
                self.routes.remove(&call);
            }
            Wire::Notice { agent, notice } => self.notify_here(&agent, notice),
            Wire::Offer { from, id, offer } => {
                let console = self.console.clone();
                let bus = c.bus.clone();
                tokio::spawn(async move {
                    let popped = console.offer(offer).await.unwrap_or(false);
                    bus.send(
                        &from,
                        &Wire::Answer {
                            id,
                            answer: Answer::Popped(popped),
                        },
                    );
                });
            }
        }
    }

    /// Tells a new leader this node's agents and waiting callers.
    fn replay_to(&mut self, leader: &str) {
        let Some(c) = self.centre.as_mut() else {
            return;
        };
        let (agents, waiting) = c.known.replay();
        let from = c.bus.node.clone();
        for r in agents {
            c.bus.send(
                leader,
                &Wire::Ask {
                    from: from.clone(),
                    id: 0,
                    ask: Ask::Rejoin {
                        agent: r.agent,
                        profile: r.profile,
                        on_break: r.on_break,
                    },
                },
            );
        }
        for input in waiting {
            c.bus.send(
                leader,
                &Wire::Desk {
                    from: from.clone(),
                    input,
                },
            );
        }
    }

    /// The leader's order for a call on this node.
    fn order_from_leader(&mut self, call: CallId, order: CallOrder) {
        let Some(c) = self.centre.as_mut() else {
            return;
        };
        let order = match order {
            CallOrder::Order(order) => {
                c.known.ordered(call, &order);
                AcdOrder::Order(order)
            }
            CallOrder::Hold { on, from, id } => AcdOrder::Hold {
                on,
                reply: centre::answer_to(&c.bus, from, id, Answer::Done),
            },
            CallOrder::HangupAgent { from, id } => AcdOrder::HangupAgent {
                reply: centre::answer_to(&c.bus, from, id, Answer::Done),
            },
            CallOrder::Monitor {
                supervisor,
                binding,
                action,
                from,
                id,
            } => {
                let reply = centre::answer_to(&c.bus, from, id, Answer::Done);
                match monitor_mode(action) {
                    Some(mode) => AcdOrder::Monitor {
                        supervisor,
                        binding,
                        mode,
                        reply,
                    },
                    None => AcdOrder::EndMonitor { supervisor, reply },
                }
            }
            CallOrder::EndMonitor {
                supervisor,
                from,
                id,
            } => AcdOrder::EndMonitor {
                supervisor,
                reply: centre::answer_to(&c.bus, from, id, Answer::Done),
            },
        };
        match self.routes.get(&call) {
            Some(Route::Local(task)) => {
                let _ = task.send(CallInput::Acd(order));
            }
            _ => debug!(%call, "an order from the leader for a call no longer here"),
        }
    }

    /// A console login: the phone must be registered (or the console page
    /// be the agent's phone), since that is where calls will ring.
    fn login(
        &self,
        agent: AgentId,
        profile: AgentProfile,
        reply: oneshot::Sender<Result<AgentStatus, Refused>>,
    ) {
        let phones = self.phones.clone();
        let inputs = self.inputs.clone();
        tokio::spawn(async move {
            if matches!(phones.binding(agent.as_str()).await, Ok(Some(_))) {
                let _ = inputs.send(AcdInput::LoginChecked {
                    agent,
                    profile,
                    reply,
                });
            } else {
                let _ = reply.send(Err(Refused::PhoneNotRegistered {
                    sip_user: agent.to_string(),
                }));
            }
        });
    }

    /// Tells an agent's console on this node.
    fn notify_here(&mut self, agent: &AgentId, notice: Notice) {
        if let Some(c) = self.centre.as_mut() {
            c.known.noticed(agent, &notice);
        }
        self.console.push(agent, console_event(notice));
    }

    /// Carries out what the desk asked, in order.
    fn carry_out(&mut self) {
        while let Some(output) = self.desk.poll_output() {
            match output {
                desk::Output::Order { call, order } => self.order(call, order),
                desk::Output::Pop { seq, pop } => self.pop_and_ring(seq, pop),
                desk::Output::StartCallback {
                    call,
                    number,
                    language,
                } => match self.routes.get(&call) {
                    // The callback is placed from the node the caller rang.
                    Some(Route::Node(node)) => {
                        let node = node.clone();
                        self.send_to(
                            &node,
                            &Wire::StartCallback {
                                call,
                                number,
                                language,
                            },
                        );
                    }
                    _ => self.start_callback(call, number, language),
                },
                desk::Output::Detach { call } => match self.routes.remove(&call) {
                    Some(Route::Node(node)) => self.send_to(&node, &Wire::Detach { call }),
                    Some(Route::Local(_)) => {
                        if let Some(c) = self.centre.as_mut() {
                            c.known.detached(call);
                        }
                    }
                    None => {}
                },
                desk::Output::Console { agent, notice } => match self.console_node(&agent) {
                    Some(node) => self.send_to(&node, &Wire::Notice { agent, notice }),
                    None => self.notify_here(&agent, notice),
                },
                desk::Output::AgentChanged { agent, state, at } => {
                    let status = status_of(&state, at.as_millis());
                    let _ = self.agent_log.send(AgentStateRecord {
                        agent: agent.as_str().to_owned(),
                        state: status.state,
                        reason: status.reason,
                        call: status.call,
                        at,
                    });
                }
                desk::Output::Event(record) => {
                    metrics::counter!("hotline_acd_decisions_total", "kind" => record.event.kind())
                        .increment(1);
                    // A call on another node has its events written there,
                    // in order with its own.
                    match self.routes.get(&record.call_id) {
                        Some(Route::Node(node)) => {
                            let node = node.clone();
                            self.send_to(&node, &Wire::Event(record));
                        }
                        _ => self.events.submit(record),
                    }
                }
            }
        }
    }

    /// The node holding `agent`'s console when it is another one (leader).
    fn console_node(&self, agent: &AgentId) -> Option<String> {
        self.centre.as_ref()?.consoles.get(agent).cloned()
    }

    fn send_to(&self, node: &str, message: &Wire) {
        if let Some(c) = &self.centre {
            c.bus.send(node, message);
        }
    }

    fn order(&mut self, call: CallId, order: impl Into<AcdOrder>) {
        let order = order.into();
        let Some(route) = self.routes.get(&call) else {
            return;
        };
        if let (Some(c), AcdOrder::Order(o), Route::Local(_)) =
            (self.centre.as_mut(), &order, route)
        {
            c.known.ordered(call, o);
        }
        deliver(route, self.centre.as_ref().map(|c| &c.bus), call, order);
    }

    fn status(&self, agent: &AgentId) -> Option<AgentStatus> {
        let (state, since) = self.desk.agent(agent, wall())?;
        Some(status_of(&state, since.as_millis()))
    }

    fn console_request(&mut self, now: Instant, request: AgentRequest) {
        match request {
            // Browser audio's signalling: the softphone's, in order with
            // the agent's other requests.
            AgentRequest::Softphone(signal) => self.phones.softphone.signal(signal),
            AgentRequest::Login { agent, user, reply } => {
                let profile = agent_profile(&user, &self.queues);
                self.login(agent, profile, reply);
            }
            AgentRequest::SetState {
                agent,
                state,
                reply,
            } => {
                let wanted = match state {
                    RequestedState::Available => Wanted::Available,
                    RequestedState::Break { reason } => Wanted::Break { reason },
                    RequestedState::LoggedOut => Wanted::LoggedOut,
                };
                let result = self.desk.set_state(now, wall(), &agent, wanted);
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
                    self.desk
                        .transfer(now, wall(), agent, call, queue)
                        .map_err(refusal::of_acd)
                });
                self.carry_out();
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
                    self.desk
                        .consult(now, wall(), call, target)
                        .map_err(refusal::of_acd)
                });
                self.carry_out();
                let _ = reply.send(result);
            }
            AgentRequest::EndConsult {
                agent,
                call,
                complete,
                reply,
            } => {
                let result = self.talking(&agent, call).and_then(|()| {
                    self.desk
                        .end_consult(now, wall(), call, complete)
                        .map_err(refusal::of_acd)
                });
                self.carry_out();
                let _ = reply.send(result);
            }
            AgentRequest::WrapUp {
                agent,
                call: _,
                disposition,
                reply,
            } => {
                let result = self.desk.wrap_up_done(now, wall(), &agent, &disposition);
                let _ = reply.send(self.status_after(&agent, result));
            }
            AgentRequest::ExtendWrapUp {
                agent,
                extra,
                reply,
            } => {
                let result = self.desk.extend_wrap_up(now, wall(), &agent, extra);
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
                    wall(),
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
        let Some(call) = self.desk.acd().conducted_call(agent) else {
            let _ = reply.send(Err(Refused::NotTalking {
                agent: agent.to_string(),
            }));
            return;
        };
        let Some(route) = self.routes.get(&call).cloned() else {
            let _ = reply.send(Err(Refused::CallEnded));
            return;
        };
        let bus = self.centre.as_ref().map(|c| c.bus.clone());
        let phones = self.phones.clone();
        tokio::spawn(async move {
            let (tx, rx) = oneshot::channel();
            let mode = monitor_mode(action);
            let order = match mode {
                None => AcdOrder::EndMonitor {
                    supervisor,
                    reply: tx,
                },
                Some(mode) => match phones.sip_binding(&supervisor).await {
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
            if !deliver(&route, bus.as_ref(), call, order) {
                let _ = reply.send(Err(Refused::CallEnded));
                return;
            }
            let answer = match rx.await {
                Ok(Ok(())) => Ok(call),
                Ok(Err(refused)) => Err(refused),
                Err(_) => Err(Refused::CallEnded),
            };
            let _ = reply.send(answer);
        });
    }

    /// The answer to a console request that changed an agent: their new
    /// status, or why the change was refused.
    fn status_after(
        &mut self,
        agent: &AgentId,
        result: Result<(), hotline_acd::AcdError>,
    ) -> Result<AgentStatus, Refused> {
        // What the change set off is carried out before the answer.
        self.carry_out();
        result
            .map_err(refusal::of_acd)
            .and_then(|()| self.status(agent).ok_or(Refused::NotLoggedIn))
    }

    /// The agent conducts this call (so may hold, transfer, consult or hang
    /// it up); a colleague they consult does not.
    fn talking(&self, agent: &AgentId, call: CallId) -> Result<(), Refused> {
        self.desk
            .acd()
            .check_conducts(agent, call)
            .map_err(|e| match e {
                // At the console this is an agent who has not logged in.
                hotline_acd::AcdError::UnknownAgent(_) => Refused::NotLoggedIn,
                other => refusal::of_acd(other),
            })
    }

    /// A callback task takes the call's place: the desk's orders for the
    /// call go to it from now on.
    fn start_callback(&mut self, call: CallId, number: String, language: Option<String>) {
        let Some(launcher) = &self.callbacks else {
            return;
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let job = CallbackJob {
            call,
            number,
            language,
            inputs: tx.clone(),
            orders: rx,
        };
        if launcher.send(job).is_ok() {
            self.routes.insert(call, Route::Local(tx));
        } else {
            warn!(%call, "the callback launcher has stopped: the callback is not placed");
        }
    }

    /// Pops the call on the agent's console, then (through the ACD task, as
    /// `RingReady`) lets the desk ring their phone: for an offer, or for a
    /// consultation.
    fn pop_and_ring(&self, seq: u64, pop: Pop) {
        let failed = pop.failed();
        let consult = pop.consulted_by.is_some();
        let (call, agent) = (pop.call, pop.agent.clone());
        let offer = Offer {
            agent: pop.agent,
            call: pop.call,
            queue: pop.queue,
            caller: pop.caller,
            waited: pop.waited,
            ivr_path: pop.ivr_path,
            ivr_vars: pop.ivr_vars,
            citizen_hint: pop.citizen_hint,
            callback: pop.callback,
            consulted_by: pop.consulted_by,
        };
        let sip = self.phones.clone();
        let console = self.console.clone();
        let inputs = self.inputs.clone();
        let centre = self.centre.is_some();
        let remote = self
            .console_node(&agent)
            .zip(self.centre.as_ref().map(|c| c.bus.clone()));
        tokio::spawn(async move {
            let popped = async {
                match remote {
                    Some((node, bus)) => {
                        let (id, answer) = bus.expect();
                        let from = bus.node.clone();
                        bus.send(&node, &Wire::Offer { from, id, offer });
                        match tokio::time::timeout(Duration::from_secs(2), answer).await {
                            Ok(Ok(Answer::Popped(popped))) => Ok(popped),
                            _ => Err(anyhow::anyhow!("the console's node {node} did not answer")),
                        }
                    }
                    None => console.offer(offer).await.map_err(anyhow::Error::from),
                }
            };
            let binding = sip.binding(agent.as_str());
            // In a centre the phone is looked up while the console's node
            // pops (each is a round trip through PostgreSQL); a phone not
            // found fails the offer, which ends the pop on the console.
            let (binding, popped) = if centre {
                tokio::join!(binding, popped)
            } else {
                match binding.await {
                    Ok(Some(b)) => (Ok(Some(b)), popped.await),
                    other => (other, Ok(false)),
                }
            };
            let binding: Binding = match binding {
                Ok(Some(binding)) => binding,
                _ => {
                    info!(%call, %agent, "the agent's phone is not registered: offer failed");
                    let _ = inputs.send(failed.into());
                    return;
                }
            };
            match popped {
                Ok(true) => info!(%call, %agent, "screen-pop handed to the agent's console"),
                Ok(false) => {
                    debug!(%call, %agent, "no console open for the agent; ringing the phone anyway")
                }
                Err(e) => {
                    warn!(%call, %agent, error = %e, "screen-pop failed; ringing the phone anyway")
                }
            }
            // Through the ACD task, in order with its other inputs: an
            // offer withdrawn meanwhile rings no phone.
            let _ = inputs.send(
                desk::Input::RingReady {
                    call,
                    agent,
                    seq,
                    binding,
                    consult,
                }
                .into(),
            );
        });
    }
}

/// Hands an order to the call's task here, or to the node carrying the
/// call (an order the call answers is answered back through the bus);
/// false when the call's task is gone.
fn deliver(route: &Route, bus: Option<&Bus>, call: CallId, order: AcdOrder) -> bool {
    let (node, bus) = match (route, bus) {
        (Route::Local(task), _) => return task.send(CallInput::Acd(order)).is_ok(),
        (Route::Node(node), Some(bus)) => (node, bus),
        (Route::Node(_), None) => return false,
    };
    let from = bus.node.clone();
    let wire = match order {
        AcdOrder::Order(order) => CallOrder::Order(order),
        AcdOrder::Hold { on, reply } => {
            let id = answered_by(bus, reply);
            CallOrder::Hold { on, from, id }
        }
        AcdOrder::HangupAgent { reply } => {
            let id = answered_by(bus, reply);
            CallOrder::HangupAgent { from, id }
        }
        AcdOrder::Monitor {
            supervisor,
            binding,
            mode,
            reply,
        } => {
            let id = answered_by(bus, reply);
            let action = match mode {
                MonitorMode::Listen => MonitorAction::Listen,
                MonitorMode::Whisper => MonitorAction::Whisper,
                MonitorMode::Barge => MonitorAction::Barge,
            };
            CallOrder::Monitor {
                supervisor,
                binding,
                action,
                from,
                id,
            }
        }
        AcdOrder::EndMonitor { supervisor, reply } => {
            let id = answered_by(bus, reply);
            CallOrder::EndMonitor {
                supervisor,
                from,
                id,
            }
        }
    };
    bus.send(node, &Wire::Order { call, order: wire });
    true
}

/// An id whose answer (`Done`) goes to `reply`; the call having ended
/// when none comes.
fn answered_by(bus: &Bus, reply: oneshot::Sender<Result<(), Refused>>) -> u64 {
    let (id, answer) = bus.expect();
    tokio::spawn(async move {
        let _ = reply.send(match answer.await {
            Ok(Answer::Done(result)) => result,
            _ => Err(Refused::CallEnded),
        });
    });
    id
}

fn monitor_mode(action: MonitorAction) -> Option<MonitorMode> {
    match action {
        MonitorAction::Listen => Some(MonitorMode::Listen),
        MonitorAction::Whisper => Some(MonitorMode::Whisper),
        MonitorAction::Barge => Some(MonitorMode::Barge),
        MonitorAction::Stop => None,
    }
}

/// The agent a console request is about (none for a supervisor's).
fn request_agent(request: &AgentRequest) -> Option<&AgentId> {
    match request {
        AgentRequest::Login { agent, .. }
        | AgentRequest::SetState { agent, .. }
        | AgentRequest::Hold { agent, .. }
        | AgentRequest::Transfer { agent, .. }
        | AgentRequest::Hangup { agent, .. }
        | AgentRequest::Consult { agent, .. }
        | AgentRequest::EndConsult { agent, .. }
        | AgentRequest::WrapUp { agent, .. }
        | AgentRequest::ExtendWrapUp { agent, .. }
        | AgentRequest::CaseLinked { agent, .. }
        | AgentRequest::Status { agent, .. } => Some(agent),
        AgentRequest::Monitor { .. }
        | AgentRequest::Callback { .. }
        | AgentRequest::Softphone(_) => None,
    }
}

/// What the desk tells an agent, as their console page takes it.
fn console_event(notice: Notice) -> ConsoleEvent {
    match notice {
        Notice::Answered { call } => ConsoleEvent::Answered { call },
        Notice::Ended { call, by } => ConsoleEvent::Ended {
            call,
            by: format!("{by:?}").to_ascii_lowercase(),
        },
        Notice::ConsultEnded { call, outcome } => ConsoleEvent::ConsultEnded {
            call,
            outcome: outcome.name().to_string(),
        },
        Notice::WrapUp { call, until } => ConsoleEvent::WrapUp {
            call,
            until_ms: until.as_millis(),
        },
        Notice::State { state, since } => ConsoleEvent::State(status_of(&state, since.as_millis())),
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
