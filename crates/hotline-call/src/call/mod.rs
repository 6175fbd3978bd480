//! The life of one incoming call, as a sans-IO state machine.
//!
//! A citizen's INVITE becomes a [`Call`]: it rings, answers, runs the IVR
//! script (pinned to the version in force when the call arrived), queues the
//! caller with the ACD and plays music and position announcements, rings
//! agents' phones (ring-all rings several; the first to answer takes the
//! call), bridges citizen and agent, holds, transfers, and ends. Every step
//! becomes a call event.
//!
//! The core never awaits. The driver (`crates/hotline/src/call.rs`) feeds it
//! what happened ([`Input`]: SIP events of the call's legs, media events,
//! the ACD's [`Order`]s, the store's answers, placed legs) with
//! [`Call::handle`], carries out what it asks ([`Output`]: SIP commands,
//! media orders on a [`LegRef`], bridges, legs to place, ACD requests,
//! store lookups, events) from [`Call::poll_output`], and wakes it at
//! [`Call::poll_timeout`] with [`Call::handle_timeout`]. Results of what it
//! asked (a placed leg's handle, a playback that could not start) come back
//! as inputs.
//!
//! Where the call is lives in one [`Phase`]; the legs beside the caller's
//! (agents' phones, a configured destination) are `placed` legs named by a
//! [`PlacedLeg`] the core chooses before the driver places them.
//!
//! Parts: `ivr` (the script's actions), `queue` (waiting: music,
//! announcements, the caller's keys, callbacks), `agents` (ringing,
//! answering, talking, hold, REFER), `consult` (attended transfer: the
//! agent consults a colleague or a destination while the citizen holds),
//! `transfer` (a configured destination).

mod agents;
mod consult;
mod ivr;
mod monitor;
mod queue;
mod transfer;

use hotline_types::pii::Masked;
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_acd::{ConsultOutcome, EnqueueRequest, Overflow};
use hotline_ivr::{CompiledScript, Ivr, LookupRequest};
use hotline_media::{DtmfDigit, LatchPolicy, LegParams, MonitorMode, RecordMode, RecordOptions};
use hotline_sip::registrar::Binding;
use hotline_sip::sdp::SdesCrypto;
use hotline_sip::transport::Command;
use hotline_sip::{CallHandle, EndedBy, Event, LocalMedia, NegotiatedMedia, Peer};
use hotline_store::CallbackKind;
use hotline_types::{AgentId, CallEvent, CallId, CitizenId, HangupSide, QueueId};
use tracing::{debug, info, warn};

use crate::media::{answering_leg_params, LatchRule};

/// What every call shares: the hotline's configuration as the core needs it.
/// A reload makes a new one for the calls that start after it.
#[derive(Clone)]
pub struct Config {
    /// The longest a call may last; then the hotline hangs up.
    pub max_call: Duration,
    /// How long the caller hears ringing before the hotline answers.
    pub answer_after: Duration,
    /// No RTP from a talking leg for this long ends it.
    pub dead_media_after: Duration,
    /// Whose RTP a caller's or phone's leg trusts.
    pub latch: LatchRule,
    /// Trunks and proxies: their legs trust the SDP address.
    pub trusted_sources: Vec<IpAddr>,
    /// `<scripts_dir>/prompts`: where announcements and say pieces live.
    pub prompts_root: PathBuf,
    /// Where voice messages and conversations are recorded.
    pub recordings_dir: PathBuf,
    /// Whether music on hold exists (`prompts/music/hold.wav`).
    pub music_on_hold: bool,
    /// Queued callers may ask for a callback (an outbound trunk is configured).
    pub callbacks: bool,
    /// How conversations with agents are recorded; `None`: not at all.
    pub record_calls: Option<RecordMode>,
    /// The configured queues: the only targets a REFER may name.
    pub queue_names: Vec<String>,
    /// The queues whose callers who hang up while waiting are called back.
    pub callback_abandoned: Vec<String>,
    /// Named destinations the IVR may transfer to.
    pub destinations: HashMap<String, Destination>,
    /// The dial plan: whether the hotline may ever call this number, and if
    /// not, why (`outside_dial_plan`, ...).
    pub dial_plan: NumberCheck,
    /// This node's name, for `call_started`.
    pub node: Option<String>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("max_call", &self.max_call)
            .field("answer_after", &self.answer_after)
            .field("queue_names", &self.queue_names)
            .finish_non_exhaustive()
    }
}

/// The dial plan's answer for a number: `Err(reason)` if it may not be called.
pub type NumberCheck = Arc<dyn Fn(&str) -> Result<(), &'static str> + Send + Sync>;

/// A configured transfer destination (IVR `[[transfer]]` node).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub uri: String,
    pub addr: SocketAddr,
    pub tcp: bool,
}

/// The INVITE as the SIP layer reported it.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub handle: CallHandle,
    pub caller: String,
    pub caller_display: Option<String>,
    pub called: String,
    pub sip_call_id: String,
    pub source: Peer,
    pub remote_media: Option<NegotiatedMedia>,
}

/// What the driver could prepare for the call before it starts.
#[derive(Debug)]
pub enum Setup {
    /// The script to run and our SDP (answer or offer, on the caller's
    /// media leg's address).
    Ready {
        script: Arc<CompiledScript>,
        local: LocalMedia,
    },
    /// No IVR script to answer with: the call is rejected 503.
    NoScript,
    /// No media port: the call is rejected 503.
    NoMediaPort,
}

/// A leg the core asked the driver to place (an agent's phone, a
/// configured destination), named before it has a SIP handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlacedLeg(pub u32);

/// A media leg of the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LegRef {
    /// The citizen's.
    Caller,
    Placed(PlacedLeg),
}

/// A playback the core started; its end comes back under this tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PlayTag(pub u64);

/// A recording the core started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecordTag(pub u64);

/// What happened on a media leg, as the driver reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum MediaInput {
    /// A key (RFC 4733, in-band or SIP INFO: the leg merges them).
    Dtmf(char),
    /// A playback ended, was stopped, or could not start.
    PlaybackFinished(PlayTag),
    /// A recording is running.
    RecordingStarted(RecordTag),
    /// A recording ended; `path` empty and `duration` zero if it failed.
    RecordingFinished {
        tag: RecordTag,
        path: PathBuf,
        duration: Duration,
    },
    /// No RTP for this long.
    DeadMedia { silent_for: Duration },
}

/// What the driver tells the core.
#[derive(Debug)]
pub enum Input {
    /// A SIP event of one of the call's dialogs.
    Sip(Event),
    Media(LegRef, MediaInput),
    /// The driver placed a leg the core asked for (`None`: it could not).
    Placed {
        leg: PlacedLeg,
        placed: Option<Placement>,
    },
    /// An order of the ACD.
    Acd(Order),
    /// The store answered a lookup, or a voice message became a case.
    Ivr(hotline_ivr::Input),
    /// The driver could not bridge the legs of a `BridgeOp::Connect`.
    BridgeFailed,
    /// The driver could not mix the supervisor in (`BridgeOp::Monitor`).
    MonitorFailed,
    /// Shutdown: end the call now.
    Terminate,
}

/// A placed leg's SIP handle, and the SRTP key we offered on it.
#[derive(Debug, Clone)]
pub struct Placement {
    pub handle: CallHandle,
    pub offered: Option<SdesCrypto>,
}

/// The ACD's orders to a call.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum Order {
    /// Ring this agent's phone (the screen-pop is already on their console).
    RingAgent { agent: AgentId, binding: Binding },
    /// Stop ringing this agent (timeout, break, caller gone, answered elsewhere).
    CancelOffer { agent: AgentId },
    /// The ACD accepted the agent's answer: bridge citizen and agent.
    Connect { agent: AgentId },
    /// The agent answered an offer that had already been withdrawn.
    DropAgent { agent: AgentId },
    /// The call leaves the queue for the IVR's overflow branch.
    Overflow { to: Overflow, reason: String },
    /// Tell the caller their place in the queue.
    Announce {
        position: u32,
        estimated_wait: Option<Duration>,
    },
    /// The call was transferred to another queue: drop the agent, wait again.
    Requeued,
    /// The transfer the agent's phone asked for (REFER) was refused.
    TransferRefused,
    /// Attended transfer: hold the citizen and call this party for the
    /// agent (the ACD has popped a consulted agent's screen).
    Consult(ConsultParty),
    /// The consultation is over: put the citizen through (`Completed`) or
    /// back to the agent.
    ConsultEnded(ConsultOutcome),
}

/// Whom the agent consults.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum ConsultParty {
    Agent {
        agent: AgentId,
        binding: Binding,
    },
    /// A configured destination, by name.
    Destination(String),
}

/// What the call asks of the ACD (the driver adds the call's id).
#[derive(Debug, Clone, PartialEq)]
pub enum ToAcd {
    /// The IVR queued the caller.
    Enqueue {
        request: EnqueueRequest,
        info: WaitingCall,
    },
    /// The caller hung up while waiting or while an agent's phone rang.
    Abandon,
    /// The waiting caller chose to leave a message instead.
    Leave,
    OfferAnswered {
        agent: AgentId,
    },
    /// The agent's phone rejected the call, was busy or unreachable.
    OfferFailed {
        agent: AgentId,
    },
    /// Citizen and agent stopped talking.
    TalkEnded,
    /// The waiting caller asked to be called back, keeping their place.
    RequestCallback {
        number: String,
    },
    /// The agent's phone asked for a blind transfer (REFER) to a queue.
    TransferFromPhone {
        agent: AgentId,
        queue: QueueId,
    },
    /// The consulted phone or destination answered.
    ConsultAnswered,
    /// The consulted leg could not be placed, was refused, or hung up.
    ConsultGone,
    /// The agent hung up after the consulted party answered: put the
    /// citizen through (an attended transfer by hanging up).
    CompleteConsult,
    /// The call is over.
    CallGone,
}

/// What a call knows about its caller when it joins a queue: the
/// screen-pop shows it to the agent.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WaitingCall {
    pub caller: String,
    /// The IVR nodes the caller went through, in order.
    pub ivr_path: Vec<String>,
    /// What the IVR learned (choices, entered values; ID numbers masked).
    pub ivr_vars: Vec<(String, String)>,
    /// The citizen the IVR identified (by caller number or entered ID).
    pub citizen_hint: Option<CitizenId>,
}

/// An order to a media leg.
#[derive(Debug, Clone)]
pub enum MediaOp {
    Start(LegParams),
    /// Play these prompt files in order (one missing is skipped).
    Play {
        tag: PlayTag,
        files: Vec<PathBuf>,
        barge_in: bool,
    },
    /// Speak free text in an IVR language through text-to-speech, then
    /// report `PlaybackFinished(tag)` as for `Play` (at once if no speech
    /// could be made).
    Speak {
        tag: PlayTag,
        text: String,
        language: std::sync::Arc<str>,
    },
    StopPlayback,
    StartMusic,
    StopMusic,
    Record {
        tag: RecordTag,
        options: RecordOptions,
    },
    /// A key that arrived in SIP INFO, merged with the leg's own.
    InfoDtmf(DtmfDigit),
    /// Close the leg; with `Some(name)`, first record its quality figures
    /// as a `media_quality` event for that leg name ("agent", "caller").
    Close {
        report: Option<&'static str>,
    },
}

/// An order to the call's media bridge (one at a time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BridgeOp {
    Connect(LegRef, LegRef),
    /// Hold (music to the citizen's leg, nothing relayed) or resume.
    Hold {
        citizen: LegRef,
        on: bool,
    },
    End,
    /// Mix a supervisor's leg into the bridge (see `MonitorMode`).
    Monitor {
        supervisor: LegRef,
        mode: MonitorMode,
    },
    /// The supervisor listens, whispers or barges in from now on.
    MonitorMode(MonitorMode),
    /// Take the supervisor out of the bridge (their leg is closed apart).
    MonitorEnd,
}

/// A leg for the driver to place: allocate a media leg, offer SDP from it
/// (SRTP over TLS), send the INVITE, answer with [`Input::Placed`].
#[derive(Debug, Clone)]
pub struct PlaceRequest {
    pub leg: PlacedLeg,
    pub target: String,
    pub peer: Peer,
    pub from_user: String,
}

/// What the core asks the driver to do.
#[derive(Debug)]
pub enum Output {
    Sip(Command),
    Media(LegRef, MediaOp),
    Bridge(BridgeOp),
    Place(PlaceRequest),
    Acd(ToAcd),
    /// Ask the store; the answer comes back as `Input::Ivr(LookupResult)`.
    Lookup(LookupRequest),
    /// Take a voice message down as a work order (of `category`,
    /// dispatched; without one it waits at the hotline);
    /// `Input::Ivr(RecordingFinished)` follows with its reference.
    VoiceMessage {
        id: hotline_ivr::RecordingId,
        caller: String,
        path: PathBuf,
        duration: Duration,
        category: Option<String>,
    },
    /// Put a promise to call back on the store's callback list.
    Callback {
        number: String,
        queue: QueueId,
        kind: CallbackKind,
        language: String,
    },
    /// A call event of this call.
    Event(CallEvent),
    /// A call event of another call (a callback's `callback_placed` on
    /// the call it was asked on).
    EventOn(CallId, CallEvent),
    /// What a callback attempt came to, for the callback list.
    CallbackOutcome(crate::callbacks::Outcome),
    /// The call is over; nothing follows.
    Done,
}

/// What a driver needs of a call core: an incoming [`Call`] or an
/// outbound [`crate::outbound::Callback`].
pub trait CallCore {
    fn handle(&mut self, now: Instant, input: Input);
    fn handle_timeout(&mut self, now: Instant);
    fn poll_output(&mut self) -> Option<Output>;
    fn poll_timeout(&self) -> Option<Instant>;
    /// The console holds the citizen (or takes them off hold).
    fn hold(&mut self, on: bool) -> Result<(), Refusal>;
    /// The agent ends the conversation from the console.
    fn hang_up_agent(&mut self, now: Instant) -> Result<(), Refusal>;
    /// A supervisor joins the conversation through their phone (or
    /// changes how they take part).
    fn monitor(
        &mut self,
        supervisor: &str,
        binding: &Binding,
        mode: MonitorMode,
    ) -> Result<(), Refusal>;
    /// The supervisor leaves the conversation.
    fn end_monitor(&mut self, supervisor: &str) -> Result<(), Refusal>;
    /// The id the ACD knows the call by.
    fn acd_call(&self) -> CallId;
}

/// Why the console's request cannot be carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Hold needs citizen and agent connected.
    NotConnected,
    /// No answered agent leg to hang up.
    NoAgentLeg,
    /// Another supervisor is already on the conversation.
    AlreadyMonitored,
    /// This supervisor is not on the conversation.
    NotMonitored,
    /// Callbacks are not monitored.
    NotSupported,
}

impl Refusal {
    /// The stable code, for APIs and logs.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NotConnected => "not_connected",
            Refusal::NoAgentLeg => "no_agent_leg",
            Refusal::AlreadyMonitored => "already_monitored",
            Refusal::NotMonitored => "not_monitored",
            Refusal::NotSupported => "not_supported",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refusal::NotConnected => "the call is not connected to an agent",
            Refusal::NoAgentLeg => "the call has no agent leg to hang up",
            Refusal::AlreadyMonitored => "another supervisor is already on this call",
            Refusal::NotMonitored => "you are not on this call",
            Refusal::NotSupported => "this kind of call cannot be joined",
        })
    }
}

impl std::error::Error for Refusal {}

/// Where the call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The caller hears ringing; the hotline answers at `answer_at`.
    Answering {
        answer_at: Instant,
    },
    /// 200 OK sent; the ACK has not come.
    Answered,
    /// The IVR script runs.
    Ivr,
    /// Queued: music and announcements; agents' phones may ring.
    Waiting,
    /// Citizen and agent talk (bridged); `held`: the citizen hears music.
    Talking {
        held: bool,
    },
    /// The agent consults a colleague or destination; the citizen holds.
    Consulting,
    /// Transferred to a configured destination (by the IVR, or by an agent
    /// after consulting it): its leg is placed, then bridged.
    Transferred,
    /// The caller keeps their place for a callback: the confirmation
    /// plays, then the hotline hangs up.
    Goodbye,
    /// The hotline hung up; the SIP layer has not confirmed the end.
    HangingUp,
    Over,
}

/// An agent's phone leg.
#[derive(Debug)]
struct AgentLeg {
    agent: AgentId,
    leg: PlacedLeg,
    /// `None` while the driver places it.
    handle: Option<CallHandle>,
    /// Decided by the phone's registered address.
    latch: LatchPolicy,
    /// Our SRTP key, offered to a phone registered over TLS.
    offered: Option<SdesCrypto>,
    answered: bool,
}

/// The leg to whom the agent consults.
#[derive(Debug)]
struct ConsultLeg {
    /// A colleague (by id) or a destination (by name).
    party: Party,
    leg: PlacedLeg,
    /// `None` while the driver places it.
    handle: Option<CallHandle>,
    latch: LatchPolicy,
    offered: Option<SdesCrypto>,
    answered: bool,
}

/// A supervisor's phone leg, mixed into the bridge once answered.
#[derive(Debug)]
struct MonitorLeg {
    supervisor: String,
    leg: PlacedLeg,
    handle: Option<CallHandle>,
    latch: LatchPolicy,
    offered: Option<SdesCrypto>,
    answered: bool,
    mode: MonitorMode,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Party {
    Agent(AgentId),
    Destination(String),
}

/// The leg to a configured external destination.
#[derive(Debug)]
struct ExternalLeg {
    name: String,
    leg: PlacedLeg,
    handle: Option<CallHandle>,
    answered: bool,
}

/// One call's state.
pub struct Call {
    config: Arc<Config>,
    id: CallId,
    handle: CallHandle,
    caller: String,
    called: String,
    phase: Phase,
    /// Our SDP towards the caller.
    local: Option<LocalMedia>,
    remote_media: Option<NegotiatedMedia>,
    /// The caller leg's latch policy.
    latch: LatchPolicy,
    script: Option<Arc<CompiledScript>>,
    ivr: Option<Ivr>,
    max_call_at: Option<Instant>,
    outputs: VecDeque<Output>,
    next_tag: u64,
    next_leg: u32,
    /// Playback tag → the IVR's playback id.
    playbacks: HashMap<PlayTag, hotline_ivr::PlaybackId>,
    /// Recording tag → the IVR's recording id (voice messages).
    /// Voice messages being recorded, with their voicemail node's category.
    recordings: HashMap<RecordTag, (hotline_ivr::RecordingId, Option<String>)>,
    /// The conversation recording, until it is known to run.
    conversation: Option<(RecordTag, PathBuf)>,
    recording_call: bool,
    /// The caller declined the recording at an IVR consent notice: the
    /// conversation is never recorded, whatever `record_calls` says.
    recording_declined: bool,
    /// Announcement playbacks (not the IVR's).
    announcements: Vec<PlayTag>,
    /// The queue the IVR put the call in last.
    queue: Option<QueueId>,
    /// A REFER the ACD has not carried out: its final NOTIFY is owed.
    refer_pending: bool,
    /// The agent talking with the citizen (or who answered first).
    agent: Option<AgentLeg>,
    /// Agents' phones ringing (ring-all rings several).
    ringing: Vec<AgentLeg>,
    /// Placed legs given up before the driver said they were placed:
    /// hung up as soon as they are.
    abandoned: Vec<PlacedLeg>,
    /// Agent legs we hung up whose end has not been reported yet.
    retired: Vec<CallHandle>,
    external: Option<ExternalLeg>,
    /// The party the agent consults (attended transfer).
    consult: Option<ConsultLeg>,
    /// A supervisor on the conversation (listening, whispering, barging).
    monitor: Option<MonitorLeg>,
    /// Whether a media bridge is up.
    bridged: bool,
    ivr_path: Vec<String>,
    ivr_vars: Vec<(String, String)>,
    citizen_hint: Option<CitizenId>,
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("id", &self.id)
            .field("phase", &self.phase)
            .finish_non_exhaustive()
    }
}

impl CallCore for Call {
    fn handle(&mut self, now: Instant, input: Input) {
        Call::handle(self, now, input);
    }

    fn handle_timeout(&mut self, now: Instant) {
        Call::handle_timeout(self, now);
    }

    fn poll_output(&mut self) -> Option<Output> {
        Call::poll_output(self)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        Call::poll_timeout(self)
    }

    fn hold(&mut self, on: bool) -> Result<(), Refusal> {
        Call::hold(self, on)
    }

    fn hang_up_agent(&mut self, now: Instant) -> Result<(), Refusal> {
        Call::hang_up_agent(self, now)
    }

    fn monitor(
        &mut self,
        supervisor: &str,
        binding: &Binding,
        mode: MonitorMode,
    ) -> Result<(), Refusal> {
        Call::monitor(self, supervisor, binding, mode)
    }

    fn end_monitor(&mut self, supervisor: &str) -> Result<(), Refusal> {
        Call::end_monitor(self, supervisor)
    }

    fn acd_call(&self) -> CallId {
        self.id
    }
}

impl Call {
    /// A new call: `call_started`, then ringing (or the answer at once), or
    /// a 503 if the driver could not set it up.
    pub fn new(
        config: Arc<Config>,
        id: CallId,
        incoming: Incoming,
        setup: Setup,
        now: Instant,
    ) -> Self {
        let latch = config
            .latch
            .policy_for(incoming.source.addr.ip(), &config.trusted_sources);
        let mut call = Call {
            id,
            handle: incoming.handle,
            caller: incoming.caller.clone(),
            called: incoming.called.clone(),
            phase: Phase::Answered,
            local: None,
            remote_media: incoming.remote_media.clone(),
            latch,
            script: None,
            ivr: None,
            max_call_at: None,
            outputs: VecDeque::new(),
            next_tag: 0,
            next_leg: 0,
            playbacks: HashMap::new(),
            recordings: HashMap::new(),
            conversation: None,
            recording_call: false,
            recording_declined: false,
            announcements: Vec::new(),
            queue: None,
            refer_pending: false,
            agent: None,
            ringing: Vec::new(),
            abandoned: Vec::new(),
            retired: Vec::new(),
            external: None,
            consult: None,
            monitor: None,
            bridged: false,
            ivr_path: Vec::new(),
            ivr_vars: Vec::new(),
            citizen_hint: None,
            config,
        };
        call.emit(CallEvent::CallStarted {
            caller: incoming.caller.clone(),
            called: incoming.called.clone(),
            sip_call_id: incoming.sip_call_id.clone(),
            node: call.config.node.clone(),
            linked_call: None,
        });
        debug!(call = %id, caller = incoming.caller, display = ?incoming.caller_display, source = %incoming.source.addr, "incoming call");
        let (script, local) = match setup {
            Setup::Ready { script, local } => (script, local),
            Setup::NoScript => {
                warn!(call = %id, "no IVR script to answer with: rejecting with 503");
                call.reject("no_script");
                return call;
            }
            Setup::NoMediaPort => {
                warn!(call = %id, "no media port: rejecting with 503");
                call.reject("no_rtp_port");
                return call;
            }
        };
        call.script = Some(script);
        call.local = Some(local);
        call.sip(Command::Ring(call.handle));
        if call.config.answer_after.is_zero() {
            call.answer(now);
        } else {
            // The caller hears ringing; they may give up (CANCEL) before we answer.
            call.phase = Phase::Answering {
                answer_at: now + call.config.answer_after,
            };
        }
        call
    }

    pub fn id(&self) -> CallId {
        self.id
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The next thing to do, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When [`Call::handle_timeout`] is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if let Phase::Answering { answer_at } = self.phase {
            return Some(answer_at);
        }
        if matches!(self.phase, Phase::HangingUp | Phase::Over) {
            return None;
        }
        let ivr = self.ivr.as_ref().and_then(Ivr::poll_timeout);
        [ivr, self.max_call_at].into_iter().flatten().min()
    }

    /// Timers: the answer, the IVR's deadline, the maximum call length.
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.phase {
            Phase::Answering { answer_at } if now >= answer_at => {
                self.answer(now);
                return;
            }
            Phase::Answering { .. } | Phase::HangingUp | Phase::Over => return,
            _ => {}
        }
        if self.max_call_at.is_some_and(|at| now >= at) {
            info!(call = %self.id, "maximum call duration reached: hanging up");
            self.hang_up();
            return;
        }
        if self
            .ivr
            .as_ref()
            .and_then(Ivr::poll_timeout)
            .is_some_and(|at| now >= at)
        {
            self.feed(now, hotline_ivr::Input::Timeout);
        }
    }

    /// Something happened.
    pub fn handle(&mut self, now: Instant, input: Input) {
        if self.phase == Phase::Over {
            return;
        }
        match input {
            Input::Sip(event) => self.sip_event(now, event),
            Input::Media(LegRef::Caller, media) => self.caller_media(now, media),
            Input::Media(LegRef::Placed(leg), media) => self.placed_media(now, leg, media),
            Input::Placed { leg, placed } => self.placed(now, leg, placed),
            Input::Acd(order) => self.acd_order(now, order),
            Input::Ivr(input) => self.feed(now, input),
            Input::MonitorFailed => {
                warn!(call = %self.id, "the supervisor could not be mixed in");
                self.drop_monitor();
            }
            Input::BridgeFailed => {
                self.bridged = false;
                match self.phase {
                    Phase::Talking { .. } => {
                        warn!(call = %self.id, "the media bridge failed");
                        self.drop_agent();
                        self.agent_finished(now);
                    }
                    Phase::Consulting => {
                        warn!(call = %self.id, "the consultation's media bridge failed");
                        self.consult_gone(now);
                    }
                    Phase::Transferred => {
                        warn!(call = %self.id, "the transfer's media bridge failed");
                        self.hang_up();
                    }
                    _ => {}
                }
            }
            Input::Terminate => match self.phase {
                Phase::Answering { .. } => {
                    self.sip(Command::Reject(self.handle, 503));
                    self.finish(HangupSide::System, "shutdown".into(), now);
                }
                _ => self.hang_up(),
            },
        }
    }

    /// The console puts the citizen on hold, or takes them off it.
    pub fn hold(&mut self, on: bool) -> Result<(), Refusal> {
        let Phase::Talking { held } = self.phase else {
            return Err(Refusal::NotConnected);
        };
        if !self.bridged {
            return Err(Refusal::NotConnected);
        }
        if held == on {
            return Ok(());
        }
        self.outputs.push_back(Output::Bridge(BridgeOp::Hold {
            citizen: LegRef::Caller,
            on,
        }));
        self.phase = Phase::Talking { held: on };
        self.emit(if on {
            CallEvent::HoldStarted
        } else {
            CallEvent::HoldEnded
        });
        Ok(())
    }

    /// The agent ends the conversation from the console.
    pub fn hang_up_agent(&mut self, now: Instant) -> Result<(), Refusal> {
        if !self.agent.as_ref().is_some_and(|a| a.answered) {
            return Err(Refusal::NoAgentLeg);
        }
        if self.phase == Phase::Consulting {
            self.drop_consult();
            self.stop_consult_hold();
        }
        self.drop_agent();
        self.agent_finished(now);
        Ok(())
    }

    fn sip(&mut self, command: Command) {
        self.outputs.push_back(Output::Sip(command));
    }

    fn media(&mut self, leg: LegRef, op: MediaOp) {
        self.outputs.push_back(Output::Media(leg, op));
    }

    fn tell_acd(&mut self, request: ToAcd) {
        self.outputs.push_back(Output::Acd(request));
    }

    fn tag(&mut self) -> u64 {
        self.next_tag += 1;
        self.next_tag
    }

    fn new_leg(&mut self) -> PlacedLeg {
        self.next_leg += 1;
        PlacedLeg(self.next_leg)
    }

    /// Who placed legs say is calling: the citizen's number.
    fn caller_id(&self) -> String {
        if self.caller.is_empty() {
            "anonymous".to_owned()
        } else {
            self.caller.clone()
        }
    }

    /// Records an event; the screen-pop's path and variables follow the IVR.
    fn emit(&mut self, event: CallEvent) {
        match &event {
            CallEvent::IvrNodeEntered { node, .. } => self.ivr_path.push(node.clone()),
            CallEvent::VariableSet { name, value } => {
                if name == "citizen_id" {
                    self.citizen_hint = value.parse().ok().map(CitizenId);
                }
                self.ivr_vars.retain(|(n, _)| n != name);
                self.ivr_vars.push((name.clone(), value.clone()));
            }
            CallEvent::DigitsCollected { node, digits } => {
                self.ivr_vars.retain(|(n, _)| n != node);
                self.ivr_vars.push((node.clone(), digits.clone()));
            }
            _ => {}
        }
        self.outputs.push_back(Output::Event(event));
    }

    fn reject(&mut self, cause: &str) {
        self.sip(Command::Reject(self.handle, 503));
        self.emit(CallEvent::Ended {
            side: HangupSide::System,
            cause: cause.into(),
        });
        self.phase = Phase::Over;
        self.outputs.push_back(Output::Done);
    }

    fn answer(&mut self, now: Instant) {
        let Some(local) = self.local.clone() else {
            return;
        };
        self.sip(Command::Answer(self.handle, local));
        self.phase = Phase::Answered;
        self.max_call_at = Some(now + self.config.max_call);
    }

    /// The hotline ends the call: the ACD hears it at once, the SIP layer's
    /// confirmation ends it.
    fn hang_up(&mut self) {
        if matches!(self.phase, Phase::HangingUp | Phase::Over) {
            return;
        }
        self.leave_acd();
        self.phase = Phase::HangingUp;
        self.sip(Command::Hangup(self.handle));
    }

    /// Whatever the ACD holds of the call ends: a caller still waiting has
    /// abandoned, a conversation has ended.
    fn leave_acd(&mut self) {
        self.drop_monitor();
        match self.phase {
            Phase::Waiting => {
                self.tell_acd(ToAcd::Abandon);
                self.call_back_abandoned();
            }
            Phase::Talking { .. } | Phase::Consulting => {
                self.drop_consult();
                self.drop_agent();
                self.tell_acd(ToAcd::TalkEnded);
            }
            _ => {}
        }
        if self.agent.is_some() {
            self.drop_agent();
        }
        self.drop_ringing(None);
        if let Some(external) = self.external.take() {
            if let Some(handle) = external.handle {
                self.sip(Command::Hangup(handle));
            } else {
                self.abandoned.push(external.leg);
            }
            self.end_bridge();
            self.media(
                LegRef::Placed(external.leg),
                MediaOp::Close { report: None },
            );
        }
    }

    /// A caller who gave up waiting in a queue whose policy is to call
    /// missed calls back goes on the callback list, if the dial plan lets
    /// the hotline call their number.
    fn call_back_abandoned(&mut self) {
        let Some(queue) = self.queue.clone() else {
            return;
        };
        if !self.config.callbacks
            || self.caller.is_empty()
            || !self
                .config
                .callback_abandoned
                .iter()
                .any(|q| q == queue.as_str())
        {
            return;
        }
        if let Err(reason) = (self.config.dial_plan)(&self.caller) {
            let caller = self.caller.clone();
            self.refuse_dial(caller, "callback", reason);
            return;
        }
        info!(call = %self.id, %queue, "the caller hung up while waiting: on the callback list");
        let language = self.language();
        self.outputs.push_back(Output::Callback {
            number: self.caller.clone(),
            queue,
            kind: CallbackKind::Abandoned,
            language,
        });
    }

    /// The caller's dialog is over: the call's last events.
    fn finish(&mut self, side: HangupSide, cause: String, now: Instant) {
        self.leave_acd();
        if side == HangupSide::Caller {
            // The IVR records where the caller left.
            self.feed(now, hotline_ivr::Input::Hangup);
        }
        self.phase = Phase::Over;
        self.media(
            LegRef::Caller,
            MediaOp::Close {
                report: Some("caller"),
            },
        );
        self.emit(CallEvent::Ended { side, cause });
        self.tell_acd(ToAcd::CallGone);
        self.outputs.push_back(Output::Done);
    }

    /// Ends the media bridge, and with it a supervisor's monitoring.
    fn end_bridge(&mut self) {
        self.drop_monitor();
        if self.bridged {
            self.bridged = false;
            self.outputs.push_back(Output::Bridge(BridgeOp::End));
        }
    }

    fn sip_event(&mut self, now: Instant, event: Event) {
        let Some(handle) = event.call() else {
            return;
        };
        if handle != self.handle {
            if self.external.as_ref().and_then(|x| x.handle) == Some(handle) {
                self.external_sip(event);
            } else if self.consult.as_ref().and_then(|c| c.handle) == Some(handle) {
                self.consult_sip(now, event);
            } else if self.is_monitor_handle(handle) {
                self.monitor_sip(event);
            } else {
                self.agent_sip(now, handle, event);
            }
            return;
        }
        match event {
            Event::CallConfirmed {
                remote_media: late, ..
            } => self.confirmed(now, late),
            Event::InfoDtmf {
                digit, duration_ms, ..
            } => {
                // Through the leg, so barge-in and reporting are the same as for RTP keys.
                let key = DtmfDigit {
                    key: digit,
                    duration: Duration::from_millis(u64::from(duration_ms)),
                };
                self.media(LegRef::Caller, MediaOp::InfoDtmf(key));
            }
            Event::RemoteMediaChanged { media, .. } => {
                let hold = media.remote_direction.is_hold();
                self.emit(if hold {
                    CallEvent::HoldStarted
                } else {
                    CallEvent::HoldEnded
                });
                if let Some(local) = &self.local {
                    // Silence is expected while held.
                    let dead = (!hold).then_some(self.config.dead_media_after);
                    let params = answering_leg_params(local, &media, self.latch, dead);
                    self.media(LegRef::Caller, MediaOp::Start(params));
                }
                self.remote_media = Some(media);
            }
            Event::CallEnded { by, reason, .. } => {
                let side = match by {
                    EndedBy::Remote => HangupSide::Caller,
                    EndedBy::Local => HangupSide::System,
                };
                self.finish(side, reason.into(), now);
            }
            _ => {}
        }
    }

    /// The ACK came: media starts and the IVR runs.
    fn confirmed(&mut self, now: Instant, late: Option<NegotiatedMedia>) {
        if self.phase != Phase::Answered {
            return;
        }
        if late.is_some() {
            self.remote_media = late;
        }
        self.emit(CallEvent::Answered);
        if let (Some(local), Some(media)) = (&self.local, &self.remote_media) {
            let params =
                answering_leg_params(local, media, self.latch, Some(self.config.dead_media_after));
            self.media(LegRef::Caller, MediaOp::Start(params));
        }
        let Some(script) = self.script.clone() else {
            return;
        };
        let info = hotline_ivr::CallInfo {
            caller: self.caller.clone(),
            called: self.called.clone(),
            answered_at: hotline_types::Timestamp::from_system_time(std::time::SystemTime::now()),
        };
        let plan = self.config.dial_plan.clone();
        let numbers = hotline_ivr::CallbackNumbers::new(move |n| plan(n).is_ok());
        self.ivr = Some(Ivr::new(script, info).with_callback_numbers(numbers));
        self.phase = Phase::Ivr;
        self.feed(now, hotline_ivr::Input::Start);
    }

    fn caller_media(&mut self, now: Instant, media: MediaInput) {
        match media {
            MediaInput::Dtmf(key) if self.phase == Phase::Waiting => self.queue_key(key),
            MediaInput::Dtmf(key) => self.feed(now, hotline_ivr::Input::Digit(key)),
            MediaInput::PlaybackFinished(tag) => {
                if let Some(id) = self.playbacks.remove(&tag) {
                    self.feed(now, hotline_ivr::Input::PromptFinished(id));
                } else if let Some(at) = self.announcements.iter().position(|a| *a == tag) {
                    self.announcements.remove(at);
                    if self.phase == Phase::Goodbye {
                        self.hang_up();
                    }
                }
            }
            MediaInput::RecordingStarted(tag) => {
                if let Some((_, path)) = self.conversation.take_if(|(t, _)| *t == tag) {
                    self.recording_call = true;
                    self.emit(CallEvent::RecordingStarted {
                        recording: path.display().to_string(),
                    });
                }
            }
            MediaInput::RecordingFinished {
                tag,
                path,
                duration,
            } => self.recording_finished(now, tag, path, duration),
            MediaInput::DeadMedia { silent_for } => {
                info!(call = %self.id, silent_s = silent_for.as_secs(), "no RTP from the caller: hanging up");
                self.hang_up();
            }
        }
    }

    /// The caller's language (the IVR's choice; Mandarin before it starts).
    fn language(&self) -> String {
        self.ivr
            .as_ref()
            .map_or("zh", |ivr| ivr.language())
            .to_owned()
    }

    /// A prompt file of the caller's language.
    fn prompt_file(&self, name: &str) -> PathBuf {
        self.config
            .prompts_root
            .join(self.language())
            .join(format!("{name}.wav"))
    }

    /// A call the hotline will not place: recorded, so supervisors see
    /// attempts at toll fraud.
    fn refuse_dial(&mut self, number: String, purpose: &str, reason: &str) {
        warn!(call = %self.id, number = %Masked(&number), purpose, reason, "not dialling: the dial plan refuses it");
        self.emit(CallEvent::DialRefused {
            number,
            purpose: purpose.into(),
            reason: reason.into(),
        });
    }

    /// Records the conversation from the first agent's answer to the end of
    /// the call, on the citizen's leg: what the citizen says, and what they
    /// hear (the agent, or the music while held). Not if the caller
    /// declined it at the IVR's notice (voice messages are not
    /// conversations: leaving one is the caller's own act, recorded as
    /// they asked).
    fn record_conversation(&mut self) {
        let Some(mode) = self.config.record_calls else {
            return;
        };
        if self.recording_declined {
            info!(call = %self.id, "the caller declined the recording: the conversation is not recorded");
            return;
        }
        if self.recording_call || self.conversation.is_some() {
            return;
        }
        let path = self
            .config
            .recordings_dir
            .join(format!("{}-conversation.wav", self.id));
        let tag = RecordTag(self.tag());
        self.conversation = Some((tag, path.clone()));
        let options = RecordOptions {
            path,
            mode,
            max_duration: Some(self.config.max_call),
            stop_keys: String::new(),
            stop_after_silence: None,
        };
        self.media(LegRef::Caller, MediaOp::Record { tag, options });
    }
}
