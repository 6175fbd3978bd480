//! `[[survey]]`: the post-call question, answered with one key from 1 to
//! 5; any other key or silence retries (see `gather.rs`).

use std::time::Instant;

use hotline_types::CallEvent;

use crate::script::{NodeIndex, NodeKind, PromptFile};

use super::{GatherKind, Ivr};

impl Ivr {
    pub(super) fn enter_survey(
        &mut self,
        now: Instant,
        index: NodeIndex,
        prompts: &[Vec<PromptFile>],
    ) -> Option<NodeIndex> {
        let lang = self.language;
        self.start_gather(now, index, GatherKind::Survey, prompts, lang, 1, None);
        None
    }

    pub(super) fn survey_digit(&mut self, now: Instant, key: char) {
        let Some(g) = self.gather() else { return };
        let node = g.node;
        let score = match key {
            '1'..='5' => key as u8 - b'0',
            _ => {
                g.buffer.push(key);
                self.retry(now, "invalid");
                return;
            }
        };
        let NodeKind::Survey { next, .. } = self.script.nodes[node].kind else {
            return;
        };
        self.emit(CallEvent::DigitsCollected {
            node: self.script.nodes[node].id.clone(),
            digits: key.to_string(),
        });
        self.emit(CallEvent::SurveyAnswered { score });
        self.go(now, next);
    }
}
