//! What menus, collects and surveys share: their prompts play with keys
//! welcome at any time (a key stops the prompt), then the IVR waits for
//! keys with a timeout; a wrong entry or silence says why and starts again,
//! and after the last retry the node's `after_retries` takes over.

use std::sync::Arc;
use std::time::Instant;

use hotline_types::CallEvent;

use crate::script::{NodeIndex, NodeKind, PromptFile, Retry};

use super::{Action, Gather, GatherKind, Ivr, Phase, PlaybackId, Timer};

impl Ivr {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn start_gather(
        &mut self,
        now: Instant,
        node: NodeIndex,
        kind: GatherKind,
        prompts: &[Vec<PromptFile>],
        lang: usize,
        max_digits: usize,
        terminator: Option<char>,
    ) {
        let files: Vec<PromptFile> = prompts
            .iter()
            .filter_map(|p| p.get(lang).cloned())
            .collect();
        self.start_gather_with(now, node, kind, files, 0, max_digits, terminator);
    }

    #[allow(clippy::too_many_arguments)]
    fn start_gather_with(
        &mut self,
        now: Instant,
        node: NodeIndex,
        kind: GatherKind,
        files: Vec<PromptFile>,
        attempt: u32,
        max_digits: usize,
        terminator: Option<char>,
    ) {
        // A retry replaces whatever timer the previous attempt had armed.
        self.deadline = None;
        let mut playback = None;
        if !files.is_empty() {
            let id = PlaybackId(self.new_id());
            for p in &files {
                self.actions
                    .push_back(Action::Emit(CallEvent::PromptPlayed {
                        prompt: format!("{}/{}", p.language, p.name),
                    }));
            }
            self.actions.push_back(Action::Play {
                id,
                prompts: files,
                barge_in: true,
            });
            playback = Some(id);
        }
        self.actions.push_back(Action::CollectDigits {
            max_digits,
            terminator,
        });
        self.phase = Phase::Gathering(Gather {
            node,
            kind,
            playback,
            buffer: String::new(),
            attempt,
        });
        if playback.is_none() {
            self.arm_gather_timer(now, false);
        }
        // Keys typed ahead during a barge-in play count as pressed here.
        if !self.type_ahead.is_empty() {
            let keys = std::mem::take(&mut self.type_ahead);
            for k in keys.chars() {
                if !matches!(self.phase, Phase::Gathering(_)) {
                    break;
                }
                self.on_digit(now, k);
            }
        }
    }

    fn retry_settings(&self, node: NodeIndex) -> &Retry {
        match &self.script.nodes[node].kind {
            NodeKind::Menu { retry, .. }
            | NodeKind::Collect { retry, .. }
            | NodeKind::Survey { retry, .. } => retry,
            // Gather phases are only created for these three kinds.
            _ => unreachable!("gather on a node that does not gather"),
        }
    }

    pub(super) fn arm_gather_timer(&mut self, now: Instant, inter_digit: bool) {
        let Phase::Gathering(g) = &self.phase else {
            return;
        };
        let retry = self.retry_settings(g.node);
        let ms = if inter_digit {
            retry.inter_digit_timeout_ms
        } else {
            retry.timeout_ms
        };
        self.set_deadline(now, ms, Timer::Gather);
    }

    pub(super) fn gather(&mut self) -> Option<&mut Gather> {
        match &mut self.phase {
            Phase::Gathering(g) => Some(g),
            _ => None,
        }
    }

    /// A wrong entry or silence: say why, play the node's prompts again, or
    /// after the last retry go where the script says.
    pub(super) fn retry(&mut self, now: Instant, reason: &str) {
        let Some(g) = self.gather() else { return };
        let (node, kind, attempt) = (g.node, g.kind, g.attempt + 1);
        let stopped = g.playback.take();
        let wrong_keys = std::mem::take(&mut g.buffer);
        if let Some(id) = stopped {
            self.actions.push_back(Action::StopPlayback { id });
        }
        self.type_ahead.clear();
        // The keys of a wrong menu choice belong in the call record too
        // (a collect node already reported its masked entry).
        if kind != GatherKind::Collect && !wrong_keys.is_empty() {
            self.emit(CallEvent::DigitsCollected {
                node: self.script.nodes[node].id.clone(),
                digits: wrong_keys,
            });
        }
        self.emit(CallEvent::MenuRetry {
            node: self.script.nodes[node].id.clone(),
            reason: reason.to_owned(),
            attempt,
        });
        let script = Arc::clone(&self.script);
        let lang = self.language;
        let (prompts, retry, give_up, max_digits, terminator) = match &script.nodes[node].kind {
            NodeKind::Menu {
                prompts,
                retry,
                after_retries,
                keys,
            } => (
                prompts,
                retry,
                *after_retries,
                keys.iter().map(|k| k.keys.len()).max().unwrap_or(1),
                None,
            ),
            NodeKind::Collect {
                prompts,
                retry,
                after_retries,
                max_len,
                terminator,
                ..
            } => (prompts, retry, *after_retries, *max_len, *terminator),
            NodeKind::Survey {
                prompts,
                retry,
                next,
            } => (prompts, retry, *next, 1, None),
            _ => return,
        };
        if attempt > retry.retries {
            self.go(now, give_up);
            return;
        }
        let why = if reason == "timeout" {
            &retry.timeout_prompt
        } else {
            &retry.invalid_prompt
        };
        let mut files: Vec<PromptFile> = why
            .as_ref()
            .and_then(|w| w.get(lang).cloned())
            .into_iter()
            .collect();
        files.extend(prompts.iter().filter_map(|p| p.get(lang).cloned()));
        self.start_gather_with(now, node, kind, files, attempt, max_digits, terminator);
    }

    /// The wait for keys ended: silence retries, a menu entry chooses what
    /// it matches, a collect entry is checked as it stands.
    pub(super) fn gather_timed_out(&mut self, now: Instant) {
        let Phase::Gathering(g) = &self.phase else {
            return;
        };
        let (kind, empty) = (g.kind, g.buffer.is_empty());
        if empty {
            self.retry(now, "timeout");
            return;
        }
        match kind {
            GatherKind::Menu => self.menu_timed_out(now),
            GatherKind::Collect => self.finish_collect(now),
            GatherKind::Survey => self.retry(now, "timeout"),
        }
    }
}
