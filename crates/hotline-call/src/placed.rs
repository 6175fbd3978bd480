//! What the calls the hotline places share ([`crate::outbound`]'s
//! callbacks and [`crate::follow_up`]'s follow-up calls): a placed leg's
//! state, dialling a citizen through the trunk the dial plan allows, and a
//! script run on a placed leg (plays, say-values, keys).
//!
//! Must not decide what a call is for: each core handles the script's
//! actions that mean something to it (a queue, a survey's score, a hang-up).

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use hotline_ivr::{Action, CompiledScript, Ivr, PlaybackId};
use hotline_media::LatchPolicy;
use hotline_sip::sdp::SdesCrypto;
use hotline_sip::transport::Command;
use hotline_sip::{CallHandle, NegotiatedMedia};
use hotline_types::Timestamp;

use crate::call::{LegRef, MediaOp, Output, PlaceRequest, PlacedLeg, PlayTag};
use crate::media::{answered_leg_params, say_op};
use crate::outbound::Trunk;

/// A leg the hotline placed.
#[derive(Debug)]
pub(crate) struct Side {
    pub(crate) leg: PlacedLeg,
    /// `None` while the driver places it.
    pub(crate) handle: Option<CallHandle>,
    /// The agent's phone: by its registered address; the trunk: its SDP.
    pub(crate) latch: LatchPolicy,
    pub(crate) offered: Option<SdesCrypto>,
    pub(crate) answered: bool,
}

impl Side {
    pub(crate) fn new(leg: PlacedLeg, latch: LatchPolicy) -> Self {
        Self {
            leg,
            handle: None,
            latch,
            offered: None,
            answered: false,
        }
    }

    /// The leg answered: its media starts (if the answer had SDP).
    pub(crate) fn answer(
        &mut self,
        remote_media: Option<&NegotiatedMedia>,
        dead_media_after: Duration,
    ) -> Option<Output> {
        self.answered = true;
        let params = answered_leg_params(
            remote_media?,
            self.latch,
            self.offered.as_ref(),
            dead_media_after,
        );
        Some(Output::Media(
            LegRef::Placed(self.leg),
            MediaOp::Start(params),
        ))
    }

    /// Hangs the leg up and closes its media; a leg still being placed is
    /// returned, to be hung up once the driver says it was placed.
    pub(crate) fn hang_up(self, outputs: &mut VecDeque<Output>) -> Option<PlacedLeg> {
        let abandoned = match self.handle {
            Some(handle) => {
                outputs.push_back(Output::Sip(Command::Hangup(handle)));
                None
            }
            None => Some(self.leg),
        };
        outputs.push_back(Output::Media(
            LegRef::Placed(self.leg),
            MediaOp::Close { report: None },
        ));
        abandoned
    }
}

/// Why a citizen's number is not dialled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotDialled {
    /// The dial plan refuses it now (the reason is the plan's).
    Refused(&'static str),
    /// The trunk has no Request-URI for it.
    BadNumber,
}

impl Trunk {
    /// The INVITE of leg `leg` to `number`, if the dial plan allows it now.
    pub(crate) fn dial(&self, leg: PlacedLeg, number: &str) -> Result<PlaceRequest, NotDialled> {
        (self.permit)(number).map_err(NotDialled::Refused)?;
        let target = (self.target)(number).ok_or(NotDialled::BadNumber)?;
        Ok(PlaceRequest {
            leg,
            target,
            peer: self.peer,
            from_user: self.from.clone(),
        })
    }
}

/// An IVR script on a placed leg: the engine and its playbacks.
pub(crate) struct LegScript {
    ivr: Ivr,
    /// Playback tag → the IVR's playback id.
    playbacks: HashMap<PlayTag, PlaybackId>,
    next_tag: u64,
}

impl std::fmt::Debug for LegScript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegScript")
            .field("node", &self.ivr.current_node())
            .finish_non_exhaustive()
    }
}

impl LegScript {
    /// The script for the citizen at `number`, called from `hotline`, with
    /// these variables preset (`language`, `case_ref`, ...).
    pub(crate) fn new(
        script: Arc<CompiledScript>,
        number: &str,
        hotline: &str,
        vars: Vec<(String, String)>,
    ) -> Self {
        let info = hotline_ivr::CallInfo {
            caller: number.to_owned(),
            called: hotline.to_owned(),
            answered_at: Timestamp::from_system_time(SystemTime::now()),
        };
        Self {
            ivr: Ivr::new(script, info).with_vars(vars),
            playbacks: HashMap::new(),
            next_tag: 0,
        }
    }

    pub(crate) fn ivr(&self) -> &Ivr {
        &self.ivr
    }

    pub(crate) fn input(&mut self, now: Instant, input: hotline_ivr::Input) {
        self.ivr.handle_input(now, input);
    }

    /// A playback of ours ended: the script hears it.
    pub(crate) fn playback_finished(&mut self, now: Instant, tag: PlayTag) {
        if let Some(id) = self.playbacks.remove(&tag) {
            self.ivr
                .handle_input(now, hotline_ivr::Input::PromptFinished(id));
        }
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.ivr.poll_timeout()
    }

    /// The script's next action for the core to decide on. What needs no
    /// decision (plays and say-values on `leg`, stopping them, waiting for
    /// keys, store lookups) is carried out here, into `outputs`.
    pub(crate) fn next_action(
        &mut self,
        leg: PlacedLeg,
        prompts_root: &Path,
        outputs: &mut VecDeque<Output>,
    ) -> Option<Action> {
        loop {
            match self.ivr.poll_action()? {
                Action::Play {
                    id,
                    prompts,
                    barge_in,
                } => {
                    let files = prompts.iter().map(|p| p.path.to_path_buf()).collect();
                    let op = self.play(id, |tag| MediaOp::Play {
                        tag,
                        files,
                        barge_in,
                    });
                    outputs.push_back(Output::Media(LegRef::Placed(leg), op));
                }
                Action::Say {
                    id,
                    value,
                    language,
                } => {
                    let op = self.play(id, |tag| say_op(prompts_root, tag, value, language));
                    outputs.push_back(Output::Media(LegRef::Placed(leg), op));
                }
                Action::StopPlayback { .. } => {
                    outputs.push_back(Output::Media(LegRef::Placed(leg), MediaOp::StopPlayback))
                }
                Action::CollectDigits { .. } => {}
                Action::Lookup(request) => outputs.push_back(Output::Lookup(request)),
                // Placed calls are never recorded, so there is nothing to
                // honour here; the choice is in the call's events.
                Action::Consent { .. } => {}
                other => return Some(other),
            }
        }
    }

    /// The media order of a playback for the script, under a new tag.
    fn play(&mut self, id: PlaybackId, op: impl FnOnce(PlayTag) -> MediaOp) -> MediaOp {
        self.next_tag += 1;
        let tag = PlayTag(self.next_tag);
        self.playbacks.insert(tag, id);
        op(tag)
    }
}
