//! The IVR's actions carried out: prompts and said values to play, keys to
//! collect, lookups and voice messages for the store, the queue, callbacks,
//! the caller's consents (a declined recording), transfers and the IVR's
//! own hang-up.

use hotline_types::pii::Masked;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use hotline_acd::EnqueueRequest;
use hotline_ivr::{Action, Input};
use hotline_media::{RecordMode, RecordOptions};
use hotline_types::{ConsentPurpose, QueueId};
use tracing::{debug, info, warn};

use super::{Call, LegRef, MediaOp, Output, Phase, PlayTag, RecordTag, ToAcd, WaitingCall};
use crate::media::say_op;

impl Call {
    /// Gives the IVR an input and carries out what it asks.
    pub(super) fn feed(&mut self, now: Instant, input: Input) {
        if let Some(ivr) = self.ivr.as_mut() {
            ivr.handle_input(now, input);
        }
        self.run_actions();
    }

    fn run_actions(&mut self) {
        loop {
            let Some(action) = self.ivr.as_mut().and_then(hotline_ivr::Ivr::poll_action) else {
                return;
            };
            match action {
                Action::Emit(event) => self.emit(event),
                Action::Play {
                    id,
                    prompts,
                    barge_in,
                } => {
                    let files = prompts.iter().map(|p| p.path.to_path_buf()).collect();
                    self.play_for_ivr(id, |tag| MediaOp::Play {
                        tag,
                        files,
                        barge_in,
                    });
                }
                Action::Say {
                    id,
                    value,
                    language,
                } => {
                    let config = self.config.clone();
                    self.play_for_ivr(id, |tag| say_op(&config.prompts_root, tag, value, language));
                }
                Action::StopPlayback { .. } => self.media(LegRef::Caller, MediaOp::StopPlayback),
                Action::CollectDigits { .. } => {}
                Action::Lookup(request) => self.outputs.push_back(Output::Lookup(request)),
                Action::Enqueue {
                    queue,
                    priority,
                    skills,
                } => self.enqueue(queue, priority, skills),
                Action::Record {
                    id,
                    max_ms,
                    finish_on_key,
                    beep: _,
                    category,
                } => {
                    let tag = RecordTag(self.tag());
                    let path = self
                        .config
                        .recordings_dir
                        .join(format!("{}-{}.wav", self.id, id.0));
                    let options = RecordOptions {
                        path,
                        mode: RecordMode::CallerOnly,
                        max_duration: Some(Duration::from_millis(max_ms)),
                        stop_keys: finish_on_key.map(String::from).unwrap_or_default(),
                        stop_after_silence: Some(Duration::from_secs(5)),
                    };
                    self.recordings.insert(tag, (id, category));
                    self.media(LegRef::Caller, MediaOp::Record { tag, options });
                }
                Action::RequestCallback { number, queue } => {
                    // The IVR asked the dial plan already (with_callback_numbers).
                    info!(call = %self.id, number = %Masked(&number), "callback requested: on the callback list");
                    let queue = queue.unwrap_or_else(|| QueueId::from("general"));
                    let language = self.language();
                    self.outputs.push_back(Output::Callback {
                        number,
                        queue,
                        kind: hotline_store::CallbackKind::AfterHours,
                        language,
                    });
                }
                Action::Consent { purpose, granted } => self.consent(purpose, granted),
                Action::Transfer { destination } => self.start_transfer(destination),
                Action::Hangup { reason } => {
                    debug!(call = %self.id, reason, "the IVR hangs up");
                    self.hang_up();
                }
            }
        }
    }

    /// The caller's choice at a consent notice, honoured for the rest of
    /// the call (the IVR has emitted its `consent_recorded` event). Only
    /// the recording is the call's to honour; later contact by phone, SMS
    /// or e-mail is the citizen record's, which the store derives from the
    /// event. A later agreement does not undo a decline: the notice is
    /// played once per call, and the safe reading of two answers is no.
    fn consent(&mut self, purpose: ConsentPurpose, granted: bool) {
        info!(call = %self.id, %purpose, granted, "the caller's choice at the consent notice");
        if purpose == ConsentPurpose::Recording && !granted {
            self.recording_declined = true;
        }
    }

    /// Plays or speaks for the IVR on the citizen's leg, under a new tag.
    fn play_for_ivr(&mut self, id: hotline_ivr::PlaybackId, op: impl FnOnce(PlayTag) -> MediaOp) {
        let tag = PlayTag(self.tag());
        self.playbacks.insert(tag, id);
        self.media(LegRef::Caller, op(tag));
    }

    fn enqueue(&mut self, queue: QueueId, priority: u8, skills: Vec<String>) {
        self.phase = Phase::Waiting;
        self.queue = Some(queue.clone());
        if self.config.music_on_hold {
            self.media(LegRef::Caller, MediaOp::StartMusic);
        }
        let info = WaitingCall {
            caller: self.caller.clone(),
            ivr_path: self.ivr_path.clone(),
            ivr_vars: self.ivr_vars.clone(),
            citizen_hint: self.citizen_hint,
        };
        self.tell_acd(ToAcd::Enqueue {
            request: EnqueueRequest {
                queue,
                priority,
                skills,
            },
            info,
        });
    }

    /// A recording ended: a voice message becomes a case whose number the
    /// IVR reads back (the store's answer comes back as input).
    pub(super) fn recording_finished(
        &mut self,
        now: Instant,
        tag: RecordTag,
        path: PathBuf,
        duration: Duration,
    ) {
        if self.conversation.as_ref().is_some_and(|(t, _)| *t == tag) {
            warn!(call = %self.id, "the conversation cannot be recorded");
            self.conversation = None;
            return;
        }
        let Some((id, category)) = self.recordings.remove(&tag) else {
            return;
        };
        if path.as_os_str().is_empty() {
            warn!(call = %self.id, "cannot record the message");
            let recording = hotline_ivr::Recording {
                id,
                file: String::new(),
                duration_ms: 0,
                case_ref: None,
            };
            self.feed(now, Input::RecordingFinished(recording));
            return;
        }
        self.outputs.push_back(Output::VoiceMessage {
            id,
            caller: self.caller.clone(),
            path,
            duration,
            category,
        });
    }
}
