//! `[[menu]]`: plays its prompts and waits for one of its key sequences.
//! A sequence that begins a longer one waits for the inter-digit timeout;
//! keys that match nothing retry (see `gather.rs`).

use std::time::Instant;

use hotline_types::CallEvent;

use crate::script::{MenuKey, NodeIndex, NodeKind, PromptFile};

use super::{GatherKind, Ivr};

impl Ivr {
    pub(super) fn enter_menu(
        &mut self,
        now: Instant,
        index: NodeIndex,
        prompts: &[Vec<PromptFile>],
        keys: &[MenuKey],
    ) -> Option<NodeIndex> {
        let lang = self.language;
        let max_digits = keys.iter().map(|k| k.keys.len()).max().unwrap_or(1);
        self.start_gather(
            now,
            index,
            GatherKind::Menu,
            prompts,
            lang,
            max_digits,
            None,
        );
        None
    }

    pub(super) fn menu_digit(&mut self, now: Instant, key: char) {
        let Some(g) = self.gather() else { return };
        g.buffer.push(key);
        let (node, buffer) = (g.node, g.buffer.clone());
        let NodeKind::Menu { keys, .. } = &self.script.nodes[node].kind else {
            return;
        };
        let mut prefixed = 0;
        let mut exact = None;
        for k in keys {
            if k.keys.starts_with(&buffer) {
                prefixed += 1;
                if k.keys == buffer {
                    exact = Some(k.target);
                }
            }
        }
        match (prefixed, exact) {
            (0, _) => self.retry(now, "invalid"),
            (1, Some(target)) => self.choose(now, node, &buffer, target),
            _ => self.arm_gather_timer(now, true),
        }
    }

    fn choose(&mut self, now: Instant, node: NodeIndex, digits: &str, target: NodeIndex) {
        self.emit(CallEvent::DigitsCollected {
            node: self.script.nodes[node].id.clone(),
            digits: digits.to_owned(),
        });
        self.go(now, target);
    }

    /// The inter-digit timeout ended the entry: a complete key sequence
    /// chooses, anything else is invalid.
    pub(super) fn menu_timed_out(&mut self, now: Instant) {
        let Some(g) = self.gather() else { return };
        let (node, buffer) = (g.node, g.buffer.clone());
        let NodeKind::Menu { keys, .. } = &self.script.nodes[node].kind else {
            return;
        };
        match keys.iter().find(|k| k.keys == buffer).map(|k| k.target) {
            Some(target) => self.choose(now, node, &buffer, target),
            None => self.retry(now, "invalid"),
        }
    }
}
