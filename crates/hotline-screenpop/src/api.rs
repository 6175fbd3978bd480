//! The types the console shares with the binary: its configuration, the
//! requests it sends to the ACD/call side, the offer the binary hands it,
//! the events pushed to the agents' WebSockets, and the ACD's live picture
//! the binary publishes for the wallboard ([`LiveBoard`]) with the
//! thresholds it is coloured by ([`StatisticsConfig`]).
//!
//! Owns only data shapes; no behaviour lives here.

use std::sync::Arc;
use std::time::Duration;

use hotline_orders::OrderRules;

use crate::open311::Open311Client;
use hotline_store::{CitizenRecord, User};
use hotline_types::{AgentId, CallId, CaseRef, CitizenId, QueueId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
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
    /// Names of the configured destinations an agent may consult (attended
    /// transfer), e.g. the police or a utility's own line.
    pub destinations: Vec<String>,
    /// The work orders' catalogue and calendar (`None`: the work-order
    /// API answers 404 "not configured").
    pub orders: Option<Arc<OrderRules>>,
    /// Clients of the Open311 API (`/open311/v2/`) and their keys; none:
    /// only its services can be read.
    pub open311_clients: Vec<Open311Client>,
    /// The SIP realm phone accounts' digest hashes are made for
    /// (`sip.realm`; default "hotline").
    pub sip_realm: String,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for the
    /// login rate limit and the logs). Empty (default): the TCP peer is the
    /// client and the header is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Where the recordings and the event spool are, for the privacy
    /// officer's export and erasure (`None`: those answer 404 "not
    /// configured").
    pub data_files: Option<hotline_store::DataFiles>,
    /// How agents may search citizens.
    pub search: SearchPolicy,
}

/// The rules of the console's citizen search (least access): a reason from
/// a list, a shortest query, and a limit per user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPolicy {
    /// The reasons a user may give (exactly one of them).
    pub reasons: Vec<String>,
    /// Shortest query, in characters.
    pub min_chars: usize,
    /// Searches per user per minute.
    pub per_minute: u32,
}

impl Default for SearchPolicy {
    fn default() -> Self {
        Self {
            reasons: [
                "the caller is on the line and gave these details",
                "following up the citizen's case",
                "calling the citizen back at their request",
                "a colleague handed the citizen over",
            ]
            .map(str::to_owned)
            .to_vec(),
            min_chars: 4,
            per_minute: 10,
        }
    }
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
            destinations: Vec::new(),
            orders: None,
            open311_clients: Vec::new(),
            sip_realm: "hotline".into(),
            trusted_proxies: Vec::new(),
            data_files: None,
            search: SearchPolicy::default(),
        }
    }
}

/// Whom an agent asks to consult.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConsultRequest {
    /// A colleague, who must be available.
    Agent(AgentId),
    /// The next free agent of a queue (a department's handlers).
    Queue(QueueId),
    /// A configured destination, by name.
    Destination(String),
}

/// How a supervisor takes part in an agent's conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MonitorAction {
    /// Hear citizen and agent; nobody hears the supervisor.
    Listen,
    /// Speak to the agent only; the citizen never hears it.
    Whisper,
    /// Join the conversation: both hear the supervisor.
    Barge,
    /// Leave the conversation.
    Stop,
}

impl MonitorAction {
    /// The snake-case name (as in the API and the audit log).
    pub fn as_str(self) -> &'static str {
        match self {
            MonitorAction::Listen => "listen",
            MonitorAction::Whisper => "whisper",
            MonitorAction::Barge => "barge",
            MonitorAction::Stop => "stop",
        }
    }
}

/// A queue as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct QueueInfo {
    pub name: String,
    pub department: String,
}

/// Why the call centre (the ACD, a call, the callback list) refused a
/// console request. Typed so that the page words it in the user's
/// language: the answer carries `code` and the fields below
/// (`{"error": "<English>", "code": "not_talking", "agent": "agent1"}`),
/// and `ui/texts.js` holds a `refused_<code>` text in zh and en with the
/// fields as `{placeholders}`. The English `Display` is the fallback and
/// what the logs say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Refused {
    /// The user's own phone (SIP user = their login) is not registered.
    #[error("your phone (SIP user {sip_user}) is not registered with the hotline: register it, then try again")]
    PhoneNotRegistered { sip_user: String },
    /// The agent is not logged in to the ACD.
    #[error("you are not logged in to take calls")]
    NotLoggedIn,
    /// The agent is not talking on this call (`state` is theirs).
    #[error("you are not on this call (your state is {state})")]
    NotOnThisCall { state: String },
    /// A consulted colleague may not control the call.
    #[error("you are consulted on this call: the agent who called you puts the citizen through")]
    Consulted,
    /// The agent to be joined is not talking with a citizen.
    #[error("{agent} is not talking with a citizen")]
    NotTalking { agent: String },
    /// The call is over.
    #[error("the call has ended")]
    CallEnded,
    /// Hold needs citizen and agent connected.
    #[error("the call is not connected to an agent")]
    NotConnected,
    /// No answered agent leg to hang up.
    #[error("the call has no agent leg to hang up")]
    NoAgentLeg,
    /// Another supervisor is on the conversation.
    #[error("another supervisor is already on this call")]
    AlreadyMonitored,
    /// This supervisor is not on the conversation.
    #[error("you are not listening in on this call")]
    NotMonitored,
    /// Callbacks cannot be joined.
    #[error("this kind of call cannot be joined")]
    NotSupported,
    /// The agent's state does not allow this (ACD state names).
    #[error("you are {state}; this needs {wanted}")]
    AgentState { state: String, wanted: String },
    /// The call's state does not allow this (ACD call state names).
    #[error("the call is {state}; this needs {wanted}")]
    CallState { state: String, wanted: String },
    #[error("no agent of queue {queue} is available")]
    NoAgentAvailable { queue: String },
    #[error("unknown queue {queue}")]
    UnknownQueue { queue: String },
    #[error("agent {agent} is not logged in")]
    UnknownAgent { agent: String },
    #[error("the call is already in queue {queue}")]
    AlreadyQueued { queue: String },
    /// A callback kept, given up or cancelled cannot be changed.
    #[error("the callback is not open any more (kept, given up or cancelled)")]
    CallbackClosed,
    /// Anything else (internal states a user rarely meets), in English.
    #[error("{message}")]
    Other { message: String },
}

/// What the console asks of the ACD/call side. Each request that expects an
/// answer carries its reply channel; the binary answers, refusing with a
/// [`Refused`] the page words for the user.
#[derive(Debug)]
pub enum AgentRequest {
    /// The user logged in to the console as agent and asked to start taking
    /// calls; the binary binds the agent to their SIP phone (SIP user = the
    /// login) and logs them in to the ACD.
    Login {
        agent: AgentId,
        user: User,
        reply: oneshot::Sender<Result<AgentStatus, Refused>>,
    },
    SetState {
        agent: AgentId,
        state: RequestedState,
        reply: oneshot::Sender<Result<AgentStatus, Refused>>,
    },
    Hold {
        agent: AgentId,
        call: CallId,
        on: bool,
        reply: oneshot::Sender<Result<(), Refused>>,
    },
    Transfer {
        agent: AgentId,
        call: CallId,
        queue: QueueId,
        reply: oneshot::Sender<Result<(), Refused>>,
    },
    Hangup {
        agent: AgentId,
        call: CallId,
        reply: oneshot::Sender<Result<(), Refused>>,
    },
    /// Attended transfer: the citizen holds while the agent consults;
    /// the reply names who is being called.
    Consult {
        agent: AgentId,
        call: CallId,
        target: ConsultRequest,
        reply: oneshot::Sender<Result<String, Refused>>,
    },
    /// The agent puts the citizen through to whom they consulted
    /// (`complete`), or takes the citizen back.
    EndConsult {
        agent: AgentId,
        call: CallId,
        complete: bool,
        reply: oneshot::Sender<Result<(), Refused>>,
    },
    WrapUp {
        agent: AgentId,
        call: CallId,
        disposition: String,
        reply: oneshot::Sender<Result<AgentStatus, Refused>>,
    },
    ExtendWrapUp {
        agent: AgentId,
        extra: Duration,
        reply: oneshot::Sender<Result<AgentStatus, Refused>>,
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
    /// A supervisor joins the conversation of `agent` through their own
    /// phone (SIP user = their login), changes how, or leaves it; the
    /// reply names the call.
    Monitor {
        supervisor: String,
        agent: AgentId,
        action: MonitorAction,
        reply: oneshot::Sender<Result<CallId, Refused>>,
    },
    /// A supervisor cancels or reprioritises a callback on the list; `Err`
    /// when it is not open any more (kept, given up, cancelled).
    Callback {
        by: String,
        id: hotline_types::CallbackId,
        change: CallbackChange,
        reply: oneshot::Sender<Result<(), Refused>>,
    },
    /// What an agent's console page said about browser audio, or that its
    /// socket closed. No reply: the binary answers on the socket
    /// ([`crate::Console::push_socket`] with [`ConsoleEvent::Softphone`]).
    Softphone(SoftphoneSignal),
}

/// Browser audio, as the binary hears of it from the agents' sockets.
#[derive(Debug, Clone)]
pub enum SoftphoneSignal {
    Message {
        agent: AgentId,
        /// The socket it came on (the page's WebSocket on this node).
        socket: u64,
        message: SoftphoneMessage,
    },
    /// The page's socket closed (refresh, network, logout): its calls go
    /// on until it comes back or their media times out.
    Closed { agent: AgentId, socket: u64 },
}

/// Where an agent's audio is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AudioMode {
    /// The console page is the agent's phone (WebRTC).
    Browser,
    /// A SIP phone registered under the agent's login.
    Phone,
}

/// What an agent's console page sends on its socket (JSON, `type` tag).
/// `leg` names one ringing or live browser leg (from `ring`/`reoffer`).
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SoftphoneMessage {
    /// The page's audio: with `browser` this socket becomes the agent's
    /// phone (calls ring here), and a live call of theirs is offered to it
    /// again (a page refreshed during a call); `phone` gives it up.
    Hello { audio: AudioMode },
    /// The page's SDP answer to our offer (`ring` or `reoffer`).
    Answer { leg: u64, sdp: String },
    /// The page offers on a live leg (its ICE restart after a network
    /// change); answered with `answer`.
    Offer { leg: u64, sdp: String },
    /// The agent picks up the ringing call.
    Accept { leg: u64 },
    /// The agent turns the ringing call down.
    Decline { leg: u64 },
}

/// What the binary tells one console page about its browser audio
/// (`{"type":"softphone","kind":...}`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SoftphoneEvent {
    /// This page is the agent's phone now.
    Line,
    /// A call rings: the screen-pop came already; `offer` is our SDP
    /// (ICE-lite, DTLS-SRTP) for the page to answer at once, so that the
    /// audio is connected by the time the agent picks up.
    Ring {
        leg: u64,
        call: CallId,
        caller: String,
        offer: String,
    },
    /// A live call offered again to a page that came back (refresh).
    Reoffer {
        leg: u64,
        call: CallId,
        offer: String,
    },
    /// Our SDP answer to the page's `offer`.
    Answer { leg: u64, sdp: String },
    /// The leg is over (the call ended, was answered elsewhere, or the
    /// offer was withdrawn).
    Ended { leg: u64 },
    /// What the page sent could not be used.
    Error {
        #[serde(skip_serializing_if = "Option::is_none")]
        leg: Option<u64>,
        message: String,
    },
}

/// What a supervisor does to a callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallbackChange {
    Cancel,
    /// Higher is placed sooner.
    Priority(u8),
}

/// The state an agent asks for with the state buttons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestedState {
    Available,
    Break { reason: String },
    LoggedOut,
}

/// An agent's state as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AgentStatus {
    /// `logged_out`, `available`, `offered`, `on_call`, `wrap_up` or `break`.
    #[schemars(extend("enum" = ["logged_out", "available", "offered", "on_call", "wrap_up", "break"]))]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// The agent who consults this one about the call (attended transfer).
    pub consulted_by: Option<AgentId>,
}

/// Sent on the WebSocket as JSON with a `type` tag (snake_case).
#[derive(Debug, Clone, Serialize, JsonSchema)]
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
    /// The consultation the agent started ended without putting the caller
    /// through (`outcome`: returned, no_answer, failed, hung_up,
    /// caller_gone); the caller is back with this agent unless gone.
    ConsultEnded {
        call: CallId,
        outcome: String,
    },
    Notice {
        message: String,
    },
    /// Browser audio (see [`SoftphoneEvent`]): to the one socket it is for.
    Softphone(SoftphoneEvent),
}

/// What the agent sees when a call is offered.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ScreenPop {
    pub call: CallId,
    pub queue: QueueId,
    /// The queue's department from the configuration ("" if unknown).
    pub department: String,
    pub caller: String,
    pub waited_ms: u64,
    pub callback: bool,
    /// The colleague asking for a consultation about the call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consulted_by: Option<String>,
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

/// The ACD's live picture at one moment, handed to
/// [`crate::Console::publish_live`] about once a second. The console adds
/// today's figures from the store, filters it per viewer and pushes it on
/// `/api/supervisor/ws`. Nodes of a centre share theirs through the store
/// (`Console::set_other_boards`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LiveBoard {
    /// When the picture was taken (Unix ms). "Today" is the local day
    /// ([`StatisticsConfig::utc_offset_minutes`]) holding this instant.
    pub at_ms: i64,
    pub queues: Vec<LiveQueue>,
    pub agents: Vec<LiveAgent>,
}

/// One queue now.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct LiveQueue {
    pub queue: String,
    pub department: String,
    /// Callers waiting now (callback entries keeping their place included).
    pub waiting: u32,
    /// How long the longest waiting caller has waited (0 when none).
    pub longest_wait_ms: u64,
    /// Agents serving this queue who are logged in, and of those how many
    /// are available, ringing, talking, in wrap-up and on break.
    pub agents_logged_in: u32,
    pub available: u32,
    pub offered: u32,
    pub on_call: u32,
    pub wrap_up: u32,
    pub on_break: u32,
}

/// One agent now.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LiveAgent {
    pub agent: String,
    /// `logged_out`, `available`, `offered`, `on_call`, `wrap_up` or `break`.
    pub state: String,
    /// The break reason, when on break.
    pub reason: Option<String>,
    pub in_state_ms: u64,
    /// Calls answered since the ACD knows the agent (the wallboard also
    /// shows the calls answered today, from the store).
    pub calls_answered: u32,
    /// The queues the agent serves.
    pub queues: Vec<String>,
}

/// Service-level T (seconds) of a queue without a [`QueueTarget`].
pub const DEFAULT_SERVICE_LEVEL_SECS: u64 = 20;
/// Service-level target of a queue without a [`QueueTarget`]: 80 % within T.
pub const DEFAULT_SERVICE_LEVEL_TARGET: f64 = 0.8;
/// Waiting callers past which a queue without a [`QueueTarget`] shows red.
pub const DEFAULT_MAX_WAITING: u32 = 10;
/// Longest wait (seconds) past which a queue without a [`QueueTarget`]
/// shows red.
pub const DEFAULT_MAX_WAIT_SECS: u64 = 120;

/// A queue's targets: the service level's T (also used by the reports and
/// today's figures) and the thresholds the wallboard colours by. A figure
/// past its threshold is `alert` (red); within 80 % of it (or, for the
/// service level, less than 5 points above the target) it is `warn`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct QueueTarget {
    pub queue: String,
    /// T of "answered within T".
    pub service_level_secs: u64,
    /// The share answered within T the queue aims at (0 to 1).
    pub service_level_target: f64,
    /// More callers waiting than this is an alert.
    pub max_waiting: u32,
    /// A longest wait past this is an alert.
    pub max_wait_secs: u64,
}

impl QueueTarget {
    /// The defaults: 80 % within 20 s, 10 waiting, 120 s longest wait.
    pub fn default_for(queue: &str) -> Self {
        Self {
            queue: queue.to_owned(),
            service_level_secs: DEFAULT_SERVICE_LEVEL_SECS,
            service_level_target: DEFAULT_SERVICE_LEVEL_TARGET,
            max_waiting: DEFAULT_MAX_WAITING,
            max_wait_secs: DEFAULT_MAX_WAIT_SECS,
        }
    }
}

/// How statistics are computed and shown: per-queue targets and the
/// hotline's local time. `Default`: no per-queue targets (each queue gets
/// [`QueueTarget::default_for`]) and UTC+8 (Asia/Shanghai).
#[derive(Debug, Clone, PartialEq)]
pub struct StatisticsConfig {
    /// Targets per queue; queues not listed get [`QueueTarget::default_for`].
    pub queue_targets: Vec<QueueTarget>,
    /// Local time minus UTC in minutes, a multiple of 15 (480 for
    /// Asia/Shanghai): where "today" starts, and the default of the
    /// reports' `tz` parameter.
    pub utc_offset_minutes: i32,
}

impl Default for StatisticsConfig {
    fn default() -> Self {
        Self {
            queue_targets: Vec::new(),
            utc_offset_minutes: 480,
        }
    }
}

impl StatisticsConfig {
    /// The targets of `queue` (configured, else the defaults).
    pub fn target(&self, queue: &str) -> QueueTarget {
        self.queue_targets
            .iter()
            .find(|t| t.queue == queue)
            .cloned()
            .unwrap_or_else(|| QueueTarget::default_for(queue))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of each refusal; the match makes a new variant fail to compile
    /// here until it is listed (and worded in ui/texts.js).
    fn every_refusal() -> Vec<Refused> {
        let s = || "x".to_owned();
        let all = vec![
            Refused::PhoneNotRegistered { sip_user: s() },
            Refused::NotLoggedIn,
            Refused::NotOnThisCall { state: s() },
            Refused::Consulted,
            Refused::NotTalking { agent: s() },
            Refused::CallEnded,
            Refused::NotConnected,
            Refused::NoAgentLeg,
            Refused::AlreadyMonitored,
            Refused::NotMonitored,
            Refused::NotSupported,
            Refused::AgentState {
                state: s(),
                wanted: s(),
            },
            Refused::CallState {
                state: s(),
                wanted: s(),
            },
            Refused::NoAgentAvailable { queue: s() },
            Refused::UnknownQueue { queue: s() },
            Refused::UnknownAgent { agent: s() },
            Refused::AlreadyQueued { queue: s() },
            Refused::CallbackClosed,
            Refused::Other { message: s() },
        ];
        for r in &all {
            match r {
                Refused::PhoneNotRegistered { .. }
                | Refused::NotLoggedIn
                | Refused::NotOnThisCall { .. }
                | Refused::Consulted
                | Refused::NotTalking { .. }
                | Refused::CallEnded
                | Refused::NotConnected
                | Refused::NoAgentLeg
                | Refused::AlreadyMonitored
                | Refused::NotMonitored
                | Refused::NotSupported
                | Refused::AgentState { .. }
                | Refused::CallState { .. }
                | Refused::NoAgentAvailable { .. }
                | Refused::UnknownQueue { .. }
                | Refused::UnknownAgent { .. }
                | Refused::AlreadyQueued { .. }
                | Refused::CallbackClosed
                | Refused::Other { .. } => {}
            }
        }
        all
    }

    #[test]
    fn every_refusal_is_worded_in_both_languages_with_its_fields() {
        let texts = include_str!("../static/ui/texts.js");
        for refused in every_refusal() {
            let value = serde_json::to_value(&refused).unwrap();
            let code = value["code"].as_str().unwrap().to_owned();
            if code == "other" {
                continue; // English only, by design
            }
            let key = format!("refused_{code}: '");
            let lines: Vec<&str> = texts.lines().filter(|l| l.contains(&key)).collect();
            assert_eq!(lines.len(), 2, "{key} in en and zh");
            for field in value.as_object().unwrap().keys().filter(|k| *k != "code") {
                for line in &lines {
                    assert!(
                        line.contains(&format!("{{{field}}}")),
                        "{line} names {field}"
                    );
                }
            }
        }
    }
}
