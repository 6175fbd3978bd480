//! `[[hangup]]`: plays its prompts (a goodbye), then ends the call with
//! its reason. The IVR is done.

use crate::script::{NodeIndex, PromptFile};

use super::{Ivr, Outcome, Then};

impl Ivr {
    pub(super) fn enter_hangup(
        &mut self,
        prompts: &[Vec<PromptFile>],
        reason: &str,
    ) -> Option<NodeIndex> {
        let lang = self.language;
        let files: Vec<PromptFile> = prompts
            .iter()
            .filter_map(|p| p.get(lang).cloned())
            .collect();
        if files.is_empty() {
            self.finish(Outcome::HungUp {
                reason: reason.to_owned(),
            });
        } else {
            self.play(files, false, Then::Hangup(reason.to_owned()));
        }
        None
    }
}
