//! One ACD for a centre of several nodes on one PostgreSQL
//! (`[cluster] node`; docs/architecture.md, "Several nodes").
//!
//! One node leads: it holds the store's advisory lock `acd` on a
//! connection of its own and its ACD task runs the desk for the whole
//! centre. Every other node's ACD task forwards what its calls and
//! consoles tell the ACD to the leader and carries out what the leader
//! orders for them:
//!
//! ```text
//! call on n3 ──Desk{Enqueue}──▶ leader n2 (desk) ──Offer──▶ n1 (agent's console: screen-pop)
//!                                  ▲   │◀──────Answer(Popped)──┘
//!                                  │   └──Order{RingAgent{binding}}──▶ n3 places the agent's leg
//! console on n1 ──Ask{SetState}────┘──Answer──▶ n1     Notice{State}──▶ n1
//! ```
//!
//! Messages are JSON over PostgreSQL notifications (`Store::bus_send`, one
//! channel per node and one the leader announces itself on every second).
//! Media stays on the node that answered the call. Phones register with
//! whichever node Kamailio hands their REGISTER to; every node writes its
//! registrations to the store each half second and looks up the others'
//! there ([`SharedPhones`]).
//!
//! The leader keeps nothing durable: when it dies, its lock goes with its
//! connection, the next node takes it within a second, and every node
//! replays to it what it knows ([`Known`]): its callers still waiting
//! (their first `Enqueue`, so the new desk queues them again) and the
//! agents whose consoles it holds (logged in again; one who was ringing,
//! talking or wrapping up comes back on a break, `after_failover`, since
//! the new desk cannot know that call).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use hotline_acd::{AgentProfile, AgentState};
use hotline_call::call::Order;
use hotline_call::desk::{self, Notice};
use hotline_screenpop::{
    AgentRequest, AgentStatus, ConsultRequest, MonitorAction, Offer, Refused, RequestedState,
};
use hotline_sip::registrar::Binding;
use hotline_sip::transport::SipHandle;
use hotline_sip::Transport;
use hotline_store::{Heard, Registration, Store};
use hotline_types::{AgentId, CallEventRecord, CallId, CaseRef, QueueId};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, warn};

use crate::acd_task::{AcdHandle, AcdInput};

/// The store lock the leader holds.
const LOCK: &str = "acd";
/// The channel every node listens to (the leader's announcements).
const ALL: &str = "all";
/// How often the leader announces itself and others try the lock.
pub const HEARTBEAT: Duration = Duration::from_secs(1);
/// A leader not heard for this long is gone.
pub const LEADER_SILENT: Duration = Duration::from_secs(3);
/// How long an answer from another node is waited for.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// A message between the nodes of a centre.
#[derive(Debug, Serialize, Deserialize)]
pub enum Wire {
    /// The leader says it leads (when it takes the lock, then every second).
    Leader { node: String },
    /// To the leader: what a call of `from` tells the desk.
    Desk { from: String, input: desk::Input },
    /// To the leader: a console request from `from`, answered with `id`.
    Ask { from: String, id: u64, ask: Ask },
    /// To a call's node: the desk's order for the call.
    Order { call: CallId, order: CallOrder },
    /// To a call's node: a call event the desk made, written there in
    /// order with the call's own.
    Event(CallEventRecord),
    /// To a call's node: the caller who asked for a callback hung up; the
    /// callback is placed from there.
    StartCallback {
        call: CallId,
        number: String,
        language: Option<String>,
    },
    /// To a call's node: no task serves the call for the desk any more.
    Detach { call: CallId },
    /// To a console's node.
    Notice { agent: AgentId, notice: Notice },
    /// To a console's node: pop the offer, answer `Popped` to `from`.
    Offer { from: String, id: u64, offer: Offer },
    /// The answer to `id`.
    Answer { id: u64, answer: Answer },
}

/// An ACD order for a call on another node; those the call answers carry
/// where the answer goes.
#[derive(Debug, Serialize, Deserialize)]
pub enum CallOrder {
    Order(Order),
    Hold {
        on: bool,
        from: String,
        id: u64,
    },
    HangupAgent {
        from: String,
        id: u64,
    },
    Monitor {
        supervisor: String,
        binding: Binding,
        action: MonitorAction,
        from: String,
        id: u64,
    },
    EndMonitor {
        supervisor: String,
        from: String,
        id: u64,
    },
}

/// A console request as it travels ([`AgentRequest`] without its reply).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Ask {
    Login {
        agent: AgentId,
        profile: AgentProfile,
    },
    SetState {
        agent: AgentId,
        state: RequestedState,
    },
    Hold {
        agent: AgentId,
        call: CallId,
        on: bool,
    },
    Transfer {
        agent: AgentId,
        call: CallId,
        queue: QueueId,
    },
    Hangup {
        agent: AgentId,
        call: CallId,
    },
    Consult {
        agent: AgentId,
        call: CallId,
        target: ConsultRequest,
    },
    EndConsult {
        agent: AgentId,
        call: CallId,
        complete: bool,
    },
    WrapUp {
        agent: AgentId,
        call: CallId,
        disposition: String,
    },
    ExtendWrapUp {
        agent: AgentId,
        extra: Duration,
    },
    CaseLinked {
        agent: AgentId,
        call: CallId,
        case_ref: CaseRef,
    },
    Status {
        agent: AgentId,
    },
    Monitor {
        supervisor: String,
        agent: AgentId,
        action: MonitorAction,
    },
    /// A new leader hears of an agent logged in before it led (no answer).
    Rejoin {
        agent: AgentId,
        profile: AgentProfile,
        on_break: Option<String>,
    },
}

impl Ask {
    /// The agent whose console asks (a supervisor's asks are nobody's).
    pub fn agent(&self) -> Option<&AgentId> {
        match self {
            Ask::Login { agent, .. }
            | Ask::SetState { agent, .. }
            | Ask::Hold { agent, .. }
            | Ask::Transfer { agent, .. }
            | Ask::Hangup { agent, .. }
            | Ask::Consult { agent, .. }
            | Ask::EndConsult { agent, .. }
            | Ask::WrapUp { agent, .. }
            | Ask::ExtendWrapUp { agent, .. }
            | Ask::CaseLinked { agent, .. }
            | Ask::Status { agent }
            | Ask::Rejoin { agent, .. } => Some(agent),
            Ask::Monitor { .. } => None,
        }
    }
}

/// An answer as it travels.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Answer {
    Status(Result<AgentStatus, Refused>),
    Done(Result<(), Refused>),
    Named(Result<String, Refused>),
    Current(Option<AgentStatus>),
    Call(Result<CallId, Refused>),
    Popped(bool),
}

/// Where the answer to a console request goes on the asking node.
#[derive(Debug)]
pub enum Reply {
    Status(oneshot::Sender<Result<AgentStatus, Refused>>),
    Done(oneshot::Sender<Result<(), Refused>>),
    Named(oneshot::Sender<Result<String, Refused>>),
    Current(oneshot::Sender<Option<AgentStatus>>),
    Call(oneshot::Sender<Result<CallId, Refused>>),
    Nobody,
}

impl Reply {
    pub fn answer(self, answer: Answer) {
        match (self, answer) {
            (Reply::Status(tx), Answer::Status(a)) => drop(tx.send(a)),
            (Reply::Done(tx), Answer::Done(a)) => drop(tx.send(a)),
            (Reply::Named(tx), Answer::Named(a)) => drop(tx.send(a)),
            (Reply::Current(tx), Answer::Current(a)) => drop(tx.send(a)),
            (Reply::Call(tx), Answer::Call(a)) => drop(tx.send(a)),
            (Reply::Nobody, _) => {}
            (reply, answer) => {
                warn!(
                    ?answer,
                    "an answer from the leader does not fit its request"
                );
                reply.refuse(Refused::Other {
                    message: "the centre's ACD answered something else".into(),
                });
            }
        }
    }

    pub fn refuse(self, refused: Refused) {
        match self {
            Reply::Status(tx) => drop(tx.send(Err(refused))),
            Reply::Done(tx) => drop(tx.send(Err(refused))),
            Reply::Named(tx) => drop(tx.send(Err(refused))),
            Reply::Current(tx) => drop(tx.send(None)),
            Reply::Call(tx) => drop(tx.send(Err(refused))),
            Reply::Nobody => {}
        }
    }
}

/// Splits a console request into what travels and where its answer goes;
/// `Err` gives back a request that is carried out on this node (browser
/// audio, the callback list).
pub fn split(
    request: AgentRequest,
    profile: impl FnOnce(&hotline_store::User) -> AgentProfile,
) -> Result<(Ask, Reply), Box<AgentRequest>> {
    Ok(match request {
        AgentRequest::Login { agent, user, reply } => (
            Ask::Login {
                agent,
                profile: profile(&user),
            },
            Reply::Status(reply),
        ),
        AgentRequest::SetState {
            agent,
            state,
            reply,
        } => (Ask::SetState { agent, state }, Reply::Status(reply)),
        AgentRequest::Hold {
            agent,
            call,
            on,
            reply,
        } => (Ask::Hold { agent, call, on }, Reply::Done(reply)),
        AgentRequest::Transfer {
            agent,
            call,
            queue,
            reply,
        } => (Ask::Transfer { agent, call, queue }, Reply::Done(reply)),
        AgentRequest::Hangup { agent, call, reply } => {
            (Ask::Hangup { agent, call }, Reply::Done(reply))
        }
        AgentRequest::Consult {
            agent,
            call,
            target,
            reply,
        } => (
            Ask::Consult {
                agent,
                call,
                target,
            },
            Reply::Named(reply),
        ),
        AgentRequest::EndConsult {
            agent,
            call,
            complete,
            reply,
        } => (
            Ask::EndConsult {
                agent,
                call,
                complete,
            },
            Reply::Done(reply),
        ),
        AgentRequest::WrapUp {
            agent,
            call,
            disposition,
            reply,
        } => (
            Ask::WrapUp {
                agent,
                call,
                disposition,
            },
            Reply::Status(reply),
        ),
        AgentRequest::ExtendWrapUp {
            agent,
            extra,
            reply,
        } => (Ask::ExtendWrapUp { agent, extra }, Reply::Status(reply)),
        AgentRequest::CaseLinked {
            agent,
            call,
            case_ref,
        } => (
            Ask::CaseLinked {
                agent,
                call,
                case_ref,
            },
            Reply::Nobody,
        ),
        AgentRequest::Status { agent, reply } => (Ask::Status { agent }, Reply::Current(reply)),
        AgentRequest::Monitor {
            supervisor,
            agent,
            action,
            reply,
        } => (
            Ask::Monitor {
                supervisor,
                agent,
                action,
            },
            Reply::Call(reply),
        ),
        local @ (AgentRequest::Softphone(_) | AgentRequest::Callback { .. }) => {
            return Err(Box::new(local))
        }
    })
}

/// The leader's side of [`split`]: the request its desk takes, and the
/// future that sends the answer back to `from` once the desk gave it.
/// `Login` is not made here (it carries a profile, not a user).
pub fn rebuild(bus: &Bus, from: String, id: u64, ask: Ask) -> Option<AgentRequest> {
    Some(match ask {
        Ask::Login { .. } | Ask::Rejoin { .. } => return None,
        Ask::SetState { agent, state } => AgentRequest::SetState {
            agent,
            state,
            reply: answer_to(bus, from, id, Answer::Status),
        },
        Ask::Hold { agent, call, on } => AgentRequest::Hold {
            agent,
            call,
            on,
            reply: answer_to(bus, from, id, Answer::Done),
        },
        Ask::Transfer { agent, call, queue } => AgentRequest::Transfer {
            agent,
            call,
            queue,
            reply: answer_to(bus, from, id, Answer::Done),
        },
        Ask::Hangup { agent, call } => AgentRequest::Hangup {
            agent,
            call,
            reply: answer_to(bus, from, id, Answer::Done),
        },
        Ask::Consult {
            agent,
            call,
            target,
        } => AgentRequest::Consult {
            agent,
            call,
            target,
            reply: answer_to(bus, from, id, Answer::Named),
        },
        Ask::EndConsult {
            agent,
            call,
            complete,
        } => AgentRequest::EndConsult {
            agent,
            call,
            complete,
            reply: answer_to(bus, from, id, Answer::Done),
        },
        Ask::WrapUp {
            agent,
            call,
            disposition,
        } => AgentRequest::WrapUp {
            agent,
            call,
            disposition,
            reply: answer_to(bus, from, id, Answer::Status),
        },
        Ask::ExtendWrapUp { agent, extra } => AgentRequest::ExtendWrapUp {
            agent,
            extra,
            reply: answer_to(bus, from, id, Answer::Status),
        },
        Ask::CaseLinked {
            agent,
            call,
            case_ref,
        } => AgentRequest::CaseLinked {
            agent,
            call,
            case_ref,
        },
        Ask::Status { agent } => AgentRequest::Status {
            agent,
            reply: answer_to(bus, from, id, Answer::Current),
        },
        Ask::Monitor {
            supervisor,
            agent,
            action,
        } => AgentRequest::Monitor {
            supervisor,
            agent,
            action,
            reply: answer_to(bus, from, id, Answer::Call),
        },
    })
}

/// A oneshot whose value is sent back to `from` as the answer `id`
/// (the leader's `Login`, the calls' answers to held orders).
pub fn answer_to<T: Send + 'static>(
    bus: &Bus,
    from: String,
    id: u64,
    wrap: fn(T) -> Answer,
) -> oneshot::Sender<T> {
    let (tx, rx) = oneshot::channel();
    let bus = bus.clone();
    tokio::spawn(async move {
        if let Ok(value) = rx.await {
            bus.send(
                &from,
                &Wire::Answer {
                    id,
                    answer: wrap(value),
                },
            );
        }
    });
    tx
}

/// This node's end of the messages between nodes.
#[derive(Debug, Clone)]
pub struct Bus {
    pub node: String,
    /// `hotline.<schema>`: the prefix of this centre's channels and lock.
    centre: String,
    store: Store,
    out: mpsc::UnboundedSender<(String, String)>,
    pending: Arc<Mutex<HashMap<u64, oneshot::Sender<Answer>>>>,
    next: Arc<AtomicU64>,
}

impl Bus {
    /// The bus of `node` in the centre named `centre`
    /// ([`Store::centre_name`]): its sender task starts now;
    /// [`Bus::listen`] starts hearing.
    pub fn new(store: Store, centre: String, node: String) -> Self {
        let (out, rx) = mpsc::unbounded_channel();
        tokio::spawn(send_all(store.clone(), rx));
        Self {
            node,
            centre,
            store,
            out,
            pending: Arc::default(),
            next: Arc::new(AtomicU64::new(1)),
        }
    }

    /// The channel or lock `name` of this centre (at most 63 bytes).
    fn named(&self, name: &str) -> String {
        let mut channel = format!("{}.{name}", self.centre);
        while channel.len() > 63 {
            channel.pop();
        }
        channel
    }

    fn channel_of(&self, node: &str) -> String {
        self.named(&format!("node.{node}"))
    }

    /// Sends `message` to `node` (in order with everything else this node
    /// sends).
    pub fn send(&self, node: &str, message: &Wire) {
        self.post(self.channel_of(node), message);
    }

    /// Sends `message` to every node.
    pub fn broadcast(&self, message: &Wire) {
        self.post(self.named(ALL), message);
    }

    fn post(&self, channel: String, message: &Wire) {
        match serde_json::to_string(message) {
            Ok(body) => {
                let _ = self.out.send((channel, body));
            }
            Err(e) => warn!(error = %e, "a message for another node could not be written"),
        }
    }

    /// A new id whose answer arrives on the returned receiver (dropped
    /// after [`ANSWER_WITHIN`] without one).
    pub fn expect(&self) -> (u64, oneshot::Receiver<Answer>) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().unwrap().insert(id, tx);
        let pending = self.pending.clone();
        tokio::spawn(async move {
            tokio::time::sleep(ANSWER_WITHIN).await;
            pending.lock().unwrap().remove(&id);
        });
        (id, rx)
    }

    /// An answer arrived.
    pub fn resolve(&self, id: u64, answer: Answer) {
        if let Some(tx) = self.pending.lock().unwrap().remove(&id) {
            let _ = tx.send(answer);
        }
    }

    /// Hears this node's channel and the announcements, and hands every
    /// message to the ACD task.
    pub fn listen(&self, acd: AcdHandle) {
        let store = self.store.clone();
        let mine = self.channel_of(&self.node);
        let all = self.named(ALL);
        tokio::spawn(async move {
            loop {
                let mut listener = match store.bus_listener().await {
                    Ok(l) => l,
                    Err(e) => {
                        warn!(error = %e, "cannot listen to the other nodes; retrying");
                        tokio::time::sleep(HEARTBEAT).await;
                        continue;
                    }
                };
                if let Err(e) = async {
                    listener.listen(&mine).await?;
                    listener.listen(&all).await
                }
                .await
                {
                    warn!(error = %e, "cannot listen to the other nodes; retrying");
                    tokio::time::sleep(HEARTBEAT).await;
                    continue;
                }
                loop {
                    // The leader speaks every second: silence this long is
                    // a connection cut off without a word (a network cut),
                    // and a new one is made.
                    let Ok(heard) = tokio::time::timeout(LEADER_SILENT, listener.recv()).await
                    else {
                        debug!("no message from the other nodes for a while: listening again");
                        acd.send(AcdInput::BusLost);
                        break;
                    };
                    match heard {
                        Ok(Heard::Message { body, .. }) => {
                            match serde_json::from_str::<Wire>(&body) {
                                Ok(message) => acd.send(AcdInput::Bus(Box::new(message))),
                                Err(e) => {
                                    warn!(error = %e, "a message from another node was not understood")
                                }
                            }
                        }
                        Ok(Heard::Lost) => {
                            warn!("lost the other nodes' messages for a moment");
                            acd.send(AcdInput::BusLost);
                        }
                        Err(e) => {
                            warn!(error = %e, "the other nodes' messages are not arriving");
                            acd.send(AcdInput::BusLost);
                            tokio::time::sleep(HEARTBEAT).await;
                            break;
                        }
                    }
                }
            }
        });
    }
}

/// Sends what the node posts, in order, in batches; while the database is
/// away the messages wait (bounded: the oldest go first).
async fn send_all(store: Store, mut out: mpsc::UnboundedReceiver<(String, String)>) {
    const MAX_PENDING: usize = 50_000;
    let mut batch: Vec<(String, String)> = Vec::new();
    let mut sender: Option<hotline_store::BusSender> = None;
    loop {
        if batch.is_empty() {
            match out.recv().await {
                Some(m) => batch.push(m),
                None => return,
            }
        }
        while batch.len() < 1_000 {
            match out.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
        let sent = match sender.as_mut() {
            Some(s) => s.send(&batch).await,
            None => match store.bus_sender().await {
                Ok(mut s) => {
                    let sent = s.send(&batch).await;
                    sender = Some(s);
                    sent
                }
                Err(e) => Err(e),
            },
        };
        match sent {
            Ok(()) => batch.clear(),
            Err(e) => {
                sender = None;
                warn!(error = %e, pending = batch.len(), "messages to other nodes wait for the database");
                if batch.len() > MAX_PENDING {
                    batch.drain(..batch.len() - MAX_PENDING);
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// Tries the lock every second; while held, announces this node and
/// checks the lock's connection. Tells the ACD task when this node starts
/// or stops leading.
pub fn spawn_leadership(store: Store, bus: Bus, acd: AcdHandle) {
    tokio::spawn(async move {
        let mut held = None;
        let mut every = tokio::time::interval(HEARTBEAT);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            match held.as_mut() {
                None => match tokio::time::timeout(HEARTBEAT, store.try_lead(&bus.named(LOCK)))
                    .await
                    .unwrap_or_else(|_| {
                        Err(hotline_store::StoreError::Unavailable {
                            detail: "no answer within a second".into(),
                        })
                    }) {
                    Ok(Some(lock)) => {
                        info!(node = %bus.node, "this node leads the centre's ACD");
                        metrics::counter!("hotline_centre_leader_changes_total").increment(1);
                        held = Some(lock);
                        acd.send(AcdInput::Lead(true));
                    }
                    Ok(None) => {}
                    Err(e) => debug!(error = %e, "cannot ask for the centre's ACD lock"),
                },
                Some(lock) => {
                    // A connection that does not answer within a second
                    // (a network cut) is lost as well.
                    let holds = tokio::time::timeout(HEARTBEAT, lock.holds())
                        .await
                        .unwrap_or(false);
                    if !holds {
                        warn!(node = %bus.node, "lost the centre's ACD lock (its connection)");
                        held = None;
                        acd.send(AcdInput::Lead(false));
                        continue;
                    }
                }
            }
            metrics::gauge!("hotline_centre_leader").set(if held.is_some() { 1.0 } else { 0.0 });
            if held.is_some() {
                bus.broadcast(&Wire::Leader {
                    node: bus.node.clone(),
                });
            }
        }
    });
}

/// An agent logged in before the leader changed, as a new leader hears of
/// them.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejoining {
    pub agent: AgentId,
    pub profile: AgentProfile,
    /// The break they were on (`after_failover` for one who was on a call).
    pub on_break: Option<String>,
}

/// What this node knows of its own calls and consoles, replayed to a new
/// leader.
#[derive(Debug, Default)]
pub struct Known {
    /// Callers (and callback entries) waiting in the ACD: what queued them.
    pub waiting: HashMap<CallId, desk::Input>,
    /// Agents whose consoles this node holds: their profile and last state.
    pub agents: HashMap<AgentId, (AgentProfile, AgentState)>,
}

impl Known {
    /// A call's request to the desk, as it leaves this node.
    pub fn told(&mut self, input: &desk::Input) {
        match input {
            desk::Input::Enqueue { call, .. } | desk::Input::EnqueueCallback { call, .. } => {
                self.waiting.insert(*call, input.clone());
            }
            desk::Input::Abandon { call }
            | desk::Input::Leave { call }
            | desk::Input::WithdrawCallback { call } => {
                self.waiting.remove(call);
            }
            _ => {}
        }
    }

    /// An order for one of this node's calls.
    pub fn ordered(&mut self, call: CallId, order: &Order) {
        if matches!(order, Order::Connect { .. } | Order::Overflow { .. }) {
            self.waiting.remove(&call);
        }
    }

    pub fn detached(&mut self, call: CallId) {
        self.waiting.remove(&call);
    }

    /// A notice for an agent whose console is here.
    pub fn noticed(&mut self, agent: &AgentId, notice: &Notice) {
        if let Notice::State { state, .. } = notice {
            if matches!(state, AgentState::LoggedOut) {
                self.agents.remove(agent);
            } else if let Some((_, known)) = self.agents.get_mut(agent) {
                *known = state.clone();
            }
        }
    }

    pub fn logging_in(&mut self, agent: &AgentId, profile: &AgentProfile) {
        self.agents
            .entry(agent.clone())
            .or_insert_with(|| (profile.clone(), AgentState::LoggedOut))
            .0 = profile.clone();
    }

    /// What to tell a new leader, in order: the agents first (so waiting
    /// callers find them), then the callers in the order they queued.
    pub fn replay(&self) -> (Vec<Rejoining>, Vec<desk::Input>) {
        let agents = self
            .agents
            .iter()
            .filter(|(_, (_, state))| !matches!(state, AgentState::LoggedOut))
            .map(|(agent, (profile, state))| {
                let on_break = match state {
                    AgentState::Available => None,
                    AgentState::Break { reason } => Some(reason.clone()),
                    _ => Some("after_failover".to_owned()),
                };
                Rejoining {
                    agent: agent.clone(),
                    profile: profile.clone(),
                    on_break,
                }
            })
            .collect();
        let mut waiting: Vec<desk::Input> = self.waiting.values().cloned().collect();
        // CallIds are UUIDv7: in time order.
        waiting.sort_by_key(|input| match input {
            desk::Input::Enqueue { call, .. } | desk::Input::EnqueueCallback { call, .. } => {
                Some(*call)
            }
            _ => None,
        });
        (agents, waiting)
    }
}

/// Agents' phones across the centre: this node's registrar first, then the
/// registrations the other nodes wrote to the store.
#[derive(Debug, Clone)]
pub struct SharedPhones {
    store: Store,
}

impl SharedPhones {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    pub async fn binding(&self, user: &str) -> Option<Binding> {
        let now = now_ms();
        let r = match self.store.registration(user, now).await {
            Ok(r) => r?,
            Err(e) => {
                warn!(error = %e, user, "cannot read the centre's registrations");
                return None;
            }
        };
        binding_of(&r, now)
    }

    /// Writes this node's live registrations to the store every half
    /// second (when they changed, and at least every 30 s).
    pub fn spawn_sync(&self, node: String, sip: SipHandle) {
        let store = self.store.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(500));
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut written: Option<(Vec<Registration>, Instant)> = None;
            loop {
                every.tick().await;
                let Ok(bindings) = sip.bindings().await else {
                    return;
                };
                let now = now_ms();
                let mut live: Vec<Registration> = bindings
                    .iter()
                    .filter(|b| b.contact.starts_with("sip"))
                    .map(|b| registration_of(b, &node, now))
                    .collect();
                live.sort_by(|a, b| a.sip_user.cmp(&b.sip_user));
                let same = written.as_ref().is_some_and(|(w, at)| {
                    at.elapsed() < Duration::from_secs(30)
                        && w.len() == live.len()
                        && w.iter().zip(&live).all(|(a, b)| {
                            a.sip_user == b.sip_user
                                && a.contact == b.contact
                                && a.source == b.source
                                && (a.expires_at_ms - b.expires_at_ms).abs() < 2_000
                        })
                });
                if same {
                    continue;
                }
                match store.put_registrations(&node, &live).await {
                    Ok(()) => written = Some((live, Instant::now())),
                    Err(e) => debug!(error = %e, "registrations wait for the database"),
                }
            }
        });
    }
}

fn now_ms() -> i64 {
    hotline_types::Timestamp::from_system_time(SystemTime::now()).as_millis()
}

fn registration_of(b: &Binding, node: &str, now_ms: i64) -> Registration {
    let left = b.expires_at.saturating_duration_since(Instant::now());
    Registration {
        sip_user: b.user.clone(),
        contact: b.contact.clone(),
        source: b.source.to_string(),
        transport: format!("{:?}", b.transport),
        digest: b.digest.map(|d| d.name().to_owned()),
        expires_at_ms: now_ms + i64::try_from(left.as_millis()).unwrap_or(i64::MAX / 2),
        node_id: node.to_owned(),
    }
}

fn binding_of(r: &Registration, now_ms: i64) -> Option<Binding> {
    let transport = match r.transport.as_str() {
        "Udp" => Transport::Udp,
        "Tcp" => Transport::Tcp,
        "Tls" => Transport::Tls,
        _ => return None,
    };
    let left = u64::try_from(r.expires_at_ms - now_ms).ok()?;
    Some(Binding {
        user: r.sip_user.clone(),
        contact: r.contact.clone(),
        source: r.source.parse().ok()?,
        transport,
        expires_at: Instant::now() + Duration::from_millis(left),
        digest: r
            .digest
            .as_deref()
            .and_then(hotline_sip::registrar::Algorithm::from_name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registration_round_trips_through_the_store_row() {
        let binding = Binding {
            user: "agent1".into(),
            contact: "sip:agent1@10.0.0.5:5062".into(),
            source: "127.0.0.9:5060".parse().unwrap(),
            transport: Transport::Tcp,
            expires_at: Instant::now() + Duration::from_secs(300),
            digest: Some(hotline_sip::registrar::Algorithm::Sha256),
        };
        let now = now_ms();
        let row = registration_of(&binding, "n1", now);
        assert_eq!(row.node_id, "n1");
        let back = binding_of(&row, now).unwrap();
        assert_eq!(back.contact, binding.contact);
        assert_eq!(back.source, binding.source);
        assert_eq!(back.transport, Transport::Tcp);
        assert_eq!(back.digest, binding.digest);
        let left = back.expires_at - Instant::now();
        assert!(left > Duration::from_secs(298) && left <= Duration::from_secs(300));
        // Expired: no binding.
        assert!(binding_of(&row, now + 301_000).is_none());
    }

    #[test]
    fn every_wire_message_reads_back() {
        let call = CallId::new();
        let messages = [
            Wire::Leader { node: "n2".into() },
            Wire::Ask {
                from: "n1".into(),
                id: 7,
                ask: Ask::SetState {
                    agent: "agent1".into(),
                    state: RequestedState::Break {
                        reason: "lunch".into(),
                    },
                },
            },
            Wire::Order {
                call,
                order: CallOrder::Order(Order::CancelOffer {
                    agent: "agent1".into(),
                }),
            },
            Wire::Answer {
                id: 7,
                answer: Answer::Status(Err(Refused::NotLoggedIn)),
            },
            Wire::Notice {
                agent: "agent1".into(),
                notice: Notice::State {
                    state: AgentState::Break {
                        reason: "lunch".into(),
                    },
                    since: hotline_types::Timestamp(5),
                },
            },
        ];
        for m in messages {
            let text = serde_json::to_string(&m).unwrap();
            let back: Wire = serde_json::from_str(&text).unwrap();
            assert_eq!(serde_json::to_string(&back).unwrap(), text);
        }
    }

    #[test]
    fn a_new_leader_hears_agents_then_callers_in_their_order() {
        let mut known = Known::default();
        let profile = AgentProfile::default();
        known.logging_in(&"a1".into(), &profile);
        known.noticed(
            &"a1".into(),
            &Notice::State {
                state: AgentState::OnCall {
                    call: CallId::new(),
                },
                since: hotline_types::Timestamp(1),
            },
        );
        known.logging_in(&"a2".into(), &profile);
        known.noticed(
            &"a2".into(),
            &Notice::State {
                state: AgentState::Available,
                since: hotline_types::Timestamp(1),
            },
        );
        let enqueue = |call| desk::Input::Enqueue {
            call,
            request: hotline_acd::EnqueueRequest {
                queue: "general".into(),
                priority: 0,
                skills: vec![],
            },
            info: hotline_call::call::WaitingCall::default(),
        };
        let first = CallId::new();
        std::thread::sleep(Duration::from_millis(2));
        let second = CallId::new();
        known.told(&enqueue(second));
        known.told(&enqueue(first));
        let connected = CallId::new();
        known.told(&enqueue(connected));
        known.ordered(connected, &Order::Connect { agent: "a2".into() });
        let (mut agents, waiting) = known.replay();
        agents.sort_by(|a, b| a.agent.cmp(&b.agent));
        assert_eq!(agents[0].on_break.as_deref(), Some("after_failover"));
        assert_eq!(agents[1].on_break, None);
        let calls: Vec<CallId> = waiting
            .iter()
            .map(|i| match i {
                desk::Input::Enqueue { call, .. } => *call,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(calls, vec![first, second]);
    }
}
