//! The driver of one incoming call: the I/O around the call core
//! (`hotline_call::call::Call`), on one tokio task per call.
//!
//! The core decides; this task carries out what it asks and feeds back what
//! happens. It owns the call's media legs (the citizen's, and those placed
//! to agents' phones or a configured destination), the media bridge, and
//! the mapping from the media engine's playback and recording ids to the
//! core's tags. It places legs off its own loop, their SIP events routed
//! to it from the first one on (the placed handle comes back as an input),
//! asks the store on tasks of
//! their own, and hands ACD requests, events and callback promises to the
//! ACD task, the event sink and the callback list.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant, SystemTime};

use hotline_call::call::{
    BridgeOp, Call, CallCore, Input, LegRef, MediaInput, MediaOp, Order, Output, PlaceRequest,
    PlacedLeg, Placement, PlayTag, RecordTag, Setup, ToAcd,
};
use hotline_call::desk;
use hotline_call::media::local_media;
use hotline_ivr::{LookupKey, LookupKind, LookupOutcome, LookupResponse};
use hotline_media::{Bridge, Leg, MediaEngine, MediaEvent, Monitor, PromptCache};
use hotline_orders::{Actor, CategoryCode, Channel, Command, Location, OrderRules};
use hotline_sip::sdp::SdesCrypto;
use hotline_sip::transport::{EventRoute, SipHandle};
use hotline_sip::{CallHandle, EndedBy, Event, NegotiatedMedia, OutgoingCall, Peer};
use hotline_store::{AuditContext, NewWorkOrder, Store};
use hotline_types::{CallEvent, CallEventRecord, CallId, Timestamp};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use crate::acd_task::{AcdHandle, AcdInput, AcdOrder};
use crate::controller::ControlCommand;
use crate::events::EventSink;
use crate::refusal;

/// What every call task shares.
#[derive(Debug)]
pub struct CallContext {
    /// The call core's configuration (a reload replaces it for the calls
    /// that start after it).
    pub core: crate::reload::Live<hotline_call::call::Config>,
    pub sip: SipHandle,
    pub events: EventSink,
    pub media: MediaEngine,
    pub prompts: Arc<PromptCache>,
    pub scripts: Arc<hotline_ivr::ScriptSet>,
    pub script_name: String,
    pub store: Store,
    pub acd: AcdHandle,
    /// The dispatcher: callback tasks are made known to it for shutdown.
    pub dispatcher: mpsc::UnboundedSender<ControlCommand>,
    /// Music on hold for queued and held callers (`prompts/music/hold.wav`).
    pub music_on_hold: Option<Arc<hotline_media::Prompt>>,
    /// The hotline's own number (From of the calls it places to citizens).
    pub hotline_number: String,
    /// The numbers callbacks may dial (toll-fraud protection).
    pub dial_plan: Arc<hotline_call::dialplan::DialPlan>,
    /// The store's list of promises to call back, and its scheduler.
    pub callback_list: crate::callback_list::CallbackList,
    /// The work orders' catalogue and calendar (voice messages become
    /// orders), as the last reload left them.
    pub orders: crate::reload::Live<OrderRules>,
    /// The category of a voice message whose voicemail node names none.
    pub voice_message_category: CategoryCode,
    /// Text-to-speech for the free text a script speaks.
    pub speech: Arc<crate::speech::Speech>,
    /// Agents' browsers as their phones (legs to `webrtc:<agent>`).
    pub softphone: crate::softphone::Softphone,
}

/// What a call task is told.
#[derive(Debug)]
pub enum CallInput {
    Sip(Event),
    /// An order of the ACD task (the call is queued or with an agent).
    Acd(AcdOrder),
    /// Shutdown drain expired: end the call now.
    Terminate,
    /// Text this task asked to be spoken, ready (`None`: it cannot be).
    Spoken {
        at: LegRef,
        tag: PlayTag,
        speech: Option<Arc<hotline_media::Prompt>>,
    },
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

/// A media leg the driver holds, and whether its event stream still runs.
struct HeldLeg {
    leg: Leg,
    events_open: bool,
}

/// The call's I/O.
struct Driver {
    context: Arc<CallContext>,
    /// The call whose events these are.
    id: CallId,
    /// The call the ACD knows (a callback's: the call it was asked on).
    acd_call: CallId,
    /// This task's own input channel (given to the ACD and the dispatcher).
    inputs: mpsc::UnboundedSender<CallInput>,
    caller: Option<HeldLeg>,
    placed: HashMap<PlacedLeg, HeldLeg>,
    bridge: Option<Bridge>,
    /// A supervisor mixed into the bridge.
    monitor: Option<Monitor>,
    playbacks: HashMap<(LegRef, hotline_media::PlaybackId), PlayTag>,
    /// Texts being synthesised for a leg, to be played when ready unless
    /// the leg's playback was stopped meanwhile.
    speaking: HashSet<(LegRef, PlayTag)>,
    recordings: HashMap<hotline_media::RecordingId, RecordTag>,
    /// Answers from the store arrive here.
    answers: mpsc::UnboundedSender<hotline_ivr::Input>,
    /// Results of what the core asked, fed back once its outputs are done.
    feedback: Vec<Input>,
}

/// Runs one call from the INVITE to the end.
pub async fn run_call(
    context: Arc<CallContext>,
    incoming: Incoming,
    inputs: mpsc::UnboundedReceiver<CallInput>,
) {
    let id = CallId::new();
    let mut caller_leg = None;
    let setup = match context.scripts.script(&context.script_name) {
        Err(e) => {
            warn!(call = %id, error = %e, "no IVR script");
            Setup::NoScript
        }
        Ok(script) => match context.media.allocate_leg() {
            Err(e) => {
                warn!(call = %id, error = %e, "no media port");
                Setup::NoMediaPort
            }
            Ok(leg) => {
                let local = local_media(
                    leg.local_addr(),
                    incoming.remote_media.as_ref(),
                    u64::from(rand::random::<u32>()),
                );
                caller_leg = Some(leg);
                Setup::Ready { script, local }
            }
        },
    };
    let handle = incoming.handle;
    let call = Call::new(
        context.core.get(),
        id,
        hotline_call::call::Incoming {
            handle,
            caller: incoming.caller,
            caller_display: incoming.caller_display,
            called: incoming.called,
            sip_call_id: incoming.sip_call_id,
            source: incoming.source,
            remote_media: incoming.remote_media,
        },
        setup,
        Instant::now(),
    );
    let end_of_sip = Event::CallEnded {
        call: handle,
        by: EndedBy::Local,
        reason: "shutdown",
    };
    drive(
        context,
        call,
        id,
        caller_leg,
        (incoming.inputs, inputs),
        Input::Sip(end_of_sip),
    )
    .await;
}

/// Runs a call core to its end: carries out its outputs, feeds it what
/// happens. `caller` is the citizen's media leg of an incoming call;
/// `gone` is what the core is told if its input channel closes. The core
/// is handed back, over, for what it came to.
pub(crate) async fn drive<C: CallCore>(
    context: Arc<CallContext>,
    mut call: C,
    id: CallId,
    caller: Option<Leg>,
    (inputs_tx, mut inputs): (
        mpsc::UnboundedSender<CallInput>,
        mpsc::UnboundedReceiver<CallInput>,
    ),
    gone: Input,
) -> C {
    let (answers_tx, mut answers) = mpsc::unbounded_channel();
    let mut gone = Some(gone);
    let mut driver = Driver {
        acd_call: call.acd_call(),
        context,
        id,
        inputs: inputs_tx,
        caller: caller.map(|leg| HeldLeg {
            leg,
            events_open: true,
        }),
        placed: HashMap::new(),
        bridge: None,
        monitor: None,
        playbacks: HashMap::new(),
        speaking: HashSet::new(),
        recordings: HashMap::new(),
        answers: answers_tx,
        feedback: Vec::new(),
    };
    while driver.carry_out(&mut call).await {
        let deadline = call.poll_timeout();
        let timer = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        let input = tokio::select! {
            input = inputs.recv(), if gone.is_some() => match input {
                Some(CallInput::Sip(event)) => Input::Sip(event),
                Some(CallInput::Acd(order)) => match driver.acd_order(&mut call, order) {
                    Some(order) => Input::Acd(order),
                    None => continue,
                },
                Some(CallInput::Terminate) => Input::Terminate,
                Some(CallInput::Spoken { at, tag, speech }) => match driver.spoken(at, tag, speech) {
                    Some(media) => Input::Media(at, media),
                    None => continue,
                },
                // The dispatcher is gone with the SIP layer: the call is over.
                None => match gone.take() {
                    Some(gone) => gone,
                    None => continue,
                },
            },
            (leg, event) = driver.next_media_event() => match driver.media_input(leg, event) {
                Some(media) => Input::Media(leg, media),
                None => continue,
            },
            Some(answer) = answers.recv() => Input::Ivr(answer),
            _ = timer => {
                call.handle_timeout(Instant::now());
                continue;
            }
        };
        call.handle(Instant::now(), input);
    }
    call
}

impl Driver {
    /// Carries out the core's outputs and feeds back their results, until
    /// it has nothing more to say; `false` once the call is over.
    async fn carry_out<C: CallCore>(&mut self, call: &mut C) -> bool {
        loop {
            while let Some(output) = call.poll_output() {
                if !self.output(output).await {
                    return false;
                }
            }
            if self.feedback.is_empty() {
                return true;
            }
            for input in std::mem::take(&mut self.feedback) {
                call.handle(Instant::now(), input);
            }
        }
    }

    async fn output(&mut self, output: Output) -> bool {
        match output {
            Output::Sip(command) => {
                if !self.context.softphone.command(&command) {
                    let _ = self.context.sip.send(command);
                }
            }
            Output::Media(leg, op) => self.media_op(leg, op).await,
            Output::Bridge(op) => self.bridge_op(op),
            Output::Place(request) => self.place(request).await,
            Output::Acd(request) => self.tell_acd(request),
            Output::Lookup(request) => self.lookup(request),
            Output::VoiceMessage {
                id,
                caller,
                path,
                duration,
                category,
            } => self.voice_message(id, caller, path, duration, category),
            Output::Callback {
                number,
                queue,
                kind,
                language,
            } => self
                .context
                .callback_list
                .request(self.id, &number, queue, kind, &language),
            Output::Event(event) => self.emit(self.id, event),
            Output::EventOn(call, event) => self.emit(call, event),
            Output::CallbackOutcome(outcome) => {
                self.context.callback_list.outcome(self.acd_call, outcome)
            }
            Output::Done => return false,
        }
        true
    }

    fn emit(&self, call: CallId, event: CallEvent) {
        self.context
            .events
            .submit(CallEventRecord::new(call, now_ts(), event));
    }

    /// A text is synthesised: played on its leg, or, if it cannot be (no
    /// speech, the leg gone or its playback stopped meanwhile), over at once.
    fn spoken(
        &mut self,
        at: LegRef,
        tag: PlayTag,
        speech: Option<Arc<hotline_media::Prompt>>,
    ) -> Option<MediaInput> {
        let wanted = self.speaking.remove(&(at, tag));
        let played = match (speech, self.leg(at)) {
            (Some(speech), Some(leg)) if wanted => match leg.play(vec![speech], false) {
                Ok(id) => Some(id),
                Err(e) => {
                    warn!(call = %self.id, error = %e, "playback failed");
                    None
                }
            },
            _ => None,
        };
        let outcome = if played.is_some() {
            "played"
        } else {
            "skipped"
        };
        metrics::counter!("hotline_speech_total", "outcome" => outcome).increment(1);
        match played {
            Some(id) => {
                self.playbacks.insert((at, id), tag);
                None
            }
            None => Some(MediaInput::PlaybackFinished(tag)),
        }
    }

    fn leg(&self, leg: LegRef) -> Option<&Leg> {
        match leg {
            LegRef::Caller => self.caller.as_ref().map(|h| &h.leg),
            LegRef::Placed(placed) => self.placed.get(&placed).map(|h| &h.leg),
        }
    }

    async fn media_op(&mut self, at: LegRef, op: MediaOp) {
        match op {
            MediaOp::Close { report } => {
                self.close(at, report).await;
                return;
            }
            MediaOp::Speak {
                tag,
                text,
                language,
            } => {
                // Synthesis takes a while (tens of milliseconds, up to its
                // time limit): off this loop, back as an input, played then
                // if the leg is still there (see `spoken`).
                self.speaking.insert((at, tag));
                let speech = self.context.speech.clone();
                let inputs = self.inputs.clone();
                let call = self.id;
                tokio::spawn(async move {
                    let speech = match speech.speak(&language, &text).await {
                        Ok(speech) => Some(speech),
                        Err(e) => {
                            warn!(%call, error = format!("{e:#}"), "text cannot be spoken: skipped");
                            None
                        }
                    };
                    let _ = inputs.send(CallInput::Spoken { at, tag, speech });
                });
                return;
            }
            // A text still being synthesised is not played either.
            MediaOp::StopPlayback => self.speaking.retain(|(leg, _)| *leg != at),
            _ => {}
        }
        let Some(leg) = self.leg(at) else {
            // A leg that could not be allocated: what was asked of it fails.
            match op {
                MediaOp::Play { tag, .. } => self
                    .feedback
                    .push(Input::Media(at, MediaInput::PlaybackFinished(tag))),
                MediaOp::Record { tag, .. } => self.feedback.push(Input::Media(
                    at,
                    MediaInput::RecordingFinished {
                        tag,
                        path: PathBuf::new(),
                        duration: Duration::ZERO,
                    },
                )),
                _ => {}
            }
            return;
        };
        match op {
            MediaOp::Start(params) => {
                if let Err(e) = leg.start(params) {
                    warn!(call = %self.id, ?at, error = %e, "media leg did not start");
                }
            }
            MediaOp::Play {
                tag,
                files,
                barge_in,
            } => {
                let prompts: Vec<_> = files
                    .iter()
                    .filter_map(|path| match self.context.prompts.get(path) {
                        Ok(prompt) => Some(prompt),
                        Err(e) => {
                            warn!(call = %self.id, prompt = %path.display(), error = %e, "prompt cannot be played");
                            None
                        }
                    })
                    .collect();
                let played = if prompts.is_empty() {
                    None
                } else {
                    match leg.play(prompts, barge_in) {
                        Ok(id) => Some(id),
                        Err(e) => {
                            warn!(call = %self.id, error = %e, "playback failed");
                            None
                        }
                    }
                };
                match played {
                    Some(id) => {
                        self.playbacks.insert((at, id), tag);
                    }
                    None => self
                        .feedback
                        .push(Input::Media(at, MediaInput::PlaybackFinished(tag))),
                }
            }
            MediaOp::StopPlayback => {
                let _ = leg.stop_playback();
            }
            MediaOp::StartMusic => {
                if let Some(music) = &self.context.music_on_hold {
                    let _ = leg.start_music(music.clone());
                }
            }
            MediaOp::StopMusic => {
                let _ = leg.stop_music();
            }
            MediaOp::Record { tag, options } => match leg.record(options) {
                Ok(id) => {
                    self.recordings.insert(id, tag);
                    self.feedback
                        .push(Input::Media(at, MediaInput::RecordingStarted(tag)));
                }
                Err(e) => {
                    warn!(call = %self.id, error = %e, "cannot record");
                    self.feedback.push(Input::Media(
                        at,
                        MediaInput::RecordingFinished {
                            tag,
                            path: PathBuf::new(),
                            duration: Duration::ZERO,
                        },
                    ));
                }
            },
            MediaOp::InfoDtmf(digit) => {
                let _ = leg.sip_info_dtmf(digit);
            }
            // Carried out above, before the leg is looked up.
            MediaOp::Close { .. } | MediaOp::Speak { .. } => {}
        }
    }

    /// Closes a leg; with a report, its quality figures become a
    /// `media_quality` event first (inline for the caller's, whose `ended`
    /// follows; off the loop for a phone's).
    async fn close(&mut self, at: LegRef, report: Option<&'static str>) {
        let held = match at {
            LegRef::Caller => self.caller.take(),
            LegRef::Placed(placed) => self.placed.remove(&placed),
        };
        self.playbacks.retain(|(leg, _), _| *leg != at);
        let Some(HeldLeg { mut leg, .. }) = held else {
            return;
        };
        let Some(name) = report else {
            leg.close();
            return;
        };
        let (events, call) = (self.context.events.clone(), self.id);
        let figures = async move {
            if let Ok(stats) = leg.stats().await {
                if name == "caller" {
                    debug!(%call, ?stats, "caller leg figures");
                } else {
                    info!(
                        %call,
                        leg = name,
                        rtp_received = stats.counters.rtp_received,
                        rtp_sent = stats.counters.rtp_sent,
                        packets_lost = stats.packets_lost,
                        unexpected_source_dropped = stats.counters.unexpected_source_dropped,
                        srtp_auth_failed = stats.counters.srtp_auth_failed,
                        "{name} leg figures"
                    );
                }
                // A caller who never sent a packet has no figures worth a row.
                if name != "caller" || stats.packets_expected > 0 {
                    events.submit(CallEventRecord::new(
                        call,
                        now_ts(),
                        stats.to_call_event(name),
                    ));
                }
            }
            leg.close();
        };
        if at == LegRef::Caller {
            figures.await;
        } else {
            tokio::spawn(figures);
        }
    }

    fn bridge_op(&mut self, op: BridgeOp) {
        match op {
            BridgeOp::Connect(a, b) => {
                self.end_bridge();
                let bridged = match (self.leg(a), self.leg(b)) {
                    (Some(a), Some(b)) => {
                        self.context.media.bridge(a, b).map_err(|e| e.to_string())
                    }
                    _ => Err("a leg of the bridge is gone".into()),
                };
                match bridged {
                    Ok(bridge) => self.bridge = Some(bridge),
                    Err(e) => {
                        warn!(call = %self.id, error = e, "the media bridge failed");
                        self.feedback.push(Input::BridgeFailed);
                    }
                }
            }
            BridgeOp::Hold { citizen, on } => {
                let (Some(bridge), Some(citizen)) = (&self.bridge, self.leg(citizen)) else {
                    return;
                };
                let result = if on {
                    bridge.hold(citizen, self.context.music_on_hold.clone())
                } else {
                    bridge.unhold(citizen)
                };
                if let Err(e) = result {
                    warn!(call = %self.id, on, error = %e, "hold failed");
                }
            }
            BridgeOp::End => self.end_bridge(),
            BridgeOp::Monitor { supervisor, mode } => {
                let mixed = match (&self.bridge, self.leg(supervisor)) {
                    (Some(bridge), Some(leg)) => self
                        .context
                        .media
                        .monitor(bridge, leg, mode)
                        .map_err(|e| e.to_string()),
                    _ => Err("no bridge or no supervisor leg".into()),
                };
                match mixed {
                    Ok(monitor) => {
                        if let Some(old) = self.monitor.replace(monitor) {
                            let _ = old.end();
                        }
                    }
                    Err(e) => {
                        warn!(call = %self.id, error = e, "the supervisor could not be mixed in");
                        self.feedback.push(Input::MonitorFailed);
                    }
                }
            }
            BridgeOp::MonitorMode(mode) => {
                if let Some(Err(e)) = self.monitor.as_ref().map(|m| m.set_mode(mode)) {
                    warn!(call = %self.id, error = %e, "the monitoring mode could not change");
                }
            }
            BridgeOp::MonitorEnd => {
                if let Some(monitor) = self.monitor.take() {
                    let _ = monitor.end();
                }
            }
        }
    }

    /// Ends the bridge, a supervisor's mix first.
    fn end_bridge(&mut self) {
        if let Some(monitor) = self.monitor.take() {
            let _ = monitor.end();
        }
        if let Some(bridge) = self.bridge.take() {
            let _ = bridge.end();
        }
    }

    /// Places a leg: the media leg, then the INVITE. The SIP layer's reply
    /// (the handle) is awaited here, a round trip to the SIP task that holds
    /// up this call alone, so the core knows the handle before it can see
    /// any of the leg's events (they are routed to this task's channel).
    async fn place(&mut self, request: PlaceRequest) {
        let PlaceRequest {
            leg,
            target,
            peer,
            from_user,
        } = request;
        let media = match self.context.media.allocate_leg() {
            Ok(media) => media,
            Err(e) => {
                warn!(call = %self.id, error = %e, "no media port for a placed leg");
                self.feedback.push(Input::Placed { leg, placed: None });
                return;
            }
        };
        if let Some(agent) = crate::softphone::browser_agent(&target) {
            let rung = self.context.softphone.ring(
                &agent,
                self.id,
                &from_user,
                &media,
                self.inputs.clone(),
            );
            self.placed.insert(
                leg,
                HeldLeg {
                    leg: media,
                    events_open: true,
                },
            );
            let placed = match rung {
                Ok(handle) => Some(Placement {
                    handle,
                    offered: None,
                }),
                Err(e) => {
                    warn!(call = %self.id, %agent, error = e, "the agent's browser could not be rung");
                    None
                }
            };
            self.feedback.push(Input::Placed { leg, placed });
            return;
        }
        let (outgoing, offered) = outgoing_call(media.local_addr(), target, peer, from_user);
        self.placed.insert(
            leg,
            HeldLeg {
                leg: media,
                events_open: true,
            },
        );
        let handle = dispatch(&self.context.sip, &self.inputs, outgoing).await;
        if let Err(e) = &handle {
            warn!(call = %self.id, error = e, "a leg could not be placed");
        }
        let placed = handle.ok().map(|handle| Placement { handle, offered });
        self.feedback.push(Input::Placed { leg, placed });
    }

    fn tell_acd(&self, request: ToAcd) {
        let input = desk::Input::from_call(self.acd_call, request, self.acd_call != self.id);
        // The IVR queueing the caller: the ACD's orders come here.
        let route = matches!(input, desk::Input::Enqueue { .. }).then(|| self.inputs.clone());
        self.context.acd.send(AcdInput::Desk { input, route });
    }

    /// An ACD order as the core takes it; hold and the console's hang-up
    /// are answered at once.
    fn acd_order<C: CallCore>(&mut self, call: &mut C, order: AcdOrder) -> Option<Order> {
        Some(match order {
            AcdOrder::Order(order) => order,
            AcdOrder::Hold { on, reply } => {
                let _ = reply.send(call.hold(on).map_err(refusal::of_call));
                return None;
            }
            AcdOrder::HangupAgent { reply } => {
                let _ = reply.send(call.hang_up_agent(Instant::now()).map_err(refusal::of_call));
                return None;
            }
            AcdOrder::Monitor {
                supervisor,
                binding,
                mode,
                reply,
            } => {
                let _ = reply.send(
                    call.monitor(&supervisor, &binding, mode)
                        .map_err(refusal::of_call),
                );
                return None;
            }
            AcdOrder::EndMonitor { supervisor, reply } => {
                let _ = reply.send(call.end_monitor(&supervisor).map_err(refusal::of_call));
                return None;
            }
        })
    }

    /// The next event of any of the call's media legs.
    async fn next_media_event(&mut self) -> (LegRef, Option<MediaEvent>) {
        std::future::poll_fn(|cx| {
            let legs = self
                .caller
                .iter_mut()
                .map(|h| (LegRef::Caller, h))
                .chain(self.placed.iter_mut().map(|(l, h)| (LegRef::Placed(*l), h)));
            for (at, held) in legs {
                if !held.events_open {
                    continue;
                }
                if let Poll::Ready(event) = held.leg.poll_event(cx) {
                    if event.is_none() {
                        held.events_open = false;
                    }
                    return Poll::Ready((at, event));
                }
            }
            Poll::Pending
        })
        .await
    }

    /// A media event as the core takes it (by its tags).
    fn media_input(&mut self, at: LegRef, event: Option<MediaEvent>) -> Option<MediaInput> {
        match event? {
            MediaEvent::Dtmf { key, .. } => Some(MediaInput::Dtmf(key)),
            MediaEvent::PlaybackFinished { id, .. } => self
                .playbacks
                .remove(&(at, id))
                .map(MediaInput::PlaybackFinished),
            MediaEvent::RecordingFinished {
                id, path, duration, ..
            } => self
                .recordings
                .remove(&id)
                .map(|tag| MediaInput::RecordingFinished {
                    tag,
                    path,
                    duration,
                }),
            MediaEvent::RecordingFailed { id, path, reason } => {
                warn!(call = %self.id, path = %path.display(), reason, "recording failed");
                self.recordings
                    .remove(&id)
                    .map(|tag| MediaInput::RecordingFinished {
                        tag,
                        path: PathBuf::new(),
                        duration: Duration::ZERO,
                    })
            }
            MediaEvent::DeadMedia { silent_for } => Some(MediaInput::DeadMedia { silent_for }),
            _ => None,
        }
    }

    /// Asks the store on a task of its own; the answer comes back as input.
    fn lookup(&self, request: hotline_ivr::LookupRequest) {
        let store = self.context.store.clone();
        let answers = self.answers.clone();
        let call = self.id;
        tokio::spawn(async move {
            let outcome = lookup(&store, call, &request).await;
            let _ = answers.send(hotline_ivr::Input::LookupResult(LookupResponse {
                id: request.id,
                outcome,
            }));
        });
    }

    /// A voice message becomes a work order (taken down by the IVR) whose
    /// number the IVR reads back: of the voicemail node's category and
    /// dispatched at once to its department, or, when the node names none,
    /// of the configured voice-message category, waiting at the hotline for
    /// someone to listen and dispatch it.
    fn voice_message(
        &self,
        id: hotline_ivr::RecordingId,
        caller: String,
        path: PathBuf,
        duration: Duration,
        category: Option<String>,
    ) {
        let context = self.context.clone();
        let answers = self.answers.clone();
        let call = self.id;
        tokio::spawn(async move {
            let store = &context.store;
            let audit = AuditContext::for_call("ivr", call, now_ts());
            let citizen = match store.citizen_by_phone(&audit, &caller).await {
                Ok(found) => found.first().map(|r| r.citizen.id),
                Err(_) => None,
            };
            let dispatch = category.is_some();
            let new = NewWorkOrder {
                call: Some(call),
                channel: Channel::VoiceMessage,
                category: category.map_or_else(
                    || context.voice_message_category.clone(),
                    CategoryCode::from,
                ),
                citizen,
                location: Location::unknown(),
                // No number in the text: the order's call holds it, where
                // an erasure or the retention job finds it.
                summary: format!(
                    "Voice message ({} s): {}",
                    duration.as_secs(),
                    path.file_name().map_or_else(
                        || path.display().to_string(),
                        |f| f.to_string_lossy().into_owned()
                    )
                ),
            };
            let orders = context.orders.get();
            let rules = orders.rules();
            let ivr = Actor::agent("ivr");
            let now = now_ts();
            let then = dispatch.then(|| (ivr.clone(), Command::Dispatch));
            let case_ref = match store
                .take_down_work_order(&audit, rules, now, &ivr, new, then)
                .await
            {
                Ok(taken) => {
                    let reference = taken.order.order.reference().clone();
                    if let Some(e) = &taken.then_refused {
                        warn!(%call, %reference, error = %e, "a voice message's order waits at the hotline: it could not be dispatched");
                    }
                    Some(reference)
                }
                Err(e) => {
                    warn!(%call, error = %e, "the voice message is kept but no work order could be opened");
                    None
                }
            };
            let recording = hotline_ivr::Recording {
                id,
                file: path.display().to_string(),
                duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
                case_ref,
            };
            let _ = answers.send(hotline_ivr::Input::RecordingFinished(recording));
        });
    }
}

/// The store's answer to an IVR lookup.
async fn lookup(
    store: &Store,
    call: CallId,
    request: &hotline_ivr::LookupRequest,
) -> LookupOutcome {
    let audit = AuditContext::for_call("ivr", call, now_ts());
    match (&request.kind, &request.key) {
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
                        // Always set (empty: no reply yet), so a second
                        // reference checked on the call never hears the
                        // first one's reply.
                        ("case_reply".into(), info.reply.unwrap_or_default()),
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
        (_, LookupKey::ResidentId(id)) => match store.citizen_by_national_id(&audit, id).await {
            Ok(Some(found)) => LookupOutcome::Found {
                fields: vec![("citizen_id".into(), found.citizen.id.to_string())],
            },
            Ok(None) => LookupOutcome::NotFound,
            Err(e) => {
                warn!(%call, error = %e, "citizen lookup failed");
                LookupOutcome::Failed
            }
        },
        _ => LookupOutcome::NotFound,
    }
}

/// The INVITE of a leg we place from a media leg at `rtp`. A leg to a peer
/// reached over TLS offers SRTP (SDES keys travel in the SDP, so they are
/// only safe on an encrypted signalling path): the key we offered comes
/// back with it.
fn outgoing_call(
    rtp: SocketAddr,
    target: String,
    peer: Peer,
    from_user: String,
) -> (OutgoingCall, Option<SdesCrypto>) {
    let mut offer = local_media(rtp, None, u64::from(rand::random::<u32>()));
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
    (outgoing, offered)
}

/// Places an outgoing call; the SIP layer hands its events to `inputs`
/// from the first one on.
async fn dispatch(
    sip: &SipHandle,
    inputs: &mpsc::UnboundedSender<CallInput>,
    outgoing: OutgoingCall,
) -> Result<CallHandle, String> {
    let route = inputs.clone();
    sip.place(
        outgoing,
        EventRoute::new(move |event| {
            let _ = route.send(CallInput::Sip(event));
        }),
    )
    .await
    .map_err(|e| format!("the SIP layer refused the call: {e}"))
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

/// The department as its prompt's name part (`dept_{case_department}`):
/// any catalogue department's code, so a city that records `dept_parks`
/// has it said; the script's fallback ("another department") covers a
/// department without a recording. A name that could not be a prompt's is
/// "other".
fn spoken_department(department: &str) -> String {
    let name = department
        .trim()
        .to_ascii_lowercase()
        .replace([' ', '-'], "_");
    let usable = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if usable {
        name
    } else {
        "other".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spoken_names() {
        assert_eq!(spoken_status("dispatched"), "open");
        assert_eq!(spoken_status("weird"), "unknown");
        assert_eq!(spoken_department("Social Security"), "social_security");
        assert_eq!(spoken_department("water"), "water");
        assert_eq!(spoken_department("../zh/goodbye"), "other");
        assert_eq!(spoken_department("园林局"), "other");
    }

    #[test]
    fn a_leg_over_tls_offers_srtp() {
        let peer = Peer {
            transport: hotline_sip::Transport::Tls,
            addr: "127.0.0.1:5061".parse().unwrap(),
            connection: None,
        };
        let (outgoing, offered) = outgoing_call(
            "127.0.0.1:30000".parse().unwrap(),
            "sip:agent1@127.0.0.1".into(),
            peer,
            "13800138000".into(),
        );
        assert!(offered.is_some());
        assert_eq!(outgoing.local_media.crypto, offered);
        debug!("ok");
    }
}
