//! Calls the hotline places: a callback, as a sans-IO state machine.
//!
//! A citizen who asked to be called back keeps their place (in the queue,
//! or on the callback list). When their turn comes the ACD offers the entry
//! like a call, under the original call's id, and a [`Callback`] takes the
//! call's place: it rings the agent first (the screen-pop says it is a
//! callback), and only when the ACD has connected the agent does it dial
//! the citizen through the outbound trunk, so no citizen is called back
//! without a person on the line. When the citizen answers they hear the
//! callback script (`ivr_scripts/callback.toml`: who is calling, and why),
//! then its `[[queue]]` node bridges them to the agent who is waiting on
//! the line, and when the agent hangs up the script goes on (the survey);
//! with no script the two legs are bridged at once. The callback is a call
//! of its own in the call log, linked to the original one; the agent's answer, talk and wrap-up belong to the original call,
//! as the ACD decided them. What the attempt came to ([`Outcome`]) goes to
//! the callback list.
//!
//! It speaks the same [`Input`]/[`Output`] as [`crate::call::Call`], so one
//! driver runs both ([`CallCore`]); both its legs are placed legs.

use hotline_types::pii::Masked;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use hotline_ivr::{Action, CompiledScript, QueueOutcome};
use hotline_media::{DtmfDigit, LatchPolicy, MonitorMode};
use hotline_sip::registrar::Binding;
use hotline_sip::transport::Command;
use hotline_sip::{Event, Peer};
use hotline_types::{AgentId, CallEvent, CallId, HangupSide};
use tracing::{info, warn};

use crate::call::{
    BridgeOp, CallCore, Config, Input, LegRef, MediaInput, MediaOp, NumberCheck, Order, Output,
    PlaceRequest, PlacedLeg, Placement, Refusal, ToAcd,
};
use crate::callbacks::Outcome;
use crate::placed::{LegScript, NotDialled, Side};

/// The trunk's Request-URI for a number, if it can be dialled.
pub type TargetUri = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// How callbacks reach citizens.
pub struct Trunk {
    /// Where the trunk is.
    pub peer: Peer,
    /// The Request-URI for a number (`None`: the number cannot be dialled).
    pub target: TargetUri,
    /// The dial plan's permission to call a number now (it counts the
    /// day's calls to each number): `Err(reason)` if not.
    pub permit: NumberCheck,
    /// The hotline's own number: the From of its calls.
    pub from: String,
}

impl std::fmt::Debug for Trunk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trunk")
            .field("peer", &self.peer)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// Where the callback is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackPhase {
    /// Waiting for the ACD to ring an agent, or the agent's phone rings.
    RingingAgent,
    /// The agent is on the line; the citizen's phone rings.
    DiallingCitizen,
    /// The citizen answered and hears the callback script (who is calling);
    /// the agent waits on the line until its `[[queue]]` node.
    Greeting,
    /// Citizen and agent talk; `held`: the citizen hears music.
    Talking {
        held: bool,
    },
    /// The agent has hung up; the citizen is still in the script (the
    /// survey).
    AfterAgent,
    Over,
}

/// One callback's state.
pub struct Callback {
    config: Arc<Config>,
    trunk: Arc<Trunk>,
    /// The call the citizen asked on; the ACD knows the callback by it.
    original: CallId,
    /// The callback's own call.
    id: CallId,
    number: String,
    phase: CallbackPhase,
    agent: Option<(AgentId, Side)>,
    citizen: Option<Side>,
    /// The citizen picked up (the promise is kept).
    citizen_answered: bool,
    bridged: bool,
    /// The ACD was told the agent's talk is over (the agent wraps up).
    talk_ended: bool,
    /// The script reached its `[[queue]]` node with no agent on the line.
    agent_lost: bool,
    /// The script the citizen hears (`callback.toml`), in their language;
    /// `None`: bridged as soon as they answer.
    script: Option<(Arc<CompiledScript>, Option<String>)>,
    ivr: Option<LegScript>,
    max_call_at: Instant,
    /// Legs given up before the driver said they were placed.
    abandoned: Vec<PlacedLeg>,
    next_leg: u32,
    outputs: VecDeque<Output>,
}

impl std::fmt::Debug for Callback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callback")
            .field("original", &self.original)
            .field("id", &self.id)
            .field("phase", &self.phase)
            .finish_non_exhaustive()
    }
}

impl Callback {
    /// A callback of `original` to `number`: `callback_placed` on the
    /// original call, `call_started` on the new one (`id`).
    pub fn new(
        config: Arc<Config>,
        trunk: Arc<Trunk>,
        original: CallId,
        id: CallId,
        number: String,
        now: Instant,
    ) -> Self {
        let mut callback = Callback {
            max_call_at: now + config.max_call,
            config,
            original,
            id,
            number,
            phase: CallbackPhase::RingingAgent,
            agent: None,
            citizen: None,
            citizen_answered: false,
            bridged: false,
            talk_ended: false,
            agent_lost: false,
            script: None,
            ivr: None,
            abandoned: Vec::new(),
            next_leg: 0,
            outputs: VecDeque::new(),
            trunk,
        };
        callback.outputs.push_back(Output::EventOn(
            original,
            CallEvent::CallbackPlaced {
                number: callback.number.clone(),
                callback_call: id,
            },
        ));
        callback.emit(CallEvent::CallStarted {
            caller: callback.trunk.from.clone(),
            called: callback.number.clone(),
            sip_call_id: String::new(),
            node: callback.config.node.clone(),
            linked_call: Some(original),
        });
        callback
    }

    /// The citizen hears `script` (the callback script) when they answer,
    /// before the agent and after: in `language` (the one they chose in the
    /// IVR), or the script's default.
    #[must_use]
    pub fn with_script(mut self, script: Arc<CompiledScript>, language: Option<String>) -> Self {
        self.script = Some((script, language));
        self
    }

    pub fn phase(&self) -> CallbackPhase {
        self.phase
    }

    fn emit(&mut self, event: CallEvent) {
        self.outputs.push_back(Output::Event(event));
    }

    fn tell_acd(&mut self, request: ToAcd) {
        self.outputs.push_back(Output::Acd(request));
    }

    fn new_leg(&mut self) -> PlacedLeg {
        self.next_leg += 1;
        PlacedLeg(self.next_leg)
    }

    /// What the attempt came to: the citizen answered (and so talked with
    /// the agent who was already on the line), or why not.
    fn outcome(&self, cause: &str) -> Outcome {
        match cause {
            // The agent left while the citizen heard who was calling: we
            // did not keep it, so it is tried again.
            _ if self.agent_lost => Outcome::Failed,
            _ if self.citizen_answered => Outcome::Talked,
            "shutdown" => Outcome::Interrupted,
            "callback_refused" | "callback_bad_number" => Outcome::Refused,
            "callback_no_answer" => Outcome::NoAnswer,
            _ if self.citizen.is_none() && self.agent.is_none() => Outcome::Interrupted,
            _ => Outcome::Failed,
        }
    }

    /// The conversation is over: the agent goes to wrap-up.
    fn talk_over(&mut self, side: HangupSide, cause: &str) {
        self.agent_talk_ended();
        self.end(side, cause);
    }

    fn agent_talk_ended(&mut self) {
        if !self.talk_ended {
            self.talk_ended = true;
            self.tell_acd(ToAcd::TalkEnded);
        }
    }

    /// The callback ends: both legs hung up, the outcome to the list.
    fn end(&mut self, side: HangupSide, cause: &str) {
        if self.phase == CallbackPhase::Over {
            return;
        }
        let outcome = self.outcome(cause);
        if self.bridged {
            self.bridged = false;
            self.outputs.push_back(Output::Bridge(BridgeOp::End));
        }
        for side in [self.agent.take().map(|(_, s)| s), self.citizen.take()]
            .into_iter()
            .flatten()
        {
            self.abandoned.extend(side.hang_up(&mut self.outputs));
        }
        self.emit(CallEvent::Ended {
            side,
            cause: cause.to_owned(),
        });
        self.outputs.push_back(Output::CallbackOutcome(outcome));
        self.tell_acd(ToAcd::CallGone);
        self.phase = CallbackPhase::Over;
        self.outputs.push_back(Output::Done);
    }

    fn ring_agent(&mut self, agent: AgentId, binding: Binding) {
        if self.agent.is_some() || self.phase != CallbackPhase::RingingAgent {
            self.tell_acd(ToAcd::OfferFailed { agent });
            return;
        }
        let leg = self.new_leg();
        self.outputs.push_back(Output::Place(PlaceRequest {
            leg,
            target: binding.contact.clone(),
            peer: Peer {
                transport: binding.transport,
                addr: binding.source,
                connection: None,
            },
            from_user: self.number.clone(),
        }));
        info!(call = %self.original, %agent, "callback: ringing the agent first");
        let latch = self
            .config
            .latch
            .policy_for(binding.source.ip(), &self.config.trusted_sources);
        self.agent = Some((agent, Side::new(leg, latch)));
    }

    fn drop_agent(&mut self, agent: &AgentId) {
        if self.agent.as_ref().is_none_or(|(a, _)| a != agent) {
            return;
        }
        if let Some((_, side)) = self.agent.take() {
            self.abandoned.extend(side.hang_up(&mut self.outputs));
        }
    }

    /// The agent is on the line: now the citizen's phone rings.
    fn dial_citizen(&mut self) {
        if self.phase != CallbackPhase::RingingAgent
            || !self.agent.as_ref().is_some_and(|(_, s)| s.answered)
        {
            return;
        }
        let leg = self.new_leg();
        match self.trunk.dial(leg, &self.number) {
            Ok(request) => self.outputs.push_back(Output::Place(request)),
            Err(NotDialled::Refused(reason)) => {
                warn!(call = %self.original, number = %Masked(&self.number), reason, "callback: the dial plan refuses the number");
                self.emit(CallEvent::DialRefused {
                    number: self.number.clone(),
                    purpose: "callback".into(),
                    reason: reason.into(),
                });
                self.talk_over(HangupSide::System, "callback_refused");
                return;
            }
            Err(NotDialled::BadNumber) => {
                warn!(call = %self.original, number = %Masked(&self.number), "callback: the number cannot be dialled");
                self.talk_over(HangupSide::System, "callback_bad_number");
                return;
            }
        }
        info!(call = %self.original, callback = %self.id, "callback: dialling the citizen");
        self.emit(CallEvent::Dialled {
            number: self.number.clone(),
            purpose: "callback".into(),
        });
        self.citizen = Some(Side::new(leg, LatchPolicy::SdpAddress));
        self.phase = CallbackPhase::DiallingCitizen;
    }

    fn placed(&mut self, leg: PlacedLeg, placed: Option<Placement>) {
        if let Some(at) = self.abandoned.iter().position(|l| *l == leg) {
            self.abandoned.swap_remove(at);
            if let Some(placement) = placed {
                self.outputs
                    .push_back(Output::Sip(Command::Hangup(placement.handle)));
            }
            return;
        }
        let is_agent = self.agent.as_ref().is_some_and(|(_, s)| s.leg == leg);
        let is_citizen = self.citizen.as_ref().is_some_and(|s| s.leg == leg);
        match placed {
            Some(placement) => {
                let side = if is_agent {
                    self.agent.as_mut().map(|(_, s)| s)
                } else if is_citizen {
                    self.citizen.as_mut()
                } else {
                    None
                };
                if let Some(side) = side {
                    side.handle = Some(placement.handle);
                    side.offered = placement.offered;
                }
            }
            None if is_agent => {
                let Some((agent, side)) = self.agent.take() else {
                    return;
                };
                warn!(call = %self.original, %agent, "callback: the agent's leg could not be placed");
                self.outputs.push_back(Output::Media(
                    LegRef::Placed(side.leg),
                    MediaOp::Close { report: None },
                ));
                self.tell_acd(ToAcd::OfferFailed { agent });
            }
            None if is_citizen => {
                warn!(call = %self.original, "callback: the citizen's leg could not be placed");
                self.talk_over(HangupSide::System, "callback_failed");
            }
            None => {}
        }
    }

    fn sip(&mut self, now: Instant, event: Event) {
        let Some(handle) = event.call() else {
            return;
        };
        let is_agent = self
            .agent
            .as_ref()
            .is_some_and(|(_, s)| s.handle == Some(handle));
        let is_citizen = self
            .citizen
            .as_ref()
            .is_some_and(|s| s.handle == Some(handle));
        let dead_media_after = self.config.dead_media_after;
        match event {
            Event::OutgoingAnswered { remote_media, .. } if is_agent => {
                let Some((agent, side)) = self.agent.as_mut() else {
                    return;
                };
                let agent = agent.clone();
                self.outputs
                    .extend(side.answer(remote_media.as_ref(), dead_media_after));
                self.tell_acd(ToAcd::OfferAnswered { agent });
            }
            Event::OutgoingAnswered { remote_media, .. } if is_citizen => {
                self.emit(CallEvent::Answered);
                self.citizen_answered = true;
                let Some(citizen) = self.citizen.as_mut() else {
                    return;
                };
                self.outputs
                    .extend(citizen.answer(remote_media.as_ref(), dead_media_after));
                match self.script.clone() {
                    Some((script, language)) => self.greet(now, script, language),
                    None => {
                        self.connect();
                    }
                }
            }
            Event::CallEnded { .. } if is_agent => {
                let Some((agent, side)) = self.agent.take() else {
                    return;
                };
                self.outputs.push_back(Output::Media(
                    LegRef::Placed(side.leg),
                    MediaOp::Close { report: None },
                ));
                if side.answered {
                    self.agent_left(now, HangupSide::Agent, "bye");
                } else {
                    self.tell_acd(ToAcd::OfferFailed { agent });
                }
            }
            Event::CallEnded { reason, .. } if is_citizen => {
                let Some(side) = self.citizen.take() else {
                    return;
                };
                self.outputs.push_back(Output::Media(
                    LegRef::Placed(side.leg),
                    MediaOp::Close { report: None },
                ));
                if side.answered {
                    if let Some(ivr) = self.ivr.as_mut() {
                        ivr.input(now, hotline_ivr::Input::Hangup);
                        self.run_actions(now);
                    }
                    self.talk_over(HangupSide::Caller, reason);
                } else {
                    info!(call = %self.original, reason, "callback: the citizen did not answer");
                    self.talk_over(HangupSide::System, "callback_no_answer");
                }
            }
            // Keys the citizen's phone sends by SIP INFO go through their
            // leg, like RTP keys, and come back as `MediaInput::Dtmf`.
            Event::InfoDtmf {
                digit, duration_ms, ..
            } if is_citizen => {
                if let Some(leg) = self.citizen.as_ref().map(|s| s.leg) {
                    let key = DtmfDigit {
                        key: digit,
                        duration: std::time::Duration::from_millis(u64::from(duration_ms)),
                    };
                    self.outputs
                        .push_back(Output::Media(LegRef::Placed(leg), MediaOp::InfoDtmf(key)));
                }
            }
            _ => {}
        }
    }

    fn order(&mut self, order: Order) {
        match order {
            Order::RingAgent { agent, binding } => self.ring_agent(agent, binding),
            Order::CancelOffer { agent } | Order::DropAgent { agent } => {
                if self.phase == CallbackPhase::RingingAgent {
                    self.drop_agent(&agent);
                }
            }
            Order::Connect { .. } => self.dial_citizen(),
            // A transferred or overflowing callback: the citizen is called
            // by the next agent's own callback, not kept on a line here.
            Order::Requeued | Order::Overflow { .. } => {
                self.talk_over(HangupSide::Agent, "callback_transferred")
            }
            // Consulting from a callback is not offered: the ACD hears it
            // failed, and the conversation goes on.
            Order::Consult(_) => self.tell_acd(ToAcd::ConsultGone),
            Order::Announce { .. } | Order::TransferRefused | Order::ConsultEnded(_) => {}
        }
    }

    fn media(&mut self, now: Instant, leg: PlacedLeg, media: MediaInput) {
        let from_citizen = self.citizen.as_ref().is_some_and(|s| s.leg == leg);
        let silent_for = match media {
            MediaInput::DeadMedia { silent_for } => silent_for,
            MediaInput::PlaybackFinished(tag) if from_citizen => {
                if let Some(ivr) = self.ivr.as_mut() {
                    ivr.playback_finished(now, tag);
                    self.run_actions(now);
                }
                return;
            }
            MediaInput::Dtmf(key)
                if from_citizen && !matches!(self.phase, CallbackPhase::Talking { .. }) =>
            {
                self.feed(now, hotline_ivr::Input::Digit(key));
                return;
            }
            _ => return,
        };
        let (cause, whose) = if self.citizen.as_ref().is_some_and(|s| s.leg == leg) {
            ("dead_media", "the citizen")
        } else if self.agent.as_ref().is_some_and(|(_, s)| s.leg == leg) {
            ("agent_dead_media", "the agent's phone")
        } else {
            return;
        };
        info!(call = %self.original, silent_s = silent_for.as_secs(), "callback: no RTP from {whose}: hanging up");
        // The agent goes to wrap-up as after any conversation.
        self.talk_over(HangupSide::System, cause);
    }
}

/// The callback script on the citizen's leg.
impl Callback {
    /// The citizen answered: the script starts (who is calling).
    fn greet(&mut self, now: Instant, script: Arc<CompiledScript>, language: Option<String>) {
        let vars = language
            .map(|language| ("language".to_owned(), language))
            .into_iter()
            .collect();
        self.ivr = Some(LegScript::new(script, &self.number, &self.trunk.from, vars));
        self.phase = CallbackPhase::Greeting;
        self.feed(now, hotline_ivr::Input::Start);
    }

    /// Bridges the citizen to the agent on the line; `false` if either has
    /// gone.
    fn connect(&mut self) -> bool {
        let (Some(citizen), Some((_, agent))) = (self.citizen.as_ref(), self.agent.as_ref()) else {
            return false;
        };
        let (citizen, agent) = (citizen.leg, agent.leg);
        if let Some(ivr) = self.ivr.as_ref() {
            info!(call = %self.original, node = ivr.ivr().current_node().unwrap_or(""), "callback: the citizen is put through to the agent");
        }
        self.outputs.push_back(Output::Bridge(BridgeOp::Connect(
            LegRef::Placed(citizen),
            LegRef::Placed(agent),
        )));
        self.bridged = true;
        self.phase = CallbackPhase::Talking { held: false };
        true
    }

    /// The agent's leg has ended (or the console hung it up): with a
    /// script the citizen stays for what follows the agent (the survey);
    /// without one the callback is over.
    fn agent_left(&mut self, now: Instant, side: HangupSide, cause: &str) {
        if self.ivr.is_none() {
            self.talk_over(side, cause);
            return;
        }
        self.agent_talk_ended();
        match self.phase {
            CallbackPhase::Talking { .. } => {
                if std::mem::take(&mut self.bridged) {
                    self.outputs.push_back(Output::Bridge(BridgeOp::End));
                }
                self.phase = CallbackPhase::AfterAgent;
                self.feed(
                    now,
                    hotline_ivr::Input::QueueResult(QueueOutcome::AgentFinished),
                );
            }
            // Still greeting: the script's `[[queue]]` finds no agent.
            CallbackPhase::Greeting | CallbackPhase::AfterAgent => {}
            _ => self.talk_over(side, cause),
        }
    }

    fn feed(&mut self, now: Instant, input: hotline_ivr::Input) {
        if let Some(ivr) = self.ivr.as_mut() {
            ivr.input(now, input);
            self.run_actions(now);
        }
    }

    /// Carries out the script's actions on the citizen's leg.
    fn run_actions(&mut self, now: Instant) {
        loop {
            if self.phase == CallbackPhase::Over {
                return;
            }
            let Some(leg) = self.citizen.as_ref().map(|s| s.leg) else {
                return;
            };
            let prompts_root = &self.config.prompts_root;
            let Some(action) = self
                .ivr
                .as_mut()
                .and_then(|ivr| ivr.next_action(leg, prompts_root, &mut self.outputs))
            else {
                return;
            };
            match action {
                Action::Emit(event) => self.emit(event),
                Action::Enqueue { .. } => {
                    if !self.connect() {
                        self.agent_lost = true;
                        info!(call = %self.original, "callback: the agent left before the citizen was put through");
                        if let Some(ivr) = self.ivr.as_mut() {
                            ivr.input(
                                now,
                                hotline_ivr::Input::QueueResult(QueueOutcome::Overflow {
                                    reason: "agent_left".into(),
                                }),
                            );
                        }
                    }
                }
                Action::Hangup { reason } => self.talk_over(HangupSide::System, &reason),
                action => {
                    warn!(call = %self.original, ?action, "callback: the callback script asks for what a callback cannot do: hanging up");
                    self.talk_over(HangupSide::System, "callback_script_unsupported");
                }
            }
        }
    }
}

impl CallCore for Callback {
    fn handle(&mut self, now: Instant, input: Input) {
        if self.phase == CallbackPhase::Over {
            return;
        }
        match input {
            Input::Sip(event) => self.sip(now, event),
            Input::Media(LegRef::Placed(leg), media) => self.media(now, leg, media),
            Input::Ivr(input) => self.feed(now, input),
            Input::Media(LegRef::Caller, _) => {}
            Input::Placed { leg, placed } => self.placed(leg, placed),
            Input::Acd(order) => self.order(order),
            Input::BridgeFailed => {
                warn!(call = %self.original, "callback: the media bridge failed");
                self.bridged = false;
                self.talk_over(HangupSide::System, "bridge_failed");
            }
            Input::Terminate => self.end(HangupSide::System, "shutdown"),
            // Callbacks are not monitored.
            Input::MonitorFailed => {}
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self
            .ivr
            .as_ref()
            .and_then(LegScript::poll_timeout)
            .is_some_and(|at| at <= now)
        {
            self.feed(now, hotline_ivr::Input::Timeout);
        }
        if self.phase != CallbackPhase::Over && now >= self.max_call_at {
            info!(call = %self.original, "callback: maximum call duration reached: hanging up");
            self.talk_over(HangupSide::System, "max_duration");
        }
    }

    fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if self.phase == CallbackPhase::Over {
            return None;
        }
        let ivr = self.ivr.as_ref().and_then(LegScript::poll_timeout);
        Some(ivr.map_or(self.max_call_at, |at| at.min(self.max_call_at)))
    }

    fn hold(&mut self, on: bool) -> Result<(), Refusal> {
        let CallbackPhase::Talking { held } = self.phase else {
            return Err(Refusal::NotConnected);
        };
        let Some(citizen) = self.citizen.as_ref().map(|s| s.leg) else {
            return Err(Refusal::NotConnected);
        };
        if held != on {
            self.outputs.push_back(Output::Bridge(BridgeOp::Hold {
                citizen: LegRef::Placed(citizen),
                on,
            }));
            self.phase = CallbackPhase::Talking { held: on };
            self.emit(if on {
                CallEvent::HoldStarted
            } else {
                CallEvent::HoldEnded
            });
        }
        Ok(())
    }

    fn hang_up_agent(&mut self, now: Instant) -> Result<(), Refusal> {
        if let Some((_, side)) = self.agent.take() {
            self.abandoned.extend(side.hang_up(&mut self.outputs));
        }
        self.agent_left(now, HangupSide::Agent, "agent_hangup");
        Ok(())
    }

    // A callback's conversation is not joined by supervisors (yet).
    fn monitor(&mut self, _: &str, _: &Binding, _: MonitorMode) -> Result<(), Refusal> {
        Err(Refusal::NotSupported)
    }

    fn end_monitor(&mut self, _: &str) -> Result<(), Refusal> {
        Err(Refusal::NotMonitored)
    }

    fn acd_call(&self) -> CallId {
        self.original
    }
}
