//! The follow-up call (回访) of a closed work order, as a sans-IO state
//! machine: the hotline dials the reporter through the trunk the dial plan
//! allows, and when they answer the follow-up script
//! (`ivr_scripts/follow_up.toml`) says who is calling and about which
//! request (its reference, said with the say-values), that the department
//! replied, and asks how satisfied they are (a `[[survey]]` node, keys 1-5).
//! What the call came to ([`Outcome`]: the score, or why there is none) is
//! the attempt's result; the binary records it on the order.
//!
//! It speaks the same [`Input`]/[`Output`] as the other call cores, so the
//! one driver runs it ([`CallCore`]); its only leg is a placed leg, with the
//! call's limits (`max_call`, dead media). No agent, queue or console takes
//! part: the console's requests are refused.
//!
//! Must not touch: the order (the driver records the outcome), the clock.

use hotline_types::pii::Masked;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use hotline_ivr::{Action, CompiledScript};
use hotline_media::{DtmfDigit, LatchPolicy, MonitorMode};
use hotline_sip::registrar::Binding;
use hotline_sip::Event;
use hotline_types::{CallEvent, CallId, CaseRef, HangupSide};
use tracing::{info, warn};

use crate::call::{
    CallCore, Config, Input, LegRef, MediaInput, MediaOp, Output, PlacedLeg, Placement, Refusal,
};
use crate::outbound::Trunk;
use crate::placed::{LegScript, NotDialled, Side};

/// What a follow-up call came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The citizen answered the survey: 1 (very unsatisfied) to 5.
    Scored(u8),
    /// Nobody answered (busy, rejected, no answer).
    NoAnswer,
    /// The citizen answered but gave no score (hung up, stayed silent,
    /// their line went dead, the call reached its maximum length).
    NoScore,
    /// The dial plan refuses the number, or the trunk cannot dial it: not
    /// dialled.
    Refused,
    /// The leg could not be placed.
    Failed,
    /// The hotline stopped during the call: not an attempt.
    Interrupted,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Scored(_) => "scored",
            Outcome::NoAnswer => "no_answer",
            Outcome::NoScore => "no_score",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
            Outcome::Interrupted => "interrupted",
        }
    }
}

/// Whom to call and about what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpRequest {
    pub number: String,
    /// The reference the reporter knows (their own request's number).
    pub case_ref: CaseRef,
    /// The citizen's language, if known; else the script's default.
    pub language: Option<String>,
    /// The department's latest reply (答复), read out to the citizen.
    pub reply: Option<String>,
}

/// Where the follow-up call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUpPhase {
    /// The citizen's phone rings.
    Dialling,
    /// The citizen answered and hears the follow-up script.
    Asking,
    Over,
}

/// One follow-up call.
pub struct FollowUp {
    config: Arc<Config>,
    id: CallId,
    request: FollowUpRequest,
    script: Arc<CompiledScript>,
    hotline: String,
    phase: FollowUpPhase,
    citizen: Option<Side>,
    /// The leg given up before the driver said it was placed.
    abandoned: Option<PlacedLeg>,
    ivr: Option<LegScript>,
    score: Option<u8>,
    outcome: Option<Outcome>,
    max_call_at: Instant,
    outputs: VecDeque<Output>,
}

impl std::fmt::Debug for FollowUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FollowUp")
            .field("id", &self.id)
            .field("case_ref", &self.request.case_ref)
            .field("phase", &self.phase)
            .finish_non_exhaustive()
    }
}

/// The citizen's leg: the only one.
const CITIZEN_LEG: PlacedLeg = PlacedLeg(1);

impl FollowUp {
    /// A follow-up call `id` with `script`: `call_started` and
    /// `case_linked`, then the citizen is dialled (`dialled`) if the dial
    /// plan allows the number now; otherwise it is over at once
    /// (`dial_refused`, [`Outcome::Refused`]).
    pub fn new(
        config: Arc<Config>,
        trunk: &Trunk,
        script: Arc<CompiledScript>,
        id: CallId,
        request: FollowUpRequest,
        now: Instant,
    ) -> Self {
        let mut call = FollowUp {
            max_call_at: now + config.max_call,
            config,
            id,
            script,
            hotline: trunk.from.clone(),
            phase: FollowUpPhase::Dialling,
            citizen: None,
            abandoned: None,
            ivr: None,
            score: None,
            outcome: None,
            outputs: VecDeque::new(),
            request,
        };
        call.emit(CallEvent::CallStarted {
            caller: call.hotline.clone(),
            called: call.request.number.clone(),
            sip_call_id: String::new(),
            node: call.config.node.clone(),
            linked_call: None,
        });
        call.emit(CallEvent::CaseLinked {
            case_ref: call.request.case_ref.clone(),
        });
        let number = call.request.number.clone();
        match trunk.dial(CITIZEN_LEG, &number) {
            Ok(place) => {
                info!(call = %id, case = %call.request.case_ref, "follow-up: dialling the reporter");
                call.outputs.push_back(Output::Place(place));
                call.emit(CallEvent::Dialled {
                    number,
                    purpose: "follow_up".into(),
                });
                call.citizen = Some(Side::new(CITIZEN_LEG, LatchPolicy::SdpAddress));
            }
            Err(NotDialled::Refused(reason)) => {
                warn!(call = %id, number = %Masked(&number), reason, "follow-up: the dial plan refuses the number");
                call.emit(CallEvent::DialRefused {
                    number,
                    purpose: "follow_up".into(),
                    reason: reason.into(),
                });
                call.end(HangupSide::System, "follow_up_refused");
            }
            Err(NotDialled::BadNumber) => {
                warn!(call = %id, number = %Masked(&number), "follow-up: the number cannot be dialled");
                call.end(HangupSide::System, "follow_up_bad_number");
            }
        }
        call
    }

    pub fn phase(&self) -> FollowUpPhase {
        self.phase
    }

    /// What the call came to, once it is over.
    pub fn outcome(&self) -> Option<Outcome> {
        self.outcome
    }

    fn emit(&mut self, event: CallEvent) {
        self.outputs.push_back(Output::Event(event));
    }

    fn outcome_of(&self, cause: &str) -> Outcome {
        let answered = self.citizen.as_ref().is_some_and(|s| s.answered)
            || self.phase == FollowUpPhase::Asking;
        match (self.score, cause) {
            (Some(score), _) => Outcome::Scored(score),
            (None, "shutdown") => Outcome::Interrupted,
            (None, "follow_up_refused" | "follow_up_bad_number") => Outcome::Refused,
            (None, _) if answered => Outcome::NoScore,
            // Rang until the trunk or the call's limit gave up.
            (None, "follow_up_no_answer" | "max_duration") => Outcome::NoAnswer,
            (None, _) => Outcome::Failed,
        }
    }

    /// The call ends: the leg hung up, the outcome kept.
    fn end(&mut self, side: HangupSide, cause: &str) {
        if self.phase == FollowUpPhase::Over {
            return;
        }
        let outcome = self.outcome_of(cause);
        if let Some(citizen) = self.citizen.take() {
            self.abandoned = citizen.hang_up(&mut self.outputs);
        }
        info!(call = %self.id, case = %self.request.case_ref, outcome = outcome.as_str(), "follow-up call over");
        self.emit(CallEvent::Ended {
            side,
            cause: cause.to_owned(),
        });
        self.outcome = Some(outcome);
        self.phase = FollowUpPhase::Over;
        self.outputs.push_back(Output::Done);
    }

    fn placed(&mut self, leg: PlacedLeg, placed: Option<Placement>) {
        if self.abandoned == Some(leg) {
            self.abandoned = None;
            if let Some(placement) = placed {
                self.outputs
                    .push_back(Output::Sip(hotline_sip::transport::Command::Hangup(
                        placement.handle,
                    )));
            }
            return;
        }
        let Some(citizen) = self.citizen.as_mut().filter(|s| s.leg == leg) else {
            return;
        };
        match placed {
            Some(placement) => {
                citizen.handle = Some(placement.handle);
                citizen.offered = placement.offered;
            }
            None => {
                warn!(call = %self.id, "follow-up: the citizen's leg could not be placed");
                self.end(HangupSide::System, "follow_up_failed");
            }
        }
    }

    fn sip(&mut self, now: Instant, event: Event) {
        let Some(handle) = event.call() else {
            return;
        };
        let Some(citizen) = self.citizen.as_mut().filter(|s| s.handle == Some(handle)) else {
            return;
        };
        match event {
            Event::OutgoingAnswered { remote_media, .. } => {
                let start = citizen.answer(remote_media.as_ref(), self.config.dead_media_after);
                self.outputs.extend(start);
                self.emit(CallEvent::Answered);
                self.ask(now);
            }
            Event::CallEnded { reason, .. } => {
                let answered = citizen.answered;
                let leg = citizen.leg;
                self.citizen = None;
                self.outputs.push_back(Output::Media(
                    LegRef::Placed(leg),
                    MediaOp::Close { report: None },
                ));
                if answered {
                    self.feed(now, hotline_ivr::Input::Hangup);
                    self.end(HangupSide::Caller, reason);
                } else {
                    info!(call = %self.id, reason, "follow-up: the citizen did not answer");
                    self.end(HangupSide::System, "follow_up_no_answer");
                }
            }
            // Keys sent by SIP INFO go through the leg, like RTP keys.
            Event::InfoDtmf {
                digit, duration_ms, ..
            } => {
                let key = DtmfDigit {
                    key: digit,
                    duration: std::time::Duration::from_millis(u64::from(duration_ms)),
                };
                self.outputs.push_back(Output::Media(
                    LegRef::Placed(citizen.leg),
                    MediaOp::InfoDtmf(key),
                ));
            }
            _ => {}
        }
    }

    /// The citizen answered: the follow-up script starts, with the request's
    /// reference, the department's reply (`case_reply`, empty if none) and
    /// the citizen's language (if known) preset.
    fn ask(&mut self, now: Instant) {
        let mut vars = vec![
            (
                "case_ref".to_owned(),
                self.request.case_ref.digits().to_owned(),
            ),
            (
                "case_reply".to_owned(),
                self.request.reply.clone().unwrap_or_default(),
            ),
        ];
        if let Some(language) = &self.request.language {
            vars.push(("language".to_owned(), language.clone()));
        }
        self.ivr = Some(LegScript::new(
            self.script.clone(),
            &self.request.number,
            &self.hotline,
            vars,
        ));
        self.phase = FollowUpPhase::Asking;
        self.feed(now, hotline_ivr::Input::Start);
    }

    fn media(&mut self, now: Instant, leg: PlacedLeg, media: MediaInput) {
        if self.citizen.as_ref().is_none_or(|s| s.leg != leg) {
            return;
        }
        match media {
            MediaInput::PlaybackFinished(tag) => {
                if let Some(ivr) = self.ivr.as_mut() {
                    ivr.playback_finished(now, tag);
                    self.run_actions(now);
                }
            }
            MediaInput::Dtmf(key) => self.feed(now, hotline_ivr::Input::Digit(key)),
            MediaInput::DeadMedia { silent_for } => {
                info!(call = %self.id, silent_s = silent_for.as_secs(), "follow-up: no RTP from the citizen: hanging up");
                self.end(HangupSide::System, "dead_media");
            }
            MediaInput::RecordingStarted(_) | MediaInput::RecordingFinished { .. } => {}
        }
    }

    fn feed(&mut self, now: Instant, input: hotline_ivr::Input) {
        if let Some(ivr) = self.ivr.as_mut() {
            ivr.input(now, input);
            self.run_actions(now);
        }
    }

    /// Carries out the script's actions on the citizen's leg; the survey's
    /// answer is the score.
    fn run_actions(&mut self, _now: Instant) {
        loop {
            if self.phase == FollowUpPhase::Over {
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
                Action::Emit(event) => {
                    if let CallEvent::SurveyAnswered { score } = event {
                        info!(call = %self.id, case = %self.request.case_ref, score, "follow-up: the citizen rated the handling");
                        self.score = Some(score);
                    }
                    self.emit(event);
                }
                Action::Hangup { reason } => self.end(HangupSide::System, &reason),
                action => {
                    warn!(call = %self.id, ?action, "follow-up: the script asks for what a follow-up call cannot do: hanging up");
                    self.end(HangupSide::System, "follow_up_script_unsupported");
                }
            }
        }
    }
}

impl CallCore for FollowUp {
    fn handle(&mut self, now: Instant, input: Input) {
        if self.phase == FollowUpPhase::Over {
            // A leg placed after the end is still hung up.
            if let Input::Placed { leg, placed } = input {
                self.placed(leg, placed);
            }
            return;
        }
        match input {
            Input::Sip(event) => self.sip(now, event),
            Input::Media(LegRef::Placed(leg), media) => self.media(now, leg, media),
            Input::Ivr(input) => self.feed(now, input),
            Input::Placed { leg, placed } => self.placed(leg, placed),
            Input::Terminate => self.end(HangupSide::System, "shutdown"),
            // No caller leg, no agent, no bridge, no supervisor.
            Input::Media(LegRef::Caller, _)
            | Input::Acd(_)
            | Input::BridgeFailed
            | Input::MonitorFailed => {}
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
        if self.phase != FollowUpPhase::Over && now >= self.max_call_at {
            info!(call = %self.id, "follow-up: maximum call duration reached: hanging up");
            self.end(HangupSide::System, "max_duration");
        }
    }

    fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if self.phase == FollowUpPhase::Over {
            return None;
        }
        let ivr = self.ivr.as_ref().and_then(LegScript::poll_timeout);
        Some(ivr.map_or(self.max_call_at, |at| at.min(self.max_call_at)))
    }

    fn hold(&mut self, _: bool) -> Result<(), Refusal> {
        Err(Refusal::NotConnected)
    }

    fn hang_up_agent(&mut self, _: Instant) -> Result<(), Refusal> {
        Err(Refusal::NoAgentLeg)
    }

    fn monitor(&mut self, _: &str, _: &Binding, _: MonitorMode) -> Result<(), Refusal> {
        Err(Refusal::NotSupported)
    }

    fn end_monitor(&mut self, _: &str) -> Result<(), Refusal> {
        Err(Refusal::NotMonitored)
    }

    fn acd_call(&self) -> CallId {
        self.id
    }
}
