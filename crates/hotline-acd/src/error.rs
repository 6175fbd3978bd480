//! The crate's one error type: every refusal of an input says which id and
//! which state made it wrong. Refused inputs change nothing.

use hotline_types::{AgentId, CallId, QueueId};

/// Why the ACD refused an input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AcdError {
    #[error("unknown queue {0}")]
    UnknownQueue(QueueId),
    #[error("unknown agent {0} (never logged in)")]
    UnknownAgent(AgentId),
    #[error("the ACD holds no call {0}")]
    UnknownCall(CallId),
    /// The offer was withdrawn (timeout, break, caller gone, answered
    /// elsewhere) before this answer or failure arrived: hang the agent's leg up.
    #[error("the offer of call {call} to agent {agent} was already withdrawn")]
    StaleOffer { call: CallId, agent: AgentId },
    #[error("agent {agent} is {state}; this needs {wanted}")]
    InvalidState {
        agent: AgentId,
        state: &'static str,
        wanted: &'static str,
    },
    #[error("call {call} is {state}; this needs {wanted}")]
    InvalidCallState {
        call: CallId,
        state: &'static str,
        wanted: &'static str,
    },
    /// Only the agent a call is with may hold, transfer, consult or hang it
    /// up; `agent` is elsewhere (`state`).
    #[error("agent {agent} is {state}, not on call {call}")]
    NotOnThisCall {
        agent: AgentId,
        call: CallId,
        state: &'static str,
    },
    /// `agent` is on the call as a colleague consulted by its agent.
    #[error("agent {agent} is consulted on call {call}, not its agent")]
    Consulted { agent: AgentId, call: CallId },
    #[error("no agent of queue {0} is available")]
    NoAgentAvailable(QueueId),
    #[error("call {call} is already in queue {queue}")]
    AlreadyQueued { call: CallId, queue: QueueId },
    #[error("queue {queue}: {problem}")]
    InvalidConfig { queue: QueueId, problem: String },
}
