//! `[[voicemail]]`: plays its prompts, then records the caller after a
//! beep until `#`, hang-up or `max_ms`; the controller opens the case and
//! reports the recording with its reference. Too short (or no report in
//! time) goes on at `empty`.

use std::time::{Duration, Instant};

use hotline_types::CallEvent;

use crate::script::{NodeIndex, NodeKind, PromptFile};

use super::{Action, Ivr, Phase, Recording, RecordingId, Then, Timer};

/// How long after a recording's maximum length the IVR stops waiting for
/// the media engine's report.
const RECORDING_GRACE: Duration = Duration::from_secs(10);

impl Ivr {
    pub(super) fn enter_voicemail(
        &mut self,
        now: Instant,
        index: NodeIndex,
        prompts: &[Vec<PromptFile>],
    ) -> Option<NodeIndex> {
        let lang = self.language;
        let files: Vec<PromptFile> = prompts
            .iter()
            .filter_map(|p| p.get(lang).cloned())
            .collect();
        if files.is_empty() {
            self.start_recording(now, index);
        } else {
            self.play(files, false, Then::Record(index));
        }
        None
    }

    pub(super) fn start_recording(&mut self, now: Instant, node: NodeIndex) {
        let NodeKind::Voicemail {
            max_ms,
            ref category,
            ..
        } = self.script.nodes[node].kind
        else {
            return;
        };
        let category = category.clone();
        let id = RecordingId(self.new_id());
        self.actions.push_back(Action::Record {
            id,
            max_ms,
            finish_on_key: Some('#'),
            beep: true,
            category,
        });
        self.phase = Phase::Recording { node, id };
        let grace = u64::try_from(RECORDING_GRACE.as_millis()).unwrap_or(u64::MAX);
        self.set_deadline(now, max_ms.saturating_add(grace), Timer::Recording);
    }

    pub(super) fn on_recording(&mut self, now: Instant, r: Recording) {
        let Phase::Recording { node, id } = self.phase else {
            return;
        };
        if id != r.id {
            return;
        }
        let NodeKind::Voicemail {
            min_ms,
            next,
            empty,
            ..
        } = self.script.nodes[node].kind
        else {
            return;
        };
        if r.duration_ms < min_ms {
            self.go(now, empty);
            return;
        }
        self.emit(CallEvent::VoicemailRecorded {
            recording: r.file,
            duration_ms: r.duration_ms,
            case_ref: r.case_ref.clone(),
        });
        if let Some(case_ref) = r.case_ref {
            self.emit(CallEvent::CaseLinked {
                case_ref: case_ref.clone(),
            });
            let digits = case_ref.digits().to_owned();
            self.set_var("case_ref", digits.clone(), digits);
        }
        self.go(now, next);
    }

    /// The media engine never reported the recording: nothing was left.
    pub(super) fn recording_timed_out(&mut self, now: Instant, node: NodeIndex) {
        if let NodeKind::Voicemail { empty, .. } = self.script.nodes[node].kind {
            self.go(now, empty);
        }
    }
}
