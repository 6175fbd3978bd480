//! One call, owned by one task: the SIP dialog, the media leg and the IVR
//! engine, driven together.
//!
//! The task is the only owner of the call's state. It answers the INVITE
//! with the media leg's address, runs the IVR script (pinned to the version
//! in force when the call arrived), turns the IVR's actions into media
//! commands, store lookups and SIP commands, and feeds back what happens:
//! keys (RFC 4733, in-band, SIP INFO: the media leg merges them), prompts
//! finished, lookup answers, recordings. Every step becomes a call event.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use hotline_ivr::{
    Action, CallInfo, Input, Ivr, LookupKey, LookupKind, LookupOutcome, LookupResponse,
    QueueOutcome, SayValue,
};
use hotline_media::{
    Leg, LegParams, MediaEngine, MediaEvent, PromptCache, RecordMode, RecordOptions,
};
use hotline_sip::transport::{Command, SipHandle};
use hotline_sip::{CallHandle, Direction, EndedBy, Event, LocalMedia, NegotiatedMedia, Peer};
use hotline_store::{AuditContext, NewCase, Store};
use hotline_types::{CallEvent, CallEventRecord, CallId, HangupSide, Timestamp};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

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
    pub latch: hotline_media::LatchPolicy,
    pub node: Option<String>,
}

/// What the dispatcher tells a call task.
#[derive(Debug)]
pub enum CallInput {
    Sip(Event),
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
}

impl Call {
    fn emit(&self, event: CallEvent) {
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
                Action::Enqueue { queue, .. } => {
                    // No ACD yet: a queue without agents takes the configured
                    // fallback at once (the script's overflow branch).
                    self.emit(CallEvent::Overflowed {
                        from: queue,
                        to: "ivr_fallback".into(),
                        reason: "no_agents_logged_in".into(),
                    });
                    let input = Input::QueueResult(QueueOutcome::Overflow {
                        reason: "no_agents".into(),
                    });
                    let _ = self.lookups.send(input);
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
                Action::RequestCallback { number, .. } => {
                    info!(call = %self.id, number, "callback requested");
                }
                Action::Transfer { destination } => {
                    warn!(call = %self.id, destination, "transfers to external destinations are not supported yet: ending the call");
                    self.hang_up();
                }
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
                    Some(CallInput::Sip(_)) => {}
                },
            }
        }
    }
    let _ = context.sip.send(Command::Answer(handle, local));

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
                Some(CallInput::Sip(Event::CallConfirmed { remote_media: late, .. })) => {
                    if late.is_some() {
                        remote_media = late;
                    }
                    call.emit(CallEvent::Answered);
                    if let Some(media) = &remote_media {
                        let mut params = LegParams::new(media.remote_rtp, media_codec(media.codec), media.telephone_event_pt);
                        params.dead_media_after = Some(context.dead_media_after);
                        params.latch = context.latch;
                        if let Err(e) = call.leg.start(params) {
                            warn!(%call_id, error = %e, "media leg did not start");
                        }
                    }
                    let info = CallInfo { caller: incoming.caller.clone(), called: incoming.called.clone(), answered_at: now_ts() };
                    call.ivr = Some(Ivr::new(script.clone(), info));
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
                    params.latch = context.latch;
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
                Some(MediaEvent::Dtmf { key, .. }) => call.feed(Instant::now(), Input::Digit(key)),
                Some(MediaEvent::PlaybackFinished { id, .. }) => {
                    if let Some(ivr_id) = call.playbacks.remove(&id) {
                        call.feed(Instant::now(), Input::PromptFinished(ivr_id));
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
            Some(input) = answers.recv() => call.feed(Instant::now(), input),
            _ = ivr_timer => call.feed(Instant::now(), Input::Timeout),
            _ = &mut max_call, if !call.hung_up_by_us => {
                info!(%call_id, "maximum call duration reached: hanging up");
                call.hang_up();
            }
        }
    };
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
}

/// Our SDP: the answer to the caller's offer, or an offer of our own.
fn local_media(rtp: SocketAddr, remote: Option<&NegotiatedMedia>) -> LocalMedia {
    match remote {
        Some(remote) => LocalMedia {
            rtp,
            codecs: vec![remote.codec],
            telephone_event_pt: remote.telephone_event_pt,
            direction: remote.remote_direction.answer(),
            session_id: u64::from(rand::random::<u32>()),
            version: 1,
        },
        None => LocalMedia {
            rtp,
            codecs: vec![hotline_sip::Codec::Pcmu, hotline_sip::Codec::Pcma],
            telephone_event_pt: Some(101),
            direction: Direction::SendRecv,
            session_id: u64::from(rand::random::<u32>()),
            version: 1,
        },
    }
}
