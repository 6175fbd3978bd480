//! The types the console shares with the binary: its configuration, the
//! requests it sends to the ACD/call side, the offer the binary hands it,
//! and the events pushed to the agents' WebSockets.
//!
//! Owns only data shapes; no behaviour lives here.

use std::time::Duration;

use hotline_store::{CitizenRecord, User};
use hotline_types::{AgentId, CallId, CaseRef, CitizenId, QueueId};
use serde::Serialize;
use tokio::sync::oneshot;

/// How the console behaves. `Default` gives the documented defaults and
/// empty lists.
#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    /// Secure flag on the session cookie (true unless plain-http development).
    pub secure_cookies: bool,
    /// A session unused for this long is forgotten (an open console
    /// WebSocket counts as use). Default 8 h.
    pub session_idle: Duration,
    /// Login attempts allowed per minute, per source IP and per login
    /// (each counted on its own). Default 10.
    pub login_attempts_per_minute: u32,
    /// For transfer lists and case departments.
    pub queues: Vec<QueueInfo>,
    /// Disposition codes offered in wrap-up (empty: any code is accepted).
    pub dispositions: Vec<String>,
    /// Case categories (empty: any category is accepted).
    pub case_categories: Vec<String>,
    /// Extra Origins accepted for WebSocket and CSRF checks, e.g.
    /// `https://desk.city.example`; the console's own origin is always accepted.
    pub allowed_origins: Vec<String>,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self {
            secure_cookies: true,
            session_idle: Duration::from_secs(8 * 3600),
            login_attempts_per_minute: 10,
            queues: Vec::new(),
            dispositions: Vec::new(),
            case_categories: Vec::new(),
            allowed_origins: Vec::new(),
        }
    }
}

/// A queue as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueInfo {
    pub name: String,
    pub department: String,
}

/// What the console asks of the ACD/call side. Each request that expects an
/// answer carries its reply channel; the binary answers. An `Err` text is
/// shown to the agent as it is.
#[derive(Debug)]
pub enum AgentRequest {
    /// The user logged in to the console as agent and asked to start taking
    /// calls; the binary binds the agent to their SIP phone (SIP user = the
    /// login) and logs them in to the ACD.
    Login {
        agent: AgentId,
        user: User,
        reply: oneshot::Sender<Result<AgentStatus, String>>,
    },
    SetState {
        agent: AgentId,
        state: RequestedState,
        reply: oneshot::Sender<Result<AgentStatus, String>>,
    },
    Hold {
        agent: AgentId,
        call: CallId,
        on: bool,
        reply: oneshot::Sender<Result<(), String>>,
    },
    Transfer {
        agent: AgentId,
        call: CallId,
        queue: QueueId,
        reply: oneshot::Sender<Result<(), String>>,
    },
    Hangup {
        agent: AgentId,
        call: CallId,
        reply: oneshot::Sender<Result<(), String>>,
    },
    WrapUp {
        agent: AgentId,
        call: CallId,
        disposition: String,
        reply: oneshot::Sender<Result<AgentStatus, String>>,
    },
    ExtendWrapUp {
        agent: AgentId,
        extra: Duration,
        reply: oneshot::Sender<Result<AgentStatus, String>>,
    },
    /// A case was created in the console during `call`: the binary records
    /// `CaseLinked` in the call's events. No reply.
    CaseLinked {
        agent: AgentId,
        call: CallId,
        case_ref: CaseRef,
    },
    /// Current status (for /api/me and a fresh WebSocket); `None` when the
    /// ACD does not know the agent.
    Status {
        agent: AgentId,
        reply: oneshot::Sender<Option<AgentStatus>>,
    },
}

/// The state an agent asks for with the state buttons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestedState {
    Available,
    Break { reason: String },
    LoggedOut,
}

/// An agent's state as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentStatus {
    /// `logged_out`, `available`, `offered`, `on_call`, `wrap_up` or `break`.
    pub state: String,
    /// The break reason, when on break.
    pub reason: Option<String>,
    /// The call being offered, talked or wrapped up.
    pub call: Option<CallId>,
    /// Since when (Unix ms); the page keeps the newest status it has seen.
    pub since_ms: i64,
}

impl AgentStatus {
    /// Not logged in to the ACD.
    pub fn logged_out(since_ms: i64) -> Self {
        Self {
            state: "logged_out".into(),
            reason: None,
            call: None,
            since_ms,
        }
    }
}

/// A call being offered to an agent, as the ACD decided it.
#[derive(Debug, Clone)]
pub struct Offer {
    pub agent: AgentId,
    pub call: CallId,
    pub queue: QueueId,
    /// The caller's number as signalled (may be anonymous or malformed).
    pub caller: String,
    pub waited: Duration,
    /// The IVR nodes the caller went through.
    pub ivr_path: Vec<String>,
    /// What the caller entered in the IVR, by variable name.
    pub ivr_vars: Vec<(String, String)>,
    /// A citizen the IVR identified (e.g. by national ID); preferred over
    /// the caller number.
    pub citizen_hint: Option<CitizenId>,
    /// This is a callback the hotline placed, not an incoming call.
    pub callback: bool,
}

/// Sent on the WebSocket as JSON with a `type` tag (snake_case).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ConsoleEvent {
    /// `{"type":"state", "state":..., "reason":..., "call":..., "since_ms":...}`
    State(AgentStatus),
    /// `{"type":"pop", ...ScreenPop}`
    Pop(ScreenPop),
    Answered {
        call: CallId,
    },
    Hold {
        call: CallId,
        on: bool,
    },
    Ended {
        call: CallId,
        by: String,
    },
    WrapUp {
        call: CallId,
        until_ms: i64,
    },
    Notice {
        message: String,
    },
}

/// What the agent sees when a call is offered.
#[derive(Debug, Clone, Serialize)]
pub struct ScreenPop {
    pub call: CallId,
    pub queue: QueueId,
    /// The queue's department from the configuration ("" if unknown).
    pub department: String,
    pub caller: String,
    pub waited_ms: u64,
    pub callback: bool,
    pub ivr_path: Vec<String>,
    pub ivr_vars: Vec<(String, String)>,
    /// Everyone matched (a shared landline may give several; empty for an
    /// unknown caller).
    pub citizens: Vec<CitizenRecord>,
    /// The lookup failed (store down or slow): `citizens` is empty for that
    /// reason, not because the caller is unknown.
    pub lookup_failed: bool,
    pub offered_at_ms: i64,
}
