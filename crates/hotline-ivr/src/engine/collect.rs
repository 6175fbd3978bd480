//! `[[collect]]`: plays its prompts and collects digits into a variable,
//! up to `max_len` or the terminator key, then checks them (a pattern, a
//! resident ID's check character, a case reference). A masked entry reaches
//! the event log masked. Wrong entries retry (see `gather.rs`).

use std::sync::Arc;
use std::time::Instant;

use hotline_types::{CallEvent, CaseRef};

use crate::resident_id::{check_resident_id, mask};
use crate::script::{NodeIndex, NodeKind, PromptFile, Validation};

use super::{GatherKind, Ivr};

impl Ivr {
    pub(super) fn enter_collect(
        &mut self,
        now: Instant,
        index: NodeIndex,
        prompts: &[Vec<PromptFile>],
        max_len: usize,
        terminator: Option<char>,
    ) -> Option<NodeIndex> {
        let lang = self.language;
        self.start_gather(
            now,
            index,
            GatherKind::Collect,
            prompts,
            lang,
            max_len,
            terminator,
        );
        None
    }

    pub(super) fn collect_digit(&mut self, now: Instant, key: char) {
        let Some(g) = self.gather() else { return };
        let node = g.node;
        let NodeKind::Collect {
            terminator,
            max_len,
            ..
        } = &self.script.nodes[node].kind
        else {
            return;
        };
        let (terminator, max_len) = (*terminator, *max_len);
        let Some(g) = self.gather() else { return };
        if Some(key) == terminator {
            self.finish_collect(now);
            return;
        }
        g.buffer.push(key);
        if g.buffer.len() >= max_len {
            self.finish_collect(now);
            self.swallow_terminator = terminator;
        } else {
            self.arm_gather_timer(now, true);
        }
    }

    pub(super) fn finish_collect(&mut self, now: Instant) {
        let Some(g) = self.gather() else { return };
        let (node, entered) = (g.node, g.buffer.clone());
        let script = Arc::clone(&self.script);
        let NodeKind::Collect {
            var,
            min_len,
            max_len,
            validation,
            mask: masked,
            next,
            ..
        } = &script.nodes[node].kind
        else {
            return;
        };
        let len = entered.chars().count();
        let value = if len < *min_len || len > *max_len {
            None
        } else {
            match validation {
                Validation::None => Some(entered.clone()),
                Validation::Pattern(re) => re.is_match(&entered).then(|| entered.clone()),
                Validation::ResidentId => check_resident_id(&entered).ok(),
                Validation::CaseRef => CaseRef::parse(&entered).ok().map(|r| r.digits().to_owned()),
            }
        };
        let shown = |v: &str| if *masked { mask(v) } else { v.to_owned() };
        match value {
            Some(value) => {
                self.emit(CallEvent::DigitsCollected {
                    node: script.nodes[node].id.clone(),
                    digits: shown(&value),
                });
                let display = shown(&value);
                self.set_var(var, value, display);
                self.go(now, *next);
            }
            None => {
                self.emit(CallEvent::DigitsCollected {
                    node: script.nodes[node].id.clone(),
                    digits: shown(&entered),
                });
                self.retry(now, "invalid");
            }
        }
    }
}
