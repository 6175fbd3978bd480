//! `[[consent]]`: plays a notice (e.g. "this call may be recorded; press 9
//! if you do not agree") and gives the caller `timeout_ms` after it to
//! press the decline key. The key declines at once, during the notice or
//! after it (the notice stops); silence until the time is up is agreement.
//! Any other key is ignored: it neither stops the notice (it is played
//! without barge-in, so the media engine does not cut it short) nor counts
//! for a later menu. A key that stopped an earlier barge-in prompt (the
//! welcome) lands in the notice as if pressed during it: the media engine
//! stops a barge-in prompt when the key goes down and reports the key when
//! it ends, so by then the notice is playing. The decline key among them
//! declines (the safe reading: such a caller may know the notice from
//! before, and a false "no" costs less than a false "yes"); keys after it wait
//! for the next menu, keys before it are ignored.
//!
//! The choice becomes a `consent_recorded` event (channel `phone_ivr`),
//! the variable `consent_<purpose>` (`granted` or `declined`, so the
//! agent's screen-pop shows it) and [`Action::Consent`] for the controller
//! to honour. Either way the caller goes on to `next`.

use std::time::Instant;

use hotline_types::{CallEvent, ConsentPurpose, CONSENT_CHANNEL_PHONE_IVR};

use crate::script::{NodeIndex, NodeKind, PromptFile};

use super::{Action, Ivr, Phase, PlaybackId, Timer};

/// The variable that holds the caller's choice for `purpose`
/// (`consent_recording`).
pub(crate) fn consent_var(purpose: ConsentPurpose) -> String {
    format!("consent_{}", purpose.as_str())
}

impl Ivr {
    pub(super) fn enter_consent(
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
            // The checker refuses a consent without prompts; nothing to
            // wait for the end of.
            self.phase = Phase::Consenting {
                node: index,
                playback: None,
            };
            self.arm_consent_timer(now, index);
            self.typed_ahead_into_consent(now, index);
            return None;
        }
        let id = PlaybackId(self.new_id());
        for p in &files {
            self.emit(CallEvent::PromptPlayed {
                prompt: format!("{}/{}", p.language, p.name),
            });
        }
        self.actions.push_back(Action::Play {
            id,
            prompts: files,
            barge_in: false,
        });
        self.phase = Phase::Consenting {
            node: index,
            playback: Some(id),
        };
        self.typed_ahead_into_consent(now, index);
        None
    }

    /// Keys typed ahead during a barge-in prompt count here as they would
    /// over RTP (see the module docs): up to the decline key, which
    /// decides; the keys after it stay typed ahead for the next menu.
    fn typed_ahead_into_consent(&mut self, now: Instant, node: NodeIndex) {
        let NodeKind::Consent { decline_key, .. } = self.script.nodes[node].kind else {
            return;
        };
        let typed = std::mem::take(&mut self.type_ahead);
        if let Some((_, after)) = typed.split_once(decline_key) {
            self.type_ahead = after.to_owned();
            self.consent_digit(now, decline_key);
        }
    }

    fn arm_consent_timer(&mut self, now: Instant, node: NodeIndex) {
        if let NodeKind::Consent { timeout_ms, .. } = self.script.nodes[node].kind {
            self.set_deadline(now, timeout_ms, Timer::Consent);
        }
    }

    /// The notice ended: the caller's time to object starts.
    pub(super) fn consent_notice_finished(&mut self, now: Instant) {
        let Phase::Consenting { node, playback } = &mut self.phase else {
            return;
        };
        *playback = None;
        let node = *node;
        self.arm_consent_timer(now, node);
    }

    pub(super) fn consent_digit(&mut self, now: Instant, key: char) {
        let Phase::Consenting { node, playback } = self.phase else {
            return;
        };
        let NodeKind::Consent { decline_key, .. } = self.script.nodes[node].kind else {
            return;
        };
        if key != decline_key {
            return;
        }
        if let Some(id) = playback {
            self.actions.push_back(Action::StopPlayback { id });
        }
        self.decide_consent(now, node, false);
    }

    /// No decline key in time: the caller agreed.
    pub(super) fn consent_timed_out(&mut self, now: Instant, node: NodeIndex) {
        self.decide_consent(now, node, true);
    }

    fn decide_consent(&mut self, now: Instant, node: NodeIndex, granted: bool) {
        self.deadline = None;
        let NodeKind::Consent { purpose, next, .. } = self.script.nodes[node].kind else {
            return;
        };
        self.emit(CallEvent::ConsentRecorded {
            purpose: purpose.as_str().to_owned(),
            granted,
            channel: CONSENT_CHANNEL_PHONE_IVR.to_owned(),
        });
        let choice = if granted { "granted" } else { "declined" };
        self.set_var(&consent_var(purpose), choice.into(), choice.into());
        self.actions.push_back(Action::Consent { purpose, granted });
        self.go(now, next);
    }
}
