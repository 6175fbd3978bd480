//! Waiting for an agent: music, position announcements, the caller's keys
//! (1: call me back and keep my place; 2: leave a message instead), and
//! leaving the queue for the IVR's overflow branch.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use hotline_ivr::{Input, QueueOutcome};
use tracing::{debug, info};

use super::{Call, LegRef, MediaOp, Output, Phase, PlayTag, ToAcd};
use crate::media::say_language;

impl Call {
    /// "You are number N in the queue. The estimated waiting time is about
    /// M minutes. To keep your place and be called back, press 1."
    pub(super) fn announce(&mut self, position: u32, estimated_wait: Option<Duration>) {
        if self.phase != Phase::Waiting || self.agent.is_some() || !self.ringing.is_empty() {
            return;
        }
        let lang = say_language(&self.language());
        let say = |n: i64| -> Vec<PathBuf> {
            match hotline_media::say::say_number(lang, n) {
                Ok(pieces) => pieces
                    .iter()
                    .map(|p| hotline_media::say::piece_path(&self.config.prompts_root, lang, p))
                    .collect(),
                Err(e) => {
                    debug!(error = %e, "announcement piece missing");
                    Vec::new()
                }
            }
        };
        let mut files = vec![self.prompt_file("queue_position_before")];
        files.extend(say(i64::from(position)));
        files.push(self.prompt_file("queue_position_after"));
        if let Some(wait) = estimated_wait {
            let minutes = i64::try_from(wait.as_secs().div_ceil(60).max(1)).unwrap_or(1);
            files.push(self.prompt_file("queue_wait_before"));
            files.extend(say(minutes));
            files.push(self.prompt_file("queue_wait_after"));
        }
        if self.offers_callback() {
            files.push(self.prompt_file("queue_keys"));
        }
        files.push(self.prompt_file("queue_key_message"));
        self.announcement(files, true);
    }

    fn announcement(&mut self, files: Vec<PathBuf>, barge_in: bool) {
        let tag = PlayTag(self.tag());
        self.announcements.push(tag);
        self.media(
            LegRef::Caller,
            MediaOp::Play {
                tag,
                files,
                barge_in,
            },
        );
    }

    /// Whether a waiting caller may ask to be called back: a trunk is
    /// configured and their number is one the dial plan lets us call.
    fn offers_callback(&self) -> bool {
        self.config.callbacks
            && !self.caller.is_empty()
            && (self.config.dial_plan)(&self.caller).is_ok()
    }

    /// A key while waiting: 1 asks for a callback keeping the caller's
    /// place, 2 leaves the queue to record a message (the IVR's overflow
    /// branch, told "voicemail").
    pub(super) fn queue_key(&mut self, key: char) {
        if key == '2' && self.agent.is_none() {
            info!(call = %self.id, "the caller leaves the queue to leave a message");
            self.tell_acd(ToAcd::Leave);
            return;
        }
        if key != '1'
            || !self.config.callbacks
            || self.caller.is_empty()
            || self.agent.is_some()
            || !self.ringing.is_empty()
        {
            return;
        }
        if let Err(refusal) = (self.config.dial_plan)(&self.caller) {
            // Never offered to this caller; a key pressed anyway changes nothing.
            let caller = self.caller.clone();
            self.refuse_dial(caller, "callback", refusal);
            return;
        }
        info!(call = %self.id, "the caller asks to be called back, keeping their place");
        self.tell_acd(ToAcd::RequestCallback {
            number: self.caller.clone(),
        });
        if let Some(queue) = self.queue.clone() {
            let language = self.language();
            self.outputs.push_back(Output::Callback {
                number: self.caller.clone(),
                queue,
                kind: hotline_store::CallbackKind::InQueue,
                language,
            });
        }
        // The ACD keeps the entry without a caller on the line: this call
        // says goodbye and is no longer waiting.
        self.phase = Phase::Goodbye;
        self.media(LegRef::Caller, MediaOp::StopMusic);
        self.media(LegRef::Caller, MediaOp::StopPlayback);
        self.announcements.clear();
        let file = self.prompt_file("callback_keeps_place");
        self.announcement(vec![file], false);
    }

    /// The call stops waiting (overflow): music off, any ringing phone cancelled.
    pub(super) fn leave_queue(&mut self) {
        self.phase = Phase::Ivr;
        self.media(LegRef::Caller, MediaOp::StopMusic);
        if !self.announcements.is_empty() {
            self.media(LegRef::Caller, MediaOp::StopPlayback);
            self.announcements.clear();
        }
        if self.agent.as_ref().is_some_and(|a| !a.answered) {
            self.drop_agent();
        }
        self.drop_ringing(None);
    }

    /// The ACD sends the call back to the IVR, which branches on why.
    pub(super) fn overflow(&mut self, now: Instant, to: hotline_acd::Overflow, reason: &str) {
        debug!(call = %self.id, ?to, reason, "the ACD sends the call back to the IVR");
        self.leave_queue();
        let reason = match to {
            hotline_acd::Overflow::Voicemail => "voicemail",
            hotline_acd::Overflow::Callback => "callback",
            hotline_acd::Overflow::Fallback | hotline_acd::Overflow::Queue(_) => "fallback",
        };
        self.feed(
            now,
            Input::QueueResult(QueueOutcome::Overflow {
                reason: reason.into(),
            }),
        );
    }
}
