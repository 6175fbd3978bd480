//! `[[set]]` (a variable, from text with `{name}` placeholders) and
//! `[[set_language]]` (the language of the prompts from now on). Instant:
//! they never wait.

use hotline_types::CallEvent;

use crate::script::NodeIndex;

use super::Ivr;

impl Ivr {
    pub(super) fn enter_set(
        &mut self,
        var: &str,
        value: &str,
        next: NodeIndex,
    ) -> Option<NodeIndex> {
        let v = self.interpolate(value);
        self.set_var(var, v.clone(), v);
        Some(next)
    }

    pub(super) fn enter_set_language(
        &mut self,
        language: usize,
        next: NodeIndex,
    ) -> Option<NodeIndex> {
        self.language = language;
        let tag = self.script.languages[language].to_string();
        self.emit(CallEvent::LanguageSelected {
            language: tag.clone(),
        });
        self.vars.insert("language".to_owned(), tag);
        Some(next)
    }
}
