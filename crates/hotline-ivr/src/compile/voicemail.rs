//! `[[voicemail]]`: the prompts before the beep and the shortest and
//! longest message.

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
        let next = self.target(&n.next);
        NodeKind::Voicemail {
            prompts: self.prompts(&n.prompts),
            max_ms,
            min_ms,
            next,
            empty: n.empty.as_ref().map_or(next, |t| self.target(t)),
        }
    }
}
