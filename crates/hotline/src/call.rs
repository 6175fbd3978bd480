//! One call, owned by one task: the SIP dialog, the media leg and the IVR
//! engine, driven together.
//!
//! The task is the only owner of the call's state. It answers the INVITE
//! with the media leg's address, runs the IVR script (pinned to the version
//! in force when the call arrived), turns the IVR's actions into media
//! commands, store lookups and SIP commands, and feeds back what happens:
//! keys (RFC 4733, in-band, SIP INFO: the media leg merges them), prompts
//! finished, lookup answers, recordings. Every step becomes a call event.
//!
//! When the IVR queues the caller, the task hands the call to the ACD task
//! (`crate::acd_task`) and plays music on hold with position announcements.
//! The ACD's orders come back here: ring an agent's phone (a second SIP leg
//! and media leg, owned by this same task), connect (bridge the two media
//! legs), hold, transfer, hang the agent up. When the agent's side ends, the
//! IVR carries on with the citizen (the satisfaction survey).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use hotline_acd::EnqueueRequest;
use hotline_ivr::{
    Action, CallInfo, Input, Ivr, LookupKey, LookupKind, LookupOutcome, LookupResponse,
    QueueOutcome, SayValue,
};
use hotline_media::{
    Bridge, LatchPolicy, Leg, LegParams, MediaEngine, MediaEvent, PromptCache, RecordMode,
    RecordOptions,
};
use hotline_sip::registrar::Binding;
use hotline_sip::sdp::SdesCrypto;
use hotline_sip::transport::{Command, SipHandle};
use hotline_sip::{
    CallHandle, Direction, EndedBy, Event, LocalMedia, NegotiatedMedia, OutgoingCall, Peer,
};
use hotline_store::{AuditContext, NewCase, Store};
use hotline_types::{
    AgentId, CallEvent, CallEventRecord, CallId, CitizenId, HangupSide, QueueId, Timestamp,
};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, warn};

use crate::acd_task::{AcdHandle, AcdInput, AcdOrder, WaitingCall};
use crate::controller::ControlCommand;
use crate::events::EventSink;

/// What every call task shares.
#[derive(Debug)]
pub struct CallContext {
    pub sip: SipHandle,
    pub events: EventSink,
    pub media: MediaEngine,
    pub prompts: Arc<PromptCache>,
    /// `<scripts_dir>/prompts`: where the say pieces live.
    pub prompts_root: PathBuf,
    pub scripts: Arc<hotline_ivr::ScriptSet>,
    pub script_name: String,
    pub store: Store,
    pub recordings_dir: PathBuf,
    pub max_call: Duration,
    pub answer_after: Duration,
    pub dead_media_after: Duration,
    /// Whose RTP a caller's or phone's leg trusts (`media.latch`).
    pub latch: crate::config::LatchConfig,
    /// Trunks and proxies: their legs trust the SDP address.
    pub trusted_sources: Vec<std::net::IpAddr>,
    pub node: Option<String>,
    pub acd: AcdHandle,
    /// The dispatcher: outgoing legs are placed through it so their SIP
    /// events are routed to the call task from the first response on.
    pub dispatcher: mpsc::UnboundedSender<ControlCommand>,
    /// Music on hold for queued and held callers (`prompts/music/hold.wav`).
    pub music_on_hold: Option<Arc<hotline_media::Prompt>>,
    /// The hotline's own number (From of the calls it places to citizens).
    pub hotline_number: String,
    /// Queued callers may ask for a callback (an outbound trunk is configured).
    pub callbacks: bool,
    /// Named destinations the IVR may transfer to: URI, address, TCP or not.
    pub destinations: HashMap<String, (String, SocketAddr, bool)>,
    /// How conversations with agents are recorded; None: not at all.
    pub record_calls: Option<RecordMode>,
    /// The numbers callbacks may dial (toll-fraud protection).
    pub dial_plan: Arc<crate::dialplan::DialPlan>,
    /// The configured queues: the only targets a REFER may name.
    pub queue_names: Vec<String>,
    /// The store's list of promises to call back, and its scheduler.
    pub callback_list: crate::callback_list::CallbackList,
}

impl CallContext {
    /// The latch policy for a leg whose signalling peer is at `peer`: a
    /// trusted source's SDP is believed; anyone else's RTP must come from
    /// the host that signalled (or, if configured, from anywhere), and no
    /// audio goes to an address until it is confirmed.
    pub(crate) fn latch_for(&self, peer: std::net::IpAddr) -> LatchPolicy {
        if self.trusted_sources.contains(&peer) {
            return LatchPolicy::SdpAddress;
        }
        match self.latch {
            crate::config::LatchConfig::SignallingSource => LatchPolicy::SignallingSource(peer),
            crate::config::LatchConfig::AnySource => LatchPolicy::AnySource(peer),
            crate::config::LatchConfig::SdpAddress => LatchPolicy::SdpAddress,
        }
    }
}

/// What the dispatcher tells a call task.
#[derive(Debug)]
pub enum CallInput {
    Sip(Event),
    /// An order of the ACD task (the call is queued or with an agent).
    Acd(AcdOrder),
    /// The leg of an IVR transfer was placed (or could not be).
    TransferPlaced {
        name: String,
        placed: Option<(CallHandle, Leg)>,
    },
    /// Shutdown drain expired: end the call now.
    Terminate,
}

/// The INVITE as the dispatcher received it.
#[derive(Debug)]
pub struct Incoming {
    pub handle: CallHandle,
    pub caller: String,
    pub caller_display: Option<String>,
    pub called: String,
    pub sip_call_id: String,
    pub source: Peer,
    pub remote_media: Option<NegotiatedMedia>,
    /// This task's own input channel, for the ACD task to send orders to.
    pub inputs: mpsc::UnboundedSender<CallInput>,
}

fn now_ts() -> Timestamp {
    Timestamp::from_system_time(SystemTime::now())
}

fn media_codec(codec: hotline_sip::Codec) -> hotline_media::Codec {
    match codec {
        hotline_sip::Codec::Pcmu => hotline_media::Codec::Pcmu,
        hotline_sip::Codec::Pcma => hotline_media::Codec::Pcma,
    }
}

fn say_language(language: &str) -> hotline_media::Language {
    match language {
        "en" => hotline_media::Language::En,
        _ => hotline_media::Language::Zh,
    }
}

/// How the call ended, for the `ended` event.
struct Ending {
    side: HangupSide,
    cause: String,
}

/// Where the call is with the ACD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Queueing {
    /// Not queued (in the IVR).
    No,
    /// Waiting for an agent (music, announcements), possibly with a phone ringing.
    Waiting,
    /// Talking to an agent.
    WithAgent,
}

/// The agent's side of the call: a SIP leg placed to their phone and its media leg.
struct AgentLeg {
    agent: AgentId,
    handle: CallHandle,
    leg: Leg,
    /// Decided by the phone's registered address.
    latch: LatchPolicy,
    /// Our SRTP key, offered to a phone registered over TLS.
    offered: Option<SdesCrypto>,
    answered: bool,
}

struct Call {
    context: Arc<CallContext>,
    id: CallId,
    handle: CallHandle,
    caller: String,
    leg: Leg,
    ivr: Option<Ivr>,
    /// Media playback id → the IVR's playback id.
    playbacks: HashMap<hotline_media::PlaybackId, hotline_ivr::PlaybackId>,
    /// Media recording id → the IVR's recording id.
    recordings: HashMap<hotline_media::RecordingId, hotline_ivr::RecordingId>,
    /// Answers from the store arrive here.
    lookups: mpsc::UnboundedSender<Input>,
    hung_up_by_us: bool,
    /// This task's own input channel (given to the ACD and the dispatcher).
    inputs: mpsc::UnboundedSender<CallInput>,
    queueing: Queueing,
    /// The queue the IVR put the call in last.
    queue: Option<QueueId>,
    /// The agent's phone asked for a transfer (REFER) that the ACD has not
    /// carried out yet: its NOTIFY is still owed.
    refer_pending: bool,
    /// The agent talking with the citizen (or who answered first).
    agent: Option<AgentLeg>,
    /// Agents' phones ringing with this call (ring-all rings several; the
    /// first to answer becomes `agent`, the ACD cancels the others).
    ringing: Vec<AgentLeg>,
    bridge: Option<Bridge>,
    held: bool,
    /// Announcement playbacks (not the IVR's).
    announcements: Vec<hotline_media::PlaybackId>,
    /// The IVR nodes entered and what it learned, for the screen-pop.
    ivr_path: Vec<String>,
    ivr_vars: Vec<(String, String)>,
    citizen_hint: Option<CitizenId>,
    /// Hang up when the current announcement ends (after a callback request).
    goodbye_after_announcement: bool,
    /// Agent legs we hung up whose end has not been reported yet.
    retired_agent_handles: Vec<CallHandle>,
    /// A transfer to a configured destination, placed and bridged here.
    external: Option<ExternalLeg>,
    /// The conversation with agents is being recorded.
    recording_call: bool,
}

/// The leg to a configured external destination (IVR transfer node).
struct ExternalLeg {
    name: String,
    handle: CallHandle,
    leg: Leg,
    answered: bool,
}

impl Call {
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
        self.context
            .events
            .submit(CallEventRecord::new(self.id, now_ts(), event));
    }

    fn feed(&mut self, now: Instant, input: Input) {
        if let Some(ivr) = self.ivr.as_mut() {
            ivr.handle_input(now, input);
        }
        self.run_actions();
    }

    /// Carries out everything the IVR asked for.
    fn run_actions(&mut self) {
        loop {
            let Some(action) = self.ivr.as_mut().and_then(Ivr::poll_action) else {
                return;
            };
            match action {
                Action::Emit(event) => self.emit(event),
                Action::Play {
                    id,
                    prompts,
                    barge_in,
                } => {
                    let loaded: Vec<_> = prompts
                        .iter()
                        .filter_map(|p| match self.context.prompts.get(&p.path) {
                            Ok(prompt) => Some(prompt),
                            Err(e) => {
                                warn!(call = %self.id, prompt = %p.path.display(), error = %e, "prompt cannot be played");
                                None
                            }
                        })
                        .collect();
                    self.play(id, loaded, barge_in);
                }
                Action::Say {
                    id,
                    value,
                    language,
                } => {
                    let lang = say_language(&language);
                    let pieces = match &value {
                        SayValue::Digits(digits) => hotline_media::say::say_digits(lang, digits),
                        SayValue::Number(n) => hotline_media::say::say_number(lang, *n),
                        SayValue::Date { year, month, day } => hotline_media::say::say_date(
                            lang,
                            u32::try_from(*year).unwrap_or(0),
                            u32::try_from(*month).unwrap_or(0),
                            u32::try_from(*day).unwrap_or(0),
                        ),
                        SayValue::CaseRef(case_ref) => {
                            Ok(hotline_media::say::say_case_ref(lang, case_ref))
                        }
                    };
                    let prompts = pieces.and_then(|pieces| {
                        hotline_media::say::load_pieces(
                            &self.context.prompts,
                            &self.context.prompts_root,
                            lang,
                            &pieces,
                        )
                    });
                    match prompts {
                        Ok(prompts) => self.play(id, prompts, false),
                        Err(e) => {
                            warn!(call = %self.id, ?value, error = %e, "value cannot be said");
                            self.play(id, Vec::new(), false);
                        }
                    }
                }
                Action::StopPlayback { .. } => {
                    let _ = self.leg.stop_playback();
                }
                Action::CollectDigits { .. } => {}
                Action::Lookup(request) => self.lookup(request),
                Action::Enqueue {
                    queue,
                    priority,
                    skills,
                } => {
                    self.queueing = Queueing::Waiting;
                    self.queue = Some(queue.clone());
                    if let Some(music) = &self.context.music_on_hold {
                        let _ = self.leg.start_music(music.clone());
                    }
                    self.context.acd.send(AcdInput::Enqueue {
                        call: self.id,
                        request: EnqueueRequest {
                            queue,
                            priority,
                            skills,
                        },
                        info: WaitingCall {
                            caller: self.caller.clone(),
                            ivr_path: self.ivr_path.clone(),
                            ivr_vars: self.ivr_vars.clone(),
                            citizen_hint: self.citizen_hint,
                        },
                        call_task: self.inputs.clone(),
                    });
                }
                Action::Record {
                    id,
                    max_ms,
                    finish_on_key,
                    beep: _,
                } => {
                    let path = self
                        .context
                        .recordings_dir
                        .join(format!("{}-{}.wav", self.id, id.0));
                    let options = RecordOptions {
                        path,
                        mode: RecordMode::CallerOnly,
                        max_duration: Some(Duration::from_millis(max_ms)),
                        stop_keys: finish_on_key.map(String::from).unwrap_or_default(),
                        stop_after_silence: Some(Duration::from_secs(5)),
                    };
                    match self.leg.record(options) {
                        Ok(media_id) => {
                            self.recordings.insert(media_id, id);
                        }
                        Err(e) => {
                            warn!(call = %self.id, error = %e, "cannot record the message");
                            let input = Input::RecordingFinished(hotline_ivr::Recording {
                                id,
                                file: String::new(),
                                duration_ms: 0,
                                case_ref: None,
                            });
                            let _ = self.lookups.send(input);
                        }
                    }
                }
                Action::RequestCallback { number, queue } => {
                    // The IVR asked the dial plan already (with_callback_numbers).
                    info!(call = %self.id, number, "callback requested: on the callback list");
                    let queue = queue.unwrap_or_else(|| QueueId::from("general"));
                    let language = self.language();
                    self.context.callback_list.request(
                        self.id,
                        &number,
                        queue,
                        hotline_store::CallbackKind::AfterHours,
                        &language,
                    );
                }
                Action::Transfer { destination } => self.start_transfer(destination),
                Action::Hangup { reason } => {
                    debug!(call = %self.id, reason, "the IVR hangs up");
                    self.hang_up();
                }
            }
        }
    }

    fn play(
        &mut self,
        id: hotline_ivr::PlaybackId,
        prompts: Vec<Arc<hotline_media::Prompt>>,
        barge_in: bool,
    ) {
        match self.leg.play(prompts, barge_in) {
            Ok(media_id) => {
                self.playbacks.insert(media_id, id);
            }
            Err(e) => {
                warn!(call = %self.id, error = %e, "playback failed");
                let _ = self.lookups.send(Input::PromptFinished(id));
            }
        }
    }

    fn hang_up(&mut self) {
        if !self.hung_up_by_us {
            self.hung_up_by_us = true;
            let _ = self.context.sip.send(Command::Hangup(self.handle));
        }
    }

    /// Asks the store on a task of its own; the answer comes back as input.
    fn lookup(&mut self, request: hotline_ivr::LookupRequest) {
        let store = self.context.store.clone();
        let answers = self.lookups.clone();
        let call = self.id;
        tokio::spawn(async move {
            let audit = AuditContext::for_call("ivr", call, now_ts());
            let outcome = match (&request.kind, &request.key) {
                (LookupKind::CaseStatus, LookupKey::CaseRef(case_ref)) => {
                    match store.case_status(case_ref).await {
                        Ok(Some(info)) => LookupOutcome::Found {
                            fields: vec![
                                (
                                    "case_status".into(),
                                    spoken_status(info.status.as_str()).into(),
                                ),
                                (
                                    "case_department".into(),
                                    spoken_department(&info.department),
                                ),
                                ("case_category".into(), info.category),
                            ],
                        },
                        Ok(None) => LookupOutcome::NotFound,
                        Err(e) => {
                            warn!(%call, error = %e, "case lookup failed");
                            LookupOutcome::Failed
                        }
                    }
                }
                (_, LookupKey::CallerNumber(number)) if !number.is_empty() => {
                    match store.citizen_by_phone(&audit, number).await {
                        Ok(found) if !found.is_empty() => LookupOutcome::Found {
                            fields: vec![("citizen_id".into(), found[0].citizen.id.to_string())],
                        },
                        Ok(_) => LookupOutcome::NotFound,
                        Err(e) => {
                            warn!(%call, error = %e, "citizen lookup failed");
                            LookupOutcome::Failed
                        }
                    }
                }
                (_, LookupKey::ResidentId(id)) => {
                    match store.citizen_by_national_id(&audit, id).await {
                        Ok(Some(found)) => LookupOutcome::Found {
                            fields: vec![("citizen_id".into(), found.citizen.id.to_string())],
                        },
                        Ok(None) => LookupOutcome::NotFound,
                        Err(e) => {
                            warn!(%call, error = %e, "citizen lookup failed");
                            LookupOutcome::Failed
                        }
                    }
                }
                _ => LookupOutcome::NotFound,
            };
            let _ = answers.send(Input::LookupResult(LookupResponse {
                id: request.id,
                outcome,
            }));
        });
    }

    /// A voice message becomes a case whose number the IVR reads back.
    fn recording_finished(
        &mut self,
        media_id: hotline_media::RecordingId,
        path: PathBuf,
        duration: Duration,
    ) {
        let Some(id) = self.recordings.remove(&media_id) else {
            return;
        };
        let store = self.context.store.clone();
        let answers = self.lookups.clone();
        let call = self.id;
        let caller = self.caller.clone();
        tokio::spawn(async move {
            let audit = AuditContext::for_call("ivr", call, now_ts());
            let citizen = match store.citizen_by_phone(&audit, &caller).await {
                Ok(found) => found.first().map(|r| r.citizen.id),
                Err(_) => None,
            };
            let new = NewCase {
                citizen,
                call: Some(call),
                category: "voice_message".into(),
                department: "general".into(),
                summary: format!(
                    "Voice message ({} s): {}",
                    duration.as_secs(),
                    path.display()
                ),
            };
            let case_ref = match store.create_case(&audit, &new).await {
                Ok(case) => Some(case.case_ref),
                Err(e) => {
                    warn!(%call, error = %e, "the voice message is kept but no case could be opened");
                    None
                }
            };
            let recording = hotline_ivr::Recording {
                id,
                file: path.display().to_string(),
                duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
                case_ref,
            };
            let _ = answers.send(Input::RecordingFinished(recording));
        });
    }
}

impl Call {
    /// The IVR transfers the caller to a named destination from the
    /// configuration (never a number the caller typed): place a leg there
    /// and bridge it; the call ends when either side hangs up.
    fn start_transfer(&mut self, name: String) {
        let Some((uri, addr, tcp)) = self.context.destinations.get(&name).cloned() else {
            warn!(call = %self.id, destination = name, "the IVR names a destination the configuration does not have: ending the call");
            self.hang_up();
            return;
        };
        let peer = Peer {
            transport: if tcp {
                hotline_sip::Transport::Tcp
            } else {
                hotline_sip::Transport::Udp
            },
            addr,
            connection: None,
        };
        let from = if self.caller.is_empty() {
            "anonymous".to_owned()
        } else {
            self.caller.clone()
        };
        let context = self.context.clone();
        let inputs = self.inputs.clone();
        let call = self.id;
        // Placing is a round trip to the dispatcher: off the IVR's action loop,
        // the result comes back as an input like any other.
        tokio::spawn(async move {
            let placed = place_leg(&context, &inputs, uri.clone(), peer, from)
                .await
                .map(|(handle, leg, _)| (handle, leg));
            if let Err(e) = &placed {
                warn!(%call, destination = name, error = e, "the transfer could not be placed");
            }
            let _ = inputs.send(CallInput::TransferPlaced {
                name,
                placed: placed.ok(),
            });
        });
    }

    fn transfer_placed(&mut self, name: String, placed: Option<(CallHandle, Leg)>) {
        match placed {
            Some((handle, leg)) => {
                info!(call = %self.id, destination = name, "transferring to a configured destination");
                self.external = Some(ExternalLeg {
                    name,
                    handle,
                    leg,
                    answered: false,
                });
            }
            None => self.hang_up(),
        }
    }

    fn is_external_event(&self, event: &Event) -> bool {
        let handle = crate::controller::call_of(event);
        self.external
            .as_ref()
            .is_some_and(|x| Some(x.handle) == handle)
    }

    /// A SIP event of the transfer's leg.
    fn external_sip(&mut self, event: Event) {
        let Some(external) = self.external.as_mut() else {
            return;
        };
        match event {
            Event::OutgoingAnswered { remote_media, .. } => {
                external.answered = true;
                if let Some(media) = remote_media {
                    // A destination in the configuration: its SDP is trusted.
                    start_answered_leg(
                        &self.context,
                        &external.leg,
                        &media,
                        LatchPolicy::SdpAddress,
                        None,
                    );
                }
                let _ = self.leg.stop_playback();
                match self.context.media.bridge(&self.leg, &external.leg) {
                    Ok(bridge) => self.bridge = Some(bridge),
                    Err(e) => {
                        warn!(call = %self.id, error = %e, "the transfer's media bridge failed");
                        self.hang_up();
                    }
                }
            }
            Event::CallEnded { reason, .. } => {
                info!(call = %self.id, destination = external.name, answered = external.answered, reason, "the transferred leg ended");
                if let Some(bridge) = self.bridge.take() {
                    let _ = bridge.end();
                }
                if let Some(mut external) = self.external.take() {
                    external.leg.close();
                }
                self.hang_up();
            }
            _ => {}
        }
    }

    /// Carries out an order of the ACD task.
    async fn acd_order(&mut self, order: AcdOrder) {
        match order {
            AcdOrder::RingAgent { agent, binding } => self.ring_agent(agent, binding).await,
            AcdOrder::CancelOffer { agent } => {
                if self
                    .agent
                    .as_ref()
                    .is_some_and(|a| a.agent == agent && !a.answered)
                {
                    self.drop_agent();
                }
                self.drop_ringing(Some(&agent));
            }
            AcdOrder::Connect { agent } => self.connect(agent),
            AcdOrder::DropAgent { agent } => {
                if self.agent.as_ref().is_some_and(|a| a.agent == agent) {
                    self.drop_agent();
                }
                self.drop_ringing(Some(&agent));
            }
            AcdOrder::Overflow { to, reason } => {
                debug!(call = %self.id, ?to, reason, "the ACD sends the call back to the IVR");
                self.leave_queue();
                // The script branches on where the call should go next.
                let reason = match to {
                    hotline_acd::Overflow::Voicemail => "voicemail",
                    hotline_acd::Overflow::Callback => "callback",
                    hotline_acd::Overflow::Fallback | hotline_acd::Overflow::Queue(_) => "fallback",
                };
                self.feed(
                    Instant::now(),
                    Input::QueueResult(QueueOutcome::Overflow {
                        reason: reason.into(),
                    }),
                );
            }
            AcdOrder::Announce {
                position,
                estimated_wait,
            } => self.announce(position, estimated_wait),
            AcdOrder::Hold { on, reply } => {
                let _ = reply.send(self.hold(on));
            }
            AcdOrder::HangupAgent { reply } => {
                if self.agent.as_ref().is_some_and(|a| a.answered) {
                    self.drop_agent();
                    self.agent_finished();
                    let _ = reply.send(Ok(()));
                } else {
                    let _ = reply.send(Err("the call has no agent leg to hang up".into()));
                }
            }
            AcdOrder::TransferRefused => {
                if let (Some(agent), true) = (&self.agent, self.refer_pending) {
                    let _ = self.context.sip.send(Command::NotifyRefer(
                        agent.handle,
                        "603 Declined",
                        true,
                    ));
                }
                self.refer_pending = false;
            }
            AcdOrder::Requeued => {
                if let Some(agent) = &self.agent {
                    // A transfer the phone asked for (REFER) or the console
                    // did: the NOTIFY is for a REFER only, and ignored otherwise.
                    if self.refer_pending {
                        let _ = self.context.sip.send(Command::NotifyRefer(
                            agent.handle,
                            "200 OK",
                            true,
                        ));
                    }
                }
                self.refer_pending = false;
                self.drop_agent();
                self.drop_ringing(None);
                self.queueing = Queueing::Waiting;
                if let Some(music) = &self.context.music_on_hold {
                    let _ = self.leg.start_music(music.clone());
                }
            }
        }
    }

    /// Rings the agent's phone: a new SIP leg with a media leg of its own.
    /// The agent sees the citizen's number as the caller.
    async fn ring_agent(&mut self, agent: AgentId, binding: Binding) {
        if self.queueing != Queueing::Waiting
            || self.agent.is_some()
            || self.ringing.iter().any(|r| r.agent == agent)
        {
            // The caller has gone, an agent has answered already, or this
            // agent's phone rings already: the ACD hears that this offer
            // failed and routes again. Ring-all offers to several agents
            // ring all their phones at once (`ringing`).
            self.context.acd.send(AcdInput::OfferFailed {
                call: self.id,
                agent,
            });
            return;
        }
        let from_user = if self.caller.is_empty() {
            "anonymous".to_owned()
        } else {
            self.caller.clone()
        };
        let peer = Peer {
            transport: binding.transport,
            addr: binding.source,
            connection: None,
        };
        match place_leg(
            &self.context,
            &self.inputs,
            binding.contact.clone(),
            peer,
            from_user,
        )
        .await
        {
            Ok((handle, leg, offered)) => {
                info!(call = %self.id, %agent, contact = binding.contact, "ringing the agent's phone");
                self.ringing.push(AgentLeg {
                    agent,
                    handle,
                    leg,
                    latch: self.context.latch_for(binding.source.ip()),
                    offered,
                    answered: false,
                });
            }
            Err(e) => {
                warn!(call = %self.id, %agent, error = e, "the agent's leg could not be placed");
                self.context.acd.send(AcdInput::OfferFailed {
                    call: self.id,
                    agent,
                });
            }
        }
    }

    /// Cancels the ringing phones of `agent` (of everyone with `None`).
    fn drop_ringing(&mut self, agent: Option<&AgentId>) {
        let (gone, kept): (Vec<AgentLeg>, Vec<AgentLeg>) = std::mem::take(&mut self.ringing)
            .into_iter()
            .partition(|r| agent.is_none_or(|a| r.agent == *a));
        self.ringing = kept;
        for leg in gone {
            let _ = self.context.sip.send(Command::Hangup(leg.handle));
            self.retired_agent_handles.push(leg.handle);
            self.retire_agent_leg(leg);
        }
    }

    /// Hangs up (or cancels) the agent's leg and forgets it.
    fn drop_agent(&mut self) {
        if let Some(bridge) = self.bridge.take() {
            let _ = bridge.end();
        }
        self.held = false;
        if let Some(agent) = self.agent.take() {
            let _ = self.context.sip.send(Command::Hangup(agent.handle));
            self.retired_agent_handles.push(agent.handle);
            self.retire_agent_leg(agent);
        }
    }

    /// Records the agent leg's quality figures (an answered leg only), then
    /// closes it. Off the call's loop: reading the figures is a round trip
    /// to the media engine.
    fn retire_agent_leg(&self, agent: AgentLeg) {
        let AgentLeg {
            agent,
            mut leg,
            answered,
            ..
        } = agent;
        if !answered {
            leg.close();
            return;
        }
        let events = self.context.events.clone();
        let call = self.id;
        tokio::spawn(async move {
            if let Ok(stats) = leg.stats().await {
                info!(
                    %call,
                    %agent,
                    rtp_received = stats.counters.rtp_received,
                    rtp_sent = stats.counters.rtp_sent,
                    packets_lost = stats.packets_lost,
                    unexpected_source_dropped = stats.counters.unexpected_source_dropped,
                    srtp_auth_failed = stats.counters.srtp_auth_failed,
                    "agent leg figures"
                );
                events.submit(CallEventRecord::new(
                    call,
                    now_ts(),
                    stats.to_call_event("agent"),
                ));
            }
            leg.close();
        });
    }

    /// The ACD accepted the agent's answer: citizen and agent talk.
    fn connect(&mut self, agent: AgentId) {
        let Some(agent_leg) = self
            .agent
            .as_ref()
            .filter(|a| a.agent == agent && a.answered)
        else {
            return;
        };
        let _ = self.leg.stop_music();
        let _ = self.leg.stop_playback();
        self.announcements.clear();
        match self.context.media.bridge(&self.leg, &agent_leg.leg) {
            Ok(bridge) => {
                self.bridge = Some(bridge);
                self.queueing = Queueing::WithAgent;
                self.record_conversation();
            }
            Err(e) => {
                warn!(call = %self.id, %agent, error = %e, "the media bridge failed");
                self.drop_agent();
                self.agent_finished();
            }
        }
    }

    /// Records the conversation from the first agent's answer to the end of
    /// the call, on the citizen's leg: what the citizen says, and what they
    /// hear (the agent, or the music while held).
    fn record_conversation(&mut self) {
        let Some(mode) = self.context.record_calls else {
            return;
        };
        if self.recording_call {
            return;
        }
        let path = self
            .context
            .recordings_dir
            .join(format!("{}-conversation.wav", self.id));
        let options = RecordOptions {
            path: path.clone(),
            mode,
            max_duration: Some(self.context.max_call),
            stop_keys: String::new(),
            stop_after_silence: None,
        };
        match self.leg.record(options) {
            Ok(_) => {
                self.recording_call = true;
                self.emit(CallEvent::RecordingStarted {
                    recording: path.display().to_string(),
                });
            }
            Err(e) => warn!(call = %self.id, error = %e, "the conversation cannot be recorded"),
        }
    }

    /// The agent's side is over: the ACD starts wrap-up and the IVR carries
    /// on with the citizen (the survey).
    fn agent_finished(&mut self) {
        self.queueing = Queueing::No;
        self.context.acd.send(AcdInput::TalkEnded { call: self.id });
        self.feed(
            Instant::now(),
            Input::QueueResult(QueueOutcome::AgentFinished),
        );
    }

    /// The call stops waiting (overflow): music off, any ringing phone cancelled.
    fn leave_queue(&mut self) {
        self.queueing = Queueing::No;
        let _ = self.leg.stop_music();
        if !self.announcements.is_empty() {
            let _ = self.leg.stop_playback();
            self.announcements.clear();
        }
        if self.agent.as_ref().is_some_and(|a| !a.answered) {
            self.drop_agent();
        }
        self.drop_ringing(None);
    }

    fn hold(&mut self, on: bool) -> Result<(), String> {
        let Some(bridge) = &self.bridge else {
            return Err("the call is not connected to an agent".into());
        };
        if on == self.held {
            return Ok(());
        }
        let event = hold_bridge(&self.context, bridge, &self.leg, on)?;
        self.held = on;
        self.emit(event);
        Ok(())
    }

    /// "You are number N in the queue. The estimated waiting time is about
    /// M minutes. To keep your place and be called back, press 1."
    fn announce(&mut self, position: u32, estimated_wait: Option<Duration>) {
        if self.queueing != Queueing::Waiting || self.agent.is_some() || !self.ringing.is_empty() {
            return;
        }
        let language = self.language();
        let lang = say_language(&language);
        let root = &self.context.prompts_root;
        let prompt = |name: &str| {
            self.context
                .prompts
                .get(&root.join(&language).join(format!("{name}.wav")))
        };
        let say = |n: i64| {
            hotline_media::say::say_number(lang, n).and_then(|pieces| {
                hotline_media::say::load_pieces(&self.context.prompts, root, lang, &pieces)
            })
        };
        let mut prompts = Vec::new();
        let mut add =
            |part: Result<Vec<Arc<hotline_media::Prompt>>, hotline_media::MediaError>| match part {
                Ok(p) => prompts.extend(p),
                Err(e) => debug!(error = %e, "announcement piece missing"),
            };
        add(prompt("queue_position_before").map(|p| vec![p]));
        add(say(i64::from(position)));
        add(prompt("queue_position_after").map(|p| vec![p]));
        if let Some(wait) = estimated_wait {
            let minutes = i64::try_from(wait.as_secs().div_ceil(60).max(1)).unwrap_or(1);
            add(prompt("queue_wait_before").map(|p| vec![p]));
            add(say(minutes));
            add(prompt("queue_wait_after").map(|p| vec![p]));
        }
        if self.offers_callback() {
            add(prompt("queue_keys").map(|p| vec![p]));
        }
        add(prompt("queue_key_message").map(|p| vec![p]));
        if prompts.is_empty() {
            return;
        }
        if let Ok(id) = self.leg.play(prompts, true) {
            self.announcements.push(id);
        }
    }

    /// Whether a waiting caller may ask to be called back: a trunk is
    /// configured and their number is one the dial plan lets us call.
    fn offers_callback(&self) -> bool {
        self.context.callbacks
            && !self.caller.is_empty()
            && self.context.dial_plan.allows(&self.caller).is_ok()
    }

    /// A call the hotline will not place: recorded, so supervisors see
    /// attempts at toll fraud.
    fn refuse_dial(&mut self, number: String, purpose: &str, reason: &str) {
        warn!(call = %self.id, number, purpose, reason, "not dialling: the dial plan refuses it");
        self.emit(CallEvent::DialRefused {
            number,
            purpose: purpose.into(),
            reason: reason.into(),
        });
    }

    /// The caller's language (the IVR's choice; Mandarin before it starts).
    fn language(&self) -> String {
        self.ivr
            .as_ref()
            .map_or("zh", |ivr| ivr.language())
            .to_owned()
    }

    /// A key while waiting: 1 asks for a callback keeping the caller's
    /// place, 2 leaves the queue to record a message (the IVR's overflow
    /// branch, told "voicemail").
    fn queue_key(&mut self, key: char) {
        if key == '2' && self.agent.is_none() {
            info!(call = %self.id, "the caller leaves the queue to leave a message");
            self.context.acd.send(AcdInput::Leave { call: self.id });
            return;
        }
        if key != '1'
            || !self.context.callbacks
            || self.caller.is_empty()
            || self.agent.is_some()
            || !self.ringing.is_empty()
        {
            return;
        }
        if let Err(refusal) = self.context.dial_plan.allows(&self.caller) {
            // Never offered to this caller; a key pressed anyway changes nothing.
            let caller = self.caller.clone();
            self.refuse_dial(caller, "callback", refusal.as_str());
            return;
        }
        info!(call = %self.id, "the caller asks to be called back, keeping their place");
        self.context.acd.send(AcdInput::RequestCallback {
            call: self.id,
            number: self.caller.clone(),
        });
        if let Some(queue) = self.queue.clone() {
            let language = self.language();
            self.context.callback_list.request(
                self.id,
                &self.caller,
                queue,
                hotline_store::CallbackKind::InQueue,
                &language,
            );
        }
        self.queueing = Queueing::No;
        let _ = self.leg.stop_music();
        let _ = self.leg.stop_playback();
        self.announcements.clear();
        let language = self.language();
        let path = self
            .context
            .prompts_root
            .join(language)
            .join("callback_keeps_place.wav");
        match self.context.prompts.get(&path) {
            Ok(prompt) => {
                if let Ok(id) = self.leg.play(vec![prompt], false) {
                    self.announcements.push(id);
                    self.goodbye_after_announcement = true;
                    return;
                }
                self.hang_up();
            }
            Err(_) => self.hang_up(),
        }
    }

    /// A SIP event of the agent's leg.
    fn agent_sip(&mut self, event: Event) {
        let handle = crate::controller::call_of(&event);
        if let Some(at) = self
            .retired_agent_handles
            .iter()
            .position(|h| Some(*h) == handle)
        {
            // A leg we hung up: only its end is news, and only to forget it.
            if matches!(event, Event::CallEnded { .. }) {
                self.retired_agent_handles.swap_remove(at);
            }
            return;
        }
        if let Some(at) = self.ringing.iter().position(|r| Some(r.handle) == handle) {
            self.ringing_sip(at, event);
            return;
        }
        let Some(agent) = self.agent.as_mut() else {
            return;
        };
        match event {
            Event::OutgoingAnswered { remote_media, .. } => {
                agent.answered = true;
                if let Some(media) = remote_media {
                    start_answered_leg(
                        &self.context,
                        &agent.leg,
                        &media,
                        agent.latch,
                        agent.offered.as_ref(),
                    );
                }
                self.context.acd.send(AcdInput::OfferAnswered {
                    call: self.id,
                    agent: agent.agent.clone(),
                });
            }
            Event::OutgoingFailed { status, .. } => {
                debug!(call = %self.id, agent = %agent.agent, status, "the agent's phone did not take the call");
            }
            Event::RemoteMediaChanged { media, .. } => {
                // The agent's phone put the citizen on hold (or resumed).
                let hold = media.remote_direction.is_hold();
                let _ = self.hold(hold);
            }
            Event::ReferReceived { refer_to, .. } => {
                let target = refer_to
                    .trim_start_matches('<')
                    .trim_start_matches("sip:")
                    .split(['@', '>', ';'])
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                if !self.context.queue_names.contains(&target) {
                    // A REFER may name a queue and nothing else: never a
                    // number for the hotline to dial out to.
                    warn!(call = %self.id, agent = %agent.agent, target, "the agent's phone asks for a transfer to something that is not a queue: refused");
                    let handle = agent.handle;
                    let _ =
                        self.context
                            .sip
                            .send(Command::NotifyRefer(handle, "603 Declined", true));
                    self.refuse_dial(target, "transfer", "not_a_queue");
                    return;
                }
                // RFC 3515: the phone hears at once that the transfer is
                // under way, and how it ended before its leg is hung up.
                let _ =
                    self.context
                        .sip
                        .send(Command::NotifyRefer(agent.handle, "100 Trying", false));
                self.refer_pending = true;
                info!(call = %self.id, agent = %agent.agent, target, "the agent's phone asks for a transfer");
                self.context.acd.send(AcdInput::TransferFromPhone {
                    call: self.id,
                    agent: agent.agent.clone(),
                    queue: target.as_str().into(),
                });
            }
            Event::CallEnded { by, reason, .. } => {
                let Some(agent) = self.agent.take() else {
                    return;
                };
                if let Some(bridge) = self.bridge.take() {
                    let _ = bridge.end();
                }
                self.held = false;
                let (name, answered) = (agent.agent.clone(), agent.answered);
                self.retire_agent_leg(agent);
                if answered {
                    debug!(call = %self.id, agent = %name, ?by, reason, "the agent hung up");
                    if self.queueing == Queueing::WithAgent {
                        self.agent_finished();
                    } else {
                        // Answered, but the ACD has not connected it yet.
                        self.context.acd.send(AcdInput::OfferFailed {
                            call: self.id,
                            agent: name,
                        });
                    }
                } else {
                    self.context.acd.send(AcdInput::OfferFailed {
                        call: self.id,
                        agent: name,
                    });
                }
            }
            _ => {}
        }
    }

    /// An event of a phone still ringing: its answer makes it the call's
    /// agent (the first one; a later one waits for the ACD's DropAgent),
    /// its end is a failed offer.
    fn ringing_sip(&mut self, at: usize, event: Event) {
        match event {
            Event::OutgoingAnswered { remote_media, .. } => {
                let mut leg = self.ringing.swap_remove(at);
                leg.answered = true;
                if let Some(media) = remote_media {
                    start_answered_leg(
                        &self.context,
                        &leg.leg,
                        &media,
                        leg.latch,
                        leg.offered.as_ref(),
                    );
                }
                self.context.acd.send(AcdInput::OfferAnswered {
                    call: self.id,
                    agent: leg.agent.clone(),
                });
                if self.agent.is_none() {
                    self.agent = Some(leg);
                } else {
                    self.ringing.push(leg);
                }
            }
            Event::CallEnded { .. } => {
                let leg = self.ringing.swap_remove(at);
                let agent = leg.agent.clone();
                self.retire_agent_leg(leg);
                self.context.acd.send(AcdInput::OfferFailed {
                    call: self.id,
                    agent,
                });
            }
            Event::OutgoingFailed { status, .. } => {
                debug!(call = %self.id, agent = %self.ringing[at].agent, status, "the agent's phone did not take the call");
            }
            _ => {}
        }
    }

    fn is_agent_event(&self, event: &Event) -> bool {
        let Some(handle) = crate::controller::call_of(event) else {
            return false;
        };
        self.agent.as_ref().is_some_and(|a| a.handle == handle)
            || self.ringing.iter().any(|r| r.handle == handle)
            || self.retired_agent_handles.contains(&handle)
    }
}

/// Places an outgoing SIP leg with a media leg of its own, through the
/// dispatcher so that its events come to `inputs` from the first one on.
///
/// A leg to a peer reached over TLS offers SRTP (SDES keys travel in the
/// SDP, so they are only safe on an encrypted signalling path): the key we
/// offered comes back with the leg, for [`start_answered_leg`].
pub(crate) async fn place_leg(
    context: &CallContext,
    inputs: &mpsc::UnboundedSender<CallInput>,
    target: String,
    peer: Peer,
    from_user: String,
) -> Result<(CallHandle, Leg, Option<SdesCrypto>), String> {
    let leg = context
        .media
        .allocate_leg()
        .map_err(|e| format!("no media port: {e}"))?;
    let mut offer = local_media(leg.local_addr(), None);
    if peer.transport == hotline_sip::Transport::Tls {
        offer.crypto = Some(SdesCrypto::offer(
            1,
            hotline_sip::sdp::CryptoSuite::AesCm128HmacSha1_80,
        ));
    }
    let offered = offer.crypto.clone();
    let outgoing = OutgoingCall {
        target,
        peer,
        from_user,
        from_display: None,
        local_media: offer,
    };
    let (reply, handle) = oneshot::channel();
    context
        .dispatcher
        .send(ControlCommand::Place {
            outgoing: Box::new(outgoing),
            call_task: inputs.clone(),
            reply,
        })
        .map_err(|_| "the dispatcher has stopped".to_owned())?;
    match handle.await {
        Ok(Some(handle)) => Ok((handle, leg, offered)),
        _ => Err("the SIP layer refused the call".into()),
    }
}

/// Holds (music to `citizen`, nothing relayed) or resumes a bridge; the
/// event to record on success.
pub(crate) fn hold_bridge(
    context: &CallContext,
    bridge: &Bridge,
    citizen: &Leg,
    on: bool,
) -> Result<CallEvent, String> {
    let result = if on {
        bridge.hold(citizen, context.music_on_hold.clone())
    } else {
        bridge.unhold(citizen)
    };
    result.map_err(|e| e.to_string())?;
    Ok(if on {
        CallEvent::HoldStarted
    } else {
        CallEvent::HoldEnded
    })
}

/// Starts a placed leg's media once the far end answered with its SDP.
pub(crate) fn start_answered_leg(
    context: &CallContext,
    leg: &Leg,
    media: &NegotiatedMedia,
    latch: LatchPolicy,
    offered: Option<&SdesCrypto>,
) {
    let mut params = LegParams::new(
        media.remote_rtp,
        media_codec(media.codec),
        media.telephone_event_pt,
    );
    params.latch = latch;
    params.dead_media_after = Some(context.dead_media_after);
    match hotline_sip::sdp::answered_crypto(offered, media) {
        Ok(theirs) => params.srtp = offered.zip(theirs).and_then(|(o, t)| srtp_params_of(o, t)),
        // An answer that does not match our offer (plain RTP to our SRTP
        // line, another line): its media cannot be decrypted; say so (the
        // call itself is the controller's to end).
        Err(e) => {
            warn!(error = %e, "the far end's answer does not match our SRTP offer: its media is not encrypted")
        }
    }
    if let Err(e) = leg.start(params) {
        warn!(error = %e, "a placed leg's media did not start");
    }
}

/// The store's lifecycle names, as the shipped prompts say them.
fn spoken_status(status: &str) -> &'static str {
    match status {
        "in_progress" => "in_progress",
        "resolved" => "resolved",
        "closed" => "closed",
        "accepted" | "dispatched" | "reopened" => "open",
        _ => "unknown",
    }
}

fn spoken_department(department: &str) -> String {
    let name = department
        .trim()
        .to_ascii_lowercase()
        .replace([' ', '-'], "_");
    match name.as_str() {
        "housing" | "transport" | "social_security" | "environment" | "general" => name,
        _ => "other".into(),
    }
}

/// Runs one call from the INVITE to the end.
pub async fn run_call(
    context: Arc<CallContext>,
    incoming: Incoming,
    mut inputs: mpsc::UnboundedReceiver<CallInput>,
) {
    let call_id = CallId::new();
    let handle = incoming.handle;
    let emit = |event: CallEvent| {
        context
            .events
            .submit(CallEventRecord::new(call_id, now_ts(), event))
    };
    emit(CallEvent::CallStarted {
        caller: incoming.caller.clone(),
        called: incoming.called.clone(),
        sip_call_id: incoming.sip_call_id.clone(),
        node: context.node.clone(),
        linked_call: None,
    });
    debug!(%call_id, caller = incoming.caller, display = ?incoming.caller_display, source = %incoming.source.addr, "incoming call");
    let latch = context.latch_for(incoming.source.addr.ip());
    let script = match context.scripts.script(&context.script_name) {
        Ok(script) => script,
        Err(e) => {
            warn!(%call_id, error = %e, "no IVR script to answer with: rejecting with 503");
            let _ = context.sip.send(Command::Reject(handle, 503));
            emit(CallEvent::Ended {
                side: HangupSide::System,
                cause: "no_script".into(),
            });
            return;
        }
    };
    let leg = match context.media.allocate_leg() {
        Ok(leg) => leg,
        Err(e) => {
            warn!(%call_id, error = %e, "no media port: rejecting with 503");
            let _ = context.sip.send(Command::Reject(handle, 503));
            emit(CallEvent::Ended {
                side: HangupSide::System,
                cause: "no_rtp_port".into(),
            });
            return;
        }
    };
    let local = local_media(leg.local_addr(), incoming.remote_media.as_ref());
    let _ = context.sip.send(Command::Ring(handle));
    if !context.answer_after.is_zero() {
        // The caller hears ringing; they may give up (CANCEL) before we answer.
        let ring = tokio::time::sleep(context.answer_after);
        tokio::pin!(ring);
        loop {
            tokio::select! {
                _ = &mut ring => break,
                input = inputs.recv() => match input {
                    Some(CallInput::Sip(Event::CallEnded { reason, .. })) => {
                        emit(CallEvent::Ended { side: HangupSide::Caller, cause: reason.into() });
                        return;
                    }
                    Some(CallInput::Terminate) | None => {
                        let _ = context.sip.send(Command::Reject(handle, 503));
                        emit(CallEvent::Ended { side: HangupSide::System, cause: "shutdown".into() });
                        return;
                    }
                    Some(CallInput::Sip(_) | CallInput::Acd(_) | CallInput::TransferPlaced { .. }) => {}
                },
            }
        }
    }
    let _ = context.sip.send(Command::Answer(handle, local.clone()));

    let (answers_tx, mut answers) = mpsc::unbounded_channel();
    let mut call = Call {
        context: context.clone(),
        id: call_id,
        handle,
        caller: incoming.caller.clone(),
        leg,
        ivr: None,
        playbacks: HashMap::new(),
        recordings: HashMap::new(),
        lookups: answers_tx,
        hung_up_by_us: false,
        inputs: incoming.inputs.clone(),
        queueing: Queueing::No,
        queue: None,
        refer_pending: false,
        agent: None,
        ringing: Vec::new(),
        bridge: None,
        held: false,
        announcements: Vec::new(),
        ivr_path: Vec::new(),
        ivr_vars: Vec::new(),
        citizen_hint: None,
        goodbye_after_announcement: false,
        retired_agent_handles: Vec::new(),
        external: None,
        recording_call: false,
    };
    let mut remote_media = incoming.remote_media;
    let max_call = tokio::time::sleep(context.max_call);
    tokio::pin!(max_call);
    let ending = loop {
        let ivr_deadline = call.ivr.as_ref().and_then(Ivr::poll_timeout);
        let ivr_timer = async {
            match ivr_deadline {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            input = inputs.recv() => match input {
                Some(CallInput::Sip(event)) if call.is_agent_event(&event) => call.agent_sip(event),
                Some(CallInput::Sip(event)) if call.is_external_event(&event) => call.external_sip(event),
                Some(CallInput::TransferPlaced { name, placed }) => call.transfer_placed(name, placed),
                Some(CallInput::Acd(order)) => call.acd_order(order).await,
                Some(CallInput::Sip(Event::CallConfirmed { remote_media: late, .. })) => {
                    if late.is_some() {
                        remote_media = late;
                    }
                    call.emit(CallEvent::Answered);
                    if let Some(media) = &remote_media {
                        let mut params = LegParams::new(media.remote_rtp, media_codec(media.codec), media.telephone_event_pt);
                        params.dead_media_after = Some(context.dead_media_after);
                        params.latch = latch;
                        params.srtp = srtp_params(&local, media);
                        if let Err(e) = call.leg.start(params) {
                            warn!(%call_id, error = %e, "media leg did not start");
                        }
                    }
                    let info = CallInfo { caller: incoming.caller.clone(), called: incoming.called.clone(), answered_at: now_ts() };
                    let plan = context.dial_plan.clone();
                    let numbers = hotline_ivr::CallbackNumbers::new(move |n| plan.allows(n).is_ok());
                    call.ivr = Some(Ivr::new(script.clone(), info).with_callback_numbers(numbers));
                    call.feed(Instant::now(), Input::Start);
                }
                Some(CallInput::Sip(Event::InfoDtmf { digit, duration_ms, .. })) => {
                    // Through the leg, so barge-in and reporting are the same as for RTP keys.
                    let key = hotline_media::DtmfDigit { key: digit, duration: Duration::from_millis(u64::from(duration_ms)) };
                    let _ = call.leg.sip_info_dtmf(key);
                }
                Some(CallInput::Sip(Event::RemoteMediaChanged { media, .. })) => {
                    let hold = media.remote_direction.is_hold();
                    call.emit(if hold { CallEvent::HoldStarted } else { CallEvent::HoldEnded });
                    let mut params = LegParams::new(media.remote_rtp, media_codec(media.codec), media.telephone_event_pt);
                    // Silence is expected while held.
                    params.dead_media_after = (!hold).then_some(context.dead_media_after);
                    params.latch = latch;
                    params.srtp = srtp_params(&local, &media);
                    let _ = call.leg.start(params);
                    remote_media = Some(media);
                }
                Some(CallInput::Sip(Event::CallEnded { by, reason, .. })) => {
                    break match by {
                        EndedBy::Remote => Ending { side: HangupSide::Caller, cause: reason.into() },
                        EndedBy::Local => Ending { side: HangupSide::System, cause: reason.into() },
                    };
                }
                Some(CallInput::Terminate) => call.hang_up(),
                Some(CallInput::Sip(_)) => {}
                None => break Ending { side: HangupSide::System, cause: "shutdown".into() },
            },
            event = call.leg.next_event() => match event {
                Some(MediaEvent::Dtmf { key, .. }) if call.queueing == Queueing::Waiting => call.queue_key(key),
                Some(MediaEvent::Dtmf { key, .. }) => call.feed(Instant::now(), Input::Digit(key)),
                Some(MediaEvent::PlaybackFinished { id, .. }) => {
                    if let Some(ivr_id) = call.playbacks.remove(&id) {
                        call.feed(Instant::now(), Input::PromptFinished(ivr_id));
                    } else if let Some(at) = call.announcements.iter().position(|a| *a == id) {
                        call.announcements.remove(at);
                        if call.goodbye_after_announcement {
                            call.hang_up();
                        }
                    }
                }
                Some(MediaEvent::RecordingFinished { id, path, duration, .. }) => call.recording_finished(id, path, duration),
                Some(MediaEvent::RecordingFailed { id, path, reason }) => {
                    warn!(%call_id, path = %path.display(), reason, "recording failed");
                    call.recording_finished(id, PathBuf::new(), Duration::ZERO);
                }
                Some(MediaEvent::DeadMedia { silent_for }) => {
                    info!(%call_id, silent_s = silent_for.as_secs(), "no RTP from the caller: hanging up");
                    call.hang_up();
                }
                Some(_) => {}
                None => {}
            },
            Some(event) = async { match call.agent.as_mut() {
                Some(agent) => agent.leg.next_event().await,
                None => std::future::pending().await,
            } } => {
                if let MediaEvent::DeadMedia { silent_for } = event {
                    info!(%call_id, silent_s = silent_for.as_secs(), "no RTP from the agent's phone: hanging the agent up");
                    if call.agent.as_ref().is_some_and(|a| a.answered) {
                        call.drop_agent();
                        call.agent_finished();
                    }
                }
            }
            Some(input) = answers.recv() => call.feed(Instant::now(), input),
            _ = ivr_timer => call.feed(Instant::now(), Input::Timeout),
            _ = &mut max_call, if !call.hung_up_by_us => {
                info!(%call_id, "maximum call duration reached: hanging up");
                call.hang_up();
            }
        }
    };
    match call.queueing {
        // The caller hung up while waiting (or while a phone rang): an abandon.
        Queueing::Waiting => call.context.acd.send(AcdInput::Abandon { call: call_id }),
        Queueing::WithAgent => {
            call.drop_agent();
            call.context.acd.send(AcdInput::TalkEnded { call: call_id });
        }
        Queueing::No => {}
    }
    if call.agent.is_some() {
        call.drop_agent();
    }
    call.drop_ringing(None);
    if let Some(mut external) = call.external.take() {
        let _ = context.sip.send(Command::Hangup(external.handle));
        external.leg.close();
    }
    call.queueing = Queueing::No;
    if ending.side == HangupSide::Caller {
        // The IVR records where the caller left.
        call.feed(Instant::now(), Input::Hangup);
    }
    if let Ok(stats) = call.leg.stats().await {
        debug!(%call_id, ?stats, "caller leg figures");
        if stats.packets_expected > 0 {
            call.emit(stats.to_call_event("caller"));
        }
    }
    call.leg.close();
    call.emit(CallEvent::Ended {
        side: ending.side,
        cause: ending.cause,
    });
    context.acd.send(AcdInput::CallGone { call: call_id });
}

/// The SRTP setting of a leg whose SDP exchange carried SDES keys: ours
/// protects what we send, theirs what we receive. `None`: plain RTP.
pub(crate) fn srtp_params(
    local: &LocalMedia,
    remote: &NegotiatedMedia,
) -> Option<hotline_media::SrtpParams> {
    srtp_params_of(local.crypto.as_ref()?, remote.crypto.as_ref()?)
}

/// The SRTP setting from our line and theirs (the suite is theirs: an
/// answer repeats the offer's).
fn srtp_params_of(ours: &SdesCrypto, theirs: &SdesCrypto) -> Option<hotline_media::SrtpParams> {
    let suite = match theirs.suite {
        hotline_sip::sdp::CryptoSuite::AesCm128HmacSha1_80 => {
            hotline_media::SrtpSuite::AesCm128HmacSha1_80
        }
        hotline_sip::sdp::CryptoSuite::AesCm128HmacSha1_32 => {
            hotline_media::SrtpSuite::AesCm128HmacSha1_32
        }
    };
    Some(hotline_media::SrtpParams {
        suite,
        send: hotline_media::SrtpKey::new(*ours.key.as_bytes()),
        receive: hotline_media::SrtpKey::new(*theirs.key.as_bytes()),
    })
}

/// Our SDP: the answer to the caller's offer (RTP/SAVP with a key of ours
/// when they offered SDES, which the SIP layer's policy accepted), or an
/// offer of our own.
fn local_media(rtp: SocketAddr, remote: Option<&NegotiatedMedia>) -> LocalMedia {
    match remote {
        Some(remote) => LocalMedia {
            rtp,
            codecs: vec![remote.codec],
            telephone_event_pt: remote.telephone_event_pt,
            direction: remote.remote_direction.answer(),
            session_id: u64::from(rand::random::<u32>()),
            version: 1,
            crypto: remote
                .crypto
                .as_ref()
                .map(hotline_sip::sdp::SdesCrypto::answer_to),
        },
        None => LocalMedia {
            rtp,
            codecs: vec![hotline_sip::Codec::Pcmu, hotline_sip::Codec::Pcma],
            telephone_event_pt: Some(101),
            direction: Direction::SendRecv,
            session_id: u64::from(rand::random::<u32>()),
            version: 1,
            crypto: None,
        },
    }
}
