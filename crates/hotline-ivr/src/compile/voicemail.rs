//! `[[voicemail]]`: the prompts before the beep, the shortest and longest
//! message, and the work-order category it is about (one of the
//! configuration's catalogue).

use crate::raw::RawVoicemail;
use crate::script::NodeKind;

use super::{Compiler, DEFAULT_VOICEMAIL_MAX_MS, DEFAULT_VOICEMAIL_MIN_MS};

impl Compiler<'_> {
    pub(super) fn build_voicemail(&mut self, n: &RawVoicemail) -> NodeKind {
        let max_ms = n.max_ms.unwrap_or(DEFAULT_VOICEMAIL_MAX_MS);
        let min_ms = n.min_ms.unwrap_or(DEFAULT_VOICEMAIL_MIN_MS);
        if max_ms == 0 || min_ms >= max_ms {
            self.error(
                n.id.span(),
                format!(
                    "voicemail {:?}: min_ms {min_ms} / max_ms {max_ms} leave no room for a message",
                    n.id.get_ref()
                ),
                "use e.g. min_ms = 1000, max_ms = 120000",
            );
        }
        if let Some(category) = &n.category {
            let known = &self.ctx.environment.categories;
            if !known.contains(category.get_ref()) {
                let known: Vec<&str> = known.iter().map(String::as_str).collect();
                self.error(
                    category.span(),
                    format!(
                        "voicemail {:?}: category {:?} is not in the work orders' catalogue",
                        n.id.get_ref(),
                        category.get_ref()
                    ),
                    format!("use one of {known:?}, or leave category out to keep the message at the hotline"),
                );
            }
        }
        let next = self.target(&n.next);
        NodeKind::Voicemail {
            prompts: self.prompts(&n.prompts),
            max_ms,
            min_ms,
            next,
            empty: n.empty.as_ref().map_or(next, |t| self.target(t)),
            category: n.category.as_ref().map(|c| c.get_ref().clone()),
        }
    }
}
