//! The ACD's vocabulary with the outside: what comes in (agent profiles,
//! queue requests), what goes out (actions), and the read-only views
//! (agent states, positions, snapshots). Plain data, no behaviour.

use std::time::Duration;

use hotline_types::{AgentId, CallEvent, CallId, QueueId};
use serde::{Deserialize, Serialize};

use crate::Overflow;

/// What an agent brings to a login.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentProfile {
    /// The queues the agent serves.
    pub queues: Vec<QueueId>,
    /// Skill names with levels 1 (novice) ..= 10 (expert).
    pub skills: Vec<(String, u8)>,
}

/// The IVR's request to queue a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnqueueRequest {
    pub queue: QueueId,
    /// Higher is served first.
    pub priority: u8,
    /// Skills an agent must have (at the current minimum level) to take the call.
    pub skills: Vec<String>,
}

/// Where an agent is, as the console and wallboard show it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AgentState {
    LoggedOut,
    /// Waiting for a call.
    Available,
    /// The agent's phone is ringing for this call (the screen-pop is shown).
    Offered {
        call: CallId,
    },
    /// Talking to the citizen.
    OnCall {
        call: CallId,
    },
    /// After the call, recording the disposition.
    WrapUp {
        call: CallId,
    },
    /// Not taking calls, with a reason code (`ring_no_answer` after a missed offer).
    Break {
        reason: String,
    },
}

impl AgentState {
    /// The snake-case name: `logged_out`, `available`, `offered`, `on_call`,
    /// `wrap_up`, `break`.
    pub fn name(&self) -> &'static str {
        match self {
            AgentState::LoggedOut => "logged_out",
            AgentState::Available => "available",
            AgentState::Offered { .. } => "offered",
            AgentState::OnCall { .. } => "on_call",
            AgentState::WrapUp { .. } => "wrap_up",
            AgentState::Break { .. } => "break",
        }
    }
}

/// A state change the agent asked for while on a call or in wrap-up; it
/// takes effect when wrap-up ends.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PendingChange {
    Break { reason: String },
    Logout,
}

/// What the ACD asks its owner to do, in order. Poll with
/// [`Acd::poll_action`](crate::Acd::poll_action) until `None` after every call.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Pop the agent's screen, then ring the agent's phone. Answer with
    /// `offer_answered` or `offer_failed`; the ring timeout is the ACD's.
    Offer {
        call: CallId,
        agent: AgentId,
        queue: QueueId,
        /// For a callback entry: the number to call once the agent answers.
        callback: Option<String>,
    },
    /// Stop ringing this agent for this call (ring timeout, break, caller
    /// gone, another agent answered in ring-all).
    CancelOffer {
        call: CallId,
        agent: AgentId,
        reason: CancelReason,
    },
    /// The call leaves the ACD to the IVR (voicemail, callback offer or the
    /// script's fallback branch). Overflow to another queue is done inside
    /// the ACD (Overflowed event + the call queued there, no action).
    Overflow {
        call: CallId,
        to: Overflow,
        reason: String,
    },
    /// Tell the waiting caller their position and estimated wait.
    Announce {
        call: CallId,
        position: u32,
        estimated_wait: Option<Duration>,
    },
    /// Attended transfer: the citizen holds while the agent on the call
    /// consults `consultee`. An agent's screen pops and their phone rings;
    /// a destination is called. Report the answer with `consult_answered`,
    /// a failure or hang-up of that leg with `consult_gone`.
    Consult {
        call: CallId,
        by: AgentId,
        consultee: Consultee,
    },
    /// The consultation is over: with `Completed` the citizen talks with the
    /// consulted party and the first agent's leg is hung up; otherwise the
    /// consulted leg is hung up (if still up) and the first agent takes the
    /// citizen back.
    ConsultEnded {
        call: CallId,
        outcome: ConsultOutcome,
    },
    /// An agent's state changed (console + wallboard).
    AgentChanged { agent: AgentId, state: AgentState },
    /// A call event to record (the owner stamps the wall-clock time).
    Event { call: CallId, event: CallEvent },
}

/// Whom an agent asks to consult.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConsultTarget {
    /// This agent, who must be available.
    Agent(AgentId),
    /// The agent of this queue its strategy would offer a call to next.
    Queue(QueueId),
    /// A configured destination (by name), outside the ACD.
    Destination(String),
}

/// Who is being consulted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Consultee {
    /// An agent, for a call of `queue` (their console shows it).
    Agent {
        agent: AgentId,
        queue: QueueId,
    },
    Destination(String),
}

/// How a consultation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConsultOutcome {
    /// The citizen was put through to the consulted party.
    Completed,
    /// The first agent took the citizen back.
    Returned,
    /// The consulted agent's phone rang for the queue's ring timeout.
    NoAnswer,
    /// The consulted phone or destination refused or could not be reached,
    /// or the consulted agent went on break or logged out while it rang.
    Failed,
    /// The consulted party hung up after answering.
    HungUp,
    /// The citizen hung up.
    CallerGone,
}

impl ConsultOutcome {
    /// The snake-case name, as `ConsultEnded` records it.
    pub fn name(&self) -> &'static str {
        match self {
            ConsultOutcome::Completed => "completed",
            ConsultOutcome::Returned => "returned",
            ConsultOutcome::NoAnswer => "no_answer",
            ConsultOutcome::Failed => "failed",
            ConsultOutcome::HungUp => "hung_up",
            ConsultOutcome::CallerGone => "caller_gone",
        }
    }
}

/// Why an offer was withdrawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CancelReason {
    /// The phone rang for the queue's `ring_timeout`.
    RingTimeout,
    /// The agent went on break.
    AgentBreak,
    /// The agent logged out.
    AgentLogout,
    /// The caller hung up or asked for a callback.
    CallerGone,
    /// Ring-all: another agent answered first.
    AnsweredElsewhere,
    /// The agent who consulted this one took the citizen back.
    Withdrawn,
}

impl CancelReason {
    /// The snake-case name (`ring_timeout`, `agent_break`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            CancelReason::RingTimeout => "ring_timeout",
            CancelReason::AgentBreak => "agent_break",
            CancelReason::AgentLogout => "agent_logout",
            CancelReason::CallerGone => "caller_gone",
            CancelReason::AnsweredElsewhere => "answered_elsewhere",
            CancelReason::Withdrawn => "withdrawn",
        }
    }
}

/// A queued call's place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuePosition {
    pub queue: QueueId,
    /// 1-based among the queue's unanswered calls (ringing ones included),
    /// in the queue's order (priority, then time of entry).
    pub position: u32,
    /// Unanswered calls in the queue (ringing and callback entries included).
    pub waiting: u32,
    /// See the crate docs for how it is estimated; `None` without history.
    pub estimated_wait: Option<Duration>,
}

/// One queue on the wallboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSnapshot {
    pub queue: QueueId,
    pub department: String,
    /// Unanswered calls (ringing and callback entries included).
    pub waiting: u32,
    /// The longest current wait among them (zero when none).
    pub longest_wait: Duration,
    pub agents_logged_in: u32,
    pub available: u32,
    pub offered: u32,
    pub on_call: u32,
    pub wrap_up: u32,
    pub on_break: u32,
}

/// One agent on the wallboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentSnapshot {
    pub agent: AgentId,
    pub state: AgentState,
    pub in_state_for: Duration,
    /// Since the last login.
    pub calls_answered: u32,
    pub queues: Vec<QueueId>,
    /// A break or logout asked for during a call, applied after wrap-up.
    pub pending: Option<PendingChange>,
}
